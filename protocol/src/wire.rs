//! JSON forms of protocol objects: signed transactions as users submit them, and the genesis
//! file. Integers that can pass 2^53 (amounts, fees, balances) are decimal strings; keys,
//! signatures, addresses and hashes are `0x`-prefixed hex.

use crate::{
    account::{Account, AccountIndex, Address, address_to_field},
    domain::Domain,
    eddsa::{PublicKey, Signature},
    error::ProtocolError,
    field::{Fr, fr_to_be_bytes},
    ops::{Operation, Transfer, Withdraw, op_type, signed_message},
    state::State,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, RefOr, Schema, Type},
};

/// The OpenAPI schema of a string matching `pattern`.
fn string_schema(pattern: &str, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).description(Some(description)).into()
}

/// Declares a wire newtype's OpenAPI schema: a string with a pattern.
macro_rules! string_schema {
    ($ty:ty, $pattern:expr, $description:expr $(,)?) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string_schema($pattern, $description)
            }
        }
        impl ToSchema for $ty {}
    };
}

string_schema!(Amount, "^[0-9]{1,39}$", "Wei as a decimal string (below 2^128)",);
string_schema!(HexAddress, "^0x[0-9a-fA-F]{40}$", "A base-chain address: 0x and 20 bytes of hex",);
string_schema!(
    PackedKey,
    "^0x[0-9a-fA-F]{64}$",
    "A Baby Jubjub public key packed as circomlibjs packs it: 0x and 32 bytes of hex",
);
string_schema!(
    PackedSignature,
    "^0x[0-9a-fA-F]{128}$",
    "An EdDSA-Poseidon signature packed as circomlibjs packs it (R8 packed, then S little-endian): 0x and 64 bytes of hex",
);

fn hex_bytes<'de, const N: usize, D: Deserializer<'de>>(d: D) -> Result<[u8; N], D::Error> {
    let s = String::deserialize(d)?;
    let digits = s.strip_prefix("0x").ok_or_else(|| D::Error::custom("expected 0x-prefixed hex"))?;
    let bytes = hex::decode(digits).map_err(|e| D::Error::custom(format!("bad hex: {e}")))?;
    bytes.try_into().map_err(|b: Vec<u8>| D::Error::custom(format!("expected {N} bytes, got {}", b.len())))
}

fn to_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// An amount as a decimal string (u128 does not fit JSON numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub u128);

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(D::Error::custom("expected a decimal string of digits"));
        }
        s.parse().map(Amount).map_err(|_| D::Error::custom("amount does not fit in 128 bits"))
    }
}

/// A base-chain address as 0x-prefixed hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HexAddress(pub Address);

impl Serialize for HexAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for HexAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        hex_bytes::<'de, 20, D>(d).map(HexAddress)
    }
}

/// A public key as circomlibjs's packed point (32 bytes hex).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackedKey(pub PublicKey);

impl Serialize for PackedKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(&self.0.pack()))
    }
}

impl<'de> Deserialize<'de> for PackedKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = hex_bytes::<'de, 32, D>(d)?;
        PublicKey::unpack(&bytes).map(PackedKey).ok_or_else(|| D::Error::custom("not a Baby Jubjub point"))
    }
}

/// A signature as circomlibjs's packed signature (64 bytes hex).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackedSignature(pub Signature);

impl Serialize for PackedSignature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(&self.0.pack()))
    }
}

impl<'de> Deserialize<'de> for PackedSignature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = hex_bytes::<'de, 64, D>(d)?;
        Signature::unpack(&bytes)
            .map(PackedSignature)
            .ok_or_else(|| D::Error::custom("not a valid packed signature (R8 off the curve or S too large)"))
    }
}

/// A signed transaction as users submit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SignedTx {
    /// A transfer between accounts.
    Transfer {
        /// Payer index.
        from: AccountIndex,
        /// Payee index.
        to: AccountIndex,
        /// Wei, decimal string.
        amount: Amount,
        /// Wei, decimal string.
        fee: Amount,
        /// The payer's nonce.
        nonce: u32,
        /// Packed signature of the transfer's message.
        signature: PackedSignature,
    },
    /// A withdrawal to a base-chain address.
    Withdraw {
        /// Payer index.
        from: AccountIndex,
        /// Base-chain recipient.
        to: HexAddress,
        /// Wei, decimal string.
        amount: Amount,
        /// Wei, decimal string.
        fee: Amount,
        /// The payer's nonce.
        nonce: u32,
        /// Packed signature of the withdrawal's message.
        signature: PackedSignature,
    },
}

/// What a submission is checked and stored by before anything else: its kind, payer, fee and
/// nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payer {
    /// `"transfer"` or `"withdraw"`.
    pub kind: &'static str,
    /// The paying account.
    pub from: AccountIndex,
    /// Wei.
    pub fee: u128,
    /// The payer's nonce.
    pub nonce: u32,
}

