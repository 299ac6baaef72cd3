//! `kill -9` the sequencer during a stream of submissions, restart it, and check every promise:
//! each transaction that got a success response is in exactly one batch, in acceptance order;
//! none is lost or applied twice; the state continues from the root it had.

use super::procs::{
    TempDir, free_port, genesis, get, kill9, post, spawn, spawn_env, terminate_lock_holder, transfer, wait_for,
    wait_healthy, wait_sealed,
};
use causeway_db::testing::TestDb;
use causeway_protocol::{
    Operation,
    field::{fr_from_be_bytes, fr_to_be_bytes},
    wire::SignedTx,
};
use causeway_testkit::invariants::Target;
use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

const DEPTH: u32 = 4;
const ACCOUNTS: u32 = 6;
const SLOTS: usize = 4;
const SENDERS: u32 = 4;

/// What one client saw succeed: (nonce, hash, seq), in the order it sent.
type Successes = Vec<(u32, String, i64)>;

/// Sends account `from`'s transfers until `until`, each retried until it succeeds; a request
/// that gets no answer or a 503 is retried at the next of `urls` (one sequencer and its
/// standby).
async fn client(
    http: reqwest::Client,
    urls: Vec<String>,
    from: u32,
    until: Arc<AtomicBool>,
    total: Arc<AtomicUsize>,
) -> Successes {
    let mut seen = Vec::new();
    let mut nonce = 0;
    let to = from % SENDERS + 1;
    let mut at = 0;
    while !until.load(Ordering::Relaxed) {
        let url = &urls[at % urls.len()];
        // The same body is retried until it succeeds, so a commit whose response was lost is
        // recognised as a duplicate rather than sent twice.
        let body = transfer(from, to, 1_000 + u128::from(nonce), 1, nonce);
        let r = http.post(format!("{url}/v1/txs")).body(body.clone()).timeout(Duration::from_secs(5)).send().await;
        match r {
            Ok(r) if r.status().is_success() => {
                let v: serde_json::Value = r.json().await.expect("json");
                causeway_testkit::api::check("post", "/v1/txs", Some(&body), 200, &v);
                seen.push((nonce, v["hash"].as_str().expect("hash").to_owned(), v["seq"].as_i64().expect("seq")));
                total.fetch_add(1, Ordering::Relaxed);
                nonce += 1;
            }
            Ok(r) => {
                let status = r.status().as_u16();
                assert_eq!(status, 503, "only unavailability is expected: {}", r.text().await.unwrap_or_default());
                at += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(_) => {
                at += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    seen
}

/// [`SENDERS`] clients, one per account, each running [`client`] against `urls`.
struct Load {
    until: Arc<AtomicBool>,
    total: Arc<AtomicUsize>,
    clients: Vec<tokio::task::JoinHandle<Successes>>,
}

impl Load {
    fn start(http: &reqwest::Client, urls: &[String]) -> Self {
        let until = Arc::new(AtomicBool::new(false));
        let total = Arc::new(AtomicUsize::new(0));
        let clients = (1..=SENDERS)
            .map(|from| tokio::spawn(client(http.clone(), urls.to_vec(), from, until.clone(), total.clone())))
            .collect();
        Self { until, total, clients }
    }

    /// Successes so far, over all clients.
    fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// Waits until `n` successes in all, failing after `secs` seconds with `what`.
    async fn wait_total(&self, n: usize, secs: u64, what: &str) {
        let started = std::time::Instant::now();
        while self.total() < n {
            assert!(started.elapsed() < Duration::from_secs(secs), "{what}: {} of {n} successes", self.total());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the clients: what each account's saw succeed.
    async fn stop(self) -> BTreeMap<u32, Successes> {
        self.until.store(true, Ordering::Relaxed);
        let mut successes = BTreeMap::new();
        for (i, c) in self.clients.into_iter().enumerate() {
            successes.insert(i as u32 + 1, c.await.expect("client"));
        }
        successes
    }
}

/// Every transaction a client saw succeed is in exactly one batch, in acceptance order; nothing
/// else is stored; replaying the batches from genesis gives every stored root and the API's
/// accepted state. `restarted_after`: the newest batch and its root before a restart.
async fn check_every_success_sealed_once(
    http: &reqwest::Client,
    url: &str,
    pool: &causeway_db::Db,
    pool_url: &str,
    successes: &BTreeMap<u32, Successes>,
    restarted_after: Option<(i64, &[u8])>,
) {
    let sealed = wait_sealed(http, url).await;

    // Every success is included, once, and each account's transactions in nonce order.
    let mut hashes = HashSet::new();
    for (from, seen) in successes {
        assert!(seen.windows(2).all(|w| w[0].2 < w[1].2), "account {from}: acceptance order follows nonce order");
        for (nonce, hash, seq) in seen {
            assert!(hashes.insert(hash.clone()), "one hash, one success");
            let (s, t) = get(http, &format!("{url}/v1/txs/{hash}")).await;
            assert_eq!(s, 200, "account {from} nonce {nonce}: {t}");
            assert_eq!(t["status"], "included", "{t}");
            assert_eq!(t["seq"].as_i64(), Some(*seq));
        }
    }
    assert_eq!(
        pool.max_seq().await.expect("max seq") as usize,
        hashes.len(),
        "nothing stored that was not acknowledged"
    );

    // Replaying the stored batches from genesis gives every stored root: each transaction was
    // applied exactly once, in acceptance order, and the state went on from the root it had.
    let mut state = causeway_prover::sample::sample_genesis(DEPTH, ACCOUNTS, causeway_protocol::Domain::default())
        .expect("genesis");
    let mut batches = pool.batches(i64::MAX, 100_000).await.expect("batches");
    batches.reverse();
    assert_eq!(batches.len() as i64, sealed);
    let mut next_seq = 1;
    for b in &batches {
        assert_eq!(b.first_seq, next_seq, "batch {} continues the sequence", b.number);
        next_seq = b.last_seq + 1;
        let ops: Vec<Operation> = pool
            .txs_in_range(b.first_seq, b.last_seq)
            .await
            .expect("txs")
            .into_iter()
            .map(|t| {
                assert!(t.reject_code.is_none(), "no accepted transaction was refused at sealing");
                serde_json::from_value::<SignedTx>(t.body).expect("stored tx").operation()
            })
            .collect();
        assert_eq!(Some(state.root()), fr_from_be_bytes(b.old_root.as_slice().try_into().expect("32 bytes")));
        let t = state.apply_batch(b.number as u64, 0, SLOTS, 0, &ops).expect("stored batch applies");
        assert_eq!(fr_to_be_bytes(&t.header.new_root).as_slice(), b.new_root.as_slice(), "batch {} root", b.number);
        assert_eq!(t.pubdata, b.pubdata);
        if let Some((before_number, before_root)) = restarted_after
            && b.number == before_number + 1
        {
            assert_eq!(b.old_root, before_root, "the first batch after the restart starts at the root before the kill");
        }
    }
    assert_eq!(next_seq - 1, hashes.len() as i64, "every transaction is in a batch");
    for i in 0..ACCOUNTS {
        let want = (state.account(i).balance.to_string(), u64::from(state.account(i).nonce));
        let mut got = None;
        // The fee credit of the last batch reaches the accepted state just after sealing.
        for _ in 0..40 {
            let (_, a) = get(http, &format!("{url}/v1/accounts/{i}")).await;
            got = Some((
                a["accepted"]["balance"].as_str().unwrap_or("").to_owned(),
                a["accepted"]["nonce"].as_u64().unwrap_or(0),
            ));
            if got.as_ref() == Some(&want) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(got, Some(want), "account {i}: accepted state equals the replay");
    }
    // And the harness's own: the API's accounts are the database's.
    let api = causeway_testkit::api::Api::new(url);
    let target = Target { database: Some(pool_url), api: Some(&api), ..Target::default() };
    causeway_testkit::invariants::check(&target, std::path::Path::new("/dev/null")).await;
}

/// Starts sequencer `name` on the database at `url` on a free port, logging to `dir/name.log`:
/// the process, its base URL and its log.
fn start_sequencer(
    dir: &std::path::Path,
    url: &str,
    genesis: &std::path::Path,
    name: &str,
) -> (tokio::process::Child, String, std::path::PathBuf) {
    let log = dir.join(format!("{name}.log"));
    let listen = format!("127.0.0.1:{}", free_port());
    let args = sequencer_args_at(url, genesis, &listen, &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (spawn(&args, &log), format!("http://{listen}"), log)
}

/// Waits until the sequencer logging to `log` stands by for the lock.
async fn standing_by(log: &std::path::Path) {
    wait_for("a standby", 30, log, async || {
        std::fs::read_to_string(log).unwrap_or_default().contains("standing by").then_some(())
    })
    .await;
}

/// A sequencer's command line on `db`: this module's slots, a 30 ms batch timeout, and `extra`.
fn sequencer_args(db: &TestDb, genesis: &std::path::Path, listen: &str, extra: &[&str]) -> Vec<String> {
    sequencer_args_at(&db.url, genesis, listen, extra)
}

/// [`sequencer_args`] on the database at `url`.
fn sequencer_args_at(url: &str, genesis: &std::path::Path, listen: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "sequencer",
        "--database-url",
        url,
        "--listen",
        listen,
        "--genesis",
        genesis.to_str().expect("utf8"),
        "--slots",
        &SLOTS.to_string(),
        "--batch-timeout-ms",
        "30",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_loses_nothing_and_applies_nothing_twice() {
    let dir = TempDir::new("crash");
    let db = TestDb::create().await.expect("test database");
    let genesis_path = genesis(&dir.0, DEPTH, ACCOUNTS);
    let port = free_port().to_string();
    let url = format!("http://127.0.0.1:{port}");
    let log = dir.0.join("sequencer.log");
    let args = sequencer_args(&db, &genesis_path, &format!("127.0.0.1:{port}"), &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let http = reqwest::Client::new();
    let mut seq = spawn(&args, &log);
    wait_healthy(&http, &url, &log).await;

    let load = Load::start(&http, std::slice::from_ref(&url));
    load.wait_total(120, 120, "before the kill").await;
    kill9(&mut seq).await;
    let killed_at = load.total();
    let pool = db.db().await.expect("db");
    let (before_number, before_root, _) =
        pool.last_batch().await.expect("read").expect("some batch sealed before the kill");

    let mut seq = spawn(&args, &log);
    wait_healthy(&http, &url, &log).await;
    load.wait_total(killed_at + 120, 120, "after the restart").await;
    let successes = load.stop().await;
    check_every_success_sealed_once(&http, &url, &pool, &db.url, &successes, Some((before_number, &before_root))).await;
    kill9(&mut seq).await;
    drop(pool);
    db.drop_db().await.expect("drop");
}

/// A core task that panics ends the sequencer process with a non-zero status and the reason in
/// its log; a core task that stops making progress (hangs) makes `/health` fail, naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_task_ends_the_process_and_a_hung_one_fails_health() {
    let dir = TempDir::new("tasks");
    let db = TestDb::create().await.expect("test database");
    let genesis_path = genesis(&dir.0, DEPTH, ACCOUNTS);
    let port = free_port().to_string();
    let url = format!("http://127.0.0.1:{port}");
    let log = dir.0.join("sequencer.log");
    let args = sequencer_args(&db, &genesis_path, &format!("127.0.0.1:{port}"), &["--stale-after-secs", "2"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let http = reqwest::Client::new();
    let post = async |nonce: u32| {
        let (s, v) = post(&http, &format!("{url}/v1/txs"), transfer(1, 2, 5, 0, nonce)).await;
        assert_eq!(s, 200, "{v}");
    };

    // The sealer panics right after storing batch 1.
    let mut seq = spawn_env(&args, &[(causeway_db::FAIL_POINT_ENV, "sealer-sealed-batch-1:panic")], &log);
    wait_healthy(&http, &url, &log).await;
    let (s, h) = get(&http, &format!("{url}/health")).await;
    assert_eq!(s, 200, "{h}");
    assert!(h["tasks"]["sealer"].is_u64() && h["tasks"]["mempool"].is_u64(), "{h}");
    post(0).await;
    let status =
        tokio::time::timeout(Duration::from_secs(30), seq.wait()).await.expect("the process ends").expect("wait");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("the sealer task panicked: fail point sealer-sealed-batch-1: panicking"), "{text}");

    // Restarted, it carries on from batch 1; now the sealer hangs after storing batch 2, and
    // `/health` fails within the stale limit while the process keeps running.
    let mut seq = spawn_env(&args, &[(causeway_db::FAIL_POINT_ENV, "sealer-sealed-batch-2:hang")], &log);
    wait_healthy(&http, &url, &log).await;
    post(1).await;
    let h = wait_for("/health to fail on the hung sealer", 30, &log, async || {
        let (s, h) = get(&http, &format!("{url}/health")).await;
        (s == 503).then_some(h)
    })
    .await;
    assert_eq!(h["code"], "stale", "{h}");
    assert!(h["message"].as_str().unwrap_or("").starts_with("the sealer task has not made progress"), "{h}");
    assert!(seq.try_wait().expect("status").is_none(), "a hung task does not end the process");
    let pool = db.db().await.expect("db");
    assert_eq!(pool.last_batch().await.expect("db").map(|b| b.0), Some(2));
    kill9(&mut seq).await;
    // Restarted without a fail point, it carries on: the API's accounts are the database's.
    let mut seq = spawn(&args, &log);
    wait_healthy(&http, &url, &log).await;
    invariants(&db, &url).await;
    kill9(&mut seq).await;
    drop(pool);
    let _ = db.drop_db().await;
}

/// The harness's invariants on a sequencer without a base chain: its API's accounts are its
/// database's, once every accepted transaction is sealed.
async fn invariants(db: &TestDb, url: &str) {
    let api = causeway_testkit::api::Api::new(url);
    let target = Target { database: Some(&db.url), api: Some(&api), ..Target::default() };
    causeway_testkit::invariants::check(&target, std::path::Path::new("/dev/null")).await;
}

/// Two sequencers on one database: the second stands by (serving nothing) and takes over within
/// seconds of a `kill -9` of the first, under load, with every acknowledged transaction sealed
/// once; a sequencer whose lock connection is terminated exits non-zero, and a third standing
/// by takes over from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_after_kill_9_and_a_sequencer_that_loses_its_lock_exits() {
    let dir = TempDir::new("standby");
    let db = TestDb::create().await.expect("test database");
    let genesis_path = genesis(&dir.0, DEPTH, ACCOUNTS);
    let start = |name: &str| start_sequencer(&dir.0, &db.url, &genesis_path, name);
    let http = reqwest::Client::new();
    let (mut a, a_url, a_log) = start("a");
    wait_healthy(&http, &a_url, &a_log).await;
    let (mut b, b_url, b_log) = start("b");
    standing_by(&b_log).await;
    assert!(http.get(format!("{b_url}/health")).send().await.is_err(), "a standby serves nothing");

    let load = Load::start(&http, &[a_url.clone(), b_url.clone()]);
    load.wait_total(60, 120, "before the kill").await;
    kill9(&mut a).await;
    let killed = std::time::Instant::now();
    let at_kill = load.total();
    // The first success after the kill is the standby's.
    load.wait_total(at_kill + 1, 60, "the standby never took over").await;
    let failover = killed.elapsed();
    eprintln!(
        "failover: {:.2} s from kill -9 of the active sequencer to the standby's first accepted transaction",
        failover.as_secs_f64()
    );
    load.wait_total(at_kill + 60, 120, "after the takeover").await;
    let successes = load.stop().await;
    let pool = db.db().await.expect("db");
    check_every_success_sealed_once(&http, &b_url, &pool, &db.url, &successes, None).await;

    // A third stands by; the lock's backend of the active one is terminated: it exits with the
    // reason, and the third takes over.
    let (mut c, c_url, c_log) = start("c");
    standing_by(&c_log).await;
    terminate_lock_holder(&db, causeway_db::rollup::SEQUENCER_LOCK).await;
    let status = tokio::time::timeout(Duration::from_secs(30), b.wait()).await.expect("b exits").expect("wait");
    let text = std::fs::read_to_string(&b_log).unwrap_or_default();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("lost the single-writer lock"), "{text}");
    wait_healthy(&http, &c_url, &c_log).await;
    let (s, v) = post(&http, &format!("{c_url}/v1/txs"), transfer(5, 1, 7, 0, 0)).await;
    assert_eq!(s, 200, "{v}");
    invariants(&db, &c_url).await;
    kill9(&mut c).await;
    drop(pool);
    db.drop_db().await.expect("drop");
}

/// A primary and a synchronous streaming replica made by `scripts/pg-replicated` under a
/// directory; both stopped on drop (a failing test included).
struct Replicated {
    dir: std::path::PathBuf,
    url: String,
}

impl Replicated {
    fn script(args: &[&str]) -> std::process::Output {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-replicated");
        let out = std::process::Command::new(script).args(args).output().expect("run scripts/pg-replicated");
        assert!(out.status.success(), "scripts/pg-replicated {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    fn start(dir: std::path::PathBuf) -> Self {
        let (p1, p2) = (free_port().to_string(), free_port().to_string());
        let out = Self::script(&["start", dir.to_str().expect("utf8"), &p1, &p2]);
        let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(
            url.contains(&format!(",127.0.0.1:{p2}/")) && url.ends_with("target_session_attrs=read-write"),
            "{url}"
        );
        Self { dir, url }
    }

    fn run(&self, command: &str) {
        Self::script(&[command, self.dir.to_str().expect("utf8")]);
    }
}

impl Drop for Replicated {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-replicated");
        let _ = std::process::Command::new(script).args(["stop", self.dir.to_str().unwrap_or("")]).output();
    }
}

/// The database replicated (issue 21, item 4): two sequencers on a primary and its synchronous
/// replica through a multi-host URL. Under load the primary is killed (`kill -9`, backends too)
/// and the replica promoted: the active sequencer loses its lock and exits, the standby finds
/// the promoted replica and takes over, and every transaction answered 200 before or after is
/// in the promoted database, sealed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promoted_synchronous_replica_keeps_every_acknowledged_transaction_and_the_standby_continues_on_it() {
    let dir = TempDir::new("replica");
    let clusters = Replicated::start(dir.0.join("pg"));
    let genesis_path = genesis(&dir.0, DEPTH, ACCOUNTS);
    let start = |name: &str| start_sequencer(&dir.0, &clusters.url, &genesis_path, name);
    let http = reqwest::Client::new();
    let (mut a, a_url, a_log) = start("a");
    wait_healthy(&http, &a_url, &a_log).await;
    let (mut b, b_url, b_log) = start("b");
    standing_by(&b_log).await;

    let load = Load::start(&http, &[a_url.clone(), b_url.clone()]);
    load.wait_total(40, 120, "before the kill").await;
    clusters.run("kill-primary");
    let killed = std::time::Instant::now();
    let at_kill = load.total();
    // The active sequencer's lock connection died with the primary: it exits, status 1.
    let status = tokio::time::timeout(Duration::from_secs(30), a.wait()).await.expect("a exits").expect("wait");
    let text = std::fs::read_to_string(&a_log).unwrap_or_default();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("lost the single-writer lock"), "{text}");
    // The standby keeps trying every host; the replica refuses it until promoted.
    clusters.run("promote");
    load.wait_total(at_kill + 40, 90, "the standby never took over on the promoted replica").await;
    eprintln!(
        "replica failover: {:.2} s from kill -9 of the primary (promotion included)",
        killed.elapsed().as_secs_f64()
    );
    let successes = load.stop().await;
    let text = std::fs::read_to_string(&b_log).unwrap_or_default();
    assert!(text.contains("took over the single-writer lock"), "{text}");
    let pool = causeway_db::Db::connect(&clusters.url).await.expect("the promoted replica");
    check_every_success_sealed_once(&http, &b_url, &pool, &clusters.url, &successes, None).await;
    kill9(&mut b).await;
    drop(pool);
}

/// Runs `causeway <args>` to its end (at most 30 s): its exit status and its log.
async fn run_to_exit(args: &[String], log: &std::path::Path) -> (Option<i32>, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = spawn(&args, log);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.expect("it exits").expect("wait");
    (status.code(), std::fs::read_to_string(log).unwrap_or_default())
}

/// A sequencer refuses, at start and before writing anything, a database another sequencer holds
/// (with `--no-standby`), one made from another genesis file, and one made with another slot
/// count; each exits 1 with the reason, and a sequencer with the right flags then starts on the
/// same, unchanged database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequencer_refuses_a_held_lock_another_genesis_or_another_slot_count_at_start() {
    let dir = TempDir::new("refusals");
    let db = TestDb::create().await.expect("test database");
    let genesis_path = genesis(&dir.0, DEPTH, ACCOUNTS);
    let http = reqwest::Client::new();
    let (mut a, a_url, a_log) = start_sequencer(&dir.0, &db.url, &genesis_path, "a");
    wait_healthy(&http, &a_url, &a_log).await;
    let (s, v) = post(&http, &format!("{a_url}/v1/txs"), transfer(1, 2, 5, 0, 0)).await;
    assert_eq!(s, 200, "{v}");
    let (_, before) = get(&http, &format!("{a_url}/v1/accounts/1")).await;

    let listen = format!("127.0.0.1:{}", free_port());
    let held = sequencer_args(&db, &genesis_path, &listen, &["--no-standby"]);
    let (code, log) = run_to_exit(&held, &dir.0.join("held.log")).await;
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("another sequencer is running against this database"), "{log}");
    kill9(&mut a).await;

    let other_dir = dir.0.join("other");
    std::fs::create_dir_all(&other_dir).expect("dir");
    let other_genesis = genesis(&other_dir, DEPTH, ACCOUNTS + 1);
    let (code, log) = run_to_exit(&sequencer_args(&db, &other_genesis, &listen, &[]), &dir.0.join("genesis.log")).await;
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("the genesis file differs from the one this database was started with"), "{log}");

    let mut other_slots = sequencer_args(&db, &genesis_path, &listen, &[]);
    let at = other_slots.iter().position(|a| a == "--slots").expect("--slots") + 1;
    other_slots[at] = (SLOTS * 2).to_string();
    let (code, log) = run_to_exit(&other_slots, &dir.0.join("slots.log")).await;
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains(&format!("--slots {} differs from the {SLOTS} slots", SLOTS * 2)), "{log}");

    let (mut b, b_url, b_log) = start_sequencer(&dir.0, &db.url, &genesis_path, "b");
    wait_healthy(&http, &b_url, &b_log).await;
    let (_, after) = get(&http, &format!("{b_url}/v1/accounts/1")).await;
    assert_eq!(after["accepted"], before["accepted"], "the refused starts changed nothing");
    invariants(&db, &b_url).await;
    kill9(&mut b).await;
    db.drop_db().await.expect("drop");
}
