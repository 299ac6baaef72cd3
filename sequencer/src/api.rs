//! The HTTP API. [`router`] is separate from the server so tests can drive it directly; every
//! error is an [`ApiError`]: a status and JSON `{code, message}`.

use crate::{Shared, error::ApiError, mempool::Submission, metrics as m, openapi};
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
    Account, AccountIndex, Operation, ProtocolError, PublicKey,
    eddsa::verify,
    field::{fr_from_be_bytes, fr_to_be_bytes},
    wire::SignedTx,
};
use serde_json::{Value, json};
use std::{collections::HashMap, sync::Arc, sync::atomic::Ordering};
use tokio::sync::{mpsc::error::TrySendError, oneshot};

/// The API's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    let limit = shared.config.max_body_bytes;
    Router::new()
        .route("/v1/txs", post(submit))
        .route("/v1/txs/{hash}", get(tx_status))
        .route("/v1/accounts/{index}", get(account_by_index))
        .route("/v1/accounts/by-key/{key}", get(account_by_key))
        .route("/v1/rollup", get(rollup_info))
        .route("/v1/batches", get(batches))
        .route("/v1/batches/{number}", get(batch))
        .route("/v1/batches/{number}/proof", get(batch_proof))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(|| async { Json(openapi::document()) }))
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this route")
        })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(shared)
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

