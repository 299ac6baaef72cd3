//! `settlement_attempts`: the settler's `submitBatch` transactions, each recorded before it is
//! broadcast, and the batch status moves they cause (proved -> submitted -> finalized).

use crate::{Db, DbError};
use chrono::{DateTime, Utc};

/// A signed `submitBatch` transaction, as recorded before sending.
#[derive(Clone, Debug)]
pub struct NewAttempt {
    /// The batch it submits.
    pub batch_number: i64,
    /// The operator's account nonce it uses.
    pub nonce: i64,
    /// EIP-1559 fee cap, wei, decimal.
    pub max_fee_per_gas: String,
    /// EIP-1559 tip, wei, decimal.
    pub max_priority_fee_per_gas: String,
    /// Gas limit.
    pub gas_limit: i64,
    /// Transaction hash.
    pub tx_hash: Vec<u8>,
    /// The signed transaction (EIP-2718 encoding), for rebroadcasting.
    pub raw_tx: Vec<u8>,
}

/// A recorded attempt.
#[derive(Clone, Debug)]
pub struct AttemptRow {
    /// Row id (attempts of a batch are ordered by it).
    pub id: i64,
    /// The batch it submits.
    pub batch_number: i64,
    /// Nonce.
    pub nonce: i64,
    /// Fee cap, wei, decimal.
    pub max_fee_per_gas: String,
    /// Tip, wei, decimal.
    pub max_priority_fee_per_gas: String,
    /// Gas limit.
    pub gas_limit: i64,
    /// Transaction hash.
    pub tx_hash: Vec<u8>,
    /// Signed transaction.
    pub raw_tx: Vec<u8>,
    /// sent, mined, reverted or replaced.
    pub status: String,
    /// Block it was mined in.
    pub block_number: Option<i64>,
    /// That block's hash.
    pub block_hash: Option<Vec<u8>>,
    /// Gas it used.
    pub gas_used: Option<i64>,
    /// When recorded (just before it was broadcast).
    pub sent_at: DateTime<Utc>,
}

