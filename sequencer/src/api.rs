//! The HTTP API. [`router`] is separate from the server so tests can drive it directly; every
//! error is an [`ApiError`]: a status and JSON `{code, message}`.

use crate::{
    Shared,
    error::ApiError,
    explorer,
    mempool::Submission,
    metrics as m, openapi,
    verify::{Checked, Claim},
    views::{
        AcceptedAccount, AccountTxs, AccountView, AccountsByKey, BatchDetail, BatchList, BatchProof, BatchResponse,
        BatchState, BatchSummary, BatchTx, CircuitKey, ErrorBody, Failed, Health, OpenBatch, OpenState, ProofJob,
        ProvedAccount, Rejection, RollupInfo, SnarkjsProofAndPublic, SubmitItem, SubmitResponse, SubmitResults,
        Submitted, TokenView, Tokens, TxState, TxView, VerifyingKeys,
    },
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State, rejection::QueryRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use causeway_db::{batches::BatchRow, txs::TxRow};
use causeway_protocol::{
    Account, AccountIndex, ProtocolError, PublicKey,
    field::{fr_from_be_bytes, fr_to_be_bytes},
    wire::{Amount, Payer, SignedTx},
};
use serde_json::Value;
use std::{collections::HashMap, sync::Arc, sync::atomic::Ordering};
use tokio::sync::{mpsc::error::TrySendError, oneshot};

/// The API's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    let limit = shared.config.max_body_bytes;
    let metrics_here = shared.config.metrics_listen.is_none();
    let routes = Router::new()
        .route("/v1/txs", post(submit))
        .route("/v1/txs/{hash}", get(tx_status))
        .route("/v1/accounts/{index}", get(account_by_index))
        .route("/v1/accounts/by-key/{key}", get(account_by_key))
        .route("/v1/rollup", get(rollup_info))
        .route("/v1/batches", get(batches))
        .route("/v1/batches/{number}", get(batch))
        .route("/v1/accounts/{index}/txs", get(account_txs))
        .route("/v1/batches/{number}/proof", get(batch_proof))
        .route("/v1/verifying-key", get(verifying_key))
        .route("/v1/tokens", get(tokens))
        .route("/health", get(health))
        .route("/v1/openapi.json", get(|| async { Json(openapi::document()) }));
    let routes = if metrics_here { routes.route("/metrics", get(metrics)) } else { routes };
    routes
        .merge(explorer::routes())
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this route")
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(cors())
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            header::HeaderValue::from_static("nosniff"),
        ))
        .with_state(shared)
}

/// `/metrics` alone, for its own listen address ([`crate::SequencerConfig::metrics_listen`]).
pub fn metrics_router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(|| async { ApiError::not_found("only /metrics is served here") })
        .with_state(shared)
}

/// Cross-origin access for wallets and pages served from elsewhere (the SDK in a browser): any
/// origin may read and submit (the API holds no cookies or credentials), and `Retry-After` is
/// exposed so a browser client can wait out a 429 or 503 as the server asks.
fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(3600))
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn parse_hex32(s: &str, what: &str) -> Result<[u8; 32], ApiError> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let bytes = hex::decode(digits).map_err(|_| ApiError::malformed(format!("{what} must be 32 bytes of hex")))?;
    bytes.try_into().map_err(|_| ApiError::malformed(format!("{what} must be 32 bytes of hex")))
}

fn body_error(e: axum::extract::rejection::BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "request body is too large")
    } else {
        ApiError::malformed(format!("cannot read the request body: {e}"))
    }
}

/// A transaction checked by the handler: signature verified against the payer's key.
struct Prepared {
    tx: SignedTx,
    hash: [u8; 32],
}

/// A transaction past the rules checked before its signature (fee, payer), with what its
/// signature check needs.
struct Claimed {
    tx: SignedTx,
    claim: Claim,
}

/// Rules 2 and 3 of `docs/api.md`: the fee and the payer, both before the signature.
fn claim(shared: &Shared, tx: SignedTx) -> Result<Claimed, ApiError> {
    let Payer { from, fee, .. } = tx.payer();
    if fee < shared.config.min_fee {
        m::rejected("fee_too_low");
        return Err(ApiError::fee_too_low(fee, shared.config.min_fee));
    }
    let key: PublicKey = {
        let view = shared.accepted.read().unwrap_or_else(|e| e.into_inner());
        view.ledger.check_index(from).map_err(|e| reject(&e))?;
        let a = view.ledger.account(from);
        if a.is_empty() {
            return Err(reject(&ProtocolError::UnknownAccount(from)));
        }
        a.pubkey
    };
    Ok(Claimed { tx, claim: Claim { key, tx, domain: shared.params.domain } })
}

