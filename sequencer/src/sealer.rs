//! The sealer: cuts the stream of committed transactions into batches, applies each batch to
//! the sealed state tree, and stores the batch, its witness and a proof job in one database
//! transaction.
//!
//! A batch is sealed when one of the [`SealCriterion`]s holds; it is never empty. Operations
//! are sealed in acceptance order, so a batch covers a contiguous range of sequence numbers.

use crate::{Shared, metrics as m};
use causeway_circuits::BatchWitness;
use causeway_db::batches::SealedBatch;
use causeway_protocol::{
    AccountIndex, BatchTransition, Operation, Signatures, State, field::fr_to_be_bytes, state::check_fee_token,
};
use std::{
    collections::VecDeque,
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, watch};

/// How much the sealer's executing and hashing thread lowers its scheduling priority (a nice
/// value). Under load the API's signature checks get the cores first, so accepting stays fast;
/// the sealer uses what is left and catches up when the load drops. The mempool limit bounds
/// how far behind it can fall.
const SEALER_NICE: i32 = 19;

/// Runs `f` on a new thread of lower scheduling priority (see [`SEALER_NICE`]) and waits for
/// it. One thread per batch costs microseconds against the milliseconds of hashing.
fn at_low_priority<T: Send>(f: impl FnOnce() -> Result<T, String> + Send) -> Result<T, String> {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new().name("causeway-sealer".into()).spawn_scoped(scope, || {
            // Only lowers this thread's priority, which any process may do; if it is
            // refused the batch is sealed at normal priority.
            if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), SEALER_NICE) {
                tracing::debug!(error = %e, "sealer priority unchanged");
            }
            f()
        });
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(e) => Err(format!("cannot start the sealer thread: {e}")),
        }
    })
}

/// A committed transaction waiting to be sealed.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) seq: i64,
    pub(crate) op: Operation,
    pub(crate) accepted_at: Instant,
}

/// Fees a sealed batch credited, for the mempool's accepted state.
#[derive(Debug)]
pub(crate) struct FeeCredit {
    pub(crate) account: AccountIndex,
    pub(crate) amount: u128,
}

/// Why a batch is sealed now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealCriterion {
    /// The waiting operations fill every slot.
    SlotsFull,
    /// The oldest waiting operation has waited the batch timeout.
    Timeout,
}

impl SealCriterion {
    /// The first criterion that holds for `queue`, if any.
    fn check(queue: &VecDeque<Queued>, slots: usize, timeout: Duration, now: Instant) -> Option<Self> {
        let front = queue.front()?;
        // Stops counting at a full batch: under load the queue can hold many batches.
        let mut waiting = 0;
        if queue.iter().any(|q| {
            waiting += q.op.slots();
            waiting >= slots
        }) {
            return Some(Self::SlotsFull);
        }
        (now.duration_since(front.accepted_at) >= timeout).then_some(Self::Timeout)
    }

    fn label(self) -> &'static str {
        match self {
            Self::SlotsFull => "slots_full",
            Self::Timeout => "timeout",
        }
    }
}

pub(crate) struct Sealer {
    pub(crate) shared: Arc<Shared>,
    pub(crate) state: State,
    pub(crate) next_number: i64,
    /// Priority requests processed by the sealed batches (the next batch's `priority_start`).
    pub(crate) priority_head: u64,
    pub(crate) last_seq: i64,
    pub(crate) fees: mpsc::UnboundedSender<FeeCredit>,
    /// Set after a write of a batch whose outcome is unknown: the database may hold it.
    pub(crate) unsure: bool,
}

struct Built {
    transition: BatchTransition,
    included: usize,
    rejections: Vec<(i64, String, String)>,
}

