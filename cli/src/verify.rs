//! `causeway verify`: rebuilds the rollup's whole history from the base chain alone and checks
//! it, trusting neither the operator, its API nor its database. The work is
//! [`causeway_l1::replay`]; this prints its report, one line per check.

use alloy::providers::Provider;
use causeway_l1::replay::{ReplayInput, replay};
use causeway_protocol::{field::fr_to_be_bytes, wire::Genesis};
use causeway_prover::Circuit;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

/// `causeway verify` flags.
#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// Base-chain JSON-RPC URL.
    #[arg(long, env = "CAUSEWAY_RPC", default_value = "http://127.0.0.1:8545")]
    rpc: String,
    #[command(flatten)]
    rollup: crate::chain::ContractArgs,
    /// The genesis file (its root must be the first batch's previous root).
    #[arg(long, env = "CAUSEWAY_GENESIS")]
    genesis: PathBuf,
    /// Key directory whose verifying key checks the proofs.
    #[arg(long, env = "CAUSEWAY_KEYS")]
    keys: PathBuf,
    /// Exit-circuit key directory: when given, the contract's exit verifying key must be its.
    #[arg(long, env = "CAUSEWAY_EXIT_KEYS")]
    exit_keys: Option<PathBuf>,
    /// A ceremony's final zkey, checked as `snarkjs zkey verify` does against --ptau and this
    /// build's circuit: the contract's verifying key must be the one in it, and the proofs are
    /// checked with it.
    #[arg(long, requires = "ptau")]
    zkey: Option<PathBuf>,
    /// The Powers of Tau file the ceremonies started from (its BLAKE2b hash is printed).
    #[arg(long)]
    ptau: Option<PathBuf>,
    /// The exit circuit's final zkey, checked the same way: the contract's exit verifying key
    /// must be the one in it.
    #[arg(long)]
    exit_zkey: Option<PathBuf>,
    /// The Powers of Tau file for --exit-zkey [default: --ptau].
    #[arg(long)]
    exit_ptau: Option<PathBuf>,
    /// Also print this account and its Merkle proof against the latest verified root.
    #[arg(long)]
    account: Option<u32>,
    /// First block to read events from [default: the deployment file's `deployed_at_block`,
    /// else 0].
    #[arg(long)]
    from_block: Option<u64>,
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

