//! The long-running services (`causeway sequencer`, `causeway prover`, `causeway settler`) and
//! `causeway genesis`.

use causeway_l1::settler::{self, Settler, SettlerConfig};
use causeway_prover::worker::{self, WorkerConfig};
use causeway_sequencer::{
    Sequencer, SequencerConfig, config as sc,
    watcher::{self, L1Config},
};
use clap::Args;
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use tokio::sync::watch;

/// `causeway sequencer` flags (each also read from the environment).
#[derive(Args)]
pub(crate) struct SequencerArgs {
    /// PostgreSQL URL.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// HTTP listen address.
    #[arg(long, env = "CAUSEWAY_LISTEN", default_value = sc::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Genesis file (required the first time a database is used).
    #[arg(long, env = "CAUSEWAY_GENESIS")]
    genesis: Option<PathBuf>,
    /// Slots per batch (fixed when the database is initialised; default 32).
    #[arg(long, env = "CAUSEWAY_SLOTS")]
    slots: Option<usize>,
    /// Seal a batch that is not full this many milliseconds after its first transaction.
    #[arg(long, env = "CAUSEWAY_BATCH_TIMEOUT_MS", default_value_t = sc::DEFAULT_BATCH_TIMEOUT.as_millis() as u64)]
    batch_timeout_ms: u64,
    /// Slots of accepted, unsealed transactions beyond which submissions get 429.
    #[arg(long, env = "CAUSEWAY_MEMPOOL_LIMIT", default_value_t = sc::DEFAULT_MEMPOOL_LIMIT)]
    mempool_limit: usize,
    /// Largest request body in bytes.
    #[arg(long, env = "CAUSEWAY_MAX_BODY_BYTES", default_value_t = sc::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// The existing account the batches' fees go to [default: the genesis file's fee
    /// account]. A party taking the rollup over in open mode names its own.
    #[arg(long, env = "CAUSEWAY_FEE_ACCOUNT")]
    fee_account: Option<u32>,
    /// Attempts a prover gets per batch.
    #[arg(long, env = "CAUSEWAY_MAX_PROVE_ATTEMPTS", default_value_t = sc::DEFAULT_MAX_PROVE_ATTEMPTS)]
    max_prove_attempts: i32,
    #[command(flatten)]
    rollup: crate::chain::ContractArgs,
    /// Base-chain JSON-RPC URL.
    #[arg(long, env = "CAUSEWAY_RPC", default_value = "http://127.0.0.1:8545")]
    rpc: String,
    /// Blocks (the including one counted) before a deposit or full exit is read.
    #[arg(long, env = "CAUSEWAY_CONFIRMATIONS", default_value_t = watcher::DEFAULT_CONFIRMATIONS)]
    confirmations: u64,
    /// Refuse to start when another sequencer holds the database's single-writer lock, instead
    /// of standing by until it is released.
    #[arg(long, env = "CAUSEWAY_NO_STANDBY")]
    no_standby: bool,
    /// Seconds a client has to send a request's headers (an idle kept-alive connection is closed
    /// after it too).
    #[arg(long, env = "CAUSEWAY_HEADER_READ_TIMEOUT_SECS", default_value_t = sc::DEFAULT_HEADER_READ_TIMEOUT.as_secs_f64())]
    header_read_timeout_secs: f64,
    /// Seconds a request (body and handling) may take before it is answered 408.
    #[arg(long, env = "CAUSEWAY_REQUEST_TIMEOUT_SECS", default_value_t = sc::DEFAULT_REQUEST_TIMEOUT.as_secs_f64())]
    request_timeout_secs: f64,
    /// Open connections beyond which the server stops accepting until one closes.
    #[arg(long, env = "CAUSEWAY_MAX_CONNECTIONS", default_value_t = sc::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Requests whose signatures are checked at once, off the async workers (default: one per
    /// core).
    #[arg(long, env = "CAUSEWAY_VERIFY_THREADS")]
    verify_threads: Option<usize>,
    /// Serve `/metrics` on this address only, not on the API's.
    #[arg(long, env = "CAUSEWAY_METRICS_LISTEN")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// The smallest fee in wei a transfer or withdrawal may pay (422 `fee_too_low` below it).
    #[arg(long, env = "CAUSEWAY_MIN_FEE_WEI", default_value_t = 0)]
    min_fee_wei: u128,
    /// `/health` fails (503 `stale`) when a core task has not reported progress for this many
    /// seconds.
    #[arg(long, env = "CAUSEWAY_STALE_AFTER_SECS", default_value_t = sc::DEFAULT_STALE_AFTER.as_secs_f64())]
    stale_after_secs: f64,
    /// Milliseconds between polls of the base chain.
    #[arg(long, default_value_t = watcher::DEFAULT_POLL.as_millis() as u64)]
    l1_poll_ms: u64,
    /// First base-chain block to read on a new database [default: the deployment file's
    /// `deployed_at_block`, else 0].
    #[arg(long, env = "CAUSEWAY_FROM_BLOCK")]
    from_block: Option<u64>,
}

