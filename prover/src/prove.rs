//! Proving and verifying batch and exit proofs.

use crate::{
    ceremony::{SnarkjsReduction, synthesize},
    error::ProverError,
    groth16::{self, Timings},
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
    prove_timed(keys, witness, rng, &mut Timings::default())
}

/// [`prove`], recording where the time went in `timings`.
pub fn prove_timed<R: RngCore + CryptoRng>(
    keys: &Keys,
    witness: BatchWitness,
    rng: &mut R,
    timings: &mut Timings,
) -> Result<Proof<Bn254>, ProverError> {
    let commitment = witness.commitment();
    let circuit = BatchCircuit { params: keys.meta.params, witness: Some(witness) };
    prove_circuit(keys, circuit, &[commitment], rng, timings)
}

/// Proves a batch witness with plain `ark-groth16` (synthesis with the constraints, arkworks'
/// QAP map and MSMs) and the same keys: the benchmark's baseline. The proof is not checked.
pub fn prove_baseline<R: RngCore + CryptoRng>(
    keys: &Keys,
    witness: BatchWitness,
    rng: &mut R,
) -> Result<Proof<Bn254>, ProverError> {
    let circuit = BatchCircuit { params: keys.meta.params, witness: Some(witness) };
    Ok(if keys.meta.is_from_ceremony() {
        Groth16::<Bn254, SnarkjsReduction>::create_random_proof_with_reduction(circuit, &keys.pk, rng)?
    } else {
        Groth16::<Bn254>::create_random_proof_with_reduction(circuit, &keys.pk, rng)?
    })
}

/// Proves an exit witness with exit-circuit keys and verifies the proof before returning it;
/// [`ProverError::Unsatisfied`] names the broken rule when the witness is not a leaf of its root.
pub fn prove_exit<R: RngCore + CryptoRng>(
    keys: &Keys,
    witness: ExitWitness,
    rng: &mut R,
) -> Result<Proof<Bn254>, ProverError> {
    let inputs = witness.public_inputs();
    let circuit = ExitCircuit { depth: keys.meta.params.depth, witness: Some(witness) };
    prove_circuit(keys, circuit, &inputs, rng, &mut Timings::default())
}

fn prove_circuit<R: RngCore + CryptoRng>(
    keys: &Keys,
    circuit: impl ConstraintSynthesizer<ConstraintF> + Clone,
    inputs: &[ConstraintF],
    rng: &mut R,
    timings: &mut Timings,
) -> Result<Proof<Bn254>, ProverError> {
    let t = std::time::Instant::now();
    let z = groth16::witness(circuit.clone(), &keys.prepared)?;
    timings.witness_s = t.elapsed().as_secs_f64();
    timings.total_s = timings.witness_s;
    let (r, s) = (ConstraintF::rand(rng), ConstraintF::rand(rng));
    let proof = groth16::prove_assignment(&keys.pk, &keys.prepared, &z, r, s, timings)?;
    if !Groth16::<Bn254>::verify(&keys.vk, inputs, &proof)? {
        // Only now pay for the constraints and a full satisfiability check, to name what the
        // witness broke.
        let s = synthesize(circuit, true)?;
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
