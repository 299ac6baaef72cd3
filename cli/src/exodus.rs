//! `causeway exodus`: leaving the rollup when its operator has stopped or censors, trusting only
//! the base chain, the genesis file and the exit circuit's keys (no operator API, no database).
//!
//! Without `--activate` or `--refund-deposits` it exits an account: it replays the chain
//! ([`causeway_l1::replay`]) to the last accepted root, proves the exit circuit for the account
//! (this wallet's, or `--account N`) and submits the exit; the contract credits the balance to the
//! account's owner, who claims it with `causeway wallet claim`. `--activate` turns exodus mode
//! on when the oldest waiting priority request is past its deadline; `--refund-deposits` refunds
//! every queued deposit no batch executed (and drops queued full exits), a page per transaction.

use crate::wallet::{self, format_ether};
use alloy::primitives::Address;
use causeway_circuits::ExitWitness;
use causeway_l1::{
    exodus::{self, ExitCall},
    replay::{ReplayInput, Request, priority_requests, replay},
};
use causeway_protocol::wire::Genesis;
use causeway_prover::{Circuit, Keys, prove_exit, verify_exit};
use clap::Args;
use std::path::PathBuf;

/// `causeway exodus` flags.
#[derive(Args)]
pub(crate) struct ExodusArgs {
    /// Base-chain JSON-RPC URL.
    #[arg(long, env = "CAUSEWAY_RPC", default_value = "http://127.0.0.1:8545")]
    rpc: String,
    #[command(flatten)]
    rollup: crate::chain::ContractArgs,
    /// The genesis file the Rollup was deployed with.
    #[arg(long, env = "CAUSEWAY_GENESIS")]
    genesis: PathBuf,
    /// Exit-circuit key directory (`causeway setup --circuit exit`; its verifying key must be
    /// the contract's). Needed to exit, not to activate or refund.
    #[arg(long, env = "CAUSEWAY_EXIT_KEYS")]
    exit_keys: Option<PathBuf>,
    /// The wallet whose account exits and whose base-chain key pays the gas [default:
    /// ~/.causeway/wallet.json].
    #[arg(long, env = "CAUSEWAY_WALLET")]
    wallet: Option<PathBuf>,
    /// Pay the gas with this base-chain private key (hex) instead of the wallet's.
    #[arg(long, env = "CAUSEWAY_L1_KEY")]
    l1_key: Option<String>,
    /// Exit this account instead of the wallet's (anyone may; its owner is paid).
    #[arg(long)]
    account: Option<u32>,
    /// Turn exodus mode on (allowed once the oldest waiting priority request is past its
    /// deadline); exits nothing unless --account is given too.
    #[arg(long)]
    activate: bool,
    /// Refund the queued deposits no batch executed to their owners and drop queued full exits;
    /// exits nothing unless --account is given too.
    #[arg(long)]
    refund_deposits: bool,
    /// Requests per refund transaction.
    #[arg(long, default_value_t = 50)]
    page: usize,
    /// First block to read events from [default: the deployment file's `deployed_at_block`,
    /// else 0].
    #[arg(long)]
    from_block: Option<u64>,
}

