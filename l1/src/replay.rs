//! Rebuilding and checking a rollup's whole history from the base chain alone, trusting
//! neither the operator, its API nor its database: what `causeway verify` prints, and what an
//! exit tool or a database rebuilder starts from.
//!
//! [`replay`] checks the contract itself (its runtime code against the committed artifact with
//! the immutables masked, its verifying key and parameters), reads every `BatchSubmitted` event
//! (which carries the batch's header and pubdata: nothing depends on how the operator sent its
//! transaction) and the priority requests the contract queued, in block ranges of at most
//! [`LOG_RANGE`] (RPC providers cap `eth_getLogs`), replays each batch's pubdata on the state
//! rebuilt from the genesis file (signatures are not in pubdata: the proof attests to them), and
//! checks that the replay gives the header's roots and exactly the submitted pubdata, that the
//! public input matches, that every priority operation is the request the chain queued, and that
//! each proof verifies off-chain where the transaction is a direct `submitBatch` call (a batch
//! sent through another contract has its proof checked by the contract only, whose code and key
//! are checked).

use crate::{L1Error, Rollup, encode};
use alloy::{
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
    sol_types::SolCall,
};
use causeway_protocol::{
    Domain, Fr, FullExit, Operation, Signatures, Transfer, Withdraw,
    batch::{BatchHeader, commitment},
    eddsa::{Point, Signature},
    field::fr_to_be_bytes,
    pubdata::{self, PubdataOp},
    state::State,
    wire::Genesis,
};
use std::collections::BTreeMap;

/// What [`replay`] is checking against.
pub struct ReplayInput<'a> {
    /// The genesis file (its root must be the first batch's previous root).
    pub genesis: &'a Genesis,
    /// The verifying key every proof must verify with; `None` skips the off-chain proof check
    /// (the contract checked every accepted proof: what an exit needs is the state).
    pub vk: Option<&'a ark_groth16::VerifyingKey<ark_bn254::Bn254>>,
    /// The exit circuit's verifying key, checked against the contract's when given.
    pub exit_vk: Option<&'a ark_groth16::VerifyingKey<ark_bn254::Bn254>>,
    /// Slots per batch (the keys').
    pub slots: usize,
    /// The first block to read events from (the deployment's block).
    pub from_block: u64,
}

/// The contract, as found on chain.
#[derive(Debug)]
pub struct ContractCheck {
    /// Its address.
    pub address: Address,
    /// Batches it accepted.
    pub batch_count: u64,
    /// Its current state root.
    pub state_root: B256,
    /// Whether its verifying key is the one given (true when none was given).
    pub vk_matches: bool,
    /// Whether its exit verifying key is the one given (true when none was given).
    pub exit_vk_matches: bool,
    /// Whether it is in exodus mode.
    pub exodus_mode: bool,
    /// `Err` with what differs when its runtime code is not the committed Rollup's.
    pub code: Result<(), String>,
    /// Parameters that do not fit the keys and the genesis file (empty: all fit).
    pub parameter_problems: Vec<String>,
    /// Its operator.
    pub operator: Address,
    /// Blocks a priority request may wait.
    pub expiry_blocks: u64,
    /// The capacity its deadlines assume: a full batch every this many blocks.
    pub blocks_per_batch: u64,
    /// The priority fee, wei per slot.
    pub priority_fee: U256,
    /// The smallest deposit, wei.
    pub min_deposit: U256,
}

/// One replayed batch.
#[derive(Debug)]
pub struct BatchReport {
    /// Its number.
    pub number: u64,
    /// Operations other than Noops (0 when it could not be replayed).
    pub operations: usize,
    /// Priority operations, as its header says.
    pub priority: u32,
    /// Its new root, as submitted.
    pub new_root: B256,
    /// What is wrong with it (empty: the batch checks out, proof included).
    pub problems: Vec<String>,
    /// Whether its proof was checked here too (the transaction was a direct `submitBatch`
    /// call); otherwise only the contract checked it.
    pub proof_rechecked: bool,
}

/// Blocks per `eth_getLogs` request: within what common RPC providers allow (the watcher reads
/// the same ranges).
pub const LOG_RANGE: u64 = 2_000;

