//! Accounts: the leaves of the state tree.

use crate::{eddsa::PublicKey, field::Fr, poseidon::poseidon};
use ark_ff::{AdditiveGroup, Zero};

/// A base-chain (Ethereum) address.
pub type Address = [u8; 20];

/// The position of an account in the state tree.
pub type AccountIndex = u32;

/// One rollup account. An empty slot of the tree holds [`Account::EMPTY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// The key that signs for the account; (0, 0), which is not a curve point, when empty.
    pub pubkey: PublicKey,
    /// Balance in wei.
    pub balance: u128,
    /// The nonce the next signed operation must carry.
    pub nonce: u32,
    /// The base-chain address that made the first deposit; it alone may request a full exit.
    pub owner: Address,
}

impl Account {
    /// The value of every unused leaf.
    pub const EMPTY: Account =
        Account { pubkey: PublicKey { x: Fr::ZERO, y: Fr::ZERO }, balance: 0, nonce: 0, owner: [0; 20] };

    /// Whether this leaf is unused.
    pub fn is_empty(&self) -> bool {
        self.pubkey.x.is_zero() && self.pubkey.y.is_zero()
    }

    /// The leaf hash: Poseidon(pk.x, pk.y, balance, nonce, owner).
    pub fn leaf_hash(&self) -> Fr {
        poseidon(&[
            self.pubkey.x,
            self.pubkey.y,
            Fr::from(self.balance),
            Fr::from(self.nonce),
            address_to_field(&self.owner),
        ])
    }
}

/// An address as a field element (its 160-bit big-endian value).
pub fn address_to_field(a: &Address) -> Fr {
    let mut be = [0u8; 32];
    be[12..].copy_from_slice(a);
    <Fr as ark_ff::PrimeField>::from_be_bytes_mod_order(&be)
}
