//! Logs as JSON lines on `console.log`, each with the request id. Callers pass only values that
//! are safe to log: paths go through `redact_path`, and no secret, token, capability token or API
//! key is ever handed in.
//!
//! A request writes one line, its access line, when it is answered. Under an inspector session
//! (`wrangler dev` always has one) a `console.log` made after the answer, while `waitUntil` work
//! runs, costs about four times one made before it (BENCHMARKS.md), so work after the answer
//! logs only its failures.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{json, Map, Value};

use crate::core::time::format_rfc3339_millis;
use crate::driver::Runtime;
use crate::transport::js_runtime::JsRuntime;

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

    /// The fields added with [`Log::annotate`].
    pub fn annotations(&self) -> Value {
        Value::Object(self.annotations.borrow().clone())
    }

    /// An informational line; `fields` (a JSON object) are added to it.
    pub fn info(&self, message: &str, fields: Value) {
        worker::console_log!("{}", self.line("info", message, fields));
    }

    /// A warning line.
    pub fn warn(&self, message: &str, fields: Value) {
        worker::console_warn!("{}", self.line("warn", message, fields));
    }

    /// An error line.
    pub fn error(&self, message: &str, fields: Value) {
        worker::console_error!("{}", self.line("error", message, fields));
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
        Value::Object(line).to_string()
    }
}
