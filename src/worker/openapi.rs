//! `GET /openapi.json`: the OpenAPI 3.1 description of every route, request and answer of this
//! Worker (`openapi.json` beside this file, written once; the end-to-end tests check the Worker's
//! real answers against it). Public: it holds nothing secret.
//!
//! The document is not in the wasm (25 KB raw, 4.4 KB of the gzipped Worker): it goes out as a
//! static asset (scripts/build-console.sh copies it to console/dist/openapi.json) and the Worker
//! reads it through the assets binding `ASSETS`. wrangler.toml runs the Worker first on this path
//! (`run_worker_first`), so that the route answers like every other: `x-request-id`, CORS for the
//! allowed origins, preflights, 405 with `Allow`, the access line.

use worker::{Env, Headers, Response};

use super::http::ApiError;

/// The assets binding (wrangler.toml [assets] `binding`).
const ASSETS_BINDING: &str = "ASSETS";
/// The document's path among the assets. The host is ignored by the binding.
const ASSET_URL: &str = "https://assets.invalid/openapi.json";

/// The document, read from the static assets.
pub async fn document(env: &Env) -> Result<Response, ApiError> {
    let missing = |why: &str| ApiError::new(503, "unavailable", format!("the OpenAPI document is not available: {why}"));
    let assets = env.assets(ASSETS_BINDING).map_err(|_| missing("no assets binding ASSETS"))?;
    let mut asset = assets.fetch(ASSET_URL, None).await.map_err(|_| missing("the assets binding failed"))?;
    if asset.status_code() != 200 {
        return Err(missing("openapi.json is not among the static assets"));
    }
    let document = asset.bytes().await.map_err(|_| missing("the asset could not be read"))?;
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    let _ = headers.set("cache-control", "public, max-age=300");
    let _ = headers.set("x-content-type-options", "nosniff");
    Ok(Response::builder().with_status(200).with_headers(headers).fixed(document))
}
