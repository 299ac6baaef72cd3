//! `/metrics` and `/health` for the services that have no API of their own (the prover worker
//! and the settler): Prometheus metrics from the process-wide recorder, and a health answer from
//! the service's heartbeat and its database.
//!
//! The service's main loop sends the time of each pass (or of each sign of life while a long
//! proof runs) on a [`watch`] channel; `/health` answers 503 `stale` when the last one is older
//! than `stale_after`, and 503 `unavailable` when the database does not answer.

use crate::{ApiError, server};
use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use causeway_db::Db;
use serde_json::json;
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::{sync::watch, task::JoinHandle, time::Instant};

struct Observed {
    service: &'static str,
    heartbeat: watch::Receiver<Instant>,
    stale_after: Duration,
    db: Db,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

/// A heartbeat channel: the service keeps the sender and calls `send_replace(Instant::now())`.
pub fn heartbeat() -> (watch::Sender<Instant>, watch::Receiver<Instant>) {
    watch::channel(Instant::now())
}

/// Serves `/metrics` and `/health` for `service` on `listen` until `stop`; the bound address.
pub async fn serve(
    listen: SocketAddr,
    service: &'static str,
    heartbeat: watch::Receiver<Instant>,
    stale_after: Duration,
    db: Db,
    stop: watch::Receiver<bool>,
) -> Result<(SocketAddr, JoinHandle<Result<(), String>>), std::io::Error> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let observed = Arc::new(Observed { service, heartbeat, stale_after, db, metrics: crate::metrics::install() });
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/health", get(health))
        .fallback(|| async { ApiError::not_found("only /metrics and /health are served here") })
        .with_state(observed);
    let limits = server::Limits {
        header_read: crate::config::DEFAULT_HEADER_READ_TIMEOUT,
        request: crate::config::DEFAULT_REQUEST_TIMEOUT,
        max_connections: 64,
    };
    Ok((addr, tokio::spawn(server::serve(listener, app, limits, stop))))
}

async fn metrics(State(o): State<Arc<Observed>>) -> Response {
    let age = o.heartbeat.borrow().elapsed();
    metrics::gauge!("causeway_heartbeat_age_seconds", "service" => o.service).set(age.as_secs_f64());
    match &o.metrics {
        Some(h) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], h.render()).into_response(),
        None => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "metrics_unavailable", "no metrics recorder").into_response()
        }
    }
}

async fn health(State(o): State<Arc<Observed>>) -> Response {
    if let Err(e) = o.db.ping().await {
        tracing::warn!(error = %e, "health check: database");
        return ApiError::unavailable().into_response();
    }
    let age = o.heartbeat.borrow().elapsed();
    if age > o.stale_after {
        return ApiError::stale(o.service, age).into_response();
    }
    Json(json!({ "status": "ok", "service": o.service, "database": "ok", "heartbeat_age_ms": age.as_millis() as u64 }))
        .into_response()
}
