//! `batches`, `batch_witnesses`, `batch_accounts`, `accounts` and `proofs`: sealing a batch
//! and reading batches back.

use crate::{Db, DbError};
use chrono::{DateTime, Utc};

/// Everything stored when a batch is sealed, in one database transaction.
#[derive(Clone, Debug)]
pub struct SealedBatch {
    /// Batch number (the previous one plus one).
    pub number: i64,
    /// State root before.
    pub old_root: Vec<u8>,
    /// State root after.
    pub new_root: Vec<u8>,
    /// Queue position of the first priority request processed.
    pub priority_start: i64,
    /// Priority requests processed.
    pub priority_count: i32,
    /// The fee account.
    pub fee_account: i64,
    /// The 88-byte header.
    pub header: Vec<u8>,
    /// The pubdata.
    pub pubdata: Vec<u8>,
    /// The proof's public input (32 bytes).
    pub commitment: Vec<u8>,
    /// First transaction sequence number in the batch.
    pub first_seq: i64,
    /// Last one (`first_seq - 1` when the batch holds no transaction).
    pub last_seq: i64,
    /// Operations in the batch (without padding).
    pub op_count: i32,
    /// Fees credited to the fee account, decimal.
    pub fees: String,
    /// The encoded circuit witness.
    pub witness: Vec<u8>,
    /// Each changed account: index, before and after (104-byte encodings).
    pub accounts: Vec<(i64, Vec<u8>, Vec<u8>)>,
    /// Transactions in the range the sealer refused: seq, code, reason.
    pub rejections: Vec<(i64, String, String)>,
    /// Attempts a prover gets before the job is marked failed.
    pub max_attempts: i32,
}

/// A stored batch.
#[derive(Clone, Debug)]
pub struct BatchRow {
    /// Batch number.
    pub number: i64,
    /// sealed, proving, proved, submitted or finalized.
    pub status: String,
    /// State root before.
    pub old_root: Vec<u8>,
    /// State root after.
    pub new_root: Vec<u8>,
    /// Queue position of the first priority request processed.
    pub priority_start: i64,
    /// Priority requests processed.
    pub priority_count: i32,
    /// The fee account.
    pub fee_account: i64,
    /// The 88-byte header.
    pub header: Vec<u8>,
    /// The pubdata.
    pub pubdata: Vec<u8>,
    /// The proof's public input.
    pub commitment: Vec<u8>,
    /// First transaction sequence number.
    pub first_seq: i64,
    /// Last transaction sequence number.
    pub last_seq: i64,
    /// Operations (without padding).
    pub op_count: i32,
    /// Fees, decimal.
    pub fees: String,
    /// When sealed.
    pub sealed_at: DateTime<Utc>,
    /// When proved.
    pub proved_at: Option<DateTime<Utc>>,
    /// When submitted to the base chain.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When final on the base chain.
    pub finalized_at: Option<DateTime<Utc>>,
}

/// A stored proof.
#[derive(Clone, Debug)]
pub struct ProofRow {
    /// arkworks compressed proof.
    pub proof: Vec<u8>,
    /// Ethereum precompile encoding (256 bytes).
    pub proof_eth: Vec<u8>,
    /// The worker that made it.
    pub worker: String,
    /// Proving time.
    pub prove_ms: i64,
    /// When stored.
    pub proved_at: DateTime<Utc>,
}