/// A transaction after its signature check: new (to be enqueued) or already stored (answered
/// with its status).
enum Verified {
    New(Prepared),
    Stored([u8; 32]),
}

/// Checks the signatures of one request's claimed transactions as one job off the async
/// workers (rule 4; a hash this sequencer stored is answered before it).
async fn verify_all(
    shared: &Shared,
    claimed: Vec<Result<Claimed, ApiError>>,
) -> Result<Vec<Result<Verified, ApiError>>, ApiError> {
    let claims: Vec<Claim> = claimed.iter().filter_map(|c| c.as_ref().ok().map(|c| c.claim)).collect();
    let mut checked = shared.verifier.check(claims).await.ok_or_else(ApiError::unavailable)?.into_iter();
    Ok(claimed.into_iter().map(|c| verified(c?, checked.next())).collect())
}

/// [`verify_all`] for one transaction (checked inline: see [`crate::verify`]).
async fn verify_one(shared: &Shared, claimed: Claimed) -> Result<Verified, ApiError> {
    let checked = shared.verifier.check(vec![claimed.claim]).await.ok_or_else(ApiError::unavailable)?;
    verified(claimed, checked.into_iter().next())
}

/// A claim and its check's outcome (none: no check vouched for it, so it is refused).
fn verified(c: Claimed, checked: Option<Checked>) -> Result<Verified, ApiError> {
    match checked {
        Some(Checked::Valid(hash)) => Ok(Verified::New(Prepared { tx: c.tx, hash })),
        Some(Checked::Known(hash)) => Ok(Verified::Stored(hash)),
        Some(Checked::BadSignature) | None => Err(reject(&ProtocolError::BadSignature)),
    }
}

fn reject(e: &ProtocolError) -> ApiError {
    m::rejected(e.code());
    ApiError::rule(e)
}

fn enqueue(shared: &Shared, p: Prepared) -> Result<oneshot::Receiver<Result<i64, ApiError>>, ApiError> {
    let (reply, rx) = oneshot::channel();
    let body = serde_json::to_string(&p.tx).map_err(ApiError::internal)?;
    match shared.submit.try_send(Submission { tx: p.tx, hash: p.hash, body, reply }) {
        Ok(()) => Ok(rx),
        Err(TrySendError::Full(_)) => {
            m::rejected("mempool_full");
            Err(ApiError::mempool_full())
        }
        Err(TrySendError::Closed(_)) => Err(ApiError::unavailable()),
    }
}

