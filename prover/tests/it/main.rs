//! Key handling and proving with a small circuit (depth 2, one slot).

use causeway_circuits::{BatchWitness, CircuitParams};
use causeway_protocol::{Account, Operation, PrivateKey, State, Transfer};
use causeway_prover::{Keys, ProverError, keys::METADATA_FILE, prove, verify};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

mod ceremony;
mod groth16;

pub(crate) const PARAMS: CircuitParams = CircuitParams { depth: 2, slots: 1 };
const DOMAIN: causeway_protocol::Domain = causeway_protocol::Domain::new(31337, [0x5a; 20]);

pub(crate) fn one_transfer_batch() -> BatchWitness {
    let mut s = State::new(PARAMS.depth, DOMAIN).expect("state");
    for i in 0..2u32 {
        let a = Account {
            pubkey: PrivateKey([i as u8 + 1; 32]).public_key(),
            balance: 1_000,
            nonce: 0,
            owner: [1; 20],
            token: 0,
        };
        s.insert(i, a).expect("insert");
    }
    let t = Transfer::signed(&PrivateKey([2; 32]), &DOMAIN, 1, 0, 100, 1, 0);
    BatchWitness::from_transition(&s.apply_batch(1, 0, 1, 0, &[Operation::Transfer(t)]).expect("batch"))
}

#[test]
fn keys_round_trip_prove_and_refuse_mismatches() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let dir = std::env::temp_dir().join(format!("causeway-keys-{}", std::process::id()));
    let keys = causeway_prover::keys::setup(PARAMS, &mut rng).expect("setup");
    keys.save(&dir).expect("save");

    // Loaded keys prove a valid batch, and the proof verifies only for its commitment.
    let loaded = Keys::load(&dir, Some(PARAMS)).expect("load");
    let witness = one_transfer_batch();
    let commitment = witness.commitment();
    let proof = prove(&loaded, witness.clone(), &mut rng).expect("prove");
    assert!(verify(&loaded.vk, commitment, &proof).expect("verify"));
    assert!(!verify(&loaded.vk, commitment + causeway_protocol::Fr::from(1u64), &proof).expect("verify"));

    // An invalid witness yields no proof.
    let mut bad = witness;
    bad.slots[0].signature = Some(PrivateKey([9; 32]).sign(1u64.into()));
    assert!(matches!(prove(&loaded, bad, &mut rng), Err(ProverError::Unsatisfied(_))));

    // Keys for other parameters are refused.
    let other = CircuitParams { depth: 4, slots: 1 };
    let err = Keys::load(&dir, Some(other)).err().expect("mismatch refused");
    assert!(matches!(err, ProverError::KeyMismatch { .. }), "{err}");

    // Keys whose metadata names another circuit are refused.
    let meta_path = dir.join(METADATA_FILE);
    let meta = std::fs::read_to_string(&meta_path).expect("metadata");
    let tampered = meta.replace(&keys.meta.circuit_id, &"0".repeat(64));
    std::fs::write(&meta_path, tampered).expect("write");
    let err = Keys::load(&dir, None).err().expect("mismatch refused");
    assert!(err.to_string().contains("do not match this circuit"), "{err}");
    std::fs::write(&meta_path, meta).expect("write");

    // A truncated proving key is a clear error, not a panic.
    let pk_path = dir.join(causeway_prover::keys::PROVING_KEY_FILE);
    let pk = std::fs::read(&pk_path).expect("pk");
    std::fs::write(&pk_path, &pk[..pk.len() / 2]).expect("write");
    assert!(matches!(Keys::load(&dir, None), Err(ProverError::CorruptKey { .. })));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The exit circuit with plain Groth16: a proof verifies for its own five public inputs only,