fn prepare(shared: &Shared, tx: SignedTx) -> Result<Prepared, ApiError> {
    let (from, message, signature) = match tx.operation() {
        Operation::Transfer(t) => (t.from, t.message(&shared.params.domain), t.signature),
        Operation::Withdraw(w) => (w.from, w.message(&shared.params.domain), w.signature),
        _ => unreachable!("submissions are transfers or withdrawals"),
    };
    let key: PublicKey = {
        let view = shared.accepted.read().unwrap_or_else(|e| e.into_inner());
        view.ledger.check_index(from).map_err(|e| reject(&e))?;
        let a = view.ledger.account(from);
        if a.is_empty() {
            return Err(reject(&ProtocolError::UnknownAccount(from)));
        }
        a.pubkey
    };
    if !verify(&key, message, &signature) {
        return Err(reject(&ProtocolError::BadSignature));
    }
    Ok(Prepared { tx, hash: fr_to_be_bytes(&message) })
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
) -> Result<Value, ApiError> {
    let result = rx.await.map_err(|_| ApiError::unavailable())?;
    match result {
        Ok(seq) => Ok(json!({ "hash": hex0x(&hash), "seq": seq, "status": "accepted" })),
        Err(e) if e.code == "wrong_nonce" => {
            // A resubmission of a stored transaction (a client retrying) gets its status.
            match shared.db.tx_by_hash(&hash).await {
                Ok(Some(row)) => Ok(json!({
                    "hash": hex0x(&hash),
                    "seq": row.seq,
                    "status": tx_status_of(&row),
                    "duplicate": true,
                })),
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

async fn submit(
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
            let p = prepare(&shared, tx)?;
            let hash = p.hash;
            let rx = enqueue(&shared, p)?;
            outcome(&shared, hash, rx).await
        }
        .await;
        return match result {
            Ok(v) => Json(v).into_response(),
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
    // Verify all, then enqueue all at once so they are checked in list order.
    let mut pending = Vec::with_capacity(items.len());
    for item in items {
        let prepared = serde_json::from_value::<SignedTx>(item)
            .map_err(|e| ApiError::malformed(format!("invalid transaction: {e}")))
            .and_then(|tx| prepare(&shared, tx));
        pending.push(prepared.and_then(|p| {
            let hash = p.hash;
            enqueue(&shared, p).map(|rx| (hash, rx))
        }));
    }
    let mut results = Vec::with_capacity(pending.len());
    for p in pending {
        let r = match p {
            Ok((hash, rx)) => outcome(&shared, hash, rx).await,
            Err(e) => Err(e),
        };
        results.push(match r {
            Ok(v) => v,
            Err(e) => json!({ "error": { "code": e.code, "message": e.message } }),
        });
    }
    Json(json!({ "results": results })).into_response()
}

fn tx_status_of(row: &TxRow) -> &'static str {
    if row.reject_code.is_some() {
        return "rejected";
    }
    match row.batch_status.as_deref() {
        None => "accepted",
        Some("sealed" | "proving") => "included",
        Some("proved" | "submitted") => "proved",
        Some(_) => "finalized",
    }
}

async fn tx_status(State(shared): State<Arc<Shared>>, Path(hash): Path<String>) -> Result<Json<Value>, ApiError> {
    let hash = parse_hex32(&hash, "transaction hash")?;
    let row = shared.db.tx_by_hash(&hash).await?.ok_or_else(|| ApiError::not_found("no such transaction"))?;
    let rejection = row.reject_code.as_ref().map(|c| json!({ "code": c, "message": row.reject_reason }));
    Ok(Json(json!({
        "hash": hex0x(&row.hash),
        "seq": row.seq,
        "status": tx_status_of(&row),
        "batch": if rejection.is_some() { None } else { row.batch_number },
        "batch_status": row.batch_status,
        "rejection": rejection,
        "accepted_at": row.accepted_at,
        "tx": row.body,
    })))
}

fn account_json(index: AccountIndex, accepted: Option<Account>, shared: &Shared) -> Result<Value, ApiError> {
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
    Ok(json!({
        "index": index,
        "public_key": hex0x(&shown.pubkey.pack()),
        "owner": hex0x(&shown.owner),
        "accepted": { "balance": a.balance.to_string(), "nonce": a.nonce },
        "proved": {
            "batch": proved.through,
            "root": hex0x(&fr_to_be_bytes(&proved.root())),
            "exists": !p.is_empty(),
            "balance": p.balance.to_string(),
            "nonce": p.nonce,
            "leaf": hex0x(&fr_to_be_bytes(&p.leaf_hash())),
            "siblings": siblings,
        },
    }))
}

async fn account_by_index(
    State(shared): State<Arc<Shared>>,
    Path(index): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let index: AccountIndex =
        index.parse().map_err(|_| ApiError::malformed("account index must be a non-negative 32-bit integer"))?;
    let accepted = {
        let view = shared.accepted.read().unwrap_or_else(|e| e.into_inner());
        view.ledger.check_index(index).map_err(|e| ApiError::not_found(e.to_string()))?;
        view.ledger.account(index)
    };
    account_json(index, Some(accepted), &shared).map(Json)
}

/// Every account holding the key, in index order, each with its owner: anyone can deposit with
/// any key, so a client picks the account whose owner it trusts (a wallet: its own address).
async fn account_by_key(State(shared): State<Arc<Shared>>, Path(key): Path<String>) -> Result<Json<Value>, ApiError> {
    let packed = parse_hex32(&key, "public key")?;
    PublicKey::unpack(&packed).ok_or_else(|| ApiError::malformed("not a packed Baby Jubjub point"))?;
    let found: Vec<(AccountIndex, Account)> = {
        let view = shared.accepted.read().unwrap_or_else(|e| e.into_inner());
        let indices = view.by_key.get(&packed).ok_or_else(|| ApiError::not_found("no account with this key"))?;
        indices.iter().map(|i| (*i, view.ledger.account(*i))).collect()
    };
    let accounts = found.into_iter().map(|(i, a)| account_json(i, Some(a), &shared)).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "public_key": hex0x(&packed), "accounts": accounts })))
}

/// The rollup's fixed parameters and its deployment domain, which every signature covers.
async fn rollup_info(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let p = shared.params;
    Json(json!({
        "chain_id": p.domain.chain_id,
        "rollup": hex0x(&p.domain.rollup),
        "depth": p.depth,
        "slots": p.slots,
        "fee_account": p.fee_account,
    }))
}

