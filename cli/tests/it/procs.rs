//! Running `causeway` services as child processes that tests can `kill -9`.

use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use tokio::process::{Child, Command};

pub(crate) use causeway_testkit::{TempDir, free_port, wait_for};

/// Starts `causeway <args>` with its output appended to `log`.
pub(crate) fn spawn(args: &[&str], log: &Path) -> Child {
    spawn_env(args, &[], log)
}

/// [`spawn`] with environment variables set.
pub(crate) fn spawn_env(args: &[&str], env: &[(&str, &str)], log: &Path) -> Child {
    let out = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log file");
    let err = out.try_clone().expect("log file");
    Command::new(env!("CARGO_BIN_EXE_causeway"))
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn causeway")
}

/// SIGKILL, and reap.
pub(crate) async fn kill9(child: &mut Child) {
    child.start_kill().expect("kill -9");
    let _ = child.wait().await;
}

/// Waits until `GET {url}/health` answers 200.
pub(crate) async fn wait_healthy(http: &reqwest::Client, url: &str, log: &Path) {
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{url}/health")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("sequencer at {url} never became healthy:\n{}", std::fs::read_to_string(log).unwrap_or_default());
}

/// GETs an API URL; the answer (status and body) is checked against the OpenAPI document.
pub(crate) async fn get(http: &reqwest::Client, url: &str) -> (u16, Value) {
    let r = http.get(url).send().await.expect("request");
    causeway_testkit::api::checked("get", &path_of(url), None, r).await
}

/// POSTs `body` to an API URL; request and answer are checked against the OpenAPI document.
pub(crate) async fn post(http: &reqwest::Client, url: &str, body: String) -> (u16, Value) {
    let r = http.post(url).header("content-type", "application/json").body(body.clone()).send().await.expect("request");
    causeway_testkit::api::checked("post", &path_of(url), Some(&body), r).await
}

/// The path (and query) of `http://host:port/path?query`.
fn path_of(url: &str) -> String {
    url.splitn(4, '/').nth(3).map_or_else(|| "/".to_owned(), |p| format!("/{p}"))
}

/// Waits until every accepted transaction is sealed.
pub(crate) async fn wait_sealed(http: &reqwest::Client, url: &str) -> i64 {
    for _ in 0..400 {
        let (s, h) = get(http, &format!("{url}/health")).await;
        if s == 200 && h["mempool_slots"] == 0 {
            return h["sealed"].as_i64().expect("sealed");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("transactions stayed unsealed");
}

/// Writes a genesis of sample accounts and returns its path.
pub(crate) fn genesis(dir: &Path, depth: u32, accounts: u32) -> PathBuf {
    let g = causeway_prover::sample::sample_genesis_file(depth, accounts).expect("genesis");
    let path = dir.join("genesis.json");
    std::fs::write(&path, serde_json::to_string(&g).expect("json")).expect("write genesis");
    path
}

/// Exit-circuit keys for depth `depth`, made once per test run (`causeway_testkit::keys`).
pub(crate) fn exit_keys(_dir: &Path, depth: u32) -> PathBuf {
    causeway_testkit::keys::exit(Path::new(env!("CARGO_BIN_EXE_causeway")), depth)
}

/// Batch-circuit keys for `depth` and `slots`, made once per test run (`causeway_testkit::keys`).
pub(crate) fn batch_keys(depth: u32, slots: usize) -> PathBuf {
    causeway_testkit::keys::batch(Path::new(env!("CARGO_BIN_EXE_causeway")), depth, slots)
}

/// A signed transfer's JSON, for a rollup without a base chain (the default domain).
pub(crate) fn transfer(from: u32, to: u32, amount: u128, fee: u128, nonce: u32) -> String {
    transfer_for(&causeway_protocol::Domain::default(), from, to, amount, fee, nonce)
}

/// A transfer signed for `domain`, as JSON.
pub(crate) fn transfer_for(
    domain: &causeway_protocol::Domain,
    from: u32,
    to: u32,
    amount: u128,
    fee: u128,
    nonce: u32,
) -> String {
    use causeway_protocol::{Operation, Transfer, wire::SignedTx};
    let key = causeway_prover::sample::sample_key(from);
    let op = Operation::Transfer(Transfer::signed(&key, domain, from, to, amount, fee, nonce));
    serde_json::to_string(&SignedTx::of(&op).expect("signed")).expect("json")
}

/// A JSON-RPC proxy in front of a node that behaves like a strict, unreliable provider: every
/// `fail_every`-th call fails with HTTP 503, and `eth_getLogs` over more than `max_log_range`
/// blocks is refused as public providers refuse it. Counts what it did.
pub(crate) struct FlakyRpc {
    pub(crate) url: String,
    pub(crate) failed: std::sync::Arc<std::sync::atomic::AtomicU64>,
    pub(crate) capped: std::sync::Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl FlakyRpc {
    pub(crate) async fn start(upstream: String, fail_every: u64, max_log_range: u64) -> Self {
        use axum::{http::StatusCode, response::IntoResponse};
        use std::sync::{
            Arc,
            atomic::{AtomicU64, Ordering},
        };
        let calls = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let capped = Arc::new(AtomicU64::new(0));
        let http = reqwest::Client::new();
        let (f, c) = (failed.clone(), capped.clone());
        let app = axum::Router::new().route(
            "/",
            axum::routing::post(move |body: axum::body::Bytes| {
                let (calls, failed, capped, http, upstream) =
                    (calls.clone(), f.clone(), c.clone(), http.clone(), upstream.clone());
                async move {
                    if calls.fetch_add(1, Ordering::SeqCst) % fail_every == fail_every - 1 {
                        failed.fetch_add(1, Ordering::SeqCst);
                        return (StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response();
                    }
                    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    if request["method"] == "eth_getLogs" {
                        let block = |k: &str| {
                            request["params"][0][k].as_str().and_then(|h| u64::from_str_radix(h.trim_start_matches("0x"), 16).ok())
                        };
                        if let (Some(from), Some(to)) = (block("fromBlock"), block("toBlock"))
                            && to + 1 - from > max_log_range
                        {
                            capped.fetch_add(1, Ordering::SeqCst);
                            let error = serde_json::json!({
                                "jsonrpc": "2.0", "id": request["id"],
                                "error": { "code": -32602, "message": format!("query exceeds the {max_log_range}-block range limit") },
                            });
                            return axum::Json(error).into_response();
                        }
                    }
                    match http.post(&upstream).header("content-type", "application/json").body(body).send().await {
                        Ok(r) => {
                            let status = StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
                            (status, [("content-type", "application/json")], r.bytes().await.unwrap_or_default())
                                .into_response()
                        }
                        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, failed, capped, task }
    }
}

impl Drop for FlakyRpc {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Terminates the PostgreSQL backend holding advisory lock `key` on `db` (as a server restart
/// or a cut connection would end it).
pub(crate) async fn terminate_lock_holder(db: &causeway_db::testing::TestDb, key: i64) {
    let (high, low) = (key >> 32, key & 0xffff_ffff);
    db.admin_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND classid = {high} AND objid = {low} AND objsubid = 1 \
         AND database = (SELECT oid FROM pg_database WHERE datname = '{}')",
        db.name()
    ))
    .await
    .expect("terminate the lock's backend");
}
