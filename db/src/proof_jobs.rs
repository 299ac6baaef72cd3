//! `proof_jobs` and `proofs`: the provers' queue. Workers claim jobs with
//! `FOR UPDATE SKIP LOCKED` and a lease they renew; an expired lease lets another worker take
//! the job over; a proof is stored only by the worker that holds the job, so a batch is proved
//! once however many workers raced for it.

use crate::{Db, DbError};

/// A job a worker holds.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    /// The batch to prove.
    pub batch_number: i64,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// The encoded witness.
    pub witness: Vec<u8>,
}

/// Jobs per status, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Waiting for a worker.
    pub queued: i64,
    /// Held by a worker.
    pub claimed: i64,
    /// Proved.
    pub done: i64,
    /// Out of attempts.
    pub failed: i64,
}

impl Db {
    /// Claims the oldest claimable job for `worker` with a lease of `lease_s` seconds: a queued
    /// job, or a claimed one whose lease expired. Jobs whose lease expired on their last
    /// attempt are marked failed first.
    pub async fn claim_proof_job(&self, worker: &str, lease_s: f64) -> Result<Option<ClaimedJob>, DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            r#"
            UPDATE proof_jobs
            SET status = 'failed',
                last_error = 'lease expired on the last attempt (worker ' || worker || ')',
                worker = NULL,
                lease_expires_at = NULL,
                updated_at = now()
            WHERE status = 'claimed'
                AND lease_expires_at < now()
                AND attempts >= max_attempts
            "#
        )
        .execute(&mut *tx)
        .await?;
        let job = sqlx::query!(
            r#"
            UPDATE proof_jobs
            SET status = 'claimed',
                worker = $1,
                lease_expires_at = now() + make_interval(secs => $2),
                attempts = attempts + 1,
                updated_at = now()
            WHERE batch_number = (
                SELECT batch_number
                FROM proof_jobs
                WHERE status = 'queued'
                    OR (status = 'claimed' AND lease_expires_at < now())
                ORDER BY batch_number
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            )
            RETURNING batch_number, attempts, max_attempts
            "#,
            worker,
            lease_s,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(job) = job else {
            tx.commit().await?;
            return Ok(None);
        };
        sqlx::query!(
            r#"
            UPDATE batches
            SET status = 'proving'
            WHERE number = $1
                AND status = 'sealed'
            "#,
            job.batch_number
        )
        .execute(&mut *tx)
        .await?;
        let witness = sqlx::query_scalar!(
            r#"
            SELECT witness
            FROM batch_witnesses
            WHERE batch_number = $1
            "#,
            job.batch_number
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(ClaimedJob {
            batch_number: job.batch_number,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            witness,
        }))
    }

    /// Extends `worker`'s lease on a job; false if the worker no longer holds it.
    pub async fn renew_proof_lease(&self, batch_number: i64, worker: &str, lease_s: f64) -> Result<bool, DbError> {
        let n = sqlx::query!(
            r#"
            UPDATE proof_jobs
            SET lease_expires_at = now() + make_interval(secs => $3),
                updated_at = now()
            WHERE batch_number = $1
                AND worker = $2
                AND status = 'claimed'
            "#,
            batch_number,
            worker,
            lease_s,
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Stores a verified proof and marks the job done and the batch proved, if `worker` still
    /// holds the job; false (nothing stored) if another worker took it over.
    pub async fn complete_proof_job(
        &self,
        batch_number: i64,
        worker: &str,
        proof: &[u8],
        proof_eth: &[u8],
        prove_ms: i64,
    ) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        let held = sqlx::query!(
            r#"
            UPDATE proof_jobs
            SET status = 'done',
                lease_expires_at = NULL,
                last_error = NULL,
                updated_at = now()
            WHERE batch_number = $1
                AND worker = $2
                AND status = 'claimed'
            "#,
            batch_number,
            worker,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if held != 1 {
            return Ok(false);
        }
        sqlx::query!(
            r#"
            INSERT INTO proofs (batch_number, proof, proof_eth, worker, prove_ms)
            VALUES ($1, $2, $3, $4, $5)
            "#,
            batch_number,
            proof,
            proof_eth,
            worker,
            prove_ms,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            r#"
            UPDATE batches
            SET status = 'proved',
                proved_at = now()
            WHERE number = $1
                AND status IN ('sealed', 'proving')
            "#,
            batch_number
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records a failed attempt: the job goes back to the queue, or is marked failed when out of
    /// attempts. Returns the new status, or `None` if `worker` no longer held the job.
    pub async fn fail_proof_job(
        &self,
        batch_number: i64,
        worker: &str,
        error: &str,
    ) -> Result<Option<String>, DbError> {
        Ok(sqlx::query_scalar!(
            r#"
            UPDATE proof_jobs
            SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                worker = NULL,
                lease_expires_at = NULL,
                last_error = $3,
                updated_at = now()
            WHERE batch_number = $1
                AND worker = $2
                AND status = 'claimed'
            RETURNING status
            "#,
            batch_number,
            worker,
            error,
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Jobs per status.
    pub async fn proof_job_counts(&self) -> Result<JobCounts, DbError> {
        let rows = sqlx::query!(
            r#"
            SELECT status, COUNT(*) AS "n!"
            FROM proof_jobs
            GROUP BY status
            "#
        )
        .fetch_all(&self.pool)
        .await?;
        let mut c = JobCounts::default();
        for r in rows {
            match r.status.as_str() {
                "queued" => c.queued = r.n,
                "claimed" => c.claimed = r.n,
                "done" => c.done = r.n,
                _ => c.failed += r.n,
            }
        }
        Ok(c)
    }

    /// A job's status, attempts, worker and last error.
    pub async fn proof_job(
        &self,
        batch_number: i64,
    ) -> Result<Option<(String, i32, Option<String>, Option<String>)>, DbError> {
        let row = sqlx::query!(
            r#"
            SELECT status, attempts, worker, last_error
            FROM proof_jobs
            WHERE batch_number = $1
            "#,
            batch_number
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.status, r.attempts, r.worker, r.last_error)))
    }
}
