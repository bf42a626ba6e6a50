//! JSON answers, the error answer `{error: {...}}` (the core's `ErrorDetails`), and reading
//! requests (bodies with a size limit, query parameters, headers).

use serde::Serialize;
use serde_json::{json, Value};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;
use worker::{Headers, Request, Response};

use crate::core::error::{DataActionsError, ErrorDetails};
use crate::core::proxy::request::MAX_BODY_BYTES;
use crate::core::proxy::settings::SettingProblem;
use crate::core::proxy::status::{error_body, http_status, retry_after_seconds};

/// An error answer: status, body and an optional `Retry-After`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// `{error: {code, message, ...}}`.
    pub body: Value,
    /// Seconds for `Retry-After`.
    pub retry_after_s: Option<u64>,
    /// Extra headers (e.g. `WWW-Authenticate`).
    pub headers: Vec<(&'static str, String)>,
}

impl From<DataActionsError> for ApiError {
    fn from(error: DataActionsError) -> Self {
        ApiError { status: http_status(&error), body: error_body(&error.details()), retry_after_s: retry_after_seconds(&error), headers: Vec::new() }
    }
}

impl ApiError {
    /// An error of the proxy itself (not from the core's taxonomy of upstream errors).
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        let details = ErrorDetails::new(code, message, Some(status), matches!(status, 409 | 429 | 503));
        ApiError { status, body: error_body(&details), retry_after_s: None, headers: Vec::new() }
    }

    /// 400 `bad_input`.
    pub fn bad_input(message: impl Into<String>) -> Self {
        ApiError::from(DataActionsError::BadInput { message: message.into() })
    }

    /// 401 `unauthorized` (the caller's credentials, not the upstream's).
    pub fn unauthorized(message: &str) -> Self {
        ApiError::new(401, "unauthorized", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(404, "not_found", message)
    }

    /// 503 `config`, listing every problem.
    pub fn misconfigured(problems: &[SettingProblem]) -> Self {
        let names: Vec<&str> = problems.iter().map(|p| p.setting.as_str()).collect();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        let mut error = ApiError::new(503, "config", format!("the Worker is misconfigured: {}", messages.join("; ")));
        if let Some(object) = error.body.get_mut("error").and_then(Value::as_object_mut) {
            object.insert("field".into(), json!(names.first()));
            object.insert("problems".into(), json!(problems));
        }
        error
    }

    /// 503 for storage (KV) failures: retryable.
    pub fn storage(message: &str) -> Self {
        let mut error = ApiError::new(503, "unavailable", format!("storage is unavailable: {message}"));
        error.retry_after_s = Some(1);
        error
    }

    /// The error's `code`.
    pub fn code(&self) -> &str {
        self.body.pointer("/error/code").and_then(Value::as_str).unwrap_or("")
    }

    /// The error's `message`.
    pub fn message(&self) -> &str {
        self.body.pointer("/error/message").and_then(Value::as_str).unwrap_or("")
    }

    /// Sets the HTTP status (and the status shown in the body).
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        if let Some(object) = self.body.get_mut("error").and_then(Value::as_object_mut) {
            object.insert("status".into(), json!(status));
        }
        self
    }

    /// Sets `Retry-After`.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_s = Some(seconds);
        self
    }

    /// Adds a field to the error body (e.g. the `invocationId` an error belongs to).
    pub fn with_field(mut self, name: &str, value: Value) -> Self {
        if let Some(object) = self.body.get_mut("error").and_then(Value::as_object_mut) {
            object.insert(name.to_string(), value);
        }
        self
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    /// The answer.
    pub fn into_response(self) -> Response {
        let mut headers = self.headers;
        if let Some(seconds) = self.retry_after_s {
            headers.push(("retry-after", seconds.to_string()));
        }
        json_response(self.status, &self.body, &headers)
    }
}

/// A JSON answer with `cache-control: no-store` and the given extra headers.
pub fn json_response<T: Serialize>(status: u16, body: &T, extra: &[(&'static str, String)]) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    let _ = headers.set("cache-control", "no-store");
    for (name, value) in extra {
        let _ = headers.set(name, value);
    }
    Response::builder().with_status(status).with_headers(headers).fixed(bytes)
}

/// An empty answer (a preflight's 204).
pub fn empty_response(status: u16, extra: &[(&'static str, String)]) -> Response {
    let headers = Headers::new();
    for (name, value) in extra {
        let _ = headers.set(name, value);
    }
    Response::builder().with_status(status).with_headers(headers).fixed(Vec::new())
}

/// A request header.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// A query parameter (the first of that name), decoded as `application/x-www-form-urlencoded`
/// (what `URL.searchParams` does). The URL workerd hands over is already serialized, so its query
/// is what follows the first `?`, up to a `#`; it is not parsed again (the `url` crate and its IDNA
/// tables were a fifth of the Worker's size for this one use).
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let url = req.inner().url();
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(query, _)| query);
    form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// The body, at most [`MAX_BODY_BYTES`]: 413 beyond, checked against `Content-Length` before
/// reading when there is one, and otherwise (a chunked body) by reading no further than the limit
/// and cancelling the rest of the upload. (Under `wrangler dev`, a request answered before its
/// upload ended can stall the local proxy's next request: a known local-only wrangler bug, see
/// tests/e2e/worker-body-limit.test.mjs.)
pub async fn read_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::new(413, "bad_input", format!("the body is larger than {MAX_BODY_BYTES} bytes"));
    if let Some(length) = header(req, "content-length").and_then(|l| l.trim().parse::<u64>().ok()) {
        if length > MAX_BODY_BYTES as u64 {
            return Err(too_large());
        }
    }
    let unreadable = || ApiError::bad_input("the request body could not be read");
    if header(req, "content-length").is_some() {
        // Within the limit (checked above), and workerd does not deliver more than it says:
        // read it in one piece (one promise) rather than chunk by chunk.
        return req.bytes().await.map_err(|_| unreadable());
    }
    let Some(stream) = req.inner().body() else {
        // No body at all (a GET, or a POST without one).
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().dyn_into().map_err(|_| unreadable())?;
    let mut body = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|_| unreadable())?;
        if Reflect::get(&chunk, &JsValue::from_str("done")).ok().and_then(|done| done.as_bool()).unwrap_or(true) {
            return Ok(body);
        }
        let bytes = Reflect::get(&chunk, &JsValue::from_str("value")).map(|value| Uint8Array::new(&value)).map_err(|_| unreadable())?;
        let length = usize::try_from(bytes.length()).unwrap_or(usize::MAX);
        if body.len().saturating_add(length) > MAX_BODY_BYTES {
            let _ = JsFuture::from(reader.cancel()).await;
            return Err(too_large());
        }
        let start = body.len();
        body.resize(start + length, 0);
        if let Some(slot) = body.get_mut(start..) {
            bytes.copy_to(slot);
        }
    }
}