/// `causeway prover` flags.
#[derive(Args)]
pub(crate) struct ProverArgs {
    /// Key directory made by `causeway setup` (must match the rollup's depth and slots).
    #[arg(long, env = "CAUSEWAY_KEYS")]
    keys: PathBuf,
    /// PostgreSQL URL.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Worker name in the job table (default: host name and process id).
    #[arg(long, env = "CAUSEWAY_WORKER")]
    name: Option<String>,
    /// Lease on a claimed job in seconds (renewed every third of it).
    #[arg(long, default_value_t = worker::DEFAULT_LEASE.as_secs_f64())]
    lease_secs: f64,
    /// Stop after storing this many proofs.
    #[arg(long)]
    max_jobs: Option<usize>,
    #[command(flatten)]
    observe: ObserveArgs,
}

/// `/metrics` and `/health` of a prover or settler.
#[derive(Args)]
pub(crate) struct ObserveArgs {
    /// Serve `/metrics` and `/health` on this address [default: not served].
    #[arg(long, env = "CAUSEWAY_METRICS_LISTEN")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// `/health` answers 503 `stale` when the service's loop has not reported for this many
    /// seconds.
    #[arg(long, env = "CAUSEWAY_STALE_AFTER_SECS", default_value_t = 120.0)]
    stale_after_secs: f64,
}

impl ObserveArgs {
    /// Starts the endpoints when asked for: the heartbeat sender for the service's loop, and
    /// the endpoints' stop switch, which serves them while it is kept.
    async fn start(
        &self,
        service: &'static str,
        database_url: &str,
    ) -> Result<(Option<watch::Sender<tokio::time::Instant>>, Option<watch::Sender<bool>>), String> {
        let Some(listen) = self.metrics_listen else { return Ok((None, None)) };
        let db = causeway_db::Db::connect_with(database_url, 1).await.map_err(|e| format!("database: {e}"))?;
        let (beat, beats) = causeway_sequencer::observe::heartbeat();
        let stale = Duration::from_secs_f64(self.stale_after_secs.max(0.1));
        let (stop, stop_rx) = watch::channel(false);
        let (addr, _task) = causeway_sequencer::observe::serve(listen, service, beats, stale, db, stop_rx)
            .await
            .map_err(|e| format!("--metrics-listen {listen}: {e}"))?;
        println!("{service} metrics and health on http://{addr}");
        Ok((Some(beat), Some(stop)))
    }
}

