//! Prometheus metrics, rendered by `GET /metrics`.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::{sync::OnceLock, time::Duration};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; later calls reuse it.
pub(crate) fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0])
                .ok()?
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
                .ok()
        })
        .clone()
}

pub(crate) fn accepted() {
    metrics::counter!("causeway_txs_accepted_total").increment(1);
}

pub(crate) fn rejected(reason: &'static str) {
    metrics::counter!("causeway_txs_rejected_total", "reason" => reason).increment(1);
}

pub(crate) fn batch_sealed(criterion: &'static str, waited: Option<Duration>, took: Duration, ops: i32) {
    metrics::counter!("causeway_batches_sealed_total", "criterion" => criterion).increment(1);
    if let Some(w) = waited {
        metrics::histogram!("causeway_batch_seal_latency_seconds").record(w.as_secs_f64());
    }
    metrics::histogram!("causeway_batch_seal_duration_seconds").record(took.as_secs_f64());
    metrics::histogram!("causeway_batch_ops").record(f64::from(ops));
}

pub(crate) fn gauges(mempool_slots: usize, sealed: i64, proved: i64, jobs: Option<causeway_db::proof_jobs::JobCounts>) {
    metrics::gauge!("causeway_mempool_slots").set(mempool_slots as f64);
    metrics::gauge!("causeway_batches_sealed").set(sealed as f64);
    metrics::gauge!("causeway_batches_proved_through").set(proved as f64);
    if let Some(j) = jobs {
        for (status, n) in [("queued", j.queued), ("claimed", j.claimed), ("done", j.done), ("failed", j.failed)] {
            metrics::gauge!("causeway_proof_jobs", "status" => status).set(n as f64);
        }
    }
}

/// The Rollup's priority queue as the chain has it: requests no accepted batch has executed,
/// the blocks left before the oldest one's deadline passes (negative once it has: anyone may then
/// turn exodus mode on), and whether exodus mode is on.
pub(crate) fn priority_deadline(waiting: u64, blocks_left: Option<i64>, exodus: bool) {
    metrics::gauge!("causeway_priority_requests_unexecuted").set(waiting as f64);
    if let Some(left) = blocks_left {
        metrics::gauge!("causeway_priority_deadline_blocks_left").set(left as f64);
    }
    metrics::gauge!("causeway_exodus_mode").set(if exodus { 1.0 } else { 0.0 });
}
