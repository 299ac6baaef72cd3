//! Multi-scalar multiplication with batch-affine bucket accumulation.
//!
//! Pippenger's method with signed c-bit windows, where a bucket is an affine point and the
//! additions into buckets are made in batches that share one field inversion (Montgomery's
//! trick). An affine addition that shares its inversion costs about 6 field multiplications;
//! arkworks' bucket addition (extended Jacobian coordinates) costs about 10. A batch never adds
//! twice into one bucket: a point whose bucket is already in the batch, or whose bucket holds
//! the same x (a doubling, or a sum that is the identity), goes into the bucket's projective
//! overflow instead, which handles every case. Windows are shared out among the threads.
//!
//! The result equals `VariableBaseMSM::msm_bigint` on every input (tests compare them on
//! random, bit-valued, repeated and opposite points, and on the identity).

use ark_ec::{
    AdditiveGroup, AffineRepr, VariableBaseMSM,
    short_weierstrass::{Affine, Projective, SWCurveConfig},
};
use ark_ff::{BigInteger, Field, One, PrimeField, Zero};
use rayon::prelude::*;

type BigIntOf<P> = <<P as ark_ec::CurveConfig>::ScalarField as PrimeField>::BigInt;

/// Below this many nonzero scalars, arkworks' MSM is used (the windows' fixed costs dominate).
const SMALL: usize = 1 << 10;
/// Additions per shared inversion.
const BATCH: usize = 2048;

/// Σ scalarsᵢ·basesᵢ over the shorter of the two slices.
pub fn msm<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[BigIntOf<P>]) -> Projective<P> {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    // Only nonzero scalars with a base that is not the identity contribute.
    let live: Vec<u32> = (0..n as u32)
        .into_par_iter()
        .filter(|&i| !scalars[i as usize].is_zero() && !bases[i as usize].is_zero())
        .collect();
    if live.len() < SMALL {
        let (b, s): (Vec<_>, Vec<_>) = live.iter().map(|&i| (bases[i as usize], scalars[i as usize])).unzip();
        return Projective::<P>::msm_bigint(&b, &s);
    }
    let c = window_bits(live.len());
    let bits = <P::ScalarField as PrimeField>::MODULUS_BIT_SIZE as usize;
    let windows = bits / c + 1;
    let digits = signed_digits::<P>(scalars, &live, c, windows);
    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| window_sum(bases, &live, &digits[w * live.len()..(w + 1) * live.len()], c))
        .collect();
    let mut acc = Projective::<P>::zero();
    for sum in sums.iter().rev() {
        for _ in 0..c {
            acc.double_in_place();
        }
        acc += sum;
    }
    acc
}

/// The window width for `n` points: 2^(c−1) buckets for about 2^(c+5) points (the buckets'
/// reduction stays a small part of a window's work); 8 to 16 bits (buckets stay in cache).
/// Measured best of log₂n − 3 … − 5 at 2^19 points.
fn window_bits(n: usize) -> usize {
    let log = usize::BITS as usize - n.leading_zeros() as usize;
    log.saturating_sub(5).clamp(8, 16)
}

/// The signed c-bit digits of the live scalars, window by window (`windows × live.len()`):
/// every digit but the last window's is in [−2^(c−1) + 1, 2^(c−1)]; the last is in
/// [0, 2^(c−1)] (it holds fewer than c bits and the carry).
fn signed_digits<P: SWCurveConfig>(scalars: &[BigIntOf<P>], live: &[u32], c: usize, windows: usize) -> Vec<i32> {
    let m = live.len();
    let mut digits = vec![0i32; windows * m];
    let half = 1i64 << (c - 1);
    let full = 1i64 << c;
    let mask = (1u64 << c) - 1;
    // Columns (one scalar's digits) are written by one task each; rows are windows.
    let columns: Vec<Vec<i32>> = live
        .par_iter()
        .map(|&i| {
            let limbs = scalars[i as usize].as_ref();
            let mut out = Vec::with_capacity(windows);
            let mut carry = 0i64;
            for w in 0..windows {
                let off = w * c;
                let (li, bo) = (off / 64, off % 64);
                let mut v = if li < limbs.len() { limbs[li] >> bo } else { 0 };
                if bo + c > 64 && li + 1 < limbs.len() {
                    v |= limbs[li + 1] << (64 - bo);
                }
                let mut d = (v & mask) as i64 + carry;
                carry = 0;
                if w + 1 < windows && d > half {
                    d -= full;
                    carry = 1;
                }
                out.push(d as i32);
            }
            out
        })
        .collect();
    for (j, column) in columns.into_iter().enumerate() {
        for (w, d) in column.into_iter().enumerate() {
            digits[w * m + j] = d;
        }
    }
    digits
}

