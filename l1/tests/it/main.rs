//! The Rollup contract on a real anvil, with real Groth16 proofs of the real circuit at a small
//! size (depth 2, 14 slots: room for two deposits).

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use causeway_circuits::{BatchWitness, CircuitParams};
use causeway_l1::{
    BatchCall, DEV_OPERATOR_KEY, DEV_USER_KEYS, L1Error, Rollup, RollupParams, address_of, anvil::Anvil, encode,
    rollup, send_and_wait, submit_batch, wallet_provider,
};
use causeway_protocol::{BatchTransition, Deposit, Domain, Operation, Point, State, Transfer, Withdraw};
use causeway_prover::{Keys, sample::sample_key};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::process::Command;

const PARAMS: CircuitParams = CircuitParams { depth: 2, slots: 14 };
const ETHER: u128 = 1_000_000_000_000_000_000;

#[test]
fn committed_artifacts_match_a_fresh_compile() {
    let contracts = concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts");
    let out =
        Command::new("node").args(["scripts/compile.mjs", "--check"]).current_dir(contracts).output().expect("node");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

struct Chain {
    _anvil: Anvil,
    url: String,
    rollup: Rollup::RollupInstance<alloy::providers::DynProvider>,
    address: Address,
    domain: Domain,
}

/// Genesis: account 0 (fees) and account 1, sample keys, 10^21 wei each, for `domain` (the
/// root does not depend on it).
fn genesis(domain: Domain) -> State {
    causeway_prover::sample::sample_genesis(PARAMS.depth, 2, domain).expect("genesis")
}

/// The smallest deposit the test deployments take.
const MIN_DEPOSIT: u128 = 1_000;

mod exodus;
mod flood;
mod forwarded;
mod open;
mod tokens;

async fn deploy(keys: &Keys, state: &State) -> Chain {
    deploy_with(keys, [U256::from(1); 26], 100, state).await
}

/// Deploys with the batch keys `keys`, the exit circuit's key words `exit_vk` and a priority
/// deadline of `expiry_blocks`.
async fn deploy_with(keys: &Keys, exit_vk: [U256; 26], expiry_blocks: u64, state: &State) -> Chain {
    deploy_keyed(encode::vk_of(&keys.vk).expect("vk"), exit_vk, expiry_blocks, state).await
}

/// A deployment no batch or exit will be proved for (placeholder verifying keys): for what the
/// contract does before any proof.
async fn deploy_unproved(state: &State) -> Chain {
    deploy_keyed([U256::from(1); 18], [U256::from(1); 26], 100, state).await
}

async fn deploy_keyed(vk: [U256; 18], exit_vk: [U256; 26], expiry_blocks: u64, state: &State) -> Chain {
    let anvil = Anvil::start(&[]).await.expect("anvil");
    let url = anvil.url();
    let operator = wallet_provider(&url, DEV_OPERATOR_KEY).expect("provider");
    let genesis_accounts =
        state.accounts().map(|(i, a)| (i, encode::account_key_hash(&a.pubkey, &a.owner, a.token))).collect::<Vec<_>>();
    let params = RollupParams {
        vk,
        exit_vk,
        genesis_root: encode::root_word(&state.root()),
        depth: PARAMS.depth as u8,
        slots: PARAMS.slots as u32,
        expiry_blocks,
        open_delay_blocks: expiry_blocks / 2,
        blocks_per_batch: 1,
        priority_fee: 0,
        min_deposit: MIN_DEPOSIT,
        genesis_accounts,
        first_free_index: 2,
        genesis_balance: state.accounts().fold(U256::ZERO, |sum, (_, a)| sum + U256::from(a.balance)),
    };
    let deployed = causeway_l1::deploy(&operator, &params).await.expect("deploy");
    let address = deployed.address;
    Chain { _anvil: anvil, url, rollup: rollup(&operator, address), address, domain: deployed.domain() }
}

fn prove(keys: &Keys, t: &BatchTransition, seed: u64) -> BatchCall {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let proof = causeway_prover::prove(keys, BatchWitness::from_transition(t), &mut rng).expect("prove");
    BatchCall::new(t, &proof).expect("encode")
}

/// Applies `ops` as batch `number` on a copy of `state`, leaving `state` as it was.
fn batch_on(state: &State, number: u64, priority_start: u64, ops: &[Operation]) -> BatchTransition {
    state.clone().apply_batch(number, priority_start, PARAMS.slots, 0, ops).expect("native batch")
}

async fn expect_revert(result: Result<impl std::fmt::Debug, L1Error>, reason: &str) {
    match result {
        Err(L1Error::Reverted(r)) => assert!(r.contains(reason), "reverted with {r:?}, expected {reason:?}"),
        other => panic!("expected a revert with {reason:?}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_accepts_proved_batches_and_refuses_each_bad_submission() {
    let keys = tokio::task::spawn_blocking(|| {
        causeway_prover::keys::setup(PARAMS, &mut ChaCha20Rng::seed_from_u64(1)).expect("setup")
    })
    .await
    .expect("setup task");
    let chain = deploy(&keys, &genesis(Domain::default())).await;
    let mut state = genesis(chain.domain);

    // Batch 1: two transfers from account 1 to account 0.
    let k1 = sample_key(1);
    let ops = [
        Operation::Transfer(Transfer::signed(&k1, &chain.domain, 1, 0, 1_000, 10, 0)),
        Operation::Transfer(Transfer::signed(&k1, &chain.domain, 1, 0, 2_000, 10, 1)),
    ];
    let t1 = batch_on(&state, 1, 0, &ops);
    let b1 = prove(&keys, &t1, 11);
    // A stranger may not submit it.
    let stranger = rollup(&wallet_provider(&chain.url, DEV_USER_KEYS[2]).expect("provider"), chain.address);
    expect_revert(submit_batch(&stranger, &b1).await, "only the operator submits batches").await;
    // Pubdata one chunk short.
    let mut short = b1.clone();
    short.pubdata.truncate(short.pubdata.len() - 16);
    expect_revert(submit_batch(&chain.rollup, &short).await, "bad pubdata length").await;
    // A header that does not start from the contract's root.
    let mut wrong_root = b1.clone();
    wrong_root.header[31] ^= 1;
    expect_revert(submit_batch(&chain.rollup, &wrong_root).await, "wrong previous root").await;
    // A proof of something else: another commitment (the fee account changed in the header).
    let mut other_commitment = b1.clone();
    other_commitment.header[87] ^= 1;
    expect_revert(submit_batch(&chain.rollup, &other_commitment).await, "invalid proof").await;
    // The same transfers signed and proved for another deployment (same chain, same keys and
    // genesis, another Rollup address): the contract hashes its own address into the
    // commitment, so the proof is refused.
    let elsewhere = Domain::new(chain.domain.chain_id, [0x99; 20]);
    let foreign_ops = [
        Operation::Transfer(Transfer::signed(&k1, &elsewhere, 1, 0, 1_000, 10, 0)),
        Operation::Transfer(Transfer::signed(&k1, &elsewhere, 1, 0, 2_000, 10, 1)),
    ];
    let foreign = genesis(elsewhere).apply_batch(1, 0, PARAMS.slots, 0, &foreign_ops).expect("native batch");
    assert_eq!(foreign.header, t1.header, "the same header: only the domain differs");
    expect_revert(submit_batch(&chain.rollup, &prove(&keys, &foreign, 17)).await, "invalid proof").await;
    // A damaged proof: C replaced by A.
    let mut damaged = b1.clone();
    damaged.proof[6] = damaged.proof[0];
    damaged.proof[7] = damaged.proof[1];
    expect_revert(submit_batch(&chain.rollup, &damaged).await, "invalid proof").await;
    // A point off the curve: the precompile refuses it.
    let mut off_curve = b1.clone();
    off_curve.proof[1] += U256::from(1);
    expect_revert(submit_batch(&chain.rollup, &off_curve).await, "invalid proof: a point is not on its curve").await;

    let receipt = submit_batch(&chain.rollup, &b1).await.expect("batch 1 accepted");
    state.apply_batch(1, 0, PARAMS.slots, 0, &ops).expect("apply");
    assert_eq!(state.root(), t1.header.new_root);
    assert_eq!(chain.rollup.stateRoot().call().await.expect("root"), encode::root_word(&state.root()));
    assert_eq!(chain.rollup.batchCount().call().await.expect("count"), 1);
    assert!(receipt.gas_used > 200_000 && receipt.gas_used < 350_000, "gas {}", receipt.gas_used);

    // The same batch again.
    expect_revert(submit_batch(&chain.rollup, &b1).await, "batch already submitted").await;

    // Two deposits on the base chain: accounts 2 (user 0) and 3 (user 1).
    let mut deposits = Vec::new();
    for (user, (index, amount)) in [(2u32, ETHER), (3, 2 * ETHER)].into_iter().enumerate() {
        let provider = wallet_provider(&chain.url, DEV_USER_KEYS[user]).expect("provider");
        let key = sample_key(index).public_key();
        let (x, y) = encode::key_words(&key);
        let instance = rollup(&provider, chain.address);
        send_and_wait(instance.deposit(x, y).value(U256::from(amount))).await.expect("deposit");
        let owner = address_of(DEV_USER_KEYS[user]).expect("address");
        deposits.push(Operation::Deposit(Deposit { account: index, pubkey: key, owner: owner.0.0, token: 0, amount }));
    }
    assert_eq!(chain.rollup.priorityTail().call().await.expect("tail"), 2);

    // Reordered: the second request first.
    let reordered = [deposits[1], deposits[0]];
    let b = prove(&keys, &batch_on(&state, 2, 0, &reordered), 12);
    expect_revert(submit_batch(&chain.rollup, &b).await, "priority operations skipped or reordered").await;
    // Skipped: only the second request.
    let b = prove(&keys, &batch_on(&state, 2, 0, &deposits[1..]), 13);
    expect_revert(submit_batch(&chain.rollup, &b).await, "priority operations skipped or reordered").await;

    // In order: accepted, and the queue's head moves past both.
    let t2 = batch_on(&state, 2, 0, &deposits);
    submit_batch(&chain.rollup, &prove(&keys, &t2, 14)).await.expect("batch 2 accepted");
    state.apply_batch(2, 0, PARAMS.slots, 0, &deposits).expect("apply");
    assert_eq!(chain.rollup.priorityHead().call().await.expect("head"), 2);
    assert_eq!(chain.rollup.stateRoot().call().await.expect("root"), encode::root_word(&state.root()));

    // Batch 3: account 2 withdraws half an ether to a fresh address, which can then claim it.
    let recipient = Address::repeat_byte(0x77);
    let w = Withdraw::signed(&sample_key(2), &chain.domain, 2, recipient.0.0, ETHER / 2, 0, 0);
    let ops = [Operation::Withdraw(w)];
    let t3 = batch_on(&state, 3, 2, &ops);
    submit_batch(&chain.rollup, &prove(&keys, &t3, 15)).await.expect("batch 3 accepted");
    assert_eq!(chain.rollup.pendingWithdrawals(recipient, 0).call().await.expect("pending"), U256::from(ETHER / 2));
    let provider = wallet_provider(&chain.url, DEV_USER_KEYS[2]).expect("provider");
    assert_eq!(provider.get_balance(recipient).await.expect("balance"), U256::ZERO);
    let instance = rollup(&provider, chain.address);
    send_and_wait(instance.withdraw(recipient, 0)).await.expect("withdraw");
    assert_eq!(provider.get_balance(recipient).await.expect("balance"), U256::from(ETHER / 2));
    // Nothing left to claim.
    let again = rollup(&provider, chain.address).withdraw(recipient, 0).call().await.map_err(L1Error::from);
    expect_revert(again, "nothing to withdraw").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_requests_the_circuit_could_not_execute_are_refused() {
    // No proof is checked here: any well-formed verifying key will do.
    let anvil = Anvil::start(&[]).await.expect("anvil");
    let operator = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let state = genesis(Domain::default());
    let owner1 = state.account(1).owner;
    let params = RollupParams {
        vk: [U256::from(1); 18],
        exit_vk: [U256::from(1); 26],
        genesis_root: encode::root_word(&state.root()),
        depth: PARAMS.depth as u8,
        slots: PARAMS.slots as u32,
        expiry_blocks: 100,
        open_delay_blocks: 50,
        blocks_per_batch: 1,
        priority_fee: 0,
        min_deposit: MIN_DEPOSIT,
        genesis_accounts: vec![(1, encode::account_key_hash(&state.account(1).pubkey, &owner1, 0))],
        first_free_index: 2,
        genesis_balance: U256::from(2 * 1000 * ETHER),
    };
    let address = causeway_l1::deploy(&operator, &params).await.expect("deploy").address;
    let user = wallet_provider(&anvil.url(), DEV_USER_KEYS[0]).expect("provider");
    let c = rollup(&user, address);
    let key = sample_key(9).public_key();
    let (x, y) = encode::key_words(&key);
    let one = U256::from(ETHER);
    let not_a_key = "not a Baby Jubjub point outside the small-order subgroup";

    expect_revert(send_and_wait(c.deposit(x, y + U256::from(1)).value(one)).await, not_a_key).await;
    expect_revert(send_and_wait(c.deposit(U256::ZERO, U256::ZERO).value(one)).await, not_a_key).await;
    // Every small-order point is on the curve, and refused.
    for p in Point::small_order_points() {
        let (px, py) = encode::key_words(&p);
        assert!(c.onCurve(px, py).call().await.expect("onCurve"), "{p:?} is on the curve");
        expect_revert(send_and_wait(c.deposit(px, py).value(one)).await, not_a_key).await;
    }
    // Deposits below the minimum are refused; the minimum itself is taken.
    expect_revert(send_and_wait(c.deposit(x, y)).await, "deposit below the minimum").await;
    expect_revert(send_and_wait(c.deposit(x, y).value(U256::from(MIN_DEPOSIT - 1))).await, "deposit below the minimum")
        .await;
    // Genesis account 1 takes top-ups only with its own key and owner.
    let (x1, y1) = encode::key_words(&state.account(1).pubkey);
    let wrong_owner = Address::repeat_byte(9);
    expect_revert(
        send_and_wait(c.depositTo(1, x1, y1, wrong_owner).value(one)).await,
        "key, owner or token does not match the account",
    )
    .await;
    expect_revert(send_and_wait(c.depositTo(3, x, y, wrong_owner).value(one)).await, "unknown account").await;
    send_and_wait(c.depositTo(1, x1, y1, Address::from(owner1)).value(one)).await.expect("top-up of account 1");
    // Full exits: only the owner, with the account's key, of an account that exists.
    expect_revert(send_and_wait(c.requestFullExit(4, x, y, 0)).await, "unknown account").await;
    expect_revert(send_and_wait(c.requestFullExit(1, x1, y1, 0)).await, "only the account's owner").await;
    // Accounts 2 and 3 are the last the depth-2 tree holds.
    send_and_wait(c.deposit(x, y).value(U256::from(MIN_DEPOSIT))).await.expect("account 2");
    send_and_wait(c.deposit(x, y).value(one)).await.expect("account 3");
    expect_revert(send_and_wait(c.deposit(x, y).value(one)).await, "the account tree is full").await;
    // User 0 owns account 2: its exit is queued; user 1's request for it is refused.
    let other = rollup(&wallet_provider(&anvil.url(), DEV_USER_KEYS[1]).expect("provider"), address);
    expect_revert(send_and_wait(other.requestFullExit(2, x, y, 0)).await, "only the account's owner").await;
    // The owner naming another token than the account's (ether) is refused too: a request the
    // circuit would execute as a no-op is not queued.
    expect_revert(send_and_wait(c.requestFullExit(2, x, y, 1)).await, "(with its key and token)").await;
    expect_revert(
        send_and_wait(c.forceWithdraw(2, x, y, 1, MIN_DEPOSIT)).await,
        "only the account's owner may force its transactions (with its key and token)",
    )
    .await;
    send_and_wait(c.requestFullExit(2, x, y, 0)).await.expect("the owner's full exit");
    assert_eq!(c.priorityTail().call().await.expect("tail"), 4);
    assert_eq!(c.nextAccountIndex().call().await.expect("next"), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_the_circuit_could_not_serve_are_refused() {
    let anvil = Anvil::start(&[]).await.expect("anvil");
    let operator = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let state = genesis(Domain::default());
    let params = RollupParams {
        vk: [U256::from(1); 18],
        exit_vk: [U256::from(1); 26],
        genesis_root: encode::root_word(&state.root()),
        depth: PARAMS.depth as u8,
        slots: 6,
        expiry_blocks: 100,
        open_delay_blocks: 50,
        blocks_per_batch: 1,
        priority_fee: 0,
        min_deposit: MIN_DEPOSIT,
        genesis_accounts: vec![],
        first_free_index: 2,
        genesis_balance: U256::ZERO,
    };
    // The library refuses before sending; the contract refuses too.
    match causeway_l1::deploy(&operator, &params).await {
        Err(L1Error::Invalid(e)) => assert!(e.contains("at least 7 slots"), "{e}"),
        other => panic!("deployed with 6 slots: {other:?}"),
    }
    let deploy = |slots: u32, min_deposit: u128| {
        let p = RollupParams { slots, min_deposit, ..params.clone() };
        Rollup::deploy_builder(
            operator.clone(),
            params.vk,
            params.exit_vk,
            params.genesis_root,
            causeway_l1::constructor_params(&p),
            vec![],
            vec![],
        )
    };
    let reverted = |r: Result<alloy::primitives::Bytes, alloy::contract::Error>| match r {
        Err(e) => L1Error::from(e).to_string(),
        Ok(_) => "deployed".into(),
    };
    assert!(reverted(deploy(6, MIN_DEPOSIT).call_raw().await).contains("slots must be at least 7"));
    assert!(reverted(deploy(7, 0).call_raw().await).contains("minimum deposit must be in 1 to 2^128 - 1"));
    assert_eq!(reverted(deploy(7, MIN_DEPOSIT).call_raw().await), "deployed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unbacked_genesis_is_refused_and_the_replay_flags_an_insolvent_deployment() {
    use alloy::network::TransactionBuilder;
    use causeway_l1::replay::{ReplayInput, genesis_total, replay};
    let anvil = Anvil::start(&[]).await.expect("anvil");
    let operator = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let file = causeway_prover::sample::sample_genesis_file(PARAMS.depth, 2).expect("genesis file");
    let state = genesis(Domain::default());
    let total = genesis_total(&file);
    assert_eq!(total, U256::from(2 * 1000 * ETHER));
    let params = RollupParams {
        vk: [U256::from(1); 18],
        exit_vk: [U256::from(1); 26],
        genesis_root: encode::root_word(&state.root()),
        depth: PARAMS.depth as u8,
        slots: PARAMS.slots as u32,
        expiry_blocks: 100,
        open_delay_blocks: 50,
        blocks_per_batch: 1,
        priority_fee: 0,
        min_deposit: MIN_DEPOSIT,
        genesis_accounts: state
            .accounts()
            .map(|(i, a)| (i, encode::account_key_hash(&a.pubkey, &a.owner, a.token)))
            .collect(),
        first_free_index: 2,
        genesis_balance: total,
    };
    // One wei short of the genesis balances: refused.
    let code = causeway_l1::deploy_code(&operator, &params);
    let short = operator.transaction_request().with_deploy_code(code).with_value(total - U256::from(1));
    let e = operator.send_transaction(short).await.expect_err("an unbacked genesis is refused");
    assert!(e.to_string().contains("the genesis balances must be backed"), "{e}");

    let replayed = |address| {
        let (operator, file) = (operator.clone(), file.clone());
        async move {
            let input = ReplayInput { genesis: &file, vk: None, exit_vk: None, slots: PARAMS.slots, from_block: 0 };
            replay(&operator, address, &input).await.expect("replay")
        }
    };
    // Backed: solvent, every check passes.
    let backed = causeway_l1::deploy(&operator, &params).await.expect("deploy");
    let r = replayed(backed.address).await;
    assert!(r.solvency.is_solvent(), "{:?}", r.solvency);
    assert_eq!((r.solvency.contract_balance, r.solvency.owed()), (total, total));
    assert_eq!(r.failures(), 0, "{:?}", r.contract.parameter_problems);
    // A deployer that declares (and sends) nothing for the same genesis: the contract cannot see
    // the balances behind the root, but the replay flags both the unfunded genesis and the
    // insolvency.
    let unbacked =
        causeway_l1::deploy(&operator, &RollupParams { genesis_balance: U256::ZERO, ..params }).await.expect("deploy");
    let r = replayed(unbacked.address).await;
    assert!(!r.solvency.is_solvent());
    assert_eq!((r.solvency.contract_balance, r.solvency.owed()), (U256::ZERO, total));
    assert!(
        r.contract.parameter_problems.iter().any(|p| p.contains("but the deployment was funded with 0")),
        "{:?}",
        r.contract.parameter_problems
    );
    assert_eq!(r.failures(), 2);
}
