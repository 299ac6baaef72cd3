//! A whole Groth16 ceremony played on one machine from secrets it knows: a Powers of Tau file
//! (phase 1, prepared for phase 2) and a zkey with real phase-2 contribution records (proofs of
//! knowledge, a beacon), both in snarkjs's layout, as `snarkjs powersoftau`, `zkey new`, `zkey
//! contribute` and `zkey beacon` would write them for the same secrets. `snarkjs zkey verify`
//! accepts what this writes (the ceremony test checks it).
//!
//! **For tests and benchmarks only**: whoever runs this knows τ, α, β and δ and can forge
//! proofs. It lets the import and its checks be tested, and measured at production size, without
//! snarkjs's hours of `powersoftau prepare phase2`.

use super::{
    r1cs::Synthesized,
    rng,
    zkey::{RawContribution, g1_uncompressed, g2_uncompressed, hash_pub_key},
};
use ark_bn254::{Fq, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, scalar_mul::ScalarMul};
use ark_ff::{BigInteger, Field, PrimeField, UniformRand, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use blake2::{Blake2b512, Digest};
use rand_core::RngCore;
use std::io::{self, Write};

/// Phase 1's secrets.
pub struct Phase1 {
    /// τ.
    pub tau: Fr,
    /// α.
    pub alpha: Fr,
    /// β.
    pub beta: Fr,
}

impl Phase1 {
    /// Random secrets.
    pub fn random(rng: &mut impl RngCore) -> Self {
        Self { tau: Fr::rand(rng), alpha: Fr::rand(rng), beta: Fr::rand(rng) }
    }
}

/// One phase-2 contribution.
pub enum Contributor {
    /// A contributor with this secret (`zkey contribute`).
    Secret {
        /// The name it records.
        name: String,
        /// Its secret x: δ is multiplied by it.
        secret: Fr,
    },
    /// A beacon (`zkey beacon`): the secret is drawn from the hash.
    Beacon {
        /// The name it records.
        name: String,
        /// The beacon hash.
        hash: Vec<u8>,
        /// log₂ of the SHA-256 iterations.
        exp: u8,
    },
}

impl Contributor {
    /// A contributor with a random secret.
    pub fn random(name: &str, rng: &mut impl RngCore) -> Self {
        Self::Secret { name: name.into(), secret: Fr::rand(rng) }
    }
}

fn g1_lem(p: &G1Affine) -> Vec<u8> {
    match p.xy() {
        Some((x, y)) => [x.0.to_bytes_le(), y.0.to_bytes_le()].concat(),
        None => vec![0; 64],
    }
}

fn g2_lem(p: &G2Affine) -> Vec<u8> {
    match p.xy() {
        Some((x, y)) => {
            [x.c0.0.to_bytes_le(), x.c1.0.to_bytes_le(), y.c0.0.to_bytes_le(), y.c1.0.to_bytes_le()].concat()
        }
        None => vec![0; 128],
    }
}

fn g1s(scalars: &[Fr]) -> Vec<G1Affine> {
    G1Projective::generator().batch_mul(scalars)
}

fn g2s(scalars: &[Fr]) -> Vec<G2Affine> {
    G2Projective::generator().batch_mul(scalars)
}

fn u32le(n: usize) -> [u8; 4] {
    (n as u32).to_le_bytes()
}

/// L_k(τ) for the domain of `size` points; with `truncated`, as snarkjs computes the top level
/// of its τ·G1 Lagrange section, from the powers with τ^(size−1) missing (set to zero):
/// L_k(τ) − ω^k·τ^(size−1)/size.
fn lagrange(tau: Fr, size: usize, truncated: bool) -> Vec<Fr> {
    let domain = Radix2EvaluationDomain::<Fr>::new(size).expect("a power-of-two domain below 2^28");
    let mut l = domain.evaluate_all_lagrange_coefficients(tau);
    if truncated {
        let top = tau.pow([size as u64 - 1]) * domain.size_inv();
        for (k, w) in l.iter_mut().zip(domain.elements()) {
            *k -= w * top;
        }
    }
    l
}

fn powers(x: Fr, count: usize, times: Fr) -> Vec<Fr> {
    let mut out = Vec::with_capacity(count);
    let mut p = times;
    for _ in 0..count {
        out.push(p);
        p *= x;
    }
    out
}

/// Writes a Powers of Tau file of 2^`power` points, prepared for phase 2, for `p1`'s secrets
/// (sections 1–7 and 12–15; the phase-1 contribution list is empty). `progress` hears of each
/// section.
pub fn write_ptau(p1: &Phase1, power: u32, out: &mut impl Write, progress: &dyn Fn(&str)) -> io::Result<()> {
    let n = 1usize << power;
    let levels = |top: u32| (0..=top).map(|p| 1usize << p).sum::<usize>();
    out.write_all(b"ptau")?;
    out.write_all(&1u32.to_le_bytes())?;
    out.write_all(&11u32.to_le_bytes())?;
    let section = |out: &mut dyn Write, kind: u32, size: usize| -> io::Result<()> {
        out.write_all(&kind.to_le_bytes())?;
        out.write_all(&(size as u64).to_le_bytes())
    };
    section(out, 1, 44)?;
    out.write_all(&u32le(32))?;
    out.write_all(&Fq::MODULUS.to_bytes_le())?;
    out.write_all(&power.to_le_bytes())?;
    out.write_all(&power.to_le_bytes())?;
    let write_g1 = |out: &mut dyn Write, points: &[G1Affine]| -> io::Result<()> {
        points.iter().try_for_each(|p| out.write_all(&g1_lem(p)))
    };
    let write_g2 = |out: &mut dyn Write, points: &[G2Affine]| -> io::Result<()> {
        points.iter().try_for_each(|p| out.write_all(&g2_lem(p)))
    };
    progress("τ powers in G1");
    section(out, 2, (2 * n - 1) * 64)?;
    write_g1(out, &g1s(&powers(p1.tau, 2 * n - 1, Fr::from(1u64))))?;
    progress("τ powers in G2");
    section(out, 3, n * 128)?;
    write_g2(out, &g2s(&powers(p1.tau, n, Fr::from(1u64))))?;
    progress("ατ and βτ powers");
    section(out, 4, n * 64)?;
    write_g1(out, &g1s(&powers(p1.tau, n, p1.alpha)))?;
    section(out, 5, n * 64)?;
    write_g1(out, &g1s(&powers(p1.tau, n, p1.beta)))?;
    section(out, 6, 128)?;
    write_g2(out, &g2s(&[p1.beta]))?;
    section(out, 7, 4)?;
    out.write_all(&0u32.to_le_bytes())?;
    progress("Lagrange τ points in G1");
    section(out, 12, levels(power + 1) * 64)?;
    for p in 0..=power + 1 {
        write_g1(out, &g1s(&lagrange(p1.tau, 1 << p, p == power + 1)))?;
    }
    progress("Lagrange τ points in G2");
    section(out, 13, levels(power) * 128)?;
    for p in 0..=power {
        write_g2(out, &g2s(&lagrange(p1.tau, 1 << p, false)))?;
    }
    progress("Lagrange ατ and βτ points");
    for (kind, times) in [(14, p1.alpha), (15, p1.beta)] {
        section(out, kind, levels(power) * 64)?;
        for p in 0..=power {
            let l: Vec<Fr> = lagrange(p1.tau, 1 << p, false).into_iter().map(|x| x * times).collect();
            write_g1(out, &g1s(&l))?;
        }
    }
    Ok(())
}

/// The zkey that `snarkjs zkey new` (from a Powers of Tau of 2^`ptau_power` points made with
/// `p1`) followed by `contributors` would write for the circuit `s`. `rng` draws the
/// contributors' g1_s.
pub fn zkey(
    p1: &Phase1,
    ptau_power: u32,
    s: &Synthesized,
    contributors: &[Contributor],
    rng: &mut impl RngCore,
) -> Vec<u8> {
    let (m, pubs, wires, n) = (s.constraints(), s.public_inputs(), s.wires(), s.domain_size());
    let l = lagrange(p1.tau, n, false);
    // Each wire's a(τ), b(τ), c(τ).
    let mut abc = [vec![Fr::zero(); wires], vec![Fr::zero(); wires], vec![Fr::zero(); wires]];
    for (poly, matrix) in abc.iter_mut().zip(&s.matrices) {
        for (row, lk) in matrix.iter().zip(&l) {
            for (c, j) in row {
                poly[*j] += *c * lk;
            }
        }
    }
    for j in 0..=pubs {
        abc[0][j] += l[m + j];
    }
    let [a, b, c] = &abc;
    let combined: Vec<Fr> = (0..wires).map(|j| p1.beta * a[j] + p1.alpha * b[j] + c[j]).collect();
    let two_n = 2 * n;
    let odd: Vec<Fr> = lagrange(p1.tau, two_n, two_n == 2 << ptau_power).into_iter().skip(1).step_by(2).collect();

    let (alpha1, beta1, beta2) = (g1s(&[p1.alpha])[0], g1s(&[p1.beta])[0], g2s(&[p1.beta])[0]);
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    let (ic, init_c) = (g1s(&combined[..=pubs]), g1s(&combined[pubs + 1..]));
    let (a_points, b1_points, b2_points) = (g1s(a), g1s(b), g2s(b));

    // The circuit hash of the initial key, as zkey new computes it.
    let mut cs = Blake2b512::new();
    for p in [alpha1, beta1] {
        cs.update(g1_uncompressed(&p));
    }
    cs.update(g2_uncompressed(&beta2));
    cs.update(g2_uncompressed(&g2));
    cs.update(g1_uncompressed(&g1));
    cs.update(g2_uncompressed(&g2));
    let hash_g1s = |cs: &mut Blake2b512, points: &[G1Affine]| {
        cs.update((points.len() as u32).to_be_bytes());
        points.iter().for_each(|p| cs.update(g1_uncompressed(p)));
    };
    hash_g1s(&mut cs, &ic);
    // zkey new hashes τ^(n+i) − τ^i for i below n − 1, in chunks of 2^14 that it does not cut
    // short (so n of them from 2^15 points on), after the count n − 1.
    let chunk = (n - 1).min(1 << 14);
    let hashed = (n - 1).div_ceil(chunk.max(1)) * chunk;
    cs.update(((n - 1) as u32).to_be_bytes());
    let tau_n = p1.tau.pow([n as u64]);
    let h_points = g1s(&powers(p1.tau, hashed, tau_n - Fr::from(1u64)));
    h_points.iter().for_each(|p| cs.update(g1_uncompressed(p)));
    hash_g1s(&mut cs, &init_c);
    hash_g1s(&mut cs, &a_points);
    hash_g1s(&mut cs, &b1_points);
    cs.update((b2_points.len() as u32).to_be_bytes());
    b2_points.iter().for_each(|p| cs.update(g2_uncompressed(p)));
    let mut cs_hash = [0u8; 64];
    cs_hash.copy_from_slice(&cs.finalize());

    // The contributions.
    let mut accumulated = Blake2b512::new();
    accumulated.update(cs_hash);
    let mut delta = Fr::from(1u64);
    let mut records = Vec::new();
    for contributor in contributors {
        let (name, secret, g1_s, beacon) = match contributor {
            Contributor::Secret { name, secret } => (name, *secret, (g1 * Fr::rand(rng)).into_affine(), None),
            Contributor::Beacon { name, hash, exp } => {
                let (secret, g1_s) = rng::beacon_key(hash, *exp).expect("a beacon of at most 2^32 iterations");
                (name, secret, g1_s, Some((hash.clone(), *exp)))
            }
        };
        let g1_sx = (g1_s * secret).into_affine();
        let mut t = accumulated.clone();
        t.update(g1_uncompressed(&g1_s));
        t.update(g1_uncompressed(&g1_sx));
        let mut transcript = [0u8; 64];
        transcript.copy_from_slice(&t.finalize());
        let g2_spx = (rng::hash_to_g2(&transcript) * secret).into_affine();
        delta *= secret;
        let delta_after = (g1 * delta).into_affine();
        let raw = RawContribution { delta_after, g1_s, g1_sx, g2_spx, transcript, beacon };
        hash_pub_key(&mut accumulated, &raw);
        records.push((name.clone(), raw));
    }

    let delta_inv = delta.inverse().expect("δ is not zero");
    let over_delta = |v: &[Fr]| g1s(&v.iter().map(|x| *x * delta_inv).collect::<Vec<_>>());
    let mut sections: Vec<(u32, Vec<u8>)> = vec![(1, 1u32.to_le_bytes().to_vec())];
    let mut h = [u32le(32).to_vec(), Fq::MODULUS.to_bytes_le(), u32le(32).to_vec(), Fr::MODULUS.to_bytes_le()].concat();
    h.extend([u32le(wires), u32le(pubs), u32le(n)].concat());
    h.extend([g1_lem(&alpha1), g1_lem(&beta1), g2_lem(&beta2), g2_lem(&g2)].concat());
    h.extend([g1_lem(&(g1 * delta).into_affine()), g2_lem(&(g2 * delta).into_affine())].concat());
    sections.push((2, h));
    sections.push((3, ic.iter().flat_map(g1_lem).collect()));
    // Coefficients c·R² (the Montgomery form of c·R): A and B of each constraint, then the
    // public-input rows.
    let mut coeffs = Vec::new();
    let mut count = 0;
    let mut push = |matrix: u32, row: usize, wire: usize, c: Fr| {
        let twice = Fr::from_bigint(c.0).expect("below the modulus");
        coeffs.extend(
            [matrix.to_le_bytes().to_vec(), u32le(row).to_vec(), u32le(wire).to_vec(), twice.0.to_bytes_le()].concat(),
        );
        count += 1;
    };
    for row in 0..m {
        for (matrix, rows) in [(0, &s.matrices[0]), (1, &s.matrices[1])] {
            for (c, wire) in &rows[row] {
                push(matrix, row, *wire, *c);
            }
        }
    }
    for wire in 0..=pubs {
        push(0, m + wire, wire, Fr::from(1u64));
    }
    sections.push((4, [u32le(count).to_vec(), coeffs].concat()));
    sections.push((5, a_points.iter().flat_map(g1_lem).collect()));
    sections.push((6, b1_points.iter().flat_map(g1_lem).collect()));
    sections.push((7, b2_points.iter().flat_map(g2_lem).collect()));
    sections.push((8, over_delta(&combined[pubs + 1..]).iter().flat_map(g1_lem).collect()));
    sections.push((9, over_delta(&odd).iter().flat_map(g1_lem).collect()));
    let mut mpc = cs_hash.to_vec();
    mpc.extend(u32le(records.len()));
    for (name, c) in &records {
        mpc.extend([g1_lem(&c.delta_after), g1_lem(&c.g1_s), g1_lem(&c.g1_sx), g2_lem(&c.g2_spx)].concat());
        mpc.extend(c.transcript);
        mpc.extend(u32le(usize::from(c.beacon.is_some())));
        let mut params = Vec::new();
        let name = &name.as_bytes()[..name.len().min(64)];
        if !name.is_empty() {
            params.extend([1, name.len() as u8]);
            params.extend(name);
        }
        if let Some((hash, exp)) = &c.beacon {
            params.extend([2, *exp, 3, hash.len() as u8]);
            params.extend(hash);
        }
        mpc.extend(u32le(params.len()));
        mpc.extend(params);
    }
    sections.push((10, mpc));
    let mut out = [b"zkey".to_vec(), u32le(1).to_vec(), u32le(sections.len()).to_vec()].concat();
    for (kind, body) in sections {
        out.extend([kind.to_le_bytes().to_vec(), (body.len() as u64).to_le_bytes().to_vec(), body].concat());
    }
    out
}

/// Where section `kind`'s body starts in a zkey (or ptau) file, and its size: for tests that
/// tamper with one part of a file.
pub fn section_offset(bytes: &[u8], kind: u32) -> Option<(usize, usize)> {
    let mut pos = 12;
    while pos + 12 <= bytes.len() {
        let k = u32::from_le_bytes(bytes[pos..pos + 4].try_into().ok()?);
        let size = usize::try_from(u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().ok()?)).ok()?;
        if k == kind {
            return Some((pos + 12, size));
        }
        pos += 12 + size;
    }
    None
}

/// The G1 and G2 encodings a zkey uses (little-endian Montgomery coordinates), for tests that
/// write a point into a file.
pub fn encode_g1(p: &G1Affine) -> Vec<u8> {
    g1_lem(p)
}

/// See [`encode_g1`].
pub fn encode_g2(p: &G2Affine) -> Vec<u8> {
    g2_lem(p)
}
