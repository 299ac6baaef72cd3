//! The API's response bodies as types. The handlers build these, and the OpenAPI document
//! derives their schemas from them (utoipa), so the document cannot drift from what is sent.
//! The tests hold every real response to its schema (`openapi::check_response`).
//!
//! Hex strings are `0x`-prefixed and lowercase; wei amounts are decimal strings.

use crate::watcher::PriorityBody;
use causeway_protocol::wire::{Amount, SignedTx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// An error: every non-2xx JSON response.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// Machine-readable code (`malformed`, `not_found`, `insufficient_balance`, ...).
    pub code: String,
    /// What went wrong, in words.
    pub message: String,
}

/// Where a transaction is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TxState {
    /// Committed to the database, in no batch yet.
    Accepted,
    /// In a sealed batch not yet proved.
    Included,
    /// Its batch is proved (and perhaps submitted to the base chain).
    Proved,
    /// Its batch is final on the base chain.
    Finalized,
    /// The sealer refused it (see `rejection`).
    Rejected,
}

/// Where a batch is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchState {
    /// Stored with its witness and a proof job.
    Sealed,
    /// A prover holds its job.
    Proving,
    /// Its proof is stored.
    Proved,
    /// Its `submitBatch` transaction is on the base chain, not yet final.
    Submitted,
    /// Final on the base chain.
    Finalized,
}

impl BatchState {
    /// The state a `batches.status` value names.
    pub fn from_db(status: &str) -> Option<Self> {
        Some(match status {
            "sealed" => Self::Sealed,
            "proving" => Self::Proving,
            "proved" => Self::Proved,
            "submitted" => Self::Submitted,
            "finalized" => Self::Finalized,
            _ => return None,
        })
    }
}

/// `POST /v1/txs` body: one signed transaction, or a list of them.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SubmitRequest {
    /// One transaction.
    One(SignedTx),
    /// Up to `max_txs_per_request` transactions, checked in list order.
    Many(Vec<SignedTx>),
}

/// A transaction the sequencer took.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Submitted {
    /// The transaction hash: its signed message, 32 bytes.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub hash: String,
    /// Its position in the sequence.
    pub seq: i64,
    /// `accepted` for a new transaction; a resubmission gets its current status.
    pub status: TxState,
    /// Present (true) when the transaction was already stored: a client's retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<bool>,
}

/// One result of a list submission.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SubmitItem {
    /// Taken.
    Submitted(Submitted),
    /// Refused.
    Failed(Failed),
}

/// A refused transaction of a list.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Failed {
    /// Why.
    pub error: ErrorBody,
}

/// A list submission's results, in list order.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitResults {
    /// One per submitted transaction.
    pub results: Vec<SubmitItem>,
}

/// `POST /v1/txs` answer: a [`Submitted`] for one transaction, [`SubmitResults`] for a list.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SubmitResponse {
    /// For one transaction.
    One(Submitted),
    /// For a list.
    Many(SubmitResults),
}

/// A sequenced operation's body: a signed transaction as it was submitted, a priority request
/// from the base chain, or a transfer or withdrawal rebuilt from the chain by `causeway restore`
/// (without its signature, which is not on chain).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum StoredTx {
    /// A transfer or withdrawal.
    Signed(SignedTx),
    /// A deposit or full exit.
    Priority(PriorityBody),
    /// A transfer or withdrawal restored from the chain: no signature.
    Restored(causeway_protocol::wire::RestoredBody),
}

/// Why the sealer refused a transaction.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Machine-readable code.
    pub code: String,
    /// In words.
    pub message: Option<String>,
}

/// A transaction and what became of it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TxView {
    /// The transaction hash.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub hash: String,
    /// Its position in the sequence.
    pub seq: i64,
    /// Where it is.
    pub status: TxState,
    /// Its batch, once sealed (none when rejected).
    pub batch: Option<i64>,
    /// That batch's status.
    pub batch_status: Option<BatchState>,
    /// Why it was refused, if it was.
    pub rejection: Option<Rejection>,
    /// When it was accepted.
    pub accepted_at: DateTime<Utc>,
    /// The operation.
    #[schema(value_type = StoredTx)]
    pub tx: Value,
}

/// An account in the accepted state (every committed transaction applied).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptedAccount {
    /// Wei.
    pub balance: Amount,
    /// The nonce its next transaction must sign.
    pub nonce: u32,
}

/// An account as of the newest proved batch, with its Merkle proof.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvedAccount {
    /// The newest proved batch (0: genesis).
    pub batch: i64,
    /// That batch's new state root.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub root: String,
    /// Whether the account exists in that state.
    pub exists: bool,
    /// Wei.
    pub balance: Amount,
    /// Nonce.
    pub nonce: u32,
    /// The leaf hash `Poseidon(pk.x, pk.y, balance, nonce, owner)` (zero for an empty leaf).
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub leaf: String,
    /// The Merkle proof of `leaf` against `root`, from the leaf up: at each level the three
    /// siblings in position order (the path's own position skipped).
    pub siblings: Vec<Vec<String>>,
}

