//! Every route and every error code of the API.

use super::node::{Node, transfer, withdraw};
use serde_json::Value;

const GENESIS_BALANCE: u128 = 1_000_000_000_000_000_000_000;

/// A deployment other than the node's (chain 1, another Rollup).
fn other_deployment() -> causeway_protocol::Domain {
    causeway_protocol::Domain::new(1, [0x42; 20])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_one_deployment_is_refused_to_a_sequencer_of_another() {
    let mut node = Node::start(|_| {}).await;
    node.seq.take().expect("running").shutdown(std::time::Duration::from_secs(5)).await;
    let mut config = causeway_sequencer::SequencerConfig::new(node.db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.domain = other_deployment();
    let e = causeway_sequencer::Sequencer::start(config).await.err().expect("refused");
    assert!(e.to_string().contains("this database serves the deployment"), "{e}");
    node.stop().await;
}

/// Stored rows that no longer apply (a database written by another version, or by hand) reach
/// the sealer after a restart: the sealer refuses exactly those, seals the rest, and each
/// refused transaction answers `rejected` with the rule it broke.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_transaction_that_no_longer_applies_is_rejected_at_sealing_and_the_rest_is_sealed() {
    let mut node = Node::start(|_| {}).await;
    node.seq.take().expect("running").shutdown(std::time::Duration::from_secs(5)).await;
    // Seq 1 uses nonce 3 (account 1's next is 0); seq 2 is account 1's nonce 0.
    let rows: Vec<(String, causeway_db::txs::NewTx)> = [(1, transfer(1, 2, 5, 0, 3)), (2, transfer(1, 2, 7, 0, 0))]
        .into_iter()
        .map(|(seq, body)| {
            let tx: causeway_protocol::wire::SignedTx = serde_json::from_str(&body).expect("json");
            let causeway_protocol::Operation::Transfer(t) = tx.operation() else { unreachable!("a transfer") };
            let hash = causeway_protocol::field::fr_to_be_bytes(&t.message(&causeway_protocol::Domain::default()));
            let row = causeway_db::txs::NewTx {
                seq,
                hash: hash.to_vec(),
                kind: "transfer",
                from_index: 1,
                nonce: i64::from(t.nonce),
                body,
            };
            (format!("0x{}", hex::encode(hash)), row)
        })
        .collect();
    let db = node.db.db().await.expect("db");
    db.insert_txs(&rows.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>()).await.expect("insert");
    let mut config = causeway_sequencer::SequencerConfig::new(node.db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.batch_timeout = std::time::Duration::from_millis(200);
    let seq = causeway_sequencer::Sequencer::start(config).await.expect("restarts");
    node.url = format!("http://{}", seq.addr);
    node.seq = Some(seq);

    let included = node.wait_status(&rows[1].0, "included").await;
    let rejected = node.wait_status(&rows[0].0, "rejected").await;
    assert_eq!(rejected["rejection"]["code"], "wrong_nonce", "{rejected}");
    assert_eq!(rejected["batch"], Value::Null, "a rejected transaction is in no batch: {rejected}");
    assert_eq!(included["batch"], 1, "{included}");
    let (_, batch) = node.get("/v1/batches/1").await;
    // The batch lists both in its range, the refused one marked; it executed one operation.
    let listed: Vec<(&str, &Value)> = batch["transactions"]
        .as_array()
        .expect("list")
        .iter()
        .map(|t| (t["hash"].as_str().unwrap_or(""), &t["rejected"]))
        .collect();
    assert_eq!(
        listed,
        vec![(rows[0].0.as_str(), &Value::from("wrong_nonce")), (rows[1].0.as_str(), &Value::Null)],
        "{batch}"
    );
    assert_eq!(batch["operations"], 1, "{batch}");
    let (_, a) = node.get("/v1/accounts/1").await;
    assert_eq!((balance(&a, "accepted"), &a["accepted"]["nonce"]), (GENESIS_BALANCE - 7, &Value::from(1)));
    drop(db);
    node.stop().await;
}

fn balance(v: &Value, which: &str) -> u128 {
    v[which]["balance"].as_str().expect("balance").parse().expect("decimal")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_is_accepted_sealed_and_visible_everywhere() {
    let node = Node::start(|_| {}).await;
    let (status, v) = node.post("/v1/txs", transfer(1, 2, 1_000, 10, 0)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "accepted");
    assert_eq!(v["seq"], 1);
    let hash = v["hash"].as_str().expect("hash").to_owned();

    // Accepted state moves at once; the proved state still shows genesis.
    let (status, a) = node.get("/v1/accounts/1").await;
    assert_eq!(status, 200);
    assert_eq!(balance(&a, "accepted"), GENESIS_BALANCE - 1_010);
    assert_eq!(a["accepted"]["nonce"], 1);
    assert_eq!(balance(&a, "proved"), GENESIS_BALANCE);
    assert_eq!(a["proved"]["batch"], 0);
    let key = a["public_key"].as_str().expect("key").to_owned();
    let (status, by_key) = node.get(&format!("/v1/accounts/by-key/{key}")).await;
    assert_eq!(status, 200);
    assert_eq!(by_key["accounts"].as_array().expect("a list").len(), 1, "{by_key}");
    assert_eq!(by_key["accounts"][0]["index"], 1);
    assert_eq!(by_key["accounts"][0]["owner"], a["owner"]);
    let (status, rollup) = node.get("/v1/rollup").await;
    assert_eq!(status, 200);
    assert_eq!(rollup["chain_id"], "0", "a rollup without a base chain: the default domain (a decimal string)");
    assert_eq!(rollup["rollup"], format!("0x{}", "00".repeat(20)));
    assert_eq!(rollup["slots"], super::node::SLOTS);

    // The batch timeout seals it alone.
    let t = node.wait_status(&hash, "included").await;
    assert_eq!(t["batch"], 1);
    assert_eq!(t["tx"]["type"], "transfer");
    let (status, b) = node.get("/v1/batches/1").await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["status"], "sealed");
    assert_eq!(b["operations"], 1);
    assert_eq!(b["fees"], "10");
    assert_eq!(b["transactions"][0]["hash"], hash.as_str());
    assert_eq!(b["proof_job"]["status"], "queued");
    assert_eq!(b["pubdata"].as_str().expect("hex").len(), 2 + 2 * 16 * super::node::SLOTS);
    let (status, list) = node.get("/v1/batches").await;
    assert_eq!(status, 200);
    assert_eq!(list["batches"][0]["number"], 1);
    assert_eq!(list["sealed"], 1);
    let (status, p) = node.get("/v1/batches/1/proof").await;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")), "not proved yet");

    // The fee reached the operator's accepted balance once the batch was sealed.
    let (_, op) = node.get("/v1/accounts/0").await;
    assert_eq!(balance(&op, "accepted"), GENESIS_BALANCE + 10);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_fees_go_to_the_fee_account_the_sequencer_is_started_with_which_must_exist() {
    // A party taking the rollup over names its own fee account (here 3, not the genesis's 0).
    let node = Node::start(|c| c.fee_account = Some(3)).await;
    let (status, v) = node.post("/v1/txs", transfer(1, 2, 1_000, 10, 0)).await;
    assert_eq!(status, 200, "{v}");
    node.wait_status(v["hash"].as_str().expect("hash"), "included").await;
    let (_, b) = node.get("/v1/batches/1").await;
    assert_eq!(b["fee_account"], 3, "{b}");
    let (_, three) = node.get("/v1/accounts/3").await;
    assert_eq!(balance(&three, "accepted"), GENESIS_BALANCE + 10);
    let (_, zero) = node.get("/v1/accounts/0").await;
    assert_eq!(balance(&zero, "accepted"), GENESIS_BALANCE);
    node.stop().await;

    // An account nobody holds is refused before anything starts.
    let db = causeway_db::testing::TestDb::create().await.expect("test database");
    let dir = std::env::temp_dir().join(format!("causeway-fee-account-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut config = causeway_sequencer::SequencerConfig::new(db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.genesis = Some(super::node::genesis_file(&dir));
    config.slots = Some(super::node::SLOTS);
    config.fee_account = Some(super::node::ACCOUNTS);
    let e = causeway_sequencer::Sequencer::start(config).await.err().expect("refused");
    assert!(e.to_string().contains("is not an account of the sealed state"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submission_errors_have_the_right_status_and_code() {
    let node = Node::start(|c| c.max_body_bytes = 4096).await;
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("malformed JSON", "{\"type\":".into(), 400, "malformed"),
        ("not JSON at all", "nope".into(), 400, "malformed"),
        ("unknown field", transfer(1, 2, 5, 0, 0).replace("{", "{\"extra\":1,"), 400, "malformed"),
        (
            "amount beyond 128 bits",
            transfer(1, 2, 5, 0, 0)
                .replace("\"amount\":\"5\"", "\"amount\":\"340282366920938463463374607431768211456\""),
            400,
            "malformed",
        ),
        ("bad signature", tampered(transfer(1, 2, 5, 0, 0)), 401, "bad_signature"),
        (
            "signed for another deployment",
            super::node::transfer_for(&other_deployment(), 1, 2, 5, 0, 0),
            401,
            "bad_signature",
        ),
        ("overspend", transfer(1, 2, 2 * GENESIS_BALANCE, 0, 0), 422, "insufficient_balance"),
        ("fee counted in overspend", transfer(1, 2, GENESIS_BALANCE, 10, 0), 422, "insufficient_balance"),
        ("unknown payee", transfer(1, 9, 5, 0, 0), 422, "unknown_account"),
        ("payee past the tree", transfer(1, 16, 5, 0, 0), 422, "index_out_of_range"),
        ("amount not representable", transfer(1, 2, 34_359_738_369, 0, 0), 422, "amount_not_representable"),
        ("nonce from the future", transfer(1, 2, 5, 0, 7), 409, "wrong_nonce"),
        ("oversized body", format!("[{}]", vec![transfer(1, 2, 5, 0, 0); 40].join(",")), 413, "body_too_large"),
        ("empty list", "[]".into(), 400, "malformed"),
    ];
    for (what, body, status, code) in cases {
        let (s, v) = node.post("/v1/txs", body).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{what}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: a message");
    }
    // An unknown payer (empty leaf) and a bad signature change nothing.
    let (s, v) = node.post("/v1/txs", transfer(9, 1, 5, 0, 0)).await;
    assert_eq!((s, v["code"].as_str()), (422, Some("unknown_account")));
    let (_, a) = node.get("/v1/accounts/1").await;
    assert_eq!(a["accepted"]["nonce"], 0, "nothing was applied");

    // Replays: the same transaction again is recognised (not applied twice); another
    // transaction with a used nonce is a conflict.
    let first = transfer(1, 2, 5, 0, 0);
    let (s, v) = node.post("/v1/txs", first.clone()).await;
    assert_eq!(s, 200, "{v}");
    let (s, again) = node.post("/v1/txs", first).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["seq"], v["seq"]);
    let (s, conflict) = node.post("/v1/txs", transfer(1, 3, 5, 0, 0)).await;
    assert_eq!((s, conflict["code"].as_str()), (409, Some("wrong_nonce")), "{conflict}");
    let (_, a) = node.get("/v1/accounts/1").await;
    assert_eq!(a["accepted"]["nonce"], 1);
    assert_eq!(balance(&a, "accepted"), GENESIS_BALANCE - 5);

    // Rejections are counted by reason.
    let m = node.http.get(format!("{}/metrics", node.url)).send().await.expect("metrics").text().await.expect("text");
    assert!(m.contains("causeway_txs_accepted_total"), "{m}");
    assert!(m.contains("causeway_txs_rejected_total{reason=\"bad_signature\"}"), "{m}");
    assert!(m.contains("causeway_mempool_slots"), "{m}");
    assert!(m.contains("causeway_proof_jobs{status=\"queued\"}"), "{m}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_breaking_two_rules_gets_the_first_in_the_documented_order() {
    // docs/api.md: body, fee minimum, payer, signature, mempool room, float formats, payee,
    // nonce, balance.
    let node = Node::start(|_| {}).await;
    let unrepresentable = 34_359_738_369;
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("payer past the tree and a bad signature", transfer(16, 1, 5, 0, 0), 422, "index_out_of_range"),
        ("bad signature and a wrong nonce", tampered(transfer(1, 2, 5, 0, 7)), 401, "bad_signature"),
        (
            "unrepresentable amount and an unknown payee",
            transfer(1, 9, unrepresentable, 0, 0),
            422,
            "amount_not_representable",
        ),
        (
            "unrepresentable amount and a wrong nonce",
            transfer(1, 2, unrepresentable, 0, 7),
            422,
            "amount_not_representable",
        ),
        ("unknown payee and a wrong nonce", transfer(1, 9, 5, 0, 7), 422, "unknown_account"),
        ("wrong nonce and an overspend", transfer(1, 2, 2 * GENESIS_BALANCE, 0, 7), 409, "wrong_nonce"),
    ];
    answers_each(&node, cases).await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fees_below_the_minimum_are_refused_before_anything_else_is_checked() {
    let node = Node::start(|c| c.min_fee = 10).await;
    let (_, r) = node.get("/v1/rollup").await;
    assert_eq!(r["min_fee"], "10", "{r}");
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("a fee of 9", transfer(1, 2, 5, 9, 0), 422, "fee_too_low"),
        ("no fee, a payer past the tree", transfer(16, 1, 5, 0, 0), 422, "fee_too_low"),
        ("no fee and a bad signature", tampered(transfer(1, 2, 5, 0, 0)), 422, "fee_too_low"),
        ("a fee of 10 and a bad signature", tampered(transfer(1, 2, 5, 10, 0)), 401, "bad_signature"),
    ];
    answers_each(&node, cases).await;
    let (s, v) = node.post("/v1/txs", transfer(1, 2, 5, 10, 0)).await;
    assert_eq!(s, 200, "a fee of exactly the minimum: {v}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_is_checked_in_order_with_one_result_each() {
    let node = Node::start(|_| {}).await;
    let list = format!(
        "[{},{},{},{}]",
        transfer(1, 2, 100, 1, 0),
        transfer(1, 2, 100, 1, 5),
        withdraw(1, [0xab; 20], 50, 2, 1),
        "{\"type\":\"bogus\"}"
    );
    let (s, v) = node.post("/v1/txs", list).await;
    assert_eq!(s, 200, "{v}");
    let r = v["results"].as_array().expect("results");
    assert_eq!(r.len(), 4);
    assert_eq!(r[0]["status"], "accepted");
    assert_eq!(r[1]["error"]["code"], "wrong_nonce");
    assert_eq!(r[2]["status"], "accepted", "the withdrawal with nonce 1 follows the first transfer");
    assert_eq!(r[3]["error"]["code"], "malformed");
    let hash = r[2]["hash"].as_str().expect("hash");
    let t = node.wait_status(hash, "included").await;
    assert_eq!(t["tx"]["type"], "withdraw");
    let (_, a) = node.get("/v1/accounts/1").await;
    assert_eq!(balance(&a, "accepted"), GENESIS_BALANCE - 101 - 52);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_answer_404_400_and_json_for_unknown_routes() {
    let node = Node::start(|_| {}).await;
    let zero = format!("0x{}", "00".repeat(32));
    let cases = [
        (format!("/v1/txs/{zero}"), 404, "not_found"),
        ("/v1/txs/0x1234".to_owned(), 400, "malformed"),
        ("/v1/accounts/9".to_owned(), 404, "not_found"),
        ("/v1/accounts/16".to_owned(), 404, "not_found"),
        ("/v1/accounts/abc".to_owned(), 400, "malformed"),
        (format!("/v1/accounts/by-key/{zero}"), 404, "not_found"),
        ("/v1/accounts/by-key/0xzz".to_owned(), 400, "malformed"),
        ("/v1/batches/0".to_owned(), 400, "malformed"),
        ("/v1/batches/77".to_owned(), 404, "not_found"),
        ("/v1/batches/77/proof".to_owned(), 404, "not_found"),
        ("/v1/batches?limit=x".to_owned(), 400, "malformed"),
        ("/v1/accounts/abc/txs".to_owned(), 400, "malformed"),
        ("/v1/accounts/1/txs?limit=-1".to_owned(), 400, "malformed"),
        ("/v1/verifying-key".to_owned(), 404, "not_found"),
        ("/explorer/nothing.js".to_owned(), 404, "not_found"),
        ("/v2/nothing".to_owned(), 404, "not_found"),
    ];
    for (path, status, code) in cases {
        let (s, v) = node.get(&path).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{path}: {v}");
    }
    let (s, v) = node.post("/health", "").await;
    assert_eq!((s, v["code"].as_str()), (405, Some("method_not_allowed")));
    let (s, v) = node.get("/health").await;
    assert_eq!((s, v["database"].as_str()), (200, Some("ok")));

    // Every documented route is routed, every answer matches the document, and every routed
    // path is documented.
    let (s, doc) = node.get("/v1/openapi.json").await;
    assert_eq!(s, 200);
    let operations = causeway_sequencer::openapi::operations();
    for (method, template) in &operations {
        assert!(doc["paths"][template][method].is_object(), "{method} {template} documented");
        let path = template
            .replace("{hash}", &zero)
            .replace("{index}", "1")
            .replace("{key}", &zero)
            .replace("{number}", "1")
            .replace("{file}", "app.js");
        let req = node.http.request(method.to_uppercase().parse().expect("method"), format!("{}{path}", node.url));
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let json = r.headers().get("content-type").and_then(|h| h.to_str().ok()).is_some_and(|c| c.contains("json"));
        if json {
            let body: Value = r.json().await.expect("json");
            assert!(status != 405 && body["message"] != "no such route", "{method} {path} is routed: {status} {body}");
            causeway_sequencer::openapi::check_response(method, &path, status, &body).expect("matches the document");
        } else {
            assert_eq!(status, 200, "{method} {path}");
        }
    }
    for routed in [
        "/v1/txs",
        "/v1/txs/{hash}",
        "/v1/accounts/{index}",
        "/v1/accounts/{index}/txs",
        "/v1/accounts/by-key/{key}",
        "/v1/rollup",
        "/v1/batches",
        "/v1/batches/{number}",
        "/v1/batches/{number}/proof",
        "/v1/verifying-key",
        "/health",
        "/metrics",
        "/v1/openapi.json",
        "/",
        "/explorer/{file}",
    ] {
        assert!(operations.iter().any(|(_, t)| t == routed), "{routed} is documented");
    }
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_mempool_answers_429_with_retry_after() {
    let node = Node::start(|c| {
        c.mempool_limit = 2;
        c.batch_timeout = std::time::Duration::from_secs(3600);
        c.slots = Some(8);
    })
    .await;
    for nonce in 0..2 {
        let (s, v) = node.post("/v1/txs", transfer(1, 2, 5, 0, nonce)).await;
        assert_eq!(s, 200, "{v}");
    }
    let body = transfer(1, 2, 5, 0, 2);
    let r = node.http.post(format!("{}/v1/txs", node.url)).body(body.clone()).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers().get("retry-after").and_then(|h| h.to_str().ok()), Some("1"));
    let v: Value = r.json().await.expect("json");
    causeway_testkit::api::check("post", "/v1/txs", Some(&body), 429, &v);
    assert_eq!(v["code"], "mempool_full");
    // Nothing is sealed within the hour's batch timeout: the invariants, which wait until every
    // accepted transaction is sealed, do not apply.
    node.stop_unchecked().await;
}

#[test]
fn the_schema_check_refuses_bodies_that_differ_from_the_document() {
    use causeway_sequencer::openapi::check_response;
    let ok = serde_json::json!({ "chain_id": "1", "rollup": format!("0x{}", "ab".repeat(20)), "depth": 4, "slots": 8, "fee_account": 0, "min_fee": "0" });
    check_response("get", "/v1/rollup", 200, &ok).expect("the real shape");
    let mut missing = ok.clone();
    missing.as_object_mut().expect("object").remove("slots");
    let mut extra = ok.clone();
    extra["surprise"] = 1.into();
    let mut wrong_type = ok.clone();
    wrong_type["depth"] = "4".into();
    let mut bad_pattern = ok.clone();
    bad_pattern["rollup"] = "0x12".into();
    for (what, body) in [("missing", missing), ("extra", extra), ("type", wrong_type), ("pattern", bad_pattern)] {
        assert!(check_response("get", "/v1/rollup", 200, &body).is_err(), "{what} is refused");
    }
    let error = serde_json::json!({ "code": "not_found", "message": "no batch 9" });
    check_response("get", "/v1/batches/9", 404, &error).expect("an error body");
    assert!(check_response("get", "/v1/batches/9", 404, &ok).is_err(), "an error must be {{code, message}}");
    assert!(check_response("get", "/v1/batches/9", 418, &error).is_err(), "an undocumented status");
    assert!(check_response("get", "/v1/nothing", 200, &ok).is_err(), "an undocumented route");
    let tx = serde_json::json!({
        "hash": format!("0x{}", "11".repeat(32)), "seq": 1, "status": "accepted", "batch": null,
        "batch_status": null, "rejection": null, "accepted_at": "2026-12-01T18:00:00Z",
        "tx": { "type": "transfer", "from": 1, "to": 2, "amount": "5", "fee": "0", "nonce": 0,
                "signature": format!("0x{}", "22".repeat(64)) },
    });
    check_response("get", &format!("/v1/txs/0x{}", "11".repeat(32)), 200, &tx).expect("a transaction");
    let mut bad_tx = tx.clone();
    bad_tx["tx"]["amount"] = 5.into();
    assert!(check_response("get", "/v1/txs/0x11", 200, &bad_tx).is_err(), "an amount must be a decimal string");
    let mut bad_state = tx;
    bad_state["status"] = "lost".into();
    assert!(check_response("get", "/v1/txs/0x11", 200, &bad_state).is_err(), "an unknown status");
}

#[test]
fn the_explorer_embeds_the_pinned_snarkjs_build_byte_for_byte() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let lock: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("contracts/package-lock.json")).expect("lockfile"))
            .expect("json");
    let pinned = lock["packages"]["node_modules/snarkjs"]["version"].as_str().expect("snarkjs pinned");
    let installed = root.join("contracts/node_modules/snarkjs");
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(installed.join("package.json")).expect("npm ci ran"))
            .expect("json");
    assert_eq!(package["version"], pinned, "node_modules holds the locked snarkjs");
    let build = std::fs::read(installed.join("build/snarkjs.min.js")).expect("snarkjs build");
    assert!(
        causeway_sequencer::explorer::snarkjs_bundle() == build.as_slice(),
        "sequencer/explorer/snarkjs.min.js is snarkjs {pinned}'s build/snarkjs.min.js"
    );
}

#[test]
fn the_sdk_holds_the_current_openapi_document() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/openapi.json");
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("sdk/openapi.json")).expect("json");
    assert!(
        committed == causeway_sequencer::openapi::document(),
        "sdk/openapi.json is stale: run `causeway openapi > sdk/openapi.json` and `npm run generate` in sdk/"
    );
}

/// Every test drops its database `WITH (FORCE)`; PostgreSQL 15 refuses that (and the test fails
/// at teardown) when an autovacuum worker has just started on the database, unless the role may
/// signal backends. `scripts/postgres` grants it; this holds the server the tests use to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_role_may_end_an_autovacuum_worker_when_it_drops_a_database() {
    use sqlx::Connection;
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    let member: bool = sqlx::query_scalar("SELECT pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')")
        .fetch_one(&mut conn)
        .await
        .expect("query");
    assert!(member, "run scripts/postgres: it grants pg_signal_backend to Causeway's role");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_from_another_origin_may_read_and_submit_and_see_retry_after() {
    let node = Node::start(|_| {}).await;
    let origin = "http://wallet.example";
    // The browser's preflight of a JSON POST.
    let r = node
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/v1/txs", node.url))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("preflight");
    assert!(r.status().is_success(), "{}", r.status());
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["access-control-allow-methods"].to_str().expect("ascii").contains("POST"));
    assert!(h["access-control-allow-headers"].to_str().expect("ascii").contains("content-type"));
    // A cross-origin read: allowed, and Retry-After is readable by the page.
    let r = node.http.get(format!("{}/v1/rollup", node.url)).header("origin", origin).send().await.expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.headers()["access-control-expose-headers"].to_str().expect("ascii").contains("retry-after"));
    causeway_testkit::api::checked("get", "/v1/rollup", None, r).await;
    node.stop().await;
}

