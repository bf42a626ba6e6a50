//! The genesys-cloud profile: the login service's client-credentials grant and the Platform
//! API's integration actions (get with its contract, execute, list), every failure an
//! `ErrorBody`. The same catalogue, knobs and control API as the other profiles.

pub mod actions;
pub mod contract;
pub mod errors;
pub mod listing;
pub mod login;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::auth;
use crate::catalogue::Action;
use crate::faults::{self, Fault};
use crate::state::AppState;
use crate::stats::Route;
use errors::ErrorBody;

/// The routes of the genesys-cloud profile.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/oauth/token", post(login::token))
        .route("/api/v2/integrations/actions", get(listing::list))
        .route(
            "/api/v2/integrations/actions/{id}",
            get(actions::get_action),
        )
        .route(
            "/api/v2/integrations/actions/{id}/execute",
            post(actions::execute),
        )
        .merge(crate::cxone_signin::fault_routes())
}

/// The answer of an injected fault, as the platform words it.
pub fn fault_error(fault: Fault, retry_after_secs: u64) -> ErrorBody {
    match fault {
        Fault::TooManyRequests => rate_limited(
            retry_after_secs.to_string(),
            HeaderValue::from(retry_after_secs),
        ),
        Fault::Unavailable => ErrorBody::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service.unavailable",
            "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).",
        ),
    }
}

/// A 429 `too.many.requests` with this `Retry-After`.
pub fn rate_limited(seconds: String, retry_after: HeaderValue) -> ErrorBody {
    ErrorBody::with_params(
        StatusCode::TOO_MANY_REQUESTS,
        "too.many.requests",
        "Rate limit exceeded the maximum. Retry the request in [{retryAfter}] seconds",
        &[("retryAfter", &seconds)],
    )
    .with_header(header::RETRY_AFTER, retry_after)
}

/// What every `/api/v2` request goes through, as in the seed: counted, delayed, possibly a
/// fault, then the bearer token checked.
pub(crate) async fn gate(
    state: &AppState,
    route: Route,
    action_id: Option<&str>,
    headers: &HeaderMap,
) -> Result<(), ErrorBody> {
    state.stats.count(route, action_id);
    let knobs = state.knobs();
    state.count_api_request(&knobs);
    faults::delay(state, &knobs).await;
    if let Some(fault) = faults::draw(state, &knobs) {
        return Err(fault_error(fault, knobs.retry_after_secs));
    }
    let token = auth::bearer_token(headers).map_err(|_| {
        ErrorBody::new(
            StatusCode::UNAUTHORIZED,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        )
    })?;
    state.check_token(token).map_err(|_| {
        ErrorBody::new(
            StatusCode::UNAUTHORIZED,
            "bad.credentials",
            "Invalid login credentials.",
        )
    })?;
    Ok(())
}

/// The action, or 404 `not.found` when it is unknown and 403 `missing.permissions` when it
/// needs a role.
pub(crate) fn find_action(state: &AppState, id: &str) -> Result<Arc<Action>, ErrorBody> {
    let action = state.catalogue.get(id).cloned().ok_or_else(|| {
        ErrorBody::not_found("The requested resource was not found.").with_entity(id)
    })?;
    if let Some(role) = &action.requires_role {
        return Err(ErrorBody::with_params(
            StatusCode::FORBIDDEN,
            "missing.permissions",
            "Unable to perform the requested action. You are missing the following permission(s): [{permissions}]",
            &[("permissions", &format!("integrations:action:execute ({role})"))],
        ));
    }
    Ok(action)
}

/// Any other path: 404 `not.found` (after `latencyMs` on `/api` and `/oauth` paths).
pub async fn fallback(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") || path.starts_with("/oauth/") {
        faults::delay(&state, &state.knobs()).await;
    }
    ErrorBody::with_params(
        StatusCode::NOT_FOUND,
        "not.found",
        "No resource at {path}",
        &[("path", path)],
    )
    .into_response()
}
