//! `GET /api/v2/integrations/actions/{actionId}` (an `Action`; `expand=contract` adds its
//! contract, `includeConfig=true` its config) and `POST …/{actionId}/execute`: the body is
//! the input object itself, checked against the input schema (400 `bad.request` with a detail
//! per problem); the answer is the success-schema object. Execution is synchronous and
//! bounded by the action's `config.timeoutSeconds` (504 `request.timeout` past it); a failing
//! remote endpoint is 500 with the detail `ACTION.REMOTE_ENDPOINT`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::catalogue::{Action, Mode, Outcome};
use crate::clock::http_date_after;
use crate::errors::{json_response, with_cache_control};
use crate::genesys::contract::{action_body, check_inputs, Expand};
use crate::genesys::errors::{context_id, Detail, ErrorBody};
use crate::genesys::{find_action, gate, rate_limited};
use crate::invocations::{outcome_status, Invocation, Status};
use crate::routes::is_json_content_type;
use crate::state::AppState;
use crate::stats::Route;

fn bad_path(rejection: PathRejection) -> ErrorBody {
    ErrorBody::bad_request(format!("bad path: {}", rejection.body_text()))
}

fn flag(name: &str, value: &str) -> Result<bool, ErrorBody> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(ErrorBody::with_params(
            StatusCode::BAD_REQUEST,
            "invalid.value",
            "Value [{value}] is not valid for field type [{field}]. Allowable values are: true, false",
            &[("value", other), ("field", name)],
        )),
    }
}

/// Reads `expand`, `flatten` and `includeConfig`; other parameters are ignored. The emulated
/// contracts are flat already, so `flatten` changes nothing.
fn parse_get_query(query: Option<&str>) -> Result<Expand, ErrorBody> {
    let mut expand = Expand::default();
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "expand" => {
                for word in value.split(',') {
                    match word.trim() {
                        "contract" => expand.contract = true,
                        other => {
                            return Err(ErrorBody::with_params(
                                StatusCode::BAD_REQUEST,
                                "invalid.value",
                                "Value [{value}] is not valid for field type [expand]. Allowable values are: contract",
                                &[("value", other)],
                            ))
                        }
                    }
                }
            }
            "flatten" => {
                flag("flatten", &value)?;
            }
            "includeConfig" => expand.config = flag("includeConfig", &value)?,
            _ => {}
        }
    }
    Ok(expand)
}

/// `GET /api/v2/integrations/actions/{actionId}`.
pub async fn get_action(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    get_inner(&state, path, &uri, &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn get_inner(
    state: &AppState,
    path: Result<Path<String>, PathRejection>,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, ErrorBody> {
    let id = path.map(|Path(id)| id).map_err(bad_path);
    gate(state, Route::Definition, id.as_deref().ok(), headers).await?;
    let id = id?;
    let expand = parse_get_query(uri.query())?;
    let action = find_action(state, &id)?;
    Ok(with_cache_control(
        json_response(StatusCode::OK, &action_body(&action, expand)),
        "no-cache",
    ))
}

fn check_json_content_type(headers: &HeaderMap) -> Result<(), ErrorBody> {
    if is_json_content_type(headers) {
        Ok(())
    } else {
        Err(ErrorBody::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported.media.type",
            "Unsupported Media Type - Unsupported or incorrect media type, such as an incorrect Content-Type value in the header.",
        ))
    }
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ErrorBody> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(inputs)) => Ok(inputs),
        Ok(_) => Err(ErrorBody::bad_request(
            "The request body must be a JSON object of the action's inputs",
        )),
        Err(e) => Err(ErrorBody::bad_request(format!(
            "The request could not be understood by the server due to malformed syntax: {e}"
        ))),
    }
}

fn schema_error(issues: Vec<(String, Detail)>) -> ErrorBody {
    let (messages, details): (Vec<String>, Vec<Detail>) = issues.into_iter().unzip();
    let joined = messages.join("; ");
    ErrorBody::with_params(
        StatusCode::BAD_REQUEST,
        "bad.request",
        "The input does not match the action's input schema: {issues}",
        &[("issues", &joined)],
    )
    .with_details(details)
}

