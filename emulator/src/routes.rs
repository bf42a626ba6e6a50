//! The upstream API: `/api/v2/data-actions/...`.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::auth;
use crate::callbacks::spawn_delivery;
use crate::catalogue::{Action, Mode, Outcome};
use crate::errors::{json_bytes_response, json_response, with_cache_control, ApiError, ErrorItem};
use crate::faults;
use crate::invocations::{
    outcome_status, CallbackTarget, DeliveryState, Invocation, Status, Timing,
};
use crate::state::{AppState, Scopes, SCOPE_EXECUTE, SCOPE_READ};
use crate::stats::Route;

/// What every `/api` request goes through, in order: it is counted (every `revokeTokensEvery`-th
/// revokes the tokens), delayed by `latencyMs` and `latencyJitterMs`,
/// possibly answered with an injected fault, then authenticated.
pub(crate) async fn gate(
    state: &AppState,
    route: Route,
    action_id: Option<&str>,
    headers: &HeaderMap,
) -> Result<Scopes, ApiError> {
    state.stats.count(route, action_id);
    let knobs = state.knobs();
    state.count_api_request(&knobs);
    faults::delay(state, &knobs).await;
    if let Some(fault) = faults::inject(state, &knobs) {
        return Err(fault);
    }
    auth::authenticate(state, headers)
}

fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

fn bad_path(rejection: PathRejection) -> ApiError {
    ApiError::bad_request(format!("bad path: {}", rejection.body_text()))
}

/// The action, or 404 when it is unknown and 403 when it needs a role.
fn find_action(state: &AppState, id: &str) -> Result<Arc<Action>, ApiError> {
    let action = state
        .catalogue
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("data action {id} does not exist")))?;
    if let Some(role) = &action.requires_role {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            format!("data action {id} requires role {role}"),
        ));
    }
    Ok(action)
}

/// Whether an `If-None-Match` header matches `etag` (weak comparison, `*` matches).
fn if_none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.to_str().unwrap_or("");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// `GET /api/v2/data-actions/{id}`.
pub async fn definition(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    respond(definition_inner(&state, path, &headers).await)
}

async fn definition_inner(
    state: &AppState,
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let id = path.map(|Path(id)| id).map_err(bad_path);
    let scopes = gate(state, Route::Definition, id.as_deref().ok(), headers).await?;
    let id = id?;
    if !scopes.read {
        return Err(ApiError::missing_scope(SCOPE_READ));
    }
    let action = find_action(state, &id)?;
    let mut response = if if_none_match(headers, action.etag()) {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        json_bytes_response(StatusCode::OK, action.definition_body())
    };
    response
        .headers_mut()
        .insert(header::ETAG, action.etag().clone());
    Ok(with_cache_control(response, "no-cache"))
}

/// A parsed invoke body.
struct InvokeRequest {
    inputs: Map<String, Value>,
    context: Option<Value>,
    callback: Option<(String, Uri)>,
}

fn callback_uri(url: &str) -> Result<Uri, ApiError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| ApiError::bad_request("callbackUrl is not a valid URL"))?;
    match uri.scheme_str() {
        Some("http") if uri.host().is_some_and(|h| !h.is_empty()) => Ok(uri),
        Some("https") => Err(ApiError::bad_request(
            "callbackUrl must be an http:// URL (the emulator does not send callbacks over TLS)",
        )),
        _ => Err(ApiError::bad_request(
            "callbackUrl must be an absolute http:// URL",
        )),
    }
}

fn parse_invoke_body(body: &[u8]) -> Result<InvokeRequest, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))?;
    let Value::Object(mut fields) = value else {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    };
    let inputs = match fields.remove("inputs") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(inputs)) => inputs,
        Some(_) => return Err(ApiError::bad_request("inputs must be a JSON object")),
    };
    let context = match fields.remove("context") {
        None | Some(Value::Null) => None,
        Some(context @ Value::Object(_)) => Some(context),
        Some(_) => return Err(ApiError::bad_request("context must be a JSON object")),
    };
    let callback = match fields.remove("callbackUrl") {
        None | Some(Value::Null) => None,
        Some(Value::String(url)) => {
            let uri = callback_uri(&url)?;
            Some((url, uri))
        }
        Some(_) => return Err(ApiError::bad_request("callbackUrl must be a string")),
    };
    if !fields.is_empty() {
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        return Err(ApiError::bad_request(format!(
            "unknown field(s) in the body: {} (expected inputs, context, callbackUrl)",
            names.join(", ")
        )));
    }
    Ok(InvokeRequest {
        inputs,
        context,
        callback,
    })
}

/// Whether a request body may be read as JSON: no `Content-Type`, or one whose media type is
/// `application/json` or ends in `+json` (every profile's invoke and execute read it so).
pub(crate) fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    if is_json_content_type(headers) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Content-Type must be application/json",
        ))
    }
}

fn new_invoke_id() -> String {
    format!("inv_{:032x}", rand::thread_rng().gen::<u128>())
}

