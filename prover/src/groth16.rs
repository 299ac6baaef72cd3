//! Causeway's Groth16 prover: the same proofs as `ark-groth16`, with less work per batch.
//!
//! What it does differently from `Groth16::create_random_proof_with_reduction`:
//! - the constraint matrices never change between batches, so they are built once (when the
//!   keys are loaded, see [`Prepared`]) and each proof synthesises only the witness;
//! - every step is timed, so the benchmark shows where a proof's time goes ([`Timings`]).
//!
//! The proof is the one arkworks would make from the same witness and the same `r` and `s`
//! (a test proves it), so it verifies with `ark-groth16`, snarkjs and the contract alike.

use crate::{ceremony::Synthesized, error::ProverError, msm::msm};
use ark_bn254::{Bn254, Fr};
use ark_ec::CurveGroup;
use ark_ff::{FftField, Field, PrimeField, Zero};
use ark_groth16::{Proof, ProvingKey, r1cs_to_qap::evaluate_constraint};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisError, SynthesisMode,
};
use rayon::prelude::*;
use serde::Serialize;
use std::time::Instant;

/// Which R1CS-to-QAP reduction the keys were made for (see [`crate::ceremony::qap`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// arkworks' (keys from `causeway setup`): H in the monomial basis, times Z(τ)/δ.
    Arkworks,
    /// snarkjs's (keys from a ceremony): H at the odd 2n-th roots of unity.
    Snarkjs,
}

/// What a proof needs of the circuit besides the witness: its matrices and sizes, built once.
pub struct Prepared {
    matrices: [Matrix<Fr>; 3],
    /// 1 + public inputs.
    instance: usize,
    /// All wires: instance then witness.
    wires: usize,
    constraints: usize,
    reduction: Reduction,
}

impl Prepared {
    /// Takes the matrices of a synthesised (blank) circuit.
    pub fn new(s: Synthesized, reduction: Reduction) -> Result<Self, ProverError> {
        let (instance, wires, constraints) = (s.cs.num_instance_variables(), s.wires(), s.constraints());
        let [a, b, c]: [Matrix<Fr>; 3] = s.matrices.try_into().map_err(|_| SynthesisError::ArityMismatch)?;
        Ok(Self { matrices: [a, b, c], instance, wires, constraints, reduction })
    }

    /// The evaluation domain (constraints + public inputs rounded up to a power of two).
    pub fn domain_size(&self) -> usize {
        (self.constraints + self.instance).next_power_of_two()
    }

    /// The reduction the keys were made for.
    pub fn reduction(&self) -> Reduction {
        self.reduction
    }
}

/// Seconds spent in each step of one proof.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    /// Running the circuit's gadgets for the witness only (no constraints built).
    pub witness_s: f64,
    /// A·z, B·z and C·z: the matrices times the witness.
    pub evaluate_s: f64,
    /// The transforms of the H polynomial (and the pointwise products between them).
    pub fft_s: f64,
    /// The MSM of A over all wires (G1).
    pub msm_a_s: f64,
    /// The MSM of B over all wires in G1 (for C).
    pub msm_b_g1_s: f64,
    /// The MSM of B over all wires in G2.
    pub msm_b_g2_s: f64,
    /// The MSM of C's private part (the L query).
    pub msm_c_s: f64,
    /// The MSM of the H query.
    pub msm_h_s: f64,
    /// The whole proof, these and the rest.
    pub total_s: f64,
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Synthesises only the witness of `circuit`: 1, the public inputs, then the private wires.
/// No constraint is built (the gadgets still compute every value the same way setup allocated
/// them), so the assignment lines up with the prepared matrices.
pub fn witness(circuit: impl ConstraintSynthesizer<Fr>, prepared: &Prepared) -> Result<Vec<Fr>, ProverError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove { construct_matrices: false, generate_lc_assignments: false });
    circuit.generate_constraints(cs.clone())?;
    let full: Vec<Fr> = cs.instance_assignment()?.iter().chain(cs.witness_assignment()?.iter()).copied().collect();
    if full.len() != prepared.wires || cs.num_instance_variables() != prepared.instance {
        return Err(SynthesisError::Unsatisfiable.into());
    }
    Ok(full)
}