/// Runs `query` over `from..=latest` in ranges of at most [`LOG_RANGE`] blocks and concatenates
/// the results (see [`in_ranges_to`]).
pub async fn in_ranges<T, F, Fut>(provider: &DynProvider, from: u64, query: F) -> Result<Vec<T>, L1Error>
where
    F: FnMut(u64, u64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, L1Error>>,
{
    let latest = retry("eth_blockNumber", || async { Ok(provider.get_block_number().await?) }).await?;
    in_ranges_to(from, latest, query).await
}

/// The widest log range the provider last answered (a process reads from one provider):
/// later reads start from it instead of finding the provider's cap again.
static LOG_SPAN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(LOG_RANGE);

/// Runs `query` over `from..=to` in ranges of at most [`LOG_RANGE`] blocks and concatenates the
/// results. A failed range is retried at half the size at once (providers that cap
/// `eth_getLogs` below [`LOG_RANGE`] answer with an error), down to one block; a one-block range
/// is retried after a pause that grows with the failures, and [`RPC_ATTEMPTS`] failures of it in
/// a row give up.
pub async fn in_ranges_to<T, F, Fut>(from: u64, to: u64, mut query: F) -> Result<Vec<T>, L1Error>
where
    F: FnMut(u64, u64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, L1Error>>,
{
    use std::sync::atomic::Ordering::Relaxed;
    let mut out = Vec::new();
    let mut start = from;
    let mut span = LOG_SPAN.load(Relaxed).clamp(1, LOG_RANGE);
    let mut failures = 0u32;
    while start <= to {
        let end = to.min(start + span - 1);
        match query(start, end).await {
            Ok(found) => {
                out.extend(found);
                start = end + 1;
                failures = 0;
                LOG_SPAN.store(span, Relaxed);
            }
            Err(e) if span > 1 => {
                tracing::debug!(from = start, to = end, "reading logs: {e}; halving the range");
                span /= 2;
            }
            Err(e) => {
                failures += 1;
                if failures >= RPC_ATTEMPTS {
                    return Err(e);
                }
                tracing::warn!(block = start, "reading logs: {e}; retrying");
                tokio::time::sleep(backoff(failures)).await;
            }
        }
    }
    Ok(out)
}

/// Tries of one RPC call before [`retry`] gives up.
pub const RPC_ATTEMPTS: u32 = 6;

fn backoff(failures: u32) -> std::time::Duration {
    std::time::Duration::from_millis(50u64 << failures.min(5))
}

/// Runs an RPC call until it succeeds, at most [`RPC_ATTEMPTS`] times, pausing longer after
/// each failure: a restore or replay of a long history meets time-outs and rate limits.
/// A revert is an answer, not a failure: it is returned at once.
pub async fn retry<T, F, Fut>(what: &str, mut call: F) -> Result<T, L1Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, L1Error>>,
{
    let mut failures = 0;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e @ L1Error::Rpc(_)) if failures + 1 < RPC_ATTEMPTS => {
                failures += 1;
                tracing::warn!("{what}: {e}; retrying");
                tokio::time::sleep(backoff(failures)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Everything [`replay`] found.
pub struct Replay {
    /// The deployment's domain: signatures and public inputs were checked for it.
    pub domain: Domain,
    /// The contract.
    pub contract: ContractCheck,
    /// The batches, in order; the replay stops after the first that cannot be applied.
    pub batches: Vec<BatchReport>,
    /// Whether every accepted batch was replayed (none stopped the replay).
    pub complete: bool,
    /// The state after the last replayed batch.
    pub state: State,
    /// The contract's ether against what it owes (meaningful when `complete`).
    pub solvency: Solvency,
}

/// The contract's ether against everything it owes, after a complete replay: every balance of
/// the replayed state (less the accounts that exited in exodus mode, whose balance moved to
/// `pendingWithdrawals`), every credited and unclaimed withdrawal (priority fees credited to the
/// operator and refunded in exodus mode included), and every queued deposit and priority fee no
/// batch executed and no refund returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Solvency {
    /// The contract's ether (`eth_getBalance`).
    pub contract_balance: U256,
    /// Σ balances of the replayed state's accounts that have not exited.
    pub balances: U256,
    /// Σ `pendingWithdrawals` of every address a batch, an exit or a refund credited.
    pub unclaimed: U256,
    /// Σ amounts of the queued deposits still waiting (or, in exodus mode, not yet refunded).
    pub queued_deposits: U256,
    /// Σ priority fees of the requests still waiting (or not yet refunded).
    pub queued_fees: U256,
}

impl Solvency {
    /// What the contract owes.
    pub fn owed(&self) -> U256 {
        self.balances + self.unclaimed + self.queued_deposits + self.queued_fees
    }

    /// Whether its ether covers what it owes.
    pub fn is_solvent(&self) -> bool {
        self.contract_balance >= self.owed()
    }
}

/// The sum of a genesis file's balances, in wei: what a deployment must be funded with.
pub fn genesis_total(genesis: &Genesis) -> U256 {
    genesis.accounts.iter().fold(U256::ZERO, |sum, a| sum + U256::from(a.balance.0))
}

impl Replay {
    /// Problems found: a mismatched key, code or parameters, each bad batch, and a final root
    /// that is not the contract's.
    pub fn failures(&self) -> usize {
        let c = &self.contract;
        usize::from(!c.vk_matches)
            + usize::from(!c.exit_vk_matches)
            + usize::from(c.code.is_err())
            + usize::from(!c.parameter_problems.is_empty())
            + self.batches.iter().filter(|b| !b.problems.is_empty()).count()
            + usize::from(self.complete && !self.root_matches())
            + usize::from(self.complete && !self.solvency.is_solvent())
    }

    /// Whether the replayed state's root is the contract's (only meaningful when every batch
    /// replayed; an incomplete replay counts as not matching).
    pub fn root_matches(&self) -> bool {
        self.complete && self.contract.state_root.as_slice() == fr_to_be_bytes(&self.state.root()).as_slice()
    }
}

/// A priority request as the chain queued it (from its event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// A deposit of `amount` of `token` into `account`, owned by `owner`, with key `pk`.
    Deposit {
        /// The account.
        account: u32,
        /// Its owner.
        owner: Address,
        /// The token (0: ether).
        token: u16,
        /// In the token's smallest unit.
        amount: u128,
        /// The account's key (x, y).
        pk: (U256, U256),
    },
    /// A request to empty `account`, which holds `token`, to `owner`.
    FullExit {
        /// The account.
        account: u32,
        /// Its owner.
        owner: Address,
        /// The token the requester expects.
        token: u16,
    },
    /// A forced transfer (to `Some(payee)`) or withdrawal (to the owner) of `amount` of `token`.
    Forced {
        /// The paying account.
        account: u32,
        /// The requester.
        owner: Address,
        /// The payee, or `None` for a withdrawal.
        to: Option<u32>,
        /// The token the requester expects.
        token: u16,
        /// In the token's smallest unit.
        amount: u128,
    },
}

impl Request {
    /// The bytes the contract hashed when it queued the request (what `refundDeposits` takes):
    /// a deposit's 112-byte pubdata, a full exit's first 27 bytes, a forced request's first 47
    /// (docs/protocol.md).
    pub fn queued_bytes(&self) -> Vec<u8> {
        match self {
            Self::Deposit { account, owner, token, amount, pk } => [
                &[1u8][..],
                &account.to_be_bytes(),
                &amount.to_be_bytes(),
                owner.as_slice(),
                &pk.0.to_be_bytes::<32>(),
                &pk.1.to_be_bytes::<32>(),
                &token.to_be_bytes(),
                &[0u8; 5],
            ]
            .concat(),
            Self::FullExit { account, owner, token } => {
                [&[4u8][..], &account.to_be_bytes(), owner.as_slice(), &token.to_be_bytes()].concat()
            }
            Self::Forced { account, owner, to, token, amount } => [
                &[if to.is_some() { 5u8 } else { 6 }][..],
                &account.to_be_bytes(),
                owner.as_slice(),
                &amount.to_be_bytes(),
                &to.unwrap_or(0).to_be_bytes(),
                &token.to_be_bytes(),
            ]
            .concat(),
        }
    }
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn check(problems: &mut Vec<String>, ok: bool, what: impl FnOnce() -> String) {
    if !ok {
        problems.push(what());
    }
}

/// A `BatchSubmitted` event and where it was emitted.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The event.
    pub event: Rollup::BatchSubmitted,
    /// The transaction that emitted it.
    pub tx_hash: B256,
    /// Its block.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// That block's time, where the node says it with the log (seconds since 1970).
    pub block_timestamp: Option<u64>,
}

/// Every `BatchSubmitted` event of `from..=to`, by batch number.
pub async fn submissions(
    rollup: &Rollup::RollupInstance<DynProvider>,
    from: u64,
    to: u64,
) -> Result<BTreeMap<u64, Submission>, L1Error> {
    let events = in_ranges_to(from, to, |from, to| {
        let filter = rollup.BatchSubmitted_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    let mut submitted = BTreeMap::new();
    for (event, log) in events {
        let missing = || L1Error::Rpc("a BatchSubmitted log without its block or transaction".into());
        let number = event.number;
        let s = Submission {
            tx_hash: log.transaction_hash.ok_or_else(missing)?,
            block_number: log.block_number.ok_or_else(missing)?,
            block_hash: log.block_hash.ok_or_else(missing)?,
            block_timestamp: log.block_timestamp,
            event,
        };
        if submitted.insert(number, s).is_some() {
            return Err(L1Error::Invalid(format!(
                "batch {number} was accepted twice: the contract is not a Causeway Rollup"
            )));
        }
    }
    Ok(submitted)
}

/// One batch replayed by a [`Replayer`].
#[derive(Debug)]
pub struct ReplayedBatch {
    /// Its header, as submitted.
    pub header: BatchHeader,
    /// Its operations (signed ones with the replayed nonce and no signature).
    pub ops: Vec<Operation>,
    /// Its transition on the replayed state.
    pub transition: causeway_protocol::BatchTransition,
    /// Its public input, from the submitted header and pubdata.
    pub commitment: Fr,
    /// What does not match the submission (empty: it all does; the proof is checked apart).
    pub problems: Vec<String>,
}

/// Replays submitted batches one at a time on a state rebuilt from genesis: what [`replay`]
/// checks and what a restore stores.
pub struct Replayer {
    /// The state after the last batch applied.
    pub state: State,
    /// The queue position of the next priority request a batch executes.
    pub priority_head: u64,
    slots: usize,
}

impl Replayer {
    /// Starts from `state` (after genesis or a stored batch) with `priority_head` requests
    /// executed.
    pub fn new(state: State, priority_head: u64, slots: usize) -> Self {
        Self { state, priority_head, slots }
    }

    /// Applies batch `n` as its event shows it, checking it against the replay. `Err` (the
    /// state unchanged) when it cannot be applied: a replay stops there.
    pub fn apply(
        &mut self,
        n: u64,
        event: &Rollup::BatchSubmitted,
        requests: &BTreeMap<u64, Request>,
    ) -> Result<ReplayedBatch, String> {
        let (event_header, event_pubdata) = (&event.header, &event.pubdata);
        let header = BatchHeader::from_bytes(event_header).ok_or("malformed header")?;
        let state = &mut self.state;
        let head = self.priority_head;
        let mut problems = Vec::new();
        check(&mut problems, header.number == n, || format!("header says batch {}", header.number));
        check(&mut problems, header.priority_start == head, || {
            format!("starts at priority request {} not {head}", header.priority_start)
        });
        check(&mut problems, event.newRoot.as_slice() == &event_header[32..64], || {
            "the event's new root is not its header's".into()
        });
        if header.old_root != state.root() {
            problems.push(format!(
                "previous root {} is not the replayed {}",
                hex0x(&event_header[0..32]),
                hex0x(&fr_to_be_bytes(&state.root()))
            ));
            return Err(problems.join("; "));
        }
        let ops = replay_ops(state, event_pubdata, head, requests)?;
        let t = state
            .apply_batch_with(n, header.priority_start, self.slots, header.fee_account, &ops, Signatures::Verified)
            .map_err(|e| {
                problems.push(format!("its operations do not apply: {e}"));
                problems.join("; ")
            })?;
        check(&mut problems, t.pubdata == event_pubdata.as_ref(), || {
            "the replayed pubdata differs from the submitted".into()
        });
        check(&mut problems, t.header.new_root == header.new_root, || {
            format!(
                "new root {} is not the replayed {}",
                hex0x(&event_header[32..64]),
                hex0x(&fr_to_be_bytes(&t.header.new_root))
            )
        });
        check(&mut problems, t.header.priority_count == header.priority_count, || "priority count differs".into());
        let c: Fr = commitment(&header, &t.domain, event_pubdata);
        check(&mut problems, U256::from_be_bytes(fr_to_be_bytes(&c)) == event.commitment, || {
            "the event's public input differs".into()
        });
        self.priority_head += u64::from(header.priority_count);
        Ok(ReplayedBatch { header, ops, transition: t, commitment: c, problems })
    }
}

/// The proof of batch `event` when its transaction is a direct `submitBatch` call of this very
/// batch (the proof is not in the event; a batch sent through another contract had its proof
/// checked by the contract only), with the transaction.
pub async fn submitted_proof(
    provider: &DynProvider,
    tx_hash: B256,
    event: &Rollup::BatchSubmitted,
) -> Result<(Option<[U256; 8]>, Option<alloy::rpc::types::Transaction>), L1Error> {
    let tx =
        retry("eth_getTransactionByHash", || async { Ok(provider.get_transaction_by_hash(tx_hash).await?) }).await?;
    let calldata = tx.as_ref().map(|t| alloy::consensus::Transaction::input(t).clone()).unwrap_or_default();
    let proof = Rollup::submitBatchCall::abi_decode(&calldata)
        .ok()
        .filter(|call| call.header == event.header && call.pubdata == event.pubdata)
        .map(|call| call.proof);
    Ok((proof, tx))
}

/// Whether `words` (a `submitBatch` proof) verify with `vk` for public input `c`.
pub fn proof_valid(vk: &ark_groth16::VerifyingKey<ark_bn254::Bn254>, c: Fr, words: &[U256; 8]) -> bool {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes::<32>()).collect();
    match causeway_prover::export::proof_from_eth(&bytes) {
        Some(proof) => causeway_prover::verify(vk, c, &proof).unwrap_or(false),
        None => false,
    }
}

/// Reads the Rollup at `contract` through `provider` and replays its history from genesis.
/// `Err` only when the chain cannot be read (or there is no contract); everything found wrong is
/// in the [`Replay`].
pub async fn replay(provider: &DynProvider, contract: Address, input: &ReplayInput<'_>) -> Result<Replay, L1Error> {
    let code = retry("eth_getCode", || async { Ok(provider.get_code_at(contract).await?) }).await?;
    if code.is_empty() {
        return Err(L1Error::Invalid(format!("no contract at {contract}")));
    }
    let chain_id = retry("eth_chainId", || async { Ok(provider.get_chain_id().await?) }).await?;
    let domain = Domain::new(chain_id, contract.into_array());
    let state = input.genesis.state(domain).map_err(|e| L1Error::Invalid(format!("genesis: {e}")))?;
    let rollup = Rollup::new(contract, provider.clone());
    let contract_check =
        retry("reading the contract", || check_contract(&rollup, contract, &code, input, &state)).await?;

    let latest = retry("eth_blockNumber", || async { Ok(provider.get_block_number().await?) }).await?;
    let requests = priority_requests(&rollup, input.from_block).await?;
    let submitted = submissions(&rollup, input.from_block, latest).await?;

    let mut batches = Vec::new();
    let mut complete = true;
    let mut credited = std::collections::BTreeSet::new();
    let mut replayer = Replayer::new(state, 0, input.slots);
    for n in 1..=contract_check.batch_count {
        let stop = |problem: String| BatchReport {
            number: n,
            operations: 0,
            priority: 0,
            new_root: B256::ZERO,
            problems: vec![problem],
            proof_rechecked: false,
        };
        let Some(s) = submitted.get(&n) else {
            batches.push(stop("no BatchSubmitted event".into()));
            complete = false;
            break;
        };
        let mut b = match replayer.apply(n, &s.event, &requests) {
            Ok(b) => b,
            Err(problem) => {
                batches.push(stop(problem));
                complete = false;
                break;
            }
        };
        let mut proof_rechecked = false;
        if let Some(vk) = input.vk
            && let (Some(words), _) = submitted_proof(provider, s.tx_hash, &s.event).await?
        {
            check(&mut b.problems, proof_valid(vk, b.commitment, &words), || {
                "the proof does not verify with this verifying key".into()
            });
            proof_rechecked = true;
        }
        // Executed requests' fees go to whoever submitted the batch.
        credited.insert(s.event.submitter);
        for op in &b.ops {
            match op {
                Operation::Withdraw(w) => credited.insert(Address::from(w.to)),
                Operation::FullExit(e) => credited.insert(Address::from(e.owner)),
                Operation::Forced(f) => credited.insert(Address::from(f.owner)),
                _ => false,
            };
        }
        batches.push(BatchReport {
            number: n,
            operations: b.ops.iter().filter(|o| !matches!(o, Operation::Noop)).count(),
            priority: b.header.priority_count,
            new_root: B256::from_slice(&s.event.header[32..64]),
            problems: b.problems,
            proof_rechecked,
        });
    }
    let state = replayer.state;
    let solvency =
        retry("solvency", || solvency(provider, &rollup, input.from_block, &state, &requests, credited.clone()))
            .await?;
    Ok(Replay { domain, contract: contract_check, batches, complete, state, solvency })
}

/// The contract's ether against what it owes after the replay (see [`Solvency`]).
async fn solvency(
    provider: &DynProvider,
    rollup: &Rollup::RollupInstance<DynProvider>,
    from_block: u64,
    state: &State,
    requests: &BTreeMap<u64, Request>,
    mut credited: std::collections::BTreeSet<Address>,
) -> Result<Solvency, L1Error> {
    let exited = in_ranges(provider, from_block, |from, to| {
        let filter = rollup.Exited_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    let refunded = in_ranges(provider, from_block, |from, to| {
        let filter = rollup.DepositRefunded_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    let dropped = in_ranges(provider, from_block, |from, to| {
        let filter = rollup.FullExitDropped_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    let forced_dropped = in_ranges(provider, from_block, |from, to| {
        let filter = rollup.ForcedRequestDropped_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    let gone: std::collections::BTreeSet<u32> = exited.iter().map(|(e, _)| e.account).collect();
    credited.extend(exited.iter().map(|(e, _)| e.owner));
    credited.extend(refunded.iter().map(|(e, _)| e.owner));
    credited.extend(dropped.iter().map(|(e, _)| e.owner));
    credited.extend(forced_dropped.iter().map(|(e, _)| e.owner));
    // Ether only, for now: the contract's ether against the ether it owes.
    let balances = state
        .accounts()
        .filter(|(i, a)| !gone.contains(i) && a.token == causeway_protocol::account::ETHER)
        .fold(U256::ZERO, |sum, (_, a)| sum + U256::from(a.balance));
    let mut unclaimed = U256::ZERO;
    for address in credited {
        unclaimed += rollup.pendingWithdrawals(address, causeway_protocol::account::ETHER).call().await?;
    }
    let waiting_from = if rollup.exodusMode().call().await? {
        rollup.refundHead().call().await?
    } else {
        rollup.priorityHead().call().await?
    };
    let queued_deposits = requests
        .range(waiting_from..)
        .filter_map(|(_, r)| match r {
            Request::Deposit { amount, token: causeway_protocol::account::ETHER, .. } => Some(U256::from(*amount)),
            Request::Deposit { .. } | Request::FullExit { .. } | Request::Forced { .. } => None,
        })
        .fold(U256::ZERO, |sum, a| sum + a);
    let (deposit_fee, exit_fee, forced_fee) =
        (rollup.depositFee().call().await?, rollup.fullExitFee().call().await?, rollup.forcedFee().call().await?);
    let queued_fees = requests
        .range(waiting_from..)
        .map(|(_, r)| match r {
            Request::Deposit { .. } => deposit_fee,
            Request::FullExit { .. } => exit_fee,
            Request::Forced { .. } => forced_fee,
        })
        .fold(U256::ZERO, |sum, a| sum + a);
    let contract_balance = provider.get_balance(*rollup.address()).await?;
    Ok(Solvency { contract_balance, balances, unclaimed, queued_deposits, queued_fees })
}

/// The contract's code, key and parameters against the committed artifact, the keys and the
/// genesis file.
pub(crate) async fn check_contract(
    rollup: &Rollup::RollupInstance<DynProvider>,
    address: Address,
    code: &[u8],
    input: &ReplayInput<'_>,
    genesis_state: &State,
) -> Result<ContractCheck, L1Error> {
    let batch_count = rollup.batchCount().call().await?;
    let state_root = rollup.stateRoot().call().await?;
    let vk_matches = match input.vk {
        Some(vk) => rollup.verifyingKey().call().await? == encode::vk_of(vk)?,
        None => true,
    };
    let exit_vk_matches = match input.exit_vk {
        Some(vk) => rollup.exitVerifyingKey().call().await? == encode::exit_vk_of(vk)?,
        None => true,
    };
    let pubdata_bytes = rollup.pubdataBytes().call().await?;
    let capacity = rollup.accountCapacity().call().await?;
    let depth = input.genesis.depth;
    let mut parameter_problems = Vec::new();
    check(&mut parameter_problems, pubdata_bytes == U256::from(input.slots * 16), || {
        format!("{pubdata_bytes} pubdata bytes per batch, the keys' {} slots take {}", input.slots, input.slots * 16)
    });
    check(&mut parameter_problems, capacity == U256::from(1u64) << depth as usize, || {
        format!("capacity {capacity}, the genesis depth {depth} holds 2^{depth}")
    });
    let funds = rollup.genesisFunds().call().await?;
    let total = genesis_total(input.genesis);
    check(&mut parameter_problems, funds == total, || {
        format!(
            "the genesis file's balances sum to {total} wei but the deployment was funded with {funds}: those balances \
             are not backed"
        )
    });
    if batch_count == 0 {
        check(
            &mut parameter_problems,
            state_root.as_slice() == fr_to_be_bytes(&genesis_state.root()).as_slice(),
            || "no batch yet, and the root is not the genesis file's".into(),
        );
    }
    Ok(ContractCheck {
        address,
        batch_count,
        state_root,
        vk_matches,
        exit_vk_matches,
        exodus_mode: rollup.exodusMode().call().await?,
        code: crate::check_runtime_code(code),
        parameter_problems,
        operator: rollup.operator().call().await?,
        expiry_blocks: rollup.priorityExpiryBlocks().call().await?,
        blocks_per_batch: rollup.blocksPerBatch().call().await?,
        priority_fee: rollup.priorityFee().call().await?,
        min_deposit: rollup.minDeposit().call().await?,
    })
}

/// A priority request and where the chain queued it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedRequest {
    /// The request.
    pub request: Request,
    /// The block by which the contract expects it executed.
    pub deadline: u64,
    /// The block it was queued in.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// The transaction that queued it.
    pub tx_hash: B256,
    /// Its log's index in the block.
    pub log_index: u64,
}

/// Every priority request the Rollup queued from `from_block` on, by serial.
pub async fn priority_requests(
    rollup: &Rollup::RollupInstance<DynProvider>,
    from_block: u64,
) -> Result<BTreeMap<u64, Request>, L1Error> {
    let provider = rollup.provider().clone();
    let latest = retry("eth_blockNumber", || async { Ok(provider.get_block_number().await?) }).await?;
    let logs = priority_request_logs(rollup, from_block, latest).await?;
    Ok(logs.into_iter().map(|(serial, q)| (serial, q.request)).collect())
}

/// Every priority request the Rollup queued in blocks `from..=to`, by serial, with its log.
pub async fn priority_request_logs(
    rollup: &Rollup::RollupInstance<DynProvider>,
    from: u64,
    to: u64,
) -> Result<BTreeMap<u64, QueuedRequest>, L1Error> {
    let mut out = BTreeMap::new();
    let queued = |request, deadline, log: &alloy::rpc::types::Log| {
        let missing = || L1Error::Rpc("a priority request's log without its block or transaction".into());
        Ok::<_, L1Error>(QueuedRequest {
            request,
            deadline,
            block_number: log.block_number.ok_or_else(missing)?,
            block_hash: log.block_hash.ok_or_else(missing)?,
            tx_hash: log.transaction_hash.ok_or_else(missing)?,
            log_index: log.log_index.ok_or_else(missing)?,
        })
    };
    let deposits = in_ranges_to(from, to, |from, to| {
        let filter = rollup.DepositRequested_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    for (e, log) in deposits {
        let request = Request::Deposit {
            account: e.account,
            owner: e.owner,
            token: e.token,
            amount: e.amount,
            pk: (e.pkX, e.pkY),
        };
        out.insert(e.serial, queued(request, e.deadline, &log)?);
    }
    let exits = in_ranges_to(from, to, |from, to| {
        let filter = rollup.FullExitRequested_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    for (e, log) in exits {
        let request = Request::FullExit { account: e.account, owner: e.owner, token: e.token };
        out.insert(e.serial, queued(request, e.deadline, &log)?);
    }
    let transfers = in_ranges_to(from, to, |from, to| {
        let filter = rollup.ForcedTransferRequested_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    for (e, log) in transfers {
        let request =
            Request::Forced { account: e.account, owner: e.owner, to: Some(e.to), token: e.token, amount: e.amount };
        out.insert(e.serial, queued(request, e.deadline, &log)?);
    }
    let withdrawals = in_ranges_to(from, to, |from, to| {
        let filter = rollup.ForcedWithdrawRequested_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    for (e, log) in withdrawals {
        let request =
            Request::Forced { account: e.account, owner: e.owner, to: None, token: e.token, amount: e.amount };
        out.insert(e.serial, queued(request, e.deadline, &log)?);
    }
    Ok(out)
}

/// The batch's operations from its pubdata, checking each priority operation against the
/// request the chain queued at its position. Signed operations get the payer's current nonce
/// and no signature (the proof attests to both).
fn replay_ops(
    state: &State,
    data: &[u8],
    mut serial: u64,
    requests: &BTreeMap<u64, Request>,
) -> Result<Vec<Operation>, String> {
    let decoded = pubdata::decode(data).map_err(|e| format!("malformed pubdata: {e}"))?;
    let unsigned = Signature { r8: Point::IDENTITY, s: Default::default() };
    let mut nonces: BTreeMap<u32, u32> = BTreeMap::new();
    let mut next_nonce = |from: u32| {
        let n = nonces.entry(from).or_insert_with(|| state.account(from).nonce);
        let current = *n;
        *n = n.wrapping_add(1);
        current
    };
    let mut ops = Vec::with_capacity(decoded.len());
    for op in decoded {
        ops.push(match op {
            PubdataOp::Noop => Operation::Noop,
            PubdataOp::Transfer { from, to, amount, fee } => {
                Operation::Transfer(Transfer { from, to, amount, fee, nonce: next_nonce(from), signature: unsigned })
            }
            PubdataOp::Withdraw { from, to, amount, fee, .. } => {
                Operation::Withdraw(Withdraw { from, to, amount, fee, nonce: next_nonce(from), signature: unsigned })
            }
            PubdataOp::Deposit(d) => {
                let ok = match requests.get(&serial) {
                    Some(Request::Deposit { account, owner, token, amount, pk }) => {
                        let (x, y) = encode::key_words(&d.pubkey);
                        *account == d.account
                            && owner.0 == d.owner
                            && *token == d.token
                            && *amount == d.amount
                            && *pk == (x, y)
                    }
                    _ => false,
                };
                if !ok {
                    return Err(format!(
                        "deposit at queue position {serial} is not the request the chain queued there"
                    ));
                }
                serial += 1;
                Operation::Deposit(d)
            }
            PubdataOp::FullExit { account, owner, token, .. } => {
                let ok =
                    requests.get(&serial) == Some(&Request::FullExit { account, owner: Address::from(owner), token });
                if !ok {
                    return Err(format!(
                        "full exit at queue position {serial} is not the request the chain queued there"
                    ));
                }
                serial += 1;
                Operation::FullExit(FullExit { account, owner, token })
            }
            PubdataOp::Forced { request, .. } => {
                let ok = requests.get(&serial)
                    == Some(&Request::Forced {
                        account: request.account,
                        owner: Address::from(request.owner),
                        to: request.to,
                        token: request.token,
                        amount: request.amount,
                    });
                if !ok {
                    return Err(format!(
                        "forced request at queue position {serial} is not the request the chain queued there"
                    ));
                }
                serial += 1;
                Operation::Forced(request)
            }
        });
    }
    Ok(ops)
}
