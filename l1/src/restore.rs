//! Rebuilding an operator's database from the base chain (`causeway restore`): the state, every
//! batch with its proof and the transaction that submitted it, the priority queue (executed and
//! waiting), the transaction history from pubdata, and the watcher's position, so that the
//! sequencer, provers and settler carry on from it and the contract accepts the next batch.
//!
//! The chain is read as [`crate::replay`] reads it (events in capped, retried ranges; every
//! batch replayed and checked; each proof checked unless told not to), at one pinned block.
//! Each batch is stored in its own database transaction with the restore's position, so an
//! interrupted restore leaves whole batches and a rerun continues after the last; the services
//! refuse the database until the restore's last transaction marks it finished.
//!
//! What the chain does not hold is not restored: signatures (the proofs attest to them),
//! transactions the operator accepted but never put in a submitted batch (their senders
//! resubmit: `docs/api.md`), the sealer's rejections and the settler's replaced attempts.
//! Transactions are renumbered in batch order.

use crate::{
    L1Error, Rollup,
    replay::{
        QueuedRequest, ReplayInput, ReplayedBatch, Replayer, Request, check_contract, priority_request_logs,
        proof_valid, retry, submissions, submitted_proof,
    },
};
use alloy::{
    consensus::Transaction as _,
    eips::eip2718::Encodable2718,
    primitives::{Address, U256},
    providers::{DynProvider, Provider},
};
use ark_serialize::CanonicalSerialize;
use causeway_db::{
    Db, DbError,
    priority::{L1Cursor, NewPriorityRequest},
    restore::{RestoredBatch, RestoredSubmission},
    rollup::RollupRow,
    txs::NewTx,
};
use causeway_protocol::{
    Account, AccountIndex, Domain, Operation, State,
    field::{fr_from_be_bytes, fr_to_be_bytes},
    wire::{
        Amount, Genesis, HexAddress, PackedKey, PriorityBody, PriorityOp, RestoredBody, UnsignedTx,
        priority_request_hash,
    },
};
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

/// What a restore starts from besides the chain.
pub struct RestoreInput<'a> {
    /// The genesis file (its root must be the contract's first previous root).
    pub genesis: &'a Genesis,
    /// The verifying key every proof is checked with; `None` skips the check (the contract
    /// checked each one when it accepted the batch).
    pub vk: Option<&'a ark_groth16::VerifyingKey<ark_bn254::Bn254>>,
    /// The first block to read events from (the deployment's block).
    pub from_block: u64,
    /// Blocks (the including one counted) before a batch is final and a request is read: the
    /// settler's and the watcher's `--confirmations`.
    pub confirmations: u64,
}

/// How far a restore has come (passed to the progress callback after each batch).
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// The newest batch stored.
    pub batch: u64,
    /// Batches the contract has accepted.
    pub total: u64,
    /// Batches stored by this run.
    pub done: u64,
    /// Batches this run has to store.
    pub todo: u64,
    /// Since this run started storing.
    pub elapsed: Duration,
}

impl Progress {
    /// Batches per second so far.
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The time the rest should take at the rate so far.
    pub fn left(&self) -> Duration {
        let rate = self.rate();
        if rate <= 0.0 { Duration::ZERO } else { Duration::from_secs_f64((self.todo - self.done) as f64 / rate) }
    }
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    /// Batches the contract has accepted (all stored now).
    pub batches: u64,
    /// The batch an earlier, interrupted run had stored through (0: none).
    pub resumed_after: u64,
    /// Of the batches, those final (`finalized`); the rest are `submitted`.
    pub finalized: u64,
    /// Transactions and priority operations in the stored batches.
    pub operations: u64,
    /// Priority requests queued and not executed yet, stored for the sequencer.
    pub waiting_requests: u64,
    /// Proofs checked against the verifying key.
    pub proofs_checked: u64,
    /// Batches whose proof is not stored: their transaction was not a direct `submitBatch`.
    pub proofs_missing: u64,
    /// The block the chain was read at.
    pub block: u64,
}

/// Why a restore stopped.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The database holds something else.
    #[error("{0}")]
    NotEmpty(String),
    /// The chain does not fit the inputs, or a batch does not replay.
    #[error("{0}")]
    Mismatch(String),
    /// Reading the chain failed (after retries).
    #[error(transparent)]
    Chain(#[from] L1Error),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] DbError),
}

