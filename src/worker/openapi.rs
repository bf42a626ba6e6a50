//! `GET /openapi.json`: the OpenAPI 3.1 description of every route, request and answer of this
//! Worker (`openapi.json` beside this file, written once; the end-to-end tests check the Worker's
//! real answers against it). Public: it holds nothing secret.

use worker::{Headers, Response};

/// The document, as written.
const DOCUMENT: &str = include_str!("openapi.json");

/// The document.
pub fn document() -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    let _ = headers.set("cache-control", "public, max-age=300");
    let _ = headers.set("x-content-type-options", "nosniff");
    Response::builder().with_status(200).with_headers(headers).fixed(DOCUMENT.as_bytes().to_vec())
}
