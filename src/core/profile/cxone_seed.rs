//! The `cxone-seed` profile: the tutorial's data-actions contract, byte for byte what this client
//! always spoke. A client-credentials grant at `{base}/oauth2/token` (form-encoded, with scopes);
//! `GET {base}/api/v2/data-actions/{id}` (the definition as it is, with an ETag);
//! `POST …/{id}/invoke` with `{inputs, context, callbackUrl?}`, answered 200 or 202 `{invokeId}`;
//! `GET …/{id}/invoke/{invokeId}`; `GET {base}/api/v2/data-actions?pageSize=&pageToken=`; errors
//! `{errors: [{code, message, parameter?}]}` (or OAuth's `{error, error_description}`). The `cxone`
//! profile uses the same data-action paths.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::core::action_list::{ActionList, ActionPage, ActionSummary, MAX_PAGE_SIZE, MAX_PAGE_TOKEN_LEN};
use crate::core::audit::{payload_hash, payload_hash_of_json};
use crate::core::config::ClientConfig;
use crate::core::definition::{check_action_id, definition_get, parse_definition_response, ActionDefinition, DefinitionAnswer};
use crate::core::error::{parameter_pointer, upstream_error_from_value, DataActionsError, IssueKind, UpstreamError, UpstreamErrorBody, ValidationIssue};
use crate::core::http::{encode_path_segment, form_encode, HttpRequest, HttpResponse, Method, RequestPurpose};
use crate::core::invocation::{invoke_post, parse_status_body, InvocationStatus, InvokeOptions};
use crate::core::operation::{response_error, SingleRequest};
use crate::core::token::{parse_token_response, TokenRecord};

fn bad(message: impl Into<String>) -> DataActionsError {
    DataActionsError::BadInput { message: message.into() }
}

/// The token request (`POST {token_url}`, form-encoded client credentials).
pub fn token_request(config: &ClientConfig) -> HttpRequest {
    let scope = config.scopes.join(" ");
    let body = form_encode(&[
        ("grant_type", "client_credentials"),
        ("client_id", &config.client_id),
        ("client_secret", config.client_secret.expose()),
        ("scope", &scope),
    ]);
    HttpRequest {
        purpose: RequestPurpose::Token,
        method: Method::Post,
        url: config.token_url.clone(),
        headers: vec![
            ("content-type".into(), "application/x-www-form-urlencoded".into()),
            ("accept".into(), "application/json".into()),
        ],
        body: Some(body.into_bytes()),
        timeout_ms: config.request_timeout_ms,
        needs_auth: false,
    }
}

/// The token operation (client credentials).
pub fn token_operation(config: &ClientConfig) -> SingleRequest<TokenRecord> {
    SingleRequest::new(token_request(config), parse_token_response)
}

/// `{base}/api/v2/data-actions/{id}`.
pub fn action_url(base_url: &str, action_id: &str) -> String {
    format!("{base_url}/api/v2/data-actions/{}", encode_path_segment(action_id))
}

/// The definition request, conditional when an ETag is known.
pub fn definition_request(config: &ClientConfig, action_id: &str, etag: Option<&str>) -> HttpRequest {
    definition_get(action_url(&config.base_url, action_id), etag, config.request_timeout_ms)
}

/// The definition operation: 200 (a definition) or 304 (the cached one is current).
pub fn definition_operation(config: &ClientConfig, action_id: &str, etag: Option<&str>) -> SingleRequest<DefinitionAnswer> {
    fn parse(response: &HttpResponse, _now: u64) -> Result<DefinitionAnswer, DataActionsError> {
        if response.status != 200 && response.status != 304 {
            return Err(response_error(response, RequestPurpose::Definition, None));
        }
        parse_definition_response(response)
    }
    SingleRequest::new(definition_request(config, action_id, etag), parse)
}

