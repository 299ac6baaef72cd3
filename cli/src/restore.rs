//! `causeway restore`: rebuilds a lost operator database from the base chain. The work is
//! [`causeway_l1::restore`]; this reads the flags, shows progress and prints the outcome.

use alloy::providers::Provider;
use causeway_l1::restore::{Progress, RestoreError, RestoreInput, Restored, restore};
use causeway_protocol::wire::Genesis;
use clap::Args;
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

/// `causeway restore` flags.
#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// PostgreSQL URL of an empty database (or of one whose restore was interrupted: the rerun
    /// continues it).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Base-chain JSON-RPC URL.
    #[arg(long, env = "CAUSEWAY_RPC", default_value = "http://127.0.0.1:8545")]
    rpc: String,
    #[command(flatten)]
    rollup: crate::chain::ContractArgs,
    /// The genesis file the rollup started from.
    #[arg(long, env = "CAUSEWAY_GENESIS")]
    genesis: PathBuf,
    /// Key directory whose verifying key checks every batch's proof (it must be the contract's).
    #[arg(long, env = "CAUSEWAY_KEYS", required_unless_present = "no_proof_check")]
    keys: Option<PathBuf>,
    /// Do not check the proofs (the contract checked each when it accepted the batch).
    #[arg(long)]
    no_proof_check: bool,
    /// Blocks (the including one counted) before a batch counts as final and a priority request
    /// is read: the settler's and the sequencer's --confirmations.
    #[arg(long, env = "CAUSEWAY_CONFIRMATIONS", default_value_t = causeway_l1::settler::DEFAULT_CONFIRMATIONS)]
    confirmations: u64,
    /// First block to read events from [default: the deployment file's `deployed_at_block`,
    /// else 0].
    #[arg(long)]
    from_block: Option<u64>,
}

pub(crate) fn run(args: RestoreArgs) -> Result<(), String> {
    crate::node::init_tracing();
    let contract = args.rollup.address()?;
    let from_block = args.from_block.unwrap_or_else(|| args.rollup.deployed_at_block());
    let text = std::fs::read_to_string(&args.genesis).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let genesis: Genesis = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let vk = match (&args.keys, args.no_proof_check) {
        (Some(dir), false) => {
            let (vk, meta) = causeway_prover::keys::load_verifying_key(dir).map_err(|e| e.to_string())?;
            if meta.params.depth != genesis.depth {
                return Err(format!(
                    "the keys are for depth {} but the genesis has depth {}",
                    meta.params.depth, genesis.depth
                ));
            }
            Some(vk)
        }
        _ => None,
    };
    let provider = causeway_l1::reading_provider(&args.rpc).map_err(|e| format!("--rpc: {e}"))?;
    let input =
        RestoreInput { genesis: &genesis, vk: vk.as_ref(), from_block, confirmations: args.confirmations.max(1) };
    let started = Instant::now();
    let r = crate::chain::runtime()?.block_on(async {
        provider.get_chain_id().await.map_err(|e| format!("{}: {e}", args.rpc))?;
        let db = causeway_db::Db::connect_with(&args.database_url, 2).await.map_err(|e| format!("database: {e}"))?;
        restore_showing_progress(&provider, contract, &db, &input, &args.rpc).await
    })?;
    print_restored(&r, contract, started.elapsed(), vk.is_some());
    Ok(())
}

/// Restores (as [`restore`]) and shows progress on standard error: at most a line a second,
/// and the last.
pub(crate) async fn restore_showing_progress(
    provider: &alloy::providers::DynProvider,
    contract: alloy::primitives::Address,
    db: &causeway_db::Db,
    input: &RestoreInput<'_>,
    rpc: &str,
) -> Result<Restored, String> {
    let mut shown = Instant::now() - Duration::from_secs(1);
    let mut show = |p: &Progress| {
        if shown.elapsed() >= Duration::from_secs(1) || p.batch == p.total {
            shown = Instant::now();
            eprintln!(
                "restore: batch {}/{} ({} of {} this run, {:.1} batches/s, about {} s left)",
                p.batch,
                p.total,
                p.done,
                p.todo,
                p.rate(),
                p.left().as_secs()
            );
        }
    };
    restore(provider, contract, db, input, &mut show).await.map_err(|e| match e {
        RestoreError::NotEmpty(m) => format!("refused: {m}"),
        RestoreError::Chain(e) => format!("{rpc}: {e} (rerun to continue: every stored batch is kept)"),
        e => e.to_string(),
    })
}

/// Prints what a restore did.
pub(crate) fn print_restored(
    r: &Restored,
    contract: alloy::primitives::Address,
    elapsed: Duration,
    proofs_checked_with_key: bool,
) {
    if r.resumed_after > 0 {
        println!("continued an interrupted restore after batch {}", r.resumed_after);
    }
    println!(
        "restored {} batches ({} final, {} awaiting confirmations) with {} operations from the Rollup at {contract} \
         as of block {}, in {:.1} s",
        r.batches,
        r.finalized,
        r.batches - r.finalized,
        r.operations,
        r.block,
        elapsed.as_secs_f64()
    );
    println!(
        "proofs: {} checked with the verifying key{}{}",
        r.proofs_checked,
        if proofs_checked_with_key { "" } else { " (--no-proof-check)" },
        if r.proofs_missing > 0 {
            format!(
                "; {} batches were not submitted by a direct submitBatch call: their proofs are not stored",
                r.proofs_missing
            )
        } else {
            String::new()
        }
    );
    println!(
        "priority queue: {} requests waiting for a batch; the sequencer, provers and settler can start",
        r.waiting_requests
    );
}

