//! `causeway takeover`: carries a rollup on when its operator has stopped or censors
//! (docs/operations.md, "When the operator censors or is gone"). With its own base-chain key and
//! its own database, a party turns open mode on if asked to, rebuilds the database from the
//! chain (`causeway restore`'s work), and runs a sequencer, a prover and a settler in this one
//! process, submitting with its key and taking the fees into its own account. It prints the
//! takeover time: from the start (the opening included) to its first batch the Rollup accepts.
//!
//! When another submitter's batch is accepted in place of its own (a race for the same root,
//! or the operator coming back), the services stop; the database is emptied and rebuilt from
//! the chain, the signed transactions it held that were not final are submitted again (those
//! the chain already has are refused), and the services start anew: the loser carries on.

use crate::open::Opening;
use alloy::{primitives::Address, providers::DynProvider};
use causeway_db::Db;
use causeway_l1::{
    Rollup,
    restore::RestoreInput,
    settler::{self, Settler, SettlerConfig},
};
use causeway_protocol::wire::{Genesis, SignedTx};
use causeway_prover::worker::{self, WorkerConfig};
use causeway_sequencer::{
    Sequencer, SequencerConfig, config as sc,
    watcher::{self, L1Config},
};
use clap::Args;
use std::{
    net::SocketAddr,
    path::PathBuf,
    time::{Duration, Instant},
};
use tokio::sync::watch;

/// `causeway takeover` flags.
#[derive(Args)]
pub(crate) struct TakeoverArgs {
    /// PostgreSQL URL of the taker's own database: an empty one, one whose restore was
    /// interrupted, or one an earlier `causeway takeover` of this Rollup used.
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
    /// Key directory with the deployment's batch keys (its verifying key must be the contract's):
    /// the restore checks every proof with it, the prover proves with it.
    #[arg(long, env = "CAUSEWAY_KEYS")]
    keys: PathBuf,
    /// The taker's base-chain private key (hex): it signs the batches' submissions (and the
    /// opening, with --open-mode).
    #[arg(long, env = "CAUSEWAY_L1_KEY")]
    l1_key: String,
    /// The taker's own rollup account, which the fees of its batches go to.
    #[arg(long, env = "CAUSEWAY_FEE_ACCOUNT")]
    fee_account: u32,
    /// Turn open mode on first if it is off (as `causeway open-mode`), waiting until the oldest
    /// waiting priority request has waited the open delay.
    #[arg(long)]
    open_mode: bool,
    /// The API's listen address.
    #[arg(long, env = "CAUSEWAY_LISTEN", default_value = sc::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Blocks (the including one counted) before a priority request is read and a submitted
    /// batch is final.
    #[arg(long, env = "CAUSEWAY_CONFIRMATIONS", default_value_t = watcher::DEFAULT_CONFIRMATIONS)]
    confirmations: u64,
    /// Seal a batch that is not full this many milliseconds after its first transaction.
    #[arg(long, env = "CAUSEWAY_BATCH_TIMEOUT_MS", default_value_t = sc::DEFAULT_BATCH_TIMEOUT.as_millis() as u64)]
    batch_timeout_ms: u64,
    /// Milliseconds between polls of the base chain (the watcher's and the settler's).
    #[arg(long, default_value_t = watcher::DEFAULT_POLL.as_millis() as u64)]
    l1_poll_ms: u64,
}

/// How one run of the services ended.
enum Ended {
    /// Ctrl-C or SIGTERM.
    Asked,
    /// A service stopped on its own, with this reason.
    Failed(String),
}

