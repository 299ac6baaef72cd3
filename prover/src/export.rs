//! Proof and verifying-key encodings: the Ethereum precompiles' and snarkjs's.

use ark_bn254::{Bn254, Fq, Fq2, G1Affine, G2Affine};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Proof, VerifyingKey};
use causeway_protocol::field::fr_to_decimal;
use serde_json::{Value, json};

fn fq_be(x: &Fq) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

fn fq_dec(x: &Fq) -> String {
    x.into_bigint().to_string()
}

/// G1 for the precompiles: x ‖ y, 32-byte big-endian each.
pub fn g1_eth(p: &G1Affine) -> Vec<u8> {
    [fq_be(&p.x), fq_be(&p.y)].concat()
}

/// G2 for the precompiles: x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0 (imaginary part first).
pub fn g2_eth(p: &G2Affine) -> Vec<u8> {
    let f = |x: &Fq2| [fq_be(&x.c1), fq_be(&x.c0)].concat();
    [f(&p.x), f(&p.y)].concat()
}

/// A proof as `submitBatch` takes it: A (64 bytes) ‖ B (128) ‖ C (64) = 256 bytes.
pub fn proof_eth(proof: &Proof<Bn254>) -> Vec<u8> {
    [g1_eth(&proof.a), g2_eth(&proof.b), g1_eth(&proof.c)].concat()
}

fn fq_of(bytes: &[u8]) -> Option<Fq> {
    let x = Fq::from_be_bytes_mod_order(bytes);
    // Canonical only: the precompiles refuse coordinates at or above the modulus.
    (fq_be(&x) == bytes).then_some(x)
}

fn g1_of(b: &[u8]) -> Option<G1Affine> {
    let p = G1Affine::new_unchecked(fq_of(&b[0..32])?, fq_of(&b[32..64])?);
    (p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve()).then_some(p)
}

fn g2_of(b: &[u8]) -> Option<G2Affine> {
    let f = |b: &[u8]| Some(Fq2::new(fq_of(&b[32..64])?, fq_of(&b[0..32])?));
    let p = G2Affine::new_unchecked(f(&b[0..64])?, f(&b[64..128])?);
    (p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve()).then_some(p)
}

/// Reads [`proof_eth`] back: `None` for a wrong length, a non-canonical coordinate or a point
/// off its curve or subgroup.
pub fn proof_from_eth(bytes: &[u8]) -> Option<Proof<Bn254>> {
    if bytes.len() != 256 {
        return None;
    }
    Some(Proof { a: g1_of(&bytes[0..64])?, b: g2_of(&bytes[64..192])?, c: g1_of(&bytes[192..256])? })
}

/// The verifying key for the contract: alpha (G1) ‖ beta, gamma, delta (G2) ‖ IC[0] … IC[n] (G1),
/// n the number of public inputs (1 for the batch circuit, 5 for the exit circuit).
pub fn vk_eth(vk: &VerifyingKey<Bn254>) -> Vec<u8> {
    let mut out = g1_eth(&vk.alpha_g1);
    for g2 in [&vk.beta_g2, &vk.gamma_g2, &vk.delta_g2] {
        out.extend(g2_eth(g2));
    }
    for ic in &vk.gamma_abc_g1 {
        out.extend(g1_eth(ic));
    }
    out
}

/// Reads [`vk_eth`] back (as the contract's `verifyingKey()` returns it): `None` for a length
/// that is not 448 + 64·k bytes (k ≥ 1), a non-canonical coordinate or a point off its curve or
/// subgroup.
pub fn vk_from_eth(bytes: &[u8]) -> Option<VerifyingKey<Bn254>> {
    if bytes.len() < 448 + 64 || !(bytes.len() - 448).is_multiple_of(64) {
        return None;
    }
    let gamma_abc_g1 = bytes[448..].chunks(64).map(g1_of).collect::<Option<Vec<_>>>()?;
    Some(VerifyingKey {
        alpha_g1: g1_of(&bytes[0..64])?,
        beta_g2: g2_of(&bytes[64..192])?,
        gamma_g2: g2_of(&bytes[192..320])?,
        delta_g2: g2_of(&bytes[320..448])?,
        gamma_abc_g1,
    })
}

fn g1_json(p: &G1Affine) -> Value {
    json!([fq_dec(&p.x), fq_dec(&p.y), "1"])
}

fn g2_json(p: &G2Affine) -> Value {
    json!([[fq_dec(&p.x.c0), fq_dec(&p.x.c1)], [fq_dec(&p.y.c0), fq_dec(&p.y.c1)], ["1", "0"]])
}

/// snarkjs `verification_key.json`.
pub fn vk_snarkjs(vk: &VerifyingKey<Bn254>) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len() - 1,
        "vk_alpha_1": g1_json(&vk.alpha_g1),
        "vk_beta_2": g2_json(&vk.beta_g2),
        "vk_gamma_2": g2_json(&vk.gamma_g2),
        "vk_delta_2": g2_json(&vk.delta_g2),
        "IC": vk.gamma_abc_g1.iter().map(g1_json).collect::<Vec<_>>(),
    })
}

/// snarkjs `proof.json`.
pub fn proof_snarkjs(proof: &Proof<Bn254>) -> Value {
    json!({
        "pi_a": g1_json(&proof.a),
        "pi_b": g2_json(&proof.b),
        "pi_c": g1_json(&proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// snarkjs's public signals: the commitment as a decimal string.
pub fn public_signals(commitment: &causeway_protocol::Fr) -> Vec<String> {
    vec![fr_to_decimal(commitment)]
}

/// snarkjs `public.json`: [`public_signals`] as JSON.
pub fn public_snarkjs(commitment: &causeway_protocol::Fr) -> Value {
    json!(public_signals(commitment))
}
