//! Causeway's sequencer.
//!
//! Users submit signed transfers and withdrawals over HTTP ([`api`]). Handlers verify
//! signatures in parallel; the [`mempool`] task checks each transaction against the accepted
//! state in arrival order and commits groups of them to PostgreSQL before replying; the
//! [`sealer`] cuts committed transactions into batches, applies them to the sealed state tree
//! and stores each batch with its witness and a proof job; the [`proved`] follower keeps the
//! state as of the newest proved batch for account proofs. [`Sequencer::start`] recovers all of
//! this from the database after any crash: the sealed state from the `accounts` table, the
//! accepted state by replaying the committed transactions not yet sealed.

pub mod api;
pub mod config;
mod error;
pub mod explorer;
pub mod mempool;
mod metrics;
pub mod observe;
pub mod openapi;
pub mod proved;
pub mod sealer;
mod server;
mod tasks;
pub mod verify;
pub mod views;
pub mod watcher;

pub use config::SequencerConfig;
pub use error::{ApiError, SequencerError};
pub use proved::ProvedState;
pub use sealer::SealCriterion;

use causeway_db::{Db, PgConnection, rollup::RollupRow};
use causeway_protocol::{
    Account, AccountIndex, Domain, Ledger, State,
    field::{fr_from_be_bytes, fr_to_be_bytes},
    pubdata::MAX_OP_CHUNKS,
    wire::Genesis,
};
use std::{
    collections::{BTreeSet, HashMap},
    net::SocketAddr,
    sync::{
        Arc, RwLock,
        atomic::{AtomicI64, AtomicUsize},
    },
    time::Duration,
};
use tokio::{
    sync::{mpsc, watch},
    task::JoinHandle,
};

/// Submissions that may wait for the mempool task before new ones get 429.
pub const SUBMISSION_QUEUE: usize = 65_536;

/// The rollup's fixed parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Tree depth in bits.
    pub depth: u32,
    /// Slots per batch.
    pub slots: usize,
    /// The operator's fee account.
    pub fee_account: AccountIndex,
    /// The deployment whose signatures and batches this rollup takes.
    pub domain: Domain,
}

/// The accepted state as readers see it: committed transactions only.
#[derive(Debug)]
pub struct AcceptedView {
    /// Accounts.
    pub ledger: Ledger,
    /// Every account holding a packed public key, in index order. Anyone can deposit with any
    /// key, so a key may name several accounts with different owners: nothing resolves a key
    /// to one account.
    pub by_key: HashMap<[u8; 32], BTreeSet<AccountIndex>>,
}

impl AcceptedView {
    fn replace(&mut self, ledger: Ledger) {
        self.by_key = HashMap::new();
        for (i, a) in ledger.accounts() {
            self.by_key.entry(a.pubkey.pack()).or_default().insert(i);
        }
        self.ledger = ledger;
    }

    fn set(&mut self, index: AccountIndex, account: Account) {
        if self.ledger.account(index).is_empty() && !account.is_empty() {
            self.by_key.entry(account.pubkey.pack()).or_default().insert(index);
        }
        let _ = self.ledger.insert(index, account);
    }
}

/// What the tasks and handlers share.
pub struct Shared {
    db: Db,
    config: SequencerConfig,
    params: Params,
    accepted: RwLock<AcceptedView>,
    proved: RwLock<ProvedState>,
    submit: mpsc::Sender<mempool::Submission>,
    /// Slots of committed transactions waiting to be sealed.
    pending: AtomicUsize,
    /// The newest sealed batch.
    sealed_through: AtomicI64,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// The contract's verifying keys, read on the first `GET /v1/verifying-key`.
    verifying_keys: tokio::sync::OnceCell<views::VerifyingKeys>,
    /// The listed tokens read so far, and when the registry was last read.
    tokens: tokio::sync::Mutex<api::TokenCache>,
    /// The core tasks' heartbeats.
    beats: tasks::Beats,
    /// Signature checks, off the async workers.
    verifier: verify::Verifier,
}

/// A running sequencer.
pub struct Sequencer {
    /// The address the API listens on.
    pub addr: SocketAddr,
    /// The address `/metrics` is served on when it has its own.
    pub metrics_addr: Option<SocketAddr>,
    /// The rollup's parameters.
    pub params: Params,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    ended: mpsc::UnboundedReceiver<String>,
}

/// How often a standby asks for the single-writer lock.
pub const STANDBY_POLL: Duration = Duration::from_millis(250);
/// How often the holder checks that it still holds the lock.
pub const LOCK_CHECK: Duration = Duration::from_secs(1);

