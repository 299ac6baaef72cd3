//! The L1 watcher: reads the Rollup's priority requests (deposits, full exits, forced transfers
//! and withdrawals) once they have enough confirmations and hands them, in queue order, to the
//! mempool, which sequences them like transactions.
//!
//! Only blocks at least `confirmations` deep (the including block counted) are read, so a
//! request reorganised away before then is never seen, let alone executed. Each range of
//! requests is stored together with the watcher's new position (`l1_cursor`) in one database
//! transaction; a restarted watcher resumes after that block, and so does a running one after
//! any failure (the position is re-read from the database, which may hold a range whose commit
//! answer was lost). Before reading on, the watcher
//! checks that the block it stopped at is still canonical; a reorganisation deeper than the
//! confirmations stops it with an error (funds may already have moved on the rollup: an operator
//! must look).

use crate::{Shared, mempool::PriorityRange, metrics};
use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Log,
};
use causeway_db::priority::{L1Cursor, NewPriorityRequest};
use causeway_l1::Rollup;
pub use causeway_protocol::wire::{PriorityBody, PriorityOp, priority_request_hash};
use causeway_protocol::{
    Point,
    field::{fr_from_be_bytes, fr_to_be_bytes},
    wire::{Amount, HexAddress, PackedKey},
};
use std::{sync::Arc, time::Duration};
use tokio::sync::{mpsc, oneshot, watch};

/// Default confirmations before a request is read.
pub const DEFAULT_CONFIRMATIONS: u64 = 6;
/// Default pause between polls of the base chain.
pub const DEFAULT_POLL: Duration = Duration::from_millis(1000);
/// Most blocks read per query.
const MAX_RANGE: u64 = 2_000;

/// Where the watcher reads from.
#[derive(Clone, Debug)]
pub struct L1Config {
    /// Base-chain JSON-RPC URL.
    pub rpc: String,
    /// The Rollup's address.
    pub contract: Address,
    /// Blocks (the including one counted) before a request is read.
    pub confirmations: u64,
    /// Pause between polls.
    pub poll: Duration,
    /// The first block to read (the Rollup's deployment block) when the database has no
    /// position yet.
    pub from_block: u64,
}

fn u256_fr(x: alloy::primitives::U256) -> Option<causeway_protocol::Fr> {
    fr_from_be_bytes(&x.to_be_bytes::<32>())
}

/// A request and the log it came from.
fn request_of(op: PriorityOp, deadline: u64, log: &Log) -> Result<(PriorityOp, NewPriorityRequest), String> {
    let (public_key, amount, payee) = match op {
        PriorityOp::Deposit { public_key, amount, .. } => {
            let pk = [fr_to_be_bytes(&public_key.0.x), fr_to_be_bytes(&public_key.0.y)].concat();
            (Some(pk), Some(amount.0.to_string()), None)
        }
        PriorityOp::FullExit { .. } => (None, None, None),
        PriorityOp::ForcedTransfer { to, amount, .. } => (None, Some(amount.0.to_string()), Some(i64::from(to))),
        PriorityOp::ForcedWithdraw { amount, .. } => (None, Some(amount.0.to_string()), None),
    };
    let owner = op.owner();
    let missing = || "a log without its block or transaction".to_owned();
    Ok((
        op,
        NewPriorityRequest {
            serial: op.serial() as i64,
            kind: op.kind(),
            account_index: i64::from(op.account()),
            owner: owner.0.to_vec(),
            public_key,
            amount,
            deadline_block: deadline as i64,
            block_number: log.block_number.ok_or_else(missing)? as i64,
            block_hash: log.block_hash.ok_or_else(missing)?.to_vec(),
            tx_hash: log.transaction_hash.ok_or_else(missing)?.to_vec(),
            log_index: log.log_index.ok_or_else(missing)? as i64,
            payee,
        },
    ))
}

pub(crate) struct Watcher {
    pub(crate) shared: Arc<Shared>,
    pub(crate) config: L1Config,
    pub(crate) to_mempool: mpsc::Sender<PriorityRange>,
}

impl Watcher {
    pub(crate) async fn run(self, mut stop: watch::Receiver<bool>) -> Result<(), String> {
        let url = self.config.rpc.parse().map_err(|e| format!("bad RPC URL {}: {e}", self.config.rpc))?;
        let provider = ProviderBuilder::new().disable_recommended_fillers().connect_http(url).erased();
        let rollup = Rollup::new(self.config.contract, provider.clone());
        let mut state = None;
        loop {
            let result = match &mut state {
                None => self.start().await.map(|s| {
                    state = Some(s);
                    false
                }),
                Some(s) => self.poll(&provider, &rollup, s).await,
            };
            match result {
                Ok(more) => {
                    self.shared.beats.beat("watcher");
                    if more {
                        continue;
                    }
                }
                Err(Fatal(e)) => return Err(e),
                Err(Retry(e)) => {
                    // A write whose answer was lost may have committed the requests and the
                    // new position: re-read both from the database rather than send the same
                    // requests again (they would conflict for ever).
                    tracing::warn!("L1 watcher: {e}; retrying from the stored position");
                    state = None;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll) => {}
                _ = stop.changed() => return Ok(()),
            }
        }
    }

