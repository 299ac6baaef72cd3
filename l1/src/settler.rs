//! The settler: submits proved batches to the Rollup, in order, and marks them final.
//!
//! Every `submitBatch` transaction is signed locally and recorded in PostgreSQL
//! (`settlement_attempts`) before it is broadcast, so a settler killed at any point finds on
//! restart exactly what it may have sent. A transaction not mined in time is replaced by one with
//! the same nonce and higher fees, so at most one of a batch's attempts can ever be mined; a new
//! nonce (taken from the chain) is only used once every earlier attempt's nonce is spent. A batch
//! is `submitted` when its transaction is mined and `finalized` once that block has
//! `confirmations` blocks (itself included) and is still canonical; a reorganisation before that
//! sends the batch back to `proved` and its transaction is rebroadcast. A submission the contract
//! refuses stops the settler with the contract's reason instead of retrying it forever.

use crate::{L1Error, Rollup, encode};
use alloy::{
    eips::eip2718::Encodable2718,
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use causeway_db::{Db, DbError, settlement::AttemptRow, settlement::NewAttempt};
use std::time::Duration;
use tokio::sync::watch;

/// Default confirmations before a submitted batch is final.
pub const DEFAULT_CONFIRMATIONS: u64 = 6;
/// Default time a transaction may stay unmined before it is re-priced.
pub const DEFAULT_RESUBMIT_AFTER: Duration = Duration::from_secs(30);
/// Default pause between passes.
pub const DEFAULT_POLL: Duration = Duration::from_millis(500);
/// Fee increase of a replacement, in per mille (nodes require at least 10%).
pub const FEE_BUMP_PER_MILLE: u64 = 125;

/// What the settler needs.
#[derive(Clone, Debug)]
pub struct SettlerConfig {
    /// Base-chain JSON-RPC URL.
    pub rpc: String,
    /// The Rollup's address.
    pub contract: Address,
    /// The operator's private key (hex).
    pub operator_key: String,
    /// Blocks (the including one counted) before a submission is final.
    pub confirmations: u64,
    /// How long a transaction may stay unmined before it is re-priced.
    pub resubmit_after: Duration,
    /// Pause between passes.
    pub poll: Duration,
    /// When another settler holds the database's settler lock, wait for it (a hot standby)
    /// instead of refusing to start.
    pub standby: bool,
    /// Where the settler reports each pass (for `/health`).
    pub heartbeat: Option<watch::Sender<tokio::time::Instant>>,
}

/// How often a standby settler asks for the settler lock.
pub const STANDBY_POLL: Duration = Duration::from_millis(250);

impl SettlerConfig {
    /// Defaults for everything but the endpoint, the contract and the key.
    pub fn new(rpc: String, contract: Address, operator_key: String) -> Self {
        Self {
            rpc,
            contract,
            operator_key,
            confirmations: DEFAULT_CONFIRMATIONS,
            resubmit_after: DEFAULT_RESUBMIT_AFTER,
            poll: DEFAULT_POLL,
            standby: true,
            heartbeat: None,
        }
    }
}

/// Why the settler stopped.
#[derive(Debug, thiserror::Error)]
pub enum SettlerError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The base chain failed (RPC or transport).
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The contract refused a batch.
    #[error("the Rollup refused batch {batch}: {reason}")]
    Refused {
        /// The batch.
        batch: i64,
        /// The contract's revert reason.
        reason: String,
    },
    /// The chain and the database disagree (wrong contract, or another submitter).
    #[error("{0}")]
    Mismatch(String),
    /// Another settler holds this database's settler lock.
    #[error("another settler is running against this database")]
    Locked,
    /// The settler lock's connection was cut (or PostgreSQL restarted): another settler may
    /// hold the lock now.
    #[error("lost the settler lock: {0}")]
    LockLost(String),
}

impl SettlerError {
    /// Whether a later pass may succeed (the RPC or the database was unreachable).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Db(e) => e.is_unavailable(),
            Self::L1(L1Error::Rpc(_)) => true,
            _ => false,
        }
    }
}

