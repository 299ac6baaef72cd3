//! The TypeScript SDK (`sdk/`) against a running rollup (the harness's system): anvil with the
//! Rollup, a sequencer with its watcher, a prover and the settler, as real processes. The scenario is `sdk/system/system.test.ts`, run with
//! node's test runner; the SDK's own unit tests run in `scripts/test` (`npm test --prefix sdk`).

use causeway_l1::DEV_USER_KEYS;
use causeway_testkit::system::{Options, System};
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_deposits_transfers_withdraws_claims_and_exits_to_finalized() {
    let mut sys = System::start(env!("CARGO_BIN_EXE_causeway"), Options::default()).await;
    let (log, contract, api) = (sys.log.clone(), sys.contract, sys.api.url.clone());

    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    let out = tokio::process::Command::new("npm")
        .args(["run", "--silent", "test:system"])
        .current_dir(&sdk)
        .env("CAUSEWAY_API", &api)
        .env("CAUSEWAY_RPC", sys.anvil.url())
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
        "api": api, "rpc": sys.anvil.url(), "rollup": format!("{contract:#x}"),
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

    sys.check_invariants().await;
}