/// Takes the single-writer lock (waiting for it as a standby when configured so): its
/// connection, which holds it, and the new writer epoch.
async fn single_writer_lock(config: &SequencerConfig) -> Result<(PgConnection, i64), SequencerError> {
    let mut conn: Option<PgConnection> = None;
    let mut standing_by = false;
    loop {
        let outcome: Result<Option<i64>, causeway_db::DbError> = async {
            let c = match conn.as_mut() {
                Some(c) => c,
                None => {
                    let mut c = causeway_db::hosts::connect_one(&config.database_url).await?;
                    Db::migrate(&mut c).await?;
                    conn.insert(c)
                }
            };
            causeway_db::rollup::lock_sequencer(c).await
        }
        .await;
        match outcome {
            Ok(Some(epoch)) => {
                if standing_by {
                    tracing::info!(epoch, "took over the single-writer lock: starting");
                }
                if let Some(c) = conn.take() {
                    return Ok((c, epoch));
                }
            }
            Ok(None) if !config.standby => return Err(SequencerError::Locked),
            Ok(None) if !standing_by => {
                standing_by = true;
                tracing::info!("standing by: another sequencer holds the single-writer lock on this database");
            }
            Ok(None) => {}
            // A database that does not answer at all is an error at start, as before.
            Err(e) if !standing_by => return Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e, "standing by: the database");
                conn = None;
            }
        }
        tokio::time::sleep(STANDBY_POLL).await;
    }
}

/// Holds the single-writer lock's connection and checks every [`LOCK_CHECK`] that it is alive
/// and that no one has started a later epoch; ends with the reason when either fails (the
/// process must then exit: the fence already refuses its writes once another has taken over).
async fn hold_lock(mut conn: PgConnection, epoch: i64, mut stop: watch::Receiver<bool>) -> Result<(), String> {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(LOCK_CHECK) => {}
            _ = stop.changed() => return Ok(()),
        }
        let check = tokio::time::timeout(LOCK_CHECK * 5, causeway_db::rollup::sequencer_epoch(&mut conn)).await;
        match check {
            Ok(Ok(e)) if e == epoch => {}
            Ok(Ok(e)) => return Err(format!("lost the single-writer lock: another sequencer started epoch {e}")),
            Ok(Err(e)) => return Err(format!("lost the single-writer lock: its connection failed ({e})")),
            Err(_) => return Err("lost the single-writer lock: its connection does not answer".into()),
        }
    }
}

/// The domain a rollup row stores.
pub fn row_domain(row: &RollupRow) -> Result<Domain, SequencerError> {
    let chain_id = u64::try_from(row.chain_id).map_err(|_| SequencerError::Inconsistent("chain id".into()))?;
    let rollup =
        row.rollup_address.as_slice().try_into().map_err(|_| SequencerError::Inconsistent("rollup address".into()))?;
    Ok(Domain::new(chain_id, rollup))
}

fn genesis_state(row: &RollupRow) -> Result<State, SequencerError> {
    let genesis: Genesis = serde_json::from_value(row.genesis.clone())
        .map_err(|e| SequencerError::Genesis(format!("stored genesis: {e}")))?;
    genesis.state(row_domain(row)?).map_err(|e| SequencerError::Genesis(e.to_string()))
}

/// Initialises the database from the genesis file, or checks the file and flags against it.
async fn rollup_row(db: &Db, config: &SequencerConfig) -> Result<RollupRow, SequencerError> {
    let from_file = match &config.genesis {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| SequencerError::Genesis(format!("cannot read {}: {e}", path.display())))?;
            let genesis: Genesis =
                serde_json::from_str(&text).map_err(|e| SequencerError::Genesis(format!("{}: {e}", path.display())))?;
            let state = genesis.state(config.domain).map_err(|e| SequencerError::Genesis(e.to_string()))?;
            Some((genesis, state))
        }
        None => None,
    };
    if let Some(row) = db.rollup().await? {
        if let Some((_, state)) = &from_file
            && fr_to_be_bytes(&state.root()).as_slice() != row.genesis_root.as_slice()
        {
            return Err(SequencerError::Genesis(
                "the genesis file differs from the one this database was started with".into(),
            ));
        }
        let stored = row_domain(&row)?;
        if stored != config.domain {
            return Err(SequencerError::Genesis(format!(
                "this database serves the deployment {stored}, not {} (a database belongs to one deployment)",
                config.domain
            )));
        }
        if let Some(slots) = config.slots
            && slots as i64 != i64::from(row.slots)
        {
            return Err(SequencerError::Genesis(format!(
                "--slots {slots} differs from the {} slots this database was started with",
                row.slots
            )));
        }
        return Ok(row);
    }
    let (genesis, state) =
        from_file.ok_or_else(|| SequencerError::Genesis("a new database needs a genesis file (--genesis)".into()))?;
    let slots = config.slots.unwrap_or(config::DEFAULT_SLOTS);
    if slots < 2 {
        return Err(SequencerError::Genesis("a batch needs at least 2 slots (a withdrawal takes 2)".into()));
    }
    let row = RollupRow {
        depth: genesis.depth as i32,
        slots: slots as i32,
        fee_account: i64::from(genesis.fee_account),
        genesis_root: fr_to_be_bytes(&state.root()).to_vec(),
        genesis: serde_json::to_value(&genesis).map_err(|e| SequencerError::Genesis(e.to_string()))?,
        chain_id: i64::try_from(config.domain.chain_id)
            .map_err(|_| SequencerError::Genesis(format!("chain id {} is too large", config.domain.chain_id)))?,
        rollup_address: config.domain.rollup.to_vec(),
    };
    let accounts: Vec<(i64, Vec<u8>)> = state.accounts().map(|(i, a)| (i64::from(i), a.to_bytes().to_vec())).collect();
    db.init_rollup(&row, &accounts).await?;
    tracing::info!(root = %hex::encode(&row.genesis_root), "database initialised from genesis");
    // Another process may have initialised it first: read back what is stored.
    db.rollup().await?.ok_or_else(|| SequencerError::Genesis("rollup row vanished".into()))
}

