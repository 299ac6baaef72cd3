//! Forced transactions: an account's owner queues a transfer or withdrawal on the base chain
//! (`causeway wallet transfer --via-l1`, `withdraw --via-l1`), with no rollup signature; the
//! operator must execute it in queue order. One the balance cannot cover is executed as a
//! recorded no-op, and the queue moves on; one from anyone but the owner is refused by the
//! contract.

use super::exodus::{run_err, run_ok, wallet_file};
use causeway_l1::DEV_USER_KEYS;
use causeway_testkit::system::{Options, Role, System};
use serde_json::Value;

const ETHER: u128 = 1_000_000_000_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_requests_execute_in_queue_order_or_as_recorded_no_ops_and_only_for_the_owner() {
    let mut sys = System::start(env!("CARGO_BIN_EXE_causeway"), Options::default()).await;
    sys.deposit(0, 11, ETHER).await; // Alice: account 1
    sys.deposit(1, 12, ETHER / 2).await; // Bob: account 2
    let api = sys.api.clone();
    let balance = async |index: u32| -> Option<String> {
        let (s, a) = api.get(&format!("/v1/accounts/{index}")).await;
        (s == 200).then(|| a["accepted"]["balance"].as_str().unwrap_or_default().to_owned())
    };
    sys.wait_for("both deposits on the rollup", 30, async || balance(2).await).await;

    let dir = sys.dir.0.clone();
    let alice = wallet_file(&dir, "alice.json", 11, DEV_USER_KEYS[0]);
    let bob = wallet_file(&dir, "bob.json", 12, DEV_USER_KEYS[1]);
    let (rpc, deployment) = (sys.anvil.url(), sys.deployment.to_str().expect("utf8").to_owned());
    let wallet = |w: &str, args: &[&str]| -> Vec<String> {
        ["wallet", "--wallet", w, "--api", &sys.api.url, "--rpc", &rpc, "--deployment", &deployment]
            .iter()
            .chain(args)
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: Vec<String>| -> Value {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_ok(&args);
        let line = out.lines().next().expect("the request's JSON line");
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {out}"))
    };

    // Alice forces a transfer of 0.25 ether to Bob through the base chain and follows it to
    // finalized: the API shows it like any transaction, by its priority hash.
    let t = run(wallet(&alice, &["transfer", "--via-l1", "--to", "2", "--amount", "0.25", "--wait"]));
    assert_eq!(
        (t["type"].as_str(), t["account"].as_u64(), t["to"].as_u64()),
        (Some("forced_transfer"), Some(1), Some(2))
    );
    let hash = t["hash"].as_str().expect("hash");
    let (s, tx) = sys.api.get(&format!("/v1/txs/{hash}")).await;
    assert_eq!(s, 200, "{tx}");
    assert_eq!(tx["status"], "finalized", "{tx}");
    assert_eq!(tx["tx"]["priority"]["type"], "forced_transfer", "{tx}");
    assert_eq!(tx["tx"]["priority"]["amount"], (ETHER / 4).to_string(), "{tx}");
    assert_eq!(balance(1).await.as_deref(), Some((3 * ETHER / 4).to_string().as_str()));
    assert_eq!(balance(2).await.as_deref(), Some((3 * ETHER / 4).to_string().as_str()));
    let (_, history) = sys.api.get("/v1/accounts/2/txs").await;
    assert!(history.to_string().contains(hash), "the payee's history lists the forced transfer: {history}");

    // A withdrawal the balance cannot cover is executed as a recorded no-op: the queue moves on
    // and nothing is paid.
    let w = run(wallet(&bob, &["withdraw", "--via-l1", "--amount", "5", "--wait"]));
    assert_eq!(w["type"], "forced_withdraw", "{w}");
    assert_eq!(balance(2).await.as_deref(), Some((3 * ETHER / 4).to_string().as_str()));
    // One it covers is credited to the owner's base-chain address, to claim.
    run(wallet(&bob, &["withdraw", "--via-l1", "--amount", "0.5", "--wait"]));
    assert_eq!(balance(2).await.as_deref(), Some((ETHER / 4).to_string().as_str()));
    let claimed = run(wallet(&bob, &["claim"]));
    assert_eq!(claimed["claimed"], (ETHER / 2).to_string(), "{claimed}");

    // Bob cannot force Alice's account to pay him: the contract refuses anyone but the owner.
    let args = wallet(&bob, &["transfer", "--via-l1", "--account", "1", "--to", "2", "--amount", "0.1"]);
    let e = run_err(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(e.contains("only the account's owner may force its transactions"), "{e}");
    // Nor withdraw to an address other than the owner's.
    let args = wallet(
        &alice,
        &["withdraw", "--via-l1", "--to", "0x000000000000000000000000000000000000dead", "--amount", "0.1"],
    );
    let e = run_err(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(e.contains("pays the account's owner only"), "{e}");

    let report = sys.check_invariants().await;
    assert_eq!(report.executed, 5, "two deposits and three forced requests: {report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_mode_waits_until_an_ignored_forced_request_has_waited_then_any_stranger_turns_it_on() {
    let deploy = ["--expiry-blocks", "40", "--open-delay-blocks", "10", "--blocks-per-batch", "1"];
    let options = Options { deploy: deploy.map(str::to_owned).to_vec(), ..Options::default() };
    let mut sys = System::start(env!("CARGO_BIN_EXE_causeway"), options).await;
    sys.deposit(0, 11, ETHER).await;
    let api = sys.api.clone();
    sys.wait_for("the deposit finalized", 60, async || {
        let (s, a) = api.get("/v1/accounts/1").await;
        (s == 200 && a["proved"]["balance"] == ETHER.to_string()).then_some(())
    })
    .await;
    let report = sys.check_invariants().await;
    assert_eq!(report.executed, 1, "{report:?}");

    // The operator goes away; Alice forces a transfer to the operator's account 0 (without the
    // API: it is down).
    for role in [Role::Settler, Role::Prover, Role::Sequencer] {
        sys.kill9(role).await;
    }
    let dir = sys.dir.0.clone();
    let alice = wallet_file(&dir, "alice.json", 11, DEV_USER_KEYS[0]);
    let (rpc, deployment) = (sys.anvil.url(), sys.deployment.to_str().expect("utf8").to_owned());
    let common = ["--rpc", rpc.as_str(), "--deployment", deployment.as_str()];
    let forced = [
        &["wallet", "--wallet", &alice][..],
        &common,
        &["transfer", "--via-l1", "--account", "1", "--to", "0", "--amount", "0.1"],
    ]
    .concat();
    let out = run_ok(&forced);
    assert!(out.contains("\"forced_transfer\""), "{out}");

    // A stranger with only a base-chain key: refused until the request has waited, then not.
    let stranger = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";
    let open = [&["open-mode", "--l1-key", stranger][..], &common].concat();
    let e = run_err(&open);
    assert!(e.contains("has not waited long enough") && e.contains("blocks from now"), "{e}");
    let rollup = causeway_l1::rollup(&causeway_l1::reading_provider(&rpc).expect("provider"), sys.contract);
    let from = rollup.openModeAllowedFrom().call().await.expect("allowed from");
    let now = sys.anvil_rpc("eth_blockNumber", serde_json::json!([])).await;
    let now = u64::from_str_radix(now.as_str().expect("hex").trim_start_matches("0x"), 16).expect("number");
    sys.anvil_rpc("anvil_mine", serde_json::json!([format!("{:#x}", from - now - 1)])).await;
    let out = run_ok(&open);
    assert!(out.contains("turned open mode on"), "{out}");
    assert!(rollup.openMode().call().await.expect("open mode"));
    assert!(run_ok(&open).contains("already on"));
    assert!(!rollup.exodusMode().call().await.expect("exodus mode"), "exodus never happens");
    sys.check_invariants().await;
}
