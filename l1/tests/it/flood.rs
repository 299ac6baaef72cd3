//! A flood of priority requests cannot push an operator that keeps up with the deployment's
//! capacity into exodus: each request's deadline is no earlier than the time full batches need
//! to execute the queue ahead of it. Each request pays its priority fee, which the operator is
//! credited when a batch executes it (and the requester gets back in exodus mode). When batches
//! stop, exodus still comes.

use super::forwarded::forwarder::Forwarder;
use super::{MIN_DEPOSIT, PARAMS, batch_on, expect_revert, genesis, prove};
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use causeway_l1::{
    DEV_OPERATOR_KEY, DEV_USER_KEYS, L1Error, Rollup, RollupParams, address_of,
    anvil::Anvil,
    encode,
    replay::{ReplayInput, replay},
    rollup, send_and_wait, submit_batch, wallet_provider,
};
use causeway_protocol::{Deposit, Domain, Operation};
use causeway_prover::sample::sample_key;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// A full batch every two blocks; requests may wait two batches past the queue ahead.
const BLOCKS_PER_BATCH: u64 = 2;
const EXPIRY: u64 = 4;
/// Wei per slot.
const FEE: u128 = 1_000_000_000_000;
/// Requests the flooder queues in one block: four batches' worth at two deposits per batch.
const FLOOD: usize = 8;

/// What the contract must compute: the block by which full batches would have executed the
/// queue (scaled by the slots of requests a batch surely executes), and the deadline.
fn next_deadline(clears_scaled: &mut u64, block: u64, chunks: u64) -> u64 {
    let per_batch = PARAMS.slots as u64 - 6;
    *clears_scaled = (*clears_scaled).max(block * per_batch) + chunks * BLOCKS_PER_BATCH;
    clears_scaled.div_ceil(per_batch) + EXPIRY
}

