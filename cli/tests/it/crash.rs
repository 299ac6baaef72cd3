//! `kill -9` the sequencer during a stream of submissions, restart it, and check every promise:
//! each transaction that got a success response is in exactly one batch, in acceptance order;
//! none is lost or applied twice; the state continues from the root it had.

use super::procs::{TempDir, free_port, genesis, get, kill9, spawn, transfer, wait_healthy, wait_sealed};
use causeway_db::testing::TestDb;
use causeway_protocol::{
    Operation,
    field::{fr_from_be_bytes, fr_to_be_bytes},
    wire::SignedTx,
};
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

async fn client(
    http: reqwest::Client,
    url: String,
    from: u32,
    until: Arc<AtomicBool>,
    total: Arc<AtomicUsize>,
) -> Successes {
    let mut seen = Vec::new();
    let mut nonce = 0;
    let to = from % SENDERS + 1;
    while !until.load(Ordering::Relaxed) {
        // The same body is retried until it succeeds, so a commit whose response was lost is
        // recognised as a duplicate rather than sent twice.
        let body = transfer(from, to, 1_000 + u128::from(nonce), 1, nonce);
        let r = http.post(format!("{url}/v1/txs")).body(body).timeout(Duration::from_secs(5)).send().await;
        match r {
            Ok(r) if r.status().is_success() => {
                let v: serde_json::Value = r.json().await.expect("json");
                seen.push((nonce, v["hash"].as_str().expect("hash").to_owned(), v["seq"].as_i64().expect("seq")));
                total.fetch_add(1, Ordering::Relaxed);
                nonce += 1;
            }
            Ok(r) => {
                let status = r.status().as_u16();
                assert_eq!(status, 503, "only unavailability is expected: {}", r.text().await.unwrap_or_default());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_loses_nothing_and_applies_nothing_twice() {
    let dir = TempDir::new("crash");
    let db = TestDb::create().await.expect("test database");
    let genesis_path = genesis(&dir.0, DEPTH, ACCOUNTS);
    let port = free_port().to_string();
    let url = format!("http://127.0.0.1:{port}");
    let log = dir.0.join("sequencer.log");
    let args = [
        "sequencer",
        "--database-url",
        &db.url,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--genesis",
        genesis_path.to_str().expect("utf8"),
        "--slots",
        &SLOTS.to_string(),
        "--batch-timeout-ms",
        "30",
    ];
    let http = reqwest::Client::new();
    let mut seq = spawn(&args, &log);
    wait_healthy(&http, &url, &log).await;

    let until = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (1..=SENDERS)
        .map(|from| tokio::spawn(client(http.clone(), url.clone(), from, until.clone(), total.clone())))
        .collect();
    while total.load(Ordering::Relaxed) < 120 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    kill9(&mut seq).await;
    let killed_at = total.load(Ordering::Relaxed);
    let pool = db.db().await.expect("db");
    let (before_number, before_root, _) =
        pool.last_batch().await.expect("read").expect("some batch sealed before the kill");

    let mut seq = spawn(&args, &log);
    wait_healthy(&http, &url, &log).await;
    while total.load(Ordering::Relaxed) < killed_at + 120 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    until.store(true, Ordering::Relaxed);
    let mut successes: BTreeMap<u32, Successes> = BTreeMap::new();
    for (i, c) in clients.into_iter().enumerate() {
        successes.insert(i as u32 + 1, c.await.expect("client"));
    }
    let sealed = wait_sealed(&http, &url).await;

    // Every success is included, once, and each account's transactions in nonce order.
    let mut hashes = HashSet::new();
    for (from, seen) in &successes {
        assert!(seen.windows(2).all(|w| w[0].2 < w[1].2), "account {from}: acceptance order follows nonce order");
        for (nonce, hash, seq) in seen {
            assert!(hashes.insert(hash.clone()), "one hash, one success");
            let (s, t) = get(&http, &format!("{url}/v1/txs/{hash}")).await;
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
        if b.number == before_number + 1 {
            assert_eq!(b.old_root, before_root, "the first batch after the restart starts at the root before the kill");
        }
    }
    assert_eq!(next_seq - 1, hashes.len() as i64, "every transaction is in a batch");
    for i in 0..ACCOUNTS {
        let want = (state.account(i).balance.to_string(), u64::from(state.account(i).nonce));
        let mut got = None;
        // The fee credit of the last batch reaches the accepted state just after sealing.
        for _ in 0..40 {
            let (_, a) = get(&http, &format!("{url}/v1/accounts/{i}")).await;
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
    kill9(&mut seq).await;
    drop(pool);
    db.drop_db().await.expect("drop");
}
