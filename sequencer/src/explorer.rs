//! The block explorer: a single page served at `/` with its assets under `/explorer/`, all built
//! into the binary (no CDN: it works without internet). The page shows what the public API
//! reports, and checks it against the base chain, read over JSON-RPC from an endpoint the
//! visitor chooses: its proof check runs snarkjs (0.7.6, the `build/snarkjs.min.js` of the npm
//! package the project pins, checked byte for byte by a test) in the visitor's browser with the
//! Rollup's key and the batch's data from the chain; account pages recompute Merkle proofs with
//! Poseidon (`poseidon.min.js`, poseidon-lite bundled by `npm run explorer-poseidon --prefix
//! sdk`, checked against a fresh bundle by the SDK's tests).

use axum::{
    Router,
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use std::sync::Arc;

/// The page's files: (name, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../explorer/app.js")),
    ("style.css", "text/css; charset=utf-8", include_bytes!("../explorer/style.css")),
    ("snarkjs.min.js", "text/javascript; charset=utf-8", include_bytes!("../explorer/snarkjs.min.js")),
    ("poseidon.min.js", "text/javascript; charset=utf-8", include_bytes!("../explorer/poseidon.min.js")),
];

/// The page's script, for tests that hold its constants to the contract.
pub fn app_js() -> &'static str {
    include_str!("../explorer/app.js")
}

const INDEX: &str = include_str!("../explorer/index.html");

/// The snarkjs build the page embeds.
pub fn snarkjs_bundle() -> &'static [u8] {
    ASSETS.iter().find(|(name, ..)| *name == "snarkjs.min.js").map_or(&[], |(_, _, bytes)| bytes)
}

/// The explorer's routes.
/// The explorer's Content-Security-Policy: its own scripts only (snarkjs compiles WebAssembly
/// and runs workers from blobs), requests to anywhere (the base-chain RPC endpoint the user
/// names), and no framing, no forms, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     worker-src 'self' blob:; connect-src *; style-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

pub(crate) fn routes() -> Router<Arc<crate::Shared>> {
    use tower_http::set_header::SetResponseHeaderLayer;
    let set = |name: header::HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, header::HeaderValue::from_static(value))
    };
    Router::new()
        .route("/", get(index))
        .route("/explorer/{file}", get(asset))
        .layer(set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
}

/// The explorer: the newest batches with live updates, search by transaction hash, account
/// index or public key, batch, transaction and account pages, and an in-browser check of a
/// batch's proof.
#[utoipa::path(
    get,
    path = "/",
    responses((status = 200, description = "the explorer's page", content_type = "text/html", body = String))
)]
pub(crate) async fn index() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], INDEX).into_response()
}

/// One of the explorer's scripts or style sheets.
#[utoipa::path(
    get,
    path = "/explorer/{file}",
    params(("file" = String, Path, description = "app.js, style.css, snarkjs.min.js or poseidon.min.js")),
    responses(
        (status = 200, description = "the file", content_type = "text/javascript", body = String),
        (status = 404, description = "no such file", body = crate::views::ErrorBody),
    )
)]
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, ..)| *name == file) {
        Some((_, content_type, bytes)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "no-cache")], *bytes).into_response()
        }
        None => {
            crate::ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no explorer file {file}")).into_response()
        }
    }
}
