//! snarkjs's deterministic randomness, reproduced bit for bit: ffjavascript's ChaCha20 stream
//! (seeded with eight big-endian words of a hash), the field elements and curve points it draws
//! (`fromRng`), `hashToG2` (a phase-2 contribution's G2 point, drawn from its transcript) and the
//! beacon's iterated SHA-256. A contribution's proof of knowledge is checked against the point
//! `hashToG2` gives, so this must match snarkjs exactly; the ceremony test checks it against
//! real snarkjs contributions and beacons.
//!
//! Two quirks of ffjavascript are part of the format: `fromRng` draws a 254-bit integer v below
//! the modulus and stores it as the element's Montgomery form, so the element is v·R⁻¹ (R =
//! 2^256, arkworks' Montgomery constant too); and a point's y is the square root whose
//! "negativity" (above (p − 1)/2, looking at c1 unless it is zero for Fq2) is a drawn bit.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine, G2Projective, g1, g2};
use ark_ec::{CurveGroup, PrimeGroup, short_weierstrass::SWCurveConfig};
use ark_ff::{BigInt, Field, PrimeField, Zero};
use sha2::{Digest, Sha256};

/// ffjavascript's ChaCha20: a 256-bit key, a 128-bit block counter in words 12–15, no nonce,
/// and output taken a 32-bit word at a time.
pub(crate) struct ChaCha {
    state: [u32; 16],
    block: [u32; 16],
    used: usize,
}

impl ChaCha {
    /// Seeded with the first 32 bytes of `hash`, read as eight big-endian words.
    pub(crate) fn from_hash(hash: &[u8]) -> Self {
        let mut state = [0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        for (i, word) in state[4..12].iter_mut().enumerate() {
            let b = hash.get(i * 4..i * 4 + 4).unwrap_or(&[0; 4]);
            *word = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        }
        Self { state, block: [0; 16], used: 16 }
    }

    fn refill(&mut self) {
        fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
            s[a] = s[a].wrapping_add(s[b]);
            s[d] = (s[d] ^ s[a]).rotate_left(16);
            s[c] = s[c].wrapping_add(s[d]);
            s[b] = (s[b] ^ s[c]).rotate_left(12);
            s[a] = s[a].wrapping_add(s[b]);
            s[d] = (s[d] ^ s[a]).rotate_left(8);
            s[c] = s[c].wrapping_add(s[d]);
            s[b] = (s[b] ^ s[c]).rotate_left(7);
        }
        let mut b = self.state;
        for _ in 0..10 {
            quarter(&mut b, 0, 4, 8, 12);
            quarter(&mut b, 1, 5, 9, 13);
            quarter(&mut b, 2, 6, 10, 14);
            quarter(&mut b, 3, 7, 11, 15);
            quarter(&mut b, 0, 5, 10, 15);
            quarter(&mut b, 1, 6, 11, 12);
            quarter(&mut b, 2, 7, 8, 13);
            quarter(&mut b, 3, 4, 9, 14);
        }
        for (out, s) in b.iter_mut().zip(&self.state) {
            *out = out.wrapping_add(*s);
        }
        self.block = b;
        self.used = 0;
        for word in &mut self.state[12..16] {
            *word = word.wrapping_add(1);
            if *word != 0 {
                break;
            }
        }
    }

    fn next_u32(&mut self) -> u32 {
        if self.used == 16 {
            self.refill();
        }
        self.used += 1;
        self.block[self.used - 1]
    }