fn remote_failure(action: &Action) -> ErrorBody {
    let upstream = action
        .script
        .errors
        .first()
        .map(|e| e.message.as_str())
        .unwrap_or("the remote endpoint failed");
    ErrorBody::with_params(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal.server.error",
        "REST call for action execute failed. Message: Request to backend service failed. Response from web service: {upstream}",
        &[("upstream", upstream)],
    )
    .with_details(vec![Detail::new("ACTION.REMOTE_ENDPOINT")])
}

fn timed_out(action: &Action) -> ErrorBody {
    let seconds = action.timeout_seconds.to_string();
    ErrorBody::with_params(
        StatusCode::GATEWAY_TIMEOUT,
        "request.timeout",
        "The request timed out. The action did not complete within its timeout of {timeoutSeconds} seconds.",
        &[("timeoutSeconds", &seconds)],
    )
    .with_details(vec![Detail::new("ACTION.TIMEOUT")])
}

/// The throttled answer of the `number`-th (1-based) execute of a `rate-limited` action, with
/// the seed's alternating `Retry-After` forms (seconds, then an HTTP date).
fn scripted_rate_limit(number: u64, now: SystemTime) -> ErrorBody {
    if number % 2 == 1 {
        rate_limited("1".to_owned(), HeaderValue::from_static("1"))
    } else {
        let date = HeaderValue::from_str(&http_date_after(now, 1))
            .unwrap_or(HeaderValue::from_static("1"));
        rate_limited("1".to_owned(), date)
    }
}

/// `POST /api/v2/integrations/actions/{actionId}/execute`.
pub async fn execute(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    execute_inner(&state, path, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn execute_inner(
    state: &Arc<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ErrorBody> {
    let id = path.map(|Path(id)| id).map_err(bad_path);
    gate(state, Route::Invoke, id.as_deref().ok(), headers).await?;
    let id = id?;
    let action = find_action(state, &id)?;
    check_json_content_type(headers)?;
    let body = body.map_err(|rejection| {
        ErrorBody::new(rejection.status(), "bad.request", rejection.body_text())
    })?;
    let inputs = parse_body(&body)?;
    let issues = check_inputs(&action, &inputs);
    if !issues.is_empty() {
        return Err(schema_error(issues));
    }
    if action.rate_limited {
        let number = state.next_rate_limited();
        if number <= state.knobs().rate_limited_first {
            return Err(scripted_rate_limit(number, SystemTime::now()));
        }
    }
    let created = Instant::now();
    let created_wall = SystemTime::now();
    let timeout = Duration::from_secs(action.timeout_seconds);
    let run_for = action.script.duration(&inputs);
    let times_out = action.script.outcome == Outcome::Never || run_for > timeout;
    tokio::time::sleep(if times_out { timeout } else { run_for }).await;
    let invoke_id = format!("exe_{}", context_id().replace('-', ""));
    let (status, outputs, answer) = if times_out {
        (Status::Failed, None, Err(timed_out(&action)))
    } else {
        match action.script.outcome {
            Outcome::Completed => {
                let outputs = action.script.producer.produce(&invoke_id, &inputs);
                let response = json_response(StatusCode::OK, &outputs);
                (Status::Completed, Some(outputs), Ok(response))
            }
            _ => (
                outcome_status(action.script.outcome),
                None,
                Err(remote_failure(&action)),
            ),
        }
    };
    state.invocations().insert(Invocation {
        invoke_id,
        action_id: action.id.clone(),
        mode: Mode::Sync,
        created,
        created_wall,
        queued_for: Duration::ZERO,
        run_for: Some(created.elapsed()),
        outcome: status,
        outputs,
        errors: if status == Status::Completed {
            Vec::new()
        } else {
            action.script.errors.clone()
        },
        cancelled: None,
        inputs,
        context: None,
        callback: None,
    });
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_queries_are_read() {
        assert_eq!(
            parse_get_query(Some("expand=contract&flatten=false")).ok(),
            Some(Expand {
                contract: true,
                config: false
            })
        );
        assert_eq!(
            parse_get_query(Some("includeConfig=true")).ok(),
            Some(Expand {
                contract: false,
                config: true
            })
        );
        assert!(parse_get_query(Some("flatten=maybe")).is_err());
        assert!(parse_get_query(Some("expand=everything")).is_err());
    }

    #[test]
    fn execute_bodies_must_be_objects() {
        assert!(parse_body(b"[]").is_err());
        assert!(parse_body(b"{").is_err());
        assert!(parse_body(br#"{"customerId":"C1"}"#).is_ok_and(|m| m.len() == 1));
    }
}
