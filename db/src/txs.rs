//! `txs` and `tx_rejections`: accepted transactions in acceptance order.

use crate::{Db, DbError};
use chrono::{DateTime, Utc};

/// A transaction the sequencer accepted, about to be stored.
#[derive(Clone, Debug)]
pub struct NewTx {
    /// Acceptance order, from 1, without gaps as long as one sequencer writes.
    pub seq: i64,
    /// The transaction hash (32 bytes).
    pub hash: Vec<u8>,
    /// `transfer` or `withdraw`.
    pub kind: &'static str,
    /// The payer.
    pub from_index: i64,
    /// The payer's nonce.
    pub nonce: i64,
    /// The signed transaction's JSON.
    pub body: String,
}

/// A stored transaction with what became of it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TxRow {
    /// Acceptance order.
    pub seq: i64,
    /// The transaction hash.
    pub hash: Vec<u8>,
    /// The signed transaction's JSON.
    pub body: serde_json::Value,
    /// When it was accepted.
    pub accepted_at: DateTime<Utc>,
    /// The batch holding it, once sealed.
    pub batch_number: Option<i64>,
    /// That batch's status.
    pub batch_status: Option<String>,
    /// Why the sealer refused it, if it did.
    pub reject_code: Option<String>,
    /// The refusal in words.
    pub reject_reason: Option<String>,
}

/// A transaction accepted but in no batch yet.
#[derive(Clone, Debug)]
pub struct PendingTx {
    /// Acceptance order.
    pub seq: i64,
    /// The signed transaction's JSON.
    pub body: serde_json::Value,
}

/// A transaction of a batch.
#[derive(Clone, Debug)]
pub struct RangeTx {
    /// Acceptance order.
    pub seq: i64,
    /// The transaction hash.
    pub hash: Vec<u8>,
    /// The signed transaction's JSON.
    pub body: serde_json::Value,
    /// Why the sealer refused it, if it did.
    pub reject_code: Option<String>,
}

impl Db {
    /// Stores accepted transactions in one statement; committed when it returns.
    pub async fn insert_txs(&self, txs: &[NewTx]) -> Result<(), DbError> {
        insert_txs_on(&self.pool, txs).await
    }
}

/// [`Db::insert_txs`] on any connection or transaction.
pub(crate) async fn insert_txs_on(e: impl sqlx::PgExecutor<'_>, txs: &[NewTx]) -> Result<(), DbError> {
    let seq: Vec<i64> = txs.iter().map(|t| t.seq).collect();
    let hash: Vec<Vec<u8>> = txs.iter().map(|t| t.hash.clone()).collect();
    let kind: Vec<String> = txs.iter().map(|t| t.kind.to_owned()).collect();
    let from: Vec<i64> = txs.iter().map(|t| t.from_index).collect();
    let nonce: Vec<i64> = txs.iter().map(|t| t.nonce).collect();
    let body: Vec<String> = txs.iter().map(|t| t.body.clone()).collect();
    sqlx::query!(
        r#"
            INSERT INTO txs (seq, hash, kind, from_index, nonce, body)
            SELECT seq, hash, kind, from_index, nonce, body::JSONB
            FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[], $6::TEXT[])
                AS t (seq, hash, kind, from_index, nonce, body)
            "#,
        &seq,
        &hash,
        &kind,
        &from,
        &nonce,
        &body,
    )
    .execute(e)
    .await?;
    Ok(())
}

impl Db {
    /// The highest stored sequence number (0 when none).
    pub async fn max_seq(&self) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar!(r#"SELECT COALESCE(MAX(seq), 0) AS "seq!" FROM txs"#).fetch_one(&self.pool).await?)
    }

    /// Transactions after `seq`, in acceptance order.
    pub async fn txs_after(&self, seq: i64) -> Result<Vec<PendingTx>, DbError> {
        Ok(sqlx::query_as!(
            PendingTx,
            r#"
            SELECT seq, body
            FROM txs
            WHERE seq > $1
            ORDER BY seq
            "#,
            seq
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// A transaction by hash, with its batch and status.
    pub async fn tx_by_hash(&self, hash: &[u8]) -> Result<Option<TxRow>, DbError> {
        Ok(sqlx::query_as!(
            TxRow,
            r#"
            SELECT
                t.seq,
                t.hash,
                t.body,
                t.accepted_at,
                b.number AS "batch_number?",
                b.status AS "batch_status?",
                r.code AS "reject_code?",
                r.reason AS "reject_reason?"
            FROM txs t
            LEFT JOIN LATERAL (
                SELECT number, status, first_seq
                FROM batches
                WHERE last_seq >= t.seq
                ORDER BY last_seq
                LIMIT 1
            ) b ON b.first_seq <= t.seq
            LEFT JOIN tx_rejections r ON r.seq = t.seq
            WHERE t.hash = $1
            "#,
            hash
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The newest `limit` transactions that touch account `index` (as payer, transfer payee,
    /// depositor or exiting account), newest first, with their batches and status.
    pub async fn txs_of_account(&self, index: i64, limit: i64) -> Result<Vec<TxRow>, DbError> {
        Ok(sqlx::query_as::<_, TxRow>(
            r#"
            SELECT
                t.seq, t.hash, t.body, t.accepted_at,
                b.number AS batch_number, b.status AS batch_status,
                r.code AS reject_code, r.reason AS reject_reason
            FROM txs t
            LEFT JOIN LATERAL (
                SELECT number, status, first_seq
                FROM batches
                WHERE last_seq >= t.seq
                ORDER BY last_seq
                LIMIT 1
            ) b ON b.first_seq <= t.seq
            LEFT JOIN tx_rejections r ON r.seq = t.seq
            WHERE t.from_index = $1 OR (t.kind = 'transfer' AND t.body->>'to' = $1::TEXT)
                OR (t.kind = 'forced_transfer' AND t.body->'priority'->>'to' = $1::TEXT)
            ORDER BY t.seq DESC
            LIMIT $2
            "#,
        )
        .bind(index)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The transactions of a sequence range, in order: (seq, hash, body, the sealer's
    /// rejection code if it refused the transaction).
    pub async fn txs_in_range(&self, first: i64, last: i64) -> Result<Vec<RangeTx>, DbError> {
        Ok(sqlx::query_as!(
            RangeTx,
            r#"
            SELECT t.seq, t.hash, t.body, r.code AS "reject_code?"
            FROM txs t
            LEFT JOIN tx_rejections r ON r.seq = t.seq
            WHERE t.seq BETWEEN $1 AND $2
            ORDER BY t.seq
            "#,
            first,
            last
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