    /// The first word drawn is the high half.
    fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        (hi << 32) | u64::from(self.next_u32())
    }

    fn next_bool(&mut self) -> bool {
        self.next_u32() & 1 == 1
    }

    /// A 254-bit integer below `modulus` (BN254's moduli are both 254 bits), limb i the i-th
    /// 64-bit draw.
    fn below(&mut self, modulus: BigInt<4>) -> BigInt<4> {
        loop {
            let mut limbs = [0u64; 4];
            for limb in &mut limbs {
                *limb = self.next_u64();
            }
            limbs[3] &= (1 << (254 - 192)) - 1;
            let v = BigInt::new(limbs);
            if v < modulus {
                return v;
            }
        }
    }

    /// ffjavascript's `Fq.fromRng` (the drawn integer is the Montgomery form).
    pub(crate) fn fq(&mut self) -> Fq {
        Fq::new_unchecked(self.below(Fq::MODULUS))
    }

    /// ffjavascript's `Fr.fromRng` (the drawn integer is the Montgomery form).
    pub(crate) fn fr(&mut self) -> Fr {
        Fr::new_unchecked(self.below(Fr::MODULUS))
    }

    /// ffjavascript's `G1.fromRng`: x drawn until x³ + 3 is a square, y by a drawn sign bit
    /// (G1's cofactor is 1).
    pub(crate) fn g1(&mut self) -> G1Affine {
        loop {
            let x = self.fq();
            let greatest = self.next_bool();
            let rhs = x.square() * x + g1::Config::COEFF_B;
            if let Some(y) = rhs.sqrt() {
                let y = if fq_is_negative(&y) == greatest { y } else { -y };
                return G1Affine::new_unchecked(x, y);
            }
        }
    }

    /// ffjavascript's `G2.fromRng`: the same on the twist, then multiplied by the cofactor (as
    /// a plain scalar, which is how snarkjs clears it).
    pub(crate) fn g2(&mut self) -> G2Affine {
        loop {
            let x = Fq2::new(self.fq(), self.fq());
            let greatest = self.next_bool();
            let rhs = x.square() * x + g2::Config::COEFF_B;
            if let Some(y) = rhs.sqrt() {
                let y = if fq2_is_negative(&y) == greatest { y } else { -y };
                let p = G2Projective::from(G2Affine::new_unchecked(x, y));
                return p.mul_bigint(G2_COFACTOR).into_affine();
            }
        }
    }
}

/// ffjavascript's G2 cofactor, 2p − r.
const G2_COFACTOR: BigInt<4> =
    BigInt::new([0x345f2299c0f9fa8d, 0x06ceecda572a2489, 0xb85045b68181585e, 0x30644e72e131a029]);

fn fq_is_negative(x: &Fq) -> bool {
    x.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
}

fn fq2_is_negative(x: &Fq2) -> bool {
    if x.c1.is_zero() { fq_is_negative(&x.c0) } else { fq_is_negative(&x.c1) }
}

/// snarkjs's `hashToG2`: the G2 point a contribution's proof of knowledge is made for, drawn
/// from a ChaCha seeded with its transcript.
pub(crate) fn hash_to_g2(transcript: &[u8]) -> G2Affine {
    ChaCha::from_hash(transcript).g2()
}

/// The most beacon iterations (log₂) this verifier runs: 2^32 SHA-256 hashes take minutes.
pub(crate) const MAX_BEACON_EXP: u8 = 32;

/// snarkjs's `rngFromBeaconParams`: the beacon hash hashed with SHA-256 2^exp times seeds the
/// ChaCha the beacon's key is drawn from. `None` above [`MAX_BEACON_EXP`].
pub(crate) fn beacon_rng(beacon: &[u8], exp: u8) -> Option<ChaCha> {
    if exp > MAX_BEACON_EXP {
        return None;
    }
    let mut hash = beacon.to_vec();
    for _ in 0..(1u64 << exp) {
        hash = Sha256::digest(&hash).to_vec();
    }
    Some(ChaCha::from_hash(&hash))
}

/// The key a beacon contribution must have: its secret, and g1_s.
pub(crate) fn beacon_key(beacon: &[u8], exp: u8) -> Option<(Fr, G1Affine)> {
    let mut rng = beacon_rng(beacon, exp)?;
    let secret = rng.fr();
    let g1_s = rng.g1();
    Some((secret, g1_s))
}
