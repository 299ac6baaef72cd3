//! Errors of the native rollup.

use crate::account::{AccountIndex, TokenId};

/// Why an operation, a batch or a protocol object was refused. Nothing is applied when one is
/// returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The signature does not verify against the account's key and this deployment's domain.
    #[error(
        "bad signature: it does not verify against the account's key for this deployment (chain id and Rollup address)"
    )]
    BadSignature,
    /// The operation's nonce is not the account's next nonce.
    #[error("wrong nonce: expected {expected}, got {got}")]
    WrongNonce {
        /// The account's nonce.
        expected: u32,
        /// The operation's nonce.
        got: u32,
    },
    /// The account cannot pay amount plus fee.
    #[error("insufficient balance: have {balance}, need {needed}")]
    InsufficientBalance {
        /// Current balance.
        balance: u128,
        /// Amount plus fee.
        needed: u128,
    },
    /// No account lives at this index.
    #[error("unknown account {0}")]
    UnknownAccount(AccountIndex),
    /// The index is past the tree's capacity.
    #[error("account index {index} out of range (capacity {capacity})")]
    IndexOutOfRange {
        /// The index.
        index: AccountIndex,
        /// Leaves in the tree.
        capacity: u64,
    },
    /// The amount has no exact encoding in the pubdata float format.
    #[error("amount {0} is not representable; round it down to a representable value")]
    AmountNotRepresentable(u128),
    /// The fee has no exact encoding in the pubdata float format.
    #[error("fee {0} is not representable; round it down to a representable value")]
    FeeNotRepresentable(u128),
    /// A balance would pass 2^128 - 1.
    #[error("balance overflow")]
    BalanceOverflow,
    /// The account has used every nonce.
    #[error("nonce overflow")]
    NonceOverflow,
    /// A deposit names an index held by another key or owner.
    #[error("account {0} belongs to another key")]
    AccountTaken(AccountIndex),
    /// A transfer between accounts of different tokens.
    #[error("account {from} holds token {from_token} and account {to} token {to_token}: a transfer moves one token")]
    TokenMismatch {
        /// Payer.
        from: AccountIndex,
        /// The payer's token.
        from_token: TokenId,
        /// Payee.
        to: AccountIndex,
        /// The payee's token.
        to_token: TokenId,
    },
    /// A fee in a token the batch's fee account does not hold.
    #[error("a fee in token {token} cannot be paid to the fee account, which holds token {fee_token}")]
    FeeToken {
        /// The paying operation's token.
        token: TokenId,
        /// The fee account's token.
        fee_token: TokenId,
    },
    /// A key is not a curve point, or is of small order (a key for which one signature
    /// verifies for every message).
    #[error("public key is not a Baby Jubjub point outside the small-order subgroup")]
    InvalidPublicKey,
    /// The tree depth is not an even number in 2..=32.
    #[error("tree depth {0} must be even and in 2..=32")]
    BadDepth(u32),
    /// A batch has more operations, counted in slots, than it can hold.
    #[error("operations need {needed} slots but the batch has {slots}")]
    BatchFull {
        /// Slots the operations need.
        needed: usize,
        /// Slots in a batch.
        slots: usize,
    },
    /// Pubdata bytes that do not decode.
    #[error("malformed pubdata: {0}")]
    MalformedPubdata(String),
}

impl ProtocolError {
    /// A short machine-readable code for APIs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadSignature => "bad_signature",
            Self::WrongNonce { .. } => "wrong_nonce",
            Self::InsufficientBalance { .. } => "insufficient_balance",
            Self::UnknownAccount(_) => "unknown_account",
            Self::IndexOutOfRange { .. } => "index_out_of_range",
            Self::AmountNotRepresentable(_) => "amount_not_representable",
            Self::FeeNotRepresentable(_) => "fee_not_representable",
            Self::BalanceOverflow => "balance_overflow",
            Self::NonceOverflow => "nonce_overflow",
            Self::AccountTaken(_) => "account_taken",
            Self::TokenMismatch { .. } => "token_mismatch",
            Self::FeeToken { .. } => "fee_token",
            Self::InvalidPublicKey => "invalid_public_key",
            Self::BadDepth(_) => "bad_depth",
            Self::BatchFull { .. } => "batch_full",
            Self::MalformedPubdata(_) => "malformed_pubdata",
        }
    }
}
