//! Baby Jubjub point arithmetic in circomlib's form and the EdDSA-Poseidon check.

use super::{
    Bit, ConstraintF, FrVar,
    bits::{alloc_bits, enforce_canonical, enforce_less_than_constant_if, enforce_zero_if},
    poseidon::poseidon,
};
use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_r1cs_std::{fields::FieldVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use causeway_protocol::eddsa::{COEFF_A, COEFF_D, Point, Scalar};
use num_bigint::BigUint;

/// Bits of a signature's S (the subgroup order is below 2^251).
const S_BITS: usize = 251;
/// Window width of the fixed-base multiplication.
const WINDOW: usize = 3;
/// Windows of [`mul_base8`] on the Montgomery curve: 0..=82.
const FIXED_MONT_WINDOWS: usize = 83;

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

    /// `k * self` for the little-endian bits of k (at least two) and a point of the prime-order
    /// subgroup other than the identity (an identity or off-curve point leaves the constraints
    /// unsatisfiable or the result wrong, never an error).
    ///
    /// Right to left over the signed digits d_j = 2 e_j - 1 of E = (k >> 1) + 2^(n-1) (e_j is bit
    /// j + 1 of k, the top digit is +1): sum_j d_j 2^j = k - k_0 + 1, so one complete addition of
    /// -P when k_0 = 0 finishes. The doublings 2^j P and the additions run on the birationally
    /// equivalent Montgomery curve v^2 = u^3 + A u^2 + u (4 constraints per doubling, 3 per
    /// addition, 1 per digit's sign) while no addition can meet an exceptional case: before
    /// digit j the accumulator is a P with a odd and |a| < 2^j, so a ± 2^j is odd with
    /// |a ± 2^j| < 2^(j+1) <= 2^250 < l, never 0 mod the subgroup order l (the chord is never
    /// vertical, no sum is the identity), and no multiple has v = 0 (the subgroup has no
    /// 2-torsion). Digits from 250 on use complete twisted Edwards formulas. About 8
    /// constraints per bit, against 11 for 2-bit windows of complete additions.
    pub fn mul_bits(&self, bits: &[Bit]) -> Result<Self, SynthesisError> {
        let n = bits.len();
        if n < 2 {
            return Err(SynthesisError::Unsatisfiable);
        }
        // e_j for j < n - 1; the top digit is the constant +1.
        let digit = |j: usize| (j + 1 < n).then(|| FrVar::from(bits[j + 1].clone()));
        let p = MontVar::from_edwards(self)?;
        let mut acc = p.signed(digit(0).as_ref())?;
        let mut double = p;
        let last_mont = n.min(MONT_DIGITS);
        for j in 1..last_mont {
            double = double.double()?;
            acc = acc.add(&double.signed(digit(j).as_ref())?)?;
        }
        let mut acc = acc.to_edwards()?;
        if last_mont < n {
            let mut double = double.to_edwards()?;
            for j in last_mont..n {
                double = double.double()?;
                acc = acc.add(&double.signed(digit(j).as_ref()))?;
            }
        }
        // k_0 = 0: subtract P, else add the identity.
        let k0 = FrVar::from(bits[0].clone());
        let minus_p = Self { x: (&k0 - FrVar::one()) * &self.x, y: &self.y + &k0 * &(FrVar::one() - &self.y) };
        acc.add(&minus_p)
    }

    /// `d * self` for a digit `d = 2 e - 1` (+1 when `e` is `None`): 1 constraint.
    fn signed(&self, e: Option<&FrVar>) -> Self {
        match e {
            None => self.clone(),
            Some(e) => Self { x: e * &self.x * ConstraintF::from(2u64) - &self.x, y: self.y.clone() },
        }
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

/// Digits of [`PointVar::mul_bits`] added on the Montgomery curve: those below 250.
const MONT_DIGITS: usize = 250;
/// The Montgomery curve's A = 2 (a + d) / (a - d); its B = 4 / (a - d) is 1.
const MONT_A: u64 = (COEFF_A + COEFF_D) / 2;

/// A point on the Montgomery curve v^2 = u^3 + A u^2 + u, the image of an affine twisted
/// Edwards point other than (0, 1) and (0, -1) under u = (1 + y) / (1 - y), v = u / x.
#[derive(Clone)]
struct MontVar {
    u: FrVar,
    v: FrVar,
}

impl MontVar {
    /// The image of an Edwards point with y != 1 and x != 0: 2 constraints.
    fn from_edwards(p: &PointVar) -> Result<Self, SynthesisError> {
        let u = (FrVar::one() + &p.y).mul_by_inverse_unchecked(&(FrVar::one() - &p.y))?;
        let v = u.mul_by_inverse_unchecked(&p.x)?;
        Ok(Self { u, v })
    }

    /// Back to Edwards (v != 0, u != -1): 2 constraints.
    fn to_edwards(&self) -> Result<PointVar, SynthesisError> {
        Ok(PointVar {
            x: self.u.mul_by_inverse_unchecked(&self.v)?,
            y: (&self.u - FrVar::one()).mul_by_inverse_unchecked(&(&self.u + FrVar::one()))?,
        })
    }

    /// `d * self` for a digit `d = 2 e - 1` (+1 when `e` is `None`): 1 constraint.
    fn signed(&self, e: Option<&FrVar>) -> Result<Self, SynthesisError> {
        Ok(match e {
            None => self.clone(),
            Some(e) => Self { u: self.u.clone(), v: e * &self.v * ConstraintF::from(2u64) - &self.v },
        })
    }

    /// The sum of two points with different u (neither the identity): 3 constraints.
    fn add(&self, other: &Self) -> Result<Self, SynthesisError> {
        let lambda = (&other.v - &self.v).mul_by_inverse_unchecked(&(&other.u - &self.u))?;
        self.chord_end(&lambda, &(&self.u + &other.u))
    }

    /// Twice a point with v != 0: 4 constraints.
    fn double(&self) -> Result<Self, SynthesisError> {
        let uu = self.u.square()?;
        let numerator = &uu * ConstraintF::from(3u64) + &self.u * ConstraintF::from(2 * MONT_A) + FrVar::one();
        let lambda = numerator.mul_by_inverse_unchecked(&self.v.double()?)?;
        self.chord_end(&lambda, &self.u.double()?)
    }

    /// The third point on the line of slope `lambda` through `self` (u1 + u2 = `u_sum`), negated:
    /// u = lambda^2 - A - u1 - u2 and v = lambda (u1 - u) - v1, 2 constraints. Both are allocated
    /// (not left as combinations of the inputs), so that the accumulator's coordinates do not
    /// grow into combinations of every earlier step's variables.
    ///
    /// The two products are the rules `montgomery_chord_u` and `montgomery_chord_v`: without
    /// either, that coordinate is a free witness and a prover can steer the multiplication's
    /// result (the tests make such a witness with [`crate::tamper`]).
    fn chord_end(&self, lambda: &FrVar, u_sum: &FrVar) -> Result<Self, SynthesisError> {
        let cs = lambda.cs().or(self.u.cs()).or(u_sum.cs());
        let (du, dv) = crate::tamper::chord_offsets();
        let u_value = || Ok(lambda.value()?.square() - ConstraintF::from(MONT_A) - u_sum.value()? + du);
        let u = FrVar::new_witness(cs.clone(), u_value)?;
        {
            let _rule = ark_relations::ns!(cs, "montgomery_chord_u");
            lambda.mul_equals(lambda, &(&u + ConstraintF::from(MONT_A) + u_sum))?;
        }
        let v_value = || Ok(lambda.value()? * (self.u.value()? - u_value()?) - self.v.value()? + dv);
        let v = FrVar::new_witness(cs.clone(), v_value)?;
        let _rule = ark_relations::ns!(cs, "montgomery_chord_v");
        lambda.mul_equals(&(&self.u - &u), &(&v + &self.v))?;
        Ok(Self { u, v })
    }
}

/// `k * Base8` for little-endian bits of k, in 3-bit windows over constant tables.
///
/// Windows 0..=82 are added on the Montgomery curve (3 constraints an addition, not 6) from
/// tables offset by 2: window i selects (d + 2) 8^i Base8 for its digit d in 0..8, and one
/// constant addition of minus the offsets' sum (3 constraints) finishes. No addition meets an
/// exceptional case: before window j the accumulator is m Base8 with m between 2 (8^j - 1) / 7
/// and 9 (8^j - 1) / 7 < 2 * 8^j, at most the least addend t >= 2 * 8^j, and m + t < 10.3 * 8^j
/// <= 10.3 * 2^246 < l for j <= 82, so m != ±t mod the order l and no sum is the identity.
/// Later windows (the top two bits of a signature's S) use complete Edwards additions.
pub fn mul_base8(bits: &[Bit]) -> Result<PointVar, SynthesisError> {
    let windows: Vec<&[Bit]> = bits.chunks(WINDOW).collect();
    let mont = windows.len().min(FIXED_MONT_WINDOWS);
    let mut base = Point::base8();
    let mut offset = Point::IDENTITY;
    let mut acc: Option<MontVar> = None;
    for window in &windows[..mont] {
        let table: Vec<(ConstraintF, ConstraintF)> =
            (0..1u32 << window.len()).map(|d| to_montgomery(&base.mul(&BigUint::from(d + 2)))).collect();
        offset = offset.add(&base.mul(&BigUint::from(2u8)));
        let (u, v) = lookup(window, &table)?;
        let chosen = MontVar { u, v };
        acc = Some(match acc {
            None => chosen,
            Some(a) => a.add(&chosen)?,
        });
        base = base.mul(&BigUint::from(1u32 << WINDOW));
    }
    let mut acc = match acc {
        None => PointVar::constant(Point::IDENTITY),
        Some(a) => a.to_edwards()?.add(&PointVar::constant(Point { x: -offset.x, y: offset.y }))?,
    };
    for window in &windows[mont..] {
        let table: Vec<(ConstraintF, ConstraintF)> = (0..1u32 << window.len())
            .map(|d| {
                let p = base.mul(&BigUint::from(d));
                (p.x, p.y)
            })
            .collect();
        let (x, y) = lookup(window, &table)?;
        acc = acc.add(&PointVar { x, y })?;
        base = base.mul(&BigUint::from(1u32 << WINDOW));
    }
    Ok(acc)
}

/// The Montgomery coordinates of a constant point other than (0, 1) and (0, -1).
fn to_montgomery(p: &Point) -> (ConstraintF, ConstraintF) {
    let u = (ConstraintF::ONE + p.y) * (ConstraintF::ONE - p.y).inverse().unwrap_or_default();
    (u, u * p.x.inverse().unwrap_or_default())
}

/// Selects `table[k]` (two coordinates) for the little-endian bits of k with the multilinear
/// interpolation of the table. Up to two bits, one constraint per product of two or more bits;
/// from three on, the top bit splits the table in halves, interpolated over the lower bits'
/// monomials, and `low + top * (high - low)` costs one constraint per coordinate (3 for a 3-bit
/// table, not 4).
fn lookup(bits: &[Bit], table: &[(ConstraintF, ConstraintF)]) -> Result<(FrVar, FrVar), SynthesisError> {
    let n = bits.len();
    let (low_bits, top) = if n >= 3 { (&bits[..n - 1], Some(&bits[n - 1])) } else { (bits, None) };
    let monomials = monomials(low_bits);
    let half = 1 << low_bits.len();
    let coordinate = |values: Vec<ConstraintF>| {
        let low = interpolate(&monomials, &values[..half]);
        match top {
            None => low,
            Some(top) => {
                let high = interpolate(&monomials, &values[half..]);
                &low + FrVar::from(top.clone()) * &(high - &low)
            }
        }
    };
    Ok((coordinate(table.iter().map(|p| p.0).collect()), coordinate(table.iter().map(|p| p.1).collect())))
}

/// `monomials[m]` = the product of the bits set in m (one constraint per product of two or more).
fn monomials(bits: &[Bit]) -> Vec<FrVar> {
    let mut monomials: Vec<FrVar> = vec![FrVar::one(); 1 << bits.len()];
    for m in 1..(1usize << bits.len()) {
        let low = m.trailing_zeros() as usize;
        let rest = m & (m - 1);
        let bit = FrVar::from(bits[low].clone());
        monomials[m] = if rest == 0 { bit } else { &monomials[rest] * &bit };
    }
    monomials
}

/// The multilinear interpolation of `values` over `monomials` (no constraint): the coefficient
/// of monomial m is the sum over subsets s of m of (-1)^{|m - s|} values[s].
fn interpolate(monomials: &[FrVar], values: &[ConstraintF]) -> FrVar {
    let coeff = |m: usize| {
        let mut c = ConstraintF::ZERO;
        let mut s = m;
        loop {
            if (m ^ s).count_ones() % 2 == 1 {
                c -= values[s]
            } else {
                c += values[s]
            }
            if s == 0 {
                break;
            }
            s = (s - 1) & m;
        }
        c
    };
    monomials.iter().enumerate().fold(FrVar::zero(), |acc, (m, mono)| acc + mono * coeff(m))
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
        let _rule = ark_relations::ns!(cs, "signature_s_below_order");
        enforce_less_than_constant_if(&FrVar::one(), &s_bits, &Scalar::MODULUS.0)?;
        Ok(Self { r8, s_bits })
    }
}

/// The 254 little-endian bits of the challenge h, canonical: below the field modulus (h + p also
/// fits in 254 bits when h is small, and is another scalar mod the subgroup order). 255
/// constraints for the bits and 132 for the comparison, where `to_bits_le` spends 640.
pub fn challenge_bits(h: &FrVar) -> Result<Vec<Bit>, SynthesisError> {
    let bits = h.to_non_unique_bits_le()?;
    enforce_canonical_challenge(&bits)?;
    Ok(bits)
}

/// Enforces that the 254 bits of a challenge encode an integer below the field modulus.
pub fn enforce_canonical_challenge(bits: &[Bit]) -> Result<(), SynthesisError> {
    let _rule = ark_relations::ns!(bits.cs(), "signature_challenge_canonical");
    enforce_canonical(bits)?;
    Ok(())
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
    let h_bits = challenge_bits(&h)?;
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