/// the domain included (no constraint reads the domain: Groth16's input rows bind it).
#[test]
fn an_exit_proof_verifies_for_its_own_statement_and_deployment_only() {
    use ark_snark::SNARK;
    use causeway_circuits::{ExitCircuit, ExitWitness};
    type Groth16 = ark_groth16::Groth16<ark_bn254::Bn254>;
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let depth = 4;
    let mut state = State::new(depth, DOMAIN).expect("state");
    for i in 0..3u32 {
        let a = Account {
            pubkey: PrivateKey([i as u8 + 1; 32]).public_key(),
            balance: 1_000 * u128::from(i + 1),
            nonce: i,
            owner: [i as u8 + 7; 20],
            token: i as u16,
        };
        state.insert(i, a).expect("insert");
    }
    let (pk, vk) = Groth16::circuit_specific_setup(ExitCircuit { depth, witness: None }, &mut rng).expect("setup");
    let witness = ExitWitness::from_state(&state, 2).expect("exit");
    let inputs = witness.public_inputs();
    let proof = Groth16::prove(&pk, ExitCircuit { depth, witness: Some(witness) }, &mut rng).expect("prove");
    assert!(Groth16::verify(&vk, &inputs, &proof).expect("verify"));
    for k in 0..inputs.len() {
        let mut other = inputs;
        other[k] += causeway_protocol::Fr::from(1u64);
        assert!(!Groth16::verify(&vk, &other, &proof).expect("verify"), "public input {k} changed");
    }
    // Another deployment's domain, all else equal.
    let mut other = inputs;
    other[1] = causeway_protocol::Domain::new(DOMAIN.chain_id, [0x5b; 20]).to_field();
    assert!(!Groth16::verify(&vk, &other, &proof).expect("verify"));
}

/// Exit keys through the key files: `setup_for(Exit)` names its circuit in the metadata, its
/// keys prove exits, and neither circuit's keys load as the other's.
#[test]
fn exit_keys_name_their_circuit_and_keys_of_the_other_circuit_are_refused() {
    use causeway_circuits::ExitWitness;
    use causeway_prover::{Circuit, prove_exit, verify_exit};
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let base = std::env::temp_dir().join(format!("causeway-exit-keys-{}", std::process::id()));
    let (batch_dir, exit_dir) = (base.join("batch"), base.join("exit"));
    causeway_prover::keys::setup(PARAMS, &mut rng).expect("setup").save(&batch_dir).expect("save");
    let exit = causeway_prover::keys::setup_for(Circuit::Exit, PARAMS, &mut rng).expect("exit setup");
    assert_eq!(exit.meta.circuit, Circuit::Exit);
    assert_eq!(exit.meta.params, CircuitParams { depth: PARAMS.depth, slots: 0 });
    exit.save(&exit_dir).expect("save");

    let loaded = Keys::load_for(&exit_dir, Circuit::Exit, Some(PARAMS)).expect("exit keys load");
    let mut state = State::new(PARAMS.depth, DOMAIN).expect("state");
    let account =
        Account { pubkey: PrivateKey([3; 32]).public_key(), balance: 5_000, nonce: 2, owner: [4; 20], token: 0 };
    state.insert(1, account).expect("insert");
    let witness = ExitWitness::from_state(&state, 1).expect("witness");
    let proof = prove_exit(&loaded, witness.clone(), &mut rng).expect("exit proof");
    assert!(verify_exit(&loaded.vk, &witness.public_inputs(), &proof).expect("verify"));
    // A leaf that is not in the root: no proof (circuits/tests name the rule it breaks).
    let mut forged = witness;
    forged.account.balance += 1;
    assert!(matches!(prove_exit(&loaded, forged, &mut rng), Err(ProverError::Unsatisfied(_))));

    let wrong = |r: Result<Keys, ProverError>| r.err().expect("refused").to_string();
    assert!(wrong(Keys::load(&exit_dir, None)).contains("for the exit circuit, not the batch circuit"));
    assert!(
        wrong(Keys::load_for(&batch_dir, Circuit::Exit, None)).contains("for the batch circuit, not the exit circuit")
    );
    let vk = causeway_prover::keys::load_verifying_key(&exit_dir).expect_err("refused").to_string();
    assert!(vk.contains("for the exit circuit"), "{vk}");
    let _ = std::fs::remove_dir_all(&base);
}