impl Db {
    /// The lowest-numbered batch that is proved and not yet submitted, with its Ethereum-encoded
    /// proof.
    pub async fn next_to_submit(&self) -> Result<Option<(crate::batches::BatchRow, Vec<u8>)>, DbError> {
        let Some(number) = sqlx::query_scalar!(
            r#"
            SELECT MIN(number) AS "n"
            FROM batches
            WHERE status IN ('sealed', 'proving', 'proved')
            "#
        )
        .fetch_one(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let Some(batch) = self.batch(number).await? else { return Ok(None) };
        if batch.status != "proved" {
            return Ok(None);
        }
        let proof = self
            .proof(number)
            .await?
            .ok_or_else(|| DbError::Corrupt(format!("batch {number} is proved without a proof")))?;
        Ok(Some((batch, proof.proof_eth)))
    }

    /// Records an attempt before it is broadcast.
    pub async fn record_attempt(&self, a: &NewAttempt) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar!(
            r#"
            INSERT INTO settlement_attempts (
                batch_number, nonce, max_fee_per_gas, max_priority_fee_per_gas, gas_limit, tx_hash, raw_tx
            )
            VALUES ($1, $2, $3::TEXT::NUMERIC, $4::TEXT::NUMERIC, $5, $6, $7)
            RETURNING id
            "#,
            a.batch_number,
            a.nonce,
            a.max_fee_per_gas,
            a.max_priority_fee_per_gas,
            a.gas_limit,
            a.tx_hash,
            a.raw_tx,
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// What the settler's metrics show: the newest submitted (or final) batch, the newest final
    /// one, the attempts in flight and the gas the mined ones used.
    pub async fn settlement_summary(&self) -> Result<SettlementSummary, DbError> {
        Ok(sqlx::query_as!(
            SettlementSummary,
            r#"
            SELECT
                (SELECT MAX(number) FROM batches WHERE status IN ('submitted', 'finalized')) AS last_submitted,
                (SELECT MAX(number) FROM batches WHERE status = 'finalized') AS last_finalized,
                (SELECT COUNT(*) FROM settlement_attempts WHERE status = 'sent') AS "attempts_sent!",
                (SELECT COALESCE(SUM(gas_used), 0) FROM settlement_attempts WHERE status = 'mined')::BIGINT
                    AS "gas_used!"
            "#
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Attempts in `status`, oldest first.
    pub async fn attempts_with_status(&self, status: &str) -> Result<Vec<AttemptRow>, DbError> {
        self.attempts_where(Some(status), None).await
    }

    /// Mined attempts of batches still waiting for their confirmations (status `submitted`),
    /// oldest first: what the settler follows to finality, however long the history.
    pub async fn mined_attempts_awaiting_finality(&self) -> Result<Vec<AttemptRow>, DbError> {
        Ok(sqlx::query_as!(
            AttemptRow,
            r#"
            SELECT
                a.id, a.batch_number, a.nonce, a.max_fee_per_gas::TEXT AS "max_fee_per_gas!",
                a.max_priority_fee_per_gas::TEXT AS "max_priority_fee_per_gas!", a.gas_limit, a.tx_hash,
                a.raw_tx, a.status, a.block_number, a.block_hash, a.gas_used, a.sent_at
            FROM settlement_attempts a
            JOIN batches b ON b.number = a.batch_number
            WHERE a.status = 'mined'
                AND b.status = 'submitted'
            ORDER BY a.id
            "#
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The mined `submitBatch` transaction of each of `numbers` that has one: (batch, tx hash).
    pub async fn mined_submissions(&self, numbers: &[i64]) -> Result<Vec<(i64, Vec<u8>)>, DbError> {
        Ok(sqlx::query_as::<_, (i64, Vec<u8>)>(
            "SELECT batch_number, tx_hash FROM settlement_attempts WHERE batch_number = ANY($1) AND status = 'mined'",
        )
        .bind(numbers)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every attempt for a batch, oldest first.
    pub async fn attempts(&self, batch_number: i64) -> Result<Vec<AttemptRow>, DbError> {
        self.attempts_where(None, Some(batch_number)).await
    }

    async fn attempts_where(
        &self,
        status: Option<&str>,
        batch_number: Option<i64>,
    ) -> Result<Vec<AttemptRow>, DbError> {
        Ok(sqlx::query_as!(
            AttemptRow,
            r#"
            SELECT
                id, batch_number, nonce, max_fee_per_gas::TEXT AS "max_fee_per_gas!",
                max_priority_fee_per_gas::TEXT AS "max_priority_fee_per_gas!", gas_limit, tx_hash,
                raw_tx, status, block_number, block_hash, gas_used, sent_at
            FROM settlement_attempts
            WHERE ($1::TEXT IS NULL OR status = $1)
                AND ($2::BIGINT IS NULL OR batch_number = $2)
            ORDER BY id
            "#,
            status,
            batch_number
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Attempt `id` was mined successfully: it becomes the batch's, the batch's other open
    /// attempts are replaced, and the batch is submitted.
    pub async fn attempt_mined(
        &self,
        id: i64,
        block_number: i64,
        block_hash: &[u8],
        gas_used: i64,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        let batch = sqlx::query_scalar!(
            r#"
            UPDATE settlement_attempts
            SET status = 'mined',
                block_number = $2,
                block_hash = $3,
                gas_used = $4,
                mined_at = now()
            WHERE id = $1
            RETURNING batch_number
            "#,
            id,
            block_number,
            block_hash,
            gas_used,
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query!(
            r#"
            UPDATE settlement_attempts
            SET status = 'replaced'
            WHERE batch_number = $1
                AND id <> $2
                AND status = 'sent'
            "#,
            batch,
            id,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            r#"
            UPDATE batches
            SET status = 'submitted',
                submitted_at = now()
            WHERE number = $1
                AND status = 'proved'
            "#,
            batch
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks attempts with another status (`reverted`, `replaced`).
    pub async fn set_attempts_status(&self, ids: &[i64], status: &str) -> Result<(), DbError> {
        sqlx::query!(
            r#"
            UPDATE settlement_attempts
            SET status = $2
            WHERE id = ANY($1)
            "#,
            ids,
            status,
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A base-chain reorganisation removed mined attempt `id` before it was final: it is open
    /// again (to be rebroadcast) and its batch is back to proved.
    pub async fn attempt_reorged(&self, id: i64) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        let batch = sqlx::query_scalar!(
            r#"
            UPDATE settlement_attempts
            SET status = 'sent',
                block_number = NULL,
                block_hash = NULL,
                gas_used = NULL,
                mined_at = NULL
            WHERE id = $1
            RETURNING batch_number
            "#,
            id,
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query!(
            r#"
            UPDATE batches
            SET status = 'proved',
                submitted_at = NULL
            WHERE number = $1
                AND status = 'submitted'
            "#,
            batch
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Batch `number` has enough confirmations: it and its transactions are final.
    pub async fn finalize_batch(&self, number: i64) -> Result<(), DbError> {
        sqlx::query!(
            r#"
            UPDATE batches
            SET status = 'finalized',
                finalized_at = now()
            WHERE number = $1
                AND status = 'submitted'
            "#,
            number
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// See [`Db::settlement_summary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettlementSummary {
    /// The newest batch whose submission is mined (0 before any), final or not.
    pub last_submitted: Option<i64>,
    /// The newest final batch.
    pub last_finalized: Option<i64>,
    /// Submissions sent and not mined yet.
    pub attempts_sent: i64,
    /// Gas used by every mined submission.
    pub gas_used: i64,
}
