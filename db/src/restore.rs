//! `restore_progress` and the writes of `causeway restore`: a database rebuilt from the base
//! chain, one batch per database transaction, so that an interrupted restore leaves whole
//! batches and a rerun continues after the last one.

use crate::{
    Db, DbError,
    priority::{L1Cursor, NewPriorityRequest},
    rollup::RollupRow,
    txs::NewTx,
};
use chrono::{DateTime, Utc};

/// Where a restore stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreRow {
    /// The Rollup it restores.
    pub rollup_address: Vec<u8>,
    /// The newest batch it stored.
    pub through_batch: i64,
    /// When it finished (`None`: unfinished).
    pub finished_at: Option<DateTime<Utc>>,
}

/// The transaction that submitted a restored batch, as the settler records its own.
#[derive(Clone, Debug)]
pub struct RestoredSubmission {
    /// Its sender's nonce.
    pub nonce: i64,
    /// Fee cap, wei, decimal.
    pub max_fee_per_gas: String,
    /// Tip, wei, decimal.
    pub max_priority_fee_per_gas: String,
    /// Gas limit.
    pub gas_limit: i64,
    /// Transaction hash.
    pub tx_hash: Vec<u8>,
    /// The signed transaction (EIP-2718).
    pub raw_tx: Vec<u8>,
    /// The block it was mined in.
    pub block_number: i64,
    /// That block's hash.
    pub block_hash: Vec<u8>,
    /// Gas it used.
    pub gas_used: i64,
}

/// One batch rebuilt from the chain, with everything the services keep about it.
#[derive(Clone, Debug)]
pub struct RestoredBatch {
    /// Batch number.
    pub number: i64,
    /// `submitted`, or `finalized` when its transaction has enough confirmations.
    pub status: &'static str,
    /// State root before.
    pub old_root: Vec<u8>,
    /// State root after.
    pub new_root: Vec<u8>,
    /// Queue position of the first priority request it executes.
    pub priority_start: i64,
    /// Priority requests it executes.
    pub priority_count: i32,
    /// The fee account.
    pub fee_account: i64,
    /// The 88-byte header.
    pub header: Vec<u8>,
    /// The pubdata.
    pub pubdata: Vec<u8>,
    /// The proof's public input (32 bytes).
    pub commitment: Vec<u8>,
    /// First sequence number of its operations.
    pub first_seq: i64,
    /// Last one (`first_seq - 1` for a batch of padding only).
    pub last_seq: i64,
    /// Operations (without padding).
    pub op_count: i32,
    /// Fees credited to the fee account, decimal.
    pub fees: String,
    /// Each changed account: index, before and after (104-byte encodings).
    pub accounts: Vec<(i64, Vec<u8>, Vec<u8>)>,
    /// Its operations in the sequence, numbered on from the previous batch's last.
    pub txs: Vec<NewTx>,
    /// The priority requests it executes.
    pub requests: Vec<NewPriorityRequest>,
    /// Its proof (arkworks compressed, Ethereum encoding) when its transaction carried it.
    pub proof: Option<(Vec<u8>, Vec<u8>)>,
    /// The transaction that submitted it.
    pub submission: RestoredSubmission,
    /// When its block was made (the sealing, proving and submission times shown for it).
    pub at: Option<DateTime<Utc>>,
}

