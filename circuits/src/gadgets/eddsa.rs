//! Baby Jubjub point arithmetic in circomlib's form and the EdDSA-Poseidon check.

use super::{
    Bit, ConstraintF, FrVar,
    bits::{alloc_bits, enforce_zero_if},
    poseidon::poseidon,
};
use ark_ff::{AdditiveGroup, BigInteger, PrimeField};
use ark_r1cs_std::{fields::FieldVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use causeway_protocol::eddsa::{COEFF_A, COEFF_D, Point, Scalar};
use num_bigint::BigUint;

/// Bits of a signature's S (the subgroup order is below 2^251).
const S_BITS: usize = 251;
/// Window width of the fixed-base multiplication.
const WINDOW: usize = 3;

/// A point variable in circomlib's coordinates.
#[derive(Clone)]
pub struct PointVar {
    /// x.
    pub x: FrVar,
    /// y.
    pub y: FrVar,
}

impl PointVar {
    /// A constant point.
    pub fn constant(p: Point) -> Self {
        Self { x: FrVar::constant(p.x), y: FrVar::constant(p.y) }
    }

    /// Allocates a witness point (not checked to be on the curve).
    pub fn new_witness(cs: ConstraintSystemRef<ConstraintF>, p: Option<Point>) -> Result<Self, SynthesisError> {
        Ok(Self {
            x: FrVar::new_witness(cs.clone(), || p.map(|p| p.x).ok_or(SynthesisError::AssignmentMissing))?,
            y: FrVar::new_witness(cs, || p.map(|p| p.y).ok_or(SynthesisError::AssignmentMissing))?,
        })
    }

    /// Twisted Edwards addition (complete on the curve): 6 constraints.
    pub fn add(&self, other: &Self) -> Result<Self, SynthesisError> {
        let a = ConstraintF::from(COEFF_A);
        let d = ConstraintF::from(COEFF_D);
        let beta = &self.x * &other.y;
        let gamma = &self.y * &other.x;
        let delta = (&self.y - &self.x * a) * (&other.x + &other.y);
        let tau = &beta * &gamma;
        let x = (&beta + &gamma).mul_by_inverse_unchecked(&(FrVar::one() + &tau * d))?;
        let y = (&delta + &beta * a - &gamma).mul_by_inverse_unchecked(&(FrVar::one() - &tau * d))?;
        Ok(Self { x, y })
    }

    /// Doubling for a point on the curve: 5 constraints. Uses the curve equation to write the
    /// denominators as a x^2 + y^2 and 2 - a x^2 - y^2 (both nonzero on the curve), so the point
    /// must be on the curve (an off-curve point gives a wrong result, never an error).
    pub fn double(&self) -> Result<Self, SynthesisError> {
        let a = ConstraintF::from(COEFF_A);
        let xy = &self.x * &self.y;
        let ax2 = self.x.square()? * a;
        let y2 = self.y.square()?;
        let x = (&xy + &xy).mul_by_inverse_unchecked(&(&ax2 + &y2))?;
        let y = (&y2 - &ax2).mul_by_inverse_unchecked(&(FrVar::constant(ConstraintF::from(2u64)) - &ax2 - &y2))?;
        Ok(Self { x, y })
    }

    /// `b ? other : self`: 2 constraints.
    pub fn select(&self, b: &FrVar, other: &Self) -> Self {
        Self { x: &self.x + b * &(&other.x - &self.x), y: &self.y + b * &(&other.y - &self.y) }
    }

    /// `k * self` for little-endian bits of k and a point on the curve, in 2-bit windows over
    /// the table (O, P, 2P, 3P): per window two doublings, a 6-constraint selection and one
    /// addition, about 11 constraints per bit.
    pub fn mul_bits(&self, bits: &[Bit]) -> Result<Self, SynthesisError> {
        let identity = Self::constant(Point::IDENTITY);
        let p2 = self.double()?;
        let table = [identity.clone(), self.clone(), p2.clone(), p2.add(self)?];
        let mut acc: Option<Self> = None;
        for window in bits.chunks(2).rev() {
            let b0 = FrVar::from(window[0].clone());
            let chosen = match window.get(1) {
                None => table[0].select(&b0, &table[1]),
                Some(b1) => {
                    let low = table[0].select(&b0, &table[1]);
                    let high = table[2].select(&b0, &table[3]);
                    low.select(&FrVar::from(b1.clone()), &high)
                }
            };
            acc = Some(match acc {
                None => chosen,
                Some(a) => {
                    let a = if window.len() == 2 { a.double()?.double()? } else { a.double()? };
                    a.add(&chosen)?
                }
            });
        }
        Ok(acc.unwrap_or(identity))
    }

    /// Enforces the curve equation when `cond` holds: 4 constraints.
    pub fn enforce_on_curve_if(&self, cond: &FrVar) -> Result<(), SynthesisError> {
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let lhs = &x2 * ConstraintF::from(COEFF_A) + &y2;
        let rhs = FrVar::one() + &x2 * &y2 * ConstraintF::from(COEFF_D);
        enforce_zero_if(cond, &(lhs - rhs))
    }
}

/// `k * Base8` for little-endian bits of k, with 3-bit windows over constant tables.
pub fn mul_base8(bits: &[Bit]) -> Result<PointVar, SynthesisError> {
    let mut acc: Option<PointVar> = None;
    let mut base = Point::base8();
    for window in bits.chunks(WINDOW) {
        let table: Vec<Point> = {
            let mut t = vec![Point::IDENTITY];
            for _ in 1..(1 << window.len()) {
                let next = t[t.len() - 1].add(&base);
                t.push(next);
            }
            t
        };
        let chosen = lookup(window, &table)?;
        acc = Some(match acc {
            None => chosen,
            Some(a) => a.add(&chosen)?,
        });
        base = base.mul(&BigUint::from(1u32 << WINDOW));
    }
    Ok(acc.unwrap_or_else(|| PointVar::constant(Point::IDENTITY)))
}

/// Selects `table[k]` for the little-endian bits of k with the multilinear interpolation of
/// the table: one constraint per product of two or more bits.
fn lookup(bits: &[Bit], table: &[Point]) -> Result<PointVar, SynthesisError> {
    let n = bits.len();
    // monomials[m] = product of the bits set in m.
    let mut monomials: Vec<FrVar> = vec![FrVar::one(); 1 << n];
    for m in 1..(1usize << n) {
        let low = m.trailing_zeros() as usize;
        let rest = m & (m - 1);
        let bit = FrVar::from(bits[low].clone());
        monomials[m] = if rest == 0 { bit } else { &monomials[rest] * &bit };
    }
    // Möbius transform: coefficient of monomial m = sum over subsets s of m of (-1)^{|m-s|} table[s].
    let coeff = |coord: &dyn Fn(&Point) -> ConstraintF, m: usize| {
        let mut c = ConstraintF::ZERO;
        let mut s = m;
        loop {
            let sign = (m ^ s).count_ones() % 2 == 1;
            let v = coord(&table[s]);
            if sign {
                c -= v
            } else {
                c += v
            }
            if s == 0 {
                break;
            }
            s = (s - 1) & m;
        }
        c
    };
    let combine = |coord: &dyn Fn(&Point) -> ConstraintF| {
        monomials.iter().enumerate().fold(FrVar::zero(), |acc, (m, mono)| acc + mono * coeff(coord, m))
    };
    Ok(PointVar { x: combine(&|p| p.x), y: combine(&|p| p.y) })
}

/// An allocated signature: R8 and the bits of S (checked below the subgroup order).
pub struct SignatureVar {
    r8: PointVar,
    s_bits: Vec<Bit>,
}

impl SignatureVar {
    /// Allocates a signature witness.
    pub fn new_witness(
        cs: ConstraintSystemRef<ConstraintF>,
        sig: Option<&causeway_protocol::Signature>,
    ) -> Result<Self, SynthesisError> {
        Self::new_witness_raw(cs, sig.map(|s| s.r8), sig.map(|s| BigUint::from(s.s.into_bigint())))
    }

    /// Allocates R8 and the 251 bits of an integer S, which is checked to be below the subgroup
    /// order (so that a test can give an S a [`causeway_protocol::Signature`] cannot hold).
    pub fn new_witness_raw(
        cs: ConstraintSystemRef<ConstraintF>,
        r8: Option<Point>,
        s: Option<BigUint>,
    ) -> Result<Self, SynthesisError> {
        let r8 = PointVar::new_witness(cs.clone(), r8)?;
        let s_bits = alloc_bits(cs.clone(), s.map(ConstraintF::from), S_BITS)?;
        let mut max = Scalar::MODULUS;
        max.sub_with_borrow(&1u64.into());
        let _rule = ark_relations::ns!(cs, "signature_s_below_order");
        Bit::enforce_smaller_or_equal_than_le(&s_bits, max)?;
        Ok(Self { r8, s_bits })
    }
}

/// Gadget twin of [`causeway_protocol::eddsa::verify`], enforced only when `cond` is 1:
/// S * Base8 == R8 + 8 * Poseidon(R8, A, msg) * A with R8 on the curve. Public keys are checked
/// to be on the curve (and not of small order) when accounts are created, not here; when `cond`
/// is 0 the key (an empty leaf's (0, 0), say) is replaced by Base8 so that every doubling works
/// on a curve point.
pub fn verify_if(cond: &FrVar, pk: &PointVar, msg: &FrVar, sig: &SignatureVar) -> Result<(), SynthesisError> {
    {
        let _rule = ark_relations::ns!(pk.x.cs(), "signature_r8_on_curve");
        sig.r8.enforce_on_curve_if(cond)?;
    }
    let h = poseidon(&[sig.r8.x.clone(), sig.r8.y.clone(), pk.x.clone(), pk.y.clone(), msg.clone()])?;
    let h_bits = h.to_bits_le()?;
    let key = PointVar::constant(Point::base8()).select(cond, pk);
    let pk8 = key.double()?.double()?.double()?;
    let right = sig.r8.add(&pk8.mul_bits(&h_bits)?)?;
    let left = mul_base8(&sig.s_bits)?;
    {
        let _rule = ark_relations::ns!(pk.x.cs(), "signature_equation_x");
        enforce_zero_if(cond, &(&left.x - &right.x))?;
    }
    let _rule = ark_relations::ns!(pk.x.cs(), "signature_equation_y");
    enforce_zero_if(cond, &(&left.y - &right.y))?;
    Ok(())
}
