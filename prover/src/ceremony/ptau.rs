//! Reading a Powers of Tau file prepared for phase 2 (snarkjs's `.ptau`, version 1), for the
//! zkey check. Only what that check needs is read, by seeking: the header, α₁, β₁, β₂ and the
//! Lagrange-basis τ points of the circuit's domain and of the domain of twice its size. The
//! whole file is hashed (BLAKE2b-512, what `b2sum` prints and what public Powers of Tau
//! publish) so a verifier can compare it with the published hash.
//!
//! Sections: 1 the header (n8, q, power, ceremony power); 2 τⁱ·G1 for i < 2^(power+1) − 1; 3
//! τⁱ·G2, 4 ατⁱ·G1, 5 βτⁱ·G1 for i < 2^power; 6 β·G2; 7 the phase-1 contributions; 12–15 the
//! same in the Lagrange basis of every domain 2^p, p = 0..=power (12, τ·G1, also p = power + 1),
//! one after the other. Points are as in a zkey (see [`super::zkey`]).

use super::zkey::{Reader, decode_g1s};
use ark_bn254::{Fq, G1Affine, G2Affine};
use ark_ff::{BigInt, PrimeField};
use blake2::{Blake2b512, Digest};
use std::{
    collections::BTreeMap,
    fs::File,
    io::{Read, Seek, SeekFrom},
    path::{Path, PathBuf},
};

type Res<T> = Result<T, String>;

const G1_BYTES: u64 = 64;
const G2_BYTES: u64 = 128;

/// An open Powers of Tau file.
pub struct Ptau {
    path: PathBuf,
    file: File,
    /// Section type → (offset of its body, its size).
    sections: BTreeMap<u32, (u64, u64)>,
    /// log₂ of the points it holds (the largest domain it serves).
    pub power: u32,
    /// BLAKE2b-512 of the whole file, in hex (compare with the published hash).
    pub blake2b: String,
}

impl Ptau {
    /// Opens `path`, reads its section table and header, and hashes the whole file.
    pub fn open(path: &Path) -> Res<Self> {
        let io = |e: std::io::Error| format!("{}: {e}", path.display());
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut head = [0u8; 12];
        file.read_exact(&mut head).map_err(|_| "not a Powers of Tau file (shorter than its header)".to_string())?;
        if &head[..4] != b"ptau" {
            return Err("not a Powers of Tau file (it does not start with \"ptau\")".into());
        }
        let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if word(&head[4..8]) != 1 {
            return Err(format!("Powers of Tau version {}, but only version 1 is known", word(&head[4..8])));
        }
        let mut sections = BTreeMap::new();
        let mut pos = 12u64;
        for _ in 0..word(&head[8..12]) {
            let mut entry = [0u8; 12];
            file.seek(SeekFrom::Start(pos)).map_err(io)?;
            file.read_exact(&mut entry).map_err(|_| "the Powers of Tau file is truncated in its section table")?;
            let kind = word(&entry[..4]);
            let size = u64::from_le_bytes(entry[4..12].try_into().map_err(|_| "section size")?);
            let body = pos + 12;
            if body.checked_add(size).is_none_or(|end| end > len) {
                return Err(format!("the Powers of Tau file is truncated in section {kind}"));
            }
            if sections.insert(kind, (body, size)).is_some() {
                return Err(format!("the Powers of Tau file has section {kind} twice"));
            }
            pos = body + size;
        }
        let mut ptau = Self { path: path.to_path_buf(), file, sections, power: 0, blake2b: String::new() };
        let header = ptau.read(1, 0, 44, "header")?;
        let mut r = Reader { bytes: &header, pos: 0, what: "Powers of Tau header" };
        let n8 = r.u32()?;
        let q = if n8 == 32 { r.bigint()? } else { BigInt::zero() };
        if q != Fq::MODULUS {
            return Err("the Powers of Tau file is not for BN254 (bn128)".into());
        }
        ptau.power = r.u32()?;
        if !ptau.sections.contains_key(&12) {
            return Err("the Powers of Tau file is not prepared for phase 2 (no Lagrange sections: run `snarkjs \
                        powersoftau prepare phase2`)"
                .into());
        }
        ptau.blake2b = ptau.hash()?;
        Ok(ptau)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn hash(&mut self) -> Res<String> {
        let io = |e: std::io::Error| format!("{}: {e}", self.path.display());
        self.file.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut h = Blake2b512::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = self.file.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(hex::encode(h.finalize()))
    }

    /// `len` bytes of section `kind` from byte `offset` of its body.
    fn read(&mut self, kind: u32, offset: u64, len: u64, what: &str) -> Res<Vec<u8>> {
        let &(body, size) =
            self.sections.get(&kind).ok_or_else(|| format!("the Powers of Tau file has no {what} (section {kind})"))?;
        if offset.checked_add(len).is_none_or(|end| end > size) {
            return Err(format!("the Powers of Tau file's {what} (section {kind}) is too short"));
        }
        let io = |e: std::io::Error| format!("{}: {e}", self.path.display());
        self.file.seek(SeekFrom::Start(body + offset)).map_err(io)?;
        let mut out = vec![0u8; usize::try_from(len).map_err(|_| "a section larger than memory")?];
        self.file.read_exact(&mut out).map_err(io)?;
        Ok(out)
    }

    /// α·G1 (section 4's first point).
    pub fn alpha_g1(&mut self) -> Res<G1Affine> {
        let b = self.read(4, 0, G1_BYTES, "ατ points")?;
        Ok(decode_g1s(&b, "Powers of Tau's α")?[0])
    }

    /// β·G1 (section 5's first point).
    pub fn beta_g1(&mut self) -> Res<G1Affine> {
        let b = self.read(5, 0, G1_BYTES, "βτ points")?;
        Ok(decode_g1s(&b, "Powers of Tau's β")?[0])
    }

    /// β·G2 (section 6).
    pub fn beta_g2(&mut self) -> Res<G2Affine> {
        let b = self.read(6, 0, G2_BYTES, "β in G2")?;
        let mut r = Reader { bytes: &b, pos: 0, what: "Powers of Tau's β₂" };
        r.g2(true)
    }

    /// L_k(τ)·G1 for the Lagrange basis of the domain of `size` points (section 12), k < size.
    pub fn lagrange_g1(&mut self, size: usize) -> Res<Vec<G1Affine>> {
        let first = size as u64 - 1;
        let b = self.read(12, first * G1_BYTES, size as u64 * G1_BYTES, "Lagrange τ points")?;
        decode_g1s(&b, "Powers of Tau's Lagrange τ points")
    }
}