pub(crate) fn verify(args: VerifyArgs) -> Result<(), String> {
    let contract = args.rollup.address()?;
    let from_block = args.from_block.unwrap_or_else(|| args.rollup.deployed_at_block());
    let text = std::fs::read_to_string(&args.genesis).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let genesis: Genesis = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let (vk, meta) = causeway_prover::keys::load_verifying_key(&args.keys).map_err(|e| e.to_string())?;
    if meta.params.depth != genesis.depth {
        return Err(format!(
            "the keys are for depth {} but the genesis has depth {}",
            meta.params.depth, genesis.depth
        ));
    }
    let slots = meta.params.slots;
    let from_zkey = |zkey: &std::path::Path, ptau: Option<&PathBuf>, circuit: Circuit, params| {
        let ptau =
            ptau.ok_or_else(|| format!("{}: checking a zkey needs its Powers of Tau file (--ptau)", zkey.display()))?;
        let (vk, record) =
            causeway_prover::ceremony::verifying_key(zkey, ptau, circuit, params, &crate::ceremony::progress())
                .map_err(|e| e.to_string())?;
        println!(
            "{circuit} zkey {}: every contribution and point checked against the Powers of Tau {} (blake2b {})",
            zkey.display(),
            ptau.display(),
            record.ptau_blake2b.as_deref().unwrap_or("?")
        );
        Ok::<_, String>((vk, format!("the ceremony's {} (sha256 {})", zkey.display(), record.zkey_sha256)))
    };
    let (vk, vk_source) = match &args.zkey {
        Some(z) => from_zkey(z, args.ptau.as_ref(), Circuit::Batch, meta.params)?,
        None => (vk, format!("{} ({})", args.keys.display(), meta.origin)),
    };
    let exit = match (&args.exit_zkey, &args.exit_keys) {
        (Some(z), _) => Some(from_zkey(
            z,
            args.exit_ptau.as_ref().or(args.ptau.as_ref()),
            Circuit::Exit,
            Circuit::Exit.params(genesis.depth, 0),
        )?),
        (None, Some(dir)) => {
            let (vk, meta) =
                causeway_prover::keys::load_verifying_key_for(dir, Circuit::Exit).map_err(|e| e.to_string())?;
            Some((vk, format!("{} ({})", dir.display(), meta.origin)))
        }
        (None, None) => None,
    };
    let exit_vk = exit.as_ref().map(|(vk, _)| vk.clone());
    let provider = causeway_l1::reading_provider(&args.rpc).map_err(|e| format!("--rpc: {e}"))?;
    let input = ReplayInput { genesis: &genesis, vk: Some(&vk), exit_vk: exit_vk.as_ref(), slots, from_block };
    let r = crate::chain::runtime()?.block_on(async {
        // A clear message for an endpoint that does not answer.
        provider.get_chain_id().await.map_err(|e| format!("{}: {e}", args.rpc))?;
        replay(&provider, contract, &input).await.map_err(|e| format!("{}: {e}", args.rpc))
    })?;

    let c = &r.contract;
    if c.vk_matches {
        println!("verifying key: matches {vk_source}");
    } else {
        println!("verifying key: MISMATCH: the contract's is not the one in {vk_source}");
    }
    if let Some((_, source)) = &exit {
        if c.exit_vk_matches {
            println!("exit verifying key: matches {source}");
        } else {
            println!("exit verifying key: MISMATCH: the contract's is not the one in {source}");
        }
    }
    if c.exodus_mode {
        println!("exodus mode: ACTIVE: no batch is accepted any more; accounts exit with `causeway exodus`");
    }
    match &c.code {
        Ok(()) => println!("contract code: matches contracts/artifacts/Rollup.json (immutables masked)"),
        Err(e) => println!("contract code: MISMATCH: {e}"),
    }
    if c.parameter_problems.is_empty() {
        println!(
            "contract parameters: {slots} slots, 2^{} accounts, operator {}, priority deadline {} blocks past the \
             queue ahead at a batch per {} blocks, priority fee {} wei per slot, minimum deposit {} wei",
            genesis.depth, c.operator, c.expiry_blocks, c.blocks_per_batch, c.priority_fee, c.min_deposit
        );
    } else {
        println!("contract parameters: MISMATCH: {}", c.parameter_problems.join("; "));
    }
    let genesis_root = genesis.state(r.domain).map_err(|e| format!("genesis: {e}"))?.root();
    println!(
        "rollup {contract} (chain {}): {} batches on chain, genesis {}",
        r.domain.chain_id,
        c.batch_count,
        hex0x(&fr_to_be_bytes(&genesis_root))
    );
    for b in &r.batches {
        if b.problems.is_empty() {
            let proof = if b.proof_rechecked {
                "proof valid"
            } else {
                "proof checked by the contract (not a direct submitBatch transaction)"
            };
            println!(
                "batch {}: ok  {} operations, {} priority, root {}, {proof}",
                b.number, b.operations, b.priority, b.new_root
            );
        } else {
            println!("batch {}: FAILED: {}", b.number, b.problems.join("; "));
        }
    }
    let sv = &r.solvency;
    if r.complete {
        let parts = format!(
            "{} balances + {} unclaimed withdrawals + {} queued deposits + {} queued fees = {} wei owed",
            sv.balances,
            sv.unclaimed,
            sv.queued_deposits,
            sv.queued_fees,
            sv.owed()
        );
        if sv.is_solvent() {
            println!("solvency: ok: the contract holds {} wei, covering {parts}", sv.contract_balance);
        } else {
            println!("solvency: FAILED: the contract holds {} wei, less than {parts}", sv.contract_balance);
        }
    }
    let root = r.state.root();
    if r.complete && !r.root_matches() {
        println!(
            "state root: FAILED: the contract's {} is not the replayed {}",
            c.state_root,
            hex0x(&fr_to_be_bytes(&root))
        );
    }
    if let Some(index) = args.account {
        let account = r.state.account(index);
        let proof = r.state.proof(index).map_err(|e| format!("--account {index}: {e}"))?;
        let out = json!({
            "account": index,
            "root": hex0x(&fr_to_be_bytes(&root)),
            "balance": account.balance.to_string(),
            "nonce": account.nonce,
            "owner": hex0x(&account.owner),
            "public_key": { "x": hex0x(&fr_to_be_bytes(&account.pubkey.x)), "y": hex0x(&fr_to_be_bytes(&account.pubkey.y)) },
            "leaf": hex0x(&fr_to_be_bytes(&account.leaf_hash())),
            "siblings": proof.siblings.iter().map(|s| s.iter().map(|x| hex0x(&fr_to_be_bytes(x))).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "verified": proof.root(index, account.leaf_hash()) == root,
        });
        println!("{out}");
    }
    let failures = r.failures();
    if failures > 0 {
        return Err(format!("verification FAILED: {failures} problem(s)"));
    }
    println!("verified {} batches: state root {} matches the contract", c.batch_count, hex0x(&fr_to_be_bytes(&root)));
    Ok(())
}