pub(crate) fn exodus(args: ExodusArgs) -> Result<(), String> {
    let contract = args.rollup.address()?;
    let from_block = args.from_block.unwrap_or_else(|| args.rollup.deployed_at_block());
    let text = std::fs::read_to_string(&args.genesis).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let genesis: Genesis = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let wallet_path = args.wallet.clone().unwrap_or_else(wallet::default_path);
    let (rollup_key, l1_key) = match &args.l1_key {
        Some(k) => (wallet::load_keys(&wallet_path).ok().map(|w| w.0), k.clone()),
        None => {
            let (key, l1) = wallet::load_keys(&wallet_path)?;
            (Some(key), l1)
        }
    };
    let exiting = args.account.is_some() || !(args.activate || args.refund_deposits);
    crate::chain::runtime()?.block_on(async {
        let provider = causeway_l1::wallet_provider(&args.rpc, &l1_key).map_err(|e| e.to_string())?;
        args.rollup.domain(&args.rpc).await?;
        let rollup = causeway_l1::rollup(&provider, contract);
        let status = exodus::status(&rollup).await.map_err(|e| e.to_string())?;

        if args.activate {
            if status.active {
                println!("exodus mode is already active");
            } else {
                let receipt = exodus::activate_with(&rollup, &status)
                    .await
                    .map_err(|e| format!("cannot activate exodus mode: {e}"))?;
                println!(
                    "activated exodus mode in block {} (transaction {}): no batch is accepted any more; \
                     every account may now exit with `causeway exodus`",
                    receipt.block_number.unwrap_or_default(),
                    receipt.transaction_hash
                );
            }
        } else if !status.active {
            let why = status.activation_refused().unwrap_or_else(|| {
                "the oldest waiting priority request is past its deadline: `causeway exodus --activate` starts it"
                    .into()
            });
            return Err(format!("the Rollup is not in exodus mode, so nothing can exit or be refunded yet: {why}"));
        }

        if args.refund_deposits {
            let requests = priority_requests(&rollup, from_block).await.map_err(|e| e.to_string())?;
            let done = exodus::refund_all(&rollup, &requests, args.page).await.map_err(|e| format!("refund: {e}"))?;
            if done.is_empty() {
                println!("no queued request is left to refund");
            }
            let deposit_fee = rollup.depositFee().call().await.map_err(|e| format!("depositFee: {e}"))?;
            let exit_fee = rollup.fullExitFee().call().await.map_err(|e| format!("fullExitFee: {e}"))?;
            let forced_fee = rollup.forcedFee().call().await.map_err(|e| format!("forcedFee: {e}"))?;
            for r in &done {
                match &r.request {
                    Request::Deposit { account, owner, amount, .. } => println!(
                        "refunded deposit {} ({} ether into account {account}, and its {deposit_fee} wei fee) to \
                         {owner}: claim it with `causeway wallet claim`",
                        r.serial,
                        format_ether(*amount)
                    ),
                    Request::FullExit { account, owner, .. } => println!(
                        "dropped full-exit request {} of account {account} (its exit covers it); its {exit_fee} wei \
                         fee is refunded to {owner}",
                        r.serial
                    ),
                    Request::Forced { account, owner, to, .. } => println!(
                        "dropped forced {} {} of account {account} (its exit covers it); its {forced_fee} wei fee is \
                         refunded to {owner}",
                        if to.is_some() { "transfer" } else { "withdrawal" },
                        r.serial
                    ),
                }
            }
        }
        if !exiting {
            return Ok(());
        }

        let exit_dir = args.exit_keys.as_ref().ok_or("--exit-keys is needed to prove an exit")?;
        let keys = tokio::task::block_in_place(|| {
            Keys::load_for(exit_dir, Circuit::Exit, Some(Circuit::Exit.params(genesis.depth, 0)))
        })
        .map_err(|e| e.to_string())?;
        let pubdata_bytes = rollup.pubdataBytes().call().await.map_err(|e| e.to_string())?;
        let input = ReplayInput {
            genesis: &genesis,
            vk: None,
            exit_vk: Some(&keys.vk),
            slots: pubdata_bytes.to::<usize>() / 16,
            from_block,
        };
        eprintln!("replaying the rollup's history from the base chain ...");
        let r = replay(&provider, contract, &input).await.map_err(|e| e.to_string())?;
        if !r.contract.exit_vk_matches {
            return Err(format!("the contract's exit verifying key is not the one in {}", exit_dir.display()));
        }
        if !r.root_matches() {
            let problems: Vec<String> = r.batches.iter().flat_map(|b| b.problems.iter().cloned()).collect();
            return Err(format!(
                "the replay does not reach the contract's last accepted root, so no exit can be proved: {}",
                problems.join("; ")
            ));
        }
        let index = match args.account {
            Some(n) => n,
            None => {
                let key = rollup_key.ok_or("no wallet to find the account by: give --account N")?;
                let me = causeway_l1::address_of(&l1_key).map_err(|e| e.to_string())?;
                let pk = key.public_key();
                r.state
                    .accounts()
                    .find(|(_, a)| a.pubkey == pk && Address::from(a.owner) == me)
                    .map(|(i, _)| i)
                    .ok_or_else(|| {
                        format!(
                            "this wallet has no account in the last accepted state (key and owner {me}); \
                             a deposit no batch executed is refunded by `causeway exodus --refund-deposits`"
                        )
                    })?
            }
        };
        r.state.ledger().check_index(index).map_err(|e| format!("--account {index}: {e}"))?;
        let account = r.state.account(index);
        let owner = Address::from(account.owner);
        if rollup.exited(index).call().await.map_err(|e| e.to_string())? {
            return Err(format!("account {index} has already exited: its balance was credited to {owner}"));
        }
        if account.balance == 0 {
            return Err(format!("account {index} is empty in the last accepted state: nothing to exit"));
        }
        let witness = ExitWitness::from_state(&r.state, index).map_err(|e| e.to_string())?;
        eprintln!("proving the exit of account {index} ...");
        let proof = tokio::task::block_in_place(|| {
            use rand_core::SeedableRng;
            prove_exit(&keys, witness.clone(), &mut rand_chacha::ChaCha20Rng::from_entropy())
        })
        .map_err(|e| e.to_string())?;
        if !verify_exit(&keys.vk, &witness.public_inputs(), &proof).map_err(|e| e.to_string())? {
            return Err("the exit proof does not verify".into());
        }
        let call = ExitCall::new(&witness, &proof).map_err(|e| e.to_string())?;
        let receipt = exodus::exit(&rollup, &call).await.map_err(|e| format!("exit refused: {e}"))?;
        println!(
            "exited account {index}: credited {} ether to its owner {owner} (transaction {}, {} gas); \
             the owner claims it with `causeway wallet claim` (anyone may call withdraw({owner}))",
            format_ether(account.balance),
            receipt.transaction_hash,
            receipt.gas_used
        );
        Ok(())
    })
}
