//! Writes whose answer is lost: a proxy between the sequencer and PostgreSQL lets the server
//! commit and then cuts the connection, so the sequencer cannot know the outcome. It must find
//! out from the database and go on, not stall.

use super::node::{Node, transfer};
use causeway_db::testing::PgFaultProxy;
use std::time::Duration;

/// Polls `probe` every 50 ms until it gives a value, for at most 20 s.
async fn until<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..400 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 20 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_batch_whose_commit_answer_was_lost_is_found_and_the_sealer_goes_on() {
    let mut proxy = None;
    let node = Node::start(|c| {
        let p = PgFaultProxy::start(&c.database_url);
        c.database_url = p.url.clone();
        proxy = Some(p);
    })
    .await;
    let proxy = proxy.expect("proxy");
    // The batch's commit is cut, and the newest-batch query fails while more transfers arrive:
    // the sealer must find batch 1 in the database as it was stored (one transfer), not seal a
    // batch 1 of its own, and go on with batch 2.
    proxy.cut_commit_of("INSERT INTO batches");
    proxy.refuse(Some("SELECT number, new_root, last_seq FROM batches ORDER BY number DESC"));
    let (s, a) = node.post("/v1/txs", transfer(1, 2, 5, 0, 0)).await;
    assert_eq!(s, 200, "{a}");
    until("the batch's commit cut", async || (proxy.commits_cut() == 1).then_some(())).await;
    let mut later = Vec::new();
    for nonce in 1..3 {
        let (s, v) = node.post("/v1/txs", transfer(1, 2, 5, 0, nonce)).await;
        assert_eq!(s, 200, "{v}");
        later.push(v["hash"].as_str().expect("hash").to_owned());
    }
    proxy.refuse(None);

    // Batch 1 is the stored one (one transfer); the later two follow in batch 2.
    let first = a["hash"].as_str().expect("hash");
    let t = node.wait_status(first, "included").await;
    assert_eq!(t["batch"], 1, "{t}");
    for hash in &later {
        let t = node.wait_status(hash, "included").await;
        assert_eq!(t["batch"], 2, "{t}");
    }
    let (_, b) = node.get("/v1/batches/1").await;
    assert_eq!((b["operations"].as_i64(), b["last_seq"].as_i64()), (Some(1), Some(1)), "{b}");
    let (_, h) = node.get("/health").await;
    assert_eq!((h["sealed"].as_i64(), h["mempool_slots"].as_i64()), (Some(2), Some(0)), "{h}");
    node.stop().await;
}

/// The single-writer fence: a sequencer's connections carry the epoch it started when it took
/// the lock, and once another has taken the lock (a new epoch) they can no longer write, even
/// though they are still connected; connections without an epoch (provers, settler, restore)
/// are not fenced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequencer_that_lost_the_lock_cannot_write_once_another_took_it() {
    use causeway_db::{Connection, Db, PgConnection, rollup::lock_sequencer, testing::TestDb, txs::NewTx};
    let db = TestDb::create().await.expect("test database");
    let tx = |seq: i64| NewTx {
        seq,
        hash: vec![seq as u8; 32],
        kind: "transfer",
        from_index: 1,
        nonce: seq,
        body: "{}".into(),
    };
    let mut first = PgConnection::connect(&db.url).await.expect("connect");
    let e1 = lock_sequencer(&mut first).await.expect("lock").expect("free");
    let stale = Db::connect_fenced(&db.url, 2, e1).await.expect("pool");
    stale.insert_txs(&[tx(1)]).await.expect("the holder writes");
    let mut second = PgConnection::connect(&db.url).await.expect("connect");
    assert_eq!(lock_sequencer(&mut second).await.expect("lock"), None, "held by the first");

    // The first loses its lock connection; the second takes the lock, starting a new epoch.
    drop(first);
    let e2 = loop {
        if let Some(e) = lock_sequencer(&mut second).await.expect("lock") {
            break e;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(e2, e1 + 1);
    let e = stale.insert_txs(&[tx(2)]).await.expect_err("the old holder is fenced off");
    assert!(e.to_string().contains("fenced: another sequencer holds the single-writer lock"), "{e}");
    let current = Db::connect_fenced(&db.url, 2, e2).await.expect("pool");
    current.insert_txs(&[tx(2)]).await.expect("the new holder writes");
    let unfenced = db.db().await.expect("pool");
    unfenced.insert_txs(&[tx(3)]).await.expect("a connection without an epoch is not fenced");
    assert_eq!(unfenced.max_seq().await.expect("max"), 3);
    drop((stale, current, unfenced, second));
    db.drop_db().await.expect("drop");
}