/// An account.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountView {
    /// Its index in the tree.
    pub index: u32,
    /// Its packed public key.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub public_key: String,
    /// Its base-chain owner: the address that deposited into it, which alone may request its
    /// full exit.
    #[schema(pattern = "^0x[0-9a-f]{40}$")]
    pub owner: String,
    /// The token it holds (0: ether; see `GET /v1/tokens`): set by its first deposit, never
    /// changed. A key holds each token in an account of its own.
    pub token: u16,
    /// As of the accepted state.
    pub accepted: AcceptedAccount,
    /// As of the newest proved batch.
    pub proved: ProvedAccount,
}

/// Every account holding a key.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountsByKey {
    /// The key asked for.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub public_key: String,
    /// In index order: one page.
    pub accounts: Vec<AccountView>,
    /// When more accounts hold the key: the `after` that asks for the next page.
    pub next_after: Option<i64>,
}

/// An account's recent transactions.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountTxs {
    /// The account.
    pub index: u32,
    /// Newest first: transactions it paid or received and its deposits and full exits.
    pub transactions: Vec<TxView>,
}

/// The rollup's parameters.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollupInfo {
    /// The base chain's id (0 without one), in decimal: a string, since chain ids may exceed
    /// what a JSON number holds exactly in JavaScript (2^53).
    #[schema(pattern = "^(0|[1-9][0-9]*)$", example = "31337")]
    pub chain_id: String,
    /// The Rollup contract's address.
    #[schema(pattern = "^0x[0-9a-f]{40}$")]
    pub rollup: String,
    /// Tree depth in bits (4-ary tree of depth/2 levels).
    pub depth: u32,
    /// Slots (16-byte pubdata chunks) per batch.
    pub slots: usize,
    /// The operator's fee account.
    pub fee_account: u32,
    /// The smallest fee (wei, decimal) the sequencer takes; lower ones are refused with 422
    /// `fee_too_low`.
    pub min_fee: Amount,
}

/// A batch's summary.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BatchSummary {
    /// Its number, from 1.
    pub number: i64,
    /// Where it is.
    pub status: BatchState,
    /// The state root before it.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub old_root: String,
    /// The state root after it.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub new_root: String,
    /// The proof's public input: SHA-256 of header, domain and pubdata, top three bits
    /// cleared.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub commitment: String,
    /// Priority requests executed before it.
    pub priority_start: i64,
    /// Priority requests (deposits, full exits) it executes.
    pub priority_count: i32,
    /// The account its fees go to.
    pub fee_account: i64,
    /// Its fees in wei.
    pub fees: Amount,
    /// Operations in it (padding not counted).
    pub operations: i32,
    /// Its first sequence number.
    pub first_seq: i64,
    /// Its last sequence number.
    pub last_seq: i64,
    /// When it was sealed.
    pub sealed_at: DateTime<Utc>,
    /// When its proof was stored.
    pub proved_at: Option<DateTime<Utc>>,
    /// When its `submitBatch` transaction was mined.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When that transaction was final.
    pub finalized_at: Option<DateTime<Utc>>,
    /// The mined `submitBatch` transaction on the base chain.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub l1_tx: Option<String>,
}

/// A page of batches.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchList {
    /// Newest first.
    pub batches: Vec<BatchSummary>,
    /// The newest sealed batch.
    pub sealed: i64,
}

/// A transaction of a batch's sequence range.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchTx {
    /// Its position in the sequence.
    pub seq: i64,
    /// The transaction hash.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub hash: String,
    /// The operation.
    #[schema(value_type = StoredTx)]
    pub tx: Value,
    /// The sealer's rejection code when it refused it (it is then not in the batch).
    pub rejected: Option<String>,
}

/// A batch's proof job.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofJob {
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// The worker holding or last holding it.
    pub worker: Option<String>,
    /// The last attempt's error.
    pub last_error: Option<String>,
}

/// A sealed batch in full.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BatchDetail {
    /// The summary's fields.
    #[serde(flatten)]
    pub summary: BatchSummary,
    /// The 88-byte header: old root, new root, number, priority start, priority count, fee
    /// account.
    #[schema(pattern = "^0x[0-9a-f]{176}$")]
    pub header: String,
    /// `slots × 16` bytes of pubdata.
    #[schema(pattern = "^0x([0-9a-f]{32})+$")]
    pub pubdata: String,
    /// Its sequence range, rejected transactions included.
    pub transactions: Vec<BatchTx>,
    /// Its proof job.
    pub proof_job: Option<ProofJob>,
}

/// The marker of the batch being filled.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenState {
    /// Accepted transactions wait for it to be sealed.
    Open,
}

/// The batch after the newest sealed one, while transactions wait for it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBatch {
    /// Its number.
    pub number: i64,
    /// `open`.
    pub status: OpenState,
    /// Slots its waiting transactions fill.
    pub waiting_slots: usize,
}

