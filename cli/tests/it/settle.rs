//! `causeway settler` against real anvil, PostgreSQL and proofs: proved batches are submitted in
//! order and finalized; a transaction stuck in the pool is re-priced with the same nonce; a
//! settler killed mid-submission resumes without submitting anything twice; a submission the
//! contract refuses stops the settler with the contract's reason; submissions reorganised away
//! before their confirmations are resent in order.

use super::procs::genesis;
use alloy::providers::Provider;
use causeway_db::Db;
use causeway_l1::{DEV_OPERATOR_KEY, address_of, rollup, wallet_provider};
use causeway_testkit::system::{Options, Role, System};
use std::time::Duration;

const DEPTH: u32 = 2;

/// A system of 4 sample accounts whose database holds three or more batches of transfers, all
/// proved (the prover is then stopped): what a settler starts from. `confirmations` are the
/// settler's; it re-prices after a second.
async fn proved(confirmations: u64, foreign_verifying_key: bool) -> (System, Db, i64) {
    let options = Options {
        genesis_accounts: 4,
        confirmations,
        batch_timeout_ms: 50,
        start: vec![Role::Sequencer, Role::Prover],
        extra: [(Role::Settler, vec!["--resubmit-secs".to_owned(), "1".to_owned()])].into(),
        foreign_verifying_key,
        ..Options::default()
    };
    let mut sys = System::start(env!("CARGO_BIN_EXE_causeway"), options).await;
    // 21 one-slot transfers in one request: at least three batches (more if the batch timeout
    // seals one before it is full).
    let list: Vec<serde_json::Value> = (0..7)
        .flat_map(|nonce| (1..=3u32).map(move |from| (from, nonce)))
        .map(|(from, nonce)| serde_json::from_str(&sys.transfer(from, from, 0, 10, 1, nonce)).expect("json"))
        .collect();
    let (status, answer) = sys.api.post_json("/v1/txs", &serde_json::Value::Array(list)).await;
    assert_eq!(status, 200, "{answer}");
    let results = answer["results"].as_array().expect("one result per transaction");
    assert!(results.len() == 21 && results.iter().all(|v| v["status"] == "accepted"), "{answer}");
    let api = sys.api.clone();
    let sealed = sys
        .wait_for("every transaction sealed", 40, async || {
            let (s, h) = api.get("/health").await;
            (s == 200 && h["mempool_slots"] == 0).then(|| h["sealed"].as_i64().expect("sealed"))
        })
        .await;
    assert!(sealed >= 3, "{sealed} batches");
    let db = sys.db.db().await.expect("db");
    sys.wait_for("every batch proved", 180, async || (db.proved_through().await.expect("db") >= sealed).then_some(()))
        .await;
    sys.kill9(Role::Prover).await;
    (sys, db, sealed)
}

/// The settler's arguments with `--confirmations` replaced.
fn settler_args(sys: &System, confirmations: &str) -> Vec<String> {
    let mut args = sys.args(Role::Settler);
    let at = args.iter().position(|a| a == "--confirmations").expect("--confirmations");
    args[at + 1] = confirmations.to_owned();
    args
}

