//! JSON answers, the error answer `{error: {...}}` (the core's `ErrorDetails`), and reading
//! requests (bodies with a size limit, query parameters, headers).
//!
//! The fetch handler reads a request through [`Incoming`] (method and URL handed over as strings
//! by `entry.js`, headers and body read from the JS request only when a route asks) and answers
//! with an [`Answer`] (status, headers, body), made into a JS `Response` in one call
//! (`respond.js`): no `worker::Request`/`Response` conversions on the way in or out (they read
//! `cf`, parse the URL again and cross the boundary once per header). The Durable Object reads its
//! requests and answers the same way.

use std::cell::{OnceCell, RefCell};

use js_sys::{Reflect, Uint8Array};
use serde::Serialize;
use serde_json::{json, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;

use super::kv::KvWrite;
use crate::core::error::{DataActionsError, ErrorDetails};
use crate::core::proxy::request::{path_and_query, MAX_BODY_BYTES};
use crate::core::proxy::settings::SettingProblem;
use crate::core::proxy::status::{error_body, http_status, retry_after_seconds};

#[wasm_bindgen(module = "/src/worker/respond.js")]
extern "C" {
    /// The request's headers as `name:value` lines (names lower-case).
    #[wasm_bindgen(js_name = "headerLines")]
    fn header_lines_js(headers: &web_sys::Headers) -> String;

    /// `{response, line, warn, write}`: the JS `Response`, the request's access line, and the
    /// KV write to make after the answer, if any.
    #[wasm_bindgen(js_name = "respond")]
    #[allow(clippy::too_many_arguments)]
    fn respond_js(
        status: u16,
        header_lines: &str,
        body: &[u8],
        stream: &JsValue,
        line: &str,
        warn: bool,
        request_id: &str,
        kv: &JsValue,
        key: &str,
        value: &str,
        options: &JsValue,
    ) -> JsValue;
}

/// An answer's body: bytes the Worker wrote, or a body it passes through unread (a Durable
/// Object's answer, a static asset): no copy into the wasm and back.
#[derive(Debug, Clone)]
enum Body {
    Bytes(Vec<u8>),
    Stream(Option<web_sys::ReadableStream>),
}

/// An answer: status, headers (names lower-case) and body, and a KV write to make after it.
#[derive(Debug, Clone)]
pub struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Body,
    after: Option<KvWrite>,
}

impl Answer {
    /// An answer with `headers` (each name once) and `body`.
    pub fn new(status: u16, headers: Vec<(&'static str, String)>, body: Vec<u8>) -> Self {
        Answer { status, headers, body: Body::Bytes(body), after: None }
    }

    /// The answer with `write` to be made once it is answered (the sync invoke's read copy).
    pub fn with_write_after(mut self, write: KvWrite) -> Self {
        self.after = Some(write);
        self
    }

    /// An answer whose body is another response's, passed through unread.
    pub fn relayed(status: u16, headers: Vec<(&'static str, String)>, body: Option<web_sys::ReadableStream>) -> Self {
        Answer { status, headers, body: Body::Stream(body), after: None }
    }

    /// The HTTP status.
    pub fn status_code(&self) -> u16 {
        self.status
    }

    /// Sets a header, replacing any value it had.
    pub fn set_header(&mut self, name: &'static str, value: String) {
        self.headers.retain(|(known, _)| !known.eq_ignore_ascii_case(name));
        self.headers.push((name, value));
    }

    /// Adds a value to a header (`Vary: Origin` after another `Vary`), as `Headers.append` does.
    pub fn append_header(&mut self, name: &'static str, value: &str) {
        match self.headers.iter_mut().find(|(known, _)| known.eq_ignore_ascii_case(name)) {
            Some((_, existing)) => {
                existing.push_str(", ");
                existing.push_str(value);
            }
            None => self.headers.push((name, value.to_string())),
        }
    }

    /// The answer as a JS `Response` (a Durable Object's answer to the Worker).
    pub fn into_response_js(self) -> JsValue {
        let answer = self.into_js("", false, "");
        Reflect::get(&answer, &JsValue::from_str("response")).unwrap_or(JsValue::UNDEFINED)
    }

    /// `{response, line, warn, write}` for `entry.js`: the JS `Response`, built in one call, the
    /// access line it writes (`console.warn` when `warn`) before returning the response, and the
    /// KV write it then starts and hands to `ctx.waitUntil` (`write` undefined when there is none;
    /// a failed attempt comes back to `retryRecordCopy` with `request_id`).
    pub fn into_js(self, line: &str, warn: bool, request_id: &str) -> JsValue {
        let (kv, key, value, options) = match self.after {
            Some(write) => write.into_parts(),
            None => (JsValue::UNDEFINED, String::new(), String::new(), JsValue::UNDEFINED),
        };
        let mut lines = String::with_capacity(self.headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
        for (name, value) in &self.headers {
            // Header values the Worker sets never hold a line break; one that did would end here
            // rather than split into a second header.
            let value = value.split(['\r', '\n']).next().unwrap_or("");
            if !lines.is_empty() {
                lines.push('\n');
            }
            lines.push_str(name);
            lines.push(':');
            lines.push_str(value);
        }
        match &self.body {
            Body::Bytes(bytes) => respond_js(self.status, &lines, bytes, &JsValue::UNDEFINED, line, warn, request_id, &kv, &key, &value, &options),
            Body::Stream(stream) => {
                let stream = stream.as_ref().map_or(JsValue::NULL, |s| JsValue::from(s.clone()));
                respond_js(self.status, &lines, &[], &stream, line, warn, request_id, &kv, &key, &value, &options)
            }
        }
    }
}

/// A request to the fetch handler (as `entry.js` hands it over) or to the Durable Object: the
/// method and URL (strings), the headers and the body, read when a handler asks.
pub struct Incoming {
    /// The method, as sent (the fetch standard upper-cases the usual ones).
    pub method: String,
    /// The path, as serialized (percent-escapes kept).
    pub path: String,
    query: String,
    raw: web_sys::Request,
    /// The headers, read in one crossing when a route first asks for one.
    headers: OnceCell<String>,
    read_body: RefCell<Option<Vec<u8>>>,
}

impl Incoming {
    /// The request with its method and serialized URL, and its body if `entry.js` read it.
    pub fn new(method: String, url: &str, raw: web_sys::Request, read_body: Option<Vec<u8>>) -> Self {
        let (path, query) = path_and_query(url);
        Incoming { method, path: path.to_string(), query: query.to_string(), raw, headers: OnceCell::new(), read_body: RefCell::new(read_body) }
    }
}

impl Incoming {
    /// The JS request.
    pub fn raw(&self) -> &web_sys::Request {
        &self.raw
    }

    /// The body, when it was read before the handler ran (`entry.js` reads a POST body whose
    /// `Content-Length` is within the limit); taken once.
    fn take_read_body(&self) -> Option<Vec<u8>> {
        self.read_body.take()
    }

    /// The query string (after `?`, without it), as sent.
    pub fn query(&self) -> String {
        self.query.clone()
    }

    /// A request header.
    pub fn header(&self, name: &str) -> Option<String> {
        let lines = self.headers.get_or_init(|| header_lines_js(&self.raw.headers()));
        lines.split('\n').find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.to_string())
        })
    }
}

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
    pub fn into_response(self) -> Answer {
        let mut headers = self.headers;
        if let Some(seconds) = self.retry_after_s {
            headers.push(("retry-after", seconds.to_string()));
        }
        json_response(self.status, &self.body, &headers)
    }
}

