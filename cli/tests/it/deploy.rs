//! `causeway deploy` against a real anvil: the contract it reports holds the genesis root and
//! the verifying keys of both key directories, and a bad input (keys of the wrong circuit among
//! them) is a clear error.

use crate::procs::TempDir;
use alloy::providers::Provider;
use causeway_l1::{DEV_OPERATOR_KEY, anvil::Anvil, encode, rollup, wallet_provider};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_puts_the_genesis_root_and_verifying_key_on_chain() {
    let dir = TempDir::new("deploy");
    let keys = crate::procs::batch_keys(2, 7);
    let genesis = dir.0.join("genesis.json");
    let (keys_s, genesis_s) = (keys.to_str().expect("utf8"), genesis.to_str().expect("utf8"));
    let exit = crate::procs::exit_keys(&dir.0, 2);
    let exit_s = exit.to_str().expect("utf8");
    let made = super::causeway(&["genesis", "--depth", "2", "--accounts", "3", "--out", genesis_s]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let anvil = Anvil::start(&[]).await.expect("anvil");

    // Keys for batches of fewer than 7 slots (a deposit's size): refused before anything is sent.
    let small = dir.0.join("keys-1");
    let small_s = small.to_str().expect("utf8");
    let setup = super::causeway(&["setup", "--depth", "2", "--slots", "1", "--out", small_s]);
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));
    let out = super::causeway(&[
        "deploy",
        "--rpc",
        &anvil.url(),
        "--keys",
        small_s,
        "--exit-keys",
        exit_s,
        "--genesis",
        genesis_s,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("a rollup on a base chain needs at least 7"), "{stderr}");
    let provider = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let operator = causeway_l1::address_of(DEV_OPERATOR_KEY).expect("address");
    assert_eq!(provider.get_transaction_count(operator).await.expect("nonce"), 0, "nothing was sent");

    let out = super::causeway(&[
        "deploy",
        "--rpc",
        &anvil.url(),
        "--keys",
        keys_s,
        "--exit-keys",
        exit_s,
        "--genesis",
        genesis_s,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    let address: alloy::primitives::Address = report["rollup"].as_str().expect("address").parse().expect("address");
    assert_eq!(report["slots"], 7);
    assert_eq!(report["first_free_index"], 3);
    assert_eq!(report["min_deposit"], causeway_l1::DEFAULT_MIN_DEPOSIT.to_string());
    assert_eq!(report["blocks_per_batch"], causeway_l1::DEFAULT_BLOCKS_PER_BATCH);
    assert_eq!(report["priority_fee"], causeway_l1::DEFAULT_PRIORITY_FEE.to_string());
    // The block that holds the deployment (the receipt's), not the chain's head afterwards.
    let deploy_block = report["deployed_at_block"].as_u64().expect("block");
    let code_before =
        provider.get_code_at(address).block_id(alloy::eips::BlockId::number(deploy_block - 1)).await.expect("code");
    assert!(code_before.is_empty(), "not deployed before block {deploy_block}");

    assert!(
        !provider
            .get_code_at(address)
            .block_id(alloy::eips::BlockId::number(deploy_block))
            .await
            .expect("code")
            .is_empty()
    );
    let c = rollup(&provider, address);
    let text = std::fs::read_to_string(&genesis).expect("genesis");
    let g: causeway_protocol::wire::Genesis = serde_json::from_str(&text).expect("genesis");
    let root = g.state(causeway_protocol::Domain::default()).expect("state").root();
    assert_eq!(c.stateRoot().call().await.expect("root"), encode::root_word(&root));
    let (vk, _) = causeway_prover::keys::load_verifying_key(&keys).expect("vk");
    assert_eq!(c.verifyingKey().call().await.expect("vk"), encode::vk_of(&vk).expect("words"));
    assert_eq!(c.nextAccountIndex().call().await.expect("next"), 3);
    let fee = alloy::primitives::U256::from(causeway_l1::DEFAULT_PRIORITY_FEE);
    assert_eq!(c.depositFee().call().await.expect("deposit fee"), fee * alloy::primitives::U256::from(7));
    assert_eq!(c.fullExitFee().call().await.expect("exit fee"), fee * alloy::primitives::U256::from(3));
    assert_eq!(c.blocksPerBatch().call().await.expect("blocks"), causeway_l1::DEFAULT_BLOCKS_PER_BATCH);
    let (exit_vk, meta) =
        causeway_prover::keys::load_verifying_key_for(&exit, causeway_prover::Circuit::Exit).expect("vk");
    assert_eq!(meta.circuit, causeway_prover::Circuit::Exit);
    assert_eq!(c.exitVerifyingKey().call().await.expect("exit vk"), encode::exit_vk_of(&exit_vk).expect("words"));

    // Keys for the wrong circuit, either way round: refused before anything is sent.
    let nonce = provider.get_transaction_count(operator).await.expect("nonce");
    let swapped = [("--keys", exit_s, "--exit-keys", keys_s), ("--keys", keys_s, "--exit-keys", keys_s)];
    for (k, kv, e, ev) in swapped {
        let out = super::causeway(&["deploy", "--rpc", &anvil.url(), k, kv, e, ev, "--genesis", genesis_s]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("circuit, not the"), "{stderr}");
    }
    assert_eq!(provider.get_transaction_count(operator).await.expect("nonce"), nonce, "nothing was sent");

    // Keys for another depth than the genesis: refused before anything is sent.
    let other = dir.0.join("genesis4.json");
    let other_s = other.to_str().expect("utf8");
    assert!(super::causeway(&["genesis", "--depth", "4", "--accounts", "2", "--out", other_s]).status.success());
    let out = super::causeway(&[
        "deploy",
        "--rpc",
        &anvil.url(),
        "--keys",
        keys_s,
        "--exit-keys",
        exit_s,
        "--genesis",
        other_s,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the keys are for depth 2 but the genesis has depth 4"));
    // A dead RPC endpoint.
    let dead = "http://127.0.0.1:9";
    let out = super::causeway(&[
        "deploy",
        "--rpc",
        dead,
        "--keys",
        keys_s,
        "--exit-keys",
        exit_s,
        "--genesis",
        genesis_s,
        "--wait-secs",
        "1",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(dead), "{}", String::from_utf8_lossy(&out.stderr));
}
