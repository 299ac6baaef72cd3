//! A lean SHA-256 gadget (~27k constraints per block, against ~41k for the UInt32-based gadget
//! of `ark-crypto-primitives`).
//!
//! Words are 32 little-endian bits. XORs of rotations cost one constraint per two-input XOR,
//! Ch one and Maj two per bit, and every modular addition is a single linear combination of
//! all its operands decomposed once into 32 bits plus carries. Ch and Maj outputs feed only
//! additions, so they stay field elements and need no booleanity constraints.

use super::{
    Bit, ConstraintF, FrVar,
    bits::{alloc_bits, be_bytes_of, pack_le},
};
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::{
    eq::EqGadget,
    fields::fp::{AllocatedFp, FpVar},
};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

type Word = Vec<Bit>;

const IV: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
];

fn constant_word(x: u32) -> Word {
    (0..32).map(|i| Bit::constant((x >> i) & 1 == 1)).collect()
}

fn rotr(w: &Word, n: usize) -> Word {
    (0..32).map(|i| w[(i + n) % 32].clone()).collect()
}

fn shr(w: &Word, n: usize) -> Word {
    (0..32).map(|i| if i + n < 32 { w[i + n].clone() } else { Bit::FALSE }).collect()
}

fn xor3(a: &Word, b: &Word, c: &Word) -> Result<Word, SynthesisError> {
    a.iter().zip(b).zip(c).map(|((a, b), c)| Ok(&(a ^ b) ^ c)).collect()
}

/// A linear combination under construction, with its value when known.
struct Sum {
    cs: ConstraintSystemRef<ConstraintF>,
    lc: LinearCombination<ConstraintF>,
    value: Option<ConstraintF>,
}

impl Sum {
    fn new() -> Self {
        Self { cs: ConstraintSystemRef::None, lc: LinearCombination::zero(), value: Some(ConstraintF::ZERO) }
    }

    fn add_constant(&mut self, c: ConstraintF) {
        self.lc += (c, Variable::One);
        self.value = self.value.map(|v| v + c);
    }

    fn add_fr(&mut self, coeff: ConstraintF, x: &FrVar) {
        match x {
            FpVar::Constant(c) => self.add_constant(coeff * c),
            FpVar::Var(v) => {
                self.cs = self.cs.clone().or(v.cs.clone());
                self.lc += (coeff, v.variable);
                self.value = match (self.value, v.value()) {
                    (Some(acc), Ok(x)) => Some(acc + coeff * x),
                    _ => None,
                };
            }
        }
    }

    fn add_word(&mut self, w: &Word) {
        let mut coeff = ConstraintF::ONE;
        for b in w {
            self.add_fr(coeff, &FrVar::from(b.clone()));
            coeff.double_in_place();
        }
    }

    fn add_u32(&mut self, x: u32) {
        self.add_constant(ConstraintF::from(x));
    }

    /// The sum modulo 2^32 as a word: the sum decomposed into 32 bits plus `carries` bits.
    fn into_word(self, carries: usize) -> Result<Word, SynthesisError> {
        if self.cs.is_none() {
            let v = self.value.ok_or(SynthesisError::AssignmentMissing)?;
            let low = u32::try_from(ark_ff::PrimeField::into_bigint(v).0[0] & 0xffff_ffff).unwrap_or_default();
            return Ok(constant_word(low));
        }
        let bits = alloc_bits(self.cs.clone(), self.value, 32 + carries)?;
        let var = self.cs.new_lc(|| self.lc)?;
        let _rule = ark_relations::ns!(self.cs, "sha256_word_bits");
        FrVar::Var(AllocatedFp::new(self.value, var, self.cs.clone())).enforce_equal(&pack_le(&bits))?;
        Ok(bits[..32].to_vec())
    }
}