impl Db {
    /// Where a restore into this database stands, if one was started.
    pub async fn restore_progress(&self) -> Result<Option<RestoreRow>, DbError> {
        Ok(sqlx::query_as!(RestoreRow, "SELECT rollup_address, through_batch, finished_at FROM restore_progress")
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Whether the database holds nothing a service wrote: no rollup row and no transaction.
    pub async fn is_empty(&self) -> Result<bool, DbError> {
        Ok(sqlx::query_scalar!(
            r#"
            SELECT NOT EXISTS (SELECT 1 FROM rollup)
                AND NOT EXISTS (SELECT 1 FROM txs)
                AND NOT EXISTS (SELECT 1 FROM restore_progress) AS "empty!"
            "#
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Starts a restore: the rollup row, the genesis accounts and the progress row, in one
    /// transaction. False (nothing written) when the database is not empty.
    pub async fn begin_restore(&self, row: &RollupRow, accounts: &[(i64, Vec<u8>)]) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        // Two restores started at once: the second waits here, then finds the first's rows.
        sqlx::query!("LOCK TABLE restore_progress IN EXCLUSIVE MODE").execute(&mut *tx).await?;
        let empty = sqlx::query_scalar!(
            r#"
            SELECT NOT EXISTS (SELECT 1 FROM rollup)
                AND NOT EXISTS (SELECT 1 FROM txs)
                AND NOT EXISTS (SELECT 1 FROM restore_progress) AS "empty!"
            "#
        )
        .fetch_one(&mut *tx)
        .await?;
        if !empty {
            return Ok(false);
        }
        sqlx::query!("INSERT INTO restore_progress (rollup_address) VALUES ($1)", row.rollup_address)
            .execute(&mut *tx)
            .await?;
        crate::rollup::insert_rollup_on(&mut tx, row, accounts).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Stores one restored batch and moves the progress row to it, all or nothing.
    pub async fn store_restored_batch(&self, b: &RestoredBatch) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            r#"
            INSERT INTO batches (
                number, status, old_root, new_root, priority_start, priority_count, fee_account, header,
                pubdata, commitment, first_seq, last_seq, op_count, fees, sealed_at, proved_at,
                submitted_at, finalized_at
            )
            VALUES (
                $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::TEXT::NUMERIC,
                COALESCE($15, now()), COALESCE($15, now()), COALESCE($15, now()),
                CASE WHEN $2 = 'finalized' THEN now() END
            )
            "#,
            b.number,
            b.status,
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
            b.at,
        )
        .execute(&mut *tx)
        .await?;
        for r in &b.requests {
            crate::priority::insert_request_on(&mut *tx, r).await?;
        }
        crate::txs::insert_txs_on(&mut *tx, &b.txs).await?;
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
        // The proof job is done: the batch was proved before it was accepted.
        sqlx::query!(
            r#"
            INSERT INTO proof_jobs (batch_number, status, max_attempts)
            VALUES ($1, 'done', 1)
            "#,
            b.number,
        )
        .execute(&mut *tx)
        .await?;
        if let Some((proof, proof_eth)) = &b.proof {
            sqlx::query!(
                r#"
                INSERT INTO proofs (batch_number, proof, proof_eth, worker, prove_ms, proved_at)
                VALUES ($1, $2, $3, 'restore', 0, COALESCE($4, now()))
                "#,
                b.number,
                proof,
                proof_eth,
                b.at,
            )
            .execute(&mut *tx)
            .await?;
        }
        let s = &b.submission;
        // One transaction may submit several batches (through another contract): it is the
        // first one's attempt.
        sqlx::query!(
            r#"
            INSERT INTO settlement_attempts (
                batch_number, nonce, max_fee_per_gas, max_priority_fee_per_gas, gas_limit, tx_hash,
                raw_tx, status, block_number, block_hash, gas_used, sent_at, mined_at
            )
            VALUES (
                $1, $2, $3::TEXT::NUMERIC, $4::TEXT::NUMERIC, $5, $6, $7, 'mined', $8, $9, $10,
                COALESCE($11, now()), COALESCE($11, now())
            )
            ON CONFLICT (tx_hash) DO NOTHING
            "#,
            b.number,
            s.nonce,
            s.max_fee_per_gas,
            s.max_priority_fee_per_gas,
            s.gas_limit,
            s.tx_hash,
            s.raw_tx,
            s.block_number,
            s.block_hash,
            s.gas_used,
            b.at,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            r#"
            UPDATE restore_progress
            SET through_batch = $1,
                updated_at = now()
            "#,
            b.number,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a restore: the priority requests queued and not yet executed (with their entries in
    /// the sequence), the watcher's position, and the progress row marked finished, all or
    /// nothing.
    pub async fn finish_restore(
        &self,
        waiting: &[NewPriorityRequest],
        txs: &[NewTx],
        cursor: Option<&L1Cursor>,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        for r in waiting {
            crate::priority::insert_request_on(&mut *tx, r).await?;
        }
        crate::txs::insert_txs_on(&mut *tx, txs).await?;
        if let Some(c) = cursor {
            crate::priority::set_cursor_on(&mut *tx, c).await?;
        }
        sqlx::query!("UPDATE restore_progress SET finished_at = now(), updated_at = now()").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The signed transactions (`transfer`, `withdraw`) accepted after the newest finalized
    /// batch and not refused by the sealer, in acceptance order: what a database the chain left
    /// behind holds that the chain may not (`causeway takeover` submits them again after
    /// rebuilding; those the chain already has are refused then).
    pub async fn signed_txs_after_finalized(&self) -> Result<Vec<serde_json::Value>, DbError> {
        Ok(sqlx::query_scalar!(
            r#"
            SELECT t.body FROM txs t
            WHERE t.kind IN ('transfer', 'withdraw')
                AND t.seq > COALESCE((SELECT MAX(last_seq) FROM batches WHERE status = 'finalized'), 0)
                AND NOT EXISTS (SELECT 1 FROM tx_rejections r WHERE r.seq = t.seq)
            ORDER BY t.seq
            "#
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Empties every table but the migrations' and the writer fence's (identities restarted; the
    /// epoch goes on, so a stale sequencer stays fenced out), in one transaction, so
    /// that a restore can rebuild the database from the chain. Only for a database whose
    /// services are stopped: `causeway takeover` calls it when another party's batch was
    /// accepted in place of its own.
    pub async fn wipe(&self) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        let tables = sqlx::query_scalar!(
            r#"
            SELECT quote_ident(tablename) AS "name!" FROM pg_tables
            WHERE schemaname = current_schema() AND tablename NOT IN ('_sqlx_migrations', 'writer_epochs')
            ORDER BY tablename
            "#
        )
        .fetch_all(&mut *tx)
        .await?;
        if !tables.is_empty() {
            let sql = format!("TRUNCATE {} RESTART IDENTITY CASCADE", tables.join(", "));
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Refuses a database whose restore is unfinished: its state stops at some batch, and
    /// serving or settling from it would fork from the chain.
    pub async fn check_not_restoring(&self) -> Result<(), DbError> {
        match self.restore_progress().await? {
            Some(r) if r.finished_at.is_none() => Err(DbError::Corrupt(format!(
                "a restore into this database stopped after batch {}: run `causeway restore` again to finish it",
                r.through_batch
            ))),
            _ => Ok(()),
        }
    }
}
