//! The Cloudflare Worker shell (feature `worker`): the proxy's HTTP API over the driver, with one
//! Durable Object per invocation (its record, callbacks, polls on its alarm, waiters), KV for the
//! shared token and the records' read copies, and caller authentication.
//!
//! The rules live in the core (`core::proxy` for settings, request shapes, statuses, CORS and the
//! poll schedule; `core::record` for the invocation record's transitions); this module moves
//! values between them and the platform, one concern per file:
//!
//! - [`routes`]: dispatch, CORS, caller auth, the access log line;
//! - [`health`], [`actions`], [`invoke`], [`invocations`], [`history`], [`callbacks`]: the routes;
//! - [`action_list`] (`GET /v1/actions`, falling back to [`seen_actions`]), [`openapi`]
//!   (`GET /openapi.json`), [`home`] (`GET /`); the console's files are static assets;
//! - [`invocation_object`]: the Durable Object class `Invocation`; [`object_storage`]: its
//!   SQLite record; [`objects`]: the Worker's requests to it; [`wake`]: its waiters;
//! - [`store`]: KV read copies of records; [`kv`]: typed KV access; [`token`]: the shared token;
//! - [`isolate`]: the per-isolate driver client; [`app`]: what a request works with;
//! - [`env`], [`http`], [`log`], [`random`], [`usage`]: settings, responses, JSON logs, random
//!   ids, the KV and object operations each request made.
//! - [`platform`]: the Workers runtime's objects (env, ctx, Durable Object state, storage and
//!   stubs, the console) bound with wasm-bindgen; [`recovery`]: the instance's reset after a trap.
//!
//! Nothing here panics: every failure becomes a JSON error answer or a log line.

mod action_list;
mod actions;
mod app;
mod callbacks;
mod env;
mod health;
mod history;
mod home;
mod http;
mod invocation_object;
mod invocations;
mod invoke;
mod isolate;
mod kv;
mod log;
mod object_storage;
mod objects;
mod openapi;
mod platform;
mod random;
mod recovery;
mod routes;
mod seen_actions;
mod store;
mod token;
mod usage;
mod wake;

pub use invocation_object::Invocation;
pub use objects::INVOCATIONS_BINDING;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use platform::{Context, Env};

/// The name of the KV namespace binding in `wrangler.toml`.
pub const KV_BINDING: &str = "DATA_ACTIONS_KV";

/// The fetch handler, called by `entry.js` with the request's method and URL read there (one
/// crossing for both, no `worker::Request` conversion, no `cf` read). It resolves to
/// `{response, line, warn, write}` (see `http::Answer::into_js`): `entry.js` writes the access
/// line, starts the KV write (if any) and hands it to `ctx.waitUntil`, and returns the response.
///
/// `body` is the request's body when `entry.js` read it: one whose `Content-Length` is at most
/// [`body_limit`] (what `http::read_body` would read in one piece), awaited in JS rather than by
/// a Rust future; `read_body` still checks the length first.
#[wasm_bindgen(js_name = "handleRequest")]
pub async fn handle_request(method: String, url: String, request: web_sys::Request, env: Env, ctx: Context, body: Option<Vec<u8>>) -> Result<JsValue, JsValue> {
    Ok(routes::handle(http::Incoming::new(method, &url, request, body), env, ctx).await)
}

/// The largest body `entry.js` reads before calling [`handle_request`] (the proxy's body limit).
#[wasm_bindgen(js_name = "bodyLimit")]
pub fn body_limit() -> u32 {
    u32::try_from(crate::core::proxy::request::MAX_BODY_BYTES).unwrap_or(u32::MAX)
}

/// The second attempt at a sync invoke's read copy, called by `entry.js` when the first `put`
/// after the answer failed (KV allows one write per second per key): with the parts it was
/// handed, and the request's id for the error line should this attempt fail too.
#[wasm_bindgen(js_name = "retryRecordCopy")]
pub async fn retry_record_copy(kv: JsValue, key: String, value: String, options: JsValue, request_id: String) {
    let log = log::Log::new(&request_id);
    let outcome = match kv::KvWrite::from_parts(kv, key, value, options) {
        Some(write) => write.retry(&usage::Usage::default()).await.map_err(|e| (e.0, write.key().to_string())),
        None => Err((format!("{KV_BINDING} is not bound"), String::new())),
    };
    if let Err((error, key)) = outcome {
        log.error("invoke: cannot store the record", serde_json::json!({ "invocationId": store::invocation_of_key(&key), "error": error }));
    }
}
