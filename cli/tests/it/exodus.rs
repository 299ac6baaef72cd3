//! Exodus mode end to end on a real anvil with real proofs: users deposit and pay while the
//! operator runs; the operator's processes are killed; a full-exit request passes its deadline;
//! a third party activates exodus; batches are refused from then on; two users exit with proofs
//! `causeway exodus` builds from the chain alone; a deposit made after the operator died is
//! refunded; and every wei ends where it should, nothing stuck, nothing paid twice.

use super::procs::{TempDir, exit_keys, get, kill9, spawn, wait_for};
use alloy::{
    primitives::{Address, U256},
    providers::Provider,
};
use causeway_db::testing::TestDb;
use causeway_l1::{DEV_OPERATOR_KEY, DEV_USER_KEYS, address_of, encode, rollup, send_and_wait, wallet_provider};
use causeway_protocol::{Domain, Operation, Transfer, wire::SignedTx};
use causeway_prover::sample::sample_key;
use serde_json::Value;
use std::{path::Path, time::Duration};

const DEPTH: u32 = 2;
const SLOTS: usize = 7;
const ETHER: u128 = 1_000_000_000_000_000_000;
/// The deployment's priority deadline, in blocks.
const EXPIRY: u64 = 20;

pub(super) fn run_ok(args: &[&str]) -> String {
    let out = super::causeway(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{args:?}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

pub(super) fn run_err(args: &[&str]) -> String {
    let out = super::causeway(args);
    assert!(!out.status.success(), "{args:?} succeeded: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(super) fn wallet_file(dir: &Path, name: &str, key: u32, l1_key: &str) -> String {
    let path = dir.join(name);
    let body = serde_json::json!({ "rollup_key": format!("0x{}", hex::encode(sample_key(key).0)), "l1_key": l1_key });
    std::fs::write(&path, body.to_string()).expect("wallet file");
    path.to_str().expect("utf8").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_operator_dies_every_user_leaves_with_their_funds() {
    let dir = TempDir::new("exodus");
    let log = dir.0.join("services.log");
    let s = |p: &Path| p.to_str().expect("utf8").to_owned();
    let keys = super::procs::batch_keys(DEPTH, SLOTS);
    let exit = exit_keys(&dir.0, DEPTH);
    // Genesis: only the operator's fee account; users arrive by deposit.
    let genesis = super::procs::genesis(&dir.0, DEPTH, 1);
    let anvil = causeway_l1::anvil::Anvil::start(&[]).await.expect("anvil");
    let rpc = anvil.url();
    let deployment = dir.0.join("deployment.json");
    let report: Value = serde_json::from_str(&run_ok(&[
        "deploy",
        "--rpc",
        &rpc,
        "--keys",
        &s(&keys),
        "--exit-keys",
        &s(&exit),
        "--genesis",
        &s(&genesis),
        "--expiry-blocks",
        &EXPIRY.to_string(),
        "--blocks-per-batch",
        "1",
        "--priority-fee",
        "0",
        "--out",
        &s(&deployment),
    ]))
    .expect("one JSON line");
    let contract: Address = report["rollup"].as_str().expect("address").parse().expect("address");
    let domain = Domain::new(report["chain_id"].as_u64().expect("chain id"), contract.into_array());

    // The operator's services.
    let test_db = TestDb::create().await.expect("test database");
    let seq = super::e2e::sequencer(&test_db, &genesis, &anvil, contract, 1).await;
    let url = format!("http://{}", seq.addr);
    let mut prover = spawn(&["prover", "--keys", &s(&keys), "--database-url", &test_db.url], &log);
    let settler_args =
        ["settler", "--database-url", &test_db.url, "--rpc", &rpc, "--deployment", &s(&deployment), "--poll-ms", "100"];
    let mut settler = spawn(&[&settler_args[..], &["--confirmations", "1"]].concat(), &log);
    let http = reqwest::Client::new();

    // Alice (base-chain user 0) deposits 1 ether into account 1, Bob (user 1) half an ether into
    // account 2; Alice pays Bob a quarter ether, and it is finalized on chain.
    let (x1, y1) = encode::key_words(&sample_key(11).public_key());
    let (x2, y2) = encode::key_words(&sample_key(12).public_key());
    let user = |i: usize| rollup(&wallet_provider(&rpc, DEV_USER_KEYS[i]).expect("provider"), contract);
    send_and_wait(user(0).deposit(x1, y1).value(U256::from(ETHER))).await.expect("alice's deposit");
    send_and_wait(user(1).deposit(x2, y2).value(U256::from(ETHER / 2))).await.expect("bob's deposit");
    let fee = 1_000u128;
    let pay = Operation::Transfer(Transfer::signed(&sample_key(11), &domain, 1, 2, ETHER / 4, fee, 0));
    let body = serde_json::to_string(&SignedTx::of(&pay).expect("signed")).expect("json");
    let hash = wait_for("the deposits on the rollup", 60, &log, async || {
        let (_, v) = super::procs::post(&http, &format!("{url}/v1/txs"), body.clone()).await;
        v["hash"].as_str().map(str::to_owned)
    })
    .await;
    wait_for("the transfer finalized", 300, &log, async || {
        let (_, t) = get(&http, &format!("{url}/v1/txs/{hash}")).await;
        (t["status"] == "finalized").then_some(())
    })
    .await;

    // The operator disappears.
    kill9(&mut settler).await;
    kill9(&mut prover).await;
    seq.shutdown(Duration::from_secs(5)).await;
    let c = rollup(&wallet_provider(&rpc, DEV_OPERATOR_KEY).expect("provider"), contract);
    let batches = c.batchCount().call().await.expect("count");

    // Alice asks for her full exit without the API; Carol (user 2) deposits 0.3 ether, which no
    // batch will ever execute.
    let alice = wallet_file(&dir.0, "alice.json", 11, DEV_USER_KEYS[0]);
    let common = ["--rpc", &rpc, "--deployment", &s(&deployment)];
    run_ok(&[&["wallet", "--wallet", &alice][..], &common, &["exit", "--account", "1"]].concat());
    let (x3, y3) = encode::key_words(&sample_key(13).public_key());
    send_and_wait(user(2).deposit(x3, y3).value(U256::from(3 * ETHER / 10))).await.expect("carol's deposit");

    // Dave, a third party with only a base-chain key, cannot activate exodus before the
    // deadline, and is told when he can.
    let dave = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";
    let exodus_cmd = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["exodus", "--genesis", &s(&genesis), "--exit-keys", &s(&exit)]
            .into_iter()
            .chain(common)
            .map(str::to_owned)
            .collect();
        v.extend(extra.iter().map(|a| (*a).to_owned()));
        v
    };
    let early = exodus_cmd(&["--l1-key", dave, "--activate"]);
    let why = run_err(&args(&early));
    assert!(why.contains("cannot activate exodus mode") && why.contains("more blocks"), "{why}");
    let not_yet = exodus_cmd(&["--wallet", &alice]);
    let why = run_err(&args(&not_yet));
    assert!(why.contains("not in exodus mode"), "{why}");

    // The full-exit request passes its deadline; Dave activates exodus.
    let provider = wallet_provider(&rpc, dave).expect("provider");
    let head = c.priorityHead().call().await.expect("head");
    let deadline = c.priorityRequests(head).call().await.expect("request").deadline;
    let now = provider.get_block_number().await.expect("block");
    let _: Value =
        provider.raw_request("anvil_mine".into(), [format!("{:#x}", deadline - now + 1)]).await.expect("mine");
    let out = run_ok(&args(&early));
    assert!(out.contains("activated exodus mode"), "{out}");
    assert!(c.exodusMode().call().await.expect("mode"));
    // The operator can no longer settle anything.
    let refused = c.submitBatch(vec![0u8; 88].into(), vec![0u8; SLOTS * 16].into(), [U256::ZERO; 8]).call().await;
    let reason = causeway_l1::L1Error::from(refused.expect_err("refused")).to_string();
    assert!(reason.contains("exodus mode: no batch is accepted any more"), "{reason}");

    // Alice exits with her wallet; Dave exits Bob's account for him. Both proofs come from the
    // chain alone (the sequencer and its database are gone).
    let out = run_ok(&args(&exodus_cmd(&["--wallet", &alice])));
    let alice_owed = ETHER - ETHER / 4 - fee;
    assert!(
        out.contains("exited account 1")
            && out.contains(&format!("{} ether", causeway_protocol::wire::format_ether(alice_owed))),
        "{out}"
    );
    let out = run_ok(&args(&exodus_cmd(&["--l1-key", dave, "--account", "2"])));
    let bob_owed = ETHER / 2 + ETHER / 4;
    assert!(out.contains("exited account 2"), "{out}");
    // Neither exits twice; the fee account may exit, the empty slot 3 may not.
    let why = run_err(&args(&exodus_cmd(&["--wallet", &alice])));
    assert!(why.contains("account 1 has already exited"), "{why}");
    let why = run_err(&args(&exodus_cmd(&["--l1-key", dave, "--account", "3"])));
    assert!(why.contains("account 3 is empty"), "{why}");

    // Carol's deposit is refunded; Alice's full-exit request is dropped (her exit covered it).
    let out = run_ok(&args(&exodus_cmd(&["--l1-key", dave, "--refund-deposits"])));
    assert!(out.contains("refunded deposit 3 (0.3 ether into account 3, and its 0 wei fee)"), "{out}");
    assert!(out.contains("dropped full-exit request 2 of account 1"), "{out}");
    let out = run_ok(&args(&exodus_cmd(&["--l1-key", dave, "--refund-deposits"])));
    assert!(out.contains("no queued request is left to refund"), "{out}");

    // Everyone claims (Dave pays the gas, so base-chain balances move by exactly what is owed).
    let dave_c = rollup(&provider, contract);
    for (i, owed) in [(0usize, alice_owed), (1, bob_owed), (2, 3 * ETHER / 10)] {
        let to = address_of(DEV_USER_KEYS[i]).expect("address");
        assert_eq!(c.pendingWithdrawals(to, 0).call().await.expect("pending"), U256::from(owed), "user {i}");
        let before = provider.get_balance(to).await.expect("balance");
        send_and_wait(dave_c.withdraw(to, 0)).await.expect("claim");
        assert_eq!(provider.get_balance(to).await.expect("balance"), before + U256::from(owed), "user {i}");
    }
    // What is left is exactly account 0's: its genesis balance (funded with the deployment) and
    // the fees it earned, owed to it by its own exit; nothing more, nothing less.
    let genesis_funds = 10u128.pow(21);
    assert_eq!(provider.get_balance(contract).await.expect("balance"), U256::from(fee + genesis_funds));
    assert_eq!(c.batchCount().call().await.expect("count"), batches, "no batch after exodus");
    // The chain checks out, solvent, each request executed or refunded once (the two refunded
    // here included), and the dead operator's database agrees with it.
    let chain = causeway_testkit::invariants::Chain { rpc: rpc.clone(), deployment, genesis };
    let target = causeway_testkit::invariants::Target {
        chain: Some(&chain),
        database: Some(&test_db.url),
        ..Default::default()
    };
    let report = causeway_testkit::invariants::check(&target, &log).await;
    assert_eq!((report.executed, report.refunded), (2, 2), "{report:?}");
    let _ = test_db.drop_db().await;
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
