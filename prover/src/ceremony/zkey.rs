//! Reading snarkjs's Groth16 `.zkey` files, and importing a ceremony's final one as a key
//! directory.
//!
//! A zkey is a binary file of sections (`zkey`, version 1): 1 the protocol (1 = Groth16); 2 the
//! header (field sizes and moduli, wires, public inputs, domain size, α₁ β₁ β₂ γ₂ δ₁ δ₂); 3 the
//! IC points; 4 the A and B coefficients of the circuit; 5–9 the A, B₁, B₂, C (private wires)
//! and H points; 10 the ceremony (the circuit hash and each phase-2 contribution). Points are
//! affine, coordinates 32-byte little-endian in Montgomery form, (0, 0) for infinity;
//! coefficients are c·R² mod r, little-endian (snarkjs's prover multiplies them in Montgomery
//! form).
//!
//! A zkey is only trusted after [`super::verify`] has checked it the way `snarkjs zkey verify`
//! does, against the Powers of Tau file and this build's circuit: [`load`] does both.

use crate::{
    ceremony::{
        ptau::Ptau,
        r1cs::{Synthesized, synthesize_blank},
    },
    error::ProverError,
    groth16::{Prepared, Reduction},
    keys::{Circuit, KeyMetadata, Keys, circuit_id_of},
};
use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, PrimeField, Zero};
use ark_groth16::{ProvingKey, VerifyingKey};
use blake2::Blake2b512;
use causeway_circuits::CircuitParams;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::{collections::BTreeMap, path::Path, sync::Arc};

/// One phase-2 contribution, as `snarkjs zkey verify` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// The name the contributor gave (`--name`), if any.
    pub name: Option<String>,
    /// The contribution hash snarkjs prints (BLAKE2b-512 of the contributor's public key and
    /// transcript), 128 hex digits.
    pub hash: String,
    /// For a beacon (`zkey beacon`): the beacon hash, in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<String>,
    /// For a beacon: log2 of the hash iterations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon_iterations_exp: Option<u8>,
}

/// What a key directory imported from a ceremony records about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CeremonyRecord {
    /// SHA-256 of the final zkey file, in hex.
    pub zkey_sha256: String,
    /// The circuit hash snarkjs printed at `zkey new` (BLAKE2b-512 of the initial key), in hex.
    pub circuit_hash: String,
    /// The contributions, in order (the last is usually the beacon).
    pub contributions: Vec<Contribution>,
    /// BLAKE2b-512 of the Powers of Tau file the key was checked against, in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptau_blake2b: Option<String>,
}

/// A contribution's public key and transcript as the zkey records them: what its proof of
/// knowledge is checked on.
#[derive(Clone, Debug)]
pub(super) struct RawContribution {
    pub(super) delta_after: G1Affine,
    pub(super) g1_s: G1Affine,
    pub(super) g1_sx: G1Affine,
    pub(super) g2_spx: G2Affine,
    pub(super) transcript: [u8; 64],
    /// For a beacon: its hash and log₂ of its iterations.
    pub(super) beacon: Option<(Vec<u8>, u8)>,
}

/// A parsed zkey.
pub struct Zkey {
    /// Wires (1 + public inputs + private wires).
    pub wires: usize,
    /// Public inputs.
    pub public_inputs: usize,
    /// Size of the evaluation domain (a power of two above constraints + public inputs).
    pub domain_size: usize,
    /// The proving key (its verifying key inside).
    pub pk: ProvingKey<Bn254>,
    /// The ceremony (the zkey's SHA-256 included).
    pub ceremony: CeremonyRecord,
    /// The circuit hash (snarkjs's, of the initial key) the transcripts start from.
    pub(super) cs_hash: [u8; 64],
    /// The contributions' keys, in order.
    pub(super) raw: Vec<RawContribution>,
}

pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
    pub(super) what: &'static str,
}

