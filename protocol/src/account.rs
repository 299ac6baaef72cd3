//! Accounts: the leaves of the state tree.

use crate::{
    eddsa::PublicKey,
    field::{Fr, fr_from_be_bytes, fr_to_be_bytes},
    poseidon::poseidon,
};
use ark_ff::{AdditiveGroup, Zero};

/// A base-chain (Ethereum) address.
pub type Address = [u8; 20];

/// Bytes of [`Account::to_bytes`].
pub const ACCOUNT_BYTES: usize = 106;

/// A token's id in the Rollup's registry: 0 is ether, 1 and up are listed ERC-20 tokens.
pub type TokenId = u16;

/// Ether's token id.
pub const ETHER: TokenId = 0;

/// The position of an account in the state tree.
pub type AccountIndex = u32;

/// One rollup account, holding one token: a key that holds several tokens has one account for
/// each. An empty slot of the tree holds [`Account::EMPTY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// The key that signs for the account; (0, 0), which is not a curve point, when empty.
    pub pubkey: PublicKey,
    /// Balance in the token's smallest unit (wei for ether).
    pub balance: u128,
    /// The nonce the next signed operation must carry.
    pub nonce: u32,
    /// The base-chain address that made the first deposit; it alone may request a full exit.
    pub owner: Address,
    /// The token the account holds, set by its first deposit and never changed.
    pub token: TokenId,
}

impl Account {
    /// The value of every unused leaf.
    pub const EMPTY: Account =
        Account { pubkey: PublicKey { x: Fr::ZERO, y: Fr::ZERO }, balance: 0, nonce: 0, owner: [0; 20], token: ETHER };

    /// Whether this leaf is unused.
    pub fn is_empty(&self) -> bool {
        self.pubkey.x.is_zero() && self.pubkey.y.is_zero()
    }

    /// `pk.x ‖ pk.y ‖ balance ‖ nonce ‖ owner ‖ token` (32 + 32 + 16 + 4 + 20 + 2 bytes,
    /// big-endian): how the database and witnesses store an account.
    pub fn to_bytes(&self) -> [u8; ACCOUNT_BYTES] {
        let mut out = [0u8; ACCOUNT_BYTES];
        out[0..32].copy_from_slice(&fr_to_be_bytes(&self.pubkey.x));
        out[32..64].copy_from_slice(&fr_to_be_bytes(&self.pubkey.y));
        out[64..80].copy_from_slice(&self.balance.to_be_bytes());
        out[80..84].copy_from_slice(&self.nonce.to_be_bytes());
        out[84..104].copy_from_slice(&self.owner);
        out[104..106].copy_from_slice(&self.token.to_be_bytes());
        out
    }

    /// Reads [`Account::to_bytes`], refusing a wrong length or non-canonical coordinates.
    pub fn from_bytes(bytes: &[u8]) -> Option<Account> {
        let bytes: &[u8; ACCOUNT_BYTES] = bytes.try_into().ok()?;
        let word = |i: usize| -> Option<Fr> { fr_from_be_bytes(bytes[i..i + 32].try_into().ok()?) };
        Some(Account {
            pubkey: PublicKey { x: word(0)?, y: word(32)? },
            balance: u128::from_be_bytes(bytes[64..80].try_into().ok()?),
            nonce: u32::from_be_bytes(bytes[80..84].try_into().ok()?),
            owner: bytes[84..104].try_into().ok()?,
            token: u16::from_be_bytes([bytes[104], bytes[105]]),
        })
    }

    /// The leaf hash: Poseidon(pk.x, pk.y, balance, nonce, owner, token).
    pub fn leaf_hash(&self) -> Fr {
        poseidon(&[
            self.pubkey.x,
            self.pubkey.y,
            Fr::from(self.balance),
            Fr::from(self.nonce),
            address_to_field(&self.owner),
            Fr::from(self.token),
        ])
    }
}

/// An address as a field element (its 160-bit big-endian value).
pub fn address_to_field(a: &Address) -> Fr {
    let mut be = [0u8; 32];
    be[12..].copy_from_slice(a);
    <Fr as ark_ff::PrimeField>::from_be_bytes_mod_order(&be)
}