/// The request for one page: `page_size` from 1 to [`MAX_PAGE_SIZE`], `page_token` as the previous
/// page gave it.
pub fn list_request(config: &ClientConfig, page_token: Option<&str>, page_size: u32) -> Result<HttpRequest, DataActionsError> {
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(bad(format!("the page size must be from 1 to {MAX_PAGE_SIZE}")));
    }
    let size = page_size.to_string();
    let mut pairs = vec![("pageSize", size.as_str())];
    if let Some(token) = page_token {
        if token.is_empty() || token.len() > MAX_PAGE_TOKEN_LEN {
            return Err(bad(format!("a page token must be 1 to {MAX_PAGE_TOKEN_LEN} characters")));
        }
        pairs.push(("pageToken", token));
    }
    Ok(HttpRequest {
        purpose: RequestPurpose::List,
        method: Method::Get,
        url: format!("{}/api/v2/data-actions?{}", config.base_url, form_encode(&pairs)),
        headers: vec![("accept".to_string(), "application/json".to_string())],
        body: None,
        timeout_ms: config.request_timeout_ms,
        needs_auth: true,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageBody {
    actions: Vec<Value>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// Reads a list answer. Entries whose id this client could not use (see [`check_action_id`]) are
/// left out; an answer that is not a page is an `upstream` error; other statuses map as usual.
pub fn parse_list_response(response: &HttpResponse, _now_ms: u64) -> Result<ActionList, DataActionsError> {
    match response.status {
        200 => {}
        404 | 405 | 501 => return Ok(ActionList::Unsupported { status: response.status }),
        _ => return Err(response_error(response, RequestPurpose::List, None)),
    }
    let malformed = |what: String| DataActionsError::Upstream {
        correlation_id: None,
        status: response.status,
        upstream_code: None,
        message: format!("malformed action list: {what}"),
        invoke_id: None,
        retryable: false,
    };
    let body: PageBody = serde_json::from_slice(&response.body)
        .map_err(|e| malformed(format!("line {}, column {}", e.line(), e.column())))?;
    let actions = body
        .actions
        .into_iter()
        .filter_map(|entry| serde_json::from_value::<ActionSummary>(entry).ok())
        .filter(|summary| check_action_id(&summary.id).is_ok())
        .collect();
    let next_page_token = body.next_page_token.filter(|token| !token.is_empty());
    Ok(ActionList::Page(ActionPage { actions, next_page_token }))
}

/// The list operation of one page.
pub fn list_operation(config: &ClientConfig, page_token: Option<&str>, page_size: u32) -> Result<SingleRequest<ActionList>, DataActionsError> {
    Ok(SingleRequest::new(list_request(config, page_token, page_size)?, parse_list_response))
}

/// `{base}/api/v2/data-actions/{id}/invoke/{invokeId}`.
pub fn status_url(config: &ClientConfig, action_id: &str, invoke_id: &str) -> String {
    format!("{}/invoke/{}", action_url(&config.base_url, action_id), encode_path_segment(invoke_id))
}

/// The status request of one invocation.
pub fn status_request(config: &ClientConfig, action_id: &str, invoke_id: &str) -> HttpRequest {
    status_request_at(&action_url(&config.base_url, action_id), invoke_id, config.request_timeout_ms)
}

pub fn status_request_at(action_url: &str, invoke_id: &str, timeout_ms: u64) -> HttpRequest {
    HttpRequest {
        purpose: RequestPurpose::Status,
        method: Method::Get,
        url: format!("{action_url}/invoke/{}", encode_path_segment(invoke_id)),
        headers: vec![("accept".into(), "application/json".into())],
        body: None,
        timeout_ms,
        needs_auth: true,
    }
}

/// One status request (with retries), as an operation.
pub fn status_operation(config: &ClientConfig, action_id: &str, invoke_id: &str) -> SingleRequest<InvocationStatus> {
    fn parse(response: &HttpResponse, _now: u64) -> Result<InvocationStatus, DataActionsError> {
        if response.status != 200 {
            return Err(response_error(response, RequestPurpose::Status, None));
        }
        parse_status_body(response, None)
    }
    SingleRequest::new(status_request(config, action_id, invoke_id), parse).for_invocation(invoke_id)
}

/// The invoke request (`POST {action}/invoke` with `{inputs, context, callbackUrl?}`) and the
/// audit hash of `{inputs, context}`.
pub fn invoke_request(config: &ClientConfig, definition: &ActionDefinition, inputs: Map<String, Value>, options: &InvokeOptions) -> (HttpRequest, String) {
    let context = options.context.clone().unwrap_or_else(|| Value::Object(Map::new()));
    let mut payload = Map::new();
    payload.insert("inputs".into(), Value::Object(inputs));
    payload.insert("context".into(), context);
    let mut audit_payload = Value::Object(payload);
    let (body, payload_hash) = match &options.callback_url {
        None => {
            let body = serde_json::to_vec(&audit_payload).unwrap_or_default();
            let hash = payload_hash_of_json(&audit_payload, &body);
            (body, hash)
        }
        Some(url) => {
            let hash = payload_hash(&audit_payload);
            if let Some(object) = audit_payload.as_object_mut() {
                object.insert("callbackUrl".into(), Value::String(url.clone()));
            }
            (serde_json::to_vec(&audit_payload).unwrap_or_default(), hash)
        }
    };
    let url = format!("{}/invoke", action_url(&config.base_url, &definition.id));
    (invoke_post(url, body, config.request_timeout_ms), payload_hash)
}

/// Reads a 200 or 202 invoke answer: `{invokeId, status, outputs?, errors?}`; a 200 without an
/// `invokeId` is a sync answer whose outputs may still be there.
pub fn read_invoke_answer(response: &HttpResponse) -> Result<InvocationStatus, DataActionsError> {
    match parse_status_body(response, None) {
        Ok(status) => Ok(status),
        Err(_) if response.status == 200 => match serde_json::from_slice::<Value>(&response.body) {
            Ok(Value::Object(body)) => Ok(InvocationStatus {
                invoke_id: String::new(),
                status: body.get("status").and_then(Value::as_str).unwrap_or("completed").to_ascii_lowercase(),
                outputs: body.get("outputs").and_then(Value::as_object).cloned().unwrap_or_default(),
                errors: body
                    .get("errors")
                    .and_then(Value::as_array)
                    .map(|l| l.iter().map(upstream_error_from_value).collect())
                    .unwrap_or_default(),
            }),
            _ => Err(DataActionsError::Upstream {
                correlation_id: None,
                status: 200,
                upstream_code: None,
                message: "the invoke answer is not a JSON object".into(),
                invoke_id: None,
                retryable: false,
            }),
        },
        Err(error) => Err(error),
    }
}

/// Reads `errors: [{code, message}]` (or OAuth's `{error, error_description}`) from a body.
pub fn parse_upstream_errors(body: &[u8]) -> Vec<UpstreamError> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    if let Some(list) = value.get("errors").and_then(|e| e.as_array()) {
        return list.iter().map(upstream_error_from_value).collect();
    }
    if let Some(code) = value.get("error").and_then(|e| e.as_str()) {
        let message = value
            .get("error_description")
            .and_then(|d| d.as_str())
            .unwrap_or(code)
            .to_string();
        return vec![UpstreamError { code: code.to_string(), message }];
    }
    Vec::new()
}

/// The seed's error body: its errors, and, for a 422, each entry's `parameter` as an issue.
pub fn read_error_body(body: &[u8]) -> UpstreamErrorBody {
    UpstreamErrorBody { errors: parse_upstream_errors(body), correlation_id: None, issues: upstream_issues(body) }
}

/// 422 bodies list `errors[]` with an optional `parameter`: each becomes an issue.
fn upstream_issues(body: &[u8]) -> Vec<ValidationIssue> {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let list = value.get("errors").and_then(Value::as_array).cloned().unwrap_or_default();
    list.iter()
        .map(|entry| {
            let code = entry.get("code").and_then(Value::as_str).unwrap_or_default();
            let parameter = entry.get("parameter").and_then(Value::as_str).unwrap_or_default().to_string();
            ValidationIssue {
                pointer: if parameter.is_empty() { String::new() } else { parameter_pointer(&parameter) },
                parameter,
                kind: match code {
                    "MISSING_REQUIRED" => IssueKind::MissingRequired,
                    "UNKNOWN_PARAMETER" => IssueKind::UnknownParameter,
                    _ => IssueKind::WrongType,
                },
                expected: None,
                message: entry.get("message").and_then(Value::as_str).unwrap_or("invalid input").to_string(),
            }
        })
        .collect()
}