/// Σ digitⱼ·baseⱼ for one window.
fn window_sum<P: SWCurveConfig>(bases: &[Affine<P>], live: &[u32], digits: &[i32], c: usize) -> Projective<P> {
    let mut buckets = Buckets::<P>::new(1 << (c - 1));
    for (&i, &d) in live.iter().zip(digits) {
        if d == 0 {
            continue;
        }
        let p = bases[i as usize];
        let p = if d < 0 { -p } else { p };
        buckets.add(d.unsigned_abs() as usize, p);
    }
    buckets.flush();
    buckets.sum()
}

/// A window's buckets 1..=size: affine points, a projective overflow each, and the batch of
/// additions waiting for their shared inversion.
struct Buckets<P: SWCurveConfig> {
    points: Vec<Affine<P>>,
    occupied: Vec<bool>,
    overflow: Vec<Projective<P>>,
    overflowed: Vec<bool>,
    /// The batch number a bucket was last put in (0: none yet).
    in_batch: Vec<u32>,
    batch_id: u32,
    batch: Vec<(usize, Affine<P>)>,
    scratch: Vec<P::BaseField>,
}

impl<P: SWCurveConfig> Buckets<P> {
    fn new(size: usize) -> Self {
        Self {
            points: vec![Affine::<P>::zero(); size + 1],
            occupied: vec![false; size + 1],
            overflow: vec![Projective::<P>::zero(); size + 1],
            overflowed: vec![false; size + 1],
            in_batch: vec![0; size + 1],
            batch_id: 1,
            batch: Vec::with_capacity(BATCH),
            scratch: Vec::with_capacity(BATCH),
        }
    }

    fn add(&mut self, k: usize, p: Affine<P>) {
        if !self.occupied[k] {
            self.points[k] = p;
            self.occupied[k] = true;
        } else if self.in_batch[k] == self.batch_id || self.points[k].x == p.x {
            self.overflow[k] += p;
            self.overflowed[k] = true;
        } else {
            self.in_batch[k] = self.batch_id;
            self.batch.push((k, p));
            if self.batch.len() == BATCH {
                self.flush();
            }
        }
    }

    /// Adds the batch into its buckets with one inversion: λ = (y₂ − y₁)/(x₂ − x₁),
    /// x₃ = λ² − x₁ − x₂, y₃ = λ(x₁ − x₃) − y₁ (no two in a batch share a bucket, and none has
    /// its bucket's x, so every denominator is nonzero).
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        // Prefix products of the denominators, one inversion, then back.
        self.scratch.clear();
        let mut acc = P::BaseField::one();
        for (k, p) in &self.batch {
            self.scratch.push(acc);
            acc *= p.x - self.points[*k].x;
        }
        let mut inv = acc.inverse().unwrap_or_default();
        for (j, (k, p)) in self.batch.iter().enumerate().rev() {
            let q = &mut self.points[*k];
            let dx = p.x - q.x;
            let lambda = (p.y - q.y) * inv * self.scratch[j];
            inv *= dx;
            let x3 = lambda.square() - q.x - p.x;
            let y3 = lambda * (q.x - x3) - q.y;
            *q = Affine::new_unchecked(x3, y3);
        }
        self.batch.clear();
        self.batch_id += 1;
    }

    /// Σ k·bucket_k, by running sums from the top bucket down.
    fn sum(&self) -> Projective<P> {
        let mut running = Projective::<P>::zero();
        let mut total = Projective::<P>::zero();
        for k in (1..self.points.len()).rev() {
            if self.occupied[k] {
                running += &self.points[k];
            }
            if self.overflowed[k] {
                running += &self.overflow[k];
            }
            total += &running;
        }
        total
    }
}