/// Runs `causeway <args>` to its end: its status and standard error.
fn run(args: &[String]) -> (bool, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = super::causeway(&args);
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_submitted_once_repriced_when_stuck_and_finalized_after_a_kill() {
    let (mut sys, db, batches) = proved(2, false).await;
    let contract = sys.contract.to_string();

    // Blocks stop: the first submission stays in the pool.
    sys.anvil_rpc("evm_setAutomine", serde_json::json!([false])).await;
    sys.spawn(Role::Settler).await;
    let attempts = sys
        .wait_for("a re-priced submission of batch 1", 60, async || {
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
    let mut no_standby = sys.args(Role::Settler);
    no_standby.push("--no-standby".into());
    let (ok, stderr) = run(&no_standby);
    assert!(!ok);
    assert!(stderr.contains("another settler is running against this database"), "{stderr}");
    let mut standby = sys.second(Role::Settler, "");
    sys.wait_for("the second settler standing by", 30, async || {
        std::fs::read_to_string(&sys.log).unwrap_or_default().contains("standing by").then_some(())
    })
    .await;

    // Killed mid-submission: the standby takes over, then blocks resume.
    sys.kill9(Role::Settler).await;
    sys.anvil_rpc("evm_setIntervalMining", serde_json::json!([1])).await;
    sys.wait_for("every batch finalized", 120, async || {
        let b = db.batch(batches).await.expect("db").expect("batch");
        (b.status == "finalized").then_some(())
    })
    .await;
    assert!(std::fs::read_to_string(&sys.log).unwrap_or_default().contains("took over the settler lock"));
    // Every sealed batch is on chain, once: the invariants hold.
    sys.check_invariants().await;
    // Its lock's backend terminated (as a PostgreSQL restart would end it): it stops, non-zero.
    super::procs::terminate_lock_holder(&sys.db, causeway_db::rollup::SETTLER_LOCK).await;
    let status = tokio::time::timeout(Duration::from_secs(30), standby.wait()).await.expect("it exits").expect("wait");
    let text = std::fs::read_to_string(&sys.log).unwrap_or_default();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("lost the settler lock"), "{text}");

    // On chain: every batch once, in order, and nothing else sent by the operator.
    let provider = wallet_provider(&sys.anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let c = rollup(&provider, sys.contract);
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
    let (status, body) = sys.api.get(&format!("/v1/batches/{batches}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "finalized", "{body}");

    // Anyone can rebuild and check it all from the chain, with the genesis file and the keys.
    let (keys_s, genesis_s) = (sys.keys.to_str().expect("utf8"), sys.genesis.to_str().expect("utf8"));
    let verify = |keys: &str, genesis: &str| {
        super::causeway(&[
            "verify",
            "--rpc",
            &sys.anvil.url(),
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
    let (_, api_account) = sys.api.get("/v1/accounts/3").await;
    for field in ["balance", "root", "leaf", "siblings"] {
        assert_eq!(proof[field], api_account["proved"][field], "{field}: {proof} vs {api_account}");
    }
    assert_eq!(proof["verified"], true);
    assert_eq!(proof["siblings"].as_array().expect("siblings").len(), DEPTH as usize / 2);
    // A wrong verifying key: every proof fails and so does the command.
    let other_keys = causeway_testkit::keys::batch_other(&sys.bin, DEPTH, sys.options.slots);
    let out = verify(other_keys.to_str().expect("utf8"), genesis_s);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("verifying key: MISMATCH"), "{stdout}");
    assert!(stdout.contains("batch 1: FAILED: the proof does not verify with this verifying key"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("verification FAILED"));
    // A genesis that is not the chain's.
    let g3 = sys.dir.0.join("g3");
    std::fs::create_dir_all(&g3).expect("dir");
    let out = verify(keys_s, genesis(&g3, DEPTH, 3).to_str().expect("utf8"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("batch 1: FAILED: previous root"), "{stdout}");

    // A modified contract that keeps the same storage, events and views (one byte of a revert
    // reason changed): the code comparison catches it.
    let code = provider.get_code_at(sys.contract).await.expect("code");
    let mut modified = code.to_vec();
    let at = modified.windows(6).position(|w| w == b"revert" || w == b"only t").expect("a revert reason");
    modified[at] ^= 0x20;
    sys.anvil_rpc("anvil_setCode", serde_json::json!([contract, format!("0x{}", hex::encode(&modified))])).await;
    let out = verify(keys_s, genesis_s);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("contract code: MISMATCH: the deployed code differs"), "{stdout}");
    assert!(stdout.contains(&format!("verified {batches} batches")) || stdout.contains("proof valid"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_submission_stops_the_settler_and_a_wrong_contract_deployment_or_key_is_refused_at_start() {
    // The contract checks proofs against another setup's verifying key.
    let (mut sys, db, _) = proved(1, true).await;
    // `causeway settler` on this database with `extra` flags must fail: its standard error.
    let refused = |contract: &str, extra: &[&str]| {
        let mut args = sys.args(Role::Settler);
        let at = args.iter().position(|a| a == "--deployment").expect("--deployment");
        args.splice(at..at + 2, ["--contract".to_owned(), contract.to_owned()]);
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let (ok, stderr) = run(&args);
        assert!(!ok, "the settler ran with {extra:?} on {contract}");
        stderr
    };
    let contract = sys.contract.to_string();
    let stderr = refused(&contract, &[]);
    assert!(stderr.contains("the Rollup refused batch 1: invalid proof"), "{stderr}");
    assert!(db.attempts(1).await.expect("db").is_empty(), "nothing was sent");
    assert_eq!(db.batch(1).await.expect("db").expect("batch").status, "proved");

    // A contract whose root is not this database's: refused at start.
    let deploy = |genesis: &std::path::Path| {
        let keys = sys.keys.to_str().expect("utf8");
        let exit_keys = sys.exit_keys.to_str().expect("utf8");
        let rpc = sys.anvil.url();
        let args = [
            "deploy",
            "--rpc",
            &rpc,
            "--keys",
            keys,
            "--exit-keys",
            exit_keys,
            "--genesis",
            genesis.to_str().expect("utf8"),
        ];
        let out = super::causeway(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
        report["rollup"].as_str().expect("address").to_owned()
    };
    let g4 = sys.dir.0.join("g5");
    std::fs::create_dir_all(&g4).expect("dir");
    let other = deploy(&genesis(&g4, DEPTH, 3));
    let stderr = refused(&other, &[]);
    assert!(stderr.contains("wrong contract or database"), "{stderr}");

    // Another deployment of the same genesis (its root matches, its address does not: this
    // database's batches commit to the first), and a key that is not the Rollup's operator.
    // (A deployment locks the genesis balances: top the operator up for a third one.)
    let operator = address_of(DEV_OPERATOR_KEY).expect("address");
    sys.anvil_rpc("anvil_setBalance", serde_json::json!([operator.to_string(), "0x3635c9adc5dea000000"])).await;
    let twin = deploy(&sys.genesis);
    let stderr = refused(&twin, &[]);
    assert!(stderr.contains(&format!("not chain {} and {}", sys.domain.chain_id, twin)), "{stderr}");
    let stderr = refused(&contract, &["--operator-key", causeway_l1::DEV_USER_KEYS[0]]);
    let user = address_of(causeway_l1::DEV_USER_KEYS[0]).expect("address");
    assert!(stderr.contains(&format!("not this key's address {user}")), "{stderr}");
    assert!(db.attempts(1).await.expect("db").is_empty(), "no refused settler sent anything");
    // Nothing reached the chain: it still checks out, and the database is ahead of it.
    let report = sys.check_invariants().await;
    assert_eq!(report.chain_batches, 0);
}

/// Batch 1 submitted by someone else holding the operator's key (a second operator
/// installation, say): the settler finds the Rollup ahead of its database and stops with the
/// reason, sending nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_submitted_by_someone_else_stops_the_settler() {
    let (mut sys, db, _) = proved(1, false).await;
    let provider = wallet_provider(&sys.anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let c = rollup(&provider, sys.contract);
    let b = db.batch(1).await.expect("db").expect("batch 1");
    let proof = db.proof(1).await.expect("db").expect("its proof");
    let call = causeway_l1::BatchCall {
        header: b.header.clone(),
        pubdata: b.pubdata.clone(),
        proof: causeway_l1::encode::proof_words(&proof.proof_eth).expect("proof words"),
    };
    causeway_l1::submit_batch(&c, &call).await.expect("batch 1 accepted");
    let (ok, stderr) = run(&sys.args(Role::Settler));
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("the next batch to submit is 1 but the Rollup has 1: it was submitted by someone else"),
        "{stderr}"
    );
    assert!(db.attempts(1).await.expect("db").is_empty(), "the settler sent nothing");
    assert_eq!(db.batch(1).await.expect("db").expect("batch").status, "proved");
    // The chain holds batch 1 as the database sealed it.
    let report = sys.check_invariants().await;
    assert_eq!(report.chain_batches, 1);
}

/// A batch 1 this system's database never sealed (a transfer of 5 wei from account 1 to 2),
/// proved with the deployment's keys and submitted with the operator's key: what another party
/// does in open mode, or a taker with the operator's key.
async fn someone_elses_batch_1(sys: &System) {
    use causeway_protocol::{Operation, Transfer, wire::Genesis};
    use rand_core::SeedableRng;
    let genesis: Genesis =
        serde_json::from_str(&std::fs::read_to_string(&sys.genesis).expect("genesis")).expect("json");
    let mut state = genesis.state(sys.domain).expect("state");
    let k1 = causeway_prover::sample::sample_key(1);
    let ops = [Operation::Transfer(Transfer::signed(&k1, &sys.domain, 1, 2, 5, 0, 0))];
    let t = state.apply_batch(1, 0, sys.options.slots, 0, &ops).expect("batch");
    let keys = causeway_prover::Keys::load(&sys.keys, None).expect("keys");
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    let proof =
        causeway_prover::prove(&keys, causeway_circuits::BatchWitness::from_transition(&t), &mut rng).expect("prove");
    let provider = wallet_provider(&sys.anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let call = causeway_l1::BatchCall::new(&t, &proof).expect("encode");
    causeway_l1::submit_batch(&rollup(&provider, sys.contract), &call).await.expect("someone else's batch 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_the_database_never_sealed_stops_the_sequencer_and_the_settler_until_restored() {
    let (mut sys, _db, _) = proved(1, false).await;
    sys.kill9(Role::Sequencer).await;
    someone_elses_batch_1(&sys).await;
    // The settler refuses to start, and so does the sequencer (its watcher checks the root).
    let (ok, stderr) = run(&sys.args(Role::Settler));
    assert!(!ok && stderr.contains("another party advanced the rollup"), "{stderr}");
    assert!(stderr.contains("causeway restore"), "{stderr}");
    let (ok, stderr) = run(&sys.args(Role::Sequencer));
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("which this database never sealed") && stderr.contains("causeway restore"), "{stderr}");
    // Rebuilt from the chain, the services carry on from the other party's batch.
    sys.wipe_database().await;
    let out = sys.restore();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for role in [Role::Sequencer, Role::Prover, Role::Settler] {
        sys.spawn(role).await;
    }
    let (status, paid) = sys.api.post("/v1/txs", sys.transfer(1, 1, 0, 10, 1, 1)).await;
    assert_eq!(status, 200, "{paid}");
    let report = sys.check_invariants().await;
    assert!(report.chain_batches >= 2, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_recorded_but_never_sent_and_submissions_reorganised_away_are_resent_in_order() {
    let (mut sys, db, batches) = proved(10, false).await;
    let snapshot = sys.anvil_rpc("evm_snapshot", serde_json::json!([])).await;
    // Killed right after recording its first attempt, before broadcasting it: the transaction
    // exists only in the database.
    sys.spawn_with(Role::Settler, &[(causeway_db::FAIL_POINT_ENV, "settler-recorded-attempt-1")]).await;
    let status = tokio::time::timeout(Duration::from_secs(60), sys.child(Role::Settler).wait())
        .await
        .expect("aborts")
        .expect("wait");
    assert!(!status.success(), "the fail point aborts the settler");
    sys.kill9(Role::Settler).await;
    let recorded = db.attempts(1).await.expect("db");
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let provider = wallet_provider(&sys.anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let unsent = provider
        .get_transaction_by_hash(alloy::primitives::B256::from_slice(&recorded[0].tx_hash))
        .await
        .expect("rpc")
        .is_none();
    assert!(unsent, "the recorded attempt was never broadcast");
    // Every batch mined (one block each), none final: 10 confirmations needed. The restarted
    // settler finds the unsent attempt and sends batch 1 at its nonce.
    sys.spawn(Role::Settler).await;
    sys.wait_for("every batch submitted", 60, async || {
        let b = db.batch(batches).await.expect("db").expect("batch");
        (b.status == "submitted").then_some(())
    })
    .await;
    // The blocks holding them vanish.
    sys.anvil_rpc("evm_revert", serde_json::json!([snapshot])).await;
    let c = rollup(&provider, sys.contract);
    assert_eq!(c.batchCount().call().await.expect("count"), 0);
    sys.anvil_rpc("evm_setIntervalMining", serde_json::json!([1])).await;
    sys.wait_for("every batch finalized on the new chain", 120, async || {
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
    let log_text = std::fs::read_to_string(&sys.log).unwrap_or_default();
    assert!(log_text.contains("reorganised away"), "{log_text}");
    sys.check_invariants().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_re_mined_as_reverted_after_a_reorganisation_is_never_finalized() {
    let (mut sys, db, _) = proved(10, false).await;
    let provider = wallet_provider(&sys.anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let snapshot = sys.anvil_rpc("evm_snapshot", serde_json::json!([])).await;
    // Batch 1 mined, far from final (10 confirmations).
    sys.spawn(Role::Settler).await;
    sys.wait_for("batch 1 mined", 60, async || {
        let a = db.attempts(1).await.expect("db");
        a.iter().any(|a| a.status == "mined").then_some(())
    })
    .await;
    sys.kill9(Role::Settler).await;
    let mined = db.attempts(1).await.expect("db").into_iter().find(|a| a.status == "mined").expect("mined attempt");

    // A reorganisation drops it; on the new chain the same signed transaction is mined again but
    // reverts (the contract's batch count says batch 1 is already there).
    sys.anvil_rpc("evm_revert", serde_json::json!([snapshot])).await;
    let contract = sys.contract.to_string();
    let slot1 = provider.get_storage_at(sys.contract, alloy::primitives::U256::from(1)).await.expect("storage");
    let word = alloy::primitives::B256::from(slot1 | alloy::primitives::U256::from(1));
    sys.anvil_rpc("anvil_setStorageAt", serde_json::json!([contract, "0x1", word])).await;
    let root1 = alloy::primitives::B256::from_slice(&db.batch(1).await.expect("db").expect("batch").new_root);
    sys.anvil_rpc("anvil_setStorageAt", serde_json::json!([contract, "0x0", root1])).await;
    let c = rollup(&provider, sys.contract);
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
    let (ok, stderr) = run(&settler_args(&sys, "1"));
    assert!(!ok);
    assert!(stderr.contains("the Rollup refused batch 1"), "{stderr}");
    let a = db.attempts(1).await.expect("db");
    assert!(a.iter().any(|a| a.id == mined.id && a.status == "reverted"), "{a:?}");
    assert_eq!(db.batch(1).await.expect("db").expect("batch").status, "submitted", "never finalized");
    // The contract's storage was forged above (no batch event backs its count): the chain's
    // invariants cannot hold here, and the test checks what the settler did instead.
}