async fn outcome(
    shared: &Shared,
    hash: [u8; 32],
    rx: oneshot::Receiver<Result<i64, ApiError>>,
) -> Result<Submitted, ApiError> {
    let result = rx.await.map_err(|_| ApiError::unavailable())?;
    match result {
        Ok(seq) => Ok(Submitted { hash: hex0x(&hash), seq, status: TxState::Accepted, duplicate: None }),
        Err(e) if e.code == "wrong_nonce" => {
            // A resubmission of a transaction stored before this process started (a client
            // retrying) gets its status.
            match shared.db.tx_by_hash(&hash).await {
                Ok(Some(row)) => Ok(duplicate(&row)),
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// The answer to a transaction sent again: the stored one's status.
fn duplicate(row: &TxRow) -> Submitted {
    Submitted { hash: hex0x(&row.hash), seq: row.seq, status: tx_status_of(row), duplicate: Some(true) }
}

/// The answer to a transaction whose hash this process stored, read from the database.
async fn stored(shared: &Shared, hash: [u8; 32]) -> Result<Submitted, ApiError> {
    match shared.db.tx_by_hash(&hash).await? {
        Some(row) => Ok(duplicate(&row)),
        None => Err(ApiError::internal(format!("stored transaction {} is not in the database", hex0x(&hash)))),
    }
}

/// Submit a signed transfer or withdrawal (an object), or a list of them (an array; one result
/// each, in list order).
///
/// A 200 means the transaction is committed to the database. A list answers 200 with one
/// result per transaction, each a `Submitted` or `{"error": {code, message}}`.
#[utoipa::path(
    post,
    path = "/v1/txs",
    request_body = crate::views::SubmitRequest,
    responses(
        (status = 200, description = "accepted (or, for a list, one result per transaction)", body = SubmitResponse),
        (status = 400, description = "malformed JSON or transaction", body = ErrorBody),
        (status = 401, description = "bad signature", body = ErrorBody),
        (status = 409, description = "nonce conflict", body = ErrorBody),
        (status = 413, description = "body too large", body = ErrorBody),
        (status = 422, description = "a rule is broken: balance, unknown account, amount not representable, ...", body = ErrorBody),
        (status = 429, description = "mempool full (Retry-After)", body = ErrorBody),
        (status = 503, description = "database unavailable (Retry-After)", body = ErrorBody),
    )
)]
pub(crate) async fn submit(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_error(e).into_response(),
    };
    let is_list = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if !is_list {
        let tx: SignedTx = match serde_json::from_slice(&body) {
            Ok(tx) => tx,
            Err(e) => return ApiError::malformed(format!("invalid transaction: {e}")).into_response(),
        };
        let result = async {
            match verify_one(&shared, claim(&shared, tx)?).await? {
                Verified::New(p) => {
                    let hash = p.hash;
                    let rx = enqueue(&shared, p)?;
                    outcome(&shared, hash, rx).await
                }
                Verified::Stored(hash) => stored(&shared, hash).await,
            }
        }
        .await;
        return match result {
            Ok(v) => Json(SubmitResponse::One(v)).into_response(),
            Err(e) => e.into_response(),
        };
    }
    let items: Vec<Value> = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return ApiError::malformed(format!("invalid transaction list: {e}")).into_response(),
    };
    if items.is_empty() || items.len() > shared.config.max_txs_per_request {
        return ApiError::malformed(format!(
            "a list must hold 1 to {} transactions, not {}",
            shared.config.max_txs_per_request,
            items.len()
        ))
        .into_response();
    }
    // Verify all as one job, then enqueue all at once so they are checked in list order.
    let claimed = items
        .into_iter()
        .map(|item| {
            serde_json::from_value::<SignedTx>(item)
                .map_err(|e| ApiError::malformed(format!("invalid transaction: {e}")))
                .and_then(|tx| claim(&shared, tx))
        })
        .collect();
    let verified = match verify_all(&shared, claimed).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    enum Pending {
        Enqueued([u8; 32], oneshot::Receiver<Result<i64, ApiError>>),
        Stored([u8; 32]),
    }
    let pending: Vec<Result<Pending, ApiError>> = verified
        .into_iter()
        .map(|v| match v? {
            Verified::New(p) => {
                let hash = p.hash;
                enqueue(&shared, p).map(|rx| Pending::Enqueued(hash, rx))
            }
            Verified::Stored(hash) => Ok(Pending::Stored(hash)),
        })
        .collect();
    let mut results = Vec::with_capacity(pending.len());
    for p in pending {
        let r = match p {
            Ok(Pending::Enqueued(hash, rx)) => outcome(&shared, hash, rx).await,
            Ok(Pending::Stored(hash)) => stored(&shared, hash).await,
            Err(e) => Err(e),
        };
        results.push(match r {
            Ok(v) => SubmitItem::Submitted(v),
            Err(e) => SubmitItem::Failed(Failed { error: ErrorBody { code: e.code.into(), message: e.message } }),
        });
    }
    Json(SubmitResponse::Many(SubmitResults { results })).into_response()
}

fn tx_status_of(row: &TxRow) -> TxState {
    if row.reject_code.is_some() {
        return TxState::Rejected;
    }
    match row.batch_status.as_deref() {
        None => TxState::Accepted,
        Some("sealed" | "proving") => TxState::Included,
        Some("proved" | "submitted") => TxState::Proved,
        Some(_) => TxState::Finalized,
    }
}

fn batch_state(status: &str) -> Result<BatchState, ApiError> {
    BatchState::from_db(status).ok_or_else(|| ApiError::internal(format!("unknown batch status {status:?}")))
}

fn tx_view(row: TxRow) -> Result<TxView, ApiError> {
    let rejection = row.reject_code.clone().map(|code| Rejection { code, message: row.reject_reason.clone() });
    Ok(TxView {
        hash: hex0x(&row.hash),
        seq: row.seq,
        status: tx_status_of(&row),
        batch: if rejection.is_some() { None } else { row.batch_number },
        batch_status: row.batch_status.as_deref().map(batch_state).transpose()?,
        rejection,
        accepted_at: row.accepted_at,
        tx: row.body,
    })
}