pub(super) type Res<T> = Result<T, String>;

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("truncated in the {}", self.what))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub(super) fn u32(&mut self) -> Res<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn usize(&mut self) -> Res<usize> {
        Ok(self.u32()? as usize)
    }

    fn u64(&mut self) -> Res<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn u8(&mut self) -> Res<u8> {
        Ok(self.take(1)?[0])
    }

    pub(super) fn bigint(&mut self) -> Res<BigInt<4>> {
        let b = self.take(32)?;
        let mut limbs = [0u64; 4];
        for (i, limb) in limbs.iter_mut().enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            *limb = u64::from_le_bytes(w);
        }
        Ok(BigInt::new(limbs))
    }

    pub(super) fn g1(&mut self) -> Res<G1Affine> {
        let b = self.take(64)?;
        g1_at(b, self.what)
    }

    /// A G2 point; `subgroup` adds the (costly) subgroup check.
    pub(super) fn g2(&mut self, subgroup: bool) -> Res<G2Affine> {
        let p = g2_at(self.take(128)?, self.what)?;
        if subgroup && !p.is_in_correct_subgroup_assuming_on_curve() {
            return Err(format!("a G2 point in the {} is not in the group", self.what));
        }
        Ok(p)
    }

    pub(super) fn done(&self) -> Res<()> {
        if self.pos != self.bytes.len() {
            return Err(format!("the {} has {} bytes too many", self.what, self.bytes.len() - self.pos));
        }
        Ok(())
    }
}

/// A base-field coordinate in Montgomery form from its 32 bytes.
fn fq_at(b: &[u8], what: &str) -> Res<Fq> {
    let raw = Reader { bytes: b, pos: 0, what: "coordinate" }.bigint()?;
    if raw >= Fq::MODULUS {
        return Err(format!("a coordinate in the {what} is not below the field modulus"));
    }
    Ok(Fq::new_unchecked(raw))
}

/// A G1 point from its 64 bytes; (0, 0) is the identity.
fn g1_at(b: &[u8], what: &str) -> Res<G1Affine> {
    let (x, y) = (fq_at(&b[..32], what)?, fq_at(&b[32..64], what)?);
    if x.is_zero() && y.is_zero() {
        return Ok(G1Affine::zero());
    }
    let p = G1Affine::new_unchecked(x, y);
    // BN254's G1 has cofactor 1: on the curve is in the group.
    if !p.is_on_curve() {
        return Err(format!("a G1 point in the {what} is not on the curve"));
    }
    Ok(p)
}

/// A G2 point from its 128 bytes, checked on the curve (not in the subgroup: proving-key
/// points only, which the checks against the Powers of Tau bind).
fn g2_at(b: &[u8], what: &str) -> Res<G2Affine> {
    let x = Fq2::new(fq_at(&b[..32], what)?, fq_at(&b[32..64], what)?);
    let y = Fq2::new(fq_at(&b[64..96], what)?, fq_at(&b[96..128], what)?);
    if x.is_zero() && y.is_zero() {
        return Ok(G2Affine::zero());
    }
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(format!("a G2 point in the {what} is not on the curve"));
    }
    Ok(p)
}

/// Every G1 point of `bytes` (a whole number of them), decoded in parallel.
pub(super) fn decode_g1s(bytes: &[u8], what: &str) -> Res<Vec<G1Affine>> {
    if !bytes.len().is_multiple_of(64) {
        return Err(format!("the {what} are not a whole number of points"));
    }
    bytes.par_chunks(64).map(|b| g1_at(b, what)).collect()
}

fn decode_g2s(bytes: &[u8], what: &str) -> Res<Vec<G2Affine>> {
    if !bytes.len().is_multiple_of(128) {
        return Err(format!("the {what} are not a whole number of points"));
    }
    bytes.par_chunks(128).map(|b| g2_at(b, what)).collect()
}

/// The sections of a zkey file, by type.
fn sections(bytes: &[u8]) -> Res<BTreeMap<u32, &[u8]>> {
    let mut r = Reader { bytes, pos: 0, what: "file header" };
    if r.take(4)? != b"zkey" {
        return Err("not a zkey file (it does not start with \"zkey\")".into());
    }
    let version = r.u32()?;
    if version != 1 {
        return Err(format!("zkey version {version}, but only version 1 is known"));
    }
    let count = r.u32()?;
    let mut out = BTreeMap::new();
    for _ in 0..count {
        r.what = "section table";
        let kind = r.u32()?;
        let size = usize::try_from(r.u64()?).map_err(|_| "a section larger than memory".to_string())?;
        r.what = "last section";
        let body = r.take(size)?;
        if out.insert(kind, body).is_some() {
            return Err(format!("section {kind} appears twice"));
        }
    }
    r.done()?;
    Ok(out)
}

fn section<'a>(map: &BTreeMap<u32, &'a [u8]>, kind: u32, what: &'static str) -> Res<Reader<'a>> {
    let bytes = map.get(&kind).ok_or_else(|| format!("the {what} section ({kind}) is missing"))?;
    Ok(Reader { bytes, pos: 0, what })
}

