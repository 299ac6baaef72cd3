//! EdDSA over Baby Jubjub with Poseidon, compatible with circomlibjs (`prv2pub`, `signPoseidon`,
//! `verifyPoseidon`, `packPoint`, `packSignature`).
//!
//! Points are held in circomlib's twisted Edwards form (a = 168700, d = 168696), the form the
//! circuit and every circom-based wallet use. Scalar multiplication is delegated to
//! `ark-ed-on-bn254`, whose curve is the isomorphic form with a = 1; [`Point::to_ark`] and
//! [`Point::from_ark`] convert at that edge by scaling x with a fixed square root of 168700.

use crate::{
    field::{Fr, fr_from_decimal},
    poseidon::poseidon,
};
use ark_ec::{CurveGroup, twisted_edwards::Projective};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsConfig};
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, Zero};
use blake_hash::{Blake512, Digest};
use num_bigint::BigUint;
use std::sync::OnceLock;

/// The Baby Jubjub prime-order subgroup's scalar field (`subOrder` in circomlibjs).
pub type Scalar = ark_ed_on_bn254::Fr;

/// circomlib's curve coefficient a.
pub const COEFF_A: u64 = 168_700;
/// circomlib's curve coefficient d.
pub const COEFF_D: u64 = 168_696;

/// A Baby Jubjub point in circomlib's coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Point {
    /// x coordinate.
    pub x: Fr,
    /// y coordinate.
    pub y: Fr,
}

fn sqrt_a() -> Fr {
    static S: OnceLock<Fr> = OnceLock::new();
    *S.get_or_init(|| {
        Fr::from(COEFF_A).sqrt().unwrap_or_else(|| unreachable!("168700 is a square in the BN254 scalar field"))
    })
}

impl Point {
    /// The identity (0, 1).
    pub const IDENTITY: Point = Point { x: Fr::ZERO, y: Fr::ONE };

    /// circomlib's `Base8`, the generator of the prime-order subgroup used for keys.
    pub fn base8() -> Point {
        static B: OnceLock<Point> = OnceLock::new();
        *B.get_or_init(|| {
            let parse = |s| fr_from_decimal(s).unwrap_or_else(|| unreachable!("constant"));
            Point {
                x: parse("5299619240641551281634865583518297030282874472190772894086521144482721001553"),
                y: parse("16950150798460657717958625567821834550301663161624707787222815936182638968203"),
            }
        })
    }

    /// Whether the point satisfies circomlib's curve equation a x^2 + y^2 = 1 + d x^2 y^2.
    pub fn is_on_curve(&self) -> bool {
        let (x2, y2) = (self.x.square(), self.y.square());
        Fr::from(COEFF_A) * x2 + y2 == Fr::ONE + Fr::from(COEFF_D) * x2 * y2
    }

    /// Whether the point lies in the curve's 8-torsion (the identity, (0, −1) and the points of
    /// order 4 and 8): for such a key 8·A is the identity, so one signature verifies for every
    /// message. Equivalently, 4·A has x = 0.
    pub fn is_small_order(&self) -> bool {
        self.mul_bigint([8u64]) == Point::IDENTITY
    }

    /// The eight points of the curve's small-order subgroup: the identity, (0, −1), the two of
    /// order 4 (y = 0) and the four of order 8. None of them is a valid key.
    pub fn small_order_points() -> [Point; 8] {
        let parse = |s| fr_from_decimal(s).unwrap_or_else(|| unreachable!("constant"));
        let x4 = parse("18930368022820495955728484915491405972470733850014661777449844430438130630919");
        let x8 = parse("17545522957889784193459637215142187266023652151580582754000402781682644312291");
        let y8 = parse("17061719626832259898845741003733890968968767993363194771977168648564009544074");
        [
            Point::IDENTITY,
            Point { x: Fr::ZERO, y: -Fr::ONE },
            Point { x: x4, y: Fr::ZERO },
            Point { x: -x4, y: Fr::ZERO },
            Point { x: x8, y: y8 },
            Point { x: x8, y: -y8 },
            Point { x: -x8, y: y8 },
            Point { x: -x8, y: -y8 },
        ]
    }

    /// Whether the point may be an account's key: on the curve and not of small order.
    pub fn is_valid_key(&self) -> bool {
        self.is_on_curve() && !self.is_small_order()
    }

    /// The same point on `ark-ed-on-bn254`'s curve (a = 1).
    pub fn to_ark(&self) -> EdwardsAffine {
        EdwardsAffine::new_unchecked(self.x * sqrt_a(), self.y)
    }