/// Restores the rollup of the Rollup at `contract` into `db`, which must be empty or hold an
/// interrupted restore of the same contract. `progress` is called after each stored batch.
pub async fn restore(
    provider: &DynProvider,
    contract: Address,
    db: &Db,
    input: &RestoreInput<'_>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Restored, RestoreError> {
    let mismatch = |m: String| RestoreError::Mismatch(m);
    let code = retry("eth_getCode", || async { Ok(provider.get_code_at(contract).await?) }).await?;
    if code.is_empty() {
        return Err(mismatch(format!("no contract at {contract}")));
    }
    let chain_id = retry("eth_chainId", || async { Ok(provider.get_chain_id().await?) }).await?;
    let domain = Domain::new(chain_id, contract.into_array());
    let genesis_state = input.genesis.state(domain).map_err(|e| mismatch(format!("genesis: {e}")))?;
    let rollup = Rollup::new(contract, provider.clone());
    // Read everything at one block: later blocks are the services' to follow.
    let block = retry("eth_blockNumber", || async { Ok(provider.get_block_number().await?) }).await?;
    let pubdata_bytes =
        retry("pubdataBytes", || async { Ok(rollup.pubdataBytes().block(block.into()).call().await?) }).await?;
    let slots = usize::try_from(pubdata_bytes / U256::from(causeway_protocol::pubdata::CHUNK_BYTES))
        .map_err(|_| mismatch(format!("the contract takes {pubdata_bytes} pubdata bytes per batch")))?;
    let check_input =
        ReplayInput { genesis: input.genesis, vk: input.vk, exit_vk: None, slots, from_block: input.from_block };
    let checked =
        retry("reading the contract", || check_contract(&rollup, contract, &code, &check_input, &genesis_state))
            .await?;
    if let Err(e) = &checked.code {
        return Err(mismatch(format!("the contract at {contract} is not this build's Rollup: {e}")));
    }
    if !checked.vk_matches {
        return Err(mismatch("the contract's verifying key is not the one in --keys".into()));
    }
    if !checked.parameter_problems.is_empty() {
        return Err(mismatch(format!(
            "the contract does not fit the genesis file: {}",
            checked.parameter_problems.join("; ")
        )));
    }
    let total = retry("batchCount", || async { Ok(rollup.batchCount().block(block.into()).call().await?) }).await?;

    // The database: empty, or an interrupted restore of this contract.
    let row = RollupRow {
        depth: input.genesis.depth as i32,
        slots: slots as i32,
        fee_account: i64::from(input.genesis.fee_account),
        genesis_root: fr_to_be_bytes(&genesis_state.root()).to_vec(),
        genesis: serde_json::to_value(input.genesis).map_err(|e| mismatch(e.to_string()))?,
        chain_id: i64::try_from(chain_id).map_err(|_| mismatch(format!("chain id {chain_id} is too large")))?,
        rollup_address: contract.to_vec(),
    };
    let (mut replayer, resumed_after, mut seq) = match db.restore_progress().await? {
        None => {
            let accounts: Vec<(i64, Vec<u8>)> =
                genesis_state.accounts().map(|(i, a)| (i64::from(i), a.to_bytes().to_vec())).collect();
            if !db.begin_restore(&row, &accounts).await? {
                return Err(RestoreError::NotEmpty(not_empty(db).await?));
            }
            (Replayer::new(genesis_state, 0, slots), 0, 0)
        }
        Some(p) if p.finished_at.is_some() => return Err(RestoreError::NotEmpty(not_empty(db).await?)),
        Some(p) if p.rollup_address != row.rollup_address => {
            return Err(RestoreError::NotEmpty(format!(
                "this database holds an unfinished restore of the Rollup at 0x{}, not {contract}: restore into \
                 another (empty) database",
                hex::encode(&p.rollup_address)
            )));
        }
        Some(p) => {
            let stored = db.rollup().await?.ok_or_else(|| DbError::Corrupt("the restore has no rollup row".into()))?;
            if stored != row {
                return Err(RestoreError::NotEmpty(
                    "this database's unfinished restore was started with another genesis file or deployment".into(),
                ));
            }
            let state = stored_state(db, input.genesis.depth, domain).await?;
            let head = db.sealed_priority_head().await? as u64;
            let (number, root, last_seq) = db.last_batch().await?.unwrap_or((0, row.genesis_root.clone(), 0));
            if number != p.through_batch || fr_to_be_bytes(&state.root()).as_slice() != root.as_slice() {
                return Err(RestoreError::Db(DbError::Corrupt(format!(
                    "the interrupted restore's accounts do not give batch {number}'s root"
                ))));
            }
            tracing::info!(after_batch = number, "continuing an interrupted restore");
            (Replayer::new(state, head, slots), number as u64, last_seq)
        }
    };

    let requests = priority_request_logs(&rollup, input.from_block, block).await?;
    let plain: BTreeMap<u64, Request> = requests.iter().map(|(s, q)| (*s, q.request.clone())).collect();
    let submitted = submissions(&rollup, input.from_block, block).await?;
    let final_by = (block + 1).saturating_sub(input.confirmations.max(1));
    let started = Instant::now();
    let mut report = Restored {
        batches: total,
        resumed_after,
        finalized: submitted.range(..=total).filter(|(_, s)| s.block_number <= final_by).count() as u64,
        operations: 0,
        waiting_requests: 0,
        proofs_checked: 0,
        proofs_missing: 0,
        block,
    };
    for n in resumed_after + 1..=total {
        let s = submitted.get(&n).ok_or_else(|| mismatch(format!("batch {n} has no BatchSubmitted event")))?;
        let b = replayer.apply(n, &s.event, &plain).map_err(|p| mismatch(format!("batch {n}: {p}")))?;
        if !b.problems.is_empty() {
            return Err(mismatch(format!("batch {n}: {}", b.problems.join("; "))));
        }
        let (words, tx) = submitted_proof(provider, s.tx_hash, &s.event).await?;
        let tx = tx.ok_or_else(|| L1Error::Rpc(format!("batch {n}'s transaction {} is unknown", s.tx_hash)))?;
        let proof = match words {
            Some(words) => {
                if let Some(vk) = input.vk {
                    if !proof_valid(vk, b.commitment, &words) {
                        return Err(mismatch(format!("batch {n}: the proof does not verify with this verifying key")));
                    }
                    report.proofs_checked += 1;
                }
                Some(proof_bytes(&words).ok_or_else(|| mismatch(format!("batch {n}: the proof does not decode")))?)
            }
            None => {
                report.proofs_missing += 1;
                None
            }
        };
        let receipt =
            retry("eth_getTransactionReceipt", || async { Ok(provider.get_transaction_receipt(s.tx_hash).await?) })
                .await?
                .ok_or_else(|| L1Error::Rpc(format!("batch {n}'s transaction {} has no receipt", s.tx_hash)))?;
        let finalized = s.block_number <= final_by;
        let submission = RestoredSubmission {
            nonce: tx.nonce() as i64,
            max_fee_per_gas: tx.max_fee_per_gas().to_string(),
            max_priority_fee_per_gas: tx.max_priority_fee_per_gas().unwrap_or_default().to_string(),
            gas_limit: tx.gas_limit() as i64,
            tx_hash: s.tx_hash.to_vec(),
            raw_tx: tx.inner.inner().encoded_2718(),
            block_number: s.block_number as i64,
            block_hash: s.block_hash.to_vec(),
            gas_used: receipt.gas_used as i64,
        };
        let at = s.block_timestamp.and_then(|t| chrono::DateTime::from_timestamp(t as i64, 0));
        let batch = restored_batch(&b, &requests, domain, &mut seq, Stored { proof, submission, finalized, at })?;
        report.operations += batch.txs.len() as u64;
        db.store_restored_batch(&batch).await?;
        causeway_db::fail_point(&format!("restore-stored-batch-{n}"));
        progress(&Progress {
            batch: n,
            total,
            done: n - resumed_after,
            todo: total - resumed_after,
            elapsed: started.elapsed(),
        });
    }

    // The requests no batch executed yet, as the watcher would have stored them: those with
    // enough confirmations; the watcher reads on from there.
    let mut waiting = Vec::new();
    let mut txs = Vec::new();
    for (serial, q) in requests.range(replayer.priority_head..) {
        if q.block_number > final_by {
            break;
        }
        let (op, row) = priority_row(*serial, q)?;
        seq += 1;
        txs.push(NewTx { seq, ..priority_tx(op)? });
        waiting.push(row);
    }
    report.waiting_requests = waiting.len() as u64;
    let cursor = if final_by >= input.from_block {
        let b = retry("eth_getBlockByNumber", || async { Ok(provider.get_block_by_number(final_by.into()).await?) })
            .await?
            .ok_or_else(|| L1Error::Rpc(format!("block {final_by} not found")))?;
        Some(L1Cursor {
            contract: contract.to_vec(),
            block_number: final_by as i64,
            block_hash: b.header.hash.to_vec(),
        })
    } else {
        None
    };
    db.finish_restore(&waiting, &txs, cursor.as_ref()).await?;
    Ok(report)
}