fn fq_be(x: &Fq) -> Vec<u8> {
    x.into_bigint().to_bytes_be()
}

/// snarkjs's "uncompressed" encoding of a G1 point (x ‖ y, big-endian), which its hashes take.
pub(super) fn g1_uncompressed(p: &G1Affine) -> Vec<u8> {
    match p.xy() {
        Some((x, y)) => [fq_be(&x), fq_be(&y)].concat(),
        None => vec![0; 64],
    }
}

/// snarkjs's "uncompressed" G2: x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0, big-endian.
pub(super) fn g2_uncompressed(p: &G2Affine) -> Vec<u8> {
    match p.xy() {
        Some((x, y)) => [fq_be(&x.c1), fq_be(&x.c0), fq_be(&y.c1), fq_be(&y.c0)].concat(),
        None => vec![0; 128],
    }
}

/// snarkjs's contribution hash: BLAKE2b-512 of the contributor's public key and transcript.
pub(super) fn contribution_hash(c: &RawContribution) -> Blake2b512 {
    let mut h = Blake2b512::new();
    hash_pub_key(&mut h, c);
    h
}

/// snarkjs's `hashPubKey`: δ after, g1_s, g1_sx, g2_spx (uncompressed), transcript.
pub(super) fn hash_pub_key(h: &mut Blake2b512, c: &RawContribution) {
    h.update(g1_uncompressed(&c.delta_after));
    h.update(g1_uncompressed(&c.g1_s));
    h.update(g1_uncompressed(&c.g1_sx));
    h.update(g2_uncompressed(&c.g2_spx));
    h.update(c.transcript);
}

/// Reads section 10: the circuit hash and each contribution, with the hash snarkjs reports for
/// it. Whether the contributions hold is [`super::verify`]'s.
fn contributions(map: &BTreeMap<u32, &[u8]>) -> Res<([u8; 64], Vec<Contribution>, Vec<RawContribution>)> {
    let mut r = section(map, 10, "contributions")?;
    let mut cs_hash = [0u8; 64];
    cs_hash.copy_from_slice(r.take(64)?);
    let n = r.usize()?;
    let mut out = Vec::with_capacity(n.min(1024));
    let mut raw = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let delta_after = r.g1()?;
        let g1_s = r.g1()?;
        let g1_sx = r.g1()?;
        let g2_spx = r.g2(true)?;
        let mut transcript = [0u8; 64];
        transcript.copy_from_slice(r.take(64)?);
        let kind = r.u32()?;
        let params_len = r.usize()?;
        let params = r.take(params_len)?;
        let mut rc = RawContribution { delta_after, g1_s, g1_sx, g2_spx, transcript, beacon: None };
        let mut c = Contribution {
            name: None,
            hash: hex::encode(contribution_hash(&rc).finalize()),
            beacon: None,
            beacon_iterations_exp: None,
        };
        let mut p = Reader { bytes: params, pos: 0, what: "contribution parameters" };
        let mut beacon_hash = None;
        while p.pos < params.len() {
            match p.u8()? {
                1 => {
                    let len = p.u8()? as usize;
                    c.name = Some(String::from_utf8_lossy(p.take(len)?).into_owned());
                }
                2 => c.beacon_iterations_exp = Some(p.u8()?),
                3 => {
                    let len = p.u8()? as usize;
                    let b = p.take(len)?.to_vec();
                    c.beacon = Some(hex::encode(&b));
                    beacon_hash = Some(b);
                }
                other => return Err(format!("unknown contribution parameter {other}")),
            }
        }
        match (kind, beacon_hash, c.beacon_iterations_exp) {
            (0, None, None) => {}
            (1, Some(b), Some(exp)) => rc.beacon = Some((b, exp)),
            _ => return Err("a contribution's type and its beacon parameters disagree".into()),
        }
        out.push(c);
        raw.push(rc);
    }
    r.done()?;
    Ok((cs_hash, out, raw))
}