    async fn start(&self) -> Result<Position, WatchError> {
        let db = &self.shared.db;
        let next_serial = db.next_priority_serial().await.map_err(|e| Retry(e.to_string()))? as u64;
        let cursor = db.l1_cursor().await.map_err(|e| Retry(e.to_string()))?;
        if let Some(c) = &cursor
            && c.contract.as_slice() != self.config.contract.as_slice()
        {
            return Err(Fatal(format!(
                "this database follows the Rollup at 0x{}, not {}",
                hex::encode(&c.contract),
                self.config.contract
            )));
        }
        tracing::info!(contract = %self.config.contract, next_serial, "L1 watcher started");
        Ok(Position {
            next_serial,
            cursor,
            warned: None,
            expiry_blocks: None,
            deadline_checked_at: None,
            root_checked_at: None,
        })
    }

    /// Refuses to go on when the Rollup's root is not one this database sealed: another party
    /// advanced the rollup (open mode, or a taker after this operator stopped), so this
    /// database's state is not the chain's and whatever it seals would be refused. Checked once
    /// per base-chain block.
    async fn check_root(
        &self,
        rollup: &Rollup::RollupInstance<DynProvider>,
        block: u64,
        at: &mut Position,
    ) -> Result<(), WatchError> {
        if at.root_checked_at == Some(block) {
            return Ok(());
        }
        let rpc = |e: &dyn std::fmt::Display| Retry(format!("{}: {e}", self.config.rpc));
        let count = rollup.batchCount().call().await.map_err(|e| rpc(&e))?;
        if count > 0 {
            let root = rollup.stateRoot().call().await.map_err(|e| rpc(&e))?;
            let ours = self.shared.db.batch(count as i64).await.map_err(|e| Retry(e.to_string()))?;
            if ours.is_none_or(|b| b.new_root.as_slice() != root.as_slice()) {
                return Err(Fatal(format!(
                    "the Rollup's root after batch {count} is {root}, which this database never sealed: another party \
                     advanced the rollup (open mode, or a taker while this operator was away), so this database's \
                     state is not the chain's and nothing it seals would be accepted. Refusing to go on: rebuild the \
                     database from the chain with `causeway restore` into an empty database (docs/operations.md), \
                     then start again"
                )));
            }
        }
        at.root_checked_at = Some(block);
        Ok(())
    }

    /// Publishes how many blocks the oldest request no accepted batch has executed has left
    /// before its deadline, and warns (once per request) when less than half its waiting time
    /// is left: past the deadline anyone may turn exodus mode on and the rollup stops for good.
    async fn check_deadline(
        &self,
        rollup: &Rollup::RollupInstance<DynProvider>,
        block: u64,
        at: &mut Position,
    ) -> Result<(), alloy::contract::Error> {
        if at.deadline_checked_at == Some(block) {
            return Ok(());
        }
        let exodus = rollup.exodusMode().call().await?;
        let head = rollup.priorityHead().call().await?;
        let tail = rollup.priorityTail().call().await?;
        if exodus {
            tracing::error!(contract = %self.config.contract, "the Rollup is in exodus mode: it accepts no batch any more");
        }
        let expiry = match at.expiry_blocks {
            Some(e) => e,
            None => *at.expiry_blocks.insert(rollup.priorityExpiryBlocks().call().await? as i64),
        };
        if head >= tail {
            // Nothing waits: a request queued now would have the whole window.
            metrics::priority_deadline(0, Some(expiry), exodus);
            at.deadline_checked_at = Some(block);
            return Ok(());
        }
        let deadline = rollup.priorityRequests(head).call().await?.deadline;
        let left = deadline as i64 - block as i64;
        metrics::priority_deadline(tail - head, Some(left), exodus);
        at.deadline_checked_at = Some(block);
        if !exodus && left <= expiry / 2 && at.warned != Some(head) {
            at.warned = Some(head);
            tracing::warn!(
                serial = head,
                deadline,
                blocks_left = left,
                "the oldest unexecuted priority request is {} its deadline: past it anyone may activate exodus mode \
                 and no batch is accepted again; get batches proved and settled",
                if left < 0 { "past" } else { "near" }
            );
        }
        Ok(())
    }

