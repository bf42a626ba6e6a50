//! JSON responses shared by every route.

use serde::Serialize;
use serde_json::json;
use worker::{Response, Result};

/// A JSON response with the given status and `cache-control: no-store`.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response> {
    let resp = Response::from_json(body)?.with_status(status);
    resp.headers().set("cache-control", "no-store")?;
    Ok(resp)
}

/// The error envelope: `{"error":{"code":"...","message":"..."}}`.
pub fn error(status: u16, code: &str, message: &str) -> Result<Response> {
    json(status, &json!({ "error": { "code": code, "message": message } }))
}
