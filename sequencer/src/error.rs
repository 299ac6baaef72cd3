//! Errors: [`SequencerError`] for start-up and the service loops, [`ApiError`] for HTTP
//! responses (one JSON shape, `{code, message}`, with the right status).

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use causeway_db::DbError;
use causeway_protocol::ProtocolError;
use serde::Serialize;

/// Why the sequencer could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The genesis file or the stored rollup is unusable or inconsistent.
    #[error("genesis: {0}")]
    Genesis(String),
    /// The stored state does not match the stored batches (a bug or a tampered database).
    #[error("stored state is inconsistent: {0}")]
    Inconsistent(String),
    /// Another sequencer holds the database.
    #[error("another sequencer is running against this database")]
    Locked,
    /// The HTTP listener failed.
    #[error("http: {0}")]
    Io(#[from] std::io::Error),
}

/// An HTTP error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code.
    pub code: &'static str,
    /// Human-readable message (never internal error text).
    pub message: String,
    /// Seconds after which a retry may succeed (429 and 503).
    pub retry_after: Option<u32>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// An error without Retry-After.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None }
    }

    /// 400: the request cannot be parsed.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    /// 404: no such object.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    /// 503: the database is unreachable.
    pub fn unavailable() -> Self {
        Self {
            retry_after: Some(1),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database is unavailable; retry later")
        }
    }

    /// 422: the fee is below the sequencer's minimum.
    pub fn fee_too_low(fee: u128, min: u128) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "fee_too_low",
            format!("the fee {fee} wei is below this sequencer's minimum of {min} wei"),
        )
    }

    /// 503: a core task has not reported progress for too long.
    pub fn stale(task: &str, silent: std::time::Duration) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "stale",
            format!("the {task} task has not made progress for {} s", silent.as_secs()),
        )
    }

    /// 503: the base chain's RPC endpoint is unreachable.
    pub fn base_chain_unavailable() -> Self {
        Self {
            retry_after: Some(1),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "base_chain_unavailable",
                "the base chain is unreachable; retry later",
            )
        }
    }

    /// 429: too many transactions wait to be sealed.
    pub fn mempool_full() -> Self {
        Self {
            retry_after: Some(1),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "mempool_full", "too many transactions are waiting; retry later")
        }
    }

    /// 500: a bug; the detail goes to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }

    /// An error for a rule the transaction breaks.
    pub fn rule(e: &ProtocolError) -> Self {
        let status = match e {
            ProtocolError::BadSignature => StatusCode::UNAUTHORIZED,
            ProtocolError::WrongNonce { .. } => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "database unavailable");
            Self::unavailable()
        } else {
            Self::internal(e)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(Body { code: self.code, message: &self.message })).into_response();
        if let Some(s) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            // The transaction carries its own credential: its signature.
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Signature"));
        }
        response
    }
}