fn batch_json(b: &BatchRow) -> Value {
    json!({
        "number": b.number,
        "status": b.status,
        "old_root": hex0x(&b.old_root),
        "new_root": hex0x(&b.new_root),
        "commitment": hex0x(&b.commitment),
        "priority_start": b.priority_start,
        "priority_count": b.priority_count,
        "fee_account": b.fee_account,
        "fees": b.fees,
        "operations": b.op_count,
        "first_seq": b.first_seq,
        "last_seq": b.last_seq,
        "sealed_at": b.sealed_at,
        "proved_at": b.proved_at,
        "submitted_at": b.submitted_at,
        "finalized_at": b.finalized_at,
    })
}

async fn batches(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::malformed(e.body_text()))?;
    let number = |name: &str, default: i64| -> Result<i64, ApiError> {
        q.get(name).map_or(Ok(default), |v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::malformed(format!("{name} must be a non-negative integer")))
        })
    };
    let before = number("before", i64::MAX)?;
    let limit = number("limit", 20)?.clamp(1, 100);
    let rows = shared.db.batches(before, limit).await?;
    Ok(Json(json!({
        "batches": rows.iter().map(batch_json).collect::<Vec<_>>(),
        "sealed": shared.sealed_through.load(Ordering::Relaxed),
    })))
}

fn parse_number(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::malformed("batch number must be a positive integer"))
}

async fn batch(State(shared): State<Arc<Shared>>, Path(number): Path<String>) -> Result<Json<Value>, ApiError> {
    let n = parse_number(&number)?;
    let Some(b) = shared.db.batch(n).await? else {
        let sealed = shared.sealed_through.load(Ordering::Relaxed);
        let pending = shared.pending.load(Ordering::Relaxed);
        if n == sealed + 1 && pending > 0 {
            return Ok(Json(json!({ "number": n, "status": "open", "waiting_slots": pending })));
        }
        return Err(ApiError::not_found(format!("no batch {n}")));
    };
    let txs = shared.db.txs_in_range(b.first_seq, b.last_seq).await?;
    let job = shared.db.proof_job(n).await?;
    let mut v = batch_json(&b);
    v["header"] = json!(hex0x(&b.header));
    v["pubdata"] = json!(hex0x(&b.pubdata));
    v["transactions"] = json!(
        txs.iter()
            .map(|t| json!({ "seq": t.seq, "hash": hex0x(&t.hash), "tx": t.body, "rejected": t.reject_code }))
            .collect::<Vec<_>>()
    );
    v["proof_job"] = job.map_or(Value::Null, |(status, attempts, worker, error)| {
        json!({ "status": status, "attempts": attempts, "worker": worker, "last_error": error })
    });
    Ok(Json(v))
}

async fn batch_proof(State(shared): State<Arc<Shared>>, Path(number): Path<String>) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({
        "batch": n,
        "commitment": hex0x(&b.commitment),
        "proof_eth": hex0x(&p.proof_eth),
        "snarkjs": {
            "proof": causeway_prover::export::proof_snarkjs(&proof),
            "public": causeway_prover::export::public_snarkjs(&commitment),
        },
        "worker": p.worker,
        "prove_ms": p.prove_ms,
        "proved_at": p.proved_at,
    })))
}

async fn health(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, ApiError> {
    shared.db.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "health check: database");
        ApiError::unavailable()
    })?;
    let proved = shared.proved.read().unwrap_or_else(|e| e.into_inner()).through;
    Ok(Json(json!({
        "status": "ok",
        "database": "ok",
        "sealed": shared.sealed_through.load(Ordering::Relaxed),
        "proved_through": proved,
        "mempool_slots": shared.pending.load(Ordering::Relaxed),
    })))
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let jobs = shared.db.proof_job_counts().await.ok();
    let proved = shared.proved.read().unwrap_or_else(|e| e.into_inner()).through;
    m::gauges(shared.pending.load(Ordering::Relaxed), shared.sealed_through.load(Ordering::Relaxed), proved, jobs);
    match &shared.metrics {
        Some(h) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], h.render()).into_response(),
        None => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "metrics_unavailable", "no metrics recorder").into_response()
        }
    }
}
