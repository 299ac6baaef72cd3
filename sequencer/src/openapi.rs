//! The OpenAPI 3.1 description of the API, derived by utoipa from the handlers' annotations and
//! the response types of [`crate::views`]. The tests hold the router to it (every documented
//! route answers, every routed path is documented) and every response they receive to its
//! schema ([`check_response`], with the `testing` feature).

use crate::{api, explorer, views};
use serde_json::Value;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Causeway sequencer",
        description = "A validity rollup's sequencer: submit signed transfers and withdrawals, follow them to \
                       finality, read accounts with Merkle proofs, batches with their pubdata and proofs, and the \
                       verifying keys the Rollup contract checks proofs with. Errors are JSON `{code, message}`.",
    ),
    paths(
        api::submit,
        api::tx_status,
        api::account_by_index,
        api::account_txs,
        api::account_by_key,
        api::rollup_info,
        api::batches,
        api::batch,
        api::batch_proof,
        api::verifying_key,
        api::tokens,
        api::health,
        api::metrics,
        openapi_json,
        explorer::index,
        explorer::asset,
    ),
    components(schemas(views::ErrorBody))
)]
struct Doc;

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
#[allow(dead_code)]
pub(crate) fn openapi_json() {}

/// The OpenAPI document.
pub fn document() -> Value {
    let mut doc = Doc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    serde_json::to_value(&doc).unwrap_or_default()
}

/// Every documented operation: (method, path).
pub fn operations() -> Vec<(String, String)> {
    let doc = document();
    let mut out = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in item.as_object().into_iter().flat_map(|m| m.keys()) {
                out.push((method.clone(), path.clone()));
            }
        }
    }
    out
}

/// The documented path template a concrete request path matches (`/v1/txs/0xab…` matches
/// `/v1/txs/{hash}`), preferring literal segments over parameters.
pub fn template_of(doc: &Value, method: &str, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let segs: Vec<&str> = path.split('/').collect();
    let paths = doc["paths"].as_object()?;
    paths
        .iter()
        .filter(|(_, item)| item.get(method).is_some())
        .filter_map(|(t, _)| {
            let tsegs: Vec<&str> = t.split('/').collect();
            if tsegs.len() != segs.len() {
                return None;
            }
            let mut literal = 0;
            for (a, b) in tsegs.iter().zip(&segs) {
                if a.starts_with('{') && a.ends_with('}') {
                    if b.is_empty() {
                        return None;
                    }
                } else if a == b {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, t.clone()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

/// Checks a real response against the document: the operation is documented, the status is
/// one it documents, and the JSON body validates against that status's schema. `Err` says what
/// differs.
#[cfg(feature = "testing")]
pub fn check_response(method: &str, path: &str, status: u16, body: &Value) -> Result<(), String> {
    let method = method.to_ascii_lowercase();
    let doc = document();
    let template = template_of(&doc, &method, path).ok_or_else(|| format!("{method} {path} is not documented"))?;
    let response = &doc["paths"][&template][&method]["responses"][status.to_string()];
    if response.is_null() {
        return Err(format!("{method} {template} does not document status {status}"));
    }
    let Some(schema) = response["content"]["application/json"].get("schema") else {
        return Err(format!("{method} {template} {status} has no JSON schema"));
    };
    validate(&doc, schema, body)
        .map_err(|e| format!("{method} {path} → {status} does not match its schema: {e}\nbody: {body}"))
}

/// Checks a request body against the document: `Ok(true)` when the operation documents a JSON
/// request body and `body` validates against its schema, `Ok(false)` when it does not validate
/// (the server must then refuse it), `Err` when the operation is undocumented or has no JSON
/// request schema.
#[cfg(feature = "testing")]
pub fn request_conforms(method: &str, path: &str, body: &Value) -> Result<bool, String> {
    let method = method.to_ascii_lowercase();
    let doc = document();
    let template = template_of(&doc, &method, path).ok_or_else(|| format!("{method} {path} is not documented"))?;
    let Some(schema) = doc["paths"][&template][&method]["requestBody"]["content"]["application/json"].get("schema")
    else {
        return Err(format!("{method} {template} documents no JSON request body"));
    };
    Ok(validate(&doc, schema, body).is_ok())
}

/// Validates `instance` against `schema`, a schema of `doc`: `Err` lists every difference.
#[cfg(feature = "testing")]
fn validate(doc: &Value, schema: &Value, instance: &Value) -> Result<(), String> {
    // The schema with the document's components beside it, so `#/components/schemas/...`
    // references resolve from the root.
    let mut root = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"].clone(),
        "allOf": [schema],
    });
    if root["components"].is_null() {
        root["components"] = serde_json::json!({});
    }
    let validator = jsonschema::validator_for(&root).map_err(|e| format!("the schema itself: {e}"))?;
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}
