//! The system fixture and the invariants every system test ends with, tested themselves: on a
//! system that deposited, paid, was proved and settled, the invariants hold, through a
//! `kill -9` and restart of every service and through a wiped database rebuilt by
//! `causeway restore`; and they fail, naming what differs, on an insolvent contract and on a
//! database whose state is not the chain's.

use causeway_testkit::system::{Options, Role, System};

const ETHER: u128 = 1_000_000_000_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invariants_hold_through_kills_and_a_wiped_database_and_catch_what_differs() {
    let mut sys = System::start(env!("CARGO_BIN_EXE_causeway"), Options::default()).await;
    sys.deposit(0, 11, ETHER).await;
    let api = sys.api.clone();
    sys.wait_for("the deposit on the rollup", 30, async || {
        let (s, a) = api.get("/v1/accounts/1").await;
        (s == 200 && a["accepted"]["balance"] == ETHER.to_string()).then_some(())
    })
    .await;
    let (s, paid) = sys.api.post("/v1/txs", sys.transfer(11, 1, 0, ETHER / 4, 1_000, 0)).await;
    assert_eq!(s, 200, "{paid}");
    let report = sys.check_invariants().await;
    assert!(report.chain_batches >= 1 && report.chain_batches as i64 == report.database_batches, "{report:?}");
    assert_eq!((report.executed, report.refunded, report.accounts), (1, 0, 2), "{report:?}");

    // Every service killed with SIGKILL and started again: nothing lost, nothing twice.
    for role in [Role::Settler, Role::Prover, Role::Sequencer] {
        sys.restart(role).await;
    }
    let (s, paid) = sys.api.post("/v1/txs", sys.transfer(11, 1, 0, ETHER / 4, 1_000, 1)).await;
    assert_eq!(s, 200, "{paid}");
    let again = sys.check_invariants().await;
    assert!(again.chain_batches > report.chain_batches, "{again:?}");

    // The database lost, rebuilt from the chain, and the services carry on from it.
    sys.wipe_database().await;
    let out = sys.restore();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for role in [Role::Sequencer, Role::Prover, Role::Settler] {
        sys.spawn(role).await;
    }
    let restored = sys.check_invariants().await;
    assert_eq!(restored.database_batches, again.database_batches, "{restored:?}");
    sys.deposit(1, 12, ETHER / 2).await;
    let api = sys.api.clone();
    sys.wait_for("a deposit after the restore", 30, async || {
        let (s, _) = api.get("/v1/accounts/2").await;
        (s == 200).then_some(())
    })
    .await;
    let after = sys.check_invariants().await;
    assert_eq!((after.executed, after.accounts), (2, 3), "{after:?}");

    // The contract's ether taken away: insolvent, and said so.
    sys.kill9(Role::Settler).await;
    let balance = sys.anvil_rpc("eth_getBalance", serde_json::json!([sys.contract.to_string(), "latest"])).await;
    sys.anvil_rpc("anvil_setBalance", serde_json::json!([sys.contract.to_string(), "0x1"])).await;
    let e = sys.try_check_invariants().await.expect_err("an insolvent contract");
    assert!(e.contains("the replay from the chain fails") && e.contains("contract_balance: 1"), "{e}");
    sys.anvil_rpc("anvil_setBalance", serde_json::json!([sys.contract.to_string(), balance])).await;
    sys.try_check_invariants().await.expect("solvent again");

    // One account's balance changed in the database, by one wei: its state is not the chain's.
    let db = sys.db.db().await.expect("db");
    sqlx::query(
        "UPDATE accounts SET account = overlay(account PLACING '\\x07'::bytea FROM 80 FOR 1) WHERE account_index = 1",
    )
    .execute(db.pool())
    .await
    .expect("tamper");
    let e = sys.try_check_invariants().await.expect_err("a database that is not the chain's");
    assert!(e.contains("the replayed state is not the database's"), "{e}");
}