/// `causeway settler` flags.
#[derive(Args)]
pub(crate) struct SettlerArgs {
    /// PostgreSQL URL.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Base-chain JSON-RPC URL.
    #[arg(long, env = "CAUSEWAY_RPC", default_value = "http://127.0.0.1:8545")]
    rpc: String,
    #[command(flatten)]
    rollup: crate::chain::ContractArgs,
    /// The operator's private key (hex) [default: anvil's first development key].
    #[arg(long, env = "CAUSEWAY_OPERATOR_KEY", default_value = causeway_l1::DEV_OPERATOR_KEY, hide_default_value = true)]
    operator_key: String,
    /// Blocks (the including one counted) before a submitted batch is final.
    #[arg(long, env = "CAUSEWAY_CONFIRMATIONS", default_value_t = settler::DEFAULT_CONFIRMATIONS)]
    confirmations: u64,
    /// Seconds a submission may stay unmined before it is re-priced (+12.5% fees, same nonce).
    #[arg(long, env = "CAUSEWAY_RESUBMIT_SECS", default_value_t = settler::DEFAULT_RESUBMIT_AFTER.as_secs_f64())]
    resubmit_secs: f64,
    /// Refuse to start when another settler holds the database's settler lock, instead of
    /// standing by until it is released.
    #[arg(long, env = "CAUSEWAY_NO_STANDBY")]
    no_standby: bool,
    #[command(flatten)]
    observe: ObserveArgs,
    /// Milliseconds between passes.
    #[arg(long, default_value_t = settler::DEFAULT_POLL.as_millis() as u64)]
    poll_ms: u64,
}

/// `causeway genesis` flags.
#[derive(Args)]
pub(crate) struct GenesisArgs {
    /// State tree depth in bits (even).
    #[arg(long, default_value_t = 24)]
    depth: u32,
    /// Sample accounts 0..N (account 0 collects fees), each with 1000 ether.
    #[arg(long, default_value_t = 16)]
    accounts: u32,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
}

/// arkworks instruments constraint synthesis with spans that Debug-format the whole constraint
/// system (gigabytes for a batch circuit); those targets stay off whatever RUST_LOG says.
const SILENCED: &[&str] = &["gr1cs=off", "r1cs=off", "ark_relations=off", "ark_r1cs_std=off", "ark_groth16=off"];

pub(crate) fn init_tracing() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    for d in SILENCED {
        if let Ok(d) = d.parse() {
            filter = filter.add_directive(d);
        }
    }
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("tokio runtime: {e}"))
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

pub(crate) fn sequencer(args: SequencerArgs) -> Result<(), String> {
    init_tracing();
    let l1 = match args.rollup.is_given() {
        false => None,
        true => Some(L1Config {
            rpc: args.rpc.clone(),
            contract: args.rollup.address()?,
            confirmations: args.confirmations.max(1),
            poll: Duration::from_millis(args.l1_poll_ms.max(10)),
            from_block: args.from_block.unwrap_or_else(|| args.rollup.deployed_at_block()),
        }),
    };
    let mut config = SequencerConfig {
        l1,
        listen: args.listen,
        genesis: args.genesis,
        slots: args.slots,
        batch_timeout: Duration::from_millis(args.batch_timeout_ms),
        mempool_limit: args.mempool_limit,
        max_body_bytes: args.max_body_bytes,
        max_prove_attempts: args.max_prove_attempts,
        stale_after: Duration::from_secs_f64(args.stale_after_secs.max(0.1)),
        standby: !args.no_standby,
        min_fee: args.min_fee_wei,
        header_read_timeout: Duration::from_secs_f64(args.header_read_timeout_secs.max(0.1)),
        request_timeout: Duration::from_secs_f64(args.request_timeout_secs.max(0.1)),
        max_connections: args.max_connections.max(1),
        verify_threads: args.verify_threads.unwrap_or_else(sc::default_verify_threads).max(1),
        metrics_listen: args.metrics_listen,
        fee_account: args.fee_account,
        ..SequencerConfig::new(args.database_url)
    };
    runtime()?.block_on(async {
        if args.rollup.is_given() {
            config.domain = args.rollup.domain(&args.rpc).await?;
        }
        let mut seq = Sequencer::start(config).await.map_err(|e| e.to_string())?;
        println!("sequencer listening on http://{}", seq.addr);
        if let Some(m) = seq.metrics_addr {
            println!("metrics on http://{m}/metrics");
        }
        // A core task that ends on its own ends the process, non-zero, for a supervisor to
        // restart it: serving on without it would accept what nothing seals.
        let failed = tokio::select! {
            _ = shutdown_signal() => None,
            reason = seq.failed() => Some(reason),
        };
        tracing::info!("shutting down");
        seq.shutdown(Duration::from_secs(10)).await;
        failed.map_or(Ok(()), |reason| Err(format!("stopped: {reason}")))
    })
}

