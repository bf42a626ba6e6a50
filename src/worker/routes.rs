//! Dispatch: the route table, CORS, caller authentication and one access-log line per request.
//!
//! | route                                   | auth    |
//! |-----------------------------------------|---------|
//! | `GET /healthz`                          | none    |
//! | `GET /v1/actions/{actionId}`            | API key |
//! | `POST /v1/actions/{actionId}/validate`  | API key |
//! | `POST /v1/actions/{actionId}/invoke`    | API key |
//! | `GET /v1/invocations/{invocationId}`    | API key |
//! | `POST /v1/callbacks/{invocationId}/{token}` | the capability token (+ signature) |
//!
//! `OPTIONS` answers CORS preflights for the origins in `ALLOWED_ORIGINS`; other origins get no
//! CORS headers at all.

use std::rc::Rc;

use serde_json::{json, Value};
use worker::{Context, Env, Method, Request, Response};

use super::app::App;
use super::env::read_settings;
use super::http::{empty_response, header, ApiError};
use super::log::Log;
use super::random::request_id;
use super::usage::Usage;
use super::{actions, callbacks, health, invocations, invoke};
use crate::core::auth::{api_key_matches, bearer_token};
use crate::core::proxy::cors::{allowed_origin, cors_headers};
use crate::core::proxy::request::redact_path;
use crate::core::proxy::settings::{ProxySettings, SettingProblem};
use crate::driver::Runtime;
use crate::transport::js_runtime::JsRuntime;

/// Who may call a route.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone.
    Public,
    /// Callers with an API key.
    ApiKey,
    /// The upstream, with a capability URL.
    Capability,
}

/// A matched route.
enum Route<'a> {
    Health,
    Definition(&'a str),
    Validate(&'a str),
    Invoke(&'a str),
    Invocation(&'a str),
    Callback(&'a str, &'a str),
}

impl Route<'_> {
    fn access(&self) -> Access {
        match self {
            Route::Health => Access::Public,
            Route::Callback(..) => Access::Capability,
            _ => Access::ApiKey,
        }
    }
}

/// The route for a path and method: `Err(404)` for unknown paths, `Err(405)` for a known path
/// with another method.
fn route<'a>(method: &Method, segments: &[&'a str]) -> Result<Route<'a>, ApiError> {
    let get = matches!(method, Method::Get | Method::Head);
    let post = matches!(method, Method::Post);
    let (route, allowed) = match segments {
        ["healthz"] => (Route::Health, get),
        ["v1", "actions", id] => (Route::Definition(id), get),
        ["v1", "actions", id, "validate"] => (Route::Validate(id), post),
        ["v1", "actions", id, "invoke"] => (Route::Invoke(id), post),
        ["v1", "invocations", id] => (Route::Invocation(id), get),
        ["v1", "callbacks", id, token] => (Route::Callback(id, token), post),
        _ => return Err(ApiError::not_found("no such route")),
    };
    if allowed {
        Ok(route)
    } else {
        let allow = if matches!(route, Route::Health | Route::Definition(_) | Route::Invocation(_)) { "GET, HEAD, OPTIONS" } else { "POST, OPTIONS" };
        Err(ApiError::new(405, "method_not_allowed", format!("{} is not allowed here (allowed: {allow})", method.as_ref())).with_header("allow", allow))
    }
}

/// Answers one request; never fails (errors become JSON answers).
pub async fn handle(mut req: Request, env: Env, ctx: Context) -> Response {
    let started = JsRuntime::new().now_ms();
    let request_id = request_id();
    let log = Log::new(&request_id);
    let usage = Rc::new(Usage::default());
    let method = req.method();
    let path = req.path();
    let settings = read_settings(&env);
    let origin = header(&req, "origin");
    let cors_origin = settings.as_ref().ok().and_then(|s| allowed_origin(&s.allowed_origins, origin.as_deref())).map(str::to_string);

    let mut response = if method == Method::Options {
        preflight(cors_origin.as_deref(), origin.is_some())
    } else {
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let outcome = match route(&method, &segments) {
            Ok(route) => serve(route, &mut req, &env, &ctx, &log, &usage, settings).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(response) => response,
            Err(error) => {
                log.annotate("errorCode", json!(error.code()));
                log.annotate("error", json!(error.message()));
                error.into_response()
            }
        }
    };

    let headers = response.headers_mut();
    let _ = headers.set("x-request-id", &request_id);
    if origin.is_some() {
        let _ = headers.append("vary", "Origin");
    }
    if let (Some(origin), false) = (cors_origin.as_deref(), method == Method::Options) {
        for (name, value) in cors_headers(origin, false) {
            let _ = headers.set(name, &value);
        }
    }
    let mut line = json!({
        "method": method.as_ref(),
        "path": redact_path(&path),
        "status": response.status_code(),
        "ms": JsRuntime::new().now_ms().saturating_sub(started),
    });
    if let (Some(line), Value::Object(extra)) = (line.as_object_mut(), log.annotations()) {
        line.extend(extra);
    }
    if let Some(line) = line.as_object_mut() {
        line.insert("usage".into(), usage.fields());
    }
    if response.status_code() >= 500 {
        log.warn("request", line);
    } else {
        log.info("request", line);
    }
    response
}

/// `OPTIONS`: a preflight from an allowed origin gets the CORS headers; one from another origin
/// gets 403 without them; a plain `OPTIONS` gets the methods.
fn preflight(cors_origin: Option<&str>, has_origin: bool) -> Response {
    match (cors_origin, has_origin) {
        (Some(origin), _) => empty_response(204, &cors_headers(origin, true)),
        (None, true) => ApiError::new(403, "forbidden", "this origin is not allowed").into_response(),
        (None, false) => empty_response(204, &[("allow", "GET, HEAD, POST, OPTIONS".to_string())]),
    }
}

/// Runs a matched route: settings and authentication first.
async fn serve(
    route: Route<'_>,
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    log: &Log,
    usage: &Rc<Usage>,
    settings: Result<ProxySettings, Vec<SettingProblem>>,
) -> Result<Response, ApiError> {
    if let Route::Health = route {
        return Ok(health::healthz(&settings));
    }
    let settings = settings.map_err(|problems| ApiError::misconfigured(&problems))?;
    let authorization = header(req, "authorization");
    if route.access() == Access::ApiKey && !api_key_matches(&settings.api_keys, authorization.as_deref()) {
        let message = if authorization.is_some() { "the API key is not valid" } else { "an API key is required: Authorization: Bearer <key>" };
        return Err(ApiError::unauthorized(message).with_header("www-authenticate", "Bearer"));
    }
    let caller = bearer_token(authorization.as_deref()).unwrap_or_default().to_string();
    let app = App::new(settings, env, log.clone(), Rc::clone(usage)).map_err(|e| ApiError::storage(&e.0))?;
    match route {
        Route::Health => Ok(health::healthz(&Ok(app.settings().clone()))),
        Route::Definition(id) => actions::definition(&app, id).await,
        Route::Validate(id) => actions::validate(&app, req, id).await,
        Route::Invoke(id) => invoke::invoke(&app, ctx, req, id, &caller).await,
        Route::Invocation(id) => invocations::get(&app, req, id).await,
        Route::Callback(id, token) => callbacks::handle(&app, req, id, token).await,
    }
}
