//! Operations: what a batch slot can hold, how signed ones are signed, and their pubdata.

use crate::{
    account::{AccountIndex, Address, TokenId, address_to_field},
    domain::Domain,
    eddsa::{PrivateKey, PublicKey, Signature},
    field::Fr,
    poseidon::poseidon,
};

/// Operation type codes: the first pubdata byte and the first signed field.
pub mod op_type {
    /// Padding.
    pub const NOOP: u8 = 0;
    /// Priority: credit an account from the base chain.
    pub const DEPOSIT: u8 = 1;
    /// Signed: move value between accounts.
    pub const TRANSFER: u8 = 2;
    /// Signed: move value to a base-chain address.
    pub const WITHDRAW: u8 = 3;
    /// Priority: the owner pulls the whole balance out.
    pub const FULL_EXIT: u8 = 4;
    /// Priority: the owner moves value to another account through the base chain.
    pub const FORCED_TRANSFER: u8 = 5;
    /// Priority: the owner withdraws part of the balance to itself through the base chain.
    pub const FORCED_WITHDRAW: u8 = 6;
}

/// A deposit from the base chain (a priority operation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deposit {
    /// The account credited; a new account is created there if the slot is empty.
    pub account: AccountIndex,
    /// The key of the account.
    pub pubkey: PublicKey,
    /// The depositing base-chain address.
    pub owner: Address,
    /// The token deposited: a new account holds it; an existing one must.
    pub token: TokenId,
    /// The amount deposited, in the token's smallest unit.
    pub amount: u128,
}

/// A signed transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// Payer.
    pub from: AccountIndex,
    /// Payee (must exist).
    pub to: AccountIndex,
    /// Wei moved (a representable [`crate::float::AMOUNT`]).
    pub amount: u128,
    /// Wei paid to the operator (a representable [`crate::float::FEE`]).
    pub fee: u128,
    /// The payer's nonce.
    pub nonce: u32,
    /// Signature over [`Transfer::message`].
    pub signature: Signature,
}

/// A signed withdrawal to a base-chain address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Withdraw {
    /// Payer.
    pub from: AccountIndex,
    /// Base-chain recipient.
    pub to: Address,
    /// Wei withdrawn (a representable [`crate::float::AMOUNT`]).
    pub amount: u128,
    /// Wei paid to the operator (a representable [`crate::float::FEE`]).
    pub fee: u128,
    /// The payer's nonce.
    pub nonce: u32,
    /// Signature over [`Withdraw::message`].
    pub signature: Signature,
}

/// A full-exit request from the base chain (a priority operation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FullExit {
    /// The account to empty.
    pub account: AccountIndex,
    /// The requesting base-chain address; the exit pays out only if it owns the account.
    pub owner: Address,
    /// The token the requester expects; the exit pays out only if the account holds it.
    pub token: TokenId,
}

/// A transfer or withdrawal queued on the base chain by the account's owner (a priority
/// operation): no signature, the owner's base-chain transaction authenticates it. A batch must
/// execute it in queue order; it moves `amount` only if the requester owns the account, the
/// account holds `token`, the balance covers it and (for a transfer) the payee exists and holds
/// `token`, and is otherwise a recorded no-op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forced {
    /// The paying account.
    pub account: AccountIndex,
    /// The requesting base-chain address (`msg.sender`).
    pub owner: Address,
    /// The payee's index, or `None` for a withdrawal to `owner`.
    pub to: Option<AccountIndex>,
    /// The token the requester expects the account (and the payee) to hold.
    pub token: TokenId,
    /// In the token's smallest unit.
    pub amount: u128,
}

/// One operation of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Padding: changes nothing.
    Noop,
    /// See [`Deposit`].
    Deposit(Deposit),
    /// See [`Transfer`].
    Transfer(Transfer),
    /// See [`Withdraw`].
    Withdraw(Withdraw),
    /// See [`FullExit`].
    FullExit(FullExit),
    /// See [`Forced`].
    Forced(Forced),
}

/// The first input of a signed message: `domain · 2^8 + type`, where `domain` is
/// [`Domain::to_field`] (a 224-bit integer), so the message names its deployment.
pub fn message_tag(domain: &Domain, kind: u8) -> Fr {
    domain.to_field() * Fr::from(256u64) + Fr::from(kind)
}

/// The signed message of a transfer or withdrawal:
/// Poseidon(domain · 2^8 + type, from, to, amount, fee, nonce), where `to` is the payee's index
/// or the withdrawal address as a 160-bit integer.
pub fn signed_message(
    domain: &Domain,
    kind: u8,
    from: AccountIndex,
    to: Fr,
    amount: u128,
    fee: u128,
    nonce: u32,
) -> Fr {
    poseidon(&[message_tag(domain, kind), Fr::from(from), to, Fr::from(amount), Fr::from(fee), Fr::from(nonce)])
}

impl Transfer {
    /// The message the payer signs for `domain`; also the transfer's hash.
    pub fn message(&self, domain: &Domain) -> Fr {
        signed_message(domain, op_type::TRANSFER, self.from, Fr::from(self.to), self.amount, self.fee, self.nonce)
    }

    /// Builds and signs a transfer for the deployment `domain`.
    pub fn signed(
        key: &PrivateKey,
        domain: &Domain,
        from: AccountIndex,
        to: AccountIndex,
        amount: u128,
        fee: u128,
        nonce: u32,
    ) -> Self {
        let mut t = Transfer { from, to, amount, fee, nonce, signature: placeholder_signature() };
        t.signature = key.sign(t.message(domain));
        t
    }
}

impl Withdraw {
    /// The message the payer signs for `domain`; also the withdrawal's hash.
    pub fn message(&self, domain: &Domain) -> Fr {
        signed_message(
            domain,
            op_type::WITHDRAW,
            self.from,
            address_to_field(&self.to),
            self.amount,
            self.fee,
            self.nonce,
        )
    }

    /// Builds and signs a withdrawal for the deployment `domain`.
    pub fn signed(
        key: &PrivateKey,
        domain: &Domain,
        from: AccountIndex,
        to: Address,
        amount: u128,
        fee: u128,
        nonce: u32,
    ) -> Self {
        let mut w = Withdraw { from, to, amount, fee, nonce, signature: placeholder_signature() };
        w.signature = key.sign(w.message(domain));
        w
    }
}

fn placeholder_signature() -> Signature {
    Signature { r8: PublicKey::IDENTITY, s: Default::default() }
}

impl Operation {
    /// The type code.
    pub fn kind(&self) -> u8 {
        match self {
            Operation::Noop => op_type::NOOP,
            Operation::Deposit(_) => op_type::DEPOSIT,
            Operation::Transfer(_) => op_type::TRANSFER,
            Operation::Withdraw(_) => op_type::WITHDRAW,
            Operation::FullExit(_) => op_type::FULL_EXIT,
            Operation::Forced(f) => f.kind(),
        }
    }

    /// Slots (pubdata chunks) the operation occupies.
    pub fn slots(&self) -> usize {
        crate::pubdata::chunks_of(self.kind()).unwrap_or(1)
    }

    /// Whether the operation comes from the base chain's priority queue.
    pub fn is_priority(&self) -> bool {
        matches!(self, Operation::Deposit(_) | Operation::FullExit(_) | Operation::Forced(_))
    }
}

impl Forced {
    /// [`op_type::FORCED_TRANSFER`] or [`op_type::FORCED_WITHDRAW`].
    pub fn kind(&self) -> u8 {
        if self.to.is_some() { op_type::FORCED_TRANSFER } else { op_type::FORCED_WITHDRAW }
    }
}