/// Why a database is not a restore's to write, in words.
async fn not_empty(db: &Db) -> Result<String, DbError> {
    let batches = db.last_batch().await?.map_or(0, |b| b.0);
    Ok(format!(
        "the database is not empty (it holds a rollup with {batches} batches{}): restore into a new, empty database",
        match db.restore_progress().await? {
            Some(p) if p.finished_at.is_some() => ", restored earlier",
            _ => "",
        }
    ))
}

/// The state a stored restore reached (every stored account).
async fn stored_state(db: &Db, depth: u32, domain: Domain) -> Result<State, RestoreError> {
    let mut state = State::new(depth, domain).map_err(|e| RestoreError::Mismatch(e.to_string()))?;
    for (i, bytes) in db.sealed_accounts().await? {
        let index = AccountIndex::try_from(i).map_err(|_| DbError::Corrupt(format!("account index {i}")))?;
        let account =
            Account::from_bytes(&bytes).ok_or_else(|| DbError::Corrupt(format!("account {i} does not decode")))?;
        state.insert(index, account).map_err(|e| DbError::Corrupt(e.to_string()))?;
    }
    Ok(state)
}

/// A `submitBatch` proof in the two stored encodings: arkworks compressed and Ethereum's.
fn proof_bytes(words: &[U256; 8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let eth: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes::<32>()).collect();
    let proof = causeway_prover::export::proof_from_eth(&eth)?;
    let mut compressed = Vec::new();
    proof.serialize_compressed(&mut compressed).ok()?;
    Some((compressed, eth))
}

