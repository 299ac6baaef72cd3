//! Checking a ceremony's zkey as `snarkjs zkey verify` does, in Rust: against the Powers of Tau
//! file and the circuit this build synthesises, so that a key nobody can forge with is the only
//! kind that imports.
//!
//! 1. **The contributions.** Each one's transcript is the hash of the circuit hash, every
//!    earlier contribution and its own key; its proof of knowledge holds (g1_s, g1_sx and
//!    hashToG2(transcript), g2_spx are powers of one secret x); its δ is the previous one times
//!    x; a beacon's key is the one its beacon gives. δ₁ is the last δ and not the generator,
//!    and δ₂ is δ₁'s twin in G2.
//! 2. **The header.** α₁, β₁ and β₂ are the Powers of Tau's, γ₂ is the G2 generator.
//! 3. **The points**, each for the whole section at once: with random 128-bit weights ρⱼ per
//!    wire (σᵢ per H point), Σ ρⱼ·Aⱼ must equal the Powers of Tau's Lagrange points Lₖ(τ)
//!    weighted by Σⱼ ρⱼ·A[k][j] (the circuit's coefficients), and so for B₁; B₂ pairs with B₁;
//!    IC and C (L) satisfy e(Σ ρ·IC, G2)·e(Σ ρ·L, δ₂) = e(Σ a·Lτ, β₂)·e(α₁, Σ ρ·B₂)·e(Σ c·Lτ, G2),
//!    that is ICⱼ = βaⱼ(τ) + αbⱼ(τ) + cⱼ(τ) and Lⱼ the same over δ; and H·δ is the odd-indexed
//!    Lagrange τ points of the domain of twice the size. A point off by anything passes with
//!    probability 2^−128: the MSMs cost about what two proofs do, instead of recomputing every
//!    point.
//!
//! What is not redone: snarkjs also recomputes the circuit hash (a hash of every point of the
//! initial key, which needs all of them); here the points it covers are checked directly, and
//! the transcripts chain from the hash the zkey records.

use super::{
    ptau::Ptau,
    r1cs::Synthesized,
    rng,
    zkey::{Progress, RawContribution, Res, Zkey, g1_uncompressed, hash_pub_key},
};
use crate::msm::msm;
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, pairing::Pairing};
use ark_ff::{PrimeField, Zero};
use ark_relations::gr1cs::Matrix;
use blake2::{Blake2b512, Digest};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;

/// e(a₁, b₂) = e(b₁, a₂): b is a by the same secret in both groups.
fn same_ratio(a1: G1Affine, b1: G1Affine, a2: G2Affine, b2: G2Affine) -> bool {
    Bn254::multi_pairing([a1, -b1], [b2, a2]).is_zero()
}

/// Checks the chain of phase-2 contributions and δ (step 1 of the module documentation).
pub(super) fn check_contributions(zkey: &Zkey) -> Res<()> {
    let (delta_g1, delta_g2) = (zkey.pk.delta_g1, zkey.pk.vk.delta_g2);
    let mut accumulated = Blake2b512::new();
    accumulated.update(zkey.cs_hash);
    let mut delta = G1Affine::generator();
    for (i, c) in zkey.raw.iter().enumerate() {
        let n = i + 1;
        check_contribution(n, c, delta, &accumulated)?;
        hash_pub_key(&mut accumulated, c);
        delta = c.delta_after;
    }
    if zkey.raw.is_empty() {
        return Err("the zkey has no phase-2 contribution: its δ is still the generator, so anyone could forge \
                    proofs; run `snarkjs zkey contribute` (and `zkey beacon`) first"
            .into());
    }
    if delta_g1 != delta {
        return Err("the key's δ₁ is not the last contribution's δ".into());
    }
    if delta_g1 == G1Affine::generator() {
        return Err("the key's δ is still the generator (the contributions multiply it by 1), so anyone could \
                    forge proofs"
            .into());
    }
    if !same_ratio(G1Affine::generator(), delta_g1, G2Affine::generator(), delta_g2) {
        return Err("δ₂ does not match δ₁ (it is not δ₁'s secret times the G2 generator): anyone could forge \
                    proofs with this key"
            .into());
    }
    Ok(())
}

