//! The explorer and `GET /v1/verifying-key` against a running system (the e2e test's: anvil, the
//! Rollup, a sequencer with its watcher, a prover and the settler, a finalized batch). The page
//! is driven in headless Chromium by `contracts/scripts/explorer-browser.mjs` (puppeteer-core
//! from the lockfile); `scripts/test` installs Debian's `chromium` when it is missing.

use super::procs::get;
use alloy::{primitives::Address, providers::Provider};
use causeway_prover::{Circuit, export::vk_snarkjs, keys::load_verifying_key_for};
use std::path::{Path, PathBuf};

/// Where the browser test leaves its screenshots.
pub(crate) fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/explorer-screenshots")
}

pub(crate) fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(path.exists(), "{} is missing: scripts/test installs Debian's chromium package", path.display());
    path
}

/// What the explorer must show, checked in the browser.
pub(crate) struct Expect<'a> {
    /// A finalized batch.
    pub(crate) batch: i64,
    /// A transaction of it.
    pub(crate) tx: &'a str,
    /// An account it touched.
    pub(crate) account: u32,
}

/// Checks the verifying-key endpoint against the key files and the chain, the batch's
/// base-chain transaction, then the explorer in Chromium.
pub(crate) async fn check(url: &str, rpc: &str, contract: Address, keys: &Path, exit_keys: &Path, want: Expect<'_>) {
    let http = reqwest::Client::new();

    // The keys the contract holds are the ones the deployment was made with.
    let (s, vk) = get(&http, &format!("{url}/v1/verifying-key")).await;
    assert_eq!(s, 200, "{vk}");
    let (batch_vk, _) = load_verifying_key_for(keys, Circuit::Batch).expect("batch keys");
    let (exit_vk, _) = load_verifying_key_for(exit_keys, Circuit::Exit).expect("exit keys");
    assert_eq!(vk["batch"]["snarkjs"], vk_snarkjs(&batch_vk));
    assert_eq!(vk["exit"]["snarkjs"], vk_snarkjs(&exit_vk));
    assert_eq!(vk["batch"]["ethereum"], format!("0x{}", hex::encode(causeway_prover::export::vk_eth(&batch_vk))));
    assert_eq!(vk["rollup"], format!("{contract:#x}"));

    // The batch names its submitBatch transaction, which is on the chain and succeeded.
    let (_, b) = get(&http, &format!("{url}/v1/batches/{}", want.batch)).await;
    let l1_tx: alloy::primitives::B256 = b["l1_tx"].as_str().expect("a base-chain transaction").parse().expect("hash");
    let provider = causeway_l1::wallet_provider(rpc, causeway_l1::DEV_OPERATOR_KEY).expect("provider");
    let receipt = provider.get_transaction_receipt(l1_tx).await.expect("rpc").expect("mined");
    assert!(receipt.status(), "submitBatch succeeded");
    assert_eq!(receipt.to, Some(contract));
    let (_, list) = get(&http, &format!("{url}/v1/batches")).await;
    let listed = list["batches"].as_array().expect("batches").iter().find(|x| x["number"] == want.batch).cloned();
    assert_eq!(listed.expect("listed")["l1_tx"], b["l1_tx"]);

    // The account's recent transactions hold the transaction.
    let (_, txs) = get(&http, &format!("{url}/v1/accounts/{}/txs", want.account)).await;
    assert!(txs["transactions"].as_array().expect("list").iter().any(|t| t["hash"] == want.tx), "{txs}");
    let (_, account) = get(&http, &format!("{url}/v1/accounts/{}", want.account)).await;
    let balance = account["accepted"]["balance"].as_str().expect("balance").to_owned();

    // The page itself, in a real browser.
    let shots = screenshot_dir();
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let args = serde_json::json!({
        "url": url, "rpc": rpc, "batch": want.batch, "tx": want.tx, "account": want.account, "balance": balance,
        "screenshots": shots,
    });
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts");
    let out = tokio::process::Command::new("node")
        .arg("scripts/explorer-browser.mjs")
        .arg(args.to_string())
        .current_dir(&contracts)
        .env("CHROMIUM", chromium())
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the browser test failed:\n{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(seen["balance"], balance.as_str());
    assert!(seen["valid"].as_str().expect("verdict").starts_with("Valid"), "{seen}");
    for lie in ["another_key", "another_chain", "other_pubdata", "no_such_batch", "forged_proof", "account_balance"] {
        assert!(seen["refused"][lie].as_str().is_some_and(|t| t.contains('✘')), "{lie}: {seen}");
    }
    assert!(seen["merkle"].as_str().expect("merkle verdict").starts_with("Valid"), "{seen}");
    for name in
        ["home.png", "home-phone.png", "transaction.png", "account.png", "verify-valid.png", "verify-another-key.png"]
    {
        assert!(shots.join(name).metadata().is_ok_and(|m| m.len() > 1000), "{name} saved");
    }
}
