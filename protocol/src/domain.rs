//! The deployment domain: the base chain's id and the Rollup contract's address. Signatures and
//! batch commitments include it, so that a transaction or a proof is valid on exactly one
//! deployment.

use crate::{account::Address, field::Fr};
use ark_ff::PrimeField;

/// Bytes of [`Domain::to_bytes`].
pub const DOMAIN_BYTES: usize = 28;

/// Which deployment a signature or a batch belongs to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Domain {
    /// The base chain's id (EIP-155). The contract refuses chains whose id needs more than 64 bits.
    pub chain_id: u64,
    /// The Rollup contract's address.
    pub rollup: Address,
}

impl Domain {
    /// A domain for a chain id and a contract address.
    pub const fn new(chain_id: u64, rollup: Address) -> Self {
        Self { chain_id, rollup }
    }

    /// `chain_id` as 8 big-endian bytes ‖ the contract's 20 address bytes: what the contract
    /// hashes into the batch commitment (`abi.encodePacked(uint64(block.chainid), address(this))`).
    pub fn to_bytes(&self) -> [u8; DOMAIN_BYTES] {
        let mut out = [0u8; DOMAIN_BYTES];
        out[..8].copy_from_slice(&self.chain_id.to_be_bytes());
        out[8..].copy_from_slice(&self.rollup);
        out
    }

    /// Reads [`Domain::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; DOMAIN_BYTES] = bytes.try_into().ok()?;
        Some(Self { chain_id: u64::from_be_bytes(bytes[..8].try_into().ok()?), rollup: bytes[8..].try_into().ok()? })
    }

    /// The 224-bit integer `chain_id · 2^160 + rollup` (the big-endian value of
    /// [`Domain::to_bytes`]) as a field element.
    pub fn to_field(&self) -> Fr {
        Fr::from_be_bytes_mod_order(&self.to_bytes())
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chain {} rollup 0x{}", self.chain_id, hex::encode(self.rollup))
    }
}
