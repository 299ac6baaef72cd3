//! A sequencer on a fresh database, and an HTTP client for it.

use causeway_db::testing::TestDb;
use causeway_protocol::{Domain, Operation, PrivateKey, Transfer, Withdraw, wire::SignedTx};
use causeway_sequencer::{Sequencer, SequencerConfig};
use causeway_testkit::{api::Api, invariants::Target};
use serde_json::Value;
use std::{path::PathBuf, time::Duration};

pub(crate) const DEPTH: u32 = 4;
pub(crate) const ACCOUNTS: u32 = 6;
pub(crate) const SLOTS: usize = 4;

pub(crate) fn key(i: u32) -> PrivateKey {
    causeway_prover::sample::sample_key(i)
}

pub(crate) fn transfer(from: u32, to: u32, amount: u128, fee: u128, nonce: u32) -> String {
    transfer_for(&Domain::default(), from, to, amount, fee, nonce)
}

/// A transfer signed for `domain`, as JSON.
pub(crate) fn transfer_for(domain: &Domain, from: u32, to: u32, amount: u128, fee: u128, nonce: u32) -> String {
    let op = Operation::Transfer(Transfer::signed(&key(from), domain, from, to, amount, fee, nonce));
    serde_json::to_string(&SignedTx::of(&op).expect("signed")).expect("json")
}

pub(crate) fn withdraw(from: u32, to: [u8; 20], amount: u128, fee: u128, nonce: u32) -> String {
    let op = Operation::Withdraw(Withdraw::signed(&key(from), &Domain::default(), from, to, amount, fee, nonce));
    serde_json::to_string(&SignedTx::of(&op).expect("signed")).expect("json")
}

pub(crate) fn genesis_file(dir: &std::path::Path) -> PathBuf {
    let g = causeway_prover::sample::sample_genesis_file(DEPTH, ACCOUNTS).expect("genesis");
    let path = dir.join("genesis.json");
    std::fs::write(&path, serde_json::to_string(&g).expect("json")).expect("write genesis");
    path
}

pub(crate) struct Node {
    pub(crate) db: TestDb,
    pub(crate) seq: Option<Sequencer>,
    pub(crate) url: String,
    pub(crate) http: reqwest::Client,
    _dir: tempdir::Dir,
}

pub(crate) mod tempdir {
    /// A temporary directory removed on drop.
    pub(crate) struct Dir(pub(crate) std::path::PathBuf);
    impl Dir {
        pub(crate) fn new() -> Self {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            let p = std::env::temp_dir().join(format!("causeway-test-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&p).expect("temp dir");
            Self(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Node {
    pub(crate) async fn start(tune: impl FnOnce(&mut SequencerConfig)) -> Self {
        let dir = tempdir::Dir::new();
        let db = TestDb::create().await.expect("test database");
        let mut config = SequencerConfig::new(db.url.clone());
        config.listen = "127.0.0.1:0".parse().expect("addr");
        config.genesis = Some(genesis_file(&dir.0));
        config.slots = Some(SLOTS);
        config.batch_timeout = Duration::from_millis(200);
        tune(&mut config);
        let seq = Sequencer::start(config).await.expect("sequencer starts");
        let url = format!("http://{}", seq.addr);
        Self { db, seq: Some(seq), url, http: reqwest::Client::new(), _dir: dir }
    }

    /// The API, every call checked against the OpenAPI document (request and answer).
    pub(crate) fn api(&self) -> Api {
        Api { url: self.url.clone(), http: self.http.clone() }
    }

    /// POSTs `body`; request and answer are checked against the OpenAPI document.
    pub(crate) async fn post(&self, path: &str, body: impl Into<String>) -> (u16, Value) {
        self.api().post(path, body).await
    }

    /// GETs `path`; the answer is checked against the OpenAPI document.
    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        self.api().get(path).await
    }

    /// Polls a transaction until its status is `want` (or fails after 10 s).
    pub(crate) async fn wait_status(&self, hash: &str, want: &str) -> Value {
        for _ in 0..200 {
            let (_, v) = self.get(&format!("/v1/txs/{hash}")).await;
            if v["status"] == want {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("transaction {hash} never reached {want}");
    }

    /// Checks the invariants (the API's accounts are the database's, once every accepted
    /// transaction is sealed), stops the sequencer and drops the database.
    pub(crate) async fn stop(self) {
        if self.seq.is_some() {
            let api = self.api();
            let target = Target { database: Some(&self.db.url), api: Some(&api), ..Target::default() };
            causeway_testkit::invariants::check(&target, std::path::Path::new("/dev/null")).await;
        }
        self.stop_unchecked().await;
    }

    /// Stops the sequencer and drops the database, checking nothing (a test that broke the
    /// database on purpose).
    pub(crate) async fn stop_unchecked(mut self) {
        if let Some(s) = self.seq.take() {
            s.shutdown(Duration::from_secs(5)).await;
        }
        self.db.drop_db().await.expect("drop test database");
    }
}