pub(crate) fn run(args: TakeoverArgs) -> Result<(), String> {
    crate::node::init_tracing();
    let started = Instant::now();
    let contract = args.rollup.address()?;
    let text = std::fs::read_to_string(&args.genesis).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let genesis: Genesis = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let (vk, meta) = causeway_prover::keys::load_verifying_key(&args.keys).map_err(|e| e.to_string())?;
    if meta.params.depth != genesis.depth {
        return Err(format!(
            "the keys are for depth {} but the genesis has depth {}",
            meta.params.depth, genesis.depth
        ));
    }
    let taker = causeway_l1::address_of(&args.l1_key).map_err(|e| format!("--l1-key: {e}"))?;
    crate::chain::runtime()?.block_on(async {
        let domain = args.rollup.domain(&args.rpc).await?;
        let provider = causeway_l1::wallet_provider(&args.rpc, &args.l1_key).map_err(|e| e.to_string())?;
        let rollup = causeway_l1::rollup(&provider, contract);
        let read = |e: alloy::contract::Error| format!("{}: {e}", args.rpc);
        if rollup.exodusMode().call().await.map_err(read)? {
            return Err("the Rollup is in exodus mode: no batch is accepted any more; users exit with \
                        `causeway exodus`"
                .into());
        }
        let operator = rollup.operator().call().await.map_err(read)?;
        if operator != taker && !rollup.openMode().call().await.map_err(read)? {
            if !args.open_mode {
                return Err(format!(
                    "the Rollup is not in open mode and {taker} is not its operator ({operator}): turn open mode \
                     on first (`causeway open-mode`, or --open-mode here)"
                ));
            }
            let mut told = false;
            loop {
                match crate::open::activate(&provider, contract, &args.rpc).await? {
                    Opening::AlreadyOn => break,
                    Opening::TurnedOn { block, tx } => {
                        println!("turned open mode on in block {block} (transaction {tx})");
                        break;
                    }
                    Opening::NotYet { from, left } => {
                        if !told {
                            told = true;
                            println!("{}: waiting for it", crate::open::not_yet(from, left));
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                            _ = crate::node::shutdown_signal() => return Ok(()),
                        }
                    }
                }
            }
        }
        let opening = started.elapsed();
        let db = Db::connect_with(&args.database_url, 2).await.map_err(|e| format!("database: {e}"))?;
        let reader = causeway_l1::reading_provider(&args.rpc).map_err(|e| format!("--rpc: {e}"))?;
        let chain = Chain { reader: &reader, contract, rpc: &args.rpc };
        let input = RestoreInput {
            genesis: &genesis,
            vk: Some(&vk),
            from_block: args.rollup.deployed_at_block(),
            confirmations: args.confirmations.max(1),
        };
        let mut requeue = Vec::new();
        // Set once the takeover time is printed: a taker that lost its first race prints it at its
        // first batch accepted after rebuilding, its restores all counted.
        let printed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut restore_time = Duration::ZERO;
        loop {
            let restore_started = Instant::now();
            let count = prepare(&db, &chain, &input, &mut requeue).await?;
            restore_time += restore_started.elapsed();
            let services = Services::start(&args, domain, contract, taker).await?;
            println!(
                "taking the rollup over from batch {count}: API on http://{}, submitting as {taker}, fees to account {}",
                services.seq.addr, args.fee_account
            );
            if !requeue.is_empty() {
                resubmit(services.seq.addr, std::mem::take(&mut requeue)).await;
            }
            let first_accepted = (!printed.load(std::sync::atomic::Ordering::SeqCst)).then(|| {
                let (db, printed) = (db.clone(), printed.clone());
                tokio::spawn(async move {
                    loop {
                        if let Ok(s) = db.settlement_summary().await
                            && let Some(n) = s.last_submitted.filter(|n| *n as u64 > count)
                        {
                            let total = started.elapsed().as_secs_f64();
                            let (opening, restore) = (opening.as_secs_f64(), restore_time.as_secs_f64());
                            println!(
                                "takeover: batch {n}, the first of ours, was accepted by the Rollup {total:.1} s after \
                                 this command started (checks and opening {opening:.1} s, restore {restore:.1} s, then \
                                 {:.1} s to seal, prove and submit it)",
                                total - opening - restore
                            );
                            printed.store(true, std::sync::atomic::Ordering::SeqCst);
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                })
            });
            let ended = services.run().await;
            if let Some(t) = first_accepted {
                t.abort();
            }
            match ended {
                Ended::Asked => {
                    println!("stopped");
                    return Ok(());
                }
                Ended::Failed(reason) if chain.left_behind(&db).await?.1 => {
                    eprintln!(
                        "another party's batch was accepted in place of ours ({reason}): rebuilding the database \
                         from the chain and carrying on"
                    );
                }
                Ended::Failed(reason) => return Err(reason),
            }
        }
    })
}

/// The Rollup, read without a key.
struct Chain<'a> {
    reader: &'a DynProvider,
    contract: Address,
    rpc: &'a str,
}

impl Chain<'_> {
    /// The Rollup's batch count, and whether the chain has moved where this database cannot
    /// follow: the Rollup's root after that count is not the root this database holds for that
    /// batch, or this database does not hold that batch as accepted (another submitter's batch
    /// was accepted in place of its own, with the same root when both executed the same
    /// requests and nothing else).
    async fn left_behind(&self, db: &Db) -> Result<(u64, bool), String> {
        let rollup = Rollup::new(self.contract, self.reader.clone());
        let read = |e: alloy::contract::Error| format!("{}: {e}", self.rpc);
        let count = rollup.batchCount().call().await.map_err(read)?;
        let root = rollup.stateRoot().call().await.map_err(read)?;
        let database = |e: causeway_db::DbError| format!("database: {e}");
        if count == 0 {
            let genesis = db.rollup().await.map_err(database)?.map(|r| r.genesis_root);
            return Ok((count, genesis.as_deref() != Some(root.as_slice())));
        }
        let behind = match db.batch(count as i64).await.map_err(database)? {
            Some(b) => {
                b.new_root.as_slice() != root.as_slice() || !matches!(b.status.as_str(), "submitted" | "finalized")
            }
            None => true,
        };
        Ok((count, behind))
    }
}

