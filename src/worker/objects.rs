//! Talking to invocation objects (the Durable Object class `Invocation`, binding `INVOCATIONS`):
//! the internal requests the Worker sends one, and relaying its answers to the caller. Each object
//! is named by its invocation id's object key (an idempotent request's is derived from its key's
//! digest), so every instance of the Worker, in every location, reaches the same one.
//!
//! | internal request                 | what the object does                                      |
//! |----------------------------------|-----------------------------------------------------------|
//! | `POST /invoke[?wait=N]` [`StartInvocation`] | reserve, invoke upstream, record; or replay      |
//! | `POST /adopt[?wait=N]` (a record)| keep a record the Worker made (a sync action that answered 202) |
//! | `GET /record[?wait=N]`           | the record, optionally after waiting for its end          |
//! | `POST /callback` (raw body, token header) | apply the upstream's completion callback         |

use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasm_bindgen::JsValue;

use super::app::App;
use super::http::{Answer, ApiError};
use super::platform::js_error_message;
use crate::core::proxy::request::invocation_object_key;
use crate::core::record::InvocationRecord;

/// The Durable Object namespace binding in `wrangler.toml`.
pub const INVOCATIONS_BINDING: &str = "INVOCATIONS";

/// Carries the caller's request id into the object's log lines.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Carries the invocation id a request is about (the object answers 404 for another one).
pub const INVOCATION_ID_HEADER: &str = "x-invocation-id";

/// Carries the callback's capability token to the object (never logged).
pub const CALLBACK_TOKEN_HEADER: &str = "x-callback-token";

/// What an object needs to start an invocation (the inputs are already validated).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartInvocation {
    /// The invocation (the object's name).
    pub invocation_id: String,
    /// The action.
    pub action_id: String,
    /// The validated, coerced inputs.
    pub inputs: Value,
    /// The context.
    pub context: Value,
    /// The caller's Idempotency-Key.
    pub idempotency_key: Option<String>,
}

/// The response headers an object's answer keeps on its way to the caller.
const RELAYED_HEADERS: [&str; 4] = ["content-type", "location", "retry-after", "idempotent-replayed"];

/// Sends one internal request to the object of `invocation_id` and relays its answer.
async fn send(app: &App, invocation_id: &str, method: &str, path_and_query: &str, body: Option<String>, extra: &[(&str, &str)]) -> Result<Answer, ApiError> {
    let unavailable = |what: &str, error: String| {
        app.log.error("objects: request failed", serde_json::json!({ "invocationId": invocation_id, "step": what, "error": error }));
        ApiError::new(503, "unavailable", "the invocation's coordinator is unavailable; retry").with_retry_after(1)
    };
    let namespace = app.env.durable_object(INVOCATIONS_BINDING).ok_or_else(|| unavailable("binding", format!("{INVOCATIONS_BINDING} is not bound")))?;
    let name = invocation_object_key(invocation_id).unwrap_or(invocation_id);
    let stub = namespace.stub_for(name).map_err(|e| unavailable("stub", e))?;
    let headers = web_sys::Headers::new().map_err(|e| unavailable("request", js_error_message(&e)))?;
    let _ = headers.set(REQUEST_ID_HEADER, app.log.request_id());
    let _ = headers.set(INVOCATION_ID_HEADER, invocation_id);
    for (name, value) in extra {
        let _ = headers.set(name, value);
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(&body));
    }
    let request = web_sys::Request::new_with_str_and_init(&format!("https://invocation{path_and_query}"), &init)
        .map_err(|e| unavailable("request", js_error_message(&e)))?;
    app.usage.object_request();
    let answer = stub.fetch(&request).await.map_err(|e| unavailable("fetch", e))?;
    Ok(relay(&answer))
}

/// A copy of the object's answer whose headers the Worker may still change (a fetched
/// response's headers are immutable). The body goes through as the object's stream, unread: no
/// copy into the wasm and back (and no stream-reading code in the wasm).
fn relay(answer: &web_sys::Response) -> Answer {
    let received = answer.headers();
    let mut headers = Vec::with_capacity(RELAYED_HEADERS.len() + 1);
    for name in RELAYED_HEADERS {
        if let Ok(Some(value)) = received.get(name) {
            headers.push((name, value));
        }
    }
    headers.push(("cache-control", "no-store".to_string()));
    Answer::relayed(answer.status(), headers, answer.body())
}

fn wait_query(wait_s: u64) -> String {
    if wait_s > 0 {
        format!("?wait={wait_s}")
    } else {
        String::new()
    }
}

/// Starts (or replays) an invocation in its object.
pub async fn start(app: &App, command: &StartInvocation, wait_s: u64) -> Result<Answer, ApiError> {
    let body = serde_json::to_string(command).map_err(|e| ApiError::new(500, "internal", format!("encoding the command: {e}")))?;
    send(app, &command.invocation_id, "POST", &format!("/invoke{}", wait_query(wait_s)), Some(body), &[]).await
}

/// Hands a pending record the Worker made to its object, which follows it from then on.
pub async fn adopt(app: &App, record: &InvocationRecord, wait_s: u64) -> Result<Answer, ApiError> {
    send(app, &record.invocation_id, "POST", &format!("/adopt{}", wait_query(wait_s)), Some(record.encode()), &[]).await
}

/// The record as its object has it.
pub async fn record(app: &App, invocation_id: &str, wait_s: u64) -> Result<Answer, ApiError> {
    send(app, invocation_id, "GET", &format!("/record{}", wait_query(wait_s)), None, &[]).await
}

/// Delivers a completion callback to its object.
pub async fn callback(app: &App, invocation_id: &str, token: &str, body: Vec<u8>) -> Result<Answer, ApiError> {
    let text = String::from_utf8(body).map_err(|_| ApiError::bad_input("the callback body is not UTF-8 JSON"))?;
    send(app, invocation_id, "POST", "/callback", Some(text), &[(CALLBACK_TOKEN_HEADER, token)]).await
}