impl SignedTx {
    /// Its kind, payer, fee and nonce.
    pub fn payer(&self) -> Payer {
        match *self {
            SignedTx::Transfer { from, fee, nonce, .. } => Payer { kind: "transfer", from, fee: fee.0, nonce },
            SignedTx::Withdraw { from, fee, nonce, .. } => Payer { kind: "withdraw", from, fee: fee.0, nonce },
        }
    }

    /// The message signed for `domain` (the transaction's hash as a field element) and the
    /// signature sent with it.
    pub fn signed_message(&self, domain: &Domain) -> (Fr, Signature) {
        match *self {
            SignedTx::Transfer { from, to, amount, fee, nonce, signature } => {
                (signed_message(domain, op_type::TRANSFER, from, Fr::from(to), amount.0, fee.0, nonce), signature.0)
            }
            SignedTx::Withdraw { from, to, amount, fee, nonce, signature } => (
                signed_message(domain, op_type::WITHDRAW, from, address_to_field(&to.0), amount.0, fee.0, nonce),
                signature.0,
            ),
        }
    }

    /// The operation.
    pub fn operation(&self) -> Operation {
        match *self {
            SignedTx::Transfer { from, to, amount, fee, nonce, signature } => {
                Operation::Transfer(Transfer { from, to, amount: amount.0, fee: fee.0, nonce, signature: signature.0 })
            }
            SignedTx::Withdraw { from, to, amount, fee, nonce, signature } => Operation::Withdraw(Withdraw {
                from,
                to: to.0,
                amount: amount.0,
                fee: fee.0,
                nonce,
                signature: signature.0,
            }),
        }
    }

    /// The JSON form of a signed transfer or withdrawal (`None` for other operations).
    pub fn of(op: &Operation) -> Option<Self> {
        match *op {
            Operation::Transfer(t) => Some(SignedTx::Transfer {
                from: t.from,
                to: t.to,
                amount: Amount(t.amount),
                fee: Amount(t.fee),
                nonce: t.nonce,
                signature: PackedSignature(t.signature),
            }),
            Operation::Withdraw(w) => Some(SignedTx::Withdraw {
                from: w.from,
                to: HexAddress(w.to),
                amount: Amount(w.amount),
                fee: Amount(w.fee),
                nonce: w.nonce,
                signature: PackedSignature(w.signature),
            }),
            _ => None,
        }
    }

    /// The transaction hash: its signed message for `domain`, as 0x-prefixed 32-byte big-endian
    /// hex.
    pub fn hash(&self, domain: &Domain) -> String {
        let message: Fr = match self.operation() {
            Operation::Transfer(t) => t.message(domain),
            Operation::Withdraw(w) => w.message(domain),
            _ => unreachable!("a signed transaction is a transfer or a withdrawal"),
        };
        to_hex(&fr_to_be_bytes(&message))
    }
}

/// A transfer or withdrawal rebuilt from the base chain (by `causeway restore`): what a batch's
/// pubdata and the replayed nonces give. Signatures are not on chain (the batch's proof attests
/// to them), so it has none; its hash is still its signed message ([`UnsignedTx::hash`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum UnsignedTx {
    /// A transfer between accounts.
    Transfer {
        /// Payer index.
        from: AccountIndex,
        /// Payee index.
        to: AccountIndex,
        /// Wei, decimal string.
        amount: Amount,
        /// Wei, decimal string.
        fee: Amount,
        /// The payer's nonce.
        nonce: u32,
    },
    /// A withdrawal to a base-chain address.
    Withdraw {
        /// Payer index.
        from: AccountIndex,
        /// Base-chain recipient.
        to: HexAddress,
        /// Wei, decimal string.
        amount: Amount,
        /// Wei, decimal string.
        fee: Amount,
        /// The payer's nonce.
        nonce: u32,
    },
}

impl UnsignedTx {
    /// The JSON form of a transfer or withdrawal without its signature (`None` for other
    /// operations).
    pub fn of(op: &Operation) -> Option<Self> {
        match *op {
            Operation::Transfer(t) => Some(UnsignedTx::Transfer {
                from: t.from,
                to: t.to,
                amount: Amount(t.amount),
                fee: Amount(t.fee),
                nonce: t.nonce,
            }),
            Operation::Withdraw(w) => Some(UnsignedTx::Withdraw {
                from: w.from,
                to: HexAddress(w.to),
                amount: Amount(w.amount),
                fee: Amount(w.fee),
                nonce: w.nonce,
            }),
            _ => None,
        }
    }

