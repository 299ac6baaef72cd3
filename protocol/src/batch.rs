//! The batch header and the batch commitment: the proof's single public input.

use crate::{
    domain::Domain,
    field::{Fr, fr_from_be_bytes, fr_to_be_bytes},
};
use ark_ff::PrimeField;
use sha2::{Digest, Sha256};

/// Bytes of an encoded header.
pub const HEADER_BYTES: usize = 88;

/// What a batch claims; the base-chain contract rebuilds it from calldata and its own storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchHeader {
    /// Batch number, from 1.
    pub number: u64,
    /// State root before the batch.
    pub old_root: Fr,
    /// State root after the batch.
    pub new_root: Fr,
    /// Priority requests processed before this batch (the queue position it starts at).
    pub priority_start: u64,
    /// Priority requests this batch processes.
    pub priority_count: u32,
    /// The account credited with the batch's fees.
    pub fee_account: u32,
}

impl BatchHeader {
    /// `old_root ‖ new_root ‖ number ‖ priority_start ‖ priority_count ‖ fee_account`,
    /// fields as 32-byte and integers as big-endian words of their width.
    pub fn to_bytes(&self) -> [u8; HEADER_BYTES] {
        let mut out = [0u8; HEADER_BYTES];
        out[0..32].copy_from_slice(&fr_to_be_bytes(&self.old_root));
        out[32..64].copy_from_slice(&fr_to_be_bytes(&self.new_root));
        out[64..72].copy_from_slice(&self.number.to_be_bytes());
        out[72..80].copy_from_slice(&self.priority_start.to_be_bytes());
        out[80..84].copy_from_slice(&self.priority_count.to_be_bytes());
        out[84..88].copy_from_slice(&self.fee_account.to_be_bytes());
        out
    }

    /// Reads [`BatchHeader::to_bytes`], refusing a wrong length or non-canonical roots.
    pub fn from_bytes(bytes: &[u8]) -> Option<BatchHeader> {
        let bytes: &[u8; HEADER_BYTES] = bytes.try_into().ok()?;
        Some(BatchHeader {
            old_root: fr_from_be_bytes(bytes[0..32].try_into().ok()?)?,
            new_root: fr_from_be_bytes(bytes[32..64].try_into().ok()?)?,
            number: u64::from_be_bytes(bytes[64..72].try_into().ok()?),
            priority_start: u64::from_be_bytes(bytes[72..80].try_into().ok()?),
            priority_count: u32::from_be_bytes(bytes[80..84].try_into().ok()?),
            fee_account: u32::from_be_bytes(bytes[84..88].try_into().ok()?),
        })
    }
}

/// SHA-256(header ‖ domain ‖ pubdata) with its top three bits cleared, read big-endian as a
/// field element: what `submitBatch` recomputes with the SHA-256 precompile, taking the domain
/// (`block.chainid`, `address(this)`) from the chain rather than from calldata.
pub fn commitment(header: &BatchHeader, domain: &Domain, pubdata: &[u8]) -> Fr {
    let mut digest: [u8; 32] = Sha256::new()
        .chain_update(header.to_bytes())
        .chain_update(domain.to_bytes())
        .chain_update(pubdata)
        .finalize()
        .into();
    digest[0] &= 0x1f;
    Fr::from_be_bytes_mod_order(&digest)
}
