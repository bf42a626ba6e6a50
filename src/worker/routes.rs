//! Dispatch: the route table, CORS, caller authentication and one access-log line per request.
//!
//! | route                                   | auth    |
//! |-----------------------------------------|---------|
//! | `GET /`                                 | none    |
//! | `GET /healthz`                          | none    |
//! | `GET /openapi.json`                     | none    |
//! | `GET /v1/actions?cursor=&limit=`        | API key |
//! | `GET /v1/actions/{actionId}`            | API key |
//! | `POST /v1/actions/{actionId}/validate`  | API key |
//! | `POST /v1/actions/{actionId}/invoke`    | API key |
//! | `GET /v1/invocations`                   | API key |
//! | `GET /v1/invocations/{invocationId}`    | API key |
//! | `POST /v1/callbacks/{invocationId}/{token}` | the capability token (+ signature) |
//!
//! `OPTIONS` answers CORS preflights for the origins in `ALLOWED_ORIGINS`; other origins get no
//! CORS headers at all.

use std::rc::Rc;

use serde_json::json;
use wasm_bindgen::JsValue;

use super::app::App;
use super::env::read_settings;
use super::http::{empty_response, header, Answer, ApiError, Incoming};
use super::log::{AccessFields, Log};
use super::platform::{Context, Env};
use super::random::request_id;
use super::usage::Usage;
use super::{action_list, actions, callbacks, health, history, home, invocations, invoke, openapi};
use crate::core::auth::{api_key_matches, bearer_token};
use crate::core::proxy::cors::{allowed_origin, cors_headers};
use crate::core::proxy::request::redact_path;
use crate::core::proxy::settings::{ProxySettings, SettingProblem};
use crate::driver::Runtime;
use crate::transport::js_runtime::JsRuntime;

/// The answer for a path under `/admin/` that is not one of the console's files (those are static
/// assets, served before the Worker runs).
const CONSOLE_NOT_FOUND: &str = "no such console file (the console is at /admin/; its files are built by scripts/build-console.sh)";

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
    Home,
    OpenApi,
    Console,
    Actions,
    Health,
    Definition(&'a str),
    Validate(&'a str),
    Invoke(&'a str),
    Invocation(&'a str),
    History,
    Callback(&'a str, &'a str),
}

impl Route<'_> {
    fn access(&self) -> Access {
        match self {
            Route::Health | Route::Home | Route::OpenApi | Route::Console => Access::Public,
            Route::Callback(..) => Access::Capability,
            _ => Access::ApiKey,
        }
    }
}

/// The route a path names, whatever the method.
fn matched<'a>(segments: &[&'a str]) -> Option<Route<'a>> {
    Some(match segments {
        [""] => Route::Home,
        ["openapi.json"] => Route::OpenApi,
        ["admin", ..] => Route::Console,
        ["healthz"] => Route::Health,
        ["v1", "actions"] => Route::Actions,
        ["v1", "actions", id] => Route::Definition(id),
        ["v1", "actions", id, "validate"] => Route::Validate(id),
        ["v1", "actions", id, "invoke"] => Route::Invoke(id),
        ["v1", "invocations"] => Route::History,
        ["v1", "invocations", id] => Route::Invocation(id),
        ["v1", "callbacks", id, token] => Route::Callback(id, token),
        _ => return None,
    })
}

/// Whether a route is read with GET (and HEAD); the others take POST.
fn is_read(route: &Route<'_>) -> bool {
    matches!(
        route,
        Route::Home | Route::OpenApi | Route::Console | Route::Health | Route::Actions | Route::Definition(_) | Route::History | Route::Invocation(_)
    )
}

/// The methods a route answers (`Allow`).
fn allowed_methods(route: &Route<'_>) -> &'static str {
    if is_read(route) {
        "GET, HEAD, OPTIONS"
    } else {
        "POST, OPTIONS"
    }
}

/// The route for a path and method: `Err(404)` for unknown paths, `Err(405)` for a known path
/// with another method. `method` is the method as sent (compared without case, as the fetch
/// standard does for the usual ones); one this table does not know (PROPFIND, FOO...) is 405.
fn route<'a>(method: &str, segments: &[&'a str]) -> Result<Route<'a>, ApiError> {
    let route = matched(segments).ok_or_else(|| ApiError::not_found("no such route"))?;
    let allow = allowed_methods(&route);
    let allowed = if is_read(&route) {
        method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")
    } else {
        method.eq_ignore_ascii_case("POST")
    };
    if allowed {
        Ok(route)
    } else {
        Err(ApiError::new(405, "method_not_allowed", format!("{method} is not allowed here (allowed: {allow})")).with_header("allow", allow))
    }
}