/// Compares section 4 with the circuit's A and B matrices (and the public-input rows of A).
fn check_coefficients(map: &BTreeMap<u32, &[u8]>, s: &Synthesized) -> Res<()> {
    let mut r = section(map, 4, "coefficients")?;
    let m = s.constraints();
    let [a, b, _] = &s.matrices[..] else { return Err("the circuit does not have three matrices".into()) };
    let expected = a[..m].iter().chain(&b[..m]).map(Vec::len).sum::<usize>() + s.public_inputs() + 1;
    let count = r.usize()?;
    if count != expected {
        return Err(format!(
            "the zkey has {count} A and B coefficients, the circuit {expected}: it is another circuit"
        ));
    }
    let mut check = |matrix: u32, row: usize, wire: usize, coeff: Fr| -> Res<()> {
        let (mm, rr, ww) = (r.u32()?, r.usize()?, r.usize()?);
        let raw = r.bigint()?;
        if raw >= Fr::MODULUS {
            return Err("a coefficient is not below the scalar field's modulus".into());
        }
        let value = Fr::new_unchecked(Fr::new_unchecked(raw).into_bigint());
        if (mm, rr, ww, value) != (matrix, row, wire, coeff) {
            return Err(format!(
                "the zkey's coefficients differ from the circuit's at constraint {row} (matrix {}): it is \
                 another circuit",
                ["A", "B"][matrix as usize]
            ));
        }
        Ok(())
    };
    for row in 0..m {
        for (coeff, wire) in &a[row] {
            check(0, row, *wire, *coeff)?;
        }
        for (coeff, wire) in &b[row] {
            check(1, row, *wire, *coeff)?;
        }
    }
    for wire in 0..=s.public_inputs() {
        check(0, m + wire, wire, Fr::from(1u64))?;
    }
    r.done()
}

impl Zkey {
    /// Parses a zkey and checks that its format is for exactly `circuit` at `params`: the same
    /// field, wires, public inputs, domain and A and B coefficients, and every point on the
    /// curve. Its points and contributions are not checked yet: [`super::verify::check`] does
    /// that against the Powers of Tau ([`load`] does both).
    pub fn parse(bytes: &[u8], circuit: Circuit, params: CircuitParams) -> Res<(Self, Synthesized)> {
        let map = sections(bytes)?;
        let mut r = section(&map, 1, "protocol")?;
        let protocol = r.u32()?;
        if protocol != 1 {
            return Err(format!("protocol {protocol} is not Groth16 (1): a PLONK or FFLONK key?"));
        }
        let mut r = section(&map, 2, "Groth16 header")?;
        let n8q = r.usize()?;
        let q = if n8q == 32 { r.bigint()? } else { BigInt::zero() };
        let n8r = if n8q == 32 { r.usize()? } else { 0 };
        let rr = if n8r == 32 { r.bigint()? } else { BigInt::zero() };
        if q != Fq::MODULUS || rr != Fr::MODULUS {
            return Err("the zkey is not for BN254 (bn128)".into());
        }
        let wires = r.usize()?;
        let public_inputs = r.usize()?;
        let domain = r.usize()?;

        let s = synthesize_blank(circuit, params).map_err(|e| e.to_string())?;
        let what = match circuit {
            Circuit::Batch => format!("the batch circuit at depth {} with {} slots", params.depth, params.slots),
            Circuit::Exit => format!("the exit circuit at depth {}", params.depth),
        };
        if (wires, public_inputs, domain) != (s.wires(), s.public_inputs(), s.domain_size()) {
            return Err(format!(
                "the zkey is for a circuit of {wires} wires, {public_inputs} public inputs and a domain of {domain}; \
                 {what} has {} wires, {} public inputs and a domain of {}",
                s.wires(),
                s.public_inputs(),
                s.domain_size()
            ));
        }
        check_coefficients(&map, &s).map_err(|e| format!("{e} (not {what})"))?;

        let alpha_g1 = r.g1()?;
        let beta_g1 = r.g1()?;
        let beta_g2 = r.g2(true)?;
        let gamma_g2 = r.g2(true)?;
        let delta_g1 = r.g1()?;
        let delta_g2 = r.g2(true)?;
        r.done()?;
        let section_bytes = |kind, what: &'static str, n: usize, size: usize| -> Res<&[u8]> {
            let bytes = *map.get(&kind).ok_or_else(|| format!("the {what} section ({kind}) is missing"))?;
            if bytes.len() != n * size {
                return Err(format!(
                    "the {what} section holds {} bytes, not the {} of {n} points",
                    bytes.len(),
                    n * size
                ));
            }
            Ok(bytes)
        };
        let points = |kind, what, n| decode_g1s(section_bytes(kind, what, n, 64)?, what);
        let gamma_abc_g1 = points(3, "IC points", public_inputs + 1)?;
        let a_query = points(5, "A points", wires)?;
        let b_g1_query = points(6, "B1 points", wires)?;
        let b_g2_query = decode_g2s(section_bytes(7, "B2 points", wires, 128)?, "B2 points")?;
        let l_query = points(8, "C points", wires - public_inputs - 1)?;
        let h_query = points(9, "H points", domain)?;
        let (cs_hash, contributions, raw) = contributions(&map)?;
        let vk = VerifyingKey { alpha_g1, beta_g2, gamma_g2, delta_g2, gamma_abc_g1 };
        let pk = ProvingKey { vk, beta_g1, delta_g1, a_query, b_g1_query, b_g2_query, h_query, l_query };
        let ceremony = CeremonyRecord {
            zkey_sha256: hex::encode(Sha256::digest(bytes)),
            circuit_hash: hex::encode(cs_hash),
            contributions,
            ptau_blake2b: None,
        };
        Ok((Self { wires, public_inputs, domain_size: domain, pk, ceremony, cs_hash, raw }, s))
    }
}