    /// The transaction hash, as [`SignedTx::hash`] gives it for the signed transaction: its
    /// message for `domain` (32 bytes, big-endian).
    pub fn hash(&self, domain: &Domain) -> [u8; 32] {
        let message: Fr = match *self {
            UnsignedTx::Transfer { from, to, amount, fee, nonce } => {
                Transfer { from, to, amount: amount.0, fee: fee.0, nonce, signature: unsigned() }.message(domain)
            }
            UnsignedTx::Withdraw { from, to, amount, fee, nonce } => {
                Withdraw { from, to: to.0, amount: amount.0, fee: fee.0, nonce, signature: unsigned() }.message(domain)
            }
        };
        fr_to_be_bytes(&message)
    }
}

/// The stored body of a restored transfer or withdrawal in the sequence (`txs.body` is
/// `{"restored": ...}`, as a priority request's is `{"priority": ...}`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoredBody {
    /// The transaction, without its signature.
    pub restored: UnsignedTx,
}

/// A placeholder where a signature is not needed (a message does not depend on it).
fn unsigned() -> Signature {
    Signature { r8: crate::eddsa::Point::IDENTITY, s: Default::default() }
}

/// A priority request as the sequence stores it (`txs.body` is `{"priority": ...}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PriorityOp {
    /// `deposit` / `depositTo`.
    Deposit {
        /// Queue position.
        serial: u64,
        /// The account credited.
        account: u32,
        /// Its key.
        public_key: PackedKey,
        /// The depositor.
        owner: HexAddress,
        /// The token (0: ether); absent in bodies stored before tokens, which were all ether.
        #[serde(default)]
        token: u16,
        /// In the token's smallest unit.
        amount: Amount,
    },
    /// `requestFullExit`.
    FullExit {
        /// Queue position.
        serial: u64,
        /// The account.
        account: u32,
        /// The requester.
        owner: HexAddress,
        /// The token the requester expects the account to hold (0: ether); absent in bodies stored before tokens, which were all ether.
        #[serde(default)]
        token: u16,
    },
    /// `forceTransfer`.
    ForcedTransfer {
        /// Queue position.
        serial: u64,
        /// The paying account.
        account: u32,
        /// The requester (it moves value only if it owns the account).
        owner: HexAddress,
        /// The payee.
        to: u32,
        /// The token the requester expects the accounts to hold (0: ether); absent in bodies stored before tokens, which were all ether.
        #[serde(default)]
        token: u16,
        /// In the token's smallest unit.
        amount: Amount,
    },
    /// `forceWithdraw`: to the requester's own address.
    ForcedWithdraw {
        /// Queue position.
        serial: u64,
        /// The paying account.
        account: u32,
        /// The requester, paid on the base chain (only if it owns the account).
        owner: HexAddress,
        /// The token the requester expects the account to hold (0: ether); absent in bodies stored before tokens, which were all ether.
        #[serde(default)]
        token: u16,
        /// In the token's smallest unit.
        amount: Amount,
    },
}

/// The stored body of a priority request in the sequence.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityBody {
    /// The request.
    pub priority: PriorityOp,
}

impl PriorityOp {
    /// The rollup operation.
    pub fn operation(&self) -> Operation {
        use crate::ops::{Deposit, Forced, FullExit};
        match *self {
            PriorityOp::Deposit { account, public_key, owner, token, amount, .. } => {
                Operation::Deposit(Deposit { account, pubkey: public_key.0, owner: owner.0, token, amount: amount.0 })
            }
            PriorityOp::FullExit { account, owner, token, .. } => {
                Operation::FullExit(FullExit { account, owner: owner.0, token })
            }
            PriorityOp::ForcedTransfer { account, owner, to, token, amount, .. } => {
                Operation::Forced(Forced { account, owner: owner.0, to: Some(to), token, amount: amount.0 })
            }
            PriorityOp::ForcedWithdraw { account, owner, token, amount, .. } => {
                Operation::Forced(Forced { account, owner: owner.0, to: None, token, amount: amount.0 })
            }
        }
    }

    /// Queue position.
    pub fn serial(&self) -> u64 {
        match *self {
            PriorityOp::Deposit { serial, .. }
            | PriorityOp::FullExit { serial, .. }
            | PriorityOp::ForcedTransfer { serial, .. }
            | PriorityOp::ForcedWithdraw { serial, .. } => serial,
        }
    }

    /// The account.
    pub fn account(&self) -> u32 {
        match *self {
            PriorityOp::Deposit { account, .. }
            | PriorityOp::FullExit { account, .. }
            | PriorityOp::ForcedTransfer { account, .. }
            | PriorityOp::ForcedWithdraw { account, .. } => account,
        }
    }

