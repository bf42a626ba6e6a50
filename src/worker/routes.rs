//! Request routing.
//!
//! - `GET /healthz`: `{"status":"ok"}`.
//! - `GET /debug/kv/{key}`: reads a `debug:`-prefixed key from `DATA_ACTIONS_KV`
//!   (`{"key":...,"value":...}`, `value` is `null` when absent), proving the KV binding.
//! - `GET /debug/config`: which settings are present (secret values are never returned).
//! - anything else: 404 `{"error":{"code":"not_found",...}}`; a known path with another method
//!   gets 405 `method_not_allowed`.

use serde_json::json;
use worker::{Env, Method, Request, Response, Result};

use super::{config, http, kv};

const VARS: &[&str] = &[
    "CXONE_BASE_URL",
    "CXONE_CLIENT_ID",
    "PUBLIC_URL",
    "ALLOWED_ORIGINS",
    "MAX_POLL_SECONDS",
];
const SECRETS: &[&str] = &["CXONE_CLIENT_SECRET", "PROXY_API_KEYS", "CALLBACK_SIGNING_SECRET"];

pub async fn route(req: Request, env: &Env) -> Result<Response> {
    let method = req.method();
    let path = req.path();
    let get = matches!(method, Method::Get | Method::Head);

    if path == "/healthz" {
        return if get {
            http::json(200, &json!({ "status": "ok" }))
        } else {
            method_not_allowed(&method, &path)
        };
    }
    if path == "/debug/config" {
        return if get { debug_config(env) } else { method_not_allowed(&method, &path) };
    }
    if let Some(key) = path.strip_prefix("/debug/kv/") {
        return if get { debug_kv(env, key).await } else { method_not_allowed(&method, &path) };
    }
    http::error(404, "not_found", &format!("no route for {method} {path}"))
}

fn method_not_allowed(method: &Method, path: &str) -> Result<Response> {
    http::error(405, "method_not_allowed", &format!("{method} is not allowed on {path}"))
}

async fn debug_kv(env: &Env, raw_key: &str) -> Result<Response> {
    let key = percent_decode(raw_key);
    if !key.starts_with(kv::DEBUG_PREFIX) {
        return http::error(
            403,
            "forbidden",
            &format!("only keys starting with {:?} can be read here", kv::DEBUG_PREFIX),
        );
    }
    let value = kv::get_text(env, &key).await?;
    // Show JSON values as JSON, anything else as a string.
    let value = value.map(|text| {
        serde_json::from_str::<serde_json::Value>(&text).unwrap_or(serde_json::Value::String(text))
    });
    http::json(200, &json!({ "key": key, "value": value }))
}

fn debug_config(env: &Env) -> Result<Response> {
    let vars: serde_json::Map<String, serde_json::Value> = VARS
        .iter()
        .map(|name| (name.to_string(), json!(config::var(env, name))))
        .collect();
    let secrets: serde_json::Map<String, serde_json::Value> = SECRETS
        .iter()
        .map(|name| (name.to_string(), json!(config::has_secret(env, name))))
        .collect();
    http::json(200, &json!({ "vars": vars, "secrets_set": secrets }))
}

/// Decodes `%XX` escapes (keys such as `debug:x` arrive as `debug%3Ax` from some clients).
fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