/// One MSM measured both ways: seconds with arkworks' `msm_bigint` and with [`msm`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct Measured {
    /// Points.
    pub points: usize,
    /// arkworks 0.6's `VariableBaseMSM::msm_bigint`.
    pub arkworks_s: f64,
    /// [`msm`].
    pub causeway_s: f64,
    /// Points per second per thread with [`msm`].
    pub causeway_points_per_s_per_thread: f64,
    /// Points per second per thread with arkworks.
    pub arkworks_points_per_s_per_thread: f64,
}

/// Times [`msm`] against arkworks on 2^`log_n` pseudo-random bases, with random scalars of
/// which a fraction `bits` (0 to 1) are 0 or 1 (as a witness's are); checks they agree.
pub fn measure<P: SWCurveConfig>(log_n: u32, bits: f64, seed: u64) -> Result<Measured, String> {
    use ark_std::{
        UniformRand,
        rand::{Rng, SeedableRng, rngs::StdRng},
    };
    let n = 1usize << log_n;
    let mut rng = StdRng::seed_from_u64(seed);
    let seeds: Vec<Projective<P>> = (0..64).map(|_| Projective::<P>::rand(&mut rng)).collect();
    // Cheap distinct points: running sums of random ones, normalised in parallel chunks.
    let bases: Vec<Affine<P>> = (0..n)
        .into_par_iter()
        .chunks(1 << 12)
        .flat_map_iter(|chunk| {
            let mut acc = seeds[chunk[0] % 64] * P::ScalarField::from(chunk[0] as u64 + 1);
            let pts: Vec<Projective<P>> = chunk
                .iter()
                .map(|&i| {
                    acc += seeds[(i * 7 + 3) % 64];
                    acc
                })
                .collect();
            ark_ec::CurveGroup::normalize_batch(&pts)
        })
        .collect();
    let scalars: Vec<BigIntOf<P>> = (0..n)
        .map(|_| {
            if rng.gen_bool(bits.clamp(0.0, 1.0)) {
                BigIntOf::<P>::from(u64::from(rng.gen_bool(0.5)))
            } else {
                P::ScalarField::rand(&mut rng).into_bigint()
            }
        })
        .collect();
    let threads = rayon::current_num_threads() as f64;
    let t = std::time::Instant::now();
    let ours = msm(&bases, &scalars);
    let causeway_s = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let theirs = Projective::<P>::msm_bigint(&bases, &scalars);
    let arkworks_s = t.elapsed().as_secs_f64();
    if ours != theirs {
        return Err("the two MSMs disagree".into());
    }
    Ok(Measured {
        points: n,
        arkworks_s,
        causeway_s,
        causeway_points_per_s_per_thread: n as f64 / causeway_s / threads,
        arkworks_points_per_s_per_thread: n as f64 / arkworks_s / threads,
    })
}

/// [`measure`] in BN254's G1.
pub fn measure_g1(log_n: u32, bits: f64) -> Result<Measured, String> {
    measure::<ark_bn254::g1::Config>(log_n, bits, 1)
}