/// Loads the sealed state and checks its root against the newest batch (or genesis).
async fn sealed_state(db: &Db, row: &RollupRow, depth: u32) -> Result<(State, i64, i64), SequencerError> {
    let mut state = State::new(depth, row_domain(row)?).map_err(|e| SequencerError::Genesis(e.to_string()))?;
    for (i, bytes) in db.sealed_accounts().await? {
        let index =
            AccountIndex::try_from(i).map_err(|_| SequencerError::Inconsistent(format!("account index {i}")))?;
        let account = Account::from_bytes(&bytes)
            .ok_or_else(|| SequencerError::Inconsistent(format!("account {i} does not decode")))?;
        state.insert(index, account).map_err(|e| SequencerError::Inconsistent(e.to_string()))?;
    }
    let (number, root, last_seq) = db.last_batch().await?.unwrap_or((0, row.genesis_root.clone(), 0));
    let expected = root.as_slice().try_into().ok().and_then(fr_from_be_bytes);
    if expected != Some(state.root()) {
        return Err(SequencerError::Inconsistent(format!("the stored accounts do not give batch {number}'s root")));
    }
    if number == 0 && genesis_state(row)?.root() != state.root() {
        return Err(SequencerError::Inconsistent("the stored genesis does not give the genesis root".into()));
    }
    Ok((state, number, last_seq))
}