/// Reports a long check's progress (one line at a time).
pub type Progress<'a> = &'a dyn Fn(&str);

/// Reads the zkey at `path` for `circuit` at `params` and checks it as `snarkjs zkey verify`
/// does against the Powers of Tau file at `ptau` (see [`super::verify`]). The record carries the
/// Powers of Tau file's hash.
pub fn load(
    path: &Path,
    ptau: &Path,
    circuit: Circuit,
    params: CircuitParams,
    progress: Progress<'_>,
) -> Result<(Zkey, Synthesized), ProverError> {
    let bad = |reason: String| ProverError::Zkey { path: path.to_path_buf(), reason };
    let bytes = std::fs::read(path).map_err(|source| ProverError::Io { path: path.to_path_buf(), source })?;
    let params = circuit.params(params.depth, params.slots);
    progress("reading the zkey and synthesising the circuit");
    let (mut zkey, s) = Zkey::parse(&bytes, circuit, params).map_err(bad)?;
    drop(bytes);
    progress("hashing the Powers of Tau file");
    let mut ptau = Ptau::open(ptau).map_err(|reason| ProverError::Zkey { path: ptau.to_path_buf(), reason })?;
    progress(&format!("Powers of Tau {} (2^{} points), blake2b {}", ptau.path().display(), ptau.power, ptau.blake2b));
    super::verify::check(&zkey, &s, &mut ptau, progress).map_err(bad)?;
    zkey.ceremony.ptau_blake2b = Some(ptau.blake2b.clone());
    Ok((zkey, s))
}

/// The verifying key of a ceremony's final zkey for `circuit` at `params`, after every check of
/// [`load`]: what `causeway verify --zkey` compares with the contract's.
pub fn verifying_key(
    path: &Path,
    ptau: &Path,
    circuit: Circuit,
    params: CircuitParams,
    progress: Progress<'_>,
) -> Result<(VerifyingKey<Bn254>, CeremonyRecord), ProverError> {
    let (zkey, _) = load(path, ptau, circuit, params, progress)?;
    Ok((zkey.pk.vk, zkey.ceremony))
}

/// Imports a ceremony's final zkey as keys for `circuit` at `params`, after every check of
/// [`load`]. The metadata records the ceremony; the prover proves with
/// [`crate::ceremony::SnarkjsReduction`] for such keys.
pub fn import(
    path: &Path,
    ptau: &Path,
    circuit: Circuit,
    params: CircuitParams,
    progress: Progress<'_>,
) -> Result<Keys, ProverError> {
    let params = circuit.params(params.depth, params.slots);
    let (zkey, s) = load(path, ptau, circuit, params, progress)?;
    let (constraints, circuit_id) = circuit_id_of(circuit, params, &s);
    let n = zkey.ceremony.contributions.len();
    let meta = KeyMetadata {
        circuit,
        params,
        constraints,
        circuit_id,
        origin: format!("snarkjs phase-2 ceremony ({n} contribution{})", if n == 1 { "" } else { "s" }),
        ceremony: Some(zkey.ceremony),
    };
    let vk = zkey.pk.vk.clone();
    let prepared = Arc::new(Prepared::new(s, Reduction::Snarkjs)?);
    Ok(Keys { pk: zkey.pk, vk, meta, prepared })
}