/// A transaction's status (accepted, included, proved, finalized, rejected), batch and
/// rejection reason.
///
/// `hash` is the transaction hash `POST /v1/txs` answered with (a deposit's or full exit's is
/// `SHA-256("causeway priority request" ‖ serial)`, see protocol.md).
#[utoipa::path(
    get,
    path = "/v1/txs/{hash}",
    params(("hash" = String, Path, description = "0x-prefixed 32-byte transaction hash")),
    responses(
        (status = 200, description = "found", body = TxView),
        (status = 400, description = "malformed hash", body = ErrorBody),
        (status = 404, description = "no such transaction", body = ErrorBody),
        (status = 503, description = "database unavailable", body = ErrorBody),
    )
)]
pub(crate) async fn tx_status(
    State(shared): State<Arc<Shared>>,
    Path(hash): Path<String>,
) -> Result<Json<TxView>, ApiError> {
    let hash = parse_hex32(&hash, "transaction hash")?;
    let row = shared.db.tx_by_hash(&hash).await?.ok_or_else(|| ApiError::not_found("no such transaction"))?;
    tx_view(row).map(Json)
}

fn account_view(index: AccountIndex, accepted: Option<Account>, shared: &Shared) -> Result<AccountView, ApiError> {
    let proved = shared.proved.read().unwrap_or_else(|e| e.into_inner());
    let p = proved.state.account(index);
    let a = accepted.unwrap_or(Account::EMPTY);
    if a.is_empty() && p.is_empty() {
        return Err(ApiError::not_found(format!("no account at index {index}")));
    }
    let shown = if a.is_empty() { p } else { a };
    let proof = proved.state.proof(index).map_err(ApiError::internal)?;
    let siblings: Vec<Vec<String>> =
        proof.siblings.iter().map(|level| level.iter().map(|s| hex0x(&fr_to_be_bytes(s))).collect()).collect();
    Ok(AccountView {
        index,
        public_key: hex0x(&shown.pubkey.pack()),
        owner: hex0x(&shown.owner),
        token: shown.token,
        accepted: AcceptedAccount { balance: Amount(a.balance), nonce: a.nonce },
        proved: ProvedAccount {
            batch: proved.through,
            root: hex0x(&fr_to_be_bytes(&proved.root())),
            exists: !p.is_empty(),
            balance: Amount(p.balance),
            nonce: p.nonce,
            leaf: hex0x(&fr_to_be_bytes(&p.leaf_hash())),
            siblings,
        },
    })
}

fn parse_index(index: &str) -> Result<AccountIndex, ApiError> {
    index.parse().map_err(|_| ApiError::malformed("account index must be a non-negative 32-bit integer"))
}

/// An account as of the accepted state and as of the latest proved batch, with a Merkle proof
/// against that batch's root.
#[utoipa::path(
    get,
    path = "/v1/accounts/{index}",
    params(("index" = u32, Path, description = "account index")),
    responses(
        (status = 200, description = "found", body = AccountView),
        (status = 400, description = "malformed index", body = ErrorBody),
        (status = 404, description = "no account at this index (or beyond the tree)", body = ErrorBody),
    )
)]
pub(crate) async fn account_by_index(
    State(shared): State<Arc<Shared>>,
    Path(index): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    let index = parse_index(&index)?;
    let accepted = {
        let view = shared.accepted.read().unwrap_or_else(|e| e.into_inner());
        view.ledger.check_index(index).map_err(|e| ApiError::not_found(e.to_string()))?;
        view.ledger.account(index)
    };
    account_view(index, Some(accepted), &shared).map(Json)
}

/// An account's newest transactions (up to `limit`, 1..=100, default 20): those it paid or
/// received, and its deposits and full exits, newest first.
#[utoipa::path(
    get,
    path = "/v1/accounts/{index}/txs",
    params(
        ("index" = u32, Path, description = "account index"),
        ("limit" = Option<u32>, Query, description = "at most this many (1..=100, default 20)"),
    ),
    responses(
        (status = 200, description = "found (possibly none)", body = AccountTxs),
        (status = 400, description = "malformed index or limit", body = ErrorBody),
        (status = 503, description = "database unavailable", body = ErrorBody),
    )
)]
pub(crate) async fn account_txs(
    State(shared): State<Arc<Shared>>,
    Path(index): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<AccountTxs>, ApiError> {
    let index = parse_index(&index)?;
    let Query(q) = query.map_err(|e| ApiError::malformed(e.body_text()))?;
    let limit = query_number(&q, "limit", 20)?.clamp(1, 100);
    let rows = shared.db.txs_of_account(i64::from(index), limit).await?;
    let transactions = rows.into_iter().map(tx_view).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(AccountTxs { index, transactions }))
}

