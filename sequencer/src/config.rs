//! Sequencer configuration: a plain struct with documented defaults. The CLI maps flags and
//! environment variables onto it.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Where the HTTP API listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
/// Slots per batch when a database is initialised without `--slots`.
pub const DEFAULT_SLOTS: usize = 32;
/// A batch that is not full is sealed this long after its first operation was accepted.
pub const DEFAULT_BATCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Accepted transactions not yet sealed into a batch beyond which submissions get 429.
pub const DEFAULT_MEMPOOL_LIMIT: usize = 1_000_000;
/// Largest request body accepted (bytes).
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;
/// Most transactions in one request.
pub const DEFAULT_MAX_TXS_PER_REQUEST: usize = 256;
/// Attempts a prover gets per batch before its job is marked failed.
pub const DEFAULT_MAX_PROVE_ATTEMPTS: i32 = 3;
/// Database connections of the sequencer's pool.
pub const DEFAULT_DB_CONNECTIONS: u32 = 8;
/// A client must send a request's headers within this long (an idle kept-alive connection is
/// closed after it too).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A request (its body and its handling) must be done within this long (408 after it).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Open connections beyond which the server stops accepting until one closes.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// `/health` fails when a core task has not reported progress for this long.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(30);

/// Signature checks run at once, off the async workers, when not configured: one per core.
pub fn default_verify_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// Everything the sequencer needs to run.
#[derive(Clone, Debug)]
pub struct SequencerConfig {
    /// PostgreSQL URL.
    pub database_url: String,
    /// HTTP listen address (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Genesis file; required the first time a database is used, checked against it later.
    pub genesis: Option<PathBuf>,
    /// Slots per batch; fixed when the database is initialised, checked against it later.
    pub slots: Option<usize>,
    /// See [`DEFAULT_BATCH_TIMEOUT`].
    pub batch_timeout: Duration,
    /// See [`DEFAULT_MEMPOOL_LIMIT`].
    pub mempool_limit: usize,
    /// See [`DEFAULT_MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
    /// See [`DEFAULT_MAX_TXS_PER_REQUEST`].
    pub max_txs_per_request: usize,
    /// See [`DEFAULT_MAX_PROVE_ATTEMPTS`].
    pub max_prove_attempts: i32,
    /// See [`DEFAULT_DB_CONNECTIONS`].
    pub db_connections: u32,
    /// See [`DEFAULT_STALE_AFTER`].
    pub stale_after: Duration,
    /// When another sequencer holds the database's single-writer lock, wait for it (a hot
    /// standby) instead of refusing to start.
    pub standby: bool,
    /// See [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`DEFAULT_REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// See [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// Requests whose signatures are checked at once, each on a thread of the blocking pool
    /// (more wait their turn without holding an async worker); see [`default_verify_threads`].
    pub verify_threads: usize,
    /// Serve `/metrics` here only, not on the API's address (none: on the API's address).
    pub metrics_listen: Option<SocketAddr>,
    /// The smallest fee (wei) a transfer or withdrawal may pay: below it a submission is
    /// refused (422 `fee_too_low`) before its signature is checked. Zero-fee transactions would
    /// otherwise fill batches, and proofs, for free.
    pub min_fee: u128,
    /// The base chain to read deposits and full exits from (none: no L1 watcher).
    pub l1: Option<crate::watcher::L1Config>,
    /// The existing account the batches' fees go to (none: the genesis file's fee account).
    /// A party that takes the rollup over in open mode names its own.
    pub fee_account: Option<causeway_protocol::AccountIndex>,
    /// The deployment (chain id, Rollup address) whose signatures the rollup takes; fixed when
    /// the database is initialised, checked against it later. A rollup without a base chain
    /// uses the default (chain 0, the zero address).
    pub domain: causeway_protocol::Domain,
}

impl SequencerConfig {
    /// A configuration with every default, for `database_url`.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            listen: DEFAULT_LISTEN.parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 3000))),
            genesis: None,
            slots: None,
            batch_timeout: DEFAULT_BATCH_TIMEOUT,
            mempool_limit: DEFAULT_MEMPOOL_LIMIT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_txs_per_request: DEFAULT_MAX_TXS_PER_REQUEST,
            max_prove_attempts: DEFAULT_MAX_PROVE_ATTEMPTS,
            db_connections: DEFAULT_DB_CONNECTIONS,
            stale_after: DEFAULT_STALE_AFTER,
            standby: true,
            min_fee: 0,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            verify_threads: default_verify_threads(),
            metrics_listen: None,
            l1: None,
            fee_account: None,
            domain: causeway_protocol::Domain::default(),
        }
    }
}