impl Sealer {
    pub(crate) async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<Queued>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), String> {
        let mut queue: VecDeque<Queued> = VecDeque::new();
        let slots = self.shared.params.slots;
        let timeout = self.shared.config.batch_timeout;
        loop {
            let now = Instant::now();
            if let Some(criterion) = SealCriterion::check(&queue, slots, timeout, now) {
                match self.seal(&mut queue, criterion).await {
                    Ok(number) => {
                        self.shared.beats.beat("sealer");
                        causeway_db::fail_point_async(&format!("sealer-sealed-batch-{number}")).await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "sealing failed; retrying");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                            _ = stop.changed() => return Ok(()),
                        }
                    }
                }
                continue;
            }
            // Nothing to seal yet: alive.
            self.shared.beats.beat("sealer");
            let deadline = queue.front().map(|q| q.accepted_at + timeout);
            tokio::select! {
                q = rx.recv() => match q {
                    Some(q) => {
                        queue.push_back(q);
                        while let Ok(q) = rx.try_recv() {
                            queue.push_back(q);
                        }
                    }
                    None => return Ok(()),
                },
                _ = async {
                    match deadline {
                        Some(d) => tokio::time::sleep_until(d.into()).await,
                        None => std::future::pending().await,
                    }
                } => {}
                _ = tokio::time::sleep(crate::tasks::IDLE_BEAT) => {}
                _ = stop.changed() => return Ok(()),
            }
        }
    }

    /// Applies the operations that fit in one batch, leaving out (and reporting) any the sealed
    /// state refuses.
    /// With `through`, only operations sequenced up to it are considered (rebuilding a batch
    /// the database already holds).
    fn build(&mut self, queue: &VecDeque<Queued>, through: Option<i64>) -> Result<Built, String> {
        let p = self.shared.params;
        let mut take = 0;
        let mut used = 0;
        for q in queue {
            if used + q.op.slots() > p.slots || through.is_some_and(|t| q.seq > t) {
                break;
            }
            used += q.op.slots();
            take += 1;
        }
        let candidates: Vec<&Queued> = queue.iter().take(take).collect();
        let mut ops: Vec<Operation> = candidates.iter().map(|q| q.op).collect();
        let mut rejections = Vec::new();
        // Every signature was verified when its transaction was accepted (stored transactions
        // replayed after a restart were accepted the same way); the circuit checks them again.
        let (number, priority_start) = (self.next_number as u64, self.priority_head);
        let apply = |state: &mut State, ops: &[Operation]| {
            state.apply_batch_with(number, priority_start, p.slots, p.fee_account, ops, Signatures::Verified)
        };
        let transition = match apply(&mut self.state, &ops) {
            Ok(t) => t,
            Err(_) => {
                // Find the refused operations on a copy of the accounts, then seal the rest.
                let mut ledger = self.state.ledger().clone();
                let fee_token = ledger.account(p.fee_account).token;
                ops.clear();
                for q in &candidates {
                    let checked = ledger
                        .check(&q.op, Signatures::Verify)
                        .and_then(|c| check_fee_token(c.fee, c.fee_token, fee_token).map(|()| c));
                    match checked {
                        Ok(c) => {
                            let _ = ledger.commit(&c);
                            ops.push(q.op);
                        }
                        Err(e) => rejections.push((q.seq, e.code().to_owned(), e.to_string())),
                    }
                }
                apply(&mut self.state, &ops)
                    .map_err(|e| format!("batch {} refused after removing failing operations: {e}", self.next_number))?
            }
        };
        Ok(Built { transition, included: take, rejections })
    }

    /// After a write whose outcome is unknown: the sequence number the stored batch
    /// `next_number` ends at, if the database holds it (`None`: it does not).
    async fn stored_through(&self) -> Result<Option<i64>, String> {
        let (n, _, last_seq) = self.shared.db.last_batch().await.map_err(|e| e.to_string())?.unwrap_or((0, vec![], 0));
        if n == self.next_number {
            Ok(Some(last_seq))
        } else if n + 1 == self.next_number {
            Ok(None)
        } else {
            Err(format!("the database's newest batch is {n}, but this sealer is at batch {}", self.next_number))
        }
    }

    /// Seals one batch; its number.
    async fn seal(&mut self, queue: &mut VecDeque<Queued>, criterion: SealCriterion) -> Result<i64, String> {
        let started = Instant::now();
        // The last attempt's commit may have happened with only its answer lost: then the
        // database holds the batch, and it is rebuilt from exactly the operations it took (the
        // queue may have grown since) instead of built anew.
        let through = if self.unsure { self.stored_through().await? } else { None };
        let (built, batch) = tokio::task::block_in_place(|| {
            at_low_priority(|| {
                let built = self.build(queue, through)?;
                let batch = self.record(queue, &built);
                Ok((built, batch))
            })
        })?;
        let t = &built.transition;
        let stored = if through.is_some() {
            match self.shared.db.batch(batch.number).await {
                Ok(Some(b)) if b.new_root == batch.new_root && b.last_seq == batch.last_seq => Ok(()),
                Ok(_) => Err(format!("the stored batch {} is not the one rebuilt from its operations", batch.number)),
                Err(e) => Err(e.to_string()),
            }
        } else {
            self.shared.db.seal_batch(&batch).await.map_err(|e| e.to_string())
        };
        if let Err(e) = stored {
            self.state.undo_batch(t);
            self.unsure = true;
            return Err(e);
        }
        self.unsure = false;
        if through.is_some() {
            tracing::info!(batch = batch.number, "the database holds the batch whose commit was not answered");
        }
        let _ = self.fees.send(FeeCredit { account: self.shared.params.fee_account, amount: t.fees() });
        let oldest = queue.front().map(|q| q.accepted_at);
        let mut slots = 0;
        for q in queue.drain(..built.included) {
            slots += q.op.slots();
        }
        // The new batch number first: `/health` never shows the slots gone with the old one.
        self.shared.sealed_through.store(batch.number, Ordering::Release);
        self.shared.pending.fetch_sub(slots, Ordering::Release);
        self.last_seq = batch.last_seq;
        self.next_number += 1;
        self.priority_head += u64::from(t.header.priority_count);
        m::batch_sealed(criterion.label(), oldest.map(|o| o.elapsed()), started.elapsed(), batch.op_count);
        tracing::info!(
            batch = batch.number,
            ops = batch.op_count,
            rejected = built.rejections.len(),
            reason = criterion.label(),
            "sealed"
        );
        Ok(batch.number)
    }

    fn record(&self, queue: &VecDeque<Queued>, built: &Built) -> SealedBatch {
        let t = &built.transition;
        let last_seq = queue.get(built.included.wrapping_sub(1)).map_or(self.last_seq, |q| q.seq);
        SealedBatch {
            number: self.next_number,
            old_root: fr_to_be_bytes(&t.header.old_root).to_vec(),
            new_root: fr_to_be_bytes(&t.header.new_root).to_vec(),
            priority_start: t.header.priority_start as i64,
            priority_count: t.header.priority_count as i32,
            fee_account: i64::from(t.header.fee_account),
            header: t.header.to_bytes().to_vec(),
            pubdata: t.pubdata.clone(),
            commitment: fr_to_be_bytes(&t.commitment()).to_vec(),
            first_seq: self.last_seq + 1,
            last_seq,
            op_count: t.op_count() as i32,
            fees: t.fees().to_string(),
            witness: BatchWitness::from_transition(t).to_bytes(),
            accounts: t
                .account_changes()
                .into_iter()
                .map(|(i, b, a)| (i64::from(i), b.to_bytes().to_vec(), a.to_bytes().to_vec()))
                .collect(),
            rejections: built.rejections.clone(),
            max_attempts: self.shared.config.max_prove_attempts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_priority_work_runs_on_a_lowered_thread_and_returns_its_result() {
        let here = std::thread::current().id();
        let caller = rustix::process::getpriority_process(None).expect("own priority");
        let (ran_on, priority) = at_low_priority(|| {
            let p = rustix::process::getpriority_process(Some(rustix::thread::gettid())).map_err(|e| e.to_string())?;
            Ok((std::thread::current().id(), p))
        })
        .expect("ran");
        assert_ne!(ran_on, here);
        assert_eq!(priority, (caller + SEALER_NICE).min(19));
        assert_eq!(at_low_priority(|| Err::<(), _>("refused".to_owned())), Err("refused".to_owned()));
    }
}