/// Answers one request; never fails (errors become JSON answers). Resolves to what `entry.js`
/// expects: the JS `Response` and the access line it writes before returning it.
pub async fn handle(req: Incoming, env: Env, ctx: Context) -> JsValue {
    let started = JsRuntime::new().now_ms();
    let request_id = request_id();
    let log = Log::new(&request_id);
    let usage = Rc::new(Usage::default());
    let is_options = req.method.eq_ignore_ascii_case("OPTIONS");
    let settings = read_settings(&env);
    let origin = header(&req, "origin");
    let cors_origin = settings.as_ref().ok().and_then(|s| allowed_origin(&s.allowed_origins, origin.as_deref())).map(str::to_string);
    let segments: Vec<&str> = req.path.split('/').skip(1).collect();

    let mut answer = if is_options {
        preflight(cors_origin.as_deref(), origin.is_some(), matched(&segments).as_ref().map(allowed_methods))
    } else {
        let outcome = match route(&req.method, &segments) {
            Ok(route) => serve(route, &req, &env, &ctx, &log, &usage, settings).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(answer) => answer,
            Err(error) => {
                log.annotate("errorCode", json!(error.code()));
                log.annotate("error", json!(error.message()));
                error.into_response()
            }
        }
    };

    answer.set_header("x-request-id", request_id.clone());
    if origin.is_some() {
        answer.append_header("vary", "Origin");
    }
    if let (Some(origin), false) = (cors_origin.as_deref(), is_options) {
        for (name, value) in cors_headers(origin, false) {
            answer.set_header(name, value);
        }
    }
    let status = answer.status_code();
    let access = AccessFields {
        method: &req.method,
        path: &redact_path(&req.path),
        status,
        ms: JsRuntime::new().now_ms().saturating_sub(started),
        usage: usage.counts(),
    };
    let warn = status >= 500;
    let line = log.access_line(if warn { "warn" } else { "info" }, &access);
    answer.into_js(&line, warn, &request_id)
}

/// `OPTIONS`: a preflight from an allowed origin gets the CORS headers; one from another origin
/// gets 403 without them; a plain `OPTIONS` gets the route's methods (`allow`), or 404 for a path
/// that is no route.
fn preflight(cors_origin: Option<&str>, has_origin: bool, allow: Option<&str>) -> Answer {
    match (cors_origin, has_origin, allow) {
        (Some(origin), _, _) => empty_response(204, &cors_headers(origin, true)),
        (None, true, _) => ApiError::new(403, "forbidden", "this origin is not allowed").into_response(),
        (None, false, Some(allow)) => empty_response(204, &[("allow", allow.to_string())]),
        (None, false, None) => ApiError::not_found("no such route").into_response(),
    }
}

/// Runs a matched route: settings and authentication first.
async fn serve(
    route: Route<'_>,
    req: &Incoming,
    env: &Env,
    ctx: &Context,
    log: &Log,
    usage: &Rc<Usage>,
    settings: Result<ProxySettings, Vec<SettingProblem>>,
) -> Result<Answer, ApiError> {
    match route {
        Route::Health => return Ok(health::healthz(&settings)),
        Route::Home => return Ok(home::page()),
        Route::OpenApi => return openapi::document(env).await,
        Route::Console => return Err(ApiError::not_found(CONSOLE_NOT_FOUND)),
        _ => {}
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
        Route::Home => Ok(home::page()),
        Route::OpenApi => openapi::document(env).await,
        Route::Console => Err(ApiError::not_found(CONSOLE_NOT_FOUND)),
        Route::Actions => action_list::list(&app, req).await,
        Route::Definition(id) => actions::definition(&app, ctx, id).await,
        Route::Validate(id) => actions::validate(&app, ctx, req, id).await,
        Route::Invoke(id) => invoke::invoke(&app, req, id, &caller).await,
        Route::Invocation(id) => invocations::get(&app, req, id).await,
        Route::History => history::list(&app, req).await,
        Route::Callback(id, token) => callbacks::handle(&app, req, id, token).await,
    }
}