impl Sequencer {
    /// Recovers the state from the database (initialising it from genesis the first time),
    /// starts the tasks and serves the API.
    ///
    /// Only one sequencer writes to a database: with [`SequencerConfig::standby`] a second one
    /// waits here until the first releases the single-writer lock (it ends, or its database
    /// connection does), then starts; without, it is refused.
    pub async fn start(config: SequencerConfig) -> Result<Self, SequencerError> {
        let (lock, epoch) = single_writer_lock(&config).await?;
        let db = Db::connect_fenced(&config.database_url, config.db_connections, epoch).await?;
        db.check_not_restoring().await?;
        let row = rollup_row(&db, &config).await?;
        let depth = u32::try_from(row.depth).map_err(|_| SequencerError::Inconsistent("depth".into()))?;
        let mut params = Params {
            depth,
            slots: usize::try_from(row.slots).map_err(|_| SequencerError::Inconsistent("slots".into()))?,
            fee_account: AccountIndex::try_from(row.fee_account)
                .map_err(|_| SequencerError::Inconsistent("fee account".into()))?,
            domain: row_domain(&row)?,
        };
        let (sealed, sealed_number, last_seq) = sealed_state(&db, &row, depth).await?;
        let proved = ProvedState::recover(&db, &sealed).await?;
        if let Some(index) = config.fee_account {
            if sealed.ledger().check_index(index).is_err() || sealed.account(index).is_empty() {
                return Err(SequencerError::Genesis(format!(
                    "--fee-account {index} is not an account of the sealed state: a batch's fees go to an existing \
                     account (deposit into one first)"
                )));
            }
            params.fee_account = index;
        }

        if shared_l1_needs_slots(&config, params.slots) {
            return Err(SequencerError::Genesis(format!(
                "deposits take {MAX_OP_CHUNKS} slots but batches have {}: a rollup on a base chain needs --slots {MAX_OP_CHUNKS} or more",
                params.slots,
            )));
        }
        let (submit, submissions) = mpsc::channel(SUBMISSION_QUEUE);
        let (priority_tx, priority_rx) = mpsc::channel(4);
        let (to_sealer, queued) = mpsc::unbounded_channel();
        let (fee_tx, fee_rx) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            db,
            params,
            accepted: RwLock::new(AcceptedView { ledger: sealed.ledger().clone(), by_key: HashMap::new() }),
            proved: RwLock::new(proved),
            submit,
            pending: AtomicUsize::new(0),
            sealed_through: AtomicI64::new(sealed_number),
            metrics: metrics::install(),
            verifying_keys: tokio::sync::OnceCell::new(),
            tokens: tokio::sync::Mutex::new(api::TokenCache::default()),
            verifier: verify::Verifier::new(
                config.verify_threads,
                Arc::new(verify::Known::new(verify::KNOWN_CAPACITY)),
            ),
            beats: tasks::Beats::new(if config.l1.is_some() {
                &["mempool", "sealer", "proved", "watcher"]
            } else {
                &["mempool", "sealer", "proved"]
            }),
            config,
        });
        let mut mempool = mempool::Mempool {
            shared: shared.clone(),
            working: sealed.ledger().clone(),
            committed_seq: last_seq,
            to_sealer,
            fees: fee_rx,
            resync: false,
        };
        let replayed = mempool.catch_up().await?;
        tracing::info!(
            batch = sealed_number,
            root = %hex::encode(fr_to_be_bytes(&sealed.root())),
            replayed,
            "state recovered"
        );
        let priority_head = shared.db.sealed_priority_head().await? as u64;
        let sealer = sealer::Sealer {
            shared: shared.clone(),
            state: sealed,
            next_number: sealed_number + 1,
            priority_head,
            last_seq,
            fees: fee_tx,
            unsure: false,
        };
        let listener = tokio::net::TcpListener::bind(shared.config.listen).await?;
        let addr = listener.local_addr()?;
        let metrics_listener = match shared.config.metrics_listen {
            Some(a) => Some(tokio::net::TcpListener::bind(a).await?),
            None => None,
        };
        let metrics_addr = metrics_listener.as_ref().map(|l| l.local_addr()).transpose()?;
        let app = api::router(shared.clone());
        let limits = server::Limits {
            header_read: shared.config.header_read_timeout,
            request: shared.config.request_timeout,
            max_connections: shared.config.max_connections,
        };
        let (ended_tx, ended) = mpsc::unbounded_channel();
        let core = |name: &'static str, task: tasks::CoreTask| {
            tasks::spawn_core(name, task, stop_rx.clone(), ended_tx.clone())
        };
        let mut tasks = vec![
            core("mempool", Box::pin(mempool.run(submissions, priority_rx, stop_rx.clone()))),
            core("sealer", Box::pin(sealer.run(queued, stop_rx.clone()))),
            core("proved", Box::pin(proved::follow(shared.clone(), stop_rx.clone()))),
            core("http", Box::pin(server::serve(listener, app, limits, stop_rx.clone()))),
        ];
        if let Some(l) = metrics_listener {
            let app = api::metrics_router(shared.clone());
            tasks.push(core("metrics http", Box::pin(server::serve(l, app, limits, stop_rx.clone()))));
        }
        if let Some(l1) = shared.config.l1.clone() {
            let watcher = watcher::Watcher { shared: shared.clone(), config: l1, to_mempool: priority_tx };
            tasks.push(core("watcher", Box::pin(watcher.run(stop_rx.clone()))));
        }
        tasks.push(core("lock", Box::pin(hold_lock(lock, epoch, stop_rx.clone()))));
        tracing::info!(%addr, ?metrics_addr, epoch, "sequencer listening");
        Ok(Self { addr, metrics_addr, params, stop, tasks, ended })
    }

    /// Waits until a core task ends on its own (a panic, a fatal error): the reason. The
    /// sequencer cannot go on without it: stop it and exit non-zero, so that a supervisor
    /// restarts it (the database has everything).
    pub async fn failed(&mut self) -> String {
        self.ended.recv().await.unwrap_or_else(|| "every core task ended".into())
    }

    /// Stops accepting, lets in-flight requests finish (at most `grace`), and stops the tasks.
    pub async fn shutdown(self, grace: std::time::Duration) {
        let _ = self.stop.send(true);
        let all = futures_join(self.tasks);
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("shutdown grace period passed; stopping anyway");
        }
    }
}

fn shared_l1_needs_slots(config: &SequencerConfig, slots: usize) -> bool {
    config.l1.is_some() && slots < MAX_OP_CHUNKS
}

async fn futures_join(tasks: Vec<JoinHandle<()>>) {
    for t in tasks {
        let _ = t.await;
    }
}
