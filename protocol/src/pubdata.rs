//! The compact pubdata encoding posted to the base chain.
//!
//! Pubdata is a sequence of 16-byte chunks, one per batch slot. An operation starts with its
//! type byte and fills one or more consecutive chunks; the slots under its extra chunks hold no
//! operation. Byte layouts (offsets from the operation's first byte, integers big-endian):
//!
//! | type | chunks | layout |
//! |---|---|---|
//! | Noop 0 | 1 | type, 15 zero bytes |
//! | Deposit 1 | 7 | type, account u32, amount u128, owner 20B, pk.x 32B, pk.y 32B, token u16, 5 zero bytes |
//! | Transfer 2 | 1 | type, from u32, to u32, amount float40, fee float16 (the token is the accounts') |
//! | Withdraw 3 | 3 | type, from u32, amount float40, fee float16, to address 20B, token u16, 14 zero bytes |
//! | FullExit 4 | 3 | type, account u32, owner 20B, token u16, amount u128, 5 zero bytes |
//! | ForcedTransfer 5 | 3 | type, account u32, owner 20B, amount u128, to u32, token u16, executed u8 |
//! | ForcedWithdraw 6 | 3 | type, account u32, owner 20B, amount u128, 4 zero bytes, token u16, executed u8 |

use crate::{
    account::{AccountIndex, Address, TokenId},
    eddsa::PublicKey,
    error::ProtocolError,
    field::{fr_from_be_bytes, fr_to_be_bytes},
    float::{AMOUNT, FEE},
    ops::{Deposit, Forced, Operation, op_type},
};

/// Bytes per chunk (per slot).
pub const CHUNK_BYTES: usize = 16;

/// Byte offsets of every field, shared by the encoder, the decoder and the circuit.
pub mod layout {
    /// Every operation: the type byte.
    pub const TYPE: usize = 0;
    /// Transfer: payer index.
    pub const TRANSFER_FROM: usize = 1;
    /// Transfer: payee index.
    pub const TRANSFER_TO: usize = 5;
    /// Transfer: amount (float40).
    pub const TRANSFER_AMOUNT: usize = 9;
    /// Transfer: fee (float16).
    pub const TRANSFER_FEE: usize = 14;
    /// Withdraw: payer index.
    pub const WITHDRAW_FROM: usize = 1;
    /// Withdraw: amount (float40).
    pub const WITHDRAW_AMOUNT: usize = 5;
    /// Withdraw: fee (float16).
    pub const WITHDRAW_FEE: usize = 10;
    /// Withdraw: base-chain recipient.
    pub const WITHDRAW_TO: usize = 12;
    /// Withdraw: the token paid out (the payer's).
    pub const WITHDRAW_TOKEN: usize = 32;
    /// Deposit: account index.
    pub const DEPOSIT_ACCOUNT: usize = 1;
    /// Deposit: amount (u128).
    pub const DEPOSIT_AMOUNT: usize = 5;
    /// Deposit: depositor address.
    pub const DEPOSIT_OWNER: usize = 21;
    /// Deposit: public key x.
    pub const DEPOSIT_PK_X: usize = 41;
    /// Deposit: public key y.
    pub const DEPOSIT_PK_Y: usize = 73;
    /// Deposit: the token deposited.
    pub const DEPOSIT_TOKEN: usize = 105;
    /// FullExit: account index.
    pub const EXIT_ACCOUNT: usize = 1;
    /// FullExit: requesting address.
    pub const EXIT_OWNER: usize = 5;
    /// FullExit: the token the requester expects.
    pub const EXIT_TOKEN: usize = 25;
    /// FullExit: amount paid out (u128; zero when the request was not honoured).
    pub const EXIT_AMOUNT: usize = 27;
    /// Bytes of a full exit the base chain queues: everything before `EXIT_AMOUNT`.
    pub const EXIT_PREFIX: usize = 27;
    /// Forced transfer and withdrawal: the paying account (as a full exit's).
    pub const FORCED_ACCOUNT: usize = 1;
    /// Forced: the requesting address, which must own the account.
    pub const FORCED_OWNER: usize = 5;
    /// Forced: the amount requested (u128).
    pub const FORCED_AMOUNT: usize = 25;
    /// Forced transfer: the payee's index (zero for a withdrawal).
    pub const FORCED_TO: usize = 41;
    /// Forced: the token the requester expects.
    pub const FORCED_TOKEN: usize = 45;
    /// Forced: 1 if the batch moved the amount, 0 if the request was a no-op.
    pub const FORCED_EXECUTED: usize = 47;
    /// Bytes of a forced request the base chain queues: everything before `FORCED_EXECUTED`.
    pub const FORCED_PREFIX: usize = 47;
}

