//! Logs as JSON lines on `console.log`, each with the request id. Callers pass only values that
//! are safe to log: paths go through `redact_path`, and no secret, token, capability token or API
//! key is ever handed in.
//!
//! A request writes one line, its access line: each `console.log` costs far more than building
//! the line (under `wrangler dev`, about 1 ms of CPU: BENCHMARKS.md). Work a request does after
//! its answer (`waitUntil`, e.g. the sync path's KV copy) is handed to [`Log::after_answer`]; the
//! access line is then written when that work is done, so its `usage` counts it too.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use serde_json::{json, Map, Value};

use crate::core::time::format_rfc3339_millis;
use crate::driver::Runtime;
use crate::transport::js_runtime::JsRuntime;

/// Work to run after the answer.
pub type AfterAnswer = Pin<Box<dyn Future<Output = ()>>>;

/// A logger bound to one request (or one alarm).
#[derive(Clone)]
pub struct Log {
    request_id: Rc<str>,
    /// Fields for the request's access line (set by the handlers, e.g. the invocation id).
    annotations: Rc<RefCell<Map<String, Value>>>,
    /// Work the request does after its answer, before its access line.
    after_answer: Rc<RefCell<Vec<AfterAnswer>>>,
}

impl Log {
    /// A logger for `request_id`.
    pub fn new(request_id: &str) -> Self {
        Log { request_id: Rc::from(request_id), annotations: Rc::default(), after_answer: Rc::default() }
    }

    /// Runs `work` after the request is answered (the dispatcher hands it to `waitUntil`); the
    /// access line is written once it is done.
    pub fn after_answer(&self, work: impl Future<Output = ()> + 'static) {
        self.after_answer.borrow_mut().push(Box::pin(work));
    }

    /// The work handed to [`Log::after_answer`] so far.
    pub fn take_after_answer(&self) -> Vec<AfterAnswer> {
        std::mem::take(&mut *self.after_answer.borrow_mut())
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
