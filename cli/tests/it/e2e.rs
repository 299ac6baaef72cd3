//! The whole system on a real base chain: deposits on anvil are read by the L1 watcher and
//! sequenced, users transfer and withdraw over HTTP, provers prove every batch, the settler
//! gets each one accepted by the contract's own proof check, the withdrawal reaches its base-chain
//! address, and `causeway verify` rebuilds it all from the chain. And a deposit reorganised away
//! before its confirmations never creates funds. The wallet CLI deposits, pays, requests a full
//! exit and claims it.

use super::procs::{TempDir, get, kill9, spawn, wait_for};
use alloy::{
    primitives::{Address, U256},
    providers::Provider,
};
use causeway_db::testing::TestDb;
use causeway_l1::{DEV_OPERATOR_KEY, DEV_USER_KEYS, Rollup, anvil::Anvil, encode, rollup, wallet_provider};
use causeway_protocol::{Domain, Operation, Transfer, Withdraw, wire::SignedTx};
use causeway_prover::sample::sample_key;
use causeway_sequencer::{Sequencer, SequencerConfig, watcher::L1Config};
use causeway_testkit::{
    api::Api,
    invariants::{Chain, Target},
    system::{Options, Role, System},
};
use serde_json::Value;
use std::{path::Path, sync::atomic::Ordering::SeqCst, time::Duration};

const DEPTH: u32 = 2;
const SLOTS: usize = 7;
const ETHER: u128 = 1_000_000_000_000_000_000;