/// [`measure`] in BN254's G2.
pub fn measure_g2(log_n: u32, bits: f64) -> Result<Measured, String> {
    measure::<ark_bn254::g2::Config>(log_n, bits, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    fn random_points<G: CurveGroup>(n: usize, rng: &mut StdRng) -> Vec<G::Affine> {
        let p: Vec<G> = (0..n.min(64)).map(|_| G::rand(rng)).collect();
        // Sums of a few random points: cheap, distinct and random enough.
        let mut out = Vec::with_capacity(n);
        let mut acc = G::zero();
        for i in 0..n {
            acc += p[i % p.len()];
            if i % 7 == 0 {
                acc += p[(i * 31) % p.len()];
            }
            out.push(acc);
        }
        G::normalize_batch(&out)
    }

    fn check_g1(bases: &[G1Affine], scalars: &[Fr]) {
        let big: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        assert_eq!(msm(bases, &big), G1Projective::msm_bigint(bases, &big));
    }

    #[test]
    fn equals_arkworks_on_random_scalars_and_points() {
        let mut rng = StdRng::seed_from_u64(1);
        for n in [0, 1, 5, 1023, 1024, 3000, 20_000] {
            let bases = random_points::<G1Projective>(n, &mut rng);
            let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            check_g1(&bases, &scalars);
        }
    }

    #[test]
    fn equals_arkworks_on_bits_small_values_and_zeros() {
        let mut rng = StdRng::seed_from_u64(2);
        let n = 10_000;
        let bases = random_points::<G1Projective>(n, &mut rng);
        let mixed: Vec<Fr> = (0..n)
            .map(|i| match i % 6 {
                0 => Fr::zero(),
                1 | 2 => Fr::one(),
                3 => -Fr::one(),
                4 => Fr::from((i * 977) as u64),
                _ => Fr::rand(&mut rng),
            })
            .collect();
        check_g1(&bases, &mixed);
        check_g1(&bases, &vec![Fr::one(); n]);
        check_g1(&bases, &vec![-Fr::one(); n]);
        check_g1(&bases, &vec![Fr::zero(); n]);
        // Digits at the windows' edges: 2^(c−1), 2^c − 1, and the largest scalar.
        let c = window_bits(n);
        let edges: Vec<Fr> = (0..n)
            .map(|i| match i % 4 {
                0 => Fr::from(1u64 << (c - 1)),
                1 => Fr::from((1u64 << c) - 1),
                2 => -Fr::one() - Fr::one(),
                _ => Fr::from((1u64 << (c - 1)) + 1),
            })
            .collect();
        check_g1(&bases, &edges);
    }

    #[test]
    fn equals_arkworks_on_repeated_opposite_and_identity_points() {
        let mut rng = StdRng::seed_from_u64(3);
        let n = 6000;
        let p = G1Projective::rand(&mut rng).into_affine();
        let q = G1Projective::rand(&mut rng).into_affine();
        // One point over and over (doublings into one bucket), its negation, and the identity.
        let bases: Vec<G1Affine> = (0..n)
            .map(|i| match i % 5 {
                0 | 1 => p,
                2 => -p,
                3 => G1Affine::zero(),
                _ => q,
            })
            .collect();
        let same: Vec<Fr> = vec![Fr::from(5u64); n];
        check_g1(&bases, &same);
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        check_g1(&bases, &scalars);
        // Terms that cancel exactly: the result is the identity.
        let cancel: Vec<G1Affine> = (0..n).map(|i| if i % 2 == 0 { p } else { -p }).collect();
        let ones = vec![Fr::one(); n];
        let big: Vec<_> = ones.iter().map(|s| s.into_bigint()).collect();
        assert!(msm(&cancel, &big).is_zero());
    }

    #[test]
    fn equals_arkworks_in_g2() {
        let mut rng = StdRng::seed_from_u64(4);
        let n = 4000;
        let bases: Vec<G2Affine> = random_points::<G2Projective>(n, &mut rng);
        let scalars: Vec<Fr> = (0..n).map(|i| if i % 3 == 0 { Fr::one() } else { Fr::rand(&mut rng) }).collect();
        let big: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        assert_eq!(msm(&bases, &big), G2Projective::msm_bigint(&bases, &big));
    }

    #[test]
    fn uses_only_the_shorter_slice() {
        let mut rng = StdRng::seed_from_u64(5);
        let bases = random_points::<G1Projective>(3000, &mut rng);
        let scalars: Vec<Fr> = (0..2500).map(|_| Fr::rand(&mut rng)).collect();
        check_g1(&bases, &scalars);
        check_g1(&bases[..2000], &scalars);
    }
}