/// `GET /v1/batches/{number}`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchResponse {
    /// A sealed batch.
    Sealed(Box<BatchDetail>),
    /// The open one.
    Open(OpenBatch),
}

// Points as snarkjs writes them, in decimal: G1 [x, y, "1"], G2 [[x.c0, x.c1], [y.c0, y.c1],
// ["1", "0"]].

/// snarkjs's `proof.json`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnarkjsProof {
    /// A.
    #[schema(min_items = 3, max_items = 3)]
    pub pi_a: Vec<String>,
    /// B.
    #[schema(min_items = 3, max_items = 3)]
    pub pi_b: Vec<Vec<String>>,
    /// C.
    #[schema(min_items = 3, max_items = 3)]
    pub pi_c: Vec<String>,
    /// `groth16`.
    pub protocol: String,
    /// `bn128`.
    pub curve: String,
}

/// A proof as snarkjs reads it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnarkjsProofAndPublic {
    /// `proof.json`.
    #[schema(value_type = SnarkjsProof)]
    pub proof: Value,
    /// `public.json`: the commitment in decimal.
    pub public: Vec<String>,
}

/// A batch's proof.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchProof {
    /// The batch.
    pub batch: i64,
    /// Its public input.
    #[schema(pattern = "^0x[0-9a-f]{64}$")]
    pub commitment: String,
    /// The 256 bytes `submitBatch` takes: A, B (x.c1, x.c0, y.c1, y.c0), C.
    #[schema(pattern = "^0x[0-9a-f]{512}$")]
    pub proof_eth: String,
    /// For `snarkjs groth16 verify`.
    pub snarkjs: SnarkjsProofAndPublic,
    /// The prover that made it.
    pub worker: String,
    /// How long proving took.
    pub prove_ms: i64,
    /// When it was stored.
    pub proved_at: DateTime<Utc>,
}

/// snarkjs's `verification_key.json`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct SnarkjsVerifyingKey {
    /// `groth16`.
    pub protocol: String,
    /// `bn128`.
    pub curve: String,
    /// Public inputs.
    pub nPublic: usize,
    /// α.
    #[schema(min_items = 3, max_items = 3)]
    pub vk_alpha_1: Vec<String>,
    /// β.
    #[schema(min_items = 3, max_items = 3)]
    pub vk_beta_2: Vec<Vec<String>>,
    /// γ.
    #[schema(min_items = 3, max_items = 3)]
    pub vk_gamma_2: Vec<Vec<String>>,
    /// δ.
    #[schema(min_items = 3, max_items = 3)]
    pub vk_delta_2: Vec<Vec<String>>,
    /// The input commitments, one more than `nPublic`.
    pub IC: Vec<Vec<String>>,
}

/// One circuit's verifying key.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CircuitKey {
    /// snarkjs's `verification_key.json`.
    #[schema(value_type = SnarkjsVerifyingKey)]
    pub snarkjs: Value,
    /// The contract's encoding: α (G1), β, γ, δ (G2 as x.c1, x.c0, y.c1, y.c0), then the IC
    /// points, as 32-byte big-endian words.
    #[schema(pattern = "^0x([0-9a-f]{64})+$")]
    pub ethereum: String,
}

/// `GET /v1/tokens`: every token the Rollup lists, ether first.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    /// In id order: ether (id 0), then each listed ERC-20 token.
    pub tokens: Vec<TokenView>,
}

/// One token.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenView {
    /// Its id in the Rollup's registry: 0 for ether, 1 and up for ERC-20 tokens in listing
    /// order.
    pub id: u16,
    /// Its ERC-20 contract (0x, 40 hex digits); the zero address for ether.
    pub address: String,
    /// What the contract's `symbol()` answers, when it answers a string of 1 to 32 bytes
    /// without control characters; `null` otherwise (show the address).
    pub symbol: Option<String>,
    /// What the contract's `decimals()` answers; `null` when it answers none.
    pub decimals: Option<u8>,
}

/// The verifying keys the Rollup contract checks proofs with, read from the contract.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyingKeys {
    /// The chain they were read from, in decimal (a string, as in `RollupInfo`).
    #[schema(pattern = "^(0|[1-9][0-9]*)$", example = "31337")]
    pub chain_id: String,
    /// The contract they were read from (`verifyingKey()`, `exitVerifyingKey()`).
    #[schema(pattern = "^0x[0-9a-f]{40}$")]
    pub rollup: String,
    /// The batch circuit's (one public input: the commitment).
    pub batch: CircuitKey,
    /// The exit circuit's (five public inputs: root, domain, index, owner, balance).
    pub exit: CircuitKey,
}

/// `GET /health`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// `ok`.
    pub database: String,
    /// The newest sealed batch.
    pub sealed: i64,
    /// The newest proved batch.
    pub proved_through: i64,
    /// Slots of accepted transactions waiting to be sealed.
    pub mempool_slots: usize,
    /// Milliseconds since each core task (`mempool`, `sealer`, `proved`, and `watcher` with a
    /// base chain) last reported progress, or that it is idle with nothing to do.
    pub tasks: std::collections::BTreeMap<String, u64>,
}
