//! Exodus mode on a real anvil with real proofs of both circuits at depth 2: activation only
//! past the deadline, exits once each and only for the leaf the last accepted root holds,
//! refunds of the deposits no batch executed exactly once, and earlier withdrawals still
//! claimable.

use super::{ETHER, PARAMS, batch_on, deploy_with, expect_revert, genesis, prove};
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use causeway_circuits::ExitWitness;
use causeway_l1::{
    DEV_USER_KEYS, L1Error, address_of, encode,
    exodus::{self, ExitCall},
    replay::{Request, priority_requests},
    rollup, send_and_wait, submit_batch, wallet_provider,
};
use causeway_protocol::{Deposit, Domain, Operation, State, Withdraw};
use causeway_prover::{Circuit, Keys, sample::sample_key};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The priority deadline of these deployments, in blocks.
const EXPIRY: u64 = 5;

fn exit_of(keys: &Keys, state: &State, index: u32) -> ExitCall {
    let witness = ExitWitness::from_state(state, index).expect("witness");
    let proof = causeway_prover::prove_exit(keys, witness.clone(), &mut ChaCha20Rng::seed_from_u64(u64::from(index)))
        .expect("exit proof");
    ExitCall::new(&witness, &proof).expect("encode")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exodus_starts_past_the_deadline_and_pays_each_account_and_deposit_once() {
    let (keys, exit_keys) = tokio::task::spawn_blocking(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let batch = causeway_prover::keys::setup(PARAMS, &mut rng).expect("setup");
        let exit = causeway_prover::keys::setup_for(Circuit::Exit, PARAMS, &mut rng).expect("exit setup");
        (batch, exit)
    })
    .await
    .expect("setup task");
    let exit_vk = encode::exit_vk_of(&exit_keys.vk).expect("exit vk");
    let chain = deploy_with(&keys, exit_vk, EXPIRY, &genesis(Domain::default())).await;
    assert_eq!(chain.rollup.exitVerifyingKey().call().await.expect("exit vk"), exit_vk);
    let mut state = genesis(chain.domain);
    let c = &chain.rollup;

    // Before exodus: no exit, no refund, and no activation while nothing is waiting.
    expect_revert(exodus::exit(c, &exit_of(&exit_keys, &state, 1)).await, "not in exodus mode").await;
    expect_revert(send_and_wait(c.refundDeposits(vec![1u8; 112].into())).await, "not in exodus mode").await;
    expect_revert(send_and_wait(c.activateExodus()).await, "no priority request is waiting").await;

    // User 0 deposits 1 ether (account 2), user 1 deposits 2 ether (account 3).
    let mut deposits = Vec::new();
    for (user, (index, amount)) in [(2u32, ETHER), (3, 2 * ETHER)].into_iter().enumerate() {
        let provider = wallet_provider(&chain.url, DEV_USER_KEYS[user]).expect("provider");
        let key = sample_key(index).public_key();
        let (x, y) = encode::key_words(&key);
        send_and_wait(rollup(&provider, chain.address).deposit(x, y).value(U256::from(amount))).await.expect("deposit");
        let owner = address_of(DEV_USER_KEYS[user]).expect("address");
        deposits.push(Operation::Deposit(Deposit { account: index, pubkey: key, owner: owner.0.0, token: 0, amount }));
    }
    // Batch 1 executes the first deposit only, and account 2 withdraws a quarter ether of it to
    // a fresh address.
    let recipient = Address::repeat_byte(0x77);
    let w = Withdraw::signed(&sample_key(2), &chain.domain, 2, recipient.0.0, ETHER / 4, 0, 0);
    let ops = [deposits[0], Operation::Withdraw(w)];
    let t1 = batch_on(&state, 1, 0, &ops);
    let b1 = prove(&keys, &t1, 21);
    submit_batch(c, &b1).await.expect("batch 1");
    let before = state.clone();
    state.apply_batch(1, 0, PARAMS.slots, 0, &ops).expect("apply");
    // User 0 asks for the full exit of account 2: the operator never executes it.
    let user0 = rollup(&wallet_provider(&chain.url, DEV_USER_KEYS[0]).expect("provider"), chain.address);
    let (x2, y2) = encode::key_words(&sample_key(2).public_key());
    send_and_wait(user0.requestFullExit(2, x2, y2, 0)).await.expect("full exit request");
    assert_eq!(c.priorityHead().call().await.expect("head"), 1);
    assert_eq!(c.priorityTail().call().await.expect("tail"), 3);

    // The oldest waiting request is the second deposit (serial 1): not overdue yet.
    let s = exodus::status(c).await.expect("status");
    let (serial, deadline) = s.oldest_waiting.expect("a waiting request");
    assert_eq!(serial, 1);
    assert!(s.activation_refused().expect("refused").contains(&format!("due by block {deadline}")));
    expect_revert(send_and_wait(c.activateExodus()).await, "not past its deadline").await;
    match exodus::activate(c).await {
        Err(L1Error::Invalid(why)) => assert!(why.contains("more blocks"), "{why}"),
        other => panic!("activated before the deadline: {other:?}"),
    }
    // Mine to the deadline itself: still refused (the deadline block is the last allowed).
    let now = c.provider().get_block_number().await.expect("block");
    let to_deadline = deadline - now - 1; // the activation transaction's block is the next one
    let provider = c.provider();
    let _: serde_json::Value =
        provider.raw_request("anvil_mine".into(), [format!("{to_deadline:#x}")]).await.expect("mine");
    expect_revert(send_and_wait(c.activateExodus()).await, "not past its deadline").await;
    assert!(exodus::status(c).await.expect("status").activation_refused().is_some());
    // One block later anyone may activate it, once.
    let _: serde_json::Value = provider.raw_request("anvil_mine".into(), ["0x1"]).await.expect("mine");
    assert_eq!(exodus::status(c).await.expect("status").activation_refused(), None);
    let stranger = rollup(&wallet_provider(&chain.url, DEV_USER_KEYS[2]).expect("provider"), chain.address);
    exodus::activate(&stranger).await.expect("activated past the deadline");
    assert!(c.exodusMode().call().await.expect("mode"));
    expect_revert(send_and_wait(c.activateExodus()).await, "exodus mode is already active").await;
    assert_eq!(c.refundHead().call().await.expect("refund head"), 1);

    // No batch and no new request any more.
    let t2 = batch_on(&state, 2, 1, &deposits[1..]);
    expect_revert(submit_batch(c, &prove(&keys, &t2, 22)).await, "exodus mode: no batch is accepted any more").await;
    let (x9, y9) = encode::key_words(&sample_key(9).public_key());
    expect_revert(send_and_wait(user0.deposit(x9, y9).value(U256::from(ETHER))).await, "exodus mode").await;
    expect_revert(send_and_wait(user0.requestFullExit(2, x2, y2, 0)).await, "exodus mode").await;

    // Exits: each must be the leaf the last accepted root holds, with its owner and balance.
    let good = exit_of(&exit_keys, &state, 2);
    assert_eq!(good.balance, 3 * ETHER / 4);
    let invalid = "invalid exit proof";
    let wrong_balance = ExitCall { balance: good.balance + 1, ..good.clone() };
    expect_revert(exodus::exit(c, &wrong_balance).await, invalid).await;
    let wrong_owner = ExitCall { owner: Address::repeat_byte(0x66), ..good.clone() };
    expect_revert(exodus::exit(c, &wrong_owner).await, invalid).await;
    let wrong_index = ExitCall { account: 3, ..good.clone() };
    expect_revert(exodus::exit(c, &wrong_index).await, invalid).await;
    // Account 1 as of the genesis root (batch 1 moved the root on): a stale root.
    let stale = exit_of(&exit_keys, &before, 1);
    assert_eq!(stale.balance, before.account(1).balance);
    expect_revert(exodus::exit(c, &stale).await, invalid).await;
    // A proof for another deployment's domain (same root and leaf).
    let elsewhere = {
        let mut w = ExitWitness::from_state(&state, 2).expect("witness");
        w.domain = Domain::new(chain.domain.chain_id, [0x99; 20]);
        let proof =
            causeway_prover::prove_exit(&exit_keys, w.clone(), &mut ChaCha20Rng::seed_from_u64(5)).expect("proof");
        ExitCall::new(&w, &proof).expect("encode")
    };
    expect_revert(exodus::exit(c, &elsewhere).await, invalid).await;
    // An empty account cannot exit.
    let empty = ExitCall { account: 3, balance: 0, ..good.clone() };
    expect_revert(exodus::exit(c, &empty).await, "nothing to exit").await;

    // The right exit, sent by a stranger: the owner is credited, once.
    let owner0 = address_of(DEV_USER_KEYS[0]).expect("address");
    let receipt = exodus::exit(&stranger, &good).await.expect("exit of account 2");
    assert!(receipt.gas_used < 300_000, "exit gas {}", receipt.gas_used);
    assert_eq!(c.pendingWithdrawals(owner0, 0).call().await.expect("pending"), U256::from(3 * ETHER / 4));
    assert!(c.exited(2).call().await.expect("exited"));
    expect_revert(exodus::exit(c, &good).await, "the account has already exited").await;
    // Account 1 (a genesis account) exits too.
    let one = exit_of(&exit_keys, &state, 1);
    exodus::exit(c, &one).await.expect("exit of account 1");
    let owner1 = Address::from(state.account(1).owner);
    assert_eq!(c.pendingWithdrawals(owner1, 0).call().await.expect("pending"), U256::from(state.account(1).balance));

    // Refunds: the queued bytes must be the request at the refund head.
    let requests = priority_requests(c, 0).await.expect("requests");
    assert_eq!(requests.len(), 3);
    let executed = requests[&0].queued_bytes();
    expect_revert(send_and_wait(c.refundDeposits(executed.into())).await, "not the queued request at the refund head")
        .await;
    let mut altered = requests[&1].queued_bytes();
    altered[20] ^= 1; // another amount
    expect_revert(send_and_wait(c.refundDeposits(altered.into())).await, "not the queued request at the refund head")
        .await;
    let owner1_user = address_of(DEV_USER_KEYS[1]).expect("address");
    let done = exodus::refund_all(&stranger, &requests, 1).await.expect("refunds");
    assert_eq!(done.len(), 2);
    assert!(matches!(done[0].request, Request::Deposit { account: 3, amount, .. } if amount == 2 * ETHER));
    assert!(matches!(done[1].request, Request::FullExit { account: 2, .. }));
    assert_eq!(c.pendingWithdrawals(owner1_user, 0).call().await.expect("pending"), U256::from(2 * ETHER));
    let again = requests[&1].queued_bytes();
    expect_revert(
        send_and_wait(c.refundDeposits(again.into())).await,
        "every queued request has already been refunded",
    )
    .await;
    assert!(exodus::refund_all(&stranger, &requests, 10).await.expect("nothing left").is_empty());

    // Claims: the withdrawal credited before exodus, the exit and the refund. The 3 ether
    // deposited leave exactly; the genesis funds (1,000 ether for each of accounts 0 and 1) stay
    // for account 1's credited exit and account 0, which has not exited.
    let genesis_funds = U256::from(2 * 1000 * ETHER);
    assert_eq!(provider.get_balance(chain.address).await.expect("balance"), U256::from(3 * ETHER) + genesis_funds);
    let claimant = stranger;
    for (to, amount) in [(recipient, ETHER / 4), (owner1_user, 2 * ETHER)] {
        let before = provider.get_balance(to).await.expect("balance");
        send_and_wait(claimant.withdraw(to, 0)).await.expect("claim");
        assert_eq!(provider.get_balance(to).await.expect("balance"), before + U256::from(amount));
    }
    let before = provider.get_balance(owner0).await.expect("balance");
    send_and_wait(claimant.withdraw(owner0, 0)).await.expect("claim");
    assert_eq!(provider.get_balance(owner0).await.expect("balance"), before + U256::from(3 * ETHER / 4));
    assert_eq!(provider.get_balance(chain.address).await.expect("balance"), genesis_funds);
    expect_revert(send_and_wait(claimant.withdraw(owner0, 0)).await, "nothing to withdraw").await;
}