/// What one pass did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Nothing to do.
    Idle,
    /// A transaction was broadcast for a batch (a first attempt or a re-priced one).
    Sent {
        /// The batch.
        batch: i64,
        /// Its nonce.
        nonce: u64,
    },
    /// A transaction is in flight.
    Waiting,
    /// Something was recorded (a batch mined, finalized or reorganised away).
    Progress,
}

/// A running settler.
pub struct Settler {
    db: Db,
    provider: DynProvider,
    wallet: EthereumWallet,
    operator: Address,
    chain_id: u64,
    rollup: Rollup::RollupInstance<DynProvider>,
    config: SettlerConfig,
    /// The attempt (id) last found with its nonce spent and no receipt, and the block then:
    /// it is taken for replaced only if a pass at a later block finds the same.
    spent_unseen: std::sync::Mutex<Option<(i64, u64)>>,
    /// The batch last found stale in the pending state (logged once).
    stale_logged: std::sync::Mutex<Option<i64>>,
    /// The connection holding the settler's advisory lock.
    /// The connection holding the settler lock, checked before every pass.
    lock: tokio::sync::Mutex<causeway_db::PgConnection>,
}

fn u128_of(decimal: &str) -> Result<u128, SettlerError> {
    decimal.parse().map_err(|e| SettlerError::Mismatch(format!("stored fee {decimal}: {e}")))
}

fn bumped(old: u128) -> u128 {
    old.saturating_mul(1000 + FEE_BUMP_PER_MILLE as u128) / 1000 + 1
}

/// How the Rollup's revert reason for a batch whose old root is no longer the current one
/// begins (another submitter's batch for that root came first).
const STALE_ROOT: &str = "stale root";

/// What an operator whose database the chain has left behind does.
const RESTORE_HINT: &str =
    "rebuild the database from the chain with `causeway restore` into an empty database (docs/operations.md)";

impl Settler {
    /// Connects to the chain and checks that the contract is one this database can settle to:
    /// this key is its operator and its root is one of this database's batch roots.
    pub async fn connect(db: Db, config: SettlerConfig) -> Result<Self, SettlerError> {
        let mut lock = db.pool().acquire().await.map_err(DbError::from)?.detach();
        let mut standing_by = false;
        while !causeway_db::rollup::try_lock_settler(&mut lock).await? {
            if !config.standby {
                return Err(SettlerError::Locked);
            }
            if !standing_by {
                standing_by = true;
                tracing::info!("standing by: another settler holds the settler lock on this database");
            }
            tokio::time::sleep(STANDBY_POLL).await;
        }
        if standing_by {
            tracing::info!("took over the settler lock: starting");
        }
        db.check_not_restoring().await?;
        let signer: PrivateKeySigner =
            config.operator_key.parse().map_err(|e| L1Error::Invalid(format!("operator key: {e}")))?;
        let operator = signer.address();
        let url = config.rpc.parse().map_err(|e| L1Error::Invalid(format!("RPC URL {}: {e}", config.rpc)))?;
        let provider = ProviderBuilder::new().disable_recommended_fillers().connect_http(url).erased();
        let chain_id = provider.get_chain_id().await.map_err(L1Error::from)?;
        let rollup = Rollup::new(config.contract, provider.clone());
        let settler = Self {
            db,
            provider,
            wallet: EthereumWallet::from(signer),
            operator,
            chain_id,
            rollup,
            config,
            spent_unseen: std::sync::Mutex::new(None),
            stale_logged: std::sync::Mutex::new(None),
            lock: tokio::sync::Mutex::new(lock),
        };
        settler.check_contract().await?;
        Ok(settler)
    }

    /// The operator's address.
    pub fn operator(&self) -> Address {
        self.operator
    }

