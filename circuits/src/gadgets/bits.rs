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

/// Whether the integer with little-endian bits `bits` is below the constant `c` (little-endian
/// 64-bit limbs, `c < 2^bits.len()`), as a 0/1 value: a comparison from the top bit down that
/// keeps "equal so far" as one product per bit (the first is free) and "below" as their sum.
pub fn is_less_than_constant(bits: &[Bit], c: &[u64]) -> Result<FrVar, SynthesisError> {
    let c_bit = |i: usize| c.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1);
    let mut equal = FrVar::one();
    let mut less = FrVar::zero();
    for (i, b) in bits.iter().enumerate().rev() {
        let x = FrVar::from(b.clone());
        if c_bit(i) {
            let next = &equal * &x;
            less = less + &equal - &next;
            equal = next;
        } else {
            equal = &equal * (FrVar::one() - &x);
        }
    }
    Ok(less)
}