pub(crate) fn deploy(anvil: &Anvil, keys: &Path, genesis: &Path, out: &Path) -> Address {
    let s = |p: &Path| p.to_str().expect("utf8").to_owned();
    let out = super::causeway(&[
        "deploy",
        "--rpc",
        &anvil.url(),
        "--keys",
        &s(keys),
        "--exit-keys",
        &s(&super::procs::exit_keys(genesis.parent().expect("dir"), DEPTH)),
        "--genesis",
        &s(genesis),
        "--out",
        &s(out),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    report["rollup"].as_str().expect("address").parse().expect("address")
}

pub(crate) async fn sequencer(
    db: &TestDb,
    genesis: &Path,
    anvil: &Anvil,
    contract: Address,
    confirmations: u64,
) -> Sequencer {
    Sequencer::start(sequencer_config(db, genesis, anvil, contract, confirmations).await).await.expect("sequencer")
}

async fn sequencer_config(
    db: &TestDb,
    genesis: &Path,
    anvil: &Anvil,
    contract: Address,
    confirmations: u64,
) -> SequencerConfig {
    let mut config = SequencerConfig::new(db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.genesis = Some(genesis.to_owned());
    config.slots = Some(SLOTS);
    config.batch_timeout = Duration::from_millis(300);
    config.l1 =
        Some(L1Config { rpc: anvil.url(), contract, confirmations, poll: Duration::from_millis(100), from_block: 0 });
    config.domain = domain(anvil, contract).await;
    config
}

/// A settler for `deployment` on `db`: one confirmation, 100 ms polls.
pub(crate) fn settler(db: &TestDb, anvil: &Anvil, deployment: &Path, log: &Path) -> tokio::process::Child {
    settler_with(db, anvil, deployment, log, &[])
}

/// [`settler`] with more flags.
fn settler_with(db: &TestDb, anvil: &Anvil, deployment: &Path, log: &Path, extra: &[&str]) -> tokio::process::Child {
    let deployment = deployment.to_str().expect("utf8");
    let rpc = anvil.url();
    let mut args = vec![
        "settler",
        "--database-url",
        &db.url,
        "--rpc",
        &rpc,
        "--deployment",
        deployment,
        "--confirmations",
        "1",
        "--poll-ms",
        "100",
    ];
    args.extend_from_slice(extra);
    spawn(&args, log)
}

/// The deployment's domain: anvil's chain id and the contract.
async fn domain(anvil: &Anvil, contract: Address) -> Domain {
    let provider = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    Domain::new(provider.get_chain_id().await.expect("chain id"), contract.into_array())
}

/// A deployment for `genesis` whose batches are never proved (any well-formed verifying key
/// will do): a priority deadline of 100 blocks past the queue ahead at a batch a block, no fee.
fn unproved_params(genesis: &Path) -> causeway_l1::RollupParams {
    let g: causeway_protocol::wire::Genesis =
        serde_json::from_str(&std::fs::read_to_string(genesis).expect("genesis")).expect("json");
    let root = g.state(Domain::default()).expect("state").root();
    causeway_l1::RollupParams {
        vk: [U256::from(1); 18],
        exit_vk: [U256::from(1); 26],
        genesis_root: encode::root_word(&root),
        depth: DEPTH as u8,
        slots: SLOTS as u32,
        expiry_blocks: 100,
        blocks_per_batch: 1,
        open_delay_blocks: 50,
        priority_fee: 0,
        min_deposit: causeway_l1::DEFAULT_MIN_DEPOSIT,
        genesis_accounts: vec![],
        first_free_index: 1,
        genesis_balance: causeway_l1::replay::genesis_total(&g),
    }
}

/// Deposits `amount` wei from base-chain account `user` for a new rollup account keyed by
/// `sample_key(key)`.
async fn deposit(anvil: &Anvil, contract: Address, user: usize, key: u32, amount: u128) {
    let provider = wallet_provider(&anvil.url(), DEV_USER_KEYS[user]).expect("provider");
    let (x, y) = encode::key_words(&sample_key(key).public_key());
    let c = rollup(&provider, contract);
    // The deployment's priority fee comes on top of the amount.
    let fee = c.depositFee().call().await.expect("depositFee");
    causeway_l1::send_and_wait(c.deposit(x, y).value(U256::from(amount) + fee)).await.expect("deposit");
}

async fn post(http: &reqwest::Client, url: &str, op: Operation) -> Value {
    let body = serde_json::to_string(&SignedTx::of(&op).expect("signed")).expect("json");
    let (status, answer) = super::procs::post(http, &format!("{url}/v1/txs"), body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn anvil_rpc(anvil: &Anvil, method: &'static str, params: Value) -> Value {
    let provider = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    provider.raw_request(method.into(), params).await.expect(method)
}

/// Runs `causeway wallet` with the wallet file `wallet` against the API, the RPC endpoint and
/// the deployment file; returns its standard output, asserting it succeeded.
fn wallet_cli(wallet: &Path, api: &str, rpc: &str, deployment: &Path, args: &[&str]) -> String {
    let mut all = vec!["wallet", "--wallet", wallet.to_str().expect("utf8"), "--api", api, "--rpc", rpc];
    all.push("--deployment");
    all.push(deployment.to_str().expect("utf8"));
    all.extend_from_slice(args);
    let out = super::causeway(&all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "wallet {args:?}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_transfer_withdraw_settle_and_verify_on_anvil() {
    let dir = TempDir::new("e2e");
    let log = dir.0.join("services.log");
    let keys = super::procs::batch_keys(DEPTH, SLOTS);
    let keys_s = keys.to_str().expect("utf8");
    // Genesis: only the operator's fee account; users arrive by deposit.
    let genesis = super::procs::genesis(&dir.0, DEPTH, 1);
    let anvil = Anvil::start(&[]).await.expect("anvil");
    let deployment = dir.0.join("deployment.json");
    let contract = deploy(&anvil, &keys, &genesis, &deployment);
    let test_db = TestDb::create().await.expect("test database");
    let seq = sequencer(&test_db, &genesis, &anvil, contract, 1).await;
    let url = format!("http://{}", seq.addr);
    let prover_metrics = format!("127.0.0.1:{}", super::procs::free_port());
    let settler_metrics = format!("127.0.0.1:{}", super::procs::free_port());
    let mut prover =
        spawn(&["prover", "--keys", keys_s, "--database-url", &test_db.url, "--metrics-listen", &prover_metrics], &log);
    let mut settler = settler_with(&test_db, &anvil, &deployment, &log, &["--metrics-listen", &settler_metrics]);
    let http = reqwest::Client::new();

    // Two deposits create accounts 1 and 2.
    deposit(&anvil, contract, 0, 11, ETHER).await;
    deposit(&anvil, contract, 1, 12, ETHER / 2).await;
    for (index, balance) in [(1, ETHER), (2, ETHER / 2)] {
        wait_for("the deposit on the rollup", 30, &log, async || {
            let (s, a) = get(&http, &format!("{url}/v1/accounts/{index}")).await;
            (s == 200 && a["accepted"]["balance"] == balance.to_string()).then_some(())
        })
        .await;
    }

    // A transfer and a withdrawal to a fresh base-chain address.
    let recipient = Address::from([0xab; 20]);
    let fee = 1_000u128;
    let d = domain(&anvil, contract).await;
    post(&http, &url, Operation::Transfer(Transfer::signed(&sample_key(11), &d, 1, 2, ETHER / 4, fee, 0))).await;
    let w = Operation::Withdraw(Withdraw::signed(&sample_key(12), &d, 2, recipient.0.0, ETHER / 2, fee, 0));
    let withdrawal = post(&http, &url, w).await;
    let hash = withdrawal["hash"].as_str().expect("hash").to_owned();
    let status = wait_for("the withdrawal finalized", 300, &log, async || {
        let (_, t) = get(&http, &format!("{url}/v1/txs/{hash}")).await;
        (t["status"] == "finalized").then_some(t)
    })
    .await;
    let batch = status["batch"].as_i64().expect("batch");

    // Every batch up to it is final on chain, and the contract moved its root.
    let provider = wallet_provider(&anvil.url(), DEV_USER_KEYS[2]).expect("provider");
    let c = rollup(&provider, contract);
    assert!(c.batchCount().call().await.expect("count") as i64 >= batch);
    for n in 1..=batch {
        let (_, b) = get(&http, &format!("{url}/v1/batches/{n}")).await;
        assert_eq!(b["status"], "finalized", "{b}");
    }
    // Every service is observable: the prover and the settler answer /health, and between them
    // the three export every metric the alert rules (ops/prometheus/alerts.yml) use.
    let mut exported = String::new();
    for service in [&url, &format!("http://{prover_metrics}"), &format!("http://{settler_metrics}")] {
        let r = http.get(format!("{service}/metrics")).send().await.expect("metrics");
        assert_eq!(r.status().as_u16(), 200, "{service}/metrics");
        exported.push_str(&r.text().await.expect("text"));
        let r = http.get(format!("{service}/health")).send().await.expect("health");
        assert_eq!(r.status().as_u16(), 200, "{service}/health");
    }
    let rules = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ops/prometheus/alerts.yml"))
        .expect("alert rules");
    let used = rules.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("causeway_"));
    for name in used {
        let series = |l: &&str| l.strip_prefix(name).is_some_and(|rest| rest.starts_with(['{', ' ']));
        assert!(exported.lines().any(|l| series(&l)), "{name}, used by an alert, is in no service's /metrics");
    }
    for name in
        ["causeway_prover_proofs_total", "causeway_prover_prove_seconds", "causeway_settler_last_finalized_batch"]
    {
        assert!(exported.contains(name), "{name}");
    }

    // The withdrawal reaches its address.
    assert_eq!(c.pendingWithdrawals(recipient, 0).call().await.expect("pending"), U256::from(ETHER / 2));
    causeway_l1::send_and_wait(c.withdraw(recipient, 0)).await.expect("withdraw");
    assert_eq!(provider.get_balance(recipient).await.expect("balance"), U256::from(ETHER / 2));
    assert_eq!(c.pendingWithdrawals(recipient, 0).call().await.expect("pending"), U256::ZERO);

    // Anyone can check it all from the chain.
    let out = super::causeway(&[
        "verify",
        "--rpc",
        &anvil.url(),
        "--deployment",
        deployment.to_str().expect("utf8"),
        "--genesis",
        genesis.to_str().expect("utf8"),
        "--keys",
        keys_s,
        "--account",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("batch 1: ok") && stdout.contains("priority"), "{stdout}");
    assert!(stdout.contains("batch 1: ok") && stdout.contains("proof valid"), "{stdout}");
    // Solvent: the genesis was funded with the deployment, and what the withdrawal paid left.
    assert!(stdout.contains("solvency: ok: the contract holds"), "{stdout}");
    let account: Value =
        serde_json::from_str(stdout.lines().find(|l| l.starts_with('{')).expect("account")).expect("json");
    assert_eq!(account["balance"], (ETHER / 2 + ETHER / 4 - ETHER / 2 - fee).to_string());

    // The explorer shows it and checks the batch's proof in a browser.
    let exit_keys = super::procs::exit_keys(&dir.0, DEPTH);
    let want = super::explorer::Expect { batch, tx: &hash, account: 2 };
    super::explorer::check(&url, &anvil.url(), contract, &keys, &exit_keys, want).await;

    // The wallet CLI: a new user deposits and pays; account 1's owner takes everything out
    // with a full exit, which the contract pays to the owner's address.
    let wallet = |file: &str, args: &[&str]| wallet_cli(&dir.0.join(file), &url, &anvil.url(), &deployment, args);
    wallet("carol.json", &["new", "--l1-key", DEV_USER_KEYS[2]]);
    let deposited: Value = serde_json::from_str(
        wallet("carol.json", &["deposit", "--amount", "0.5", "--wait"]).lines().next().expect("line"),
    )
    .expect("json");
    assert_eq!(deposited["account"], 3, "{deposited}");
    let paid = wallet("carol.json", &["transfer", "--to", "1", "--amount", "0.1", "--wait"]);
    assert!(paid.lines().any(|l| l.starts_with("finalized")), "{paid}");
    let balance: Value = serde_json::from_str(wallet("carol.json", &["balance"]).trim()).expect("json");
    assert_eq!(balance["in_ether"]["accepted"], "0.399999", "{balance}");
    assert_eq!(balance["accepted"]["balance"], (ETHER / 2 - ETHER / 10 - ETHER / 1_000_000).to_string(), "{balance}");
    assert_eq!(balance["accepted"]["nonce"], 1, "{balance}");

    std::fs::write(
        dir.0.join("alice.json"),
        serde_json::json!({ "rollup_key": format!("0x{}", hex::encode(sample_key(11).0)), "l1_key": DEV_USER_KEYS[0] })
            .to_string(),
    )
    .expect("wallet file");
    let (_, before) = get(&http, &format!("{url}/v1/accounts/1")).await;
    let owed: u128 = before["accepted"]["balance"].as_str().expect("balance").parse().expect("u128");
    wallet("alice.json", &["exit"]);
    let owner = causeway_l1::address_of(DEV_USER_KEYS[0]).expect("address");
    wait_for("the full exit paid out on chain", 300, &log, async || {
        (c.pendingWithdrawals(owner, 0).call().await.expect("pending") == U256::from(owed)).then_some(())
    })
    .await;
    let claimed: Value = serde_json::from_str(wallet("alice.json", &["claim"]).trim()).expect("json");
    assert_eq!(claimed["claimed"], owed.to_string(), "{claimed}");
    let (_, after) = get(&http, &format!("{url}/v1/accounts/1")).await;
    assert_eq!(after["accepted"]["balance"], "0", "{after}");

    // The operator loses its database. Everything the services kept is first recorded.
    let db = test_db.db().await.expect("db");
    let last = db.last_batch().await.expect("db").expect("batches").0;
    // Finalized in the database, and in the API's proved view (which follows the database
    // every half second): the snapshot must see the last batch in both.
    wait_for("every batch finalized and in the proved view", 120, &log, async || {
        let (_, b) = get(&http, &format!("{url}/v1/batches/{last}")).await;
        let (_, h) = get(&http, &format!("{url}/health")).await;
        (b["status"] == "finalized" && h["proved_through"] == last).then_some(())
    })
    .await;
    let before = Snapshot::take(&db, &http, &url, last).await;
    kill9(&mut settler).await;
    kill9(&mut prover).await;
    seq.shutdown(Duration::from_secs(5)).await;
    // Carol's transfer is accepted (in the database) and never sealed: the sequencer on the
    // database now seals only when its batch is full or after an hour.
    let mut config = sequencer_config(&test_db, &genesis, &anvil, contract, 1).await;
    config.batch_timeout = Duration::from_secs(3600);
    let held = Sequencer::start(config).await.expect("sequencer");
    let out = wallet_cli(
        &dir.0.join("carol.json"),
        &format!("http://{}", held.addr),
        &anvil.url(),
        &deployment,
        &["transfer", "--to", "2", "--amount", "0.1"],
    );
    let lost: Value = serde_json::from_str(out.lines().next().expect("line")).expect("json");
    assert_eq!(lost["status"], "accepted", "{lost}");
    let lost = lost["hash"].as_str().expect("hash").to_owned();
    held.shutdown(Duration::from_secs(5)).await;
    drop(db);
    let _ = test_db.drop_db().await;

    // Rebuilt from the chain into an empty database, through an endpoint that refuses log
    // ranges over 3 blocks and fails every 5th call; the first run is killed (a fail point
    // aborts it) right after it stored batch 2, and the second continues it.
    let test_db = TestDb::create().await.expect("test database");
    let flaky = super::procs::FlakyRpc::start(anvil.url(), 5, 3).await;
    let restore = |rpc: &str, fail_point: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_causeway"));
        cmd.args([
            "restore",
            "--database-url",
            &test_db.url,
            "--rpc",
            rpc,
            "--deployment",
            deployment.to_str().expect("utf8"),
            "--genesis",
            genesis.to_str().expect("utf8"),
            "--keys",
            keys_s,
            "--confirmations",
            "1",
        ]);
        if let Some(f) = fail_point {
            cmd.env(causeway_db::FAIL_POINT_ENV, f);
        }
        cmd.output().expect("run causeway restore")
    };
    let out = restore(&flaky.url, Some("restore-stored-batch-2"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("fail point restore-stored-batch-2"), "{stderr}");
    let db = test_db.db().await.expect("db");
    let progress = db.restore_progress().await.expect("db").expect("a restore started");
    assert_eq!((progress.through_batch, progress.finished_at), (2, None));
    // Nothing serves or settles from a half-restored database.
    match Sequencer::start(sequencer_config(&test_db, &genesis, &anvil, contract, 1).await).await {
        Err(e) => assert!(e.to_string().contains("a restore into this database stopped after batch 2"), "{e}"),
        Ok(_) => panic!("a sequencer started on a half-restored database"),
    }
    let out = restore(&flaky.url, None);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("continued an interrupted restore after batch 2"), "{stdout}");
    assert!(stdout.contains(&format!("restored {last} batches ({last} final")), "{stdout}");
    assert!(stdout.contains(&format!("proofs: {} checked", last - 2)), "{stdout}");
    assert!(stderr.contains(&format!("restore: batch {last}/{last}")), "{stderr}");
    let (failed, capped) = (flaky.failed.load(SeqCst), flaky.capped.load(SeqCst));
    assert!(failed > 0 && capped > 0, "the endpoint failed {failed} calls and refused {capped} ranges");
    // A second restore into it is refused, and changes nothing.
    let out = restore(&anvil.url(), None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("refused: the database is not empty (it holds a rollup with {last} batches")),
        "{stderr}"
    );

    // The services carry on from it: the same accounts, batches, proofs and transactions.
    let seq = sequencer(&test_db, &genesis, &anvil, contract, 1).await;
    let url = format!("http://{}", seq.addr);
    let (_, h) = get(&http, &format!("{url}/health")).await;
    assert_eq!(h["proved_through"], last, "the restored batches are proved: {h}");
    let after = Snapshot::take(&db, &http, &url, last).await;
    before.assert_restored_as(&after);
    let (_, t) = get(&http, &format!("{url}/v1/txs/{hash}")).await;
    assert_eq!((t["status"].as_str(), t["batch"].as_i64()), (Some("finalized"), Some(batch)), "{t}");
    assert_eq!(t["tx"]["restored"]["type"], "withdraw", "{t}");
    assert!(t["tx"]["restored"].get("signature").is_none(), "signatures are not on chain: {t}");
    let mut prover = spawn(&["prover", "--keys", keys_s, "--database-url", &test_db.url], &log);
    let mut settler = super::e2e::settler(&test_db, &anvil, &deployment, &log);
    let wallet = |file: &str, args: &[&str]| wallet_cli(&dir.0.join(file), &url, &anvil.url(), &deployment, args);
    // The restored sequencer never heard of carol's accepted transfer; the wallet kept it signed
    // and submits it again, and it is finalized.
    let (status, _) = get(&http, &format!("{url}/v1/txs/{lost}")).await;
    assert_eq!(status, 404);
    let kept = dir.0.join("carol.json.unfinished.json");
    assert!(std::fs::read_to_string(&kept).expect("unfinished list").contains(&lost));
    let paid = wallet("carol.json", &["follow"]);
    let lines: Vec<&str> = paid.lines().collect();
    assert_eq!(lines.first(), Some(&lost.as_str()), "{paid}");
    assert!(lines.contains(&"submitted again") && lines.iter().any(|l| l.starts_with("finalized")), "{paid}");
    assert_eq!(std::fs::read_to_string(&kept).expect("unfinished list").trim(), "[]");
    wallet("carol.json", &["deposit", "--amount", "0.2", "--wait"]);
    let balance: Value = serde_json::from_str(wallet("carol.json", &["balance"]).trim()).expect("json");
    assert_eq!(balance["in_ether"]["accepted"], "0.499998", "{balance}");
    assert_eq!(balance["accepted"]["nonce"], 2, "{balance}");
    let newest = db.last_batch().await.expect("db").expect("batches").0;
    assert!(newest > last, "new batches after the restore");
    wait_for("the new batches finalized", 120, &log, async || {
        let (_, b) = get(&http, &format!("{url}/v1/batches/{newest}")).await;
        (b["status"] == "finalized").then_some(())
    })
    .await;
    let out = super::causeway(&[
        "verify",
        "--rpc",
        &anvil.url(),
        "--deployment",
        deployment.to_str().expect("utf8"),
        "--genesis",
        genesis.to_str().expect("utf8"),
        "--keys",
        keys_s,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("verified {newest} batches")), "{stdout}");

    let chain = Chain { rpc: anvil.url(), deployment: deployment.clone(), genesis: genesis.clone() };
    let api = Api::new(url.clone());
    let target = Target { chain: Some(&chain), database: Some(&test_db.url), api: Some(&api), settled: true };
    causeway_testkit::invariants::check(&target, &log).await;
    kill9(&mut settler).await;
    kill9(&mut prover).await;
    seq.shutdown(Duration::from_secs(5)).await;
    drop(db);
    let _ = test_db.drop_db().await;
}

/// What an operator's database and API say about every account and batch: what a restore must
/// give back.
struct Snapshot {
    accounts: Vec<(u16, Value)>,
    batches: Vec<Vec<String>>,
}

impl Snapshot {
    async fn take(db: &causeway_db::Db, http: &reqwest::Client, url: &str, last: i64) -> Self {
        let mut accounts = Vec::new();
        for i in 0..1u32 << DEPTH {
            let (status, a) = get(http, &format!("{url}/v1/accounts/{i}")).await;
            accounts.push((status, serde_json::json!([a["accepted"], a["proved"], a["public_key"], a["owner"]])));
        }
        let mut batches = Vec::new();
        for n in 1..=last {
            let b = db.batch(n).await.expect("db").expect("batch");
            let proof = db.proof(n).await.expect("db").expect("proof");
            let txs = db.txs_in_range(b.first_seq, b.last_seq).await.expect("db");
            let hashes = txs.iter().filter(|t| t.reject_code.is_none()).map(|t| hex::encode(&t.hash));
            let mut row = vec![
                b.status,
                hex::encode(&b.old_root),
                hex::encode(&b.new_root),
                hex::encode(&b.header),
                hex::encode(&b.pubdata),
                hex::encode(&b.commitment),
                format!("{} {} {} {} {}", b.priority_start, b.priority_count, b.fee_account, b.op_count, b.fees),
                hex::encode(&proof.proof_eth),
            ];
            row.extend(hashes);
            let accounts = db.batch_accounts(n).await.expect("db");
            row.extend(
                accounts.iter().map(|(i, before, after)| format!("{i}:{}:{}", hex::encode(before), hex::encode(after))),
            );
            batches.push(row);
        }
        Self { accounts, batches }
    }

    fn assert_restored_as(&self, restored: &Snapshot) {
        for (i, (a, b)) in self.accounts.iter().zip(&restored.accounts).enumerate() {
            assert_eq!(a, b, "account {i}");
        }
        for (n, (a, b)) in self.batches.iter().zip(&restored.batches).enumerate() {
            assert_eq!(a, b, "batch {}", n + 1);
        }
        assert_eq!(self.batches.len(), restored.batches.len());
    }
}

/// A system with only its sequencer (and its watcher, `confirmations` deep) running.
async fn watching(confirmations: u64) -> (System, causeway_db::Db) {
    let options = Options { confirmations, start: vec![Role::Sequencer], ..Options::default() };
    let sys = System::start(env!("CARGO_BIN_EXE_causeway"), options).await;
    let db = sys.db.db().await.expect("db");
    (sys, db)
}

/// Waits until the watcher's stored position is the newest block its confirmations allow:
/// everything the chain holds up to there is read, and nothing after.
async fn watched_to_head(sys: &System, db: &causeway_db::Db) {
    let provider = wallet_provider(&sys.anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let head = provider.get_block_number().await.expect("head");
    let safe = (head + 1).saturating_sub(sys.options.confirmations) as i64;
    sys.wait_for(&format!("the watcher at block {safe}"), 30, async || {
        let cursor = db.l1_cursor().await.expect("db")?;
        (cursor.block_number >= safe).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_reorganised_away_before_its_confirmations_creates_nothing() {
    let (mut sys, db) = watching(3).await;

    // A deposit of 5 ether, undone by a reorganisation before it has 3 confirmations.
    let snapshot = sys.anvil_rpc("evm_snapshot", serde_json::json!([])).await;
    sys.deposit(0, 21, 5 * ETHER).await;
    sys.anvil_rpc("anvil_mine", serde_json::json!([1])).await;
    watched_to_head(&sys, &db).await;
    assert_eq!(db.next_priority_serial().await.expect("db"), 0, "read before its confirmations");
    assert_eq!(sys.anvil_rpc("evm_revert", serde_json::json!([snapshot])).await, true);
    // The new chain: another deposit, and enough blocks to confirm everything.
    sys.deposit(1, 22, 2 * ETHER).await;
    sys.anvil_rpc("anvil_mine", serde_json::json!([5])).await;
    watched_to_head(&sys, &db).await;
    let (s, a) = sys.api.get("/v1/accounts/1").await;
    assert_eq!(s, 200);
    assert_eq!(a["accepted"]["balance"], (2 * ETHER).to_string(), "{a}");
    let packed = format!("0x{}", hex::encode(sample_key(22).public_key().pack()));
    assert_eq!(a["public_key"], packed, "{a}");
    // Nothing else: one request stored, no other account, no funds from the undone deposit.
    assert_eq!(db.next_priority_serial().await.expect("db"), 1);
    let (s, _) = sys.api.get("/v1/accounts/2").await;
    assert_eq!(s, 404);
    sys.check_invariants().await;
}

/// The sequencer with its base-chain watcher as a real process: `kill -9` after it read a
/// deposit, another deposit while it is down, and a restart reads the second once and not the
/// first again (its position is in the database). Then a reorganisation deeper than
/// `--confirmations` undoes a deposit it already read: the watcher stops, and with it the
/// process, status 1, naming the block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_resumes_after_kill_9_and_stops_the_sequencer_on_a_reorganisation_deeper_than_its_confirmations() {
    let (mut sys, db) = watching(2).await;
    sys.deposit(0, 21, 5 * ETHER).await;
    sys.anvil_rpc("anvil_mine", serde_json::json!([2])).await;
    watched_to_head(&sys, &db).await;
    assert_eq!(db.next_priority_serial().await.expect("db"), 1);
    let before_second = sys.anvil_rpc("evm_snapshot", serde_json::json!([])).await;
    sys.kill9(Role::Sequencer).await;

    sys.deposit(1, 22, 2 * ETHER).await;
    sys.anvil_rpc("anvil_mine", serde_json::json!([2])).await;
    sys.spawn(Role::Sequencer).await;
    watched_to_head(&sys, &db).await;
    assert_eq!(db.next_priority_serial().await.expect("db"), 2);
    for (account, ether) in [(1, 5), (2, 2)] {
        let (s, a) = sys.api.get(&format!("/v1/accounts/{account}")).await;
        assert_eq!((s, a["accepted"]["balance"].as_str()), (200, Some((ether * ETHER).to_string().as_str())), "{a}");
    }
    let (s, _) = sys.api.get("/v1/accounts/3").await;
    assert_eq!(s, 404, "each deposit read once");
    sys.check_invariants().await;

    // The second deposit, read with its 2 confirmations, is undone.
    assert_eq!(sys.anvil_rpc("evm_revert", serde_json::json!([before_second])).await, true);
    sys.anvil_rpc("anvil_mine", serde_json::json!([3])).await;
    let status = tokio::time::timeout(Duration::from_secs(30), sys.child(Role::Sequencer).wait())
        .await
        .expect("it stops")
        .expect("wait");
    let text = std::fs::read_to_string(&sys.log).unwrap_or_default();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("deeper than --confirmations allows"), "{text}");
}

/// The sequencer killed in the middle of a watcher range (fail point `watcher-read-request-0`:
/// two deposits read from the chain, nothing stored yet): the restarted watcher reads the range
/// again, and each deposit is credited once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequencer_killed_mid_range_reads_the_range_again_and_credits_each_deposit_once() {
    let options = Options { start: vec![], ..Options::default() };
    let mut sys = System::start(env!("CARGO_BIN_EXE_causeway"), options).await;
    let db = sys.db.db().await.expect("db");
    sys.spawn_with(Role::Sequencer, &[(causeway_db::FAIL_POINT_ENV, "watcher-read-request-0")]).await;
    sys.anvil_rpc("evm_setAutomine", serde_json::json!([false])).await;
    sys.deposit_unmined(0, 11, ETHER).await;
    sys.deposit_unmined(1, 12, ETHER / 2).await;
    sys.anvil_rpc("evm_mine", serde_json::json!([])).await;
    sys.anvil_rpc("evm_setAutomine", serde_json::json!([true])).await;
    let status = tokio::time::timeout(Duration::from_secs(30), sys.child(Role::Sequencer).wait())
        .await
        .expect("it stops")
        .expect("wait");
    assert!(!status.success());
    let text = std::fs::read_to_string(&sys.log).unwrap_or_default();
    assert!(text.contains("fail point watcher-read-request-0: aborting"), "{text}");
    assert_eq!(db.next_priority_serial().await.expect("db"), 0, "nothing of the range stored");
    sys.kill9(Role::Sequencer).await;

    sys.spawn(Role::Sequencer).await;
    watched_to_head(&sys, &db).await;
    assert_eq!(db.next_priority_serial().await.expect("db"), 2);
    for (account, balance) in [(1, ETHER), (2, ETHER / 2)] {
        let (s, a) = sys.api.get(&format!("/v1/accounts/{account}")).await;
        assert_eq!((s, a["accepted"]["balance"].as_str()), (200, Some(balance.to_string().as_str())), "{a}");
    }
    let (s, _) = sys.api.get("/v1/accounts/3").await;
    assert_eq!(s, 404, "each deposit credited once");
    sys.check_invariants().await;
    assert_eq!(db.sealed_priority_head().await.expect("db"), 2, "both sealed, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_squatted_by_someone_else_does_not_capture_the_wallet() {
    let (mut sys, _db) = watching(1).await;
    let (dir, anvil, deployment, contract) = (&sys.dir, &sys.anvil, &sys.deployment, sys.contract);
    let (url, http) = (sys.api.url.clone(), sys.api.http.clone());

    // Alice's wallet: a rollup key and base-chain user 0.
    let alice_key = causeway_protocol::PrivateKey([0xa1; 32]);
    let alice_file = dir.0.join("alice.json");
    std::fs::write(
        &alice_file,
        serde_json::json!({ "rollup_key": format!("0x{}", hex::encode(alice_key.0)), "l1_key": DEV_USER_KEYS[0] })
            .to_string(),
    )
    .expect("wallet file");
    let wallet = |url: &str, args: &[&str]| wallet_cli(&alice_file, url, &anvil.url(), deployment, args);

    // Mallory (user 1) deposits the minimum with Alice's key first: account 1 holds her key and
    // is Mallory's.
    let mallory = rollup(&wallet_provider(&anvil.url(), DEV_USER_KEYS[1]).expect("provider"), contract);
    let (x, y) = encode::key_words(&alice_key.public_key());
    let fee = mallory.depositFee().call().await.expect("depositFee");
    causeway_l1::send_and_wait(mallory.deposit(x, y).value(U256::from(causeway_l1::DEFAULT_MIN_DEPOSIT) + fee))
        .await
        .expect("mallory's deposit");
    wait_for("mallory's account on the rollup", 30, &sys.log, async || {
        let (s, _) = get(&http, &format!("{url}/v1/accounts/1")).await;
        (s == 200).then_some(())
    })
    .await;

    // Alice's wallet ignores it: her deposit creates her own account 2, and she pays from it.
    let deposited: Value =
        serde_json::from_str(wallet(&url, &["deposit", "--amount", "1", "--wait"]).lines().next().expect("line"))
            .expect("json");
    assert_eq!(deposited["account"], 2, "{deposited}");
    let balance: Value = serde_json::from_str(wallet(&url, &["balance"]).trim()).expect("json");
    assert_eq!(balance["account"], 2, "{balance}");
    assert_eq!(balance["accepted"]["balance"], ETHER.to_string(), "{balance}");
    let paid: Value =
        serde_json::from_str(wallet(&url, &["transfer", "--to", "0", "--amount", "0.1"]).trim()).expect("json");
    assert_eq!(paid["status"], "accepted", "{paid}");

    // The key lists both accounts, in index order, each with its owner.
    let packed = format!("0x{}", hex::encode(alice_key.public_key().pack()));
    let (_, listed) = get(&http, &format!("{url}/v1/accounts/by-key/{packed}")).await;
    let owners: Vec<(u64, String)> = listed["accounts"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| (a["index"].as_u64().expect("index"), a["owner"].as_str().expect("owner").to_lowercase()))
        .collect();
    let addr = |k: &str| causeway_l1::address_of(k).expect("address").to_string().to_lowercase();
    assert_eq!(owners, vec![(1, addr(DEV_USER_KEYS[1])), (2, addr(DEV_USER_KEYS[0]))]);

    // Across a sequencer restart the wallet still acts on account 2 only.
    sys.restart(Role::Sequencer).await;
    let wallet = |url: &str, args: &[&str]| wallet_cli(&alice_file, url, &sys.anvil.url(), &sys.deployment, args);
    let balance: Value = serde_json::from_str(wallet(&url, &["balance"]).trim()).expect("json");
    assert_eq!(balance["account"], 2, "{balance}");
    assert_eq!(balance["accepted"]["nonce"], 1, "{balance}");
    wallet(&url, &["deposit", "--amount", "0.5", "--wait"]);
    let exit: Value = serde_json::from_str(wallet(&url, &["exit"]).trim()).expect("json");
    assert_eq!(exit["full_exit_requested"], 2, "{exit}");
    // Nobody but its owner can queue an exit of Mallory's account, nor deposit into it with a
    // wrong owner; Mallory's account is untouched by all of Alice's calls.
    let (_, m) = get(&http, &format!("{url}/v1/accounts/1")).await;
    assert_eq!(m["accepted"]["balance"], causeway_l1::DEFAULT_MIN_DEPOSIT.to_string(), "{m}");
    sys.check_invariants().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_in_the_deployment_block_and_the_next_are_both_read() {
    let dir = TempDir::new("deploy-block");
    let log = dir.0.join("services.log");
    let genesis = super::procs::genesis(&dir.0, DEPTH, 1);
    let anvil = Anvil::start(&[]).await.expect("anvil");
    let operator = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    // Blocks only when asked: the deployment and a deposit to its (predictable) address share one.
    anvil_rpc(&anvil, "evm_setAutomine", serde_json::json!([false])).await;
    let params = unproved_params(&genesis);
    let deploy = Rollup::deploy_builder(
        operator.clone(),
        params.vk,
        params.exit_vk,
        params.genesis_root,
        causeway_l1::constructor_params(&params),
        vec![],
        vec![],
    )
    .value(params.genesis_balance)
    .max_priority_fee_per_gas(10_000_000_000)
    .max_fee_per_gas(100_000_000_000)
    .gas(10_000_000);
    let deploy_tx = *deploy.send().await.expect("send deployment").tx_hash();
    let contract = causeway_l1::address_of(DEV_OPERATOR_KEY).expect("address").create(0);
    let user = wallet_provider(&anvil.url(), DEV_USER_KEYS[0]).expect("provider");
    let (x, y) = encode::key_words(&sample_key(31).public_key());
    let instance = rollup(&user, contract);
    let first = instance
        .deposit(x, y)
        .value(U256::from(ETHER))
        .gas(500_000)
        .max_priority_fee_per_gas(1)
        .max_fee_per_gas(100_000_000_000);
    let first_tx = *first.send().await.expect("send deposit").tx_hash();
    anvil_rpc(&anvil, "evm_mine", serde_json::json!([])).await;
    let deployed = operator.get_transaction_receipt(deploy_tx).await.expect("rpc").expect("mined");
    let deposited = user.get_transaction_receipt(first_tx).await.expect("rpc").expect("mined");
    assert_eq!(deployed.contract_address, Some(contract));
    assert!(deposited.status(), "the deposit ran after the deployment");
    assert_eq!(deployed.block_number, deposited.block_number, "one block holds both");
    let deploy_block = deployed.block_number.expect("block");
    // The next block: another deposit.
    anvil_rpc(&anvil, "evm_setAutomine", serde_json::json!([true])).await;
    let (x2, y2) = encode::key_words(&sample_key(32).public_key());
    causeway_l1::send_and_wait(rollup(&user, contract).deposit(x2, y2).value(U256::from(ETHER / 2)))
        .await
        .expect("second deposit");

    let test_db = TestDb::create().await.expect("test database");
    let mut config = SequencerConfig::new(test_db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.genesis = Some(genesis.clone());
    config.slots = Some(SLOTS);
    config.batch_timeout = Duration::from_millis(300);
    config.l1 = Some(L1Config {
        rpc: anvil.url(),
        contract,
        confirmations: 1,
        poll: Duration::from_millis(100),
        from_block: deploy_block,
    });
    config.domain = domain(&anvil, contract).await;
    let seq = Sequencer::start(config).await.expect("sequencer");
    let url = format!("http://{}", seq.addr);
    let http = reqwest::Client::new();
    for (index, balance) in [(1, ETHER), (2, ETHER / 2)] {
        wait_for("both deposits on the rollup", 30, &log, async || {
            let (s, a) = get(&http, &format!("{url}/v1/accounts/{index}")).await;
            (s == 200 && a["accepted"]["balance"] == balance.to_string()).then_some(())
        })
        .await;
    }
    // No batch executes them (no prover runs): the operator sees the oldest one's deadline
    // coming, in blocks, from the chain's queue: the deposit's block, plus the 7 blocks full
    // batches need for its 7 slots (one slot of requests per 7-slot batch, a batch a block),
    // plus the 100 blocks of grace.
    let deadline = deploy_block + 7 + 100;
    let queued = rollup(&user, contract).priorityRequests(0).call().await.expect("request 0");
    assert_eq!(queued.deadline, deadline);
    let metric = |text: &str, name: &str| {
        text.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse::<f64>().ok()))
    };
    let _ = anvil_rpc(&anvil, "anvil_mine", serde_json::json!(["0x3c"])).await;
    wait_for("the deadline metric", 30, &log, async || {
        let head = user.get_block_number().await.ok()?;
        let text = http.get(format!("{url}/metrics")).send().await.ok()?.text().await.ok()?;
        let left = metric(&text, "causeway_priority_deadline_blocks_left ")?;
        let waiting = metric(&text, "causeway_priority_requests_unexecuted ")?;
        (left == (deadline as f64 - head as f64) && waiting == 2.0).then_some(())
    })
    .await;
    let deployment = dir.0.join("deployment.json");
    let file = serde_json::json!({ "rollup": contract.to_string(), "slots": SLOTS, "deployed_at_block": deploy_block });
    std::fs::write(&deployment, file.to_string()).expect("deployment file");
    let chain = Chain { rpc: anvil.url(), deployment, genesis };
    let api = Api::new(url.clone());
    let target = Target { chain: Some(&chain), database: Some(&test_db.url), api: Some(&api), settled: false };
    causeway_testkit::invariants::check(&target, &log).await;
    seq.shutdown(Duration::from_secs(5)).await;
    let _ = test_db.drop_db().await;
}

/// The watcher's range of priority requests is committed, and the connection is cut before the
/// sequencer hears it (a proxy between it and PostgreSQL): the stored requests are credited, and
/// the watcher re-reads its position and reads on, instead of storing the same range again for
/// ever while later deposits wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_priority_range_whose_commit_answer_was_lost_is_found_and_the_watcher_goes_on() {
    let options = Options { start: vec![], ..Options::default() };
    let mut sys = System::start(env!("CARGO_BIN_EXE_causeway"), options).await;
    let proxy = causeway_db::testing::PgFaultProxy::start(&sys.db.url);
    proxy.cut_commit_of("INSERT INTO priority_requests");
    sys.services_database_url = Some(proxy.url.clone());
    sys.spawn(Role::Sequencer).await;
    let api = sys.api.clone();
    let credited = async |index: u32, balance: u128| {
        sys.wait_for(&format!("account {index} credited"), 30, async || {
            let (s, a) = api.get(&format!("/v1/accounts/{index}")).await;
            (s == 200 && a["accepted"]["balance"] == balance.to_string()).then_some(())
        })
        .await;
    };

    sys.deposit(0, 11, ETHER).await;
    sys.wait_for("the deposit's commit cut", 30, async || (proxy.commits_cut() == 1).then_some(())).await;
    credited(1, ETHER).await;
    sys.deposit(1, 12, ETHER / 2).await;
    credited(2, ETHER / 2).await;
    // Each request is in the sequence once, and sealed.
    for serial in 0..2u64 {
        let hash = format!("0x{}", hex::encode(causeway_protocol::wire::priority_request_hash(serial)));
        sys.wait_for(&format!("request {serial} sealed"), 30, async || {
            let (_, t) = api.get(&format!("/v1/txs/{hash}")).await;
            (t["status"] == "included").then_some(())
        })
        .await;
    }
    let db = sys.db.db().await.expect("db");
    let stored = db.txs_in_range(1, 100).await.expect("db");
    assert_eq!(stored.len(), 2, "two requests, stored once each");
    assert_eq!(proxy.commits_cut(), 1);
    sys.check_invariants().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_tokens_are_served_with_their_symbol_and_decimals_once_confirmed() {
    let (sys, _db) = watching(2).await;
    let lister = wallet_provider(&sys.anvil.url(), DEV_USER_KEYS[0]).expect("provider");
    let ether = serde_json::json!({
        "id": 0, "address": format!("0x{}", "0".repeat(40)), "symbol": "ETH", "decimals": 18
    });
    let (s, v) = sys.api.get("/v1/tokens").await;
    assert_eq!((s, v), (200, serde_json::json!({ "tokens": [ether] })));
    let asked = std::time::Instant::now();

    let usd = *causeway_l1::tokens::TestToken::deploy(lister.clone(), "Test Dollar".into(), "TUSD".into(), 6)
        .await
        .expect("token")
        .address();
    causeway_l1::send_and_wait(rollup(&lister, sys.contract).listToken(usd)).await.expect("list");

    // One block deep, with two confirmations asked for: not shown, also once the registry was
    // read again (at most once a second; no block is mined meanwhile).
    while asked.elapsed() < Duration::from_millis(1500) {
        let (_, v) = sys.api.get("/v1/tokens").await;
        assert_eq!(v["tokens"].as_array().expect("tokens").len(), 1, "{v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sys.anvil_rpc("anvil_mine", serde_json::json!([1])).await;
    let shown = sys
        .wait_for("the token shown", 30, async || {
            let (_, v) = sys.api.get("/v1/tokens").await;
            (v["tokens"].as_array()?.len() == 2).then_some(v)
        })
        .await;
    let token = serde_json::json!({
        "id": 1, "address": format!("{usd:#x}"), "symbol": "TUSD", "decimals": 6
    });
    assert_eq!(shown, serde_json::json!({ "tokens": [ether, token] }));
}
