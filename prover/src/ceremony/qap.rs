//! The R1CS-to-QAP reduction of snarkjs (and circom's provers).
//!
//! arkworks' own reduction divides a·b − c by the vanishing polynomial on a coset and gives the
//! quotient's coefficients; its keys hold δ⁻¹·Z(τ)·τⁱ. snarkjs's keys hold instead δ⁻¹·L_{2i+1}(τ),
//! the odd-indexed Lagrange polynomials of the domain of twice the size, and its prover
//! multiplies them by a·b − c evaluated at the odd 2n-th roots of unity ω_{2n}^{2i+1} (where the
//! vanishing polynomial of the n-th roots is not zero). Both give h(τ)·Z(τ)/δ; the two keys are
//! just not interchangeable, so proofs with ceremony keys take this reduction.
//!
//! Constraint i sits at ωⁱ of the n-th roots in both, and the public-input rows that make the
//! inputs' polynomials independent (a_{m+j} = input j, m constraints) are the same.

use ark_ff::PrimeField;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP, evaluate_constraint};
use ark_poly::EvaluationDomain;
use ark_relations::gr1cs::{ConstraintSystemRef, Matrix, SynthesisError};
use rayon::prelude::*;

/// snarkjs's reduction: see the module documentation.
pub struct SnarkjsReduction;

impl R1CSToQAP for SnarkjsReduction {
    /// The polynomials at τ are the same as arkworks' (only the H query differs).
    #[allow(clippy::type_complexity)]
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> Result<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize), SynthesisError> {
        LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    /// (a·b − c)(ω_{2n}^{2i+1}) for i in 0..n.
    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Matrix<F>],
        num_inputs: usize,
        num_constraints: usize,
        full_assignment: &[F],
    ) -> Result<Vec<F>, SynthesisError> {
        let domain = D::new(num_constraints + num_inputs).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let n = domain.size();
        let [at, bt, ct] = matrices else { return Err(SynthesisError::ArityMismatch) };
        let mut a = vec![F::zero(); n];
        let mut b = vec![F::zero(); n];
        let mut c = vec![F::zero(); n];
        a[..num_constraints]
            .par_iter_mut()
            .zip(&mut b[..num_constraints])
            .zip(&mut c[..num_constraints])
            .zip(at)
            .zip(bt)
            .zip(ct)
            .for_each(|(((((a, b), c), at_i), bt_i), ct_i)| {
                *a = evaluate_constraint(at_i, full_assignment);
                *b = evaluate_constraint(bt_i, full_assignment);
                *c = evaluate_constraint(ct_i, full_assignment);
            });
        a[num_constraints..num_constraints + num_inputs].copy_from_slice(&full_assignment[..num_inputs]);
        // The coset of the odd 2n-th roots: ω_{2n} · ⟨ω_n⟩.
        let shift = D::new(2 * n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?.group_gen();
        let coset = domain.get_coset(shift).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        for v in [&mut a, &mut b, &mut c] {
            domain.ifft_in_place(v);
            coset.fft_in_place(v);
        }
        a.par_iter_mut().zip(&b).zip(&c).for_each(|((a, b), c)| {
            *a = *a * b - c;
        });
        Ok(a)
    }

    /// δ⁻¹·L_{2i+1}(t) over the domain of size 2n, for i in 0..n (`max_power` is n − 1: the
    /// generator asks for one scalar less than the domain holds).
    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(
        max_power: usize,
        t: F,
        _zt: F,
        delta_inverse: F,
    ) -> Result<Vec<F>, SynthesisError> {
        let n = max_power + 1;
        let double = D::new(2 * n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let lagrange = double.evaluate_all_lagrange_coefficients(t);
        Ok(lagrange.into_iter().skip(1).step_by(2).map(|l| l * delta_inverse).collect())
    }
}
