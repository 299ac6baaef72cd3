//! The TypeScript SDK (`sdk/`) against a running rollup: anvil with the Rollup, a sequencer with
//! its watcher, a prover and the settler. The scenario is `sdk/system/system.test.ts`, run with
//! node's test runner; the SDK's own unit tests run in `scripts/test` (`npm test --prefix sdk`).

use super::procs::{TempDir, spawn};
use causeway_db::testing::TestDb;
use causeway_l1::{DEV_USER_KEYS, anvil::Anvil};
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_deposits_transfers_withdraws_claims_and_exits_to_finalized() {
    let dir = TempDir::new("sdk");
    let log = dir.0.join("services.log");
    let keys = dir.0.join("keys");
    let keys_s = keys.to_str().expect("utf8");
    let setup = super::causeway(&["setup", "--depth", "2", "--slots", "7", "--out", keys_s]);
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));
    let genesis = super::procs::genesis(&dir.0, 2, 1);
    let anvil = Anvil::start(&[]).await.expect("anvil");
    let deployment = dir.0.join("deployment.json");
    let contract = super::e2e::deploy(&anvil, &keys, &genesis, &deployment);
    let test_db = TestDb::create().await.expect("test database");
    let seq = super::e2e::sequencer(&test_db, &genesis, &anvil, contract, 1).await;
    let mut prover = spawn(&["prover", "--keys", keys_s, "--database-url", &test_db.url], &log);
    let mut settler = super::e2e::settler(&test_db, &anvil, &deployment, &log);

    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    let out = tokio::process::Command::new("npm")
        .args(["run", "--silent", "test:system"])
        .current_dir(&sdk)
        .env("CAUSEWAY_API", format!("http://{}", seq.addr))
        .env("CAUSEWAY_RPC", anvil.url())
        .env("CAUSEWAY_ROLLUP", format!("{contract:#x}"))
        .env("CAUSEWAY_L1_KEYS", format!("{},{}", DEV_USER_KEYS[0], DEV_USER_KEYS[1]))
        .output()
        .await
        .expect("run npm");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let services = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        out.status.success(),
        "the SDK's system test failed:\n{stdout}{}\nservices:\n{services}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("# pass 1") && stdout.contains("# fail 0"), "{stdout}");

    super::procs::kill9(&mut prover).await;
    super::procs::kill9(&mut settler).await;
    seq.shutdown(std::time::Duration::from_secs(5)).await;
    test_db.drop_db().await.expect("drop");
}