/// Every account holding a packed public key, in index order, each with its owner.
///
/// Anyone can deposit with any key, so a client picks the account whose owner it trusts (a
/// wallet: its own address).
/// A page holds at most `limit` accounts (default and most 100) with indices above `after`;
/// `next_after`, when present, asks for the next page.
#[utoipa::path(
    get,
    path = "/v1/accounts/by-key/{key}",
    params(
        ("key" = String, Path, description = "0x-prefixed packed public key (32 bytes)"),
        ("limit" = Option<i64>, Query, description = "accounts per page, 1 to 100 (default 100)"),
        ("after" = Option<i64>, Query, description = "only accounts with a larger index"),
    ),
    responses(
        (status = 200, description = "found", body = AccountsByKey),
        (status = 400, description = "malformed key or query", body = ErrorBody),
        (status = 404, description = "no account with this key", body = ErrorBody),
    )
)]
pub(crate) async fn account_by_key(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<AccountsByKey>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::malformed(e.body_text()))?;
    let limit = query_number(&q, "limit", BY_KEY_PAGE as i64)?.clamp(1, BY_KEY_PAGE as i64) as usize;
    let after = q.contains_key("after").then(|| query_number(&q, "after", 0)).transpose()?;
    let packed = parse_hex32(&key, "public key")?;
    PublicKey::unpack(&packed).ok_or_else(|| ApiError::malformed("not a packed Baby Jubjub point"))?;
    let (found, more): (Vec<(AccountIndex, Account)>, bool) = {
        let view = shared.accepted.read().unwrap_or_else(|e| e.into_inner());
        let indices = view.by_key.get(&packed).ok_or_else(|| ApiError::not_found("no account with this key"))?;
        let mut page = indices.iter().filter(|i| after.is_none_or(|a| i64::from(**i) > a)).take(limit + 1);
        let found: Vec<_> = page.by_ref().take(limit).map(|i| (*i, view.ledger.account(*i))).collect();
        (found, page.next().is_some())
    };
    let next_after = if more { found.last().map(|(i, _)| i64::from(*i)) } else { None };
    let accounts = found.into_iter().map(|(i, a)| account_view(i, Some(a), &shared)).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(AccountsByKey { public_key: hex0x(&packed), accounts, next_after }))
}

/// Most accounts in one page of `GET /v1/accounts/by-key/{key}`.
pub const BY_KEY_PAGE: usize = 100;

/// The rollup's parameters and its deployment domain (chain id, Rollup address), which every
/// signature covers.
#[utoipa::path(get, path = "/v1/rollup", responses((status = 200, description = "the parameters", body = RollupInfo)))]
pub(crate) async fn rollup_info(State(shared): State<Arc<Shared>>) -> Json<RollupInfo> {
    let p = shared.params;
    Json(RollupInfo {
        chain_id: p.domain.chain_id.to_string(),
        rollup: hex0x(&p.domain.rollup),
        depth: p.depth,
        slots: p.slots,
        fee_account: p.fee_account,
        min_fee: Amount(shared.config.min_fee),
    })
}

fn batch_summary(b: &BatchRow, l1_tx: Option<&[u8]>) -> Result<BatchSummary, ApiError> {
    Ok(BatchSummary {
        number: b.number,
        status: batch_state(&b.status)?,
        old_root: hex0x(&b.old_root),
        new_root: hex0x(&b.new_root),
        commitment: hex0x(&b.commitment),
        priority_start: b.priority_start,
        priority_count: b.priority_count,
        fee_account: b.fee_account,
        fees: Amount(b.fees.parse().map_err(|_| ApiError::internal(format!("stored fees {:?}", b.fees)))?),
        operations: b.op_count,
        first_seq: b.first_seq,
        last_seq: b.last_seq,
        sealed_at: b.sealed_at,
        proved_at: b.proved_at,
        submitted_at: b.submitted_at,
        finalized_at: b.finalized_at,
        l1_tx: l1_tx.map(hex0x),
    })
}

