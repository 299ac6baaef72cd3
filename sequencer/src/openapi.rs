//! The OpenAPI 3.1 description of the API, built from [`ROUTES`], the same table the tests hold
//! the router to (every documented route answers, every routed path is documented).

use serde_json::{Map, Value, json};

/// One documented operation.
#[derive(Clone, Copy, Debug)]
pub struct RouteDoc {
    /// HTTP method, lowercase.
    pub method: &'static str,
    /// Path with `{param}` placeholders.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Statuses it can answer with, and what each means.
    pub responses: &'static [(u16, &'static str)],
}

const ERRORS_READ: &[(u16, &str)] =
    &[(200, "found"), (400, "malformed parameter"), (404, "not found"), (503, "database unavailable")];

/// Every route of the API.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "post",
        path: "/v1/txs",
        summary: "Submit a signed transfer or withdrawal (an object), or a list of them (an array; one result each). \
                  A 200 means the transaction is committed to the database.",
        responses: &[
            (200, "accepted (or, for a list, one result per transaction)"),
            (400, "malformed JSON or transaction"),
            (401, "bad signature"),
            (409, "nonce conflict"),
            (413, "body too large"),
            (422, "a rule is broken: balance, unknown account, amount not representable, ..."),
            (429, "mempool full (Retry-After)"),
            (503, "database unavailable (Retry-After)"),
        ],
    },
    RouteDoc {
        method: "get",
        path: "/v1/txs/{hash}",
        summary: "A transaction's status (accepted, included, proved, finalized, rejected), batch and rejection reason.",
        responses: ERRORS_READ,
    },
    RouteDoc {
        method: "get",
        path: "/v1/accounts/{index}",
        summary: "An account as of the accepted state and as of the latest proved batch, with a Merkle proof against that batch's root.",
        responses: ERRORS_READ,
    },
    RouteDoc {
        method: "get",
        path: "/v1/accounts/by-key/{key}",
        summary: "Every account holding a packed public key (0x-prefixed 32 bytes), in index order, each with its owner: \
                  anyone can deposit with any key, so pick the account whose owner you trust.",
        responses: ERRORS_READ,
    },
    RouteDoc {
        method: "get",
        path: "/v1/rollup",
        summary: "The rollup's parameters and its deployment domain (chain id, Rollup address), which every signature covers.",
        responses: &[(200, "the parameters")],
    },
    RouteDoc {
        method: "get",
        path: "/v1/batches",
        summary: "Batches, newest first; query `before` (number) and `limit` (1..=100).",
        responses: &[(200, "batches"), (400, "malformed query"), (503, "database unavailable")],
    },
    RouteDoc {
        method: "get",
        path: "/v1/batches/{number}",
        summary: "A batch: status, roots, header, pubdata, transactions, timestamps and proof job; the next batch shows as open.",
        responses: ERRORS_READ,
    },
    RouteDoc {
        method: "get",
        path: "/v1/batches/{number}/proof",
        summary: "A batch's proof in the Ethereum precompile encoding and as snarkjs JSON.",
        responses: ERRORS_READ,
    },
    RouteDoc {
        method: "get",
        path: "/health",
        summary: "Liveness with a database check.",
        responses: &[(200, "healthy"), (503, "database unavailable")],
    },
    RouteDoc { method: "get", path: "/metrics", summary: "Prometheus metrics.", responses: &[(200, "metrics text")] },
    RouteDoc { method: "get", path: "/v1/openapi.json", summary: "This document.", responses: &[(200, "OpenAPI 3.1")] },
];

/// The OpenAPI document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let responses: Map<String, Value> = r
            .responses
            .iter()
            .map(|(status, what)| {
                let schema = if *status >= 400 {
                    json!({ "$ref": "#/components/schemas/Error" })
                } else {
                    json!({ "type": "object" })
                };
                (
                    status.to_string(),
                    json!({ "description": what, "content": { "application/json": { "schema": schema } } }),
                )
            })
            .collect();
        let entry = paths.entry(r.path).or_insert_with(|| json!({}));
        entry[r.method] = json!({ "summary": r.summary, "parameters": params, "responses": responses });
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Causeway sequencer", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": { "schemas": { "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": { "code": { "type": "string" }, "message": { "type": "string" } },
        } } },
    })
}