    async fn check_contract(&self) -> Result<(), SettlerError> {
        let code = self.provider.get_code_at(self.config.contract).await.map_err(L1Error::from)?;
        if code.is_empty() {
            return Err(SettlerError::Mismatch(format!(
                "no contract at {} on {}",
                self.config.contract, self.config.rpc
            )));
        }
        let operator = self.rollup.operator().call().await.map_err(L1Error::from)?;
        if operator != self.operator && !self.rollup.openMode().call().await.map_err(L1Error::from)? {
            return Err(SettlerError::Mismatch(format!(
                "the Rollup's operator is {operator}, not this key's address {}, and it is not in open mode (where \
                 anyone may submit)",
                self.operator
            )));
        }
        let count = self.rollup.batchCount().call().await.map_err(L1Error::from)?;
        let root = self.rollup.stateRoot().call().await.map_err(L1Error::from)?;
        let ours = if count == 0 {
            self.db.rollup().await?.map(|r| r.genesis_root)
        } else {
            self.db.batch(count as i64).await?.map(|b| b.new_root)
        };
        match ours {
            Some(r) if r.as_slice() == root.as_slice() => {}
            Some(r) => {
                return Err(SettlerError::Mismatch(format!(
                    "the Rollup's root after batch {count} is {root}, this database's is 0x{}: another party advanced \
                     the rollup (open mode), or wrong contract or database; {RESTORE_HINT}",
                    hex::encode(r)
                )));
            }
            None if count == 0 => {
                return Err(SettlerError::Mismatch("this database is not initialised".into()));
            }
            None => {
                return Err(SettlerError::Mismatch(format!(
                    "the Rollup has {count} batches but this database does not have that many: another party \
                     advanced the rollup (open mode), or wrong database; {RESTORE_HINT}"
                )));
            }
        }
        if let Some(row) = self.db.rollup().await? {
            // Batches commit to the deployment (chain id, contract): a database sealed for another
            // one (or for none) makes proofs this contract refuses.
            let ours = (u64::try_from(row.chain_id).ok(), row.rollup_address.as_slice());
            if ours != (Some(self.chain_id), self.config.contract.as_slice()) {
                return Err(SettlerError::Mismatch(format!(
                    "this database's batches are for chain {} and Rollup 0x{}, not chain {} and {}: start its sequencer with this deployment",
                    row.chain_id,
                    hex::encode(&row.rollup_address),
                    self.chain_id,
                    self.config.contract
                )));
            }
        }
        Ok(())
    }