fn check_contribution(n: usize, c: &RawContribution, before: G1Affine, accumulated: &Blake2b512) -> Res<()> {
    if c.g1_s.is_zero() || c.g1_sx.is_zero() || c.g2_spx.is_zero() || c.delta_after.is_zero() {
        return Err(format!("contribution #{n} has a key or δ at infinity"));
    }
    let mut ours = accumulated.clone();
    ours.update(g1_uncompressed(&c.g1_s));
    ours.update(g1_uncompressed(&c.g1_sx));
    if ours.finalize().as_slice() != c.transcript {
        return Err(format!(
            "contribution #{n}'s transcript is not the hash of the circuit hash, the contributions before it and \
             its key"
        ));
    }
    let g2_sp = rng::hash_to_g2(&c.transcript);
    if !same_ratio(c.g1_s, c.g1_sx, g2_sp, c.g2_spx) {
        return Err(format!("contribution #{n}'s proof of knowledge fails: its G1 and G2 keys are not for one secret"));
    }
    if !same_ratio(before, c.delta_after, g2_sp, c.g2_spx) {
        return Err(format!("contribution #{n}'s δ is not the previous δ times its secret"));
    }
    if let Some((hash, exp)) = &c.beacon {
        let (secret, g1_s) = rng::beacon_key(hash, *exp).ok_or_else(|| {
            format!(
                "contribution #{n} is a beacon of 2^{exp} iterations; this check runs at most 2^{}",
                rng::MAX_BEACON_EXP
            )
        })?;
        if g1_s != c.g1_s || (g1_s * secret).into_affine() != c.g1_sx {
            return Err(format!("contribution #{n} is a beacon, but its key is not the one its beacon hash gives"));
        }
    }
    Ok(())
}

/// Random weights of 128 bits.
fn weights(rng: &mut ChaCha20Rng, n: usize) -> Vec<Fr> {
    (0..n).map(|_| Fr::from((u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64()))).collect()
}

fn g1_msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let s: Vec<_> = scalars.par_iter().map(|x| x.into_bigint()).collect();
    msm(bases, &s)
}

fn g2_msm(bases: &[G2Affine], scalars: &[Fr]) -> G2Projective {
    let s: Vec<_> = scalars.par_iter().map(|x| x.into_bigint()).collect();
    msm(bases, &s)
}

/// Σⱼ ρⱼ·M[k][j] for each constraint k, in a vector of the domain's size.
fn rows(matrix: &Matrix<Fr>, rho: &[Fr], n: usize) -> Vec<Fr> {
    let mut out = vec![Fr::zero(); n];
    out.par_iter_mut().zip(matrix).for_each(|(o, row)| *o = row.iter().map(|(c, j)| *c * rho[*j]).sum());
    out
}

/// The weighted rows of A, B and C; A with the public-input rows (a_{m+j} = 1 for input j).
fn weighted(s: &Synthesized, rho: &[Fr], n: usize) -> Res<[Vec<Fr>; 3]> {
    let [a, b, c] = &s.matrices[..] else { return Err("the circuit does not have three matrices".into()) };
    let mut ra = rows(a, rho, n);
    let m = s.constraints();
    for (j, r) in rho.iter().enumerate().take(s.public_inputs() + 1) {
        ra[m + j] += r;
    }
    Ok([ra, rows(b, rho, n), rows(c, rho, n)])
}