fn query_number(q: &HashMap<String, String>, name: &str, default: i64) -> Result<i64, ApiError> {
    q.get(name).map_or(Ok(default), |v| {
        v.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::malformed(format!("{name} must be a non-negative integer")))
    })
}

/// Batches, newest first, each with its base-chain transaction once mined.
#[utoipa::path(
    get,
    path = "/v1/batches",
    params(
        ("before" = Option<i64>, Query, description = "only batches numbered below this"),
        ("limit" = Option<u32>, Query, description = "at most this many (1..=100, default 20)"),
    ),
    responses(
        (status = 200, description = "batches", body = BatchList),
        (status = 400, description = "malformed query", body = ErrorBody),
        (status = 503, description = "database unavailable", body = ErrorBody),
    )
)]
pub(crate) async fn batches(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<BatchList>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::malformed(e.body_text()))?;
    let before = query_number(&q, "before", i64::MAX)?;
    let limit = query_number(&q, "limit", 20)?.clamp(1, 100);
    let rows = shared.db.batches(before, limit).await?;
    let numbers: Vec<i64> = rows.iter().map(|b| b.number).collect();
    let l1: HashMap<i64, Vec<u8>> = shared.db.mined_submissions(&numbers).await?.into_iter().collect();
    let batches =
        rows.iter().map(|b| batch_summary(b, l1.get(&b.number).map(Vec::as_slice))).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(BatchList { batches, sealed: shared.sealed_through.load(Ordering::Relaxed) }))
}

fn parse_number(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::malformed("batch number must be a positive integer"))
}

/// A batch: status, roots, header, pubdata, transactions, timestamps, proof job and base-chain
/// transaction; the batch after the newest sealed one shows as `open` while transactions wait
/// for it.
#[utoipa::path(
    get,
    path = "/v1/batches/{number}",
    params(("number" = i64, Path, description = "batch number, from 1")),
    responses(
        (status = 200, description = "a sealed batch, or the open one", body = BatchResponse),
        (status = 400, description = "malformed number", body = ErrorBody),
        (status = 404, description = "no such batch", body = ErrorBody),
        (status = 503, description = "database unavailable", body = ErrorBody),
    )
)]
pub(crate) async fn batch(
    State(shared): State<Arc<Shared>>,
    Path(number): Path<String>,
) -> Result<Json<BatchResponse>, ApiError> {
    let n = parse_number(&number)?;
    let Some(b) = shared.db.batch(n).await? else {
        let sealed = shared.sealed_through.load(Ordering::Relaxed);
        let pending = shared.pending.load(Ordering::Relaxed);
        if n == sealed + 1 && pending > 0 {
            return Ok(Json(BatchResponse::Open(OpenBatch {
                number: n,
                status: OpenState::Open,
                waiting_slots: pending,
            })));
        }
        return Err(ApiError::not_found(format!("no batch {n}")));
    };
    let txs = shared.db.txs_in_range(b.first_seq, b.last_seq).await?;
    let job = shared.db.proof_job(n).await?;
    let l1 = shared.db.mined_submissions(&[n]).await?;
    Ok(Json(BatchResponse::Sealed(Box::new(BatchDetail {
        summary: batch_summary(&b, l1.first().map(|(_, h)| h.as_slice()))?,
        header: hex0x(&b.header),
        pubdata: hex0x(&b.pubdata),
        transactions: txs
            .into_iter()
            .map(|t| BatchTx { seq: t.seq, hash: hex0x(&t.hash), tx: t.body, rejected: t.reject_code })
            .collect(),
        proof_job: job.map(|(status, attempts, worker, last_error)| ProofJob { status, attempts, worker, last_error }),
    }))))
}

