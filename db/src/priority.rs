//! `priority_requests` and `l1_cursor`: deposits, full exits and forced requests read from the
//! base chain.

use crate::{Db, DbError, txs::NewTx};

/// A priority request seen on the base chain with enough confirmations.
#[derive(Clone, Debug)]
pub struct NewPriorityRequest {
    /// Queue position in the Rollup.
    pub serial: i64,
    /// `deposit`, `full_exit`, `forced_transfer` or `forced_withdraw`.
    pub kind: &'static str,
    /// The account.
    pub account_index: i64,
    /// The base-chain address that made the request.
    pub owner: Vec<u8>,
    /// Deposits: x ‖ y of the account's key.
    pub public_key: Option<Vec<u8>>,
    /// Deposits and forced requests: wei, decimal.
    pub amount: Option<String>,
    /// Forced transfers: the payee's index.
    pub payee: Option<i64>,
    /// The block by which the contract expects it processed.
    pub deadline_block: i64,
    /// Block it was emitted in.
    pub block_number: i64,
    /// That block's hash.
    pub block_hash: Vec<u8>,
    /// The emitting transaction.
    pub tx_hash: Vec<u8>,
    /// Log index in the block.
    pub log_index: i64,
}

/// The watcher's position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Cursor {
    /// The watched contract.
    pub contract: Vec<u8>,
    /// The last block whose events are all stored.
    pub block_number: i64,
    /// Its hash.
    pub block_hash: Vec<u8>,
}

impl Db {
    /// The queue position after the last stored request (0 when none).
    pub async fn next_priority_serial(&self) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar!(r#"SELECT COALESCE(MAX(serial) + 1, 0) AS "n!" FROM priority_requests"#)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Priority requests processed by sealed batches (the next batch's `priority_start`).
    pub async fn sealed_priority_head(&self) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar!(r#"SELECT COALESCE(MAX(priority_start + priority_count), 0) AS "n!" FROM batches"#)
            .fetch_one(&self.pool)
            .await?)
    }

    /// The watcher's position, if it has one.
    pub async fn l1_cursor(&self) -> Result<Option<L1Cursor>, DbError> {
        Ok(sqlx::query_as!(L1Cursor, "SELECT contract, block_number, block_hash FROM l1_cursor")
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Stores requests, their entries in the transaction sequence and the watcher's new
    /// position, all or nothing.
    pub async fn insert_priority(
        &self,
        requests: &[NewPriorityRequest],
        txs: &[NewTx],
        cursor: &L1Cursor,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        for r in requests {
            insert_request_on(&mut *tx, r).await?;
        }
        crate::txs::insert_txs_on(&mut *tx, txs).await?;
        set_cursor_on(&mut *tx, cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves the watcher's position (a range without requests).
    pub async fn set_l1_cursor(&self, cursor: &L1Cursor) -> Result<(), DbError> {
        set_cursor_on(&self.pool, cursor).await
    }
}

pub(crate) async fn set_cursor_on(e: impl sqlx::PgExecutor<'_>, c: &L1Cursor) -> Result<(), DbError> {
    sqlx::query!(
        r#"
        INSERT INTO l1_cursor (contract, block_number, block_hash)
        VALUES ($1, $2, $3)
        ON CONFLICT (id) DO UPDATE
        SET contract = EXCLUDED.contract,
            block_number = EXCLUDED.block_number,
            block_hash = EXCLUDED.block_hash,
            updated_at = now()
        "#,
        c.contract,
        c.block_number,
        c.block_hash,
    )
    .execute(e)
    .await?;
    Ok(())
}

pub(crate) async fn insert_request_on(e: impl sqlx::PgExecutor<'_>, r: &NewPriorityRequest) -> Result<(), DbError> {
    sqlx::query!(
        r#"
        INSERT INTO priority_requests (
            serial, kind, account_index, owner, public_key, amount, deadline_block,
            block_number, block_hash, tx_hash, log_index, payee
        )
        VALUES ($1, $2, $3, $4, $5, $6::TEXT::NUMERIC, $7, $8, $9, $10, $11, $12)
        "#,
        r.serial,
        r.kind,
        r.account_index,
        r.owner,
        r.public_key,
        r.amount,
        r.deadline_block,
        r.block_number,
        r.block_hash,
        r.tx_hash,
        r.log_index,
        r.payee,
    )
    .execute(e)
    .await?;
    Ok(())
}
