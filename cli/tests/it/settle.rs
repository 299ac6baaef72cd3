//! `causeway settler` against real anvil, PostgreSQL and proofs: proved batches are submitted in
//! order and finalized; a transaction stuck in the pool is re-priced with the same nonce; a
//! settler killed mid-submission resumes without submitting anything twice; a submission the
//! contract refuses stops the settler with the contract's reason; submissions reorganised away
//! before their confirmations are resent in order.

use super::procs::{TempDir, genesis, get, kill9, spawn, transfer_for, wait_for, wait_sealed};
use alloy::providers::Provider;
use causeway_db::{Db, testing::TestDb};
use causeway_l1::{DEV_OPERATOR_KEY, address_of, anvil::Anvil, rollup, wallet_provider};
use causeway_protocol::Domain;
use causeway_sequencer::{Sequencer, SequencerConfig};
use std::{path::Path, time::Duration};

const DEPTH: u32 = 2;
/// The fewest a Rollup takes (a deposit's chunks).
const SLOTS: usize = 7;

fn setup_keys(dir: &Path, name: &str) -> std::path::PathBuf {
    let keys = dir.join(name);
    let out = super::causeway(&[
        "setup",
        "--depth",
        &DEPTH.to_string(),
        "--slots",
        &SLOTS.to_string(),
        "--out",
        keys.to_str().expect("utf8"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    keys
}

/// Deploys with `keys` and `genesis`; returns the contract's address and its domain.
fn deploy(anvil: &Anvil, keys: &Path, genesis: &Path) -> (String, Domain) {
    let out = super::causeway(&[
        "deploy",
        "--rpc",
        &anvil.url(),
        "--keys",
        keys.to_str().expect("utf8"),
        "--exit-keys",
        super::procs::exit_keys(genesis.parent().expect("dir"), DEPTH).to_str().expect("utf8"),
        "--genesis",
        genesis.to_str().expect("utf8"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    let address = report["rollup"].as_str().expect("address").to_owned();
    let contract: alloy::primitives::Address = address.parse().expect("address");
    let domain = Domain::new(report["chain_id"].as_u64().expect("chain id"), contract.into_array());
    (address, domain)
}

/// A sequencer for the deployment `domain` on a fresh database with three full batches of
/// transfers, all proved.
async fn proved_batches(
    dir: &Path,
    keys: &Path,
    genesis_path: &Path,
    log: &Path,
    domain: Domain,
) -> (TestDb, Sequencer, String) {
    let test_db = TestDb::create().await.expect("test database");
    let mut config = SequencerConfig::new(test_db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.genesis = Some(genesis_path.to_owned());
    config.slots = Some(SLOTS);
    config.batch_timeout = Duration::from_millis(50);
    config.domain = domain;
    let seq = Sequencer::start(config).await.expect("sequencer");
    let url = format!("http://{}", seq.addr);
    let http = reqwest::Client::new();
    // 21 one-slot transfers in one request: at least three batches (more if the batch timeout
    // seals one before it is full).
    let list: Vec<serde_json::Value> = (0..7)
        .flat_map(|nonce| (1..=3u32).map(move |from| (from, nonce)))
        .map(|(from, nonce)| serde_json::from_str(&transfer_for(&domain, from, 0, 10, 1, nonce)).expect("json"))
        .collect();
    let r = http.post(format!("{url}/v1/txs")).json(&list).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 200);
    let answer: serde_json::Value = r.json().await.expect("results");
    let results = answer["results"].as_array().expect("one result per transaction");
    assert!(results.len() == 21 && results.iter().all(|v| v["status"] == "accepted"), "{answer}");
    let sealed = wait_sealed(&http, &url).await;
    assert!(sealed >= 3, "{sealed} batches");
    let keys_s = keys.to_str().expect("utf8");
    let mut prover = spawn(&["prover", "--keys", keys_s, "--database-url", &test_db.url], log);
    let db = test_db.db().await.expect("db");
    wait_for("every batch proved", 180, log, async || (db.proved_through().await.expect("db") >= sealed).then_some(()))
        .await;
    kill9(&mut prover).await;
    let _ = dir;
    (test_db, seq, url)
}

/// A Rollup deployed on a fresh anvil with the keys and genesis in a new directory, and a
/// sequencer for it whose database holds three or more proved batches.
struct Proved {
    dir: TempDir,
    log: std::path::PathBuf,
    keys: std::path::PathBuf,
    genesis_path: std::path::PathBuf,
    anvil: Anvil,
    contract: String,
    test_db: TestDb,
    seq: Sequencer,
    url: String,
}

async fn deployed_with_proved_batches(name: &str) -> Proved {
    let dir = TempDir::new(name);
    let log = dir.0.join("services.log");
    let keys = setup_keys(&dir.0, "keys");
    let genesis_path = genesis(&dir.0, DEPTH, 4);
    let anvil = Anvil::start(&[]).await.expect("anvil");
    let (contract, domain) = deploy(&anvil, &keys, &genesis_path);
    let (test_db, seq, url) = proved_batches(&dir.0, &keys, &genesis_path, &log, domain).await;
    Proved { dir, log, keys, genesis_path, anvil, contract, test_db, seq, url }
}

fn settler(db: &TestDb, anvil: &Anvil, contract: &str, confirmations: &str, log: &Path) -> tokio::process::Child {
    settler_env(db, anvil, contract, confirmations, log, &[])
}

/// [`settler`] with environment variables set (a fail point).
fn settler_env(
    db: &TestDb,
    anvil: &Anvil,
    contract: &str,
    confirmations: &str,
    log: &Path,
    env: &[(&str, &str)],
) -> tokio::process::Child {
    super::procs::spawn_env(
        &[
            "settler",
            "--database-url",
            &db.url,
            "--rpc",
            &anvil.url(),
            "--contract",
            contract,
            "--confirmations",
            confirmations,
            "--resubmit-secs",
            "1",
            "--poll-ms",
            "100",
        ],
        env,
        log,
    )
}

async fn anvil_rpc(anvil: &Anvil, method: &'static str, params: serde_json::Value) {
    let provider = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let done: serde_json::Value = provider.raw_request(method.into(), params).await.expect(method);
    assert_ne!(done, serde_json::Value::Bool(false), "{method} refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_submitted_once_repriced_when_stuck_and_finalized_after_a_kill() {
    let Proved { dir, log, keys, genesis_path, anvil, contract, test_db, seq, url } =
        deployed_with_proved_batches("settle").await;
    let db: Db = test_db.db().await.expect("db");
    let batches = db.last_batch().await.expect("db").expect("a batch").0;

    // Blocks stop: the first submission stays in the pool.
    anvil_rpc(&anvil, "evm_setAutomine", serde_json::json!([false])).await;
    let mut s = settler(&test_db, &anvil, &contract, "2", &log);
    let attempts = wait_for("a re-priced submission of batch 1", 60, &log, async || {
        let a = db.attempts(1).await.expect("db");
        (a.len() >= 2).then_some(a)
    })
    .await;
    assert_eq!(attempts[0].nonce, attempts[1].nonce, "a replacement keeps the nonce");
    let fee = |a: &causeway_db::settlement::AttemptRow| a.max_fee_per_gas.parse::<u128>().expect("fee");
    assert!(fee(&attempts[1]) * 100 >= fee(&attempts[0]) * 110, "at least +10%: {attempts:?}");
    assert!(attempts.iter().all(|a| a.status == "sent"));
    // A second settler against the same database: with --no-standby it is refused (the first
    // holds the lock); without, it stands by.
    let second = super::causeway(&[
        "settler",
        "--database-url",
        &test_db.url,
        "--rpc",
        &anvil.url(),
        "--contract",
        &contract,
        "--no-standby",
    ]);
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("another settler is running against this database"), "{stderr}");
    let standby_log = dir.0.join("standby-settler.log");
    let standby = settler(&test_db, &anvil, &contract, "2", &standby_log);
    wait_for("the second settler standing by", 30, &standby_log, async || {
        std::fs::read_to_string(&standby_log).unwrap_or_default().contains("standing by").then_some(())
    })
    .await;

    // Killed mid-submission: the standby takes over, then blocks resume.
    kill9(&mut s).await;
    let mut s = standby;
    anvil_rpc(&anvil, "evm_setIntervalMining", serde_json::json!([1])).await;
    wait_for("every batch finalized", 120, &standby_log, async || {
        let b = db.batch(batches).await.expect("db").expect("batch");
        (b.status == "finalized").then_some(())
    })
    .await;
    assert!(std::fs::read_to_string(&standby_log).unwrap_or_default().contains("took over the settler lock"));
    // Its lock's backend terminated (as a PostgreSQL restart would end it): it stops, non-zero.
    super::procs::terminate_lock_holder(&test_db, causeway_db::rollup::SETTLER_LOCK).await;
    let status = tokio::time::timeout(Duration::from_secs(30), s.wait()).await.expect("it exits").expect("wait");
    let text = std::fs::read_to_string(&standby_log).unwrap_or_default();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("lost the settler lock"), "{text}");

    // On chain: every batch once, in order, and nothing else sent by the operator.
    let provider = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let c = rollup(&provider, contract.parse().expect("address"));
    assert_eq!(c.batchCount().call().await.expect("count") as i64, batches);
    let last = db.batch(batches).await.expect("db").expect("batch");
    assert_eq!(c.stateRoot().call().await.expect("root").as_slice(), last.new_root.as_slice());
    let operator = address_of(DEV_OPERATOR_KEY).expect("address");
    let sent = provider.get_transaction_count(operator).await.expect("nonce");
    assert_eq!(sent as i64, batches + 1, "one deployment and one transaction per batch");
    for n in 1..=batches {
        let a = db.attempts(n).await.expect("db");
        assert_eq!(a.iter().filter(|a| a.status == "mined").count(), 1, "batch {n}: {a:?}");
        assert!(a.iter().all(|a| a.status == "mined" || a.status == "replaced"), "batch {n}: {a:?}");
    }
    // Each pass follows only batches still waiting for confirmations: none once all are final,
    // however many mined attempts the history holds.
    assert_eq!(db.attempts_with_status("mined").await.expect("db").len() as i64, batches);
    assert!(db.mined_attempts_awaiting_finality().await.expect("db").is_empty());
    // Visible through the API.
    let http = reqwest::Client::new();
    let (status, body) = get(&http, &format!("{url}/v1/batches/{batches}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "finalized", "{body}");

    // Anyone can rebuild and check it all from the chain, with the genesis file and the keys.
    let (keys_s, genesis_s) = (keys.to_str().expect("utf8"), genesis_path.to_str().expect("utf8"));
    let verify = |keys: &str, genesis: &str| {
        super::causeway(&[
            "verify",
            "--rpc",
            &anvil.url(),
            "--contract",
            &contract,
            "--genesis",
            genesis,
            "--keys",
            keys,
            "--account",
            "3",
        ])
    };
    let out = verify(keys_s, genesis_s);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("verified {batches} batches")), "{stdout}");
    assert!(stdout.contains("contract code: matches"), "{stdout}");
    assert!(stdout.contains("contract parameters: 7 slots, 2^2 accounts"), "{stdout}");
    assert_eq!(stdout.matches("proof valid").count() as i64, batches, "{stdout}");
    let proof: serde_json::Value =
        serde_json::from_str(stdout.lines().find(|l| l.starts_with('{')).expect("account line")).expect("json");
    let (_, api_account) = get(&http, &format!("{url}/v1/accounts/3")).await;
    for field in ["balance", "root", "leaf", "siblings"] {
        assert_eq!(proof[field], api_account["proved"][field], "{field}: {proof} vs {api_account}");
    }
    assert_eq!(proof["verified"], true);
    assert_eq!(proof["siblings"].as_array().expect("siblings").len(), DEPTH as usize / 2);
    // A wrong verifying key: every proof fails and so does the command.
    let other_keys = setup_keys(&dir.0, "other-keys");
    let out = verify(other_keys.to_str().expect("utf8"), genesis_s);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("verifying key: MISMATCH"), "{stdout}");
    assert!(stdout.contains("batch 1: FAILED: the proof does not verify with this verifying key"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("verification FAILED"));
    // A genesis that is not the chain's.
    let g3 = dir.0.join("g3");
    std::fs::create_dir_all(&g3).expect("dir");
    let out = verify(keys_s, genesis(&g3, DEPTH, 3).to_str().expect("utf8"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("batch 1: FAILED: previous root"), "{stdout}");

    // A modified contract that keeps the same storage, events and views (one byte of a revert
    // reason changed): the code comparison catches it.
    let code = provider.get_code_at(contract.parse().expect("address")).await.expect("code");
    let mut modified = code.to_vec();
    let at = modified.windows(6).position(|w| w == b"revert" || w == b"only t").expect("a revert reason");
    modified[at] ^= 0x20;
    anvil_rpc(&anvil, "anvil_setCode", serde_json::json!([contract, format!("0x{}", hex::encode(&modified))])).await;
    let out = verify(keys_s, genesis_s);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("contract code: MISMATCH: the deployed code differs"), "{stdout}");
    assert!(stdout.contains(&format!("verified {batches} batches")) || stdout.contains("proof valid"), "{stdout}");

    seq.shutdown(Duration::from_secs(5)).await;
    let _ = test_db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_submission_stops_the_settler_and_a_wrong_contract_deployment_or_key_is_refused_at_start() {
    let dir = TempDir::new("settle-refused");
    let log = dir.0.join("services.log");
    let keys = setup_keys(&dir.0, "keys");
    let other_keys = setup_keys(&dir.0, "other-keys");
    let genesis_path = genesis(&dir.0, DEPTH, 4);
    let anvil = Anvil::start(&[]).await.expect("anvil");
    // The contract checks proofs against another setup's verifying key.
    let (contract, domain) = deploy(&anvil, &other_keys, &genesis_path);
    let (test_db, seq, _url) = proved_batches(&dir.0, &keys, &genesis_path, &log, domain).await;
    // `causeway settler` on this database with `extra` flags must fail: its standard error.
    let anvil_url = anvil.url();
    let refused = |contract: &str, extra: &[&str]| {
        let mut args = vec!["settler", "--database-url", &test_db.url, "--rpc", &anvil_url, "--contract", contract];
        args.extend_from_slice(extra);
        let out = super::causeway(&args);
        assert!(!out.status.success(), "the settler ran with {extra:?} on {contract}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = refused(&contract, &["--poll-ms", "100"]);
    assert!(stderr.contains("the Rollup refused batch 1: invalid proof"), "{stderr}");
    let db: Db = test_db.db().await.expect("db");
    assert!(db.attempts(1).await.expect("db").is_empty(), "nothing was sent");
    assert_eq!(db.batch(1).await.expect("db").expect("batch").status, "proved");

    // A contract whose root is not this database's: refused at start.
    let g4 = dir.0.join("g5");
    std::fs::create_dir_all(&g4).expect("dir");
    let other_genesis = genesis(&g4, DEPTH, 3);
    let (other, _) = deploy(&anvil, &keys, &other_genesis);
    let stderr = refused(&other, &[]);
    assert!(stderr.contains("wrong contract or database"), "{stderr}");

    // Another deployment of the same genesis (its root matches, its address does not: this
    // database's batches commit to the first), and a key that is not the Rollup's operator.
    // (A deployment locks the genesis balances: top the operator up for a third one.)
    let operator = address_of(DEV_OPERATOR_KEY).expect("address");
    anvil_rpc(&anvil, "anvil_setBalance", serde_json::json!([operator.to_string(), "0x3635c9adc5dea000000"])).await;
    let (twin, _) = deploy(&anvil, &keys, &genesis_path);
    let stderr = refused(&twin, &[]);
    assert!(stderr.contains(&format!("not chain {} and {}", domain.chain_id, twin)), "{stderr}");
    let stderr = refused(&contract, &["--operator-key", causeway_l1::DEV_USER_KEYS[0]]);
    let user = address_of(causeway_l1::DEV_USER_KEYS[0]).expect("address");
    assert!(stderr.contains(&format!("not this key's address {user}")), "{stderr}");
    assert!(db.attempts(1).await.expect("db").is_empty(), "no refused settler sent anything");
    seq.shutdown(Duration::from_secs(5)).await;
    let _ = test_db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_recorded_but_never_sent_and_submissions_reorganised_away_are_resent_in_order() {
    let Proved { dir: _dir, log, keys: _keys, genesis_path: _genesis, anvil, contract, test_db, seq, url: _url } =
        deployed_with_proved_batches("settle-reorg").await;
    let db: Db = test_db.db().await.expect("db");
    let batches = db.last_batch().await.expect("db").expect("a batch").0;
    let snapshot: serde_json::Value = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY)
        .expect("provider")
        .raw_request("evm_snapshot".into(), serde_json::json!([]))
        .await
        .expect("snapshot");
    // Killed right after recording its first attempt, before broadcasting it: the transaction
    // exists only in the database.
    let mut aborted = settler_env(
        &test_db,
        &anvil,
        &contract,
        "10",
        &log,
        &[(causeway_db::FAIL_POINT_ENV, "settler-recorded-attempt-1")],
    );
    let status = tokio::time::timeout(Duration::from_secs(60), aborted.wait()).await.expect("aborts").expect("wait");
    assert!(!status.success(), "the fail point aborts the settler");
    let recorded = db.attempts(1).await.expect("db");
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let provider = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let unsent = provider
        .get_transaction_by_hash(alloy::primitives::B256::from_slice(&recorded[0].tx_hash))
        .await
        .expect("rpc")
        .is_none();
    assert!(unsent, "the recorded attempt was never broadcast");
    // Every batch mined (one block each), none final: 10 confirmations needed. The restarted
    // settler finds the unsent attempt and sends batch 1 at its nonce.
    let mut s = settler(&test_db, &anvil, &contract, "10", &log);
    wait_for("every batch submitted", 60, &log, async || {
        let b = db.batch(batches).await.expect("db").expect("batch");
        (b.status == "submitted").then_some(())
    })
    .await;
    // The blocks holding them vanish.
    anvil_rpc(&anvil, "evm_revert", serde_json::json!([snapshot])).await;
    let provider = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let c = rollup(&provider, contract.parse().expect("address"));
    assert_eq!(c.batchCount().call().await.expect("count"), 0);
    anvil_rpc(&anvil, "evm_setIntervalMining", serde_json::json!([1])).await;
    wait_for("every batch finalized on the new chain", 120, &log, async || {
        let b = db.batch(batches).await.expect("db").expect("batch");
        (b.status == "finalized").then_some(())
    })
    .await;
    assert_eq!(c.batchCount().call().await.expect("count") as i64, batches);
    let last = db.batch(batches).await.expect("db").expect("batch");
    assert_eq!(c.stateRoot().call().await.expect("root").as_slice(), last.new_root.as_slice());
    for n in 1..=batches {
        let a = db.attempts(n).await.expect("db");
        assert_eq!(a.iter().filter(|a| a.status == "mined").count(), 1, "batch {n}: {a:?}");
    }
    assert!(
        db.attempts(1).await.expect("db").iter().any(|a| a.nonce == recorded[0].nonce && a.status == "mined"),
        "batch 1 went out at the nonce the aborted settler recorded"
    );
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(log_text.contains("reorganised away"), "{log_text}");
    kill9(&mut s).await;
    seq.shutdown(Duration::from_secs(5)).await;
    let _ = test_db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_re_mined_as_reverted_after_a_reorganisation_is_never_finalized() {
    let Proved { dir: _dir, log, keys: _keys, genesis_path: _genesis, anvil, contract, test_db, seq, url: _url } =
        deployed_with_proved_batches("settle-reverted").await;
    let db: Db = test_db.db().await.expect("db");
    let provider = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let snapshot: serde_json::Value =
        provider.raw_request("evm_snapshot".into(), serde_json::json!([])).await.expect("snapshot");
    // Batch 1 mined, far from final (10 confirmations).
    let mut s = settler(&test_db, &anvil, &contract, "10", &log);
    wait_for("batch 1 mined", 60, &log, async || {
        let a = db.attempts(1).await.expect("db");
        a.iter().any(|a| a.status == "mined").then_some(())
    })
    .await;
    kill9(&mut s).await;
    let mined = db.attempts(1).await.expect("db").into_iter().find(|a| a.status == "mined").expect("mined attempt");

    // A reorganisation drops it; on the new chain the same signed transaction is mined again but
    // reverts (the contract's batch count says batch 1 is already there).
    anvil_rpc(&anvil, "evm_revert", serde_json::json!([snapshot])).await;
    let address: alloy::primitives::Address = contract.parse().expect("address");
    let slot1 = provider.get_storage_at(address, alloy::primitives::U256::from(1)).await.expect("storage");
    let word = alloy::primitives::B256::from(slot1 | alloy::primitives::U256::from(1));
    anvil_rpc(&anvil, "anvil_setStorageAt", serde_json::json!([contract, "0x1", word])).await;
    let root1 = alloy::primitives::B256::from_slice(&db.batch(1).await.expect("db").expect("batch").new_root);
    anvil_rpc(&anvil, "anvil_setStorageAt", serde_json::json!([contract, "0x0", root1])).await;
    let c = rollup(&provider, address);
    assert_eq!(c.batchCount().call().await.expect("count"), 1);
    let raw = format!("0x{}", hex::encode(&mined.raw_tx));
    let hash: alloy::primitives::B256 =
        provider.raw_request("eth_sendRawTransaction".into(), serde_json::json!([raw])).await.expect("resend");
    // Anvil answers eth_sendRawTransaction before its miner has run: wait for the receipt.
    let receipt = causeway_l1::wait_receipt(&provider, hash, causeway_l1::RECEIPT_WAIT).await.expect("mined");
    assert!(!receipt.status(), "re-mined and reverted");
    assert_eq!(hash.as_slice(), mined.tx_hash.as_slice());

    // The settler sees the reverted receipt: the attempt is marked so, the batch is not
    // finalized, and it stops with the reason.
    let out = super::causeway(&[
        "settler",
        "--database-url",
        &test_db.url,
        "--rpc",
        &anvil.url(),
        "--contract",
        &contract,
        "--confirmations",
        "1",
        "--poll-ms",
        "100",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the Rollup refused batch 1"), "{stderr}");
    let a = db.attempts(1).await.expect("db");
    assert!(a.iter().any(|a| a.id == mined.id && a.status == "reverted"), "{a:?}");
    assert_eq!(db.batch(1).await.expect("db").expect("batch").status, "submitted", "never finalized");
    seq.shutdown(Duration::from_secs(5)).await;
    let _ = test_db.drop_db().await;
}