    /// The point of `ark-ed-on-bn254`'s curve in circomlib's coordinates.
    pub fn from_ark(p: &EdwardsAffine) -> Point {
        static INV: OnceLock<Fr> = OnceLock::new();
        let inv = INV.get_or_init(|| sqrt_a().inverse().unwrap_or_else(|| unreachable!("nonzero")));
        Point { x: p.x * inv, y: p.y }
    }

    /// Point addition (complete for points on the curve).
    pub fn add(&self, other: &Point) -> Point {
        let sum: Projective<EdwardsConfig> = self.to_ark() + other.to_ark();
        Point::from_ark(&sum.into_affine())
    }

    /// `k * self` for any non-negative integer k given as little-endian limbs.
    pub fn mul_bigint(&self, k: impl AsRef<[u64]>) -> Point {
        let p: Projective<EdwardsConfig> = self.to_ark().into();
        Point::from_ark(&ark_ec::PrimeGroup::mul_bigint(&p, k).into_affine())
    }

    /// `k * self` for an integer k.
    pub fn mul(&self, k: &BigUint) -> Point {
        self.mul_bigint(k.to_u64_digits())
    }

    /// `k * Base8` from a precomputed table of 8-bit windows (32 mixed additions, no doublings).
    pub fn mul_base8(k: &BigUint) -> Point {
        Point::from_ark(&Self::mul_base8_projective(k).into_affine())
    }

    fn mul_base8_projective(k: &BigUint) -> Projective<EdwardsConfig> {
        const WINDOWS: usize = 32;
        static TABLE: OnceLock<Vec<Vec<EdwardsAffine>>> = OnceLock::new();
        let table = TABLE.get_or_init(|| {
            let mut base: Projective<EdwardsConfig> = Point::base8().to_ark().into();
            (0..WINDOWS)
                .map(|_| {
                    let mut row = Vec::with_capacity(256);
                    let mut acc = Projective::<EdwardsConfig>::zero();
                    for _ in 0..256 {
                        row.push(acc);
                        acc += base;
                    }
                    base = acc;
                    Projective::normalize_batch(&row)
                })
                .collect()
        });
        let bytes = k.to_bytes_le();
        if bytes.len() > WINDOWS {
            let base: Projective<EdwardsConfig> = Point::base8().to_ark().into();
            return ark_ec::PrimeGroup::mul_bigint(&base, k.to_u64_digits());
        }
        bytes.iter().zip(table).fold(Projective::<EdwardsConfig>::zero(), |acc, (b, row)| acc + row[*b as usize])
    }

    /// circomlibjs `packPoint`: y little-endian, top bit set when x > (p - 1) / 2.
    pub fn pack(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.y.into_bigint().to_bytes_le());
        if is_negative(&self.x) {
            out[31] |= 0x80;
        }
        out
    }

    /// circomlibjs `unpackPoint`: `None` when the bytes do not name a curve point.
    pub fn unpack(bytes: &[u8; 32]) -> Option<Point> {
        let mut y_bytes = *bytes;
        let negative = y_bytes[31] & 0x80 != 0;
        y_bytes[31] &= 0x7f;
        let y_int = BigUint::from_bytes_le(&y_bytes);
        if y_int >= Fr::MODULUS.into() {
            return None;
        }
        let y = Fr::from(y_int);
        let y2 = y.square();
        let x2 = (Fr::ONE - y2) * (Fr::from(COEFF_A) - Fr::from(COEFF_D) * y2).inverse()?;
        let mut x = x2.sqrt()?;
        if is_negative(&x) != negative {
            x = -x;
        }
        if negative && x.is_zero() {
            return None;
        }
        Some(Point { x, y })
    }
}

fn is_negative(x: &Fr) -> bool {
    let n: BigUint = x.into_bigint().into();
    let half: BigUint = Fr::MODULUS_MINUS_ONE_DIV_TWO.into();
    n > half
}

/// A public key: a point, normally in the prime-order subgroup.
pub type PublicKey = Point;

/// A signature (R8, S) as circomlibjs makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The nonce commitment r * Base8.
    pub r8: Point,
    /// The response, reduced modulo the subgroup order.
    pub s: Scalar,
}

impl Signature {
    /// circomlibjs `packSignature`: packed R8 then S little-endian (64 bytes).
    pub fn pack(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.r8.pack());
        out[32..].copy_from_slice(&self.s.into_bigint().to_bytes_le());
        out
    }

    /// circomlibjs `unpackSignature`, refusing a non-point R8 or an S not below the subgroup order.
    pub fn unpack(bytes: &[u8; 64]) -> Option<Signature> {
        let mut r8 = [0u8; 32];
        r8.copy_from_slice(&bytes[..32]);
        let s = BigUint::from_bytes_le(&bytes[32..]);
        if s >= Scalar::MODULUS.into() {
            return None;
        }
        Some(Signature { r8: Point::unpack(&r8)?, s: Scalar::from(s) })
    }
}