/// Makes the database one the services can start from, and returns the Rollup's batch count
/// then: an empty database or an interrupted restore is restored; a database the chain has
/// left behind has its signed, not yet final transactions put into `requeue`, and is emptied
/// and restored; a database that follows the chain is used as it is.
async fn prepare(
    db: &Db,
    chain: &Chain<'_>,
    input: &RestoreInput<'_>,
    requeue: &mut Vec<SignedTx>,
) -> Result<u64, String> {
    let database = |e: causeway_db::DbError| format!("database: {e}");
    let progress = db.restore_progress().await.map_err(database)?;
    let unfinished = progress.as_ref().is_some_and(|p| p.finished_at.is_none());
    if !unfinished && !db.is_empty().await.map_err(database)? {
        let row = db.rollup().await.map_err(database)?.ok_or("the database has transactions but no rollup row")?;
        if row.rollup_address.as_slice() != chain.contract.as_slice() {
            return Err(format!(
                "this database holds the rollup of the Rollup at 0x{}, not {}: take over with another (empty) database",
                hex::encode(&row.rollup_address),
                chain.contract
            ));
        }
        let (count, behind) = chain.left_behind(db).await?;
        if !behind {
            println!("the database follows the chain (batch {count}): starting from it");
            return Ok(count);
        }
        for body in db.signed_txs_after_finalized().await.map_err(database)? {
            if let Ok(tx) = serde_json::from_value::<SignedTx>(body) {
                requeue.push(tx);
            }
        }
        println!(
            "the chain has left this database behind: emptying it and rebuilding it from the chain ({} signed \
             transactions it held that were not final will be submitted again)",
            requeue.len()
        );
        db.wipe().await.map_err(database)?;
    }
    let restore_started = Instant::now();
    let r = crate::restore::restore_showing_progress(chain.reader, chain.contract, db, input, chain.rpc).await?;
    crate::restore::print_restored(&r, chain.contract, restore_started.elapsed(), true);
    Ok(r.batches)
}

/// Submits again, through the API, the signed transactions a database the chain left behind
/// held; reports how many were accepted (the others are in the chain's history already, or no
/// longer valid).
async fn resubmit(api: SocketAddr, txs: Vec<SignedTx>) {
    let http = reqwest::Client::new();
    let (mut accepted, mut refused) = (0usize, 0usize);
    for chunk in txs.chunks(256) {
        let answer = http.post(format!("http://{api}/v1/txs")).json(chunk).send().await;
        let body = match answer {
            Ok(a) => a.json::<serde_json::Value>().await.unwrap_or_default(),
            Err(e) => {
                tracing::warn!("resubmitting {} transactions: {e}", chunk.len());
                refused += chunk.len();
                continue;
            }
        };
        let results = body["results"].as_array().cloned().unwrap_or_default();
        let ok = results.iter().filter(|r| r.get("error").is_none()).count();
        accepted += ok;
        refused += chunk.len() - ok;
    }
    println!("submitted again: {accepted} transactions accepted, {refused} refused (already on chain or invalid)");
}

