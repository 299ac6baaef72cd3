//! The system tests' harness: what every test that runs Causeway's services shares.
//!
//! - [`api::Api`]: an HTTP client for the sequencer's API; every call it makes (POSTs
//!   included) is checked against the OpenAPI document, request and answer.
//! - [`keys`]: proving keys made once per test run (per nextest run), shared by every test
//!   process that asks for the same shape.
//! - [`system::System`]: anvil with a Rollup deployed on it, a database, and the sequencer (with
//!   its base-chain watcher), prover and settler as real processes that a test can
//!   [`kill9`](system::System::kill9), [`restart`](system::System::restart) or run twice; the
//!   database can be wiped. Everything is stopped, and the database dropped, when it is dropped,
//!   a panicking test included.
//! - [`invariants`]: what must hold at the end of every system test: the history replayed from
//!   the chain, the database and the API agree on every account; the contract is solvent; each
//!   priority request was executed or refunded exactly once.
//! - [`wait_for`]: waits on an observable condition, never on a sleep alone.

pub mod api;
pub mod invariants;
pub mod keys;
pub mod system;

use std::{path::Path, time::Duration};

/// A temporary directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// A new, empty directory under the system's temporary directory, named after `tag`.
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let p = std::env::temp_dir().join(format!("causeway-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free local port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Polls `probe` every 100 ms for up to `secs` seconds; on time-out, panics with `what` and the
/// services' log.
pub async fn wait_for<T>(what: &str, secs: u64, log: &Path, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..secs * 10 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}:\n{}", std::fs::read_to_string(log).unwrap_or_default());
}
