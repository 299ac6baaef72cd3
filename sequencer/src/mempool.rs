//! The mempool: orders submissions, checks each against the accepted state and commits them to
//! PostgreSQL in groups before anyone gets an answer.
//!
//! One task owns the accepted state. It takes every submission waiting in its channel as one
//! group, checks them in arrival order (signatures were verified by the HTTP handlers, on the
//! blocking pool), writes the accepted ones with one INSERT, and only then replies and hands them to
//! the sealer. The group grows with load, so one commit covers many transactions: durability
//! costs one fsync per group, not per transaction.

use crate::watcher::{PriorityBody, PriorityOp};
use crate::{
    Shared,
    error::ApiError,
    metrics as m,
    sealer::{FeeCredit, Queued},
};
use causeway_db::{
    DbError,
    priority::{L1Cursor, NewPriorityRequest},
    txs::NewTx,
};
use causeway_protocol::{
    Account, AccountIndex, Ledger, Operation, Signatures,
    state::check_fee_token,
    wire::{Payer, SignedTx},
};
use std::{
    sync::{Arc, atomic::Ordering},
    time::Instant,
};
use tokio::sync::{mpsc, oneshot, watch};

/// Most submissions checked and committed as one group.
pub const MAX_GROUP: usize = 4096;

/// How soon the mempool re-reads the database after a write whose outcome is unknown.
const RESYNC_RETRY: std::time::Duration = std::time::Duration::from_millis(500);

/// A transaction on its way in, signature already verified.
#[derive(Debug)]
pub(crate) struct Submission {
    pub(crate) tx: SignedTx,
    pub(crate) hash: [u8; 32],
    pub(crate) body: String,
    pub(crate) reply: oneshot::Sender<Result<i64, ApiError>>,
}

/// Priority requests the L1 watcher read, in queue order, with its position after them.
#[derive(Debug)]
pub(crate) struct PriorityRange {
    pub(crate) requests: Vec<(PriorityOp, NewPriorityRequest)>,
    pub(crate) cursor: L1Cursor,
    pub(crate) reply: oneshot::Sender<Result<(), String>>,
}

/// A stored body: a signed transaction's JSON, or `{"priority": ...}` for a request from the
/// base chain.
fn operation_of(seq: i64, body: serde_json::Value) -> Result<Operation, DbError> {
    if body.get("priority").is_some() {
        return serde_json::from_value::<PriorityBody>(body)
            .map(|b| b.priority.operation())
            .map_err(|e| DbError::Corrupt(format!("priority request at {seq}: {e}")));
    }
    serde_json::from_value::<SignedTx>(body)
        .map(|tx| tx.operation())
        .map_err(|e| DbError::Corrupt(format!("transaction {seq}: {e}")))
}

pub(crate) struct Mempool {
    pub(crate) shared: Arc<Shared>,
    pub(crate) working: Ledger,
    /// The last sequence number known to be committed.
    pub(crate) committed_seq: i64,
    pub(crate) to_sealer: mpsc::UnboundedSender<Queued>,
    pub(crate) fees: mpsc::UnboundedReceiver<FeeCredit>,
    /// Set after a failed write whose outcome is unknown: re-read the database first.
    pub(crate) resync: bool,
}

impl Mempool {
    /// Re-reads transactions committed after `committed_seq` (on start, or after a write whose
    /// outcome is unknown), applies them to the accepted state and queues them for sealing.
    pub(crate) async fn catch_up(&mut self) -> Result<usize, DbError> {
        let rows = self.shared.db.txs_after(self.committed_seq).await?;
        let n = rows.len();
        for row in rows {
            let op = operation_of(row.seq, row.body)?;
            // Accepted once, so it passes again unless the state diverged; the sealer then
            // records the refusal.
            match self.working.check(&op, Signatures::Verified) {
                Ok(checked) => {
                    let _ = self.working.commit(&checked);
                }
                Err(e) => tracing::error!(seq = row.seq, error = %e, "stored transaction no longer applies"),
            }
            self.queue(row.seq, op);
            self.committed_seq = row.seq;
        }
        self.publish_all();
        Ok(n)
    }

