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

    // The same SDK in Chromium, served from another origin than the sequencer's: bundled for
    // the browser, no Node built-in, Web Crypto for keys, CORS for the API.
    let bundle = tokio::process::Command::new("npm")
        .args(["run", "--silent", "bundle"])
        .current_dir(&sdk)
        .output()
        .await
        .expect("run npm");
    assert!(bundle.status.success(), "bundle: {}", String::from_utf8_lossy(&bundle.stderr));
    let args = serde_json::json!({
        "api": format!("http://{}", seq.addr), "rpc": anvil.url(), "rollup": format!("{contract:#x}"),
        "l1_key": DEV_USER_KEYS[2], "bundle": sdk.join("dist/causeway-sdk.browser.js"),
    });
    let out = tokio::process::Command::new("node")
        .arg("scripts/sdk-browser.mjs")
        .arg(args.to_string())
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts"))
        .env("CHROMIUM", super::explorer::chromium())
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the SDK in Chromium failed:\n{stdout}{}\nservices:\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(seen["node"], false, "it ran in the browser, not in Node");
    assert_eq!(seen["signature_verifies"], true);
    assert_eq!(seen["chain_id"], "31337");
    assert_eq!(seen["balance"], "500000000000000000", "{seen}");
    assert_eq!(seen["transfer_status"], "included", "{seen}");

    super::procs::kill9(&mut prover).await;
    super::procs::kill9(&mut settler).await;
    seq.shutdown(std::time::Duration::from_secs(5)).await;
    test_db.drop_db().await.expect("drop");
}
