//! Open mode and the operator handover: once the oldest waiting priority request has waited
//! `openDelayBlocks` past its turn, anyone may turn open mode on and submit proved batches;
//! racers for the same root lose early ("stale root"), before the proof is checked; and the
//! operator hands its role on in two steps.

use super::{ETHER, PARAMS, batch_on, deploy_with, expect_revert, genesis, prove};
use alloy::primitives::U256;
use alloy::providers::Provider;
use causeway_l1::{
    DEV_USER_KEYS, L1Error, Rollup, address_of, encode, rollup, send_and_wait, submit_batch, wallet_provider,
};
use causeway_protocol::{Deposit, Domain, Operation, Transfer};
use causeway_prover::sample::sample_key;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const EXPIRY: u64 = 20;

async fn setup() -> causeway_prover::Keys {
    tokio::task::spawn_blocking(|| {
        causeway_prover::keys::setup(PARAMS, &mut ChaCha20Rng::seed_from_u64(3)).expect("setup")
    })
    .await
    .expect("setup task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_mode_lets_anyone_submit_once_the_queue_waits_too_long_and_a_racer_loses_cheaply() {
    let keys = setup().await;
    let chain = deploy_with(&keys, [U256::from(1); 26], EXPIRY, &genesis(Domain::default())).await;
    let state = genesis(chain.domain);
    let user = |i: usize| rollup(&wallet_provider(&chain.url, DEV_USER_KEYS[i]).expect("provider"), chain.address);
    let (taker_a, taker_b) = (user(1), user(2));

    // Nothing waits: open mode has no reason to start.
    assert_eq!(chain.rollup.openModeAllowedFrom().call().await.expect("allowed from"), 0);
    let e = taker_a.activateOpenMode().send().await.map_err(L1Error::from);
    expect_revert(e, "no priority request is waiting").await;

    // A deposit the operator never executes.
    let key = sample_key(2).public_key();
    let (x, y) = encode::key_words(&key);
    send_and_wait(user(0).deposit(x, y).value(U256::from(ETHER))).await.expect("deposit");
    let owner = address_of(DEV_USER_KEYS[0]).expect("address");
    let deposit = [Operation::Deposit(Deposit { account: 2, pubkey: key, owner: owner.0.0, token: 0, amount: ETHER })];

    // Before the delay: refused, and a stranger's proved batch still is.
    let allowed = chain.rollup.openModeAllowedFrom().call().await.expect("allowed from");
    let now = chain.rollup.provider().get_block_number().await.expect("block");
    let deadline = chain.rollup.priorityRequests(0).call().await.expect("request").deadline;
    assert!(allowed > now + 1 && allowed < deadline, "open mode ({allowed}) comes before exodus ({deadline})");
    expect_revert(taker_a.activateOpenMode().send().await.map_err(L1Error::from), "has not waited long enough").await;
    let t1 = batch_on(&state, 1, 0, &deposit);
    let (b_a, b_b) = (prove(&keys, &t1, 21), prove(&keys, &t1, 22));
    expect_revert(submit_batch(&taker_a, &b_a).await, "only the operator submits batches").await;

    // One block before it: still refused; from it on, anyone may turn it on.
    let now = chain.rollup.provider().get_block_number().await.expect("block");
    // The next transaction's block is allowed - 1.
    let blocks = format!("{:#x}", allowed - now - 2);
    let _: serde_json::Value = chain.rollup.provider().raw_request("anvil_mine".into(), [blocks]).await.expect("mine");
    expect_revert(taker_a.activateOpenMode().send().await.map_err(L1Error::from), "has not waited long enough").await;
    // (A refused call mines nothing.) The next block is `allowed`.
    let _: serde_json::Value = chain.rollup.provider().raw_request("anvil_mine".into(), ["0x1"]).await.expect("mine");
    let receipt = send_and_wait(taker_b.activateOpenMode()).await.expect("open mode");
    assert_eq!(receipt.block_number, Some(allowed));
    let opened = receipt.inner.logs().iter().find_map(|l| l.log_decode::<Rollup::OpenModeActivated>().ok());
    assert_eq!(opened.expect("OpenModeActivated").inner.data.by, address_of(DEV_USER_KEYS[2]).expect("address"));
    assert!(chain.rollup.openMode().call().await.expect("open"));
    expect_revert(taker_a.activateOpenMode().send().await.map_err(L1Error::from), "open mode is already on").await;

    // Two takers race with the same batch (proved apart): the first is accepted and named as
    // its submitter; the second reverts before the proof is checked, for little gas.
    let accepted = submit_batch(&taker_a, &b_a).await.expect("taker A's batch accepted");
    let event = accepted.inner.logs().iter().find_map(|l| l.log_decode::<Rollup::BatchSubmitted>().ok());
    assert_eq!(event.expect("BatchSubmitted").inner.data.submitter, address_of(DEV_USER_KEYS[1]).expect("address"));
    expect_revert(submit_batch(&taker_b, &b_b).await, "stale root").await;
    let call = taker_b.submitBatch(b_b.header.clone().into(), b_b.pubdata.clone().into(), b_b.proof).gas(1_000_000);
    let lost = causeway_l1::wait_receipt(
        chain.rollup.provider(),
        *call.send().await.expect("send").tx_hash(),
        std::time::Duration::from_secs(30),
    )
    .await
    .expect("receipt");
    assert!(!lost.status(), "the stale batch reverts");
    assert!(
        lost.gas_used < accepted.gas_used / 4 && lost.gas_used < 60_000,
        "a stale batch costs {} gas, an accepted one {}",
        lost.gas_used,
        accepted.gas_used
    );
    assert_eq!(chain.rollup.batchCount().call().await.expect("count"), 1);
    assert_eq!(chain.rollup.priorityHead().call().await.expect("head"), 1);
    // The operator may still submit in open mode.
    let mut state = state;
    state.apply_batch(1, 0, PARAMS.slots, 0, &deposit).expect("apply");
    let t2 = batch_on(
        &state,
        2,
        1,
        &[Operation::Transfer(Transfer::signed(&sample_key(1), &chain.domain, 1, 0, 1_000, 0, 0))],
    );
    submit_batch(&chain.rollup, &prove(&keys, &t2, 23)).await.expect("the operator's batch accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_hands_its_role_over_in_two_steps() {
    let keys = setup().await;
    let chain = deploy_with(&keys, [U256::from(1); 26], EXPIRY, &genesis(Domain::default())).await;
    let state = genesis(chain.domain);
    let next = rollup(&wallet_provider(&chain.url, DEV_USER_KEYS[2]).expect("provider"), chain.address);
    let stranger = rollup(&wallet_provider(&chain.url, DEV_USER_KEYS[1]).expect("provider"), chain.address);
    let next_address = address_of(DEV_USER_KEYS[2]).expect("address");
    let old = chain.rollup.operator().call().await.expect("operator");

    // Only the operator proposes; only the proposed address accepts.
    expect_revert(
        stranger.proposeOperator(next_address).send().await.map_err(L1Error::from),
        "only the operator proposes its successor",
    )
    .await;
    expect_revert(next.acceptOperator().send().await.map_err(L1Error::from), "only the proposed operator accepts")
        .await;
    send_and_wait(chain.rollup.proposeOperator(next_address)).await.expect("propose");
    assert_eq!(chain.rollup.pendingOperator().call().await.expect("pending"), next_address);
    expect_revert(stranger.acceptOperator().send().await.map_err(L1Error::from), "only the proposed operator accepts")
        .await;
    // Until it accepts, the old operator still submits.
    assert_eq!(chain.rollup.operator().call().await.expect("operator"), old);
    let receipt = send_and_wait(next.acceptOperator()).await.expect("accept");
    let changed = receipt.inner.logs().iter().find_map(|l| l.log_decode::<Rollup::OperatorChanged>().ok());
    let changed = changed.expect("OperatorChanged").inner.data;
    assert_eq!((changed.previous, changed.operator), (old, next_address));
    assert_eq!(chain.rollup.pendingOperator().call().await.expect("pending"), alloy::primitives::Address::ZERO);

    // The old address is refused, the new one accepted.
    let t1 = batch_on(
        &state,
        1,
        0,
        &[Operation::Transfer(Transfer::signed(&sample_key(1), &chain.domain, 1, 0, 1_000, 0, 0))],
    );
    let b1 = prove(&keys, &t1, 31);
    expect_revert(submit_batch(&chain.rollup, &b1).await, "only the operator submits batches").await;
    expect_revert(
        chain.rollup.proposeOperator(old).send().await.map_err(L1Error::from),
        "only the operator proposes its successor",
    )
    .await;
    submit_batch(&next, &b1).await.expect("the new operator's batch accepted");
    assert_eq!(chain.rollup.batchCount().call().await.expect("count"), 1);
}
