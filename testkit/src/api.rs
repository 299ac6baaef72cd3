//! An HTTP client for a sequencer's API that holds every call to the OpenAPI document: the
//! answer's status must be one the operation documents and its body must validate against that
//! status's schema; a request body that does not validate against the operation's request schema
//! must be refused (4xx); a route or method the document does not have must be answered 404
//! `not_found` or 405 `method_not_allowed`.

use causeway_sequencer::openapi;
use serde_json::Value;

/// A client for the API at `url` (`http://host:port`, no trailing slash).
#[derive(Clone, Debug)]
pub struct Api {
    /// The API's base URL.
    pub url: String,
    /// The HTTP client.
    pub http: reqwest::Client,
}

impl Api {
    /// A client for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), http: reqwest::Client::new() }
    }

    /// GETs `path` (with its query); the answer is checked.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(format!("{}{path}", self.url)).send().await.expect("request");
        checked("get", path, None, r).await
    }

    /// GETs `path`, `None` when nothing answers (a stopped server); an answer is checked.
    pub async fn try_get(&self, path: &str) -> Option<(u16, Value)> {
        let r = self.http.get(format!("{}{path}", self.url)).send().await.ok()?;
        Some(checked("get", path, None, r).await)
    }

    /// POSTs `body` as it is (any text: hostile bodies too); request and answer are checked.
    pub async fn post(&self, path: &str, body: impl Into<String>) -> (u16, Value) {
        let body = body.into();
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("request");
        checked("post", path, Some(&body), r).await
    }

    /// POSTs `body` as JSON; request and answer are checked.
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post(path, body.to_string()).await
    }
}

/// A response's status and JSON body, after checking the exchange against the OpenAPI document
/// (see the module's documentation); `request` is the body sent, if any.
pub async fn checked(method: &str, path: &str, request: Option<&str>, r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    check(method, path, request, status, &body);
    (status, body)
}

/// [`checked`] for an exchange already read: panics with what differs from the document.
pub fn check(method: &str, path: &str, request: Option<&str>, status: u16, body: &Value) {
    let doc = openapi::document();
    if openapi::template_of(&doc, method, path).is_none() {
        let code = body["code"].as_str();
        assert!(
            matches!((status, code), (404, Some("not_found")) | (405, Some("method_not_allowed"))),
            "{method} {path} is undocumented, so it must be refused: {status} {body}"
        );
        return;
    }
    if let Err(e) = openapi::check_response(method, path, status, body) {
        panic!("{e}");
    }
    let Some(text) = request else { return };
    let json = serde_json::from_str::<Value>(text).ok();
    let conforms = |v: &Value| openapi::request_conforms(method, path, v).unwrap_or_else(|e| panic!("{e}"));
    if json.as_ref().is_some_and(conforms) || (400..500).contains(&status) {
        return;
    }
    // A list answered item by item (`POST /v1/txs`): each item outside the schema (a one-item
    // list of it does not conform) must have been answered with an error.
    if let (Some(Value::Array(items)), Some(results)) = (&json, body["results"].as_array())
        && status == 200
        && items.len() == results.len()
    {
        for (item, result) in items.iter().zip(results) {
            assert!(
                conforms(&Value::Array(vec![item.clone()])) || result.get("error").is_some(),
                "{method} {path}: an item outside the documented schema was not refused: {item} → {result}"
            );
        }
        return;
    }
    panic!(
        "{method} {path}: a request outside the documented schema was answered {status}, not refused: {body}\nrequest: {text}"
    );
}

#[cfg(test)]
mod tests {
    use super::check;
    use serde_json::{Value, json};

    /// Whether [`check`] panics on the exchange.
    fn refused(method: &str, path: &str, request: Option<&str>, status: u16, body: Value) -> bool {
        std::panic::catch_unwind(|| check(method, path, request, status, &body)).is_err()
    }

    fn error(code: &str) -> Value {
        json!({ "code": code, "message": "what went wrong" })
    }

    #[test]
    fn documented_answers_pass_and_answers_outside_the_document_fail() {
        assert!(!refused("get", "/v1/txs/0x00", None, 404, error("not_found")));
        assert!(refused("get", "/v1/txs/0x00", None, 404, json!({ "status": "missing" })), "a body outside its schema");
        assert!(refused("get", "/v1/txs/0x00", None, 418, error("teapot")), "an undocumented status");
        assert!(!refused("get", "/v1/nothing", None, 404, error("not_found")), "an undocumented route refused");
        assert!(refused("get", "/v1/nothing", None, 200, json!({})), "an undocumented route answered");
    }

    #[test]
    fn a_request_outside_the_schema_must_be_refused() {
        let accepted = json!({ "hash": format!("0x{}", "00".repeat(32)), "seq": 1, "status": "accepted" });
        assert!(refused("post", "/v1/txs", Some("{}"), 200, accepted.clone()), "an empty object accepted");
        assert!(refused("post", "/v1/txs", Some("not json"), 200, accepted), "a body that is not JSON accepted");
        assert!(!refused("post", "/v1/txs", Some("{}"), 400, error("malformed")));
    }

    #[test]
    fn each_item_of_a_list_outside_the_schema_must_be_answered_with_an_error() {
        let list = r#"[{"type":"bogus"}]"#;
        let answered = |result: Value| json!({ "results": [result] });
        let accepted = json!({ "hash": format!("0x{}", "00".repeat(32)), "seq": 1, "status": "accepted" });
        assert!(refused("post", "/v1/txs", Some(list), 200, answered(accepted)));
        assert!(!refused("post", "/v1/txs", Some(list), 200, answered(json!({ "error": error("malformed") }))));
    }
}