    /// The requesting (depositing) base-chain address.
    pub fn owner(&self) -> HexAddress {
        match *self {
            PriorityOp::Deposit { owner, .. }
            | PriorityOp::FullExit { owner, .. }
            | PriorityOp::ForcedTransfer { owner, .. }
            | PriorityOp::ForcedWithdraw { owner, .. } => owner,
        }
    }

    /// `deposit`, `full_exit`, `forced_transfer` or `forced_withdraw`.
    pub fn kind(&self) -> &'static str {
        match self {
            PriorityOp::Deposit { .. } => "deposit",
            PriorityOp::FullExit { .. } => "full_exit",
            PriorityOp::ForcedTransfer { .. } => "forced_transfer",
            PriorityOp::ForcedWithdraw { .. } => "forced_withdraw",
        }
    }

    /// Its id in the sequence (`GET /v1/txs/{hash}`): see [`priority_request_hash`].
    pub fn hash(&self) -> [u8; 32] {
        priority_request_hash(self.serial())
    }
}

/// The id under which the priority request with queue position `serial` is sequenced (`GET
/// /v1/txs/{hash}`): SHA-256("causeway priority request" ‖ serial as 8 big-endian bytes).
pub fn priority_request_hash(serial: u64) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::new().chain_update(b"causeway priority request").chain_update(serial.to_be_bytes()).finalize().into()
}

/// One account of the genesis file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// Position in the tree.
    pub index: AccountIndex,
    /// Packed public key.
    pub public_key: PackedKey,
    /// Wei, decimal string.
    pub balance: Amount,
    /// Base-chain owner (may request a full exit).
    pub owner: HexAddress,
}

/// The genesis file: the state before batch 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Tree depth in bits.
    pub depth: u32,
    /// The operator's fee account (must be one of `accounts`).
    pub fee_account: AccountIndex,
    /// Initial accounts.
    pub accounts: Vec<GenesisAccount>,
}

impl Genesis {
    /// Builds the genesis state, refusing duplicate or out-of-range indices and a missing fee
    /// account. The same file always gives the same root.
    pub fn state(&self, domain: Domain) -> Result<State, ProtocolError> {
        let mut s = State::new(self.depth, domain)?;
        for a in &self.accounts {
            if !s.account(a.index).is_empty() {
                return Err(ProtocolError::AccountTaken(a.index));
            }
            if !a.public_key.0.is_valid_key() {
                return Err(ProtocolError::InvalidPublicKey);
            }
            // Genesis balances are ether: the deployment sends their sum with it.
            let account = Account {
                pubkey: a.public_key.0,
                balance: a.balance.0,
                nonce: 0,
                owner: a.owner.0,
                token: crate::account::ETHER,
            };
            s.proof(a.index)?;
            s.insert(a.index, account)?;
        }
        if s.account(self.fee_account).is_empty() {
            return Err(ProtocolError::UnknownAccount(self.fee_account));
        }
        Ok(s)
    }
}

/// Wei in one ether.
pub const WEI_PER_ETHER: u128 = 1_000_000_000_000_000_000;

/// "1.5" ether in wei.
pub fn parse_ether(s: &str) -> Result<u128, String> {
    let bad = || format!("{s:?} is not an amount of ether (like 1.5)");
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > 18
        || !(whole.chars().chain(frac.chars())).all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let frac: u128 = if frac.is_empty() { 0 } else { format!("{frac:0<18}").parse().map_err(|_| bad())? };
    whole.checked_mul(WEI_PER_ETHER).and_then(|w| w.checked_add(frac)).ok_or_else(bad)
}

/// Wei as ether, without trailing zeros.
pub fn format_ether(wei: u128) -> String {
    let frac = format!("{:018}", wei % WEI_PER_ETHER);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() { format!("{}", wei / WEI_PER_ETHER) } else { format!("{}.{frac}", wei / WEI_PER_ETHER) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ether_amounts_parse_exactly_and_refuse_garbage() {
        assert_eq!(parse_ether("1.5"), Ok(1_500_000_000_000_000_000));
        assert_eq!(parse_ether("0.000001"), Ok(1_000_000_000_000));
        assert_eq!(parse_ether("2"), Ok(2 * WEI_PER_ETHER));
        assert_eq!(parse_ether(".5"), Ok(WEI_PER_ETHER / 2));
        assert_eq!(parse_ether("0.000000000000000001"), Ok(1));
        for bad in ["", ".", "1.0000000000000000001", "-1", "1e18", "abc", "1.2.3", "999999999999999999999999"] {
            assert!(parse_ether(bad).is_err(), "{bad}");
        }
        assert_eq!(format_ether(1_500_000_000_000_000_000), "1.5");
        assert_eq!(format_ether(3 * WEI_PER_ETHER), "3");
        assert_eq!(format_ether(1), "0.000000000000000001");
    }
}
