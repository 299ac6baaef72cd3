//! The HTTP server: hyper's HTTP/1.1 connection loop with the limits a public endpoint needs and
//! `axum::serve` does not set, so that slow or abusive clients cannot hold the server's sockets:
//! - a time limit on reading a request's headers ([`SequencerConfig::header_read_timeout`],
//!   which also closes a kept-alive connection that sends nothing more);
//! - a time limit on each request, body and handler included (408 `request_timeout`);
//! - a ceiling on open connections: at the limit the server stops accepting until one closes
//!   (new connections wait in the kernel's backlog).
//!
//! [`SequencerConfig::header_read_timeout`]: crate::SequencerConfig::header_read_timeout

use crate::ApiError;
use axum::{Router, extract::Request, http::StatusCode, middleware::Next, response::Response};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use std::{sync::Arc, time::Duration};
use tokio::{
    net::TcpListener,
    sync::{Semaphore, watch},
};

/// What the server allows each client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) header_read: Duration,
    pub(crate) request: Duration,
    pub(crate) max_connections: usize,
}

/// Serves `app` on `listener` until `stop`; in-flight requests are let finish.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) -> Result<(), String> {
    let request = limits.request;
    let app = app.layer(axum::middleware::from_fn(move |req: Request, next: Next| async move {
        match tokio::time::timeout(request, next.run(req)).await {
            Ok(response) => response,
            Err(_) => request_timeout(request),
        }
    }));
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.map_err(|e| e.to_string())?,
            _ = stop.changed() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, for example: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let mut http1 = hyper::server::conn::http1::Builder::new();
        http1.timer(TokioTimer::new()).header_read_timeout(limits.header_read);
        let connection =
            graceful.watch(http1.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone())));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn request_timeout(limit: Duration) -> Response {
    use axum::response::IntoResponse;
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        format!("the request took longer than {} s", limit.as_secs_f64()),
    )
    .into_response()
}