fn status_url(action_id: &str, invoke_id: &str) -> String {
    format!("/api/v2/data-actions/{action_id}/invoke/{invoke_id}")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InvokeAnswer<'a> {
    invoke_id: &'a str,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<&'a Map<String, Value>>,
}

/// `POST /api/v2/data-actions/{id}/invoke`.
pub async fn invoke(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(invoke_inner(&state, path, &headers, body).await)
}

async fn invoke_inner(
    state: &Arc<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = path.map(|Path(id)| id).map_err(bad_path);
    let scopes = gate(state, Route::Invoke, id.as_deref().ok(), headers).await?;
    let id = id?;
    if !scopes.execute {
        return Err(ApiError::missing_scope(SCOPE_EXECUTE));
    }
    let action = find_action(state, &id)?;
    check_json_content_type(headers)?;
    let body = body.map_err(|rejection| {
        ApiError::new(rejection.status(), "BAD_REQUEST", rejection.body_text())
    })?;
    let request = parse_invoke_body(&body)?;
    let problems = action.validate_inputs(&request.inputs);
    if !problems.is_empty() {
        return Err(ApiError::many(StatusCode::UNPROCESSABLE_ENTITY, problems));
    }
    if action.rate_limited {
        let number = state.next_rate_limited();
        if number <= state.knobs().rate_limited_first {
            return Err(faults::scripted_rate_limit(number, SystemTime::now()));
        }
    }
    match action.mode {
        Mode::Sync => invoke_sync(state, &action, request).await,
        Mode::Async => Ok(invoke_async(state, &action, request)),
    }
}

fn callback_target(request: &mut InvokeRequest) -> Option<CallbackTarget> {
    request.callback.take().map(|(url, uri)| CallbackTarget {
        url,
        uri,
        state: DeliveryState::Waiting,
        attempts: Vec::new(),
    })
}

async fn invoke_sync(
    state: &Arc<AppState>,
    action: &Action,
    mut request: InvokeRequest,
) -> Result<Response, ApiError> {
    let created = Instant::now();
    let created_wall = SystemTime::now();
    let run_for = action.script.duration(&request.inputs);
    if !run_for.is_zero() {
        tokio::time::sleep(run_for).await;
    }
    let invoke_id = new_invoke_id();
    let status = outcome_status(action.script.outcome);
    let outputs = (status == Status::Completed)
        .then(|| action.script.producer.produce(&invoke_id, &request.inputs));
    let errors = if status == Status::Failed {
        action.script.errors.clone()
    } else {
        Vec::new()
    };
    let answer = match status {
        Status::Failed => Err(ApiError::many(
            StatusCode::INTERNAL_SERVER_ERROR,
            errors.clone(),
        )),
        _ => Ok(faults::shaped_answer(
            &state.knobs(),
            &InvokeAnswer {
                invoke_id: &invoke_id,
                status,
                outputs: outputs.as_ref(),
            },
        )),
    };
    let callback = callback_target(&mut request);
    let mut invocation = Invocation {
        invoke_id,
        action_id: action.id.clone(),
        mode: Mode::Sync,
        created,
        created_wall,
        queued_for: std::time::Duration::ZERO,
        run_for: Some(created.elapsed()),
        outcome: status,
        outputs,
        errors,
        cancelled: None,
        inputs: request.inputs,
        context: request.context,
        callback,
    };
    let job = invocation.take_callback(Instant::now());
    state.invocations().insert(invocation);
    if let Some(job) = job {
        spawn_delivery(Arc::clone(state), job);
    }
    answer
}