/// Proves with a full assignment `z` (from [`witness`]) and the randomness `r`, `s`.
pub fn prove_assignment(
    pk: &ProvingKey<Bn254>,
    prepared: &Prepared,
    z: &[Fr],
    r: Fr,
    s: Fr,
    timings: &mut Timings,
) -> Result<Proof<Bn254>, ProverError> {
    let start = Instant::now();
    let h = quotient(prepared, z, timings)?;

    let t = Instant::now();
    let h_acc = msm(&pk.h_query, &bigints(&h));
    drop(h);
    timings.msm_h_s = secs(t);

    let z_big = bigints(z);
    let aux = &z_big[prepared.instance..];

    let t = Instant::now();
    let l_acc = msm(&pk.l_query, aux);
    timings.msm_c_s = secs(t);

    let t = Instant::now();
    let a_acc = msm(&pk.a_query, &z_big);
    timings.msm_a_s = secs(t);

    let t = Instant::now();
    let b1_acc = msm(&pk.b_g1_query, &z_big);
    timings.msm_b_g1_s = secs(t);

    let t = Instant::now();
    let b2_acc = msm(&pk.b_g2_query, &z_big);
    timings.msm_b_g2_s = secs(t);

    // A = α + Σ zᵢ·Aᵢ(τ) + r·δ; B = β + Σ zᵢ·Bᵢ(τ) + s·δ; C = s·A + r·B₁ − r·s·δ + L + H.
    let g_a = a_acc + pk.vk.alpha_g1 + pk.delta_g1 * r;
    let g1_b = b1_acc + pk.beta_g1 + pk.delta_g1 * s;
    let g2_b = b2_acc + pk.vk.beta_g2 + pk.vk.delta_g2 * s;
    let g_c = g_a * s + g1_b * r - pk.delta_g1 * (r * s) + l_acc + h_acc;
    let proof = Proof { a: g_a.into_affine(), b: g2_b.into_affine(), c: g_c.into_affine() };
    timings.total_s += secs(start);
    Ok(proof)
}

fn bigints(v: &[Fr]) -> Vec<<Fr as PrimeField>::BigInt> {
    v.par_iter().map(|x| x.into_bigint()).collect()
}

/// The H polynomial's scalars for the keys' reduction: coefficients (arkworks) or evaluations at
/// the odd 2n-th roots (snarkjs).
fn quotient(prepared: &Prepared, z: &[Fr], timings: &mut Timings) -> Result<Vec<Fr>, ProverError> {
    let t = Instant::now();
    let n = prepared.domain_size();
    let m = prepared.constraints;
    let [ma, mb, mc] = &prepared.matrices;
    let mut a = vec![Fr::zero(); n];
    let mut b = vec![Fr::zero(); n];
    let mut c = vec![Fr::zero(); n];
    a[..m].par_iter_mut().zip(&mut b[..m]).zip(&mut c[..m]).enumerate().for_each(|(i, ((a, b), c))| {
        *a = evaluate_constraint(&ma[i], z);
        *b = evaluate_constraint(&mb[i], z);
        *c = evaluate_constraint(&mc[i], z);
    });
    // The rows that make the inputs' polynomials independent: a_{m+j} = z_j.
    a[m..m + prepared.instance].copy_from_slice(&z[..prepared.instance]);
    timings.evaluate_s = secs(t);

    let t = Instant::now();
    let domain = Radix2EvaluationDomain::<Fr>::new(n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
    let shift = match prepared.reduction {
        Reduction::Arkworks => Fr::GENERATOR,
        Reduction::Snarkjs => {
            Radix2EvaluationDomain::<Fr>::new(2 * n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?.group_gen()
        }
    };
    let coset = domain.get_coset(shift).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
    for v in [&mut a, &mut b, &mut c] {
        domain.ifft_in_place(v);
        coset.fft_in_place(v);
    }
    match prepared.reduction {
        Reduction::Snarkjs => {
            a.par_iter_mut().zip(&b).zip(&c).for_each(|((a, b), c)| *a = *a * b - c);
        }
        Reduction::Arkworks => {
            let z_inv = domain.evaluate_vanishing_polynomial(shift).inverse().ok_or(SynthesisError::Unsatisfiable)?;
            a.par_iter_mut().zip(&b).zip(&c).for_each(|((a, b), c)| *a = (*a * b - c) * z_inv);
            coset.ifft_in_place(&mut a);
        }
    }
    timings.fft_s = secs(t);
    Ok(a)
}