#[test]
fn the_explorer_reads_the_chain_with_the_contracts_own_selectors_and_event_topic() {
    use alloy::sol_types::{SolCall, SolEvent};
    use causeway_l1::Rollup;
    let app = causeway_sequencer::explorer::app_js();
    let hex = |b: &[u8]| format!("0x{}", hex::encode(b));
    for (name, selector) in [
        ("verifyingKey", Rollup::verifyingKeyCall::SELECTOR),
        ("stateRoot", Rollup::stateRootCall::SELECTOR),
        ("batchCount", Rollup::batchCountCall::SELECTOR),
    ] {
        assert!(app.contains(&format!("{name}: \"{}\"", hex(&selector))), "app.js's selector of {name}()");
    }
    let topic = hex(Rollup::BatchSubmitted::SIGNATURE_HASH.as_slice());
    assert!(app.contains(&format!("BATCH_SUBMITTED = \"{topic}\"")), "app.js's BatchSubmitted topic is {topic}");
}

/// Posts each case's body and checks its status and error code.
async fn answers_each(node: &Node, cases: Vec<(&str, String, u16, &str)>) {
    for (what, body, status, code) in cases {
        let (s, v) = node.post("/v1/txs", body).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{what}: {v}");
    }
}

/// A signed transfer of 5 whose amount was changed to 6 after signing: its signature is bad.
fn tampered(transfer_of_5: String) -> String {
    transfer_of_5.replace("\"amount\":\"5\"", "\"amount\":\"6\"")
}
