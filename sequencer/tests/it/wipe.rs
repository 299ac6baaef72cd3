//! What `causeway takeover` keeps from a database the chain left behind (the signed
//! transactions after the newest finalized batch) and how it empties it for a restore.

use super::node::{Node, transfer};
use causeway_db::Db;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signed_txs_after_the_newest_finalized_batch_are_kept_and_wipe_empties_all_but_the_fence() {
    let mut node = Node::start(|_| {}).await;
    let (s, first) = node.post("/v1/txs", transfer(1, 2, 100, 1, 0)).await;
    assert_eq!(s, 200, "{first}");
    node.wait_status(first["hash"].as_str().expect("hash"), "included").await;
    let (s, second) = node.post("/v1/txs", transfer(2, 3, 100, 1, 0)).await;
    assert_eq!(s, 200, "{second}");
    let db = Db::connect(&node.db.url).await.expect("db");
    let kept = db.signed_txs_after_finalized().await.expect("kept");
    assert_eq!(kept.len(), 2, "no batch is final: both kept: {kept:?}");
    assert_eq!(kept[0]["nonce"], 0);
    assert_eq!(kept[0]["from"], 1);
    assert_eq!(kept[1]["from"], 2);

    // Batch 1 (the first transfer's) final: only the second is kept.
    sqlx::query("UPDATE batches SET status = 'finalized' WHERE number = 1").execute(db.pool()).await.expect("final");
    let kept = db.signed_txs_after_finalized().await.expect("kept");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["from"], 2);

    let seq = node.seq.take().expect("running");
    seq.shutdown(Duration::from_secs(5)).await;
    let epoch: i64 = sqlx::query_scalar("SELECT epoch FROM writer_epochs").fetch_one(db.pool()).await.expect("epoch");
    db.wipe().await.expect("wipe");
    assert!(db.is_empty().await.expect("empty"), "nothing a service wrote is left");
    for table in ["batches", "accounts", "txs", "priority_requests", "proof_jobs"] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(db.pool())
            .await
            .expect("count");
        assert_eq!(n, 0, "{table} emptied");
    }
    let after: i64 = sqlx::query_scalar("SELECT epoch FROM writer_epochs").fetch_one(db.pool()).await.expect("epoch");
    assert_eq!(after, epoch, "the writer fence's epoch goes on: a stale sequencer stays fenced out");
    db.pool().close().await;
    node.stop_unchecked().await;
}
