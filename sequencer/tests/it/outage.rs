//! A dead database: clear 503s, nothing half-written, and recovery when it returns.

use super::node::{Node, transfer};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_database_gives_503_and_loses_nothing() {
    let node = Node::start(|_| {}).await;
    let (s, ok) = node.post("/v1/txs", transfer(1, 2, 5, 0, 0)).await;
    assert_eq!(s, 200, "{ok}");
    let name = node.db.name().to_owned();
    // Refuse new connections and cut the existing ones.
    node.db
        .admin_sql(&format!(
            "ALTER DATABASE {name} CONNECTION LIMIT 0; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .expect("cut the database");
    let body = transfer(1, 2, 5, 0, 1);
    let r = node.http.post(format!("{}/v1/txs", node.url)).body(body.clone()).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.headers().get("retry-after").is_some());
    let v: Value = r.json().await.expect("json");
    causeway_testkit::api::check("post", "/v1/txs", Some(&body), 503, &v);
    assert_eq!(v["code"], "unavailable");
    assert!(!v["message"].as_str().unwrap_or("").contains("sqlx"), "no internal error text: {v}");
    let (s, h) = node.get("/health").await;
    assert_eq!((s, h["code"].as_str()), (503, Some("unavailable")));

    node.db.admin_sql(&format!("ALTER DATABASE {name} CONNECTION LIMIT -1")).await.expect("restore");
    // The refused transaction was not applied: nonce 1 is still the next one.
    let mut accepted = None;
    for _ in 0..50 {
        let (s, v) = node.post("/v1/txs", transfer(1, 2, 5, 0, 1)).await;
        if s == 200 {
            accepted = Some(v);
            break;
        }
        assert_eq!(s, 503, "{v}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let v = accepted.expect("accepted once the database is back");
    assert_eq!(v["seq"], 2, "no sequence number was used by the refused write");
    let hash = v["hash"].as_str().expect("hash").to_owned();
    node.wait_status(&hash, "included").await;
    let (_, a) = node.get("/v1/accounts/1").await;
    assert_eq!(a["accepted"]["nonce"], 2);
    node.stop().await;
}