/// Ch(e, f, g) = g + e (f - g) per bit, as field elements (one constraint per bit).
fn ch(sum: &mut Sum, e: &Word, f: &Word, g: &Word) -> Result<(), SynthesisError> {
    let mut coeff = ConstraintF::ONE;
    for ((e, f), g) in e.iter().zip(f).zip(g) {
        let (e, f, g) = (FrVar::from(e.clone()), FrVar::from(f.clone()), FrVar::from(g.clone()));
        sum.add_fr(coeff, &g);
        sum.add_fr(coeff, &(e * (f - &g)));
        coeff.double_in_place();
    }
    Ok(())
}

/// Maj(a, b, c) = ab + c (a + b - 2ab) per bit, as field elements (two constraints per bit).
fn maj(sum: &mut Sum, a: &Word, b: &Word, c: &Word) -> Result<(), SynthesisError> {
    let mut coeff = ConstraintF::ONE;
    for ((a, b), c) in a.iter().zip(b).zip(c) {
        let (a, b, c) = (FrVar::from(a.clone()), FrVar::from(b.clone()), FrVar::from(c.clone()));
        let ab = &a * &b;
        sum.add_fr(coeff, &ab);
        sum.add_fr(coeff, &(c * (a + b - &ab * ConstraintF::from(2u64))));
        coeff.double_in_place();
    }
    Ok(())
}

/// SHA-256 of a message given as bytes of 8 little-endian bits; the digest in the same form.
pub fn sha256(message: &[Bit]) -> Result<Vec<Bit>, SynthesisError> {
    let len = message.len() / 8;
    let mut bytes: Vec<Vec<Bit>> = message.chunks(8).map(<[Bit]>::to_vec).collect();
    let padded = (len + 9).div_ceil(64) * 64;
    let byte = |x: u8| (0..8).map(|i| Bit::constant((x >> i) & 1 == 1)).collect::<Vec<_>>();
    bytes.push(byte(0x80));
    while bytes.len() < padded - 8 {
        bytes.push(byte(0));
    }
    bytes.extend(((len as u64) * 8).to_be_bytes().map(byte));

    let mut state: Vec<Word> = IV.iter().map(|x| constant_word(*x)).collect();
    for block in bytes.chunks(64) {
        // Big-endian words: the last byte holds the least significant bits.
        let mut w: Vec<Word> = block.chunks(4).map(|b| b.iter().rev().flatten().cloned().collect()).collect();
        for t in 16..64 {
            let s0 = xor3(&rotr(&w[t - 15], 7), &rotr(&w[t - 15], 18), &shr(&w[t - 15], 3))?;
            let s1 = xor3(&rotr(&w[t - 2], 17), &rotr(&w[t - 2], 19), &shr(&w[t - 2], 10))?;
            let mut sum = Sum::new();
            for x in [&s1, &w[t - 7], &s0, &w[t - 16]] {
                sum.add_word(x);
            }
            w.push(sum.into_word(2)?);
        }
        let mut v = state.clone();
        for t in 0..64 {
            let (a, b, c, d, e, f, g, h) = (&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            let mut t1 = Sum::new();
            t1.add_word(h);
            t1.add_word(&xor3(&rotr(e, 6), &rotr(e, 11), &rotr(e, 25))?);
            ch(&mut t1, e, f, g)?;
            t1.add_u32(K[t]);
            t1.add_word(&w[t]);
            let mut new_e = Sum { lc: t1.lc.clone(), value: t1.value, cs: t1.cs.clone() };
            new_e.add_word(d);
            let mut new_a = t1;
            new_a.add_word(&xor3(&rotr(a, 2), &rotr(a, 13), &rotr(a, 22))?);
            maj(&mut new_a, a, b, c)?;
            let (new_a, new_e) = (new_a.into_word(3)?, new_e.into_word(3)?);
            v = vec![new_a, a.clone(), b.clone(), c.clone(), new_e, e.clone(), f.clone(), g.clone()];
        }
        state = state
            .iter()
            .zip(&v)
            .map(|(s, x)| {
                let mut sum = Sum::new();
                sum.add_word(s);
                sum.add_word(x);
                sum.into_word(1)
            })
            .collect::<Result<_, _>>()?;
    }
    // Digest: each word big-endian, each byte as 8 little-endian bits.
    Ok(state.iter().flat_map(|w| be_bytes_of(w)).collect())
}
