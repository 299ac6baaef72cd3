//! A Rollup whose operator is a contract (a forwarding account, as a smart-contract wallet, a
//! multisig or a delegated account would be): its batches arrive as internal calls, so no
//! transaction input is a `submitBatch` call. The replay reads everything from the contract's
//! events, rebuilds the state, and an account exits with a proof built from that state.

use super::{ETHER, PARAMS, batch_on, genesis, prove};
use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use causeway_circuits::ExitWitness;
use causeway_l1::{
    DEV_OPERATOR_KEY, DEV_USER_KEYS, Rollup, RollupParams,
    anvil::Anvil,
    encode,
    exodus::{self, ExitCall},
    replay::{ReplayInput, replay},
    rollup, send_and_wait, wallet_provider,
};
use causeway_protocol::{Domain, Operation, Transfer};
use causeway_prover::{Circuit, sample::sample_key};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

pub(crate) mod forwarder {
    #![allow(missing_docs)]
    alloy::sol!(
        #[sol(rpc)]
        Forwarder,
        "../contracts/artifacts/Forwarder.json"
    );
}
use forwarder::Forwarder;

const EXPIRY: u64 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_sent_through_a_forwarding_contract_are_replayed_verified_and_exited() {
    let (keys, exit_keys) = tokio::task::spawn_blocking(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let batch = causeway_prover::keys::setup(PARAMS, &mut rng).expect("setup");
        let exit = causeway_prover::keys::setup_for(Circuit::Exit, PARAMS, &mut rng).expect("exit setup");
        (batch, exit)
    })
    .await
    .expect("setup task");
    let anvil = Anvil::start(&[]).await.expect("anvil");
    let url = anvil.url();
    let operator = wallet_provider(&url, DEV_OPERATOR_KEY).expect("provider");
    let from_block = operator.get_block_number().await.expect("block");

    // The forwarder deploys the Rollup, so the forwarder is its operator.
    let fwd = Forwarder::deploy(operator.clone()).await.expect("forwarder");
    let state0 = genesis(Domain::default());
    let params = RollupParams {
        vk: encode::vk_of(&keys.vk).expect("vk"),
        exit_vk: encode::exit_vk_of(&exit_keys.vk).expect("exit vk"),
        genesis_root: encode::root_word(&state0.root()),
        depth: PARAMS.depth as u8,
        slots: PARAMS.slots as u32,
        expiry_blocks: EXPIRY,
        open_delay_blocks: EXPIRY / 2,
        blocks_per_batch: 1,
        priority_fee: 0,
        min_deposit: 1_000,
        genesis_accounts: state0
            .accounts()
            .map(|(i, a)| (i, encode::account_key_hash(&a.pubkey, &a.owner, a.token)))
            .collect(),
        first_free_index: 2,
        genesis_balance: U256::from(2 * 1000 * ETHER),
    };
    let code = causeway_l1::deploy_code(&operator, &params);
    let funds = params.genesis_balance;
    let address = fwd.deployContract(code.clone()).value(funds).call().await.expect("the deployment's address");
    send_and_wait(fwd.deployContract(code).value(funds)).await.expect("deploy through the forwarder");
    let c = rollup(&operator, address);
    assert_eq!(c.operator().call().await.expect("operator"), *fwd.address());
    let chain_id = operator.get_chain_id().await.expect("chain id");
    let domain = Domain::new(chain_id, address.into_array());

    // Batch 1, submitted through the forwarder: a transfer from account 1 to account 0.
    let mut state = genesis(domain);
    let ops = [Operation::Transfer(Transfer::signed(&sample_key(1), &domain, 1, 0, 5 * ETHER, 10, 0))];
    let t1 = batch_on(&state, 1, 0, &ops);
    let b1 = prove(&keys, &t1, 41);
    let call = Rollup::submitBatchCall { header: b1.header.into(), pubdata: b1.pubdata.into(), proof: b1.proof };
    let receipt = send_and_wait(fwd.forward(address, call.abi_encode().into())).await.expect("batch 1");
    state.apply_batch(1, 0, PARAMS.slots, 0, &ops).expect("apply");
    assert_eq!(c.batchCount().call().await.expect("count"), 1);
    let tx = operator.get_transaction_by_hash(receipt.transaction_hash).await.expect("tx").expect("mined");
    let input = alloy::consensus::Transaction::input(&tx).clone();
    assert!(Rollup::submitBatchCall::abi_decode(&input).is_err(), "the transaction is forward(), not submitBatch()");

    // The replay rebuilds the state from the events alone; the proof was checked by the contract.
    let genesis_file = causeway_prover::sample::sample_genesis_file(PARAMS.depth, 2).expect("genesis file");
    let input = ReplayInput {
        genesis: &genesis_file,
        vk: Some(&keys.vk),
        exit_vk: Some(&exit_keys.vk),
        slots: PARAMS.slots,
        from_block,
    };
    let r = replay(&operator, address, &input).await.expect("replay");
    assert!(r.complete, "{:?}", r.batches);
    assert_eq!(r.failures(), 0, "{:?}", r.batches);
    assert!(r.root_matches());
    assert!(!r.batches[0].proof_rechecked);
    assert_eq!(r.state.root(), state.root());
    // Solvent: the genesis balances were funded, the transfer moved money inside the rollup.
    assert!(r.solvency.is_solvent(), "{:?}", r.solvency);
    assert_eq!(r.solvency.contract_balance, funds);
    assert_eq!(r.solvency.owed(), funds);

    // The operator stops: a deposit waits past its deadline, exodus comes, and account 1 exits
    // with a proof built from the replayed state.
    let user = rollup(&wallet_provider(&url, DEV_USER_KEYS[0]).expect("provider"), address);
    let (x, y) = encode::key_words(&sample_key(7).public_key());
    send_and_wait(user.deposit(x, y).value(U256::from(ETHER))).await.expect("deposit");
    let _: serde_json::Value =
        operator.raw_request("anvil_mine".into(), [format!("{:#x}", EXPIRY + 1)]).await.expect("mine");
    exodus::activate(&user).await.expect("exodus");
    let witness = ExitWitness::from_state(&r.state, 1).expect("witness");
    let proof = causeway_prover::prove_exit(&exit_keys, witness.clone(), &mut ChaCha20Rng::seed_from_u64(9))
        .expect("exit proof");
    let call = ExitCall::new(&witness, &proof).expect("exit call");
    exodus::exit(&user, &call).await.expect("exit from the replayed state");
    assert_eq!(
        c.pendingWithdrawals(call.owner, 0).call().await.expect("pending"),
        U256::from(state.account(1).balance)
    );
}
