//! Logs as JSON lines on `console.log`, each with the request id. Callers pass only values that
//! are safe to log: paths go through `redact_path`, and no secret, token, capability token or API
//! key is ever handed in.
//!
//! A request writes one line, its access line, when it is answered: built here as one struct
//! serialized straight to text ([`Log::access_line`]) and written by `entry.js` once the wasm call
//! has returned, so that the `console.log` is made from one JS frame (under an inspector session
//! every console call carries its stack trace, which from inside wasm is a dozen frames that the
//! isolate captures and every listener parses: BENCHMARKS.md). Under an inspector session
//! (`wrangler dev` always has one) a `console.log` made after the answer, while `waitUntil` work
//! runs, costs about four times one made before it (BENCHMARKS.md), so work after the answer
//! logs only its failures.

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::platform::{console_error, console_log, console_warn};
use super::usage::UsageCounts;

use crate::core::json::to_text;
use crate::core::time::format_rfc3339_millis;
use crate::driver::Runtime;
use crate::transport::js_runtime::JsRuntime;

/// What a request's access line says besides the request id, the message and the annotations.
#[derive(Serialize)]
pub struct AccessFields<'a> {
    /// The method, as sent.
    pub method: &'a str,
    /// The path, redacted (`redact_path`).
    pub path: &'a str,
    /// The answer's status.
    pub status: u16,
    /// Milliseconds from the request to its answer.
    pub ms: u64,
    /// The KV and object operations the request made.
    pub usage: UsageCounts,
}

/// The access line: `ts`, `level`, `requestId`, `msg: "request"`, the [`AccessFields`] and the
/// annotations, in one JSON object (an annotation never reuses one of those names).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessLine<'a> {
    ts: String,
    level: &'a str,
    request_id: &'a str,
    msg: &'a str,
    #[serde(flatten)]
    fields: &'a AccessFields<'a>,
    #[serde(flatten)]
    annotations: &'a Map<String, Value>,
}

/// A logger bound to one request (or one alarm).
#[derive(Clone)]
pub struct Log {
    request_id: Rc<str>,
    /// Fields for the request's access line (set by the handlers, e.g. the invocation id).
    annotations: Rc<RefCell<Map<String, Value>>>,
}

impl Log {
    /// A logger for `request_id`.
    pub fn new(request_id: &str) -> Self {
        Log { request_id: Rc::from(request_id), annotations: Rc::default() }
    }

    /// The request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Adds a field to the request's access line (one line per request rather than one per step).
    pub fn annotate(&self, key: &str, value: Value) {
        self.annotations.borrow_mut().insert(key.to_string(), value);
    }

    /// The request's access line (`level` "info", or "warn" for a 5xx answer), for `entry.js` to
    /// write.
    pub fn access_line(&self, level: &str, fields: &AccessFields<'_>) -> String {
        let annotations = self.annotations.borrow();
        let line = AccessLine {
            ts: format_rfc3339_millis(JsRuntime::new().now_ms()),
            level,
            request_id: &self.request_id,
            msg: "request",
            fields,
            annotations: &annotations,
        };
        serde_json::to_string(&line).unwrap_or_default()
    }

    /// An informational line; `fields` (a JSON object) are added to it.
    pub fn info(&self, message: &str, fields: Value) {
        console_log(&self.line("info", message, fields));
    }

    /// A warning line.
    pub fn warn(&self, message: &str, fields: Value) {
        console_warn(&self.line("warn", message, fields));
    }

    /// An error line.
    pub fn error(&self, message: &str, fields: Value) {
        console_error(&self.line("error", message, fields));
    }

    fn line(&self, level: &str, message: &str, fields: Value) -> String {
        let mut line = Map::new();
        line.insert("ts".into(), json!(format_rfc3339_millis(JsRuntime::new().now_ms())));
        line.insert("level".into(), json!(level));
        line.insert("requestId".into(), json!(&*self.request_id));
        line.insert("msg".into(), json!(message));
        if let Value::Object(extra) = fields {
            for (key, value) in extra {
                line.entry(key).or_insert(value);
            }
        }
        to_text(&Value::Object(line))
    }
}