/// Chunks an operation of type `kind` takes, or `None` for an unknown type.
pub fn chunks_of(kind: u8) -> Option<usize> {
    match kind {
        op_type::NOOP | op_type::TRANSFER => Some(1),
        op_type::WITHDRAW | op_type::FULL_EXIT | op_type::FORCED_TRANSFER | op_type::FORCED_WITHDRAW => Some(3),
        op_type::DEPOSIT => Some(7),
        _ => None,
    }
}

/// The largest number of chunks any operation takes.
pub const MAX_OP_CHUNKS: usize = 7;

/// An operation as pubdata records it: what the base chain needs to rebuild the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PubdataOp {
    /// Padding.
    Noop,
    /// A deposit.
    Deposit(Deposit),
    /// A transfer, without nonce and signature.
    Transfer {
        /// Payer.
        from: AccountIndex,
        /// Payee.
        to: AccountIndex,
        /// Amount.
        amount: u128,
        /// Fee.
        fee: u128,
    },
    /// A withdrawal, without nonce and signature.
    Withdraw {
        /// Payer.
        from: AccountIndex,
        /// Base-chain recipient.
        to: Address,
        /// The token paid out (the payer's).
        token: TokenId,
        /// Amount.
        amount: u128,
        /// Fee.
        fee: u128,
    },
    /// A full exit and what it paid out.
    FullExit {
        /// The account.
        account: AccountIndex,
        /// The requesting address.
        owner: Address,
        /// The token the requester expects.
        token: TokenId,
        /// Paid out, in that token (zero if the requester did not own the account or it holds
        /// another token).
        amount: u128,
    },
    /// A forced transfer or withdrawal, and whether it moved its amount.
    Forced {
        /// The request.
        request: Forced,
        /// Whether it moved `request.amount` (false: a recorded no-op).
        executed: bool,
    },
}

impl PubdataOp {
    /// The pubdata view of an executed operation; `token` is a withdrawal's (its payer's),
    /// `exit_amount` what a full exit paid out, `executed` whether a forced request moved its
    /// amount.
    pub fn of(op: &Operation, token: TokenId, exit_amount: u128, executed: bool) -> Self {
        match *op {
            Operation::Noop => PubdataOp::Noop,
            Operation::Deposit(d) => PubdataOp::Deposit(d),
            Operation::Transfer(t) => PubdataOp::Transfer { from: t.from, to: t.to, amount: t.amount, fee: t.fee },
            Operation::Withdraw(w) => {
                PubdataOp::Withdraw { from: w.from, to: w.to, token, amount: w.amount, fee: w.fee }
            }
            Operation::FullExit(e) => {
                PubdataOp::FullExit { account: e.account, owner: e.owner, token: e.token, amount: exit_amount }
            }
            Operation::Forced(f) => PubdataOp::Forced { request: f, executed },
        }
    }

    /// The type code.
    pub fn kind(&self) -> u8 {
        match self {
            PubdataOp::Noop => op_type::NOOP,
            PubdataOp::Deposit(_) => op_type::DEPOSIT,
            PubdataOp::Transfer { .. } => op_type::TRANSFER,
            PubdataOp::Withdraw { .. } => op_type::WITHDRAW,
            PubdataOp::FullExit { .. } => op_type::FULL_EXIT,
            PubdataOp::Forced { request, .. } => request.kind(),
        }
    }