fn body_json<T: serde::Serialize>(body: &T) -> Result<String, RestoreError> {
    serde_json::to_string(body).map_err(|e| RestoreError::Mismatch(e.to_string()))
}

/// A priority request as the watcher stores it.
fn priority_row(serial: u64, q: &QueuedRequest) -> Result<(PriorityOp, NewPriorityRequest), RestoreError> {
    let bad = |what: &str| RestoreError::Mismatch(format!("priority request {serial}: {what}"));
    let (op, public_key, amount) = match &q.request {
        Request::Deposit { account, owner, token, amount, pk } => {
            let x = fr_from_be_bytes(&pk.0.to_be_bytes::<32>()).ok_or_else(|| bad("key outside the field"))?;
            let y = fr_from_be_bytes(&pk.1.to_be_bytes::<32>()).ok_or_else(|| bad("key outside the field"))?;
            let op = PriorityOp::Deposit {
                serial,
                account: *account,
                public_key: PackedKey(causeway_protocol::Point { x, y }),
                owner: HexAddress(owner.0.0),
                token: *token,
                amount: Amount(*amount),
            };
            let key = [pk.0.to_be_bytes::<32>(), pk.1.to_be_bytes::<32>()].concat();
            (op, Some(key), Some(amount.to_string()))
        }
        Request::FullExit { account, owner, token } => {
            let op = PriorityOp::FullExit { serial, account: *account, owner: HexAddress(owner.0.0), token: *token };
            (op, None, None)
        }
        Request::Forced { account, owner, to: Some(to), token, amount } => {
            let (account, owner, to, token, amount) = (*account, HexAddress(owner.0.0), *to, *token, Amount(*amount));
            (PriorityOp::ForcedTransfer { serial, account, owner, to, token, amount }, None, Some(amount.0.to_string()))
        }
        Request::Forced { account, owner, to: None, token, amount } => {
            let (account, owner, token, amount) = (*account, HexAddress(owner.0.0), *token, Amount(*amount));
            (PriorityOp::ForcedWithdraw { serial, account, owner, token, amount }, None, Some(amount.0.to_string()))
        }
    };
    let (account, owner) = match &q.request {
        Request::Deposit { account, owner, .. }
        | Request::FullExit { account, owner, .. }
        | Request::Forced { account, owner, .. } => (*account, *owner),
    };
    let payee = match q.request {
        Request::Forced { to, .. } => to.map(i64::from),
        _ => None,
    };
    Ok((
        op,
        NewPriorityRequest {
            serial: serial as i64,
            kind: op.kind(),
            account_index: i64::from(account),
            owner: owner.to_vec(),
            public_key,
            amount,
            deadline_block: q.deadline as i64,
            block_number: q.block_number as i64,
            block_hash: q.block_hash.to_vec(),
            tx_hash: q.tx_hash.to_vec(),
            log_index: q.log_index as i64,
            payee,
        },
    ))
}