/// A 32-byte private key; the signing scalar is derived from it with Blake-512 as in circomlibjs.
#[derive(Clone)]
pub struct PrivateKey(pub [u8; 32]);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

impl PrivateKey {
    fn expanded(&self) -> ([u8; 32], [u8; 32]) {
        let h = Blake512::digest(&self.0);
        let mut s = [0u8; 32];
        s.copy_from_slice(&h[..32]);
        s[0] &= 0xf8;
        s[31] &= 0x7f;
        s[31] |= 0x40;
        let mut prefix = [0u8; 32];
        prefix.copy_from_slice(&h[32..64]);
        (s, prefix)
    }

    /// The secret scalar k with public key k · Base8 (Blake-512 of the key, pruned, shifted right
    /// by 3): for tools and tests that build signatures by hand.
    pub fn key_scalar(&self) -> BigUint {
        BigUint::from_bytes_le(&self.expanded().0) >> 3
    }

    /// circomlibjs `prv2pub`.
    pub fn public_key(&self) -> PublicKey {
        let (s, _) = self.expanded();
        Point::mul_base8(&(BigUint::from_bytes_le(&s) >> 3))
    }

    /// circomlibjs `signPoseidon`: a deterministic signature of one field element.
    pub fn sign(&self, msg: Fr) -> Signature {
        let (s, prefix) = self.expanded();
        let a = Point::mul_base8(&(BigUint::from_bytes_le(&s) >> 3));
        let mut compose = [0u8; 64];
        compose[..32].copy_from_slice(&prefix);
        compose[32..].copy_from_slice(&msg.into_bigint().to_bytes_le());
        let r = Scalar::from_le_bytes_mod_order(&Blake512::digest(&compose));
        let r8 = Point::mul_base8(&r.into_bigint().into());
        let hm = challenge(&r8, &a, msg);
        let hm = Scalar::from_le_bytes_mod_order(&hm.into_bigint().to_bytes_le());
        let s = r + hm * Scalar::from_le_bytes_mod_order(&s);
        Signature { r8, s }
    }
}

/// The Fiat-Shamir challenge Poseidon(R8x, R8y, Ax, Ay, msg).
pub fn challenge(r8: &Point, a: &PublicKey, msg: Fr) -> Fr {
    poseidon(&[r8.x, r8.y, a.x, a.y, msg])
}

/// circomlibjs `verifyPoseidon`: S * Base8 == R8 + 8 * challenge * A, both points on the curve.
pub fn verify(a: &PublicKey, msg: Fr, sig: &Signature) -> bool {
    if !a.is_on_curve() || !sig.r8.is_on_curve() {
        return false;
    }
    let hm: BigUint = challenge(&sig.r8, a, msg).into_bigint().into();
    // Compared in projective coordinates: no field inversions.
    let left = Point::mul_base8_projective(&sig.s.into_bigint().into());
    let a8h =
        ark_ec::PrimeGroup::mul_bigint(&Projective::<EdwardsConfig>::from(a.to_ark()), (hm * 8u32).to_u64_digits());
    let right = a8h + sig.r8.to_ark();
    left == right
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key with a small-order component: verification must equal the circuit's
    /// S·Base8 == R8 + h·(8A), whatever shortcut the native code takes.
    #[test]
    fn verification_matches_the_circuit_formula_for_keys_with_small_order_parts() {
        let key = PrivateKey([5; 32]);
        let (s, _) = key.expanded();
        let order_two = Point { x: Fr::ZERO, y: -Fr::ONE };
        assert!(order_two.is_on_curve());
        let a = key.public_key().add(&order_two);
        let msg = Fr::from(99u64);
        let r = Scalar::from(12_345u64);
        let r8 = Point::mul_base8(&r.into_bigint().into());
        let h = challenge(&r8, &a, msg);
        let sig = Signature {
            r8,
            s: r + Scalar::from_le_bytes_mod_order(&h.into_bigint().to_bytes_le())
                * Scalar::from_le_bytes_mod_order(&s),
        };
        let h_int: BigUint = h.into_bigint().into();
        let circuit_formula = Point::base8().mul(&sig.s.into_bigint().into()) == sig.r8.add(&a.mul(&(h_int * 8u32)));
        assert!(circuit_formula);
        assert!(verify(&a, msg, &sig));
        assert!(!verify(&key.public_key(), msg, &sig), "the challenge binds the key");
    }
}
