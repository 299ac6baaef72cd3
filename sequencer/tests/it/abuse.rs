//! Slow and abusive clients: a connection that does not send its headers in time is closed, a
//! request whose body does not arrive in time is answered 408, open connections are capped,
//! `/v1/accounts/by-key` answers in pages, the explorer's answers carry security headers, and a
//! stored transaction sent again is answered before its signature is checked.

use super::node::{Node, key};
use std::time::Duration;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// A connection that sent `bytes` of a request and nothing more.
async fn half_sent(url: &str, bytes: &str) -> TcpStream {
    let mut s = TcpStream::connect(url.trim_start_matches("http://")).await.expect("connect");
    s.write_all(bytes.as_bytes()).await.expect("write");
    s
}

/// Reads until the server closes the connection (or 30 s pass); what it sent.
async fn until_closed(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_connections_are_capped() {
    let node = Node::start(|c| {
        c.header_read_timeout = Duration::from_secs(1);
        c.request_timeout = Duration::from_secs(1);
        c.max_connections = 4;
    })
    .await;
    // Headers never finished: closed without an answer after the header time-out.
    let mut slow = half_sent(&node.url, "GET /health HTTP/1.1\r\nHost: x\r\n").await;
    assert_eq!(until_closed(&mut slow).await, "");
    // A body that never arrives: 408 with the JSON error after the request time-out.
    let mut slow =
        half_sent(&node.url, "POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"type\"").await;
    let answer = until_closed_or_answer(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    drop(slow);
    node.stop().await;

    // Four connections hold every slot; a fifth client is not served until one closes.
    let node = Node::start(|c| {
        c.header_read_timeout = Duration::from_secs(60);
        c.max_connections = 4;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(half_sent(&node.url, "GET /health HTTP/1.1\r\n").await);
    }
    let fifth = tokio::spawn({
        let (http, url) = (node.http.clone(), node.url.clone());
        async move { http.get(format!("{url}/v1/rollup")).send().await.map(|r| r.status().as_u16()) }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!fifth.is_finished(), "a fifth connection was served beside four open ones");
    drop(held.pop());
    let status = tokio::time::timeout(Duration::from_secs(30), fifth).await.expect("served").expect("task");
    assert_eq!(status.expect("request"), 200);
    drop(held);
    node.stop().await;
}

/// Reads until the server answers (a full response head and body) or closes.
async fn until_closed_or_answer(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let n = tokio::time::timeout_at(deadline, s.read(&mut buf)).await.expect("an answer").unwrap_or(0);
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(&got).contains("\"message\"") {
            break;
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_carries_security_headers_and_metrics_may_have_their_own_address() {
    let node = Node::start(|c| c.metrics_listen = Some("127.0.0.1:0".parse().expect("addr"))).await;
    let r = node.http.get(format!("{}/", node.url)).send().await.expect("get");
    let h = r.headers();
    let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(h.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
    assert_eq!(h.get("x-frame-options").and_then(|v| v.to_str().ok()), Some("DENY"));
    let r = node.http.get(format!("{}/v1/rollup", node.url)).send().await.expect("get");
    assert_eq!(r.headers().get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
    causeway_testkit::api::checked("get", "/v1/rollup", None, r).await;
    // /metrics is on its own address, and only there.
    let metrics = node.seq.as_ref().and_then(|s| s.metrics_addr).expect("a metrics address");
    let r = node.http.get(format!("http://{metrics}/metrics")).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.expect("text").contains("causeway_"), "prometheus text");
    let r = node.http.get(format!("{}/metrics", node.url)).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 404);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_by_key_come_in_pages() {
    // Accounts 1 to 5 all hold account 1's key (anyone may deposit with any key).
    let dir = super::node::tempdir::Dir::new();
    let path = super::node::genesis_file(&dir.0);
    let mut g: causeway_protocol::wire::Genesis =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("genesis")).expect("json");
    let shared = g.accounts.iter().find(|a| a.index == 1).expect("account 1").public_key;
    for a in g.accounts.iter_mut().filter(|a| a.index >= 1) {
        a.public_key = shared;
    }
    std::fs::write(&path, serde_json::to_string(&g).expect("json")).expect("write");
    let node = Node::start(|c| c.genesis = Some(path.clone())).await;
    let packed = format!("0x{}", hex::encode(key(1).public_key().pack()));
    let indices = |v: &serde_json::Value| -> Vec<i64> {
        v["accounts"].as_array().expect("list").iter().map(|a| a["index"].as_i64().expect("index")).collect()
    };
    let (s, all) = node.get(&format!("/v1/accounts/by-key/{packed}")).await;
    assert_eq!(s, 200, "{all}");
    assert_eq!((indices(&all), all["next_after"].clone()), (vec![1, 2, 3, 4, 5], serde_json::Value::Null));
    let (_, page) = node.get(&format!("/v1/accounts/by-key/{packed}?limit=2")).await;
    assert_eq!((indices(&page), page["next_after"].as_i64()), (vec![1, 2], Some(2)));
    let (_, page) = node.get(&format!("/v1/accounts/by-key/{packed}?limit=2&after=2")).await;
    assert_eq!((indices(&page), page["next_after"].as_i64()), (vec![3, 4], Some(4)));
    let (_, page) = node.get(&format!("/v1/accounts/by-key/{packed}?limit=2&after=4")).await;
    assert_eq!((indices(&page), page["next_after"].as_i64()), (vec![5], None));
    let (_, page) = node.get(&format!("/v1/accounts/by-key/{packed}?limit=1000")).await;
    assert_eq!(indices(&page).len(), 5, "the limit is clamped to 1..=100");
    let (s, v) = node.get(&format!("/v1/accounts/by-key/{packed}?limit=x")).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("malformed")));
    node.stop().await;
}

/// `json` (a signed transaction) with its signature swapped for one by the same key over
/// another message: well formed, but not the transaction's.
fn with_wrong_signature(json: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(json).expect("json");
    let other: serde_json::Value = serde_json::from_str(&super::node::transfer(1, 3, 77, 0, 9)).expect("json");
    v["signature"] = other["signature"].clone();
    assert_ne!(v.to_string(), json, "the signature changed");
    v.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_transaction_sent_again_is_answered_before_its_signature_is_checked() {
    let mut node = Node::start(|c| c.verify_threads = 1).await;
    let tx = super::node::transfer(1, 2, 5, 0, 0);
    let (s, first) = node.post("/v1/txs", tx.clone()).await;
    assert_eq!((s, first["status"].as_str()), (200, Some("accepted")), "{first}");
    // Its hash is known to this process: answered as the stored transaction, signature unchecked.
    let forged = with_wrong_signature(&tx);
    let (s, again) = node.post("/v1/txs", forged.clone()).await;
    assert_eq!((s, again["duplicate"].as_bool(), &again["seq"]), (200, Some(true), &first["seq"]), "{again}");
    let (s, listed) = node
        .post("/v1/txs", format!("[{forged},{}]", with_wrong_signature(&super::node::transfer(1, 2, 5, 0, 1))))
        .await;
    assert_eq!(s, 200, "{listed}");
    assert_eq!(listed["results"][0]["duplicate"], true, "{listed}");
    assert_eq!(listed["results"][1]["error"]["code"], "bad_signature", "a new transaction's signature is checked");

    // A new process knows no hashes yet: the forged copy is checked, and refused; the real one is
    // still recognised once its nonce is found used.
    let seq = node.seq.take().expect("running");
    seq.shutdown(Duration::from_secs(5)).await;
    let mut config = causeway_sequencer::SequencerConfig::new(node.db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    let seq = causeway_sequencer::Sequencer::start(config).await.expect("restarts");
    node.url = format!("http://{}", seq.addr);
    node.seq = Some(seq);
    let (s, v) = node.post("/v1/txs", forged).await;
    assert_eq!((s, v["code"].as_str()), (401, Some("bad_signature")), "{v}");
    let (s, v) = node.post("/v1/txs", tx).await;
    assert_eq!((s, v["duplicate"].as_bool(), &v["seq"]), (200, Some(true), &first["seq"]), "{v}");
    node.stop().await;
}