/// What a batch's rows hold besides its replay.
pub struct Stored {
    /// Its proof, in the two stored encodings.
    pub proof: Option<(Vec<u8>, Vec<u8>)>,
    /// The transaction that submitted it.
    pub submission: RestoredSubmission,
    /// Whether it has enough confirmations.
    pub finalized: bool,
    /// Its block's time.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The rows of replayed batch `b`: its operations enter the sequence after `seq` (moved on),
/// its priority operations name their requests in `requests`.
pub fn restored_batch(
    b: &ReplayedBatch,
    requests: &BTreeMap<u64, QueuedRequest>,
    domain: Domain,
    seq: &mut i64,
    stored: Stored,
) -> Result<RestoredBatch, RestoreError> {
    let first_seq = *seq + 1;
    let mut txs = Vec::new();
    let mut executed = Vec::new();
    let mut serial = b.header.priority_start;
    for op in &b.ops {
        if let Some((tx, request)) = sequenced(op, &mut serial, requests, domain)? {
            *seq += 1;
            executed.extend(request);
            txs.push(NewTx { seq: *seq, ..tx });
        }
    }
    let t = &b.transition;
    Ok(RestoredBatch {
        number: t.header.number as i64,
        status: if stored.finalized { "finalized" } else { "submitted" },
        old_root: fr_to_be_bytes(&t.header.old_root).to_vec(),
        new_root: fr_to_be_bytes(&t.header.new_root).to_vec(),
        priority_start: t.header.priority_start as i64,
        priority_count: t.header.priority_count as i32,
        fee_account: i64::from(t.header.fee_account),
        header: t.header.to_bytes().to_vec(),
        pubdata: t.pubdata.clone(),
        commitment: fr_to_be_bytes(&b.commitment).to_vec(),
        first_seq,
        last_seq: *seq,
        op_count: t.op_count() as i32,
        fees: t.fees().to_string(),
        accounts: t
            .account_changes()
            .into_iter()
            .map(|(i, before, after)| (i64::from(i), before.to_bytes().to_vec(), after.to_bytes().to_vec()))
            .collect(),
        txs,
        requests: executed,
        proof: stored.proof,
        submission: stored.submission,
        at: stored.at,
    })
}

/// A priority request's entry in the sequence, as the sequencer writes it (its `seq` still 0).
fn priority_tx(op: PriorityOp) -> Result<NewTx, RestoreError> {
    Ok(NewTx {
        seq: 0,
        hash: priority_request_hash(op.serial()).to_vec(),
        kind: op.kind(),
        from_index: i64::from(op.account()),
        nonce: op.serial() as i64,
        body: body_json(&PriorityBody { priority: op })?,
    })
}

/// An operation's entry in the sequence (its `seq` still 0), and the request row of a priority
/// operation; `None` for padding.
fn sequenced(
    op: &Operation,
    serial: &mut u64,
    requests: &BTreeMap<u64, QueuedRequest>,
    domain: Domain,
) -> Result<Option<(NewTx, Option<NewPriorityRequest>)>, RestoreError> {
    let signed = |kind, from: AccountIndex, nonce: u32| {
        let u = UnsignedTx::of(op).ok_or_else(|| RestoreError::Mismatch("not a signed operation".into()))?;
        Ok::<_, RestoreError>(Some((
            NewTx {
                seq: 0,
                hash: u.hash(&domain).to_vec(),
                kind,
                from_index: i64::from(from),
                nonce: i64::from(nonce),
                body: body_json(&RestoredBody { restored: u })?,
            },
            None,
        )))
    };
    match op {
        Operation::Noop => Ok(None),
        Operation::Transfer(t) => signed("transfer", t.from, t.nonce),
        Operation::Withdraw(w) => signed("withdraw", w.from, w.nonce),
        Operation::Deposit(_) | Operation::FullExit(_) | Operation::Forced(_) => {
            let s = *serial;
            *serial += 1;
            let q = requests
                .get(&s)
                .ok_or_else(|| RestoreError::Mismatch(format!("priority request {s} is not on chain")))?;
            let (op, row) = priority_row(s, q)?;
            Ok(Some((priority_tx(op)?, Some(row))))
        }
    }
}