    /// Reads the next confirmed range; true if there may be more right away.
    async fn poll(
        &self,
        provider: &DynProvider,
        rollup: &Rollup::RollupInstance<DynProvider>,
        at: &mut Position,
    ) -> Result<bool, WatchError> {
        let rpc = |e: &dyn std::fmt::Display| Retry(format!("{}: {e}", self.config.rpc));
        let head = provider.get_block_number().await.map_err(|e| rpc(&e))?;
        self.check_root(rollup, head, at).await?;
        if let Err(e) = self.check_deadline(rollup, head, at).await {
            tracing::warn!("L1 watcher: could not read the priority queue's deadline: {e}");
        }
        let Some(safe) = (head + 1).checked_sub(self.config.confirmations.max(1)) else { return Ok(false) };
        if let Some(c) = &at.cursor {
            let block = provider
                .get_block_by_number((c.block_number as u64).into())
                .await
                .map_err(|e| rpc(&e))?
                .ok_or_else(|| Fatal(format!("block {} vanished from the base chain", c.block_number)))?;
            if block.header.hash.as_slice() != c.block_hash.as_slice() {
                return Err(Fatal(format!(
                    "block {} was reorganised after {} confirmations: deeper than --confirmations allows",
                    c.block_number, self.config.confirmations
                )));
            }
        }
        let from = at.cursor.as_ref().map_or(self.config.from_block, |c| c.block_number as u64 + 1);
        if safe < from {
            return Ok(false);
        }
        let to = safe.min(from + MAX_RANGE - 1);
        let mut found = Vec::new();
        for (e, log) in
            rollup.DepositRequested_filter().from_block(from).to_block(to).query().await.map_err(|e| rpc(&e))?
        {
            let (Some(x), Some(y)) = (u256_fr(e.pkX), u256_fr(e.pkY)) else {
                return Err(Fatal(format!("deposit {} has a key outside the field", e.serial)));
            };
            let op = PriorityOp::Deposit {
                serial: e.serial,
                account: e.account,
                public_key: PackedKey(Point { x, y }),
                owner: HexAddress(e.owner.0.0),
                token: e.token,
                amount: Amount(e.amount),
            };
            found.push(request_of(op, e.deadline, &log).map_err(Retry)?);
        }
        for (e, log) in
            rollup.FullExitRequested_filter().from_block(from).to_block(to).query().await.map_err(|e| rpc(&e))?
        {
            let op = PriorityOp::FullExit {
                serial: e.serial,
                account: e.account,
                owner: HexAddress(e.owner.0.0),
                token: e.token,
            };
            found.push(request_of(op, e.deadline, &log).map_err(Retry)?);
        }
        for (e, log) in
            rollup.ForcedTransferRequested_filter().from_block(from).to_block(to).query().await.map_err(|e| rpc(&e))?
        {
            let op = PriorityOp::ForcedTransfer {
                serial: e.serial,
                account: e.account,
                owner: HexAddress(e.owner.0.0),
                to: e.to,
                token: e.token,
                amount: Amount(e.amount),
            };
            found.push(request_of(op, e.deadline, &log).map_err(Retry)?);
        }
        for (e, log) in
            rollup.ForcedWithdrawRequested_filter().from_block(from).to_block(to).query().await.map_err(|e| rpc(&e))?
        {
            let op = PriorityOp::ForcedWithdraw {
                serial: e.serial,
                account: e.account,
                owner: HexAddress(e.owner.0.0),
                token: e.token,
                amount: Amount(e.amount),
            };
            found.push(request_of(op, e.deadline, &log).map_err(Retry)?);
        }
        found.sort_by_key(|(op, _)| op.serial());
        found.retain(|(op, _)| op.serial() >= at.next_serial);
        for (i, (op, _)) in found.iter().enumerate() {
            if op.serial() != at.next_serial + i as u64 {
                return Err(Retry(format!(
                    "priority request {} is missing from blocks {from}..={to}",
                    at.next_serial + i as u64
                )));
            }
        }
        let block = provider
            .get_block_by_number(to.into())
            .await
            .map_err(|e| rpc(&e))?
            .ok_or_else(|| Retry(format!("block {to} not found")))?;
        let cursor = L1Cursor {
            contract: self.config.contract.to_vec(),
            block_number: to as i64,
            block_hash: block.header.hash.to_vec(),
        };
        let n = found.len() as u64;
        if found.is_empty() {
            self.shared.db.set_l1_cursor(&cursor).await.map_err(|e| Retry(e.to_string()))?;
        } else {
            // Tests stop the process here: requests read from the chain, nothing stored yet.
            causeway_db::fail_point_async(&format!("watcher-read-request-{}", at.next_serial)).await;
            let (reply, answer) = oneshot::channel();
            self.to_mempool
                .send(PriorityRange { requests: found, cursor: cursor.clone(), reply })
                .await
                .map_err(|_| Fatal("the mempool stopped".into()))?;
            match answer.await {
                Ok(Ok(())) => tracing::info!(requests = n, through_block = to, "priority requests sequenced"),
                Ok(Err(e)) => return Err(Retry(e)),
                Err(_) => return Err(Fatal("the mempool stopped".into())),
            }
        }
        at.next_serial += n;
        at.cursor = Some(cursor);
        Ok(to < safe)
    }
}

struct Position {
    next_serial: u64,
    cursor: Option<L1Cursor>,
    /// The request whose near deadline was last warned about.
    warned: Option<u64>,
    /// The contract's `priorityExpiryBlocks` (an immutable: read once, when first needed).
    expiry_blocks: Option<i64>,
    /// The head block the deadline was last checked at: the queue cannot change without a
    /// new block, so polls within one block check it once.
    deadline_checked_at: Option<u64>,
    /// The head block the Rollup's root was last checked against this database at.
    root_checked_at: Option<u64>,
}

enum WatchError {
    Retry(String),
    Fatal(String),
}
use WatchError::{Fatal, Retry};
