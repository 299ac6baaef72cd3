//! Taking over a rollup whose operator is gone: the operator's services die and its database is
//! deleted; a user forces a transfer through the base chain; once it has waited the open delay,
//! a stranger turns open mode on; a second party, with its own base-chain key and its own
//! database restored from the chain, executes the queue (the forced transfer and a deposit) and
//! a new signed transfer, proves and settles them; the original operator comes back and is
//! refused with a clear message; the whole history (both parties' batches) verifies, and
//! exodus never happens.

use super::exodus::{run_err, run_ok, wallet_file};
use alloy::primitives::U256;
use causeway_l1::{DEV_USER_KEYS, encode, rollup, send_and_wait, wallet_provider};
use causeway_prover::sample::sample_key;
use causeway_testkit::system::{Options, Role, System};

const ETHER: u128 = 1_000_000_000_000_000_000;
/// A funded development key that belongs to nobody in the test: the stranger.
const STRANGER: &str = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_opens_the_rollup_and_another_party_takes_it_over_when_the_operator_is_gone() {
    let deploy = ["--expiry-blocks", "400", "--open-delay-blocks", "10", "--blocks-per-batch", "1"];
    let options = Options { deploy: deploy.map(str::to_owned).to_vec(), ..Options::default() };
    let mut sys = System::start(env!("CARGO_BIN_EXE_causeway"), options).await;
    // Alice (account 1), Bob (2) and the taker's own account (3), from three base-chain keys.
    sys.deposit(0, 11, ETHER).await;
    sys.deposit(1, 12, ETHER).await;
    sys.deposit(2, 13, ETHER / 10).await;
    let api = sys.api.clone();
    sys.wait_for("the three deposits on the rollup", 60, async || {
        let (s, _) = api.get("/v1/accounts/3").await;
        (s == 200).then_some(())
    })
    .await;
    let before = sys.check_invariants().await;
    assert_eq!(before.executed, 3, "{before:?}");

    // The operator's services die and its database is deleted.
    sys.wipe_database().await;

    // Alice forces a transfer of 0.25 ether to Bob (naming her account: the API is down), and
    // tops her account up with a deposit: two requests no batch executes.
    let (rpc, deployment) = (sys.anvil.url(), sys.deployment.to_str().expect("utf8").to_owned());
    let common = ["--rpc", rpc.as_str(), "--deployment", deployment.as_str()];
    let alice = wallet_file(&sys.dir.0, "alice.json", 11, DEV_USER_KEYS[0]);
    let transfer = ["transfer", "--via-l1", "--account", "1", "--to", "2", "--amount", "0.25"];
    let out = run_ok(&[&["wallet", "--wallet", &alice][..], &common, &transfer].concat());
    let forced_hash =
        serde_json::from_str::<serde_json::Value>(out.lines().next().expect("a line")).expect("json")["hash"]
            .as_str()
            .expect("hash")
            .to_owned();
    let user0 = wallet_provider(&rpc, DEV_USER_KEYS[0]).expect("provider");
    let c = rollup(&user0, sys.contract);
    let (x, y) = encode::key_words(&sample_key(11).public_key());
    let fee = c.depositFee().call().await.expect("depositFee");
    let owner = causeway_l1::address_of(DEV_USER_KEYS[0]).expect("address");
    send_and_wait(c.depositTo(1, x, y, owner).value(U256::from(ETHER / 2) + fee)).await.expect("top-up");

    // A stranger opens the rollup once the forced transfer has waited the open delay.
    let open = [&["open-mode", "--l1-key", STRANGER][..], &common].concat();
    assert!(run_err(&open).contains("has not waited long enough"));
    let from = c.openModeAllowedFrom().call().await.expect("allowed from");
    let now = sys.anvil_rpc("eth_blockNumber", serde_json::json!([])).await;
    let now = u64::from_str_radix(now.as_str().expect("hex").trim_start_matches("0x"), 16).expect("number");
    sys.anvil_rpc("anvil_mine", serde_json::json!([format!("{:#x}", from - now - 1)])).await;
    assert!(run_ok(&open).contains("turned open mode on"));

    // The taker: its own (empty) database, restored from the chain, and its own services, its
    // settler signing with its own base-chain key, the fees to its own account 3.
    let out = sys.restore();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    sys.options.extra.insert(Role::Sequencer, vec!["--fee-account".into(), "3".into()]);
    sys.spawn(Role::Sequencer).await;
    sys.spawn(Role::Prover).await;
    sys.spawn_with(Role::Settler, &[("CAUSEWAY_OPERATOR_KEY", DEV_USER_KEYS[2])]).await;
    // Users' transactions signed as before are accepted: Bob pays Alice.
    let (s, paid) = sys.api.post("/v1/txs", sys.transfer(12, 2, 1, ETHER / 10, 1_000, 0)).await;
    assert_eq!(s, 200, "{paid}");
    let report = sys.check_invariants().await;
    assert_eq!(report.executed, 5, "the forced transfer and the top-up executed too: {report:?}");
    let (_, forced) = sys.api.get(&format!("/v1/txs/{forced_hash}")).await;
    assert_eq!(forced["status"], "finalized", "{forced}");
    let balance =
        |a: &serde_json::Value| a["proved"]["balance"].as_str().expect("balance").parse::<u128>().expect("u128");
    let (_, a1) = sys.api.get("/v1/accounts/1").await;
    assert_eq!(balance(&a1), ETHER - ETHER / 4 + ETHER / 2 + ETHER / 10);
    let (_, a2) = sys.api.get("/v1/accounts/2").await;
    assert_eq!(balance(&a2), ETHER + ETHER / 4 - ETHER / 10 - 1_000);
    let (_, a3) = sys.api.get("/v1/accounts/3").await;
    assert_eq!(balance(&a3), ETHER / 10 + 1_000, "the taker's account earned the fee");

    // The whole history, both parties' batches, verifies from the chain.
    let s = |p: &std::path::Path| p.to_str().expect("utf8").to_owned();
    let verify = ["verify", "--rpc", &rpc, "--deployment", &deployment, "--genesis", &s(&sys.genesis)];
    let out = run_ok(&[&verify[..], &["--keys", &s(&sys.keys)]].concat());
    assert!(out.contains("solvency: ok") && !out.contains("problem"), "{out}");
    let batches = out.lines().filter(|l| l.starts_with("batch ") && l.contains(": ok")).count() as u64;
    assert_eq!(batches, report.chain_batches, "every batch verified: {out}");

    // The original operator comes back with a new, empty database: its sequencer refuses to go
    // on and says why.
    let returning = causeway_db::testing::TestDb::create().await.expect("database");
    let mut args = sys.args(Role::Sequencer);
    let at = |args: &[String], flag: &str| args.iter().position(|a| a == flag).expect("flag") + 1;
    let i = at(&args, "--database-url");
    args[i] = returning.url.clone();
    let i = at(&args, "--listen");
    args[i] = format!("127.0.0.1:{}", causeway_testkit::free_port());
    args.truncate(args.len() - 2); // not the taker's --fee-account
    let e = run_err(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(e.contains("which this database never sealed") && e.contains("causeway restore"), "{e}");
    assert!(!c.exodusMode().call().await.expect("exodus mode"), "exodus never happened");
}