/// A batch's proof in the Ethereum precompile encoding and as snarkjs JSON.
#[utoipa::path(
    get,
    path = "/v1/batches/{number}/proof",
    params(("number" = i64, Path, description = "batch number, from 1")),
    responses(
        (status = 200, description = "the proof", body = BatchProof),
        (status = 400, description = "malformed number", body = ErrorBody),
        (status = 404, description = "no such batch, or not proved yet", body = ErrorBody),
        (status = 503, description = "database unavailable", body = ErrorBody),
    )
)]
pub(crate) async fn batch_proof(
    State(shared): State<Arc<Shared>>,
    Path(number): Path<String>,
) -> Result<Json<BatchProof>, ApiError> {
    use ark_serialize::CanonicalDeserialize;
    let n = parse_number(&number)?;
    let b = shared.db.batch(n).await?.ok_or_else(|| ApiError::not_found(format!("no batch {n}")))?;
    let p = shared.db.proof(n).await?.ok_or_else(|| ApiError::not_found(format!("batch {n} is not proved yet")))?;
    let proof = ark_groth16::Proof::<ark_bn254::Bn254>::deserialize_compressed(p.proof.as_slice())
        .map_err(ApiError::internal)?;
    let commitment = b
        .commitment
        .as_slice()
        .try_into()
        .ok()
        .and_then(fr_from_be_bytes)
        .ok_or_else(|| ApiError::internal("stored commitment does not decode"))?;
    let public = causeway_prover::export::public_signals(&commitment);
    Ok(Json(BatchProof {
        batch: n,
        commitment: hex0x(&b.commitment),
        proof_eth: hex0x(&p.proof_eth),
        snarkjs: SnarkjsProofAndPublic { proof: causeway_prover::export::proof_snarkjs(&proof), public },
        worker: p.worker,
        prove_ms: p.prove_ms,
        proved_at: p.proved_at,
    }))
}

/// The verifying keys the Rollup contract checks proofs with (the batch circuit's and the exit
/// circuit's), read from the contract, in snarkjs JSON and in the contract's encoding.
///
/// With these, `GET /v1/batches/{number}/proof` and the batch's header and pubdata, anyone can
/// check a batch's proof without trusting this server's word for the key: they are what the
/// contract's `verifyingKey()` and `exitVerifyingKey()` return.
#[utoipa::path(
    get,
    path = "/v1/verifying-key",
    responses(
        (status = 200, description = "the keys", body = VerifyingKeys),
        (status = 404, description = "this sequencer runs without a base chain", body = ErrorBody),
        (status = 503, description = "the base chain is unreachable (Retry-After)", body = ErrorBody),
    )
)]
pub(crate) async fn verifying_key(State(shared): State<Arc<Shared>>) -> Result<Json<VerifyingKeys>, ApiError> {
    let Some(l1) = &shared.config.l1 else {
        return Err(ApiError::not_found("this sequencer runs without a base chain, so it has no verifying key"));
    };
    let keys = shared
        .verifying_keys
        .get_or_try_init(|| async {
            let provider = l1_provider(l1)?;
            let (batch, exit) =
                causeway_l1::verifying_keys(&provider, l1.contract).await.map_err(|e| l1_error("verifying key", e))?;
            let key = |vk: &ark_groth16::VerifyingKey<ark_bn254::Bn254>| CircuitKey {
                snarkjs: causeway_prover::export::vk_snarkjs(vk),
                ethereum: hex0x(&causeway_prover::export::vk_eth(vk)),
            };
            Ok::<_, ApiError>(VerifyingKeys {
                chain_id: shared.params.domain.chain_id.to_string(),
                rollup: hex0x(l1.contract.as_slice()),
                batch: key(&batch),
                exit: key(&exit),
            })
        })
        .await?;
    Ok(Json(keys.clone()))
}

/// A provider for the base chain's RPC.
fn l1_provider(l1: &crate::watcher::L1Config) -> Result<alloy::providers::DynProvider, ApiError> {
    let url = l1.rpc.parse().map_err(|e| ApiError::internal(format!("rpc url: {e}")))?;
    let provider = alloy::providers::ProviderBuilder::new().disable_recommended_fillers().connect_http(url);
    Ok(alloy::providers::Provider::erased(provider))
}

/// A failed base-chain read as answered: 503 when the RPC did not answer, 500 otherwise.
fn l1_error(what: &str, e: causeway_l1::L1Error) -> ApiError {
    match e {
        causeway_l1::L1Error::Rpc(detail) => {
            tracing::warn!(%detail, "{what}: base chain");
            ApiError::base_chain_unavailable()
        }
        other => ApiError::internal(other),
    }
}

/// The listed tokens as last read, and when the registry was last read.
#[derive(Default)]
pub(crate) struct TokenCache {
    tokens: Vec<causeway_l1::tokens::TokenInfo>,
    read_at: Option<std::time::Instant>,
}