impl Db {
    /// Seals a batch: the batch, its witness, its account changes, the sealed-state accounts,
    /// the sealer's rejections and a queued proof job, all or nothing.
    pub async fn seal_batch(&self, b: &SealedBatch) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            r#"
            INSERT INTO batches (
                number, old_root, new_root, priority_start, priority_count, fee_account, header,
                pubdata, commitment, first_seq, last_seq, op_count, fees
            )
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::TEXT::NUMERIC)
            "#,
            b.number,
            b.old_root,
            b.new_root,
            b.priority_start,
            b.priority_count,
            b.fee_account,
            b.header,
            b.pubdata,
            b.commitment,
            b.first_seq,
            b.last_seq,
            b.op_count,
            b.fees,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            r#"
            INSERT INTO batch_witnesses (batch_number, witness)
            VALUES ($1, $2)
            "#,
            b.number,
            b.witness,
        )
        .execute(&mut *tx)
        .await?;
        let index: Vec<i64> = b.accounts.iter().map(|a| a.0).collect();
        let before: Vec<Vec<u8>> = b.accounts.iter().map(|a| a.1.clone()).collect();
        let after: Vec<Vec<u8>> = b.accounts.iter().map(|a| a.2.clone()).collect();
        sqlx::query!(
            r#"
            INSERT INTO batch_accounts (batch_number, account_index, before, after)
            SELECT $1, account_index, before, after
            FROM UNNEST($2::BIGINT[], $3::BYTEA[], $4::BYTEA[]) AS a (account_index, before, after)
            "#,
            b.number,
            &index,
            &before,
            &after,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            r#"
            INSERT INTO accounts (account_index, account, batch_number)
            SELECT account_index, account, $1
            FROM UNNEST($2::BIGINT[], $3::BYTEA[]) AS a (account_index, account)
            ON CONFLICT (account_index) DO UPDATE
            SET account = EXCLUDED.account,
                batch_number = EXCLUDED.batch_number
            "#,
            b.number,
            &index,
            &after,
        )
        .execute(&mut *tx)
        .await?;
        let seq: Vec<i64> = b.rejections.iter().map(|r| r.0).collect();
        let code: Vec<String> = b.rejections.iter().map(|r| r.1.clone()).collect();
        let reason: Vec<String> = b.rejections.iter().map(|r| r.2.clone()).collect();
        sqlx::query!(
            r#"
            INSERT INTO tx_rejections (seq, code, reason)
            SELECT seq, code, reason
            FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[]) AS r (seq, code, reason)
            "#,
            &seq,
            &code,
            &reason,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            r#"
            INSERT INTO proof_jobs (batch_number, max_attempts)
            VALUES ($1, $2)
            "#,
            b.number,
            b.max_attempts,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest batch: (number, new root, last sequence number).
    pub async fn last_batch(&self) -> Result<Option<(i64, Vec<u8>, i64)>, DbError> {
        let row = sqlx::query!(
            r#"
            SELECT number, new_root, last_seq
            FROM batches
            ORDER BY number DESC
            LIMIT 1
            "#
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.number, r.new_root, r.last_seq)))
    }

    /// One batch.
    pub async fn batch(&self, number: i64) -> Result<Option<BatchRow>, DbError> {
        Ok(sqlx::query_as!(
            BatchRow,
            r#"
            SELECT
                number, status, old_root, new_root, priority_start, priority_count, fee_account,
                header, pubdata, commitment, first_seq, last_seq, op_count, fees::TEXT AS "fees!",
                sealed_at, proved_at, submitted_at, finalized_at
            FROM batches
            WHERE number = $1
            "#,
            number
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The stored circuit witness of a sealed batch (what provers prove), `None` if there is no
    /// such batch.
    pub async fn batch_witness(&self, number: i64) -> Result<Option<Vec<u8>>, DbError> {
        Ok(sqlx::query_scalar::<_, Vec<u8>>("SELECT witness FROM batch_witnesses WHERE batch_number = $1")
            .bind(number)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Up to `limit` batches numbered below `before`, newest first.
    pub async fn batches(&self, before: i64, limit: i64) -> Result<Vec<BatchRow>, DbError> {
        Ok(sqlx::query_as!(
            BatchRow,
            r#"
            SELECT
                number, status, old_root, new_root, priority_start, priority_count, fee_account,
                header, pubdata, commitment, first_seq, last_seq, op_count, fees::TEXT AS "fees!",
                sealed_at, proved_at, submitted_at, finalized_at
            FROM batches
            WHERE number < $1
            ORDER BY number DESC
            LIMIT $2
            "#,
            before,
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The highest n such that batches 1..=n are all proved (or further along).
    pub async fn proved_through(&self) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar!(
            r#"
            SELECT COALESCE(
                (SELECT MIN(number) - 1 FROM batches WHERE status IN ('sealed', 'proving')),
                (SELECT MAX(number) FROM batches),
                0
            ) AS "n!"
            "#
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// The account changes of batches numbered above `after`, newest batch first:
    /// (batch, index, before, after).
    pub async fn batch_accounts_after(&self, after: i64) -> Result<Vec<(i64, i64, Vec<u8>, Vec<u8>)>, DbError> {
        let rows = sqlx::query!(
            r#"
            SELECT batch_number, account_index, before, after
            FROM batch_accounts
            WHERE batch_number > $1
            ORDER BY batch_number DESC, account_index
            "#,
            after
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.batch_number, r.account_index, r.before, r.after)).collect())
    }

    /// The account changes of one batch: (index, before, after).
    pub async fn batch_accounts(&self, number: i64) -> Result<Vec<(i64, Vec<u8>, Vec<u8>)>, DbError> {
        let rows = sqlx::query!(
            r#"
            SELECT account_index, before, after
            FROM batch_accounts
            WHERE batch_number = $1
            ORDER BY account_index
            "#,
            number
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.account_index, r.before, r.after)).collect())
    }

    /// A batch's proof.
    pub async fn proof(&self, number: i64) -> Result<Option<ProofRow>, DbError> {
        Ok(sqlx::query_as!(
            ProofRow,
            r#"
            SELECT proof, proof_eth, worker, prove_ms, proved_at
            FROM proofs
            WHERE batch_number = $1
            "#,
            number
        )
        .fetch_optional(&self.pool)
        .await?)
    }
}