fn invoke_async(state: &Arc<AppState>, action: &Action, mut request: InvokeRequest) -> Response {
    let timing = Timing {
        created: Instant::now(),
        created_wall: SystemTime::now(),
        run_for: (action.script.outcome != Outcome::Never)
            .then(|| action.script.duration(&request.inputs)),
    };
    let invoke_id = new_invoke_id();
    let status = outcome_status(action.script.outcome);
    let outputs = (status == Status::Completed)
        .then(|| action.script.producer.produce(&invoke_id, &request.inputs));
    let errors = if status == Status::Failed {
        action.script.errors.clone()
    } else {
        Vec::new()
    };
    let callback = callback_target(&mut request);
    let wants_callback = callback.is_some();
    let invocation = Invocation {
        invoke_id: invoke_id.clone(),
        action_id: action.id.clone(),
        mode: Mode::Async,
        queued_for: timing.queued_for(),
        created: timing.created,
        created_wall: timing.created_wall,
        run_for: timing.run_for,
        outcome: status,
        outputs,
        errors,
        cancelled: None,
        inputs: request.inputs,
        context: request.context,
        callback,
    };
    state.invocations().insert(invocation);
    if let (true, Some(run_for)) = (wants_callback, timing.run_for) {
        let state = Arc::clone(state);
        let invoke_id = invoke_id.clone();
        let epoch = state.epoch();
        tokio::spawn(async move {
            tokio::time::sleep_until((timing.created + run_for).into()).await;
            if state.epoch() != epoch {
                return;
            }
            let job = state
                .invocations()
                .get_mut(&invoke_id)
                .and_then(|inv| inv.take_callback(Instant::now()));
            if let Some(job) = job {
                spawn_delivery(state, job);
            }
        });
    }
    let mut response = json_response(
        StatusCode::ACCEPTED,
        &InvokeAnswer {
            invoke_id: &invoke_id,
            status: Status::Queued,
            outputs: None,
        },
    );
    if let Ok(location) = HeaderValue::from_str(&status_url(&action.id, &invoke_id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn unknown_invocation(invoke_id: &str, action_id: &str) -> ApiError {
    ApiError::not_found(format!(
        "invocation {invoke_id} of data action {action_id} does not exist"
    ))
}

/// `GET /api/v2/data-actions/{id}/invoke/{invokeId}`.
pub async fn poll(
    State(state): State<Arc<AppState>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    respond(poll_inner(&state, path, &headers).await)
}

async fn poll_inner(
    state: &AppState,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let ids = path.map(|Path(ids)| ids).map_err(bad_path);
    let scopes = gate(
        state,
        Route::Poll,
        ids.as_ref().ok().map(|(id, _)| id.as_str()),
        headers,
    )
    .await?;
    let (id, invoke_id) = ids?;
    if !scopes.read && !scopes.execute {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "MISSING_SCOPE",
            format!("token lacks scope {SCOPE_EXECUTE} (or {SCOPE_READ})"),
        ));
    }
    find_action(state, &id)?;
    let body = {
        let store = state.invocations();
        let invocation = store
            .get(&invoke_id)
            .filter(|inv| inv.action_id == id)
            .ok_or_else(|| unknown_invocation(&invoke_id, &id))?;
        invocation.status_body(Instant::now())
    };
    let body = body
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", e.to_string()))?;
    Ok(with_cache_control(
        json_bytes_response(StatusCode::OK, body),
        "no-store",
    ))
}

/// `DELETE /api/v2/data-actions/{id}/invoke/{invokeId}`.
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    respond(cancel_inner(&state, path, &headers).await)
}

async fn cancel_inner(
    state: &Arc<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let ids = path.map(|Path(ids)| ids).map_err(bad_path);
    let scopes = gate(
        state,
        Route::Cancel,
        ids.as_ref().ok().map(|(id, _)| id.as_str()),
        headers,
    )
    .await?;
    let (id, invoke_id) = ids?;
    if !scopes.execute {
        return Err(ApiError::missing_scope(SCOPE_EXECUTE));
    }
    find_action(state, &id)?;
    let (body, job) = {
        let mut store = state.invocations();
        let invocation = store
            .get_mut(&invoke_id)
            .filter(|inv| inv.action_id == id)
            .ok_or_else(|| unknown_invocation(&invoke_id, &id))?;
        let now = Instant::now();
        let (status, _) = invocation.status_at(now);
        if status.is_terminal() {
            return Err(ApiError::many(
                StatusCode::CONFLICT,
                vec![ErrorItem::new(
                    "ALREADY_TERMINAL",
                    format!("invocation {invoke_id} is already {}", status.as_str()),
                )],
            ));
        }
        invocation.cancelled = Some((now, SystemTime::now()));
        (invocation.status_body(now), invocation.take_callback(now))
    };
    if let Some(job) = job {
        spawn_delivery(Arc::clone(state), job);
    }
    let body = body
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", e.to_string()))?;
    Ok(json_bytes_response(StatusCode::OK, body))
}

/// Any other path: 404 (after `latencyMs` on `/api` and `/oauth2` paths).
pub async fn fallback(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") || path.starts_with("/oauth2/") {
        faults::delay(&state, &state.knobs()).await;
    }
    ApiError::not_found(format!("no route for {path}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_forms() {
        let etag = HeaderValue::from_static("\"v1-a\"");
        let mut headers = HeaderMap::new();
        assert!(!if_none_match(&headers, &etag));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"v1-a\""),
        );
        assert!(if_none_match(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(if_none_match(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"v2-a\""));
        assert!(!if_none_match(&headers, &etag));
    }

    #[test]
    fn invoke_bodies_are_checked() {
        assert!(parse_invoke_body(b"{").is_err());
        assert!(parse_invoke_body(b"[]").is_err());
        assert!(parse_invoke_body(br#"{"inputs":[]}"#).is_err());
        assert!(parse_invoke_body(br#"{"inputs":{},"callback_url":"http://x"}"#).is_err());
        assert!(parse_invoke_body(br#"{"inputs":{},"callbackUrl":"https://x/"}"#).is_err());
        assert!(parse_invoke_body(br#"{"inputs":{},"callbackUrl":"/relative"}"#).is_err());
        assert!(parse_invoke_body(br#"{"inputs":{},"callbackUrl":42}"#).is_err());
        let ok = parse_invoke_body(
            br#"{"inputs":{"a":1},"context":{"c":2},"callbackUrl":"http://127.0.0.1:9/cb"}"#,
        );
        assert!(
            ok.is_ok_and(|r| r.inputs.len() == 1 && r.context.is_some() && r.callback.is_some())
        );
        assert!(parse_invoke_body(b"{}").is_ok_and(|r| r.inputs.is_empty()));
    }
}
