//! The prover worker: claims proof jobs from PostgreSQL, proves them and stores verified proofs.
//!
//! Any number of workers, on any machines, share one database. A worker claims the oldest
//! claimable job with `FOR UPDATE SKIP LOCKED` and a lease, renews the lease while it proves,
//! and stores the proof only if it still holds the job; a crashed worker's job is taken over
//! when its lease expires. A failed attempt goes back to the queue until the job's attempts are
//! spent, then the job is marked failed with the reason.

use crate::{ProverError, export, keys::Keys, prove};
use ark_serialize::CanonicalSerialize;
use causeway_circuits::{BatchWitness, CircuitParams};
use causeway_db::{Db, DbError, proof_jobs::ClaimedJob};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::watch;

/// How long a claimed job stays a worker's without renewal.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// How often an idle worker looks for jobs.
pub const DEFAULT_POLL: Duration = Duration::from_millis(500);

/// A worker's configuration.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// PostgreSQL URL.
    pub database_url: String,
    /// Key directory made by `causeway setup`.
    pub keys: PathBuf,
    /// The worker's name in the job table (unique per process).
    pub name: String,
    /// See [`DEFAULT_LEASE`]; renewed every third of it.
    pub lease: Duration,
    /// See [`DEFAULT_POLL`].
    pub poll: Duration,
    /// Stop after this many proofs (for tests and one-shot runs); `None` runs until stopped.
    pub max_jobs: Option<usize>,
    /// Where the worker reports that it is alive: each pass of its loop, and each lease renewal
    /// while a proof runs (for `/health`).
    pub heartbeat: Option<watch::Sender<tokio::time::Instant>>,
}

impl WorkerConfig {
    fn beat(&self) {
        if let Some(h) = &self.heartbeat {
            h.send_replace(tokio::time::Instant::now());
        }
    }
}

/// Why a worker could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The keys could not be loaded or do not fit the rollup.
    #[error(transparent)]
    Keys(#[from] ProverError),
}

/// How often a worker started before the sequencer looks for the rollup again.
const INIT_POLL: Duration = Duration::from_secs(1);

/// Loads keys and checks them against the rollup's circuit parameters. A worker started before
/// the sequencer has initialised the database (from its genesis file) waits for it.
pub async fn load_keys(db: &Db, dir: PathBuf) -> Result<Keys, WorkerError> {
    let mut told = false;
    let row = loop {
        if let Some(row) = db.rollup().await? {
            break row;
        }
        if !told {
            tracing::info!(
                "the database has no rollup yet; waiting for the sequencer to initialise it from its genesis"
            );
            told = true;
        }
        tokio::time::sleep(INIT_POLL).await;
    };
    let params = CircuitParams { depth: row.depth as u32, slots: row.slots as usize };
    let keys = tokio::task::spawn_blocking(move || Keys::load(&dir, Some(params)))
        .await
        .map_err(|e| ProverError::Io { path: PathBuf::from("<key loader>"), source: std::io::Error::other(e) })??;
    Ok(keys)
}

/// Runs the worker until `stop` turns true (or `max_jobs` proofs are stored).
pub async fn run(config: WorkerConfig, mut stop: watch::Receiver<bool>) -> Result<usize, WorkerError> {
    let db = Db::connect_with(&config.database_url, 2).await?;
    let keys = tokio::select! {
        keys = load_keys(&db, config.keys.clone()) => Arc::new(keys?),
        _ = stop.changed() => return Ok(0),
    };
    tracing::info!(
        worker = %config.name,
        depth = keys.meta.params.depth,
        slots = keys.meta.params.slots,
        origin = %keys.meta.origin,
        "prover ready"
    );
    if !keys.meta.is_from_ceremony() {
        tracing::warn!("{}", crate::INSECURE_WARNING);
    }
    let mut proved = 0;
    loop {
        if *stop.borrow() || config.max_jobs.is_some_and(|m| proved >= m) {
            return Ok(proved);
        }
        config.beat();
        if let Ok(j) = db.proof_job_counts().await {
            metrics::gauge!("causeway_prover_jobs_waiting").set(j.queued as f64);
        }
        let job = match db.claim_proof_job(&config.name, config.lease.as_secs_f64()).await {
            Ok(job) => job,
            Err(e) => {
                tracing::warn!(error = %e, "claiming a job");
                None
            }
        };
        let Some(job) = job else {
            tokio::select! {
                _ = tokio::time::sleep(config.poll) => {}
                _ = stop.changed() => {}
            }
            continue;
        };
        if prove_job(&db, &config, keys.clone(), job).await? {
            proved += 1;
        }
    }
}

/// Proves one claimed job; true if this worker stored its proof.
async fn prove_job(db: &Db, config: &WorkerConfig, keys: Arc<Keys>, job: ClaimedJob) -> Result<bool, WorkerError> {
    let n = job.batch_number;
    tracing::info!(batch = n, attempt = job.attempts, of = job.max_attempts, "proving");
    let Some(witness) = BatchWitness::from_bytes(&job.witness) else {
        db.fail_proof_job(n, &config.name, "the stored witness does not decode").await?;
        return Ok(false);
    };
    let started = Instant::now();
    let mut proving = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha20Rng::from_entropy();
        prove(&keys, witness, &mut rng)
    });
    let renew_every = config.lease / 3;
    let result = loop {
        tokio::select! {
            r = &mut proving => break r,
            _ = tokio::time::sleep(renew_every) => {
                match db.renew_proof_lease(n, &config.name, config.lease.as_secs_f64()).await {
                    Ok(true) => config.beat(),
                    Ok(false) => tracing::warn!(batch = n, "lease lost: another worker took the job over"),
                    Err(e) => tracing::warn!(batch = n, error = %e, "renewing the lease"),
                }
            }
        }
    };
    let prove_ms = started.elapsed().as_millis() as i64;
    let outcome = match result {
        Ok(Ok(proof)) => Ok(proof),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(format!("the proving task failed: {e}")),
    };
    match outcome {
        Ok(proof) => {
            let mut bytes = Vec::new();
            if let Err(e) = proof.serialize_compressed(&mut bytes) {
                db.fail_proof_job(n, &config.name, &format!("serialising the proof: {e}")).await?;
                return Ok(false);
            }
            let stored = db.complete_proof_job(n, &config.name, &bytes, &export::proof_eth(&proof), prove_ms).await?;
            metrics::histogram!("causeway_prover_prove_seconds").record(prove_ms as f64 / 1000.0);
            let outcome = if stored { "stored" } else { "discarded" };
            metrics::counter!("causeway_prover_proofs_total", "outcome" => outcome).increment(1);
            if stored {
                tracing::info!(batch = n, prove_ms, "proved");
            } else {
                tracing::warn!(batch = n, "another worker holds the job now; proof discarded");
            }
            Ok(stored)
        }
        Err(reason) => {
            metrics::counter!("causeway_prover_proofs_total", "outcome" => "failed").increment(1);
            let status = db.fail_proof_job(n, &config.name, &reason).await?;
            tracing::error!(batch = n, %reason, status = status.as_deref().unwrap_or("taken over"), "proving failed");
            Ok(false)
        }
    }
}