/// The sequencer, prover and settler of one round.
struct Services {
    seq: Sequencer,
    stop: watch::Sender<bool>,
    prover: tokio::task::JoinHandle<Result<usize, worker::WorkerError>>,
    settler: tokio::task::JoinHandle<Result<(), settler::SettlerError>>,
}

impl Services {
    async fn start(
        args: &TakeoverArgs,
        domain: causeway_protocol::Domain,
        contract: Address,
        taker: Address,
    ) -> Result<Self, String> {
        let poll = Duration::from_millis(args.l1_poll_ms.max(10));
        let mut config = SequencerConfig::new(args.database_url.clone());
        config.listen = args.listen;
        config.batch_timeout = Duration::from_millis(args.batch_timeout_ms);
        config.fee_account = Some(args.fee_account);
        config.l1 = Some(L1Config {
            rpc: args.rpc.clone(),
            contract,
            confirmations: args.confirmations.max(1),
            poll,
            from_block: args.rollup.deployed_at_block(),
        });
        config.domain = domain;
        let seq = Sequencer::start(config).await.map_err(|e| format!("sequencer: {e}"))?;
        let (stop, stop_rx) = watch::channel(false);
        let prover = tokio::spawn(worker::run(
            WorkerConfig {
                database_url: args.database_url.clone(),
                keys: args.keys.clone(),
                name: format!("takeover-{taker}"),
                lease: worker::DEFAULT_LEASE,
                poll: worker::DEFAULT_POLL,
                max_jobs: None,
                heartbeat: None,
            },
            stop_rx.clone(),
        ));
        let db = Db::connect_with(&args.database_url, 2).await.map_err(|e| format!("database: {e}"))?;
        let config = SettlerConfig {
            confirmations: args.confirmations.max(1),
            poll,
            ..SettlerConfig::new(args.rpc.clone(), contract, args.l1_key.clone())
        };
        let settler = match Settler::connect(db, config).await {
            Ok(s) => tokio::spawn(s.run(stop_rx)),
            Err(e) => {
                let _ = stop.send(true);
                seq.shutdown(Duration::from_secs(5)).await;
                let _ = tokio::time::timeout(Duration::from_secs(5), prover).await;
                return Err(format!("settler: {e}"));
            }
        };
        Ok(Self { seq, stop, prover, settler })
    }

    /// Runs until Ctrl-C or SIGTERM, or until the settler, the prover or a core task of the
    /// sequencer stops; then stops the rest.
    async fn run(self) -> Ended {
        let Self { mut seq, stop, mut prover, mut settler } = self;
        let ended = tokio::select! {
            _ = crate::node::shutdown_signal() => {
                tracing::info!("stopping the sequencer, prover and settler");
                Ended::Asked
            }
            r = &mut settler => Ended::Failed(match r {
                Ok(Ok(())) => "the settler stopped".into(),
                Ok(Err(e)) => format!("settler: {e}"),
                Err(e) => format!("settler task: {e}"),
            }),
            r = &mut prover => Ended::Failed(match r {
                Ok(Ok(_)) => "the prover stopped".into(),
                Ok(Err(e)) => format!("prover: {e}"),
                Err(e) => format!("prover task: {e}"),
            }),
            reason = seq.failed() => Ended::Failed(format!("sequencer: {reason}")),
        };
        let _ = stop.send(true);
        seq.shutdown(Duration::from_secs(5)).await;
        if !settler.is_finished() {
            let _ = tokio::time::timeout(Duration::from_secs(5), settler).await;
        }
        if !prover.is_finished() {
            let _ = tokio::time::timeout(Duration::from_secs(5), prover).await;
        }
        ended
    }
}
