//! Taking over a rollup whose operator is gone: the operator's services die and its database is
//! deleted; a user forces a transfer through the base chain; once it has waited the open delay,
//! a stranger turns open mode on; a second party, with its own base-chain key and its own
//! database restored from the chain, executes the queue (the forced transfer and a deposit) and
//! a new signed transfer, proves and settles them; the original operator comes back and is
//! refused with a clear message; the whole history (both parties' batches) verifies, and
//! exodus never happens.

use super::exodus::{run_err, run_ok, wallet_file};
use alloy::primitives::U256;
use causeway_db::testing::TestDb;
use causeway_l1::{DEV_USER_KEYS, encode, rollup, send_and_wait, wallet_provider};
use causeway_prover::sample::sample_key;
use causeway_testkit::{
    api::Api,
    system::{Options, Role, System},
    wait_for,
};

const ETHER: u128 = 1_000_000_000_000_000_000;
/// A funded development key that belongs to nobody in the test: the stranger.
const STRANGER: &str = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_opens_the_rollup_and_another_party_takes_it_over_when_the_operator_is_gone() {
    let (mut sys, before) = running_with_three_accounts().await;
    assert_eq!(before.executed, 3, "{before:?}");

    // The operator's services die and its database is deleted.
    sys.wipe_database().await;

    // Alice forces a transfer of 0.25 ether to Bob (naming her account: the API is down), and
    // tops her account up with a deposit: two requests no batch executes.
    let (rpc, deployment) = (sys.anvil.url(), sys.deployment.to_str().expect("utf8").to_owned());
    let common = ["--rpc", rpc.as_str(), "--deployment", deployment.as_str()];
    let forced_hash = force_transfer(&sys, "0.25");
    let user0 = wallet_provider(&rpc, DEV_USER_KEYS[0]).expect("provider");
    let c = rollup(&user0, sys.contract);
    let (x, y) = encode::key_words(&sample_key(11).public_key());
    let fee = c.depositFee().call().await.expect("depositFee");
    let owner = causeway_l1::address_of(DEV_USER_KEYS[0]).expect("address");
    send_and_wait(c.depositTo(1, x, y, owner).value(U256::from(ETHER / 2) + fee)).await.expect("top-up");

    // A stranger opens the rollup once the forced transfer has waited the open delay.
    let open = [&["open-mode", "--l1-key", STRANGER][..], &common].concat();
    assert!(run_err(&open).contains("has not waited long enough"));
    mine_until_open_mode_allowed(&sys).await;
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

/// A system whose open delay is 10 blocks (a batch a block, 400 blocks of grace), with alice
/// (account 1), bob (2) and a taker's own account (3) deposited from three base-chain keys and
/// accepted on chain; the invariants' report then.
async fn running_with_three_accounts() -> (System, causeway_testkit::invariants::Report) {
    let deploy = ["--expiry-blocks", "400", "--open-delay-blocks", "10", "--blocks-per-batch", "1"];
    let options = Options { deploy: deploy.map(str::to_owned).to_vec(), ..Options::default() };
    let mut sys = System::start(env!("CARGO_BIN_EXE_causeway"), options).await;
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
    (sys, before)
}

/// Alice (account 1, sample key 11, the first development key) forces a transfer of `ether` to
/// Bob (account 2) through the base chain; returns its hash.
fn force_transfer(sys: &System, ether: &str) -> String {
    let (rpc, deployment) = (sys.anvil.url(), sys.deployment.to_str().expect("utf8").to_owned());
    let alice = wallet_file(&sys.dir.0, "alice.json", 11, DEV_USER_KEYS[0]);
    let transfer = ["transfer", "--via-l1", "--account", "1", "--to", "2", "--amount", ether];
    let out =
        run_ok(&[&["wallet", "--wallet", &alice, "--rpc", &rpc, "--deployment", &deployment][..], &transfer].concat());
    serde_json::from_str::<serde_json::Value>(out.lines().next().expect("a line")).expect("json")["hash"]
        .as_str()
        .expect("hash")
        .to_owned()
}

/// Mines blocks until the next one may turn open mode on.
async fn mine_until_open_mode_allowed(sys: &System) {
    let reader = causeway_l1::reading_provider(&sys.anvil.url()).expect("provider");
    let from = rollup(&reader, sys.contract).openModeAllowedFrom().call().await.expect("allowed from");
    let now = block_number(sys).await;
    assert!(from > 0, "a request is waiting");
    if from > now + 1 {
        sys.anvil_rpc("anvil_mine", serde_json::json!([format!("{:#x}", from - now - 1)])).await;
    }
}

async fn block_number(sys: &System) -> u64 {
    let now = sys.anvil_rpc("eth_blockNumber", serde_json::json!([])).await;
    u64::from_str_radix(now.as_str().expect("hex").trim_start_matches("0x"), 16).expect("number")
}

/// Another funded development key (anvil's sixth): the second taker's.
const SECOND_TAKER: &str = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

/// A `causeway takeover` process with its own database, key, fee account, API port and log;
/// killed when dropped.
struct Taker {
    name: &'static str,
    address: alloy::primitives::Address,
    api: Api,
    log: std::path::PathBuf,
    _db: TestDb,
    _child: tokio::process::Child,
}

impl Taker {
    async fn start(sys: &System, name: &'static str, key: &str, fee_account: u32) -> Self {
        let db = TestDb::create().await.expect("database");
        let listen = format!("127.0.0.1:{}", causeway_testkit::free_port());
        let log = sys.dir.0.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).expect("log");
        let err = out.try_clone().expect("log");
        let s = |p: &std::path::Path| p.to_str().expect("utf8").to_owned();
        let child = tokio::process::Command::new(&sys.bin)
            .args(["takeover", "--database-url", &db.url, "--rpc", &sys.anvil.url()])
            .args(["--deployment", &s(&sys.deployment), "--genesis", &s(&sys.genesis), "--keys", &s(&sys.keys)])
            .args(["--l1-key", key, "--fee-account", &fee_account.to_string(), "--listen", &listen])
            .args(["--confirmations", "1", "--batch-timeout-ms", "300", "--l1-poll-ms", "100"])
            .stdout(std::process::Stdio::from(out))
            .stderr(std::process::Stdio::from(err))
            .kill_on_drop(true)
            .spawn()
            .expect("spawn causeway takeover");
        let address = causeway_l1::address_of(key).expect("address");
        Self { name, address, api: Api::new(format!("http://{listen}")), log, _db: db, _child: child }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until its output holds `text` `times` times.
    async fn wait_output(&self, text: &str, times: usize, secs: u64) {
        let what = format!("{} to print {text:?} {times} times", self.name);
        wait_for(&what, secs, &self.log, async || (self.output().matches(text).count() >= times).then_some(())).await;
    }
}

/// Polls `probe` every 100 ms for up to `secs` seconds; on time-out, panics with `what` and the
/// takers' output.
async fn wait_takers<T>(what: &str, secs: u64, takers: &[&Taker], mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..secs * 10 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let logs: Vec<String> = takers.iter().map(|t| format!("--- {}:\n{}", t.name, t.output())).collect();
    panic!("timed out waiting for {what}:\n{}", logs.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_takers_race_for_the_same_root_one_is_accepted_the_other_reverts_stale_and_the_loser_carries_on() {
    let (mut sys, before) = running_with_three_accounts().await;
    sys.wipe_database().await;
    let forced = force_transfer(&sys, "0.25");
    mine_until_open_mode_allowed(&sys).await;
    let (rpc, deployment) = (sys.anvil.url(), sys.deployment.to_str().expect("utf8").to_owned());
    let refused = run_err(&[
        "takeover",
        "--rpc",
        &rpc,
        "--deployment",
        &deployment,
        "--genesis",
        sys.genesis.to_str().expect("utf8"),
        "--keys",
        sys.keys.to_str().expect("utf8"),
        "--l1-key",
        STRANGER,
        "--fee-account",
        "3",
        "--database-url",
        &sys.db.url,
    ]);
    assert!(refused.contains("is not in open mode") && refused.contains("--open-mode"), "{refused}");
    let open = ["open-mode", "--l1-key", STRANGER, "--rpc", &rpc, "--deployment", &deployment];
    assert!(run_ok(&open).contains("turned open mode on"));

    // Nothing is mined while the two takers rebuild, seal and prove the same batch (the
    // forced transfer) on the same root: the first to prove sends its submission; the other's
    // finds, in the pending state, that the root has moved ("stale root") and waits (or, had
    // both sent before either reached the pool, one block holds both and one reverts).
    sys.anvil_rpc("evm_setAutomine", serde_json::json!([false])).await;
    let a = Taker::start(&sys, "taker-a", DEV_USER_KEYS[2], 3).await;
    let b = Taker::start(&sys, "taker-b", SECOND_TAKER, 0).await;
    let pooled = wait_takers("both takers' submissions tried", 180, &[&a, &b], async || {
        let status = sys.anvil_rpc("txpool_status", serde_json::json!([])).await;
        let pending = u64::from_str_radix(status["pending"].as_str()?.trim_start_matches("0x"), 16).ok()?;
        let stale = [&a, &b].iter().any(|t| t.output().contains("stale root"));
        (pending >= 2 || (pending == 1 && stale)).then_some(pending)
    })
    .await;
    let count_before = before.chain_batches;
    sys.anvil_rpc("anvil_mine", serde_json::json!(["0x1"])).await;
    sys.anvil_rpc("evm_setAutomine", serde_json::json!([true])).await;

    // Exactly one batch was accepted; the other submission reverted as stale.
    let reader = causeway_l1::reading_provider(&rpc).expect("provider");
    let c = rollup(&reader, sys.contract);
    assert_eq!(c.batchCount().call().await.expect("count"), count_before + 1, "one batch accepted");
    let block = sys.anvil_rpc("eth_getBlockByNumber", serde_json::json!(["latest", false])).await;
    let txs = block["transactions"].as_array().expect("transactions").clone();
    assert_eq!(txs.len() as u64, pooled, "the pooled submissions in one block: {block}");
    let mut outcomes = Vec::new();
    for tx in &txs {
        let receipt = sys.anvil_rpc("eth_getTransactionReceipt", serde_json::json!([tx])).await;
        outcomes.push((receipt["from"].as_str().expect("from").to_lowercase(), receipt["status"] == "0x1"));
    }
    assert_eq!(outcomes.iter().filter(|o| o.1).count(), 1, "{outcomes:?}");
    let winner_address = outcomes.iter().find(|o| o.1).expect("one succeeded").0.clone();
    let (winner, loser) = if winner_address == format!("{:#x}", a.address) { (&a, &b) } else { (&b, &a) };
    assert_eq!(winner_address, format!("{:#x}", winner.address));
    let first = format!("takeover: batch {}, the first of ours, was accepted by the Rollup", count_before + 1);
    winner.wait_output(&first, 1, 60).await;

    // The loser's settler saw its batch revert as stale; the loser rebuilds from the chain and
    // carries on: it serves the winner's batch, and settles the next one itself.
    loser.wait_output("rebuilding the database from the chain and carrying on", 1, 60).await;
    assert!(loser.output().contains("stale root"), "{}", loser.output());
    loser.wait_output("taking the rollup over from batch", 2, 120).await;
    let (_, f) = loser.api.get(&format!("/v1/txs/{forced}")).await;
    assert_eq!(f["status"], "finalized", "the winner's batch, restored: {f}");
    let pay = sys.transfer(12, 2, 1, ETHER / 10, 1_000, 0);
    let (s, paid) = loser.api.post("/v1/txs", pay).await;
    assert_eq!(s, 200, "{paid}");
    let hash = paid["hash"].as_str().expect("hash").to_owned();
    let api = loser.api.clone();
    sys.wait_for("the loser's next batch accepted", 120, async || {
        let (_, t) = api.get(&format!("/v1/txs/{hash}")).await;
        (t["status"] == "finalized").then_some(())
    })
    .await;
    assert_eq!(c.batchCount().call().await.expect("count"), count_before + 2);
    let submitted = c.BatchSubmitted_filter().from_block(0).query().await.expect("events");
    let (last, _) = submitted.last().expect("an event");
    assert_eq!(last.submitter, loser.address, "the loser submitted the next batch");
    let first = format!("takeover: batch {}, the first of ours, was accepted by the Rollup", count_before + 2);
    loser.wait_output(&first, 1, 60).await;

    // The winner, left behind in turn, rebuilds too; both serve the same state, each transfer
    // executed once.
    winner.wait_output("rebuilding the database from the chain and carrying on", 1, 60).await;
    winner.wait_output("taking the rollup over from batch", 2, 120).await;
    for t in [&a, &b] {
        let api = t.api.clone();
        let state = sys
            .wait_for("both takers on the same state", 60, async || {
                let (s1, a1) = api.try_get("/v1/accounts/1").await?;
                let (s2, a2) = api.try_get("/v1/accounts/2").await?;
                (s1 == 200 && s2 == 200 && a2["proved"]["nonce"] == 1).then_some((a1, a2))
            })
            .await;
        let balance =
            |a: &serde_json::Value| a["proved"]["balance"].as_str().expect("balance").parse::<u128>().expect("u128");
        assert_eq!(balance(&state.0), ETHER - ETHER / 4 + ETHER / 10, "{}", t.name);
        assert_eq!(balance(&state.1), ETHER + ETHER / 4 - ETHER / 10 - 1_000, "{}", t.name);
    }
    for t in [&a, &b] {
        assert_eq!(t.output().matches("the first of ours").count(), 1, "the takeover time once: {}", t.output());
    }
    let s = |p: &std::path::Path| p.to_str().expect("utf8").to_owned();
    let verify = ["verify", "--rpc", &rpc, "--deployment", &deployment, "--genesis", &s(&sys.genesis)];
    let out = run_ok(&[&verify[..], &["--keys", &s(&sys.keys)]].concat());
    assert!(out.contains("solvency: ok") && !out.contains("problem"), "{out}");
}