/// `causeway bench restore`: the restore's work per batch once the chain is read (replaying and
/// checking each batch, building its rows, and storing them when a database is given), fed
/// from memory, against `bench native`'s state updates on the same transfers in the same run.
pub(crate) fn bench(depth: u32, slots: usize, batches: u64, database_url: Option<String>) -> Result<(), String> {
    use alloy::primitives::{B256, U256};
    use causeway_l1::{
        Rollup,
        replay::Replayer,
        restore::{Stored, restored_batch},
    };
    use causeway_protocol::{Domain, Operation, Signatures, Transfer, field::fr_to_be_bytes};
    use causeway_prover::sample;
    let accounts = 64u32;
    let domain = Domain::default();
    let genesis = sample::sample_genesis(depth, accounts, domain).map_err(|e| e.to_string())?;
    let keys: Vec<_> = (0..accounts).map(sample::sample_key).collect();
    let transfers = batches * slots as u64;
    eprintln!("signing {transfers} transfers and sealing {batches} batches of {slots} (the chain to restore)");
    let ops: Vec<Operation> = (0..transfers)
        .map(|i| {
            let from = (i % u64::from(accounts)) as u32;
            let nonce = (i / u64::from(accounts)) as u32;
            Operation::Transfer(Transfer::signed(
                &keys[from as usize],
                &domain,
                from,
                (from + 1) % accounts,
                1_000,
                10,
                nonce,
            ))
        })
        .collect();
    let mut sealer = genesis.clone();
    let mut events = Vec::new();
    for (n, chunk) in (1..).zip(ops.chunks(slots)) {
        let t = sealer.apply_batch_with(n, 0, slots, 0, chunk, Signatures::Verified).map_err(|e| e.to_string())?;
        events.push(Rollup::BatchSubmitted {
            number: n,
            submitter: alloy::primitives::Address::ZERO,
            newRoot: B256::from(fr_to_be_bytes(&t.header.new_root)),
            commitment: U256::from_be_bytes(fr_to_be_bytes(&t.commitment())),
            priorityHead: 0,
            header: t.header.to_bytes().to_vec().into(),
            pubdata: t.pubdata.clone().into(),
        });
    }

    // Baseline: bench native's state update (each transfer checked, signature included, and
    // applied to the tree).
    let mut native = genesis.clone();
    let t = Instant::now();
    for op in &ops {
        native.apply(op).map_err(|e| e.to_string())?;
    }
    let native_per_s = transfers as f64 / t.elapsed().as_secs_f64();

    let submission = || causeway_db::restore::RestoredSubmission {
        nonce: 0,
        max_fee_per_gas: "0".into(),
        max_priority_fee_per_gas: "0".into(),
        gas_limit: 0,
        tx_hash: vec![0; 32],
        raw_tx: vec![],
        block_number: 0,
        block_hash: vec![0; 32],
        gas_used: 0,
    };
    let requests = Default::default();
    let replay = |replayer: &mut Replayer, n: u64, event: &Rollup::BatchSubmitted, seq: &mut i64| {
        let b = replayer.apply(n, event, &Default::default())?;
        if !b.problems.is_empty() {
            return Err(format!("batch {n}: {}", b.problems.join("; ")));
        }
        let stored = Stored { proof: None, submission: submission(), finalized: true, at: None };
        restored_batch(&b, &requests, domain, seq, stored).map_err(|e| e.to_string())
    };
    let (mut replayer, mut seq) = (Replayer::new(genesis.clone(), 0, slots), 0);
    let started = Instant::now();
    for (n, event) in (1..).zip(&events) {
        replay(&mut replayer, n, event, &mut seq)?;
    }
    let restore_per_s = transfers as f64 / started.elapsed().as_secs_f64();
    let with_db = match database_url {
        None => None,
        Some(admin) => Some(crate::chain::runtime()?.block_on(async {
            // The database `causeway_bench_restore` on that server, made anew.
            let url =
                causeway_db::recreate_database(&admin, "causeway_bench_restore").await.map_err(|e| e.to_string())?;
            let db = causeway_db::Db::connect_with(&url, 2).await.map_err(|e| e.to_string())?;
            let row = causeway_db::rollup::RollupRow {
                depth: depth as i32,
                slots: slots as i32,
                fee_account: 0,
                genesis_root: fr_to_be_bytes(&genesis.root()).to_vec(),
                genesis: serde_json::json!({}),
                chain_id: 0,
                rollup_address: vec![0; 20],
            };
            let accounts: Vec<(i64, Vec<u8>)> =
                genesis.accounts().map(|(i, a)| (i64::from(i), a.to_bytes().to_vec())).collect();
            db.begin_restore(&row, &accounts).await.map_err(|e| e.to_string())?;
            let (mut replayer, mut seq) = (Replayer::new(genesis.clone(), 0, slots), 0);
            let started = Instant::now();
            for (n, event) in (1..).zip(&events) {
                let batch = replay(&mut replayer, n, event, &mut seq)?;
                db.store_restored_batch(&batch).await.map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(transfers as f64 / started.elapsed().as_secs_f64())
        })?),
    };
    let mut line = serde_json::json!({
        "bench": "restore",
        "depth": depth,
        "slots": slots,
        "batches": batches,
        "transfers": transfers,
        "native_apply_per_s": native_per_s,
        "restore_per_s": restore_per_s,
        "restore_vs_native": restore_per_s / native_per_s,
    });
    if let Some(per_s) = with_db {
        line["restore_with_db_per_s"] = per_s.into();
        line["restore_with_db_vs_native"] = (per_s / native_per_s).into();
    }
    println!("{line}");
    Ok(())
}
