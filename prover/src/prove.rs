//! Proving and verifying batch and exit proofs.

use crate::{
    ceremony::{SnarkjsReduction, synthesize},
    error::ProverError,
    keys::Keys,
};
use ark_bn254::Bn254;
use ark_ff::UniformRand;
use ark_groth16::{Groth16, Proof, VerifyingKey};
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_snark::SNARK;
use ark_std::rand::{CryptoRng, RngCore};
use causeway_circuits::{BatchCircuit, BatchWitness, ConstraintF, ExitCircuit, ExitWitness};

/// Proves a batch witness and verifies the proof before returning it. A witness that breaks a
/// rule yields no proof but [`ProverError::Unsatisfied`] (the satisfiability check, which costs
/// about half a proof, runs only on that failure path).
pub fn prove<R: RngCore + CryptoRng>(
    keys: &Keys,
    witness: BatchWitness,
    rng: &mut R,
) -> Result<Proof<Bn254>, ProverError> {
    let commitment = witness.commitment();
    prove_circuit(keys, BatchCircuit { params: keys.meta.params, witness: Some(witness) }, &[commitment], rng)
}

/// Proves an exit witness with exit-circuit keys and verifies the proof before returning it;
/// [`ProverError::Unsatisfied`] names the broken rule when the witness is not a leaf of its root.
pub fn prove_exit<R: RngCore + CryptoRng>(
    keys: &Keys,
    witness: ExitWitness,
    rng: &mut R,
) -> Result<Proof<Bn254>, ProverError> {
    let inputs = witness.public_inputs();
    prove_circuit(keys, ExitCircuit { depth: keys.meta.params.depth, witness: Some(witness) }, &inputs, rng)
}

fn prove_circuit<R: RngCore + CryptoRng>(
    keys: &Keys,
    circuit: impl ConstraintSynthesizer<ConstraintF>,
    inputs: &[ConstraintF],
    rng: &mut R,
) -> Result<Proof<Bn254>, ProverError> {
    let s = synthesize(circuit, true)?;
    let full = s.assignment.as_deref().unwrap_or_default();
    let (r, rs) = (ConstraintF::rand(rng), ConstraintF::rand(rng));
    let (m, inputs_n, constraints) = (&s.matrices, s.cs.num_instance_variables(), s.constraints());
    // Ceremony keys are snarkjs's, made for its QAP reduction; local keys are arkworks'.
    let proof = if keys.meta.is_from_ceremony() {
        Groth16::<Bn254, SnarkjsReduction>::create_proof_with_reduction_and_matrices(
            &keys.pk,
            r,
            rs,
            m,
            inputs_n,
            constraints,
            full,
        )?
    } else {
        Groth16::<Bn254>::create_proof_with_reduction_and_matrices(&keys.pk, r, rs, m, inputs_n, constraints, full)?
    };
    if !Groth16::<Bn254>::verify(&keys.vk, inputs, &proof)? {
        // Only now pay for a full satisfiability check, to name what the witness broke.
        return Err(match s.cs.which_is_unsatisfied() {
            Ok(Some(which)) => ProverError::Unsatisfied(which),
            Ok(None) if !s.cs.is_satisfied().unwrap_or(true) => ProverError::Unsatisfied("unnamed constraint".into()),
            _ => ProverError::InvalidProof,
        });
    }
    Ok(proof)
}

/// Verifies a proof against the batch commitment.
pub fn verify(vk: &VerifyingKey<Bn254>, commitment: ConstraintF, proof: &Proof<Bn254>) -> Result<bool, ProverError> {
    Ok(Groth16::<Bn254>::verify(vk, &[commitment], proof)?)
}

/// Verifies an exit proof against its five public inputs (root, domain, index, owner, balance).
pub fn verify_exit(
    vk: &VerifyingKey<Bn254>,
    inputs: &[ConstraintF; 5],
    proof: &Proof<Bn254>,
) -> Result<bool, ProverError> {
    Ok(Groth16::<Bn254>::verify(vk, inputs, proof)?)
}
