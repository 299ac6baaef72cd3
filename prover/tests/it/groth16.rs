//! Causeway's prover makes exactly the proof `ark-groth16` makes from the same witness and the
//! same randomness, with either reduction.

use crate::{PARAMS, one_transfer_batch};
use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_snark::{CircuitSpecificSetupSNARK, SNARK};
use causeway_circuits::{BatchCircuit, ExitCircuit, ExitWitness};
use causeway_protocol::{Account, Domain, PrivateKey, State};
use causeway_prover::{
    Circuit,
    ceremony::{SnarkjsReduction, synthesize, synthesize_blank},
    groth16::{Prepared, Reduction, Timings, prove_assignment, witness},
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[test]
fn proofs_equal_arkworks_proofs_with_the_same_randomness_for_local_keys() {
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let keys = causeway_prover::keys::setup(PARAMS, &mut rng).expect("setup");
    assert_eq!(keys.prepared.reduction(), Reduction::Arkworks);
    let circuit = BatchCircuit { params: PARAMS, witness: Some(one_transfer_batch()) };
    // The witness-only synthesis gives the assignment the full one does.
    let z = witness(circuit.clone(), &keys.prepared).expect("witness");
    let full = synthesize(circuit, true).expect("synthesize");
    assert_eq!(Some(&z), full.assignment.as_ref());
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let mut timings = Timings::default();
    let ours = prove_assignment(&keys.pk, &keys.prepared, &z, r, s, &mut timings).expect("prove");
    let (m, inputs, constraints) = (&full.matrices, full.cs.num_instance_variables(), full.constraints());
    let theirs = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(&keys.pk, r, s, m, inputs, constraints, &z)
        .expect("arkworks");
    assert_eq!(ours, theirs);
    assert!(timings.msm_h_s > 0.0 && timings.total_s >= timings.msm_h_s + timings.fft_s);
}

#[test]
fn proofs_equal_arkworks_proofs_with_the_same_randomness_for_ceremony_keys() {
    let mut rng = ChaCha20Rng::seed_from_u64(22);
    let depth = 2;
    let (pk, vk) =
        Groth16::<Bn254, SnarkjsReduction>::setup(ExitCircuit { depth, witness: None }, &mut rng).expect("setup");
    let domain = Domain::new(31337, [0x5a; 20]);
    let mut state = State::new(depth, domain).expect("state");
    let account = Account { pubkey: PrivateKey([3; 32]).public_key(), balance: 77, nonce: 2, owner: [4; 20], token: 0 };
    state.insert(1, account).expect("insert");
    let w = ExitWitness::from_state(&state, 1).expect("witness");
    let prepared = Prepared::new(
        synthesize_blank(Circuit::Exit, Circuit::Exit.params(depth, 0)).expect("blank"),
        Reduction::Snarkjs,
    )
    .expect("prepared");
    let circuit = ExitCircuit { depth, witness: Some(w.clone()) };
    let z = witness(circuit.clone(), &prepared).expect("witness");
    let full = synthesize(circuit, true).expect("synthesize");
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let ours = prove_assignment(&pk, &prepared, &z, r, s, &mut Timings::default()).expect("prove");
    let (m, inputs, constraints) = (&full.matrices, full.cs.num_instance_variables(), full.constraints());
    let theirs = Groth16::<Bn254, SnarkjsReduction>::create_proof_with_reduction_and_matrices(
        &pk,
        r,
        s,
        m,
        inputs,
        constraints,
        &z,
    )
    .expect("arkworks");
    assert_eq!(ours, theirs);
    assert!(Groth16::<Bn254>::verify(&vk, &w.public_inputs(), &ours).expect("verify"));
    // The other reduction's quotient with these keys gives a proof that does not verify.
    let wrong = Prepared::new(
        synthesize_blank(Circuit::Exit, Circuit::Exit.params(depth, 0)).expect("blank"),
        Reduction::Arkworks,
    )
    .expect("prepared");
    let bad = prove_assignment(&pk, &wrong, &z, r, s, &mut Timings::default()).expect("prove");
    assert!(!Groth16::<Bn254>::verify(&vk, &w.public_inputs(), &bad).expect("verify"));
}

#[test]
fn a_witness_for_another_circuit_shape_is_refused() {
    let prepared =
        Prepared::new(synthesize_blank(Circuit::Exit, Circuit::Exit.params(4, 0)).expect("blank"), Reduction::Arkworks)
            .expect("prepared");
    let domain = Domain::new(31337, [0x5a; 20]);
    let mut state = State::new(2, domain).expect("state");
    let account = Account { pubkey: PrivateKey([3; 32]).public_key(), balance: 1, nonce: 0, owner: [4; 20], token: 0 };
    state.insert(0, account).expect("insert");
    let w = ExitWitness::from_state(&state, 0).expect("witness");
    assert!(witness(ExitCircuit { depth: 2, witness: Some(w) }, &prepared).is_err());
}