    /// The encoded chunks. Amounts and fees must already be representable (the state
    /// transition checks that before anything is encoded).
    pub fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        use layout::*;
        let kind = self.kind();
        let mut out = vec![0u8; chunks_of(kind).unwrap_or(1) * CHUNK_BYTES];
        out[TYPE] = kind;
        let put = |out: &mut Vec<u8>, at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
        match *self {
            PubdataOp::Noop => {}
            PubdataOp::Deposit(d) => {
                put(&mut out, DEPOSIT_ACCOUNT, &d.account.to_be_bytes());
                put(&mut out, DEPOSIT_AMOUNT, &d.amount.to_be_bytes());
                put(&mut out, DEPOSIT_OWNER, &d.owner);
                put(&mut out, DEPOSIT_PK_X, &fr_to_be_bytes(&d.pubkey.x));
                put(&mut out, DEPOSIT_PK_Y, &fr_to_be_bytes(&d.pubkey.y));
                put(&mut out, DEPOSIT_TOKEN, &d.token.to_be_bytes());
            }
            PubdataOp::Transfer { from, to, amount, fee } => {
                put(&mut out, TRANSFER_FROM, &from.to_be_bytes());
                put(&mut out, TRANSFER_TO, &to.to_be_bytes());
                put(&mut out, TRANSFER_AMOUNT, &encode_amount(amount)?);
                put(&mut out, TRANSFER_FEE, &encode_fee(fee)?);
            }
            PubdataOp::Withdraw { from, to, token, amount, fee } => {
                put(&mut out, WITHDRAW_FROM, &from.to_be_bytes());
                put(&mut out, WITHDRAW_AMOUNT, &encode_amount(amount)?);
                put(&mut out, WITHDRAW_FEE, &encode_fee(fee)?);
                put(&mut out, WITHDRAW_TO, &to);
                put(&mut out, WITHDRAW_TOKEN, &token.to_be_bytes());
            }
            PubdataOp::FullExit { account, owner, token, amount } => {
                put(&mut out, EXIT_ACCOUNT, &account.to_be_bytes());
                put(&mut out, EXIT_OWNER, &owner);
                put(&mut out, EXIT_TOKEN, &token.to_be_bytes());
                put(&mut out, EXIT_AMOUNT, &amount.to_be_bytes());
            }
            PubdataOp::Forced { request, executed } => {
                put(&mut out, FORCED_ACCOUNT, &request.account.to_be_bytes());
                put(&mut out, FORCED_OWNER, &request.owner);
                put(&mut out, FORCED_AMOUNT, &request.amount.to_be_bytes());
                put(&mut out, FORCED_TO, &request.to.unwrap_or(0).to_be_bytes());
                put(&mut out, FORCED_TOKEN, &request.token.to_be_bytes());
                out[FORCED_EXECUTED] = u8::from(executed);
            }
        }
        Ok(out)
    }
}

fn encode_amount(amount: u128) -> Result<Vec<u8>, ProtocolError> {
    AMOUNT.encode(amount).map(|p| AMOUNT.to_bytes(p)).ok_or(ProtocolError::AmountNotRepresentable(amount))
}

fn encode_fee(fee: u128) -> Result<Vec<u8>, ProtocolError> {
    FEE.encode(fee).map(|p| FEE.to_bytes(p)).ok_or(ProtocolError::FeeNotRepresentable(fee))
}