/// The registry is read again at most this often, however many clients ask.
const TOKENS_FRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// Every token the Rollup lists, ether (id 0) first: id, contract, and the symbol and decimals
/// its contract answers. Read from the contract at the block `confirmations` deep (so a
/// listing a reorganisation could undo is not shown), at most once a second; a token once shown
/// keeps its id. Without a base chain, ether alone.
#[utoipa::path(
    get,
    path = "/v1/tokens",
    responses(
        (status = 200, description = "the tokens", body = Tokens),
        (status = 503, description = "the base chain is unreachable (Retry-After)", body = ErrorBody),
    )
)]
pub(crate) async fn tokens(State(shared): State<Arc<Shared>>) -> Result<Json<Tokens>, ApiError> {
    let view = |t: &causeway_l1::tokens::TokenInfo| TokenView {
        id: t.id,
        address: hex0x(t.address.as_slice()),
        symbol: t.symbol.clone(),
        decimals: t.decimals,
    };
    let Some(l1) = &shared.config.l1 else {
        return Ok(Json(Tokens { tokens: vec![view(&causeway_l1::tokens::TokenInfo::ether())] }));
    };
    let mut cache = shared.tokens.lock().await;
    // After token 65,535 nothing more can be listed.
    let next = cache.tokens.last().map_or(Some(1), |t| t.id.checked_add(1));
    if let Some(next) = next
        && cache.read_at.is_none_or(|at| at.elapsed() >= TOKENS_FRESH)
    {
        let provider = l1_provider(l1)?;
        let head = alloy::providers::Provider::get_block_number(&provider)
            .await
            .map_err(|e| l1_error("tokens", causeway_l1::L1Error::Rpc(e.to_string())))?;
        let block = (head + 1).saturating_sub(l1.confirmations.max(1));
        // Before the deployment is that deep, it lists nothing.
        let new = if block < l1.from_block {
            Vec::new()
        } else {
            causeway_l1::tokens::listed_from(&provider, l1.contract, next, Some(block))
                .await
                .map_err(|e| l1_error("tokens", e))?
        };
        if cache.tokens.is_empty() {
            cache.tokens.push(causeway_l1::tokens::TokenInfo::ether());
        }
        cache.tokens.extend(new);
        cache.read_at = Some(std::time::Instant::now());
    }
    Ok(Json(Tokens { tokens: cache.tokens.iter().map(view).collect() }))
}

/// Liveness with a database check.
#[utoipa::path(
    get,
    path = "/health",
    responses(
        (status = 200, description = "healthy", body = Health),
        (status = 503, description = "database unavailable (`unavailable`) or a core task silent for too long (`stale`)", body = ErrorBody),
    )
)]
pub(crate) async fn health(State(shared): State<Arc<Shared>>) -> Result<Json<Health>, ApiError> {
    shared.db.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "health check: database");
        ApiError::unavailable()
    })?;
    let ages = shared.beats.ages();
    if let Some((task, silent)) = ages.iter().find(|(_, age)| *age > shared.config.stale_after) {
        tracing::warn!(task, silent_ms = silent.as_millis() as u64, "health check: a task is stale");
        return Err(ApiError::stale(task, *silent));
    }
    let proved = shared.proved.read().unwrap_or_else(|e| e.into_inner()).through;
    // The slots before the batch number (the sealer writes them the other way round): slots
    // seen gone come with the batch that took them.
    let mempool_slots = shared.pending.load(Ordering::Acquire);
    Ok(Json(Health {
        status: "ok".into(),
        database: "ok".into(),
        sealed: shared.sealed_through.load(Ordering::Acquire),
        proved_through: proved,
        mempool_slots,
        tasks: ages.into_iter().map(|(t, age)| (t.to_owned(), age.as_millis() as u64)).collect(),
    }))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(
    get,
    path = "/metrics",
    responses(
        (status = 200, description = "metrics text", content_type = "text/plain", body = String),
        (status = 503, description = "no metrics recorder", body = ErrorBody),
    )
)]
pub(crate) async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let jobs = shared.db.proof_job_counts().await.ok();
    let proved = shared.proved.read().unwrap_or_else(|e| e.into_inner()).through;
    m::gauges(shared.pending.load(Ordering::Relaxed), shared.sealed_through.load(Ordering::Relaxed), proved, jobs);
    for (task, age) in shared.beats.ages() {
        metrics::gauge!("causeway_task_heartbeat_age_seconds", "task" => task).set(age.as_secs_f64());
    }
    match &shared.metrics {
        Some(h) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], h.render()).into_response(),
        None => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "metrics_unavailable", "no metrics recorder").into_response()
        }
    }
}