    fn queue(&self, seq: i64, op: Operation) {
        self.shared.pending.fetch_add(op.slots(), Ordering::Relaxed);
        let _ = self.to_sealer.send(Queued { seq, op, accepted_at: Instant::now() });
    }

    fn publish_all(&self) {
        let mut view = self.shared.accepted.write().unwrap_or_else(|e| e.into_inner());
        view.replace(self.working.clone());
    }

    fn credit_fee(&mut self, credit: FeeCredit) {
        let mut a = self.working.account(credit.account);
        a.balance = a.balance.saturating_add(credit.amount);
        let _ = self.working.insert(credit.account, a);
        let mut view = self.shared.accepted.write().unwrap_or_else(|e| e.into_inner());
        view.set(credit.account, a);
    }

    pub(crate) async fn run(
        mut self,
        mut rx: mpsc::Receiver<Submission>,
        mut priority: mpsc::Receiver<PriorityRange>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), String> {
        loop {
            // Alive unless the database is still to be re-read.
            if !self.resync {
                self.shared.beats.beat("mempool");
            }
            let first = tokio::select! {
                s = rx.recv() => match s { Some(s) => s, None => break },
                Some(range) = priority.recv() => {
                    if self.resync && let Err(e) = self.catch_up().await {
                        let _ = range.reply.send(Err(e.to_string()));
                        continue;
                    }
                    self.resync = false;
                    self.accept_priority(range).await;
                    continue;
                }
                Some(credit) = self.fees.recv() => {
                    self.credit_fee(credit);
                    continue;
                }
                // Re-read what an unanswered write may have committed without waiting for the
                // next submission (a priority range may be in it).
                _ = tokio::time::sleep(RESYNC_RETRY), if self.resync => {
                    match self.catch_up().await {
                        Ok(n) => {
                            self.resync = false;
                            tracing::info!(transactions = n, "re-read the database after a lost answer");
                        }
                        Err(e) => tracing::warn!(error = %e, "database still unavailable"),
                    }
                    continue;
                }
                _ = tokio::time::sleep(crate::tasks::IDLE_BEAT) => continue,
                _ = stop.changed() => break,
            };
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(s) => group.push(s),
                    Err(_) => break,
                }
            }
            if self.resync {
                match self.catch_up().await {
                    Ok(_) => self.resync = false,
                    Err(e) => {
                        tracing::warn!(error = %e, "database still unavailable");
                        for s in group {
                            let _ = s.reply.send(Err(ApiError::unavailable()));
                        }
                        continue;
                    }
                }
            }
            while let Ok(credit) = self.fees.try_recv() {
                self.credit_fee(credit);
            }
            self.accept(group).await;
        }
        Ok(())
    }

    /// Sequences priority requests: they are checked against the accepted state like
    /// transactions (the contract already refused anything that could fail) and stored with
    /// the watcher's new position in one database transaction.
    async fn accept_priority(&mut self, range: PriorityRange) {
        let mut undo: Vec<(AccountIndex, Account)> = Vec::new();
        let mut rows = Vec::new();
        let mut ops = Vec::new();
        for (p, _) in &range.requests {
            let op = p.operation();
            let checked = match self.working.check(&op, Signatures::Verified) {
                Ok(c) => c,
                Err(e) => {
                    for (i, a) in undo.into_iter().rev() {
                        let _ = self.working.insert(i, a);
                    }
                    tracing::error!(serial = p.serial(), error = %e, "a priority request does not apply");
                    let _ = range.reply.send(Err(format!("priority request {} does not apply: {e}", p.serial())));
                    return;
                }
            };
            for (i, _) in &checked.changes {
                undo.push((*i, self.working.account(*i)));
            }
            let _ = self.working.commit(&checked);
            let body = serde_json::to_string(&PriorityBody { priority: *p }).unwrap_or_default();
            rows.push(NewTx {
                seq: self.committed_seq + 1 + rows.len() as i64,
                hash: p.hash().to_vec(),
                kind: p.kind(),
                from_index: i64::from(p.account()),
                nonce: p.serial() as i64,
                body,
            });
            ops.push(op);
        }
        let requests: Vec<NewPriorityRequest> = range.requests.iter().map(|(_, r)| r.clone()).collect();
        match self.shared.db.insert_priority(&requests, &rows, &range.cursor).await {
            Ok(()) => {
                {
                    let mut view = self.shared.accepted.write().unwrap_or_else(|e| e.into_inner());
                    for (i, _) in &undo {
                        view.set(*i, self.working.account(*i));
                    }
                }
                for op in ops {
                    self.committed_seq += 1;
                    self.queue(self.committed_seq, op);
                }
                let _ = range.reply.send(Ok(()));
            }
            Err(e) => {
                for (i, a) in undo.into_iter().rev() {
                    let _ = self.working.insert(i, a);
                }
                self.resync = true;
                let _ = range.reply.send(Err(e.to_string()));
            }
        }
    }

    async fn accept(&mut self, group: Vec<Submission>) {
        let mut undo: Vec<(AccountIndex, Account)> = Vec::new();
        let mut accepted: Vec<(Submission, Operation)> = Vec::new();
        let mut rows = Vec::new();
        let limit = self.shared.config.mempool_limit;
        let mut pending = self.shared.pending.load(Ordering::Relaxed);
        // A fee is paid in the payer's token, which must be the fee account's.
        let fee_token = self.working.account(self.shared.params.fee_account).token;
        for s in group {
            if pending >= limit {
                m::rejected("mempool_full");
                let _ = s.reply.send(Err(ApiError::mempool_full()));
                continue;
            }
            let op = s.tx.operation();
            let checked = self
                .working
                .check(&op, Signatures::Verified)
                .and_then(|c| check_fee_token(c.fee, c.fee_token, fee_token).map(|()| c));
            match checked {
                Ok(checked) => {
                    for (i, _) in &checked.changes {
                        undo.push((*i, self.working.account(*i)));
                    }
                    let _ = self.working.commit(&checked);
                    pending += op.slots();
                    let seq = self.committed_seq + 1 + rows.len() as i64;
                    let Payer { kind, from, nonce, .. } = s.tx.payer();
                    rows.push(NewTx {
                        seq,
                        hash: s.hash.to_vec(),
                        kind,
                        from_index: i64::from(from),
                        nonce: i64::from(nonce),
                        body: s.body.clone(),
                    });
                    accepted.push((s, op));
                }
                Err(e) => {
                    m::rejected(e.code());
                    let _ = s.reply.send(Err(ApiError::rule(&e)));
                }
            }
        }
        if rows.is_empty() {
            return;
        }
        match self.shared.db.insert_txs(&rows).await {
            Ok(()) => {
                {
                    let mut view = self.shared.accepted.write().unwrap_or_else(|e| e.into_inner());
                    for (i, _) in &undo {
                        view.set(*i, self.working.account(*i));
                    }
                }
                self.shared.verifier.known().insert_all(accepted.iter().map(|(s, _)| &s.hash));
                for (s, op) in accepted {
                    self.committed_seq += 1;
                    self.queue(self.committed_seq, op);
                    m::accepted();
                    let _ = s.reply.send(Ok(self.committed_seq));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, transactions = rows.len(), "could not store accepted transactions");
                for (i, a) in undo.into_iter().rev() {
                    let _ = self.working.insert(i, a);
                }
                // The commit may have happened with only its acknowledgement lost.
                self.resync = true;
                let error = ApiError::from(e);
                for (s, _) in accepted {
                    let _ = s.reply.send(Err(error.clone()));
                }
            }
        }
    }
}