pub(crate) fn prover(args: ProverArgs) -> Result<(), String> {
    init_tracing();
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_else(|_| "host".into());
    let mut config = WorkerConfig {
        database_url: args.database_url,
        keys: args.keys,
        name: args.name.unwrap_or_else(|| format!("{host}-{}", std::process::id())),
        lease: Duration::from_secs_f64(args.lease_secs.max(0.3)),
        poll: worker::DEFAULT_POLL,
        max_jobs: args.max_jobs,
        heartbeat: None,
    };
    runtime()?.block_on(async {
        let (heartbeat, _endpoints) = args.observe.start("prover", &config.database_url).await?;
        config.heartbeat = heartbeat;
        let n = until_signal("worker", "stopping after the current proof", |stop| worker::run(config, stop)).await?;
        println!("stored {n} proofs");
        Ok(())
    })
}

/// Runs a service task until it ends, or until Ctrl-C / SIGTERM asks it to stop (through the
/// channel it is given) and it has.
async fn until_signal<T, E, F>(
    name: &str,
    stopping: &str,
    task: impl FnOnce(watch::Receiver<bool>) -> F,
) -> Result<T, String>
where
    F: std::future::Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let (stop, stop_rx) = watch::channel(false);
    let mut work = tokio::spawn(task(stop_rx));
    let result = tokio::select! {
        r = &mut work => r,
        _ = shutdown_signal() => {
            tracing::info!("{stopping}");
            let _ = stop.send(true);
            work.await
        }
    };
    match result {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(e) => Err(format!("{name} task: {e}")),
    }
}

pub(crate) fn settler(args: SettlerArgs) -> Result<(), String> {
    init_tracing();
    let contract = args.rollup.address()?;
    let mut config = SettlerConfig {
        confirmations: args.confirmations.max(1),
        resubmit_after: Duration::from_secs_f64(args.resubmit_secs.max(0.1)),
        poll: Duration::from_millis(args.poll_ms.max(10)),
        standby: !args.no_standby,
        ..SettlerConfig::new(args.rpc, contract, args.operator_key)
    };
    runtime()?.block_on(async {
        let (heartbeat, _endpoints) = args.observe.start("settler", &args.database_url).await?;
        config.heartbeat = heartbeat;
        let db = causeway_db::Db::connect_with(&args.database_url, 2).await.map_err(|e| e.to_string())?;
        // Started beside a sequencer that has not initialised the database yet: wait for it.
        let mut told = false;
        while db.rollup().await.map_err(|e| e.to_string())?.is_none() {
            if !told {
                tracing::info!("waiting for the sequencer to initialise the database");
                told = true;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let settler = Settler::connect(db, config).await.map_err(|e| e.to_string())?;
        println!("settling to {contract} as operator {}", settler.operator());
        until_signal("settler", "stopping", |stop| settler.run(stop)).await
    })
}

pub(crate) fn genesis(args: GenesisArgs) -> Result<(), String> {
    causeway_protocol::tree::check_depth(args.depth).map_err(|e| format!("--depth: {e}"))?;
    if args.accounts == 0 {
        return Err("--accounts must be at least 1 (account 0 collects fees)".into());
    }
    let g = causeway_prover::sample::sample_genesis_file(args.depth, args.accounts).map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&g).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, text).map_err(|e| format!("{}: {e}", args.out.display()))?;
    eprintln!(
        "sample accounts use public development keys (`causeway_prover::sample::sample_key`): never for real funds"
    );
    println!("wrote a genesis of {} accounts at depth {} to {}", args.accounts, args.depth, args.out.display());
    Ok(())
}