async fn mine(provider: &alloy::providers::DynProvider, blocks: u64) {
    if blocks > 0 {
        let _: serde_json::Value =
            provider.raw_request("anvil_mine".into(), [format!("{blocks:#x}")]).await.expect("anvil_mine");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_beyond_capacity_never_makes_exodus_reachable_while_full_batches_keep_coming() {
    let keys = tokio::task::spawn_blocking(|| {
        causeway_prover::keys::setup(PARAMS, &mut ChaCha20Rng::seed_from_u64(21)).expect("setup")
    })
    .await
    .expect("setup task");
    let anvil = Anvil::start(&[]).await.expect("anvil");
    let url = anvil.url();
    let operator = wallet_provider(&url, DEV_OPERATOR_KEY).expect("provider");
    let file = causeway_prover::sample::sample_genesis_file(PARAMS.depth, 2).expect("genesis file");
    let state0 = genesis(Domain::default());
    let params = RollupParams {
        vk: encode::vk_of(&keys.vk).expect("vk"),
        exit_vk: [U256::from(1); 26],
        genesis_root: encode::root_word(&state0.root()),
        depth: PARAMS.depth as u8,
        slots: PARAMS.slots as u32,
        expiry_blocks: EXPIRY,
        open_delay_blocks: EXPIRY / 2,
        blocks_per_batch: BLOCKS_PER_BATCH,
        priority_fee: FEE,
        min_deposit: MIN_DEPOSIT,
        genesis_accounts: state0
            .accounts()
            .map(|(i, a)| (i, encode::account_key_hash(&a.pubkey, &a.owner, a.token)))
            .collect(),
        first_free_index: 2,
        genesis_balance: causeway_l1::replay::genesis_total(&file),
    };
    // Too short an expiry for the capacity: a request could not wait for one batch.
    let e = causeway_l1::deploy(&operator, &RollupParams { expiry_blocks: 3, ..params.clone() }).await;
    assert!(matches!(&e, Err(L1Error::Invalid(m)) if m.contains("at least two batches' blocks")), "{e:?}");
    let deployed = causeway_l1::deploy(&operator, &params).await.expect("deploy");
    let c = rollup(&operator, deployed.address);
    let mut state = genesis(deployed.domain());
    let deposit_fee = U256::from(7 * FEE);
    assert_eq!(c.depositFee().call().await.expect("fee"), deposit_fee);
    assert_eq!(c.fullExitFee().call().await.expect("fee"), U256::from(3 * FEE));

    // Alice (user 0) opens account 2. A deposit without its fee on top is below the minimum.
    let alice = rollup(&wallet_provider(&url, DEV_USER_KEYS[0]).expect("provider"), deployed.address);
    let alice_address = address_of(DEV_USER_KEYS[0]).expect("address");
    let (x2, y2) = encode::key_words(&sample_key(2).public_key());
    expect_revert(
        send_and_wait(alice.deposit(x2, y2).value(U256::from(MIN_DEPOSIT) + deposit_fee - U256::from(1))).await,
        "deposit below the minimum",
    )
    .await;
    let receipt =
        send_and_wait(alice.deposit(x2, y2).value(U256::from(MIN_DEPOSIT) + deposit_fee)).await.expect("deposit");
    let mut clears = 0;
    let mut expected = vec![next_deadline(&mut clears, receipt.block_number.expect("block"), 7)];
    let mut ops = vec![Operation::Deposit(Deposit {
        account: 2,
        pubkey: sample_key(2).public_key(),
        owner: alice_address.0.0,
        token: 0,
        amount: MIN_DEPOSIT,
    })];

    // Mallory (user 1) floods: eight top-ups of account 1 in one transaction, one block.
    let mallory = wallet_provider(&url, DEV_USER_KEYS[1]).expect("provider");
    let fwd = Forwarder::deploy(mallory.clone()).await.expect("forwarder");
    let one = state0.account(1);
    let (x1, y1) = encode::key_words(&one.pubkey);
    let call = Rollup::depositToCall { account: 1, pkX: x1, pkY: y1, owner: Address::from(one.owner) }.abi_encode();
    let value = U256::from(MIN_DEPOSIT) + deposit_fee;
    let flood =
        fwd.forwardAll(deployed.address, vec![call.into(); FLOOD], vec![value; FLOOD]).value(value * U256::from(FLOOD));
    let flooded = send_and_wait(flood).await.expect("the flood");
    let t = flooded.block_number.expect("block");
    for _ in 0..FLOOD {
        expected.push(next_deadline(&mut clears, t, 7));
        ops.push(Operation::Deposit(Deposit {
            account: 1,
            pubkey: one.pubkey,
            owner: one.owner,
            token: 0,
            amount: MIN_DEPOSIT,
        }));
    }
    let requests = 1 + FLOOD as u64;
    assert_eq!(c.priorityTail().call().await.expect("tail"), requests);
    for (serial, deadline) in expected.iter().enumerate() {
        let got = c.priorityRequests(serial as u64).call().await.expect("request").deadline;
        assert_eq!(got, *deadline, "request {serial}'s deadline grows with the queue ahead of it");
    }
    // Flat deadlines (t + expiry for the whole flood) would be overdue long before full batches
    // could reach the flood's end: the flood is beyond the deployment's capacity.
    let batches_needed = requests.div_ceil(2);
    assert!(t + batches_needed * BLOCKS_PER_BATCH > t + EXPIRY + BLOCKS_PER_BATCH);

    // The operator keeps up: a full batch (two deposits fill 14 slots) every two blocks. Before
    // and after every batch, nobody can activate exodus.
    let not_yet = async || {
        let r = c.activateExodus().call().await.map(|_| ()).map_err(L1Error::from);
        match r {
            Err(L1Error::Reverted(why)) => {
                assert!(
                    why.contains("not past its deadline") || why.contains("no priority request is waiting"),
                    "{why}"
                )
            }
            other => panic!("exodus was reachable: {other:?}"),
        }
    };
    let mut last_block = t;
    for (n, chunk) in ops.chunks(2).enumerate() {
        let number = n as u64 + 1;
        let start = 2 * n as u64;
        let transition = batch_on(&state, number, start, chunk);
        let call = tokio::task::block_in_place(|| prove(&keys, &transition, 100 + number));
        // The next batch is due `BLOCKS_PER_BATCH` blocks after the last.
        let now = operator.get_block_number().await.expect("block");
        mine(&operator, (last_block + BLOCKS_PER_BATCH - 1).saturating_sub(now)).await;
        not_yet().await;
        let receipt = submit_batch(&c, &call).await.expect("a batch at capacity is accepted");
        last_block = receipt.block_number.expect("block");
        state.apply_batch(number, start, PARAMS.slots, 0, chunk).expect("apply");
        not_yet().await;
        // Every executed request's fee is the operator's.
        let paid = U256::from(7 * FEE) * U256::from(start + chunk.len() as u64);
        let operator_address = address_of(DEV_OPERATOR_KEY).expect("address");
        assert_eq!(c.pendingWithdrawals(operator_address, 0).call().await.expect("pending"), paid, "batch {number}");
    }
    assert_eq!(c.priorityHead().call().await.expect("head"), requests);
    assert!(last_block > t + EXPIRY, "with flat deadlines the end of the flood would have been overdue");

    // At most one full exit per account waits: Alice asks for hers (paying the exact fee) once.
    let exit_fee = U256::from(3 * FEE);
    expect_revert(
        send_and_wait(alice.requestFullExit(2, x2, y2, 0).value(exit_fee + U256::from(1))).await,
        "send exactly fullExitFee()",
    )
    .await;
    let receipt = send_and_wait(alice.requestFullExit(2, x2, y2, 0).value(exit_fee)).await.expect("full exit");
    let deadline = next_deadline(&mut clears, receipt.block_number.expect("block"), 3);
    assert_eq!(c.priorityRequests(requests).call().await.expect("request").deadline, deadline);
    expect_revert(
        send_and_wait(alice.requestFullExit(2, x2, y2, 0).value(exit_fee)).await,
        "a full exit of this account is already waiting",
    )
    .await;

    // The operator stops: exodus comes at the waiting request's deadline, not before.
    let now = operator.get_block_number().await.expect("block");
    mine(&operator, deadline - now).await;
    not_yet().await;
    mine(&operator, 1).await;
    send_and_wait(c.activateExodus()).await.expect("exodus once the deadline has passed");
    // The dropped exit request's fee goes back to Alice.
    let before = c.pendingWithdrawals(alice_address, 0).call().await.expect("pending");
    let mut bytes = vec![4u8];
    bytes.extend_from_slice(&2u32.to_be_bytes());
    bytes.extend_from_slice(alice_address.as_slice());
    bytes.extend_from_slice(&0u16.to_be_bytes());
    send_and_wait(c.refundDeposits(bytes.into())).await.expect("drop the full exit");
    assert_eq!(c.pendingWithdrawals(alice_address, 0).call().await.expect("pending") - before, exit_fee);

    // Every wei is accounted for: balances, the operator's fees, Alice's refunded fee.
    let input = ReplayInput { genesis: &file, vk: Some(&keys.vk), exit_vk: None, slots: PARAMS.slots, from_block: 0 };
    let r = replay(&operator, deployed.address, &input).await.expect("replay");
    assert_eq!(r.failures(), 0, "{:?} {:?}", r.contract.parameter_problems, r.batches.iter().map(|b| &b.problems));
    assert_eq!(r.state.root(), state.root());
    assert_eq!(r.solvency.contract_balance, r.solvency.owed(), "{:?}", r.solvency);
    assert_eq!(r.solvency.queued_fees, U256::ZERO);
}
