//! `GET /openapi.json`: the OpenAPI 3.1 description of every route, request and answer of this
//! Worker (`openapi.json` beside this file, written once; the end-to-end tests check the Worker's
//! real answers against it). Public: it holds nothing secret.

use super::http::Answer;

/// The document, as written.
const DOCUMENT: &str = include_str!("openapi.json");

/// The document.
pub fn document() -> Answer {
    let headers = vec![
        ("content-type", "application/json; charset=utf-8".to_string()),
        ("cache-control", "public, max-age=300".to_string()),
        ("x-content-type-options", "nosniff".to_string()),
    ];
    Answer::new(200, headers, DOCUMENT.as_bytes().to_vec())
}