/// A JSON answer with `cache-control: no-store` and the given extra headers.
pub fn json_response<T: Serialize>(status: u16, body: &T, extra: &[(&'static str, String)]) -> Answer {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut answer = Answer::new(
        status,
        vec![("content-type", "application/json; charset=utf-8".to_string()), ("cache-control", "no-store".to_string())],
        bytes,
    );
    for (name, value) in extra {
        answer.set_header(name, value.clone());
    }
    answer
}

/// An empty answer (a preflight's 204).
pub fn empty_response(status: u16, extra: &[(&'static str, String)]) -> Answer {
    let mut answer = Answer::new(status, Vec::new(), Vec::new());
    for (name, value) in extra {
        answer.set_header(name, value.clone());
    }
    answer
}

/// A request header.
pub fn header(req: &Incoming, name: &str) -> Option<String> {
    req.header(name)
}

/// A query parameter (the first of that name), decoded as `application/x-www-form-urlencoded`
/// (what `URL.searchParams` does). The URL workerd hands over is already serialized, so its query
/// is what follows the first `?`, up to a `#`; it is not parsed again (the `url` crate and its IDNA
/// tables were a fifth of the Worker's size for this one use).
pub fn query_param(req: &Incoming, name: &str) -> Option<String> {
    let query = req.query();
    form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// The body, at most [`MAX_BODY_BYTES`]: 413 beyond, checked against `Content-Length` before
/// reading when there is one, and otherwise (a chunked body) by reading no further than the limit
/// and cancelling the rest of the upload. A body with a `Content-Length` within the limit was
/// already read by `entry.js` (one `arrayBuffer` awaited in JS, handed over with the request:
/// no Rust future and closure pair for it); the Durable Object's requests are read here. (Under
/// `wrangler dev`, a request answered before its upload ended can stall the local proxy's next
/// request: a known local-only wrangler bug, see tests/e2e/worker-body-limit.test.mjs.)
pub async fn read_body(req: &Incoming) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::new(413, "bad_input", format!("the body is larger than {MAX_BODY_BYTES} bytes"));
    let unreadable = || ApiError::bad_input("the request body could not be read");
    if let Some(length) = req.header("content-length") {
        if length.trim().parse::<u64>().is_ok_and(|length| length > MAX_BODY_BYTES as u64) {
            return Err(too_large());
        }
        if let Some(body) = req.take_read_body() {
            return Ok(body);
        }
        // Within the limit (checked above), and workerd does not deliver more than it says:
        // read it in one piece (one promise) rather than chunk by chunk.
        let pending = req.raw().array_buffer().map_err(|_| unreadable())?;
        let buffer = JsFuture::from(pending).await.map_err(|_| unreadable())?;
        return Ok(Uint8Array::new(&buffer).to_vec());
    }
    let Some(stream) = req.raw().body() else {
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
