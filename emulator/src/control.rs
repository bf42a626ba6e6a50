//! The control API (`/_emulator/...`, no auth) and `/healthz`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::errors::{json_response, plain_response, ApiError};
use crate::state::AppState;

/// A control request's body, or the 400 `BAD_REQUEST` for one that could not be read.
pub(crate) fn control_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| ApiError::bad_request(rejection.body_text()))
}

/// `GET /_emulator/config`.
pub async fn get_config(State(state): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, &state.knobs())
}

/// `POST /_emulator/config`: merges a partial object; 400 names every bad field.
pub async fn post_config(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = control_body(body)?;
    let patch = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(patch)) => patch,
        Ok(_) => {
            return Err(ApiError::bad_request(
                "the body must be a JSON object of knobs",
            ))
        }
        Err(e) => return Err(ApiError::bad_request(format!("malformed JSON body: {e}"))),
    };
    match state.patch_knobs(&patch) {
        Ok(knobs) => Ok(json_response(StatusCode::OK, &knobs)),
        Err(problems) => Err(ApiError::many(StatusCode::BAD_REQUEST, problems)),
    }
}

/// `POST /_emulator/revoke-tokens`.
pub async fn revoke_tokens(State(state): State<Arc<AppState>>) -> Response {
    let revoked = state.revoke_tokens();
    json_response(StatusCode::OK, &json!({ "revoked": revoked }))
}

/// `GET /_emulator/stats`.
pub async fn stats(State(state): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, &state.stats.to_json())
}

/// `POST /_emulator/reset`.
pub async fn reset(State(state): State<Arc<AppState>>) -> Response {
    state.reset();
    json_response(
        StatusCode::OK,
        &json!({ "reset": true, "config": state.knobs() }),
    )
}

/// `GET /_emulator/invocations`: every invocation kept, oldest first.
pub async fn invocations(State(state): State<Arc<AppState>>) -> Response {
    let now = Instant::now();
    let list: Vec<Value> = state
        .invocations()
        .iter()
        .map(|inv| inv.list_entry(now))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({ "count": list.len(), "invocations": list }),
    )
}

/// `GET /_emulator/invocations/{invokeId}`.
pub async fn invocation(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let invoke_id = match path {
        Ok(Path(id)) => id,
        Err(rejection) => return ApiError::bad_request(rejection.body_text()).into_response(),
    };
    let view = state
        .invocations()
        .get(&invoke_id)
        .map(|inv| inv.emulator_view(Instant::now()));
    match view {
        Some(view) => json_response(StatusCode::OK, &view),
        None => {
            ApiError::not_found(format!("invocation {invoke_id} does not exist")).into_response()
        }
    }
}

/// `GET /_emulator/catalogue`: the definitions and scripts being served.
pub async fn catalogue(State(state): State<Arc<AppState>>) -> Response {
    let actions: Vec<Value> = state
        .catalogue
        .ids()
        .filter_map(|id| state.catalogue.get(id))
        .map(|action| {
            let definition =
                serde_json::from_slice::<Value>(&action.definition_body()).unwrap_or(Value::Null);
            json!({
                "definition": definition,
                "etag": action.etag().to_str().unwrap_or(""),
                "requiresRole": action.requires_role,
                "rateLimited": action.rate_limited,
                "script": {
                    "durationMs": action.script.duration_ms,
                    "durationInput": action.script.duration_input,
                    "outcome": action.script.outcome,
                    "errors": action.script.errors,
                },
            })
        })
        .collect();
    json_response(StatusCode::OK, &json!({ "actions": actions }))
}

/// `GET /healthz`.
pub async fn healthz() -> Response {
    plain_response(StatusCode::OK, "ok")
}