/// Checks the header and every point against the Powers of Tau and the circuit (steps 2 and 3 of
/// the module documentation), and the contributions first.
pub(super) fn check(zkey: &Zkey, s: &Synthesized, ptau: &mut Ptau, progress: Progress<'_>) -> Res<()> {
    progress("checking the phase-2 contributions");
    check_contributions(zkey)?;
    let n = zkey.domain_size;
    let power = n.trailing_zeros();
    if n > 1usize << ptau.power.min(40) {
        return Err(format!(
            "the Powers of Tau file holds 2^{} points; this circuit's domain needs 2^{power}",
            ptau.power
        ));
    }
    let pk = &zkey.pk;
    let another = "the zkey was made from another Powers of Tau";
    if pk.vk.alpha_g1 != ptau.alpha_g1()? {
        return Err(format!("α₁ is not the Powers of Tau file's: {another}"));
    }
    if pk.beta_g1 != ptau.beta_g1()? {
        return Err(format!("β₁ is not the Powers of Tau file's: {another}"));
    }
    let beta_g2 = ptau.beta_g2()?;
    if pk.vk.beta_g2 != beta_g2 {
        return Err(format!("β₂ is not the Powers of Tau file's: {another}"));
    }
    if pk.vk.gamma_g2 != G2Affine::generator() {
        return Err("γ₂ is not the G2 generator (snarkjs's γ)".into());
    }

    progress(&format!("reading the Powers of Tau's Lagrange points for 2^{power} and 2^{}", power + 1));
    let lagrange = ptau.lagrange_g1(n)?;
    let odd: Vec<G1Affine> = ptau.lagrange_g1(2 * n)?.into_iter().skip(1).step_by(2).collect();

    let mut rng = ChaCha20Rng::from_entropy();
    let rho = weights(&mut rng, s.wires());
    let [ra, rb, rc] = weighted(s, &rho, n)?;
    let private = s.public_inputs() + 1;
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    let points_wrong = |what: &str| format!("the {what} points are not what the Powers of Tau and this circuit give");

    progress("checking the A points");
    let ta = g1_msm(&lagrange, &ra).into_affine();
    if g1_msm(&pk.a_query, &rho).into_affine() != ta {
        return Err(points_wrong("A"));
    }
    progress("checking the B₁ and B₂ points");
    let tb = g1_msm(&lagrange, &rb).into_affine();
    if g1_msm(&pk.b_g1_query, &rho).into_affine() != tb {
        return Err(points_wrong("B₁"));
    }
    let sb2 = g2_msm(&pk.b_g2_query, &rho).into_affine();
    if !same_ratio(g1, tb, g2, sb2) {
        return Err(points_wrong("B₂"));
    }

    progress("checking the IC and C (L) points");
    let tc = g1_msm(&lagrange, &rc).into_affine();
    let ic = g1_msm(&pk.vk.gamma_abc_g1, &rho[..private]).into_affine();
    let l = g1_msm(&pk.l_query, &rho[private..]).into_affine();
    let holds = |ic: G1Affine, l: G1Affine, ta: G1Affine, b2: G2Affine, tc: G1Affine| {
        Bn254::multi_pairing([ic, l, -ta, -pk.vk.alpha_g1, -tc], [g2, pk.vk.delta_g2, beta_g2, b2, g2]).is_zero()
    };
    if !holds(ic, l, ta, sb2, tc) {
        // Which one: the same check with the public inputs' weights alone.
        let mut public = rho.clone();
        public[private..].iter_mut().for_each(|r| *r = Fr::zero());
        let [pa, _, pc] = weighted(s, &public, n)?;
        let pb2 = g2_msm(&pk.b_g2_query[..private], &rho[..private]).into_affine();
        let (pa, pc) = (g1_msm(&lagrange, &pa).into_affine(), g1_msm(&lagrange, &pc).into_affine());
        return Err(if holds(ic, G1Affine::zero(), pa, pb2, pc) {
            format!("{} for the key's δ", points_wrong("C (L)"))
        } else {
            format!("{} (γ = 1)", points_wrong("IC"))
        });
    }

    progress("checking the H points");
    let sigma = weights(&mut rng, n);
    let h = g1_msm(&pk.h_query, &sigma).into_affine();
    let expected = g1_msm(&odd, &sigma).into_affine();
    if !Bn254::multi_pairing([h, -expected], [pk.vk.delta_g2, g2]).is_zero() {
        return Err("the H points are not what the Powers of Tau give for the key's δ".into());
    }
    Ok(())
}