    /// Runs passes until `stop` turns true or an error that retrying cannot fix.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> Result<(), SettlerError> {
        loop {
            self.check_lock().await?;
            match self.pass().await {
                Ok(p) => {
                    if let Pass::Sent { batch, nonce } = p {
                        tracing::info!(batch, nonce, "submitBatch sent");
                    }
                    if let Some(h) = &self.config.heartbeat {
                        h.send_replace(tokio::time::Instant::now());
                    }
                }
                Err(e) if e.is_transient() => tracing::warn!("settler: {e}; retrying"),
                Err(e) => return Err(e),
            }
            self.publish_metrics().await;
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return Ok(());
            }
        }
    }

    /// Publishes the settler's gauges: the newest submitted and final batch, the attempts in
    /// flight, the gas mined submissions used, and the operator's base-chain balance (an alert
    /// fires before it runs out: with no gas nothing settles).
    async fn publish_metrics(&self) {
        if let Ok(s) = self.db.settlement_summary().await {
            metrics::gauge!("causeway_settler_last_submitted_batch").set(s.last_submitted.unwrap_or(0) as f64);
            metrics::gauge!("causeway_settler_last_finalized_batch").set(s.last_finalized.unwrap_or(0) as f64);
            metrics::gauge!("causeway_settler_attempts_pending").set(s.attempts_sent as f64);
            metrics::gauge!("causeway_settler_gas_used").set(s.gas_used as f64);
        }
        if let Ok(balance) = self.provider.get_balance(self.operator).await {
            metrics::gauge!("causeway_settler_operator_balance_ether").set(f64::from(balance) / 1e18);
        }
    }

    /// Fails when this settler no longer holds the settler lock: its connection was cut, or
    /// PostgreSQL restarted, and a standby may have taken over. The settler must then stop
    /// (two settlers would sign competing transactions).
    pub async fn check_lock(&self) -> Result<(), SettlerError> {
        let mut conn = self.lock.lock().await;
        let held = tokio::time::timeout(Duration::from_secs(5), causeway_db::rollup::holds_settler_lock(&mut conn));
        match held.await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(SettlerError::LockLost("its session no longer holds it".into())),
            Ok(Err(e)) => Err(SettlerError::LockLost(format!("its connection failed ({e})"))),
            Err(_) => Err(SettlerError::LockLost("its connection does not answer".into())),
        }
    }

    /// One pass: follow the transaction in flight, finalize what has enough confirmations, and
    /// send the next proved batch when nothing is in flight.
    pub async fn pass(&self) -> Result<Pass, SettlerError> {
        let finalized = self.confirm().await?;
        let open = self.db.attempts_with_status("sent").await?;
        if !open.is_empty() {
            return self.follow(open).await;
        }
        match self.send_next().await? {
            Pass::Idle if finalized => Ok(Pass::Progress),
            p => Ok(p),
        }
    }

    /// Finalizes submitted batches with enough confirmations; a batch whose transaction left the
    /// canonical chain goes back to proved. Returns whether anything changed.
    async fn confirm(&self) -> Result<bool, SettlerError> {
        let mined = self.db.mined_attempts_awaiting_finality().await?;
        let mut changed = false;
        let mut head = None;
        for a in mined {
            let head = match head {
                Some(h) => h,
                None => *head.insert(self.provider.get_block_number().await.map_err(L1Error::from)?),
            };
            let hash = B256::from_slice(&a.tx_hash);
            match self.provider.get_transaction_receipt(hash).await.map_err(L1Error::from)? {
                None => {
                    tracing::warn!(batch = a.batch_number, tx = %hash, "submission reorganised away; resending");
                    self.db.attempt_reorged(a.id).await?;
                    changed = true;
                }
                Some(r) => {
                    let (Some(block), Some(block_hash)) = (r.block_number, r.block_hash) else { continue };
                    if !r.status() {
                        // Re-mined by a reorganisation into a block where it reverted: the batch
                        // is not on chain, whatever the first receipt said.
                        self.db.set_attempts_status(&[a.id], "reverted").await?;
                        let reason = self.revert_reason(a.batch_number, block).await;
                        return Err(SettlerError::Refused { batch: a.batch_number, reason });
                    }
                    if a.block_hash.as_deref() != Some(block_hash.as_slice()) {
                        self.db.attempt_mined(a.id, block as i64, block_hash.as_slice(), r.gas_used as i64).await?;
                    }
                    if head + 1 >= block + self.config.confirmations {
                        self.db.finalize_batch(a.batch_number).await?;
                        tracing::info!(batch = a.batch_number, block, "batch finalized");
                        changed = true;
                    }
                }
            }
        }
        Ok(changed)
    }

    /// Follows the open attempts of the lowest batch that has any (all with the same nonce
    /// unless one was overtaken). Usually that is the only batch in flight; after a
    /// reorganisation removed several submissions, they are resent one batch (one nonce) at a
    /// time, in order.
    async fn follow(&self, mut open: Vec<AttemptRow>) -> Result<Pass, SettlerError> {
        let lowest = open.iter().map(|a| a.batch_number).min().unwrap_or_default();
        open.retain(|a| a.batch_number == lowest);
        // Every later read is of this block or after it: a receipt missing now was missing in
        // it, so a nonce spent by then and a batch count still short of this batch by then mean
        // that something else took the nonce (reads of "latest" may each see a different block).
        let pinned = self.provider.get_block_number().await.map_err(L1Error::from)?;
        for a in open.iter().rev() {
            let hash = B256::from_slice(&a.tx_hash);
            if let Some(r) = self.provider.get_transaction_receipt(hash).await.map_err(L1Error::from)? {
                let block = r.block_number.unwrap_or_default();
                if r.status() {
                    let block_hash = r.block_hash.unwrap_or_default();
                    self.db.attempt_mined(a.id, block as i64, block_hash.as_slice(), r.gas_used as i64).await?;
                    tracing::info!(batch = a.batch_number, block, gas = r.gas_used, "batch submitted");
                    return Ok(Pass::Progress);
                }
                self.db.set_attempts_status(&[a.id], "reverted").await?;
                let reason = self.revert_reason(a.batch_number, block).await;
                return Err(SettlerError::Refused { batch: a.batch_number, reason });
            }
        }
        let Some(latest) = open.last() else { return Ok(Pass::Idle) };
        let mined_nonce =
            self.provider.get_transaction_count(self.operator).number(pinned).await.map_err(L1Error::from)?;
        if mined_nonce > latest.nonce as u64 {
            // The nonce was spent by the pinned block, which holds none of these transactions
            // (their receipts were read after it): something else used it, unless the batch is
            // on chain all the same (then the next pass finds out how).
            let count = self.rollup.batchCount().block(pinned.into()).call().await.map_err(L1Error::from)?;
            if count as i64 >= latest.batch_number {
                return Ok(Pass::Waiting);
            }
            // A node may answer the nonce from a block it is still storing, before its receipts
            // (anvil does): believe it only when a pass at a later block sees the same.
            let seen_before = {
                let mut spent = self.spent_unseen.lock().unwrap_or_else(|e| e.into_inner());
                match *spent {
                    Some((id, block)) if id == latest.id && block < pinned => true,
                    Some((id, _)) if id == latest.id => false,
                    _ => {
                        *spent = Some((latest.id, pinned));
                        false
                    }
                }
            };
            if !seen_before {
                return Ok(Pass::Waiting);
            }
            tracing::warn!(batch = latest.batch_number, nonce = latest.nonce, "nonce spent elsewhere; sending anew");
            let ids: Vec<i64> = open.iter().map(|a| a.id).collect();
            self.db.set_attempts_status(&ids, "replaced").await?;
            return Ok(Pass::Progress);
        }
        let age = chrono::Utc::now().signed_duration_since(latest.sent_at).to_std().unwrap_or_default();
        if age >= self.config.resubmit_after {
            return self.reprice(latest).await;
        }
        let known =
            self.provider.get_transaction_by_hash(B256::from_slice(&latest.tx_hash)).await.map_err(L1Error::from)?;
        if known.is_none() {
            tracing::info!(batch = latest.batch_number, nonce = latest.nonce, "rebroadcasting a recorded submission");
            self.broadcast(&latest.raw_tx).await;
        }
        Ok(Pass::Waiting)
    }

    /// The transaction `submitBatch` for a stored, proved batch.
    async fn call_for(&self, number: i64) -> Result<TransactionRequest, SettlerError> {
        let batch = self
            .db
            .batch(number)
            .await?
            .ok_or_else(|| SettlerError::Mismatch(format!("batch {number} is not stored")))?;
        let proof = self
            .db
            .proof(number)
            .await?
            .ok_or_else(|| SettlerError::Mismatch(format!("batch {number} has no proof")))?;
        let words = encode::proof_words(&proof.proof_eth)?;
        Ok(self
            .rollup
            .submitBatch(batch.header.into(), batch.pubdata.into(), words)
            .from(self.operator)
            .into_transaction_request())
    }

    /// Why the submission of `batch` reverted in `block`: the same call replayed on the state
    /// after that block (a batch another submitter got in first in that block makes it `stale
    /// root`), else before it.
    async fn revert_reason(&self, batch: i64, block: u64) -> String {
        let Ok(tx) = self.call_for(batch).await else { return format!("reverted in block {block}") };
        let mut unexplained = None;
        for at in [block, block.saturating_sub(1)] {
            if let Err(e) = self.provider.call(tx.clone()).block(at.into()).await {
                match e.as_error_resp().and_then(|r| r.as_revert_data()) {
                    Some(data) => return crate::revert_reason(&data),
                    None => unexplained = Some(format!("reverted in block {block} ({e})")),
                }
            }
        }
        unexplained.unwrap_or_else(|| {
            format!("reverted in block {block} (the same call succeeds before and after it: out of gas?)")
        })
    }

    async fn send_next(&self) -> Result<Pass, SettlerError> {
        let Some((batch, _)) = self.db.next_to_submit().await? else { return Ok(Pass::Idle) };
        let count = self.rollup.batchCount().call().await.map_err(L1Error::from)? as i64;
        if batch.number != count + 1 {
            return Err(SettlerError::Mismatch(format!(
                "the next batch to submit is {} but the Rollup has {count}: it was submitted by someone else",
                batch.number
            )));
        }
        let tx = self.call_for(batch.number).await?;
        let gas = match self.provider.estimate_gas(tx.clone()).await {
            Ok(g) => g,
            Err(e) => {
                let Some(data) = e.as_error_resp().and_then(|r| r.as_revert_data()) else {
                    return Err(L1Error::from(e).into());
                };
                let reason = crate::revert_reason(&data);
                if reason.starts_with(STALE_ROOT) {
                    // The batch count read above was short of this batch, so the root moved in
                    // the pending state the node estimates on: another submitter's batch for
                    // this root waits to be mined (open mode). Once it is, the count check
                    // above stops this settler; if it is dropped, the next pass sends.
                    let mut logged = self.stale_logged.lock().unwrap_or_else(|e| e.into_inner());
                    if *logged != Some(batch.number) {
                        *logged = Some(batch.number);
                        tracing::warn!(
                            batch = batch.number,
                            "{reason}: another submission for this root is pending; waiting"
                        );
                    }
                    return Ok(Pass::Waiting);
                }
                return Err(SettlerError::Refused { batch: batch.number, reason });
            }
        };
        let fees = self.provider.estimate_eip1559_fees().await.map_err(L1Error::from)?;
        let nonce = self.provider.get_transaction_count(self.operator).pending().await.map_err(L1Error::from)?;
        self.sign_record_send(
            batch.number,
            tx,
            nonce,
            gas + gas / 5,
            fees.max_fee_per_gas,
            fees.max_priority_fee_per_gas,
        )
        .await
    }

    async fn reprice(&self, latest: &AttemptRow) -> Result<Pass, SettlerError> {
        let fees = self.provider.estimate_eip1559_fees().await.map_err(L1Error::from)?;
        let tip = bumped(u128_of(&latest.max_priority_fee_per_gas)?).max(fees.max_priority_fee_per_gas);
        let cap = bumped(u128_of(&latest.max_fee_per_gas)?).max(fees.max_fee_per_gas).max(tip);
        tracing::warn!(
            batch = latest.batch_number,
            nonce = latest.nonce,
            max_fee_per_gas = cap,
            "submission not mined in time; re-pricing"
        );
        let tx = self.call_for(latest.batch_number).await?;
        self.sign_record_send(latest.batch_number, tx, latest.nonce as u64, latest.gas_limit as u64, cap, tip).await
    }

    async fn sign_record_send(
        &self,
        batch: i64,
        tx: TransactionRequest,
        nonce: u64,
        gas: u64,
        max_fee: u128,
        tip: u128,
    ) -> Result<Pass, SettlerError> {
        let tx = tx
            .with_to(self.config.contract)
            .with_chain_id(self.chain_id)
            .with_nonce(nonce)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(tip)
            .with_value(U256::ZERO);
        let envelope = tx.build(&self.wallet).await.map_err(|e| L1Error::Invalid(format!("signing: {e}")))?;
        let raw = envelope.encoded_2718();
        self.db
            .record_attempt(&NewAttempt {
                batch_number: batch,
                nonce: nonce as i64,
                max_fee_per_gas: max_fee.to_string(),
                max_priority_fee_per_gas: tip.to_string(),
                gas_limit: gas as i64,
                tx_hash: envelope.tx_hash().to_vec(),
                raw_tx: raw.clone(),
            })
            .await?;
        // A test may abort here: recorded, never broadcast.
        causeway_db::fail_point(&format!("settler-recorded-attempt-{batch}"));
        self.broadcast(&raw).await;
        Ok(Pass::Sent { batch, nonce })
    }

    /// Broadcasts a recorded transaction. Failure is only logged: the attempt is recorded, and
    /// later passes find it mined, rebroadcast it or re-price it.
    async fn broadcast(&self, raw: &[u8]) {
        if let Err(e) = self.provider.send_raw_transaction(raw).await {
            tracing::warn!("broadcasting submitBatch: {e}");
        }
    }
}
