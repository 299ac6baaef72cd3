//! Bit decompositions, packing and range checks.

use super::{Bit, ConstraintF, FrVar};
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField};
use ark_r1cs_std::{
    alloc::AllocVar,
    fields::fp::{AllocatedFp, FpVar},
    prelude::*,
};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError};

/// Allocates `n` witness bits (little-endian) of `value`; one booleanity constraint each.
pub fn alloc_bits(
    cs: ConstraintSystemRef<ConstraintF>,
    value: Option<ConstraintF>,
    n: usize,
) -> Result<Vec<Bit>, SynthesisError> {
    let bits = value.map(|v| v.into_bigint().to_bits_le());
    (0..n)
        .map(|i| Bit::new_witness(cs.clone(), || bits.as_ref().map(|b| b[i]).ok_or(SynthesisError::AssignmentMissing)))
        .collect()
}

/// The integer whose little-endian bits are `bits`, as one linear combination (no constraint).
/// Callers keep `bits.len()` below the field size.
pub fn pack_le(bits: &[Bit]) -> FrVar {
    let mut lc = LinearCombination::zero();
    let mut constant = ConstraintF::ZERO;
    let mut value = Some(ConstraintF::ZERO);
    let mut power = ConstraintF::ONE;
    let mut cs = ConstraintSystemRef::None;
    for b in bits {
        match b {
            Bit::Constant(true) => constant += power,
            Bit::Constant(false) => {}
            Bit::Var(v) => {
                lc += (power, v.variable());
                cs = cs.or(b.cs());
            }
        }
        value = match (value, b.value()) {
            (Some(acc), Ok(true)) => Some(acc + power),
            (Some(acc), Ok(false)) => Some(acc),
            _ => None,
        };
        power.double_in_place();
    }
    match cs {
        ConstraintSystemRef::None => FpVar::Constant(constant),
        _ => {
            let var = cs.new_lc(|| lc).unwrap_or_else(|_| unreachable!("cs is present"));
            FpVar::Var(AllocatedFp::new(value, var, cs)) + FpVar::Constant(constant)
        }
    }
}

/// Enforces `x < 2^n` by decomposing it into `n` bits; returns the bits.
pub fn range_check(x: &FrVar, n: usize) -> Result<Vec<Bit>, SynthesisError> {
    let bits = alloc_bits(x.cs(), x.value().ok(), n)?;
    pack_le(&bits).enforce_equal(x)?;
    Ok(bits)
}

/// The little-endian bits of the big-endian integer in bytes `[start, start + len)` of a byte
/// string given as 8 little-endian bits per byte.
pub fn be_field_bits(bytes_le_bits: &[Bit], start: usize, len: usize) -> Vec<Bit> {
    (start..start + len).rev().flat_map(|byte| bytes_le_bits[8 * byte..8 * byte + 8].iter().cloned()).collect()
}

/// The big-endian bytes (8 little-endian bits each) of the integer with little-endian bits `le`,
/// whose length is a multiple of 8: the inverse of [`be_field_bits`] over a whole byte string.
pub fn be_bytes_of(le: &[Bit]) -> Vec<Bit> {
    le.chunks(8).rev().flatten().cloned().collect()
}

/// Enforces `cond * x == 0`: one constraint.
pub fn enforce_zero_if(cond: &FrVar, x: &FrVar) -> Result<(), SynthesisError> {
    cond.mul_equals(x, &FrVar::zero())
}

/// Enforces `x < c` when `cond` (0 or 1) is 1, for the integer x with little-endian bits `bits`
/// and a constant `c` (little-endian 64-bit limbs, `c < 2^bits.len()`).
///
/// From the top bit down, over the runs of equal bits of `c`, it keeps `equal`: 1 while `cond`
/// holds and x's bits so far are c's. Through a run of zeros, x's bits must be 0 while equal:
/// one constraint `equal * sum(x) = 0` for the whole run (a sum of bits cannot wrap), and equal
/// does not change. Through a run of ones, equal stays 1 only if all of x's bits are 1 (x is
/// below c from the first 0 on, and nothing more is asked): a product per bit (none while equal
/// is still a constant), or from three bits on `equal + sum(x) = m + 1` at 2 constraints. After
/// the last bit equal must be 0: x = c is not below. About 130 constraints for the field
/// modulus, where a product per bit costs 254.
pub fn enforce_less_than_constant_if(cond: &FrVar, bits: &[Bit], c: &[u64]) -> Result<(), SynthesisError> {
    let c_bit = |i: usize| c.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1);
    let mut equal = cond.clone();
    let mut top = bits.len();
    while top > 0 {
        let one = c_bit(top - 1);
        let mut bottom = top - 1;
        while bottom > 0 && c_bit(bottom - 1) == one {
            bottom -= 1;
        }
        let run = &bits[bottom..top];
        let sum = run.iter().fold(FrVar::zero(), |acc, b| acc + FrVar::from(b.clone()));
        if one {
            let per_bit = run.len() - usize::from(equal.is_constant());
            equal = if per_bit <= 2 {
                run.iter().fold(equal, |eq, b| eq * FrVar::from(b.clone()))
            } else {
                let m = ConstraintF::from(run.len() as u64);
                FrVar::from((&equal + sum).is_eq(&FrVar::constant(m + ConstraintF::ONE))?)
            };
        } else {
            enforce_zero_if(&equal, &sum)?;
        }
        top = bottom;
    }
    equal.enforce_equal(&FrVar::zero())?;
    Ok(())
}

/// Enforces that the 254 little-endian bits of a field element are its canonical ones (below
/// the modulus; a small element's bits plus p's also pack to it).
pub fn enforce_canonical(bits: &[Bit]) -> Result<(), SynthesisError> {
    enforce_less_than_constant_if(&FrVar::one(), bits, &ConstraintF::MODULUS.0)
}

/// The canonical 32 big-endian bytes (8 little-endian bits each) of a field element given by its
/// 254 little-endian bits, which are checked to be canonical (rule `root_bytes_canonical`: the
/// contract stores the roots' bytes as the commitment has them). 132 constraints.
pub fn canonical_be_bytes(le: &[Bit]) -> Result<Vec<Bit>, SynthesisError> {
    {
        let _rule = ark_relations::ns!(le.cs(), "root_bytes_canonical");
        enforce_canonical(le)?;
    }
    let mut le = le.to_vec();
    le.resize(256, Bit::FALSE);
    Ok(be_bytes_of(&le))
}
