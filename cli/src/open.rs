//! `causeway open-mode`: turns the Rollup's open mode on once the operator has let the oldest
//! waiting priority request wait the deployment's open delay, so that anyone may submit proved
//! batches (docs/protocol.md, "Open mode and the operator handover"). Anyone may run it, with
//! any funded base-chain key.

use clap::Args;

/// `causeway open-mode` flags.
#[derive(Args)]
pub(crate) struct OpenModeArgs {
    /// Base-chain JSON-RPC URL.
    #[arg(long, env = "CAUSEWAY_RPC", default_value = "http://127.0.0.1:8545")]
    rpc: String,
    #[command(flatten)]
    rollup: crate::chain::ContractArgs,
    /// The base-chain private key (hex) that pays the gas.
    #[arg(long, env = "CAUSEWAY_L1_KEY")]
    l1_key: String,
}

pub(crate) fn open_mode(args: OpenModeArgs) -> Result<(), String> {
    let contract = args.rollup.address()?;
    crate::chain::runtime()?.block_on(async {
        let provider = causeway_l1::wallet_provider(&args.rpc, &args.l1_key).map_err(|e| e.to_string())?;
        args.rollup.domain(&args.rpc).await?;
        match activate(&provider, contract, &args.rpc).await? {
            Opening::AlreadyOn => println!("open mode is already on: anyone may submit proved batches"),
            Opening::TurnedOn { block, tx } => println!(
                "turned open mode on in block {block} (transaction {tx}): anyone may now submit proved batches \
                 (`causeway takeover`, or `causeway restore` a database and run a sequencer, prover and settler \
                 with your own key)"
            ),
            Opening::NotYet { from, left } => return Err(not_yet(from, left)),
        }
        Ok(())
    })
}

/// What [`activate`] did.
pub(crate) enum Opening {
    /// Open mode already was on.
    AlreadyOn,
    /// Turned on by this block's transaction.
    TurnedOn { block: u64, tx: alloy::primitives::B256 },
    /// The oldest waiting request has not waited the open delay: allowed from block `from`,
    /// `left` blocks after the next.
    NotYet { from: u64, left: u64 },
}

/// The refusal of an opening asked for too early.
pub(crate) fn not_yet(from: u64, left: u64) -> String {
    format!(
        "the oldest waiting priority request has not waited long enough: open mode is allowed from block {from}, \
         {left} blocks from now"
    )
}

/// Turns the Rollup's open mode on with `provider`'s key, unless it is on already or not allowed
/// yet. Refused, with the reason, in exodus mode and with no priority request waiting.
pub(crate) async fn activate(
    provider: &alloy::providers::DynProvider,
    contract: alloy::primitives::Address,
    rpc: &str,
) -> Result<Opening, String> {
    let rollup = causeway_l1::rollup(provider, contract);
    let read = |e: alloy::contract::Error| format!("{rpc}: {e}");
    if rollup.exodusMode().call().await.map_err(read)? {
        return Err("the Rollup is in exodus mode: no batch is accepted any more, open mode cannot help".into());
    }
    if rollup.openMode().call().await.map_err(read)? {
        return Ok(Opening::AlreadyOn);
    }
    let from = rollup.openModeAllowedFrom().call().await.map_err(read)?;
    if from == 0 {
        return Err("no priority request is waiting: open mode needs one the operator has let wait too long \
                    (queue a forced transfer with `causeway wallet transfer --via-l1` if the operator ignores \
                    yours)"
            .into());
    }
    let next = alloy::providers::Provider::get_block_number(provider).await.map_err(|e| e.to_string())? + 1;
    if next < from {
        return Ok(Opening::NotYet { from, left: from - next });
    }
    let receipt = causeway_l1::send_and_wait(rollup.activateOpenMode())
        .await
        .map_err(|e| format!("cannot turn open mode on: {e}"))?;
    Ok(Opening::TurnedOn { block: receipt.block_number.unwrap_or_default(), tx: receipt.transaction_hash })
}