/// Decodes a batch's pubdata into its operations (Noops included), refusing anything the
/// encoder would not produce.
pub fn decode(pubdata: &[u8]) -> Result<Vec<PubdataOp>, ProtocolError> {
    use layout::*;
    let bad = |m: String| ProtocolError::MalformedPubdata(m);
    if !pubdata.len().is_multiple_of(CHUNK_BYTES) {
        return Err(bad(format!("length {} is not a multiple of {CHUNK_BYTES}", pubdata.len())));
    }
    let mut ops = Vec::new();
    let mut at = 0;
    while at < pubdata.len() {
        let kind = pubdata[at];
        let len = chunks_of(kind).ok_or_else(|| bad(format!("unknown type {kind} at byte {at}")))? * CHUNK_BYTES;
        let b = pubdata.get(at..at + len).ok_or_else(|| bad(format!("type {kind} at byte {at} runs past the end")))?;
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u128_at = |i: usize| u128::from_be_bytes(b[i..i + 16].try_into().unwrap_or_default());
        let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let addr_at = |i: usize| -> Address { b[i..i + 20].try_into().unwrap_or_default() };
        let amount_at = |i: usize| {
            AMOUNT
                .decode(AMOUNT.from_bytes(&b[i..i + AMOUNT.bytes()]))
                .ok_or_else(|| bad(format!("amount overflows at byte {}", at + i)))
        };
        let fee_at = |i: usize| {
            FEE.decode(FEE.from_bytes(&b[i..i + FEE.bytes()]))
                .ok_or_else(|| bad(format!("fee overflows at byte {}", at + i)))
        };
        let op = match kind {
            op_type::NOOP => PubdataOp::Noop,
            op_type::TRANSFER => PubdataOp::Transfer {
                from: u32_at(TRANSFER_FROM),
                to: u32_at(TRANSFER_TO),
                amount: amount_at(TRANSFER_AMOUNT)?,
                fee: fee_at(TRANSFER_FEE)?,
            },
            op_type::WITHDRAW => PubdataOp::Withdraw {
                from: u32_at(WITHDRAW_FROM),
                to: addr_at(WITHDRAW_TO),
                token: u16_at(WITHDRAW_TOKEN),
                amount: amount_at(WITHDRAW_AMOUNT)?,
                fee: fee_at(WITHDRAW_FEE)?,
            },
            op_type::FULL_EXIT => PubdataOp::FullExit {
                account: u32_at(EXIT_ACCOUNT),
                owner: addr_at(EXIT_OWNER),
                token: u16_at(EXIT_TOKEN),
                amount: u128_at(EXIT_AMOUNT),
            },
            op_type::FORCED_TRANSFER | op_type::FORCED_WITHDRAW => PubdataOp::Forced {
                request: Forced {
                    account: u32_at(FORCED_ACCOUNT),
                    owner: addr_at(FORCED_OWNER),
                    to: (kind == op_type::FORCED_TRANSFER).then(|| u32_at(FORCED_TO)),
                    token: u16_at(FORCED_TOKEN),
                    amount: u128_at(FORCED_AMOUNT),
                },
                executed: b[FORCED_EXECUTED] == 1,
            },
            _ => {
                let coord = |i: usize| {
                    let word: [u8; 32] = b[i..i + 32].try_into().unwrap_or_default();
                    fr_from_be_bytes(&word)
                        .ok_or_else(|| bad(format!("key coordinate at byte {} is not a field element", at + i)))
                };
                PubdataOp::Deposit(Deposit {
                    account: u32_at(DEPOSIT_ACCOUNT),
                    amount: u128_at(DEPOSIT_AMOUNT),
                    owner: addr_at(DEPOSIT_OWNER),
                    token: u16_at(DEPOSIT_TOKEN),
                    pubkey: PublicKey { x: coord(DEPOSIT_PK_X)?, y: coord(DEPOSIT_PK_Y)? },
                })
            }
        };
        // Everything but the floats must be exactly what the encoder writes (padding is zero);
        // a float may use any exponent, as the circuit accepts any encoding of a value.
        let mut expected = op.encode()?;
        let floats: &[(usize, usize)] = match kind {
            op_type::TRANSFER => &[(TRANSFER_AMOUNT, AMOUNT.bytes()), (TRANSFER_FEE, FEE.bytes())],
            op_type::WITHDRAW => &[(WITHDRAW_AMOUNT, AMOUNT.bytes()), (WITHDRAW_FEE, FEE.bytes())],
            _ => &[],
        };
        for &(i, n) in floats {
            expected[i..i + n].copy_from_slice(&b[i..i + n]);
        }
        if expected != b {
            return Err(bad(format!("non-canonical operation of type {kind} at byte {at}")));
        }
        ops.push(op);
        at += len;
    }
    Ok(ops)
}
