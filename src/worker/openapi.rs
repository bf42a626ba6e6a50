//! `GET /openapi.json`: the OpenAPI 3.1 description of every route, request and answer of this
//! Worker (`openapi.json` beside this file, written once; the end-to-end tests check the Worker's
//! real answers against it). Public: it holds nothing secret.
//!
//! The document is not in the wasm (25 KB raw, 4.4 KB of the gzipped Worker): it goes out as a
//! static asset (scripts/build-console.sh copies it to console/dist/openapi.json) and the Worker
//! reads it through the assets binding `ASSETS`. wrangler.toml runs the Worker first on this path
//! (`run_worker_first`), so that the route answers like every other: `x-request-id`, CORS for the
//! allowed origins, preflights, 405 with `Allow`, the access line.

use super::http::{Answer, ApiError};
use super::platform::Env;

/// The assets binding (wrangler.toml [assets] `binding`).
const ASSETS_BINDING: &str = "ASSETS";
/// The document's path among the assets. The host is ignored by the binding.
const ASSET_URL: &str = "https://assets.invalid/openapi.json";

/// The document, read from the static assets.
pub async fn document(env: &Env) -> Result<Answer, ApiError> {
    let missing = |why: &str| ApiError::new(503, "unavailable", format!("the OpenAPI document is not available: {why}"));
    let assets = env.fetcher(ASSETS_BINDING).ok_or_else(|| missing("no assets binding ASSETS"))?;
    let request = web_sys::Request::new_with_str(ASSET_URL).map_err(|_| missing("the asset's URL was refused"))?;
    let asset = assets.fetch(&request).await.map_err(|_| missing("the assets binding failed"))?;
    if asset.status() != 200 {
        return Err(missing("openapi.json is not among the static assets"));
    }
    // A new answer with this route's headers and the asset's body stream, unread.
    let headers = vec![
        ("content-type", "application/json; charset=utf-8".to_string()),
        ("cache-control", "public, max-age=300".to_string()),
        ("x-content-type-options", "nosniff".to_string()),
    ];
    Ok(Answer::relayed(200, headers, asset.body()))
}
