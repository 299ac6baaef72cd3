//! A whole phase-2 ceremony with snarkjs on the exit circuit (depth 2, 2^10 points): Powers of
//! Tau made here, `causeway ceremony export`, `zkey new`, two contributions and a beacon, `zkey
//! verify`, `causeway ceremony import` with its own checks against the Powers of Tau (which
//! refuse the forged keys an outside review made of this ceremony); then a real exit proved with the imported keys verifies
//! with Causeway, with snarkjs, and in the Rollup contract on anvil, which pays it in exodus
//! mode. And a sealed batch's witness, exported from the database, passes `snarkjs wtns check`.

use super::procs::TempDir;
use alloy::primitives::U256;
use alloy::providers::Provider;
use ark_ec::AffineRepr;
use causeway_l1::{DEV_OPERATOR_KEY, DEV_USER_KEYS, encode, rollup, send_and_wait, wallet_provider};
use causeway_protocol::{Domain, field::fr_to_decimal, wire::Genesis};
use causeway_prover::{Circuit, Keys, export};
use rand_core::SeedableRng;
use serde_json::Value;
use std::{path::Path, process::Command};

const DEPTH: u32 = 2;
/// The deployment's priority deadline, in blocks.
const EXPIRY: u64 = 5;

fn run_ok(args: &[&str]) -> String {
    let out = super::causeway(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
    stdout + &stderr
}

/// `npx snarkjs <args>` in `dir` (snarkjs from contracts/node_modules): its whole output, which
/// must be a success.
fn snarkjs(dir: &Path, args: &[&str]) -> String {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/node_modules/.bin/snarkjs");
    let out = Command::new(&bin)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run snarkjs (npm ci --prefix contracts installs it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "snarkjs {args:?}: {text}");
    text
}

fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snarkjs_ceremony_makes_exit_keys_whose_proofs_verify_everywhere() {
    let dir = TempDir::new("ceremony");
    let d = &dir.0;
    let s = |p: &Path| p.to_str().expect("utf8").to_owned();

    // Phase 1, as a public Powers of Tau would be (small: the exit circuit at depth 2 fits 2^10).
    snarkjs(d, &["powersoftau", "new", "bn128", "10", "pot0.ptau"]);
    snarkjs(d, &["powersoftau", "contribute", "pot0.ptau", "pot1.ptau", "--name=phase1", "-e=phase one entropy"]);
    snarkjs(d, &["powersoftau", "prepare", "phase2", "pot1.ptau", "pot.ptau"]);

    // The coordinator exports the circuit; snarkjs reads our constraint count.
    let exported =
        run_ok(&["ceremony", "export", "--circuit", "exit", "--depth", "2", "--out", &s(&d.join("exit.r1cs"))]);
    let constraints =
        causeway_prover::keys::circuit_id(Circuit::Exit, Circuit::Exit.params(DEPTH, 0)).expect("circuit").0;
    assert!(exported.contains(&format!("{constraints} constraints")), "{exported}");
    let info = snarkjs(d, &["r1cs", "info", "exit.r1cs"]);
    assert!(info.contains(&format!("# of Constraints: {constraints}\n")), "{info}");
    assert!(info.contains("# of Public Inputs: 5\n"), "{info}");
    run_ok(&[
        "ceremony",
        "witness",
        "--circuit",
        "exit",
        "--depth",
        "2",
        "--sample",
        "--out",
        &s(&d.join("exit.wtns")),
    ]);
    let check = snarkjs(d, &["wtns", "check", "exit.r1cs", "exit.wtns"]);
    assert!(check.contains("WITNESS IS CORRECT"), "{check}");

    // Phase 2: two contributors and a beacon, then the verifier's check.
    snarkjs(d, &["zkey", "new", "exit.r1cs", "pot.ptau", "exit_0.zkey"]);
    snarkjs(d, &["zkey", "contribute", "exit_0.zkey", "exit_1.zkey", "--name=alice", "-e=alice's entropy"]);
    snarkjs(d, &["zkey", "contribute", "exit_1.zkey", "exit_2.zkey", "--name=bob", "-e=bob's entropy"]);
    let beacon = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    snarkjs(d, &["zkey", "beacon", "exit_2.zkey", "exit_final.zkey", beacon, "10", "-n=final beacon"]);
    let verified = snarkjs(d, &["zkey", "verify", "exit.r1cs", "pot.ptau", "exit_final.zkey"]);
    assert!(verified.contains("ZKey Ok!"), "{verified}");

    // Import: checked against the Powers of Tau (whose BLAKE2b it prints, as b2sum would), the
    // key directory records the ceremony as snarkjs reported it.
    let keys_dir = d.join("exit-keys");
    let import = |zkey: &str| {
        let path = s(&d.join(zkey));
        let args = ["ceremony", "import", "--zkey", &path, "--ptau", &s(&d.join("pot.ptau"))];
        super::causeway(&[&args[..], &["--circuit", "exit", "--depth", "2", "--out", &s(&keys_dir)]].concat())
    };
    let out = import("exit_final.zkey");
    let imported = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{imported}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!imported.contains("WARNING"), "no development warning for ceremony keys: {imported}");
    let b2sum =
        hex::encode(<blake2::Blake2b512 as blake2::Digest>::digest(std::fs::read(d.join("pot.ptau")).expect("ptau")));
    assert!(imported.contains(&format!("(blake2b {b2sum})")), "{imported}");

    // The forgeries an outside review made of this very ceremony are refused: the final zkey
    // with δ₂ replaced by the G2 generator (snarkjs's γ₂; A = α, B = β, C = −vk_x would then
    // verify for any input), and snarkjs's initial zkey (δ = generator) with a made-up
    // contribution record whose δ is the generator.
    let final_bytes = std::fs::read(d.join("exit_final.zkey")).expect("zkey");
    let g2 = causeway_prover::ceremony::local::encode_g2(&ark_bn254::G2Affine::generator());
    let (header, _) = causeway_prover::ceremony::local::section_offset(&final_bytes, 2).expect("header");
    let delta_g2 = header + 4 + 32 + 4 + 32 + 12 + 64 + 64 + 128 + 128 + 64;
    let mut forged = final_bytes.clone();
    forged[delta_g2..delta_g2 + 128].copy_from_slice(&g2);
    std::fs::write(d.join("forged_delta2.zkey"), &forged).expect("write");
    let out = import("forged_delta2.zkey");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("δ₂ does not match δ₁"), "{stderr}");
    let initial = std::fs::read(d.join("exit_0.zkey")).expect("zkey");
    let (mpc, size) = causeway_prover::ceremony::local::section_offset(&initial, 10).expect("contributions");
    assert_eq!(mpc + size, initial.len(), "snarkjs writes the contributions last");
    let g1 = causeway_prover::ceremony::local::encode_g1(&ark_bn254::G1Affine::generator());
    let mut record = initial[mpc..mpc + 64].to_vec();
    record.extend(1u32.to_le_bytes());
    record.extend([g1.clone(), g1.clone(), g1, g2, vec![0; 64], vec![0; 8]].concat());
    let mut forged = initial[..mpc - 8].to_vec();
    forged.extend((record.len() as u64).to_le_bytes());
    forged.extend(record);
    std::fs::write(d.join("forged_initial.zkey"), &forged).expect("write");
    let out = import("forged_initial.zkey");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("contribution #1's transcript is not the hash"), "{stderr}");
    let out = import("exit_0.zkey");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no phase-2 contribution"), "{stderr}");
    assert!(import("exit_final.zkey").status.success());
    let keys = Keys::load_for(&keys_dir, Circuit::Exit, Some(Circuit::Exit.params(DEPTH, 0))).expect("load");
    let record = keys.meta.ceremony.clone().expect("ceremony record");
    let names: Vec<_> = record.contributions.iter().map(|c| c.name.clone().unwrap_or_default()).collect();
    assert_eq!(names, ["alice", "bob", "final beacon"]);
    assert_eq!(record.contributions[2].beacon.as_deref(), Some(beacon));
    let reported = compact(&verified);
    for (i, c) in record.contributions.iter().enumerate() {
        let line = format!("contribution#{}{}:{}", i + 1, compact(c.name.as_deref().unwrap_or("")), c.hash);
        assert!(reported.contains(&line), "snarkjs reports {line}: {verified}");
    }
    let zkey_bytes = std::fs::read(d.join("exit_final.zkey")).expect("zkey");
    assert_eq!(record.zkey_sha256, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&zkey_bytes)));
    // The verifying key is the one snarkjs exports from the same zkey.
    snarkjs(d, &["zkey", "export", "verificationkey", "exit_final.zkey", "exit_vk.json"]);
    let theirs: Value = serde_json::from_slice(&std::fs::read(d.join("exit_vk.json")).expect("vk")).expect("json");
    let ours = export::vk_snarkjs(&keys.vk);
    for field in ["vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC", "nPublic"] {
        assert_eq!(theirs[field], ours[field], "{field}");
    }

    // A base chain with a Rollup whose exit verifier holds the ceremony's key.
    let batch_keys = super::procs::batch_keys(2, 7);
    let genesis_path = super::procs::genesis(d, DEPTH, 3);
    let anvil = causeway_l1::anvil::Anvil::start(&[]).await.expect("anvil");
    let deployed = run_ok(&[
        "deploy",
        "--rpc",
        &anvil.url(),
        "--keys",
        &s(&batch_keys),
        "--exit-keys",
        &s(&keys_dir),
        "--genesis",
        &s(&genesis_path),
        "--expiry-blocks",
        &EXPIRY.to_string(),
        "--blocks-per-batch",
        "1",
        "--priority-fee",
        "0",
    ]);
    // The development warning is printed for the locally made batch keys, not for the
    // ceremony's exit keys.
    assert!(deployed.contains("WARNING: the batch-circuit keys"), "{deployed}");
    assert!(!deployed.contains("WARNING: the exit-circuit keys"), "{deployed}");
    let json = deployed.lines().find(|l| l.starts_with('{')).expect("the deployment's JSON line");
    let report: Value = serde_json::from_str(json).expect("json");
    let contract: alloy::primitives::Address = report["rollup"].as_str().expect("rollup").parse().expect("address");
    let domain = Domain::new(report["chain_id"].as_u64().expect("chain id"), contract.into_array());

    // A real exit: account 1 of the genesis, against the contract's state root.
    let genesis: Genesis =
        serde_json::from_slice(&std::fs::read(&genesis_path).expect("genesis")).expect("genesis json");
    let state = genesis.state(domain).expect("genesis state");
    let witness = causeway_circuits::ExitWitness::from_state(&state, 1).expect("exit witness");
    let inputs = witness.public_inputs();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    let exit_witness = witness.clone();
    let proof = causeway_prover::prove_exit(&keys, witness, &mut rng).expect("prove with ceremony keys");
    assert!(causeway_prover::verify_exit(&keys.vk, &inputs, &proof).expect("verify"));

    // snarkjs verifies it with the zkey's own verifying key.
    let public: Vec<String> = inputs.iter().map(fr_to_decimal).collect();
    std::fs::write(d.join("proof.json"), export::proof_snarkjs(&proof).to_string()).expect("proof.json");
    std::fs::write(d.join("public.json"), serde_json::to_string(&public).expect("json")).expect("public.json");
    let ok = snarkjs(d, &["groth16", "verify", "exit_vk.json", "public.json", "proof.json"]);
    assert!(ok.contains("OK!"), "{ok}");

    // The Rollup on anvil verifies it, and refuses it for another balance.
    let provider = wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).expect("provider");
    let r = rollup(&provider, contract);
    let root = U256::from_be_bytes(r.stateRoot().call().await.expect("stateRoot").0);
    let words =
        |x: &[causeway_protocol::Fr; 5]| x.map(|f| U256::from_be_bytes(causeway_protocol::field::fr_to_be_bytes(&f)));
    assert_eq!(words(&inputs)[0], root, "the exit is proved against the contract's root");
    let proof_words = encode::proof_words(&export::proof_eth(&proof)).expect("proof words");
    assert!(r.verifyExitProof(proof_words, words(&inputs)).call().await.expect("verifyExitProof"));
    let mut other = inputs;
    other[4] += causeway_protocol::Fr::from(1u64);
    assert!(!r.verifyExitProof(proof_words, words(&other)).call().await.expect("verifyExitProof"));

    // And it pays, as the exit transaction of exodus mode: a deposit nobody executes passes its
    // deadline, exodus is activated, the account exits with the ceremony-key proof.
    let user = rollup(&wallet_provider(&anvil.url(), DEV_USER_KEYS[0]).expect("provider"), contract);
    let (x, y) = encode::key_words(&causeway_prover::sample::sample_key(9).public_key());
    send_and_wait(user.deposit(x, y).value(U256::from(10u128.pow(18)))).await.expect("deposit");
    let deadline =
        r.priorityRequests(r.priorityHead().call().await.expect("head")).call().await.expect("request").deadline;
    let now = provider.get_block_number().await.expect("block");
    let _: Value =
        provider.raw_request("anvil_mine".into(), [format!("{:#x}", deadline - now + 1)]).await.expect("mine");
    causeway_l1::exodus::activate(&r).await.expect("activate exodus");
    let call = causeway_l1::exodus::ExitCall::new(&exit_witness, &proof).expect("exit call");
    causeway_l1::exodus::exit(&r, &call).await.expect("the exit with a ceremony-key proof is accepted");
    let owed = r.pendingWithdrawals(call.owner, 0).call().await.expect("pending");
    assert_eq!(owed, U256::from(call.balance));
    assert!(call.balance > 0);

    // A verifier confirms from the chain that the contract holds the ceremony's exit key, and
    // that the batch key is not the exit ceremony's.
    let verify = |flag: &str, zkey: &str| {
        super::causeway(&[
            "verify",
            "--rpc",
            &anvil.url(),
            "--contract",
            &contract.to_string(),
            "--genesis",
            &s(&genesis_path),
            "--keys",
            &s(&batch_keys),
            "--ptau",
            &s(&d.join("pot.ptau")),
            flag,
            &s(&d.join(zkey)),
        ])
    };
    let out = verify("--exit-zkey", "exit_final.zkey");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "every contribution and point checked against the Powers of Tau {} (blake2b {b2sum})",
            s(&d.join("pot.ptau"))
        )),
        "{stdout}"
    );
    let line = format!(
        "exit verifying key: matches the ceremony's {} (sha256 {})",
        s(&d.join("exit_final.zkey")),
        record.zkey_sha256
    );
    assert!(stdout.contains(&line), "{stdout}");
    // The forged key is refused by verify too, before any comparison with the chain.
    let out = verify("--exit-zkey", "forged_delta2.zkey");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("δ₂ does not match δ₁"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = verify("--zkey", "exit_final.zkey");
    assert!(!out.status.success(), "an exit-circuit zkey is not the batch circuit's");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the batch circuit at depth 2 with 7 slots has"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_witness_of_a_sealed_batch_is_exported_from_the_database_and_snarkjs_accepts_it() {
    use causeway_sequencer::{Sequencer, SequencerConfig};
    let dir = TempDir::new("ceremony-batch");
    let d = &dir.0;
    let s = |p: &Path| p.to_str().expect("utf8").to_owned();
    let test_db = causeway_db::testing::TestDb::create().await.expect("test database");
    let mut config = SequencerConfig::new(test_db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.genesis = Some(super::procs::genesis(d, DEPTH, 4));
    config.slots = Some(2);
    config.batch_timeout = std::time::Duration::from_millis(50);
    let seq = Sequencer::start(config).await.expect("sequencer");
    let url = format!("http://{}", seq.addr);
    let http = reqwest::Client::new();
    let (status, v) = super::procs::post(&http, &format!("{url}/v1/txs"), super::procs::transfer(1, 3, 10, 1, 0)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(super::procs::wait_sealed(&http, &url).await, 1);

    let shape = ["--circuit", "batch", "--depth", "2", "--slots", "2"];
    let r1cs = s(&d.join("batch.r1cs"));
    run_ok(&[&["ceremony", "export"], &shape[..], &["--out", &r1cs]].concat());
    let wtns = s(&d.join("batch.wtns"));
    let witness = |batch: &str| {
        super::causeway(
            &[
                &["ceremony", "witness"],
                &shape[..],
                &["--batch", batch, "--database-url", &test_db.url, "--out", &wtns],
            ]
            .concat(),
        )
    };
    let out = witness("1");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("wrote a witness of the batch circuit"), "{stdout}");
    assert!(!stdout.contains("breaks"), "{stdout}");
    let check = snarkjs(d, &["wtns", "check", &r1cs, &wtns]);
    assert!(check.contains("WITNESS IS CORRECT"), "{check}");

    // A batch that was never sealed, and a batch number for the exit circuit: clear errors.
    let out = witness("9");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no sealed batch 9 in the database"));
    let out =
        super::causeway(&["ceremony", "witness", "--circuit", "exit", "--depth", "2", "--batch", "1", "--out", &wtns]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--batch is for the batch circuit"));
    let api = causeway_testkit::api::Api::new(url.clone());
    let target =
        causeway_testkit::invariants::Target { database: Some(&test_db.url), api: Some(&api), ..Default::default() };
    causeway_testkit::invariants::check(&target, Path::new("/dev/null")).await;
    seq.shutdown(std::time::Duration::from_secs(5)).await;
}
