//! Prover workers on the job queue: a worker killed mid-proof has its job taken over, two
//! workers share the batches, every batch is proved exactly once, failures are bounded, and
//! keys for another circuit are refused.

use super::procs::{TempDir, genesis, get, kill9, post, spawn, transfer, wait_sealed};
use causeway_db::{Db, testing::TestDb};
use causeway_protocol::field::fr_from_be_bytes;
use causeway_sequencer::{Sequencer, SequencerConfig};
use std::{collections::BTreeMap, path::Path, time::Duration};

const DEPTH: u32 = 2;
const SLOTS: usize = 2;

async fn wait_for<T>(what: &str, secs: u64, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..secs * 10 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn worker(db: &TestDb, keys: &Path, name: &str, log: &Path) -> tokio::process::Child {
    let keys = keys.to_str().expect("utf8");
    spawn(&["prover", "--keys", keys, "--database-url", &db.url, "--name", name, "--lease-secs", "2"], log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_share_jobs_take_over_a_killed_one_and_prove_each_batch_once() {
    let dir = TempDir::new("provers");
    let keys = causeway_testkit::keys::batch(std::path::Path::new(env!("CARGO_BIN_EXE_causeway")), DEPTH, SLOTS);

    let test_db = TestDb::create().await.expect("test database");
    let mut config = SequencerConfig::new(test_db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.genesis = Some(genesis(&dir.0, DEPTH, 4));
    config.slots = Some(SLOTS);
    config.batch_timeout = Duration::from_millis(50);
    config.max_prove_attempts = 2;
    let seq = Sequencer::start(config).await.expect("sequencer");
    let url = format!("http://{}", seq.addr);
    let http = reqwest::Client::new();
    for nonce in 0..4 {
        for from in 1..=2u32 {
            let (s, v) = post(&http, &format!("{url}/v1/txs"), transfer(from, 3, 10, 1, nonce)).await;
            assert_eq!(s, 200, "{v}");
        }
    }
    let batches = wait_sealed(&http, &url).await;
    assert!(batches >= 4, "{batches} batches");
    let db: Db = test_db.db().await.expect("db");

    // Refused: keys for another shape.
    let wrong = dir.0.join("wrong-keys");
    std::fs::create_dir_all(&wrong).expect("dir");
    for f in ["proving.key", "verifying.key"] {
        std::fs::copy(keys.join(f), wrong.join(f)).expect("copy");
    }
    let meta = std::fs::read_to_string(keys.join("metadata.json")).expect("metadata");
    std::fs::write(wrong.join("metadata.json"), meta.replace("\"slots\": 2", "\"slots\": 3")).expect("write");
    let refused = super::causeway(&["prover", "--keys", wrong.to_str().expect("utf8"), "--database-url", &test_db.url]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("do not match") && stderr.contains("2 slots"), "{stderr}");

    // Worker A claims batch 1 and dies mid-proof.
    let log = dir.0.join("workers.log");
    let mut a = worker(&test_db, &keys, "A", &log);
    wait_for("A to claim batch 1", 60, async || {
        let job = db.proof_job(1).await.ok().flatten()?;
        (job.0 == "claimed" && job.2.as_deref() == Some("A")).then_some(())
    })
    .await;
    kill9(&mut a).await;

    let mut b = worker(&test_db, &keys, "B", &log);
    let mut c = worker(&test_db, &keys, "C", &log);
    wait_for("every batch proved", 240, async || (db.proved_through().await.ok()? >= batches).then_some(())).await;

    let vk = causeway_prover::Keys::load(&keys, None).expect("keys").vk;
    let mut by_worker: BTreeMap<String, usize> = BTreeMap::new();
    for n in 1..=batches {
        let p = db.proof(n).await.expect("read").expect("one proof per batch");
        *by_worker.entry(p.worker.clone()).or_default() += 1;
        let batch = db.batch(n).await.expect("read").expect("batch");
        let commitment = fr_from_be_bytes(batch.commitment.as_slice().try_into().expect("32")).expect("field");
        let proof =
            <ark_groth16::Proof<ark_bn254::Bn254> as ark_serialize::CanonicalDeserialize>::deserialize_compressed(
                p.proof.as_slice(),
            )
            .expect("proof decodes");
        assert!(causeway_prover::verify(&vk, commitment, &proof).expect("verify"), "batch {n}'s proof verifies");
        let job = db.proof_job(n).await.expect("read").expect("job");
        assert_eq!(job.0, "done");
    }
    assert!(!by_worker.contains_key("A"), "the killed worker stored nothing: {by_worker:?}");
    assert!(
        by_worker.get("B").is_some_and(|n| *n >= 1) && by_worker.get("C").is_some_and(|n| *n >= 1),
        "{by_worker:?}"
    );
    let job1 = db.proof_job(1).await.expect("read").expect("job");
    assert_eq!(job1.1, 2, "batch 1 was attempted by A, then taken over once its lease expired");

    // The API serves proofs, transaction status and accounts against the proved root.
    let (s, p) = get(&http, &format!("{url}/v1/batches/1/proof")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["proof_eth"].as_str().map(str::len), Some(2 + 512));
    assert_eq!(p["snarkjs"]["proof"]["protocol"], "groth16");
    let proved = wait_for("the proved state to follow", 60, async || {
        let (_, a) = get(&http, &format!("{url}/v1/accounts/3")).await;
        (a["proved"]["batch"].as_i64() == Some(batches)).then_some(a)
    })
    .await;
    assert_eq!(proved["proved"]["balance"], proved["accepted"]["balance"], "everything accepted is proved");

    // A job whose witness cannot be used fails after its attempts, with the reason. No worker
    // runs while the batch is sealed and its witness corrupted, so none can prove it first.
    kill9(&mut b).await;
    kill9(&mut c).await;
    let (s, v) = post(&http, &format!("{url}/v1/txs"), transfer(1, 2, 10, 1, 4)).await;
    assert_eq!(s, 200, "{v}");
    let broken = wait_sealed(&http, &url).await;
    assert_eq!(db.proof_job(broken).await.expect("read").expect("job").0, "queued");
    sqlx::query("UPDATE batch_witnesses SET witness = '\\x00' WHERE batch_number = $1")
        .bind(broken)
        .execute(db.pool())
        .await
        .expect("corrupt the witness");
    let mut d = worker(&test_db, &keys, "D", &log);
    let job = wait_for("the broken job to fail", 90, async || {
        let job = db.proof_job(broken).await.ok().flatten()?;
        (job.0 == "failed").then_some(job)
    })
    .await;
    assert_eq!(job.1, 2, "bounded attempts");
    assert!(job.3.as_deref().is_some_and(|e| e.contains("does not decode")), "{job:?}");
    assert!(db.proof(broken).await.expect("read").is_none());

    kill9(&mut d).await;
    let api = causeway_testkit::api::Api::new(url.clone());
    let target =
        causeway_testkit::invariants::Target { database: Some(&test_db.url), api: Some(&api), ..Default::default() };
    causeway_testkit::invariants::check(&target, &log).await;
    seq.shutdown(Duration::from_secs(5)).await;
    drop(db);
    test_db.drop_db().await.expect("drop");
}
