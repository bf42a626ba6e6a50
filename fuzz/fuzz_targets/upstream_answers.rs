//! Every answer an upstream can give: token, definition, invoke, status and error bodies, with
//! any status, headers and bytes; read by the core's parse functions, then fed, one answer per
//! request, through the invocation state machine and the single-request operations on virtual
//! time.
//!
//! Properties, besides "never panics":
//! - the invoke POST is sent again only after a 429 or a 401 (both refused before anything ran);
//! - every request goes to the configured action's URLs, with no empty or dot path segment;
//! - an operation ends (within the steps allowed) and stays ended; a waited-for instant is later
//!   than now;
//! - a finished invocation is terminal (or `pending` when asked for) with an audit record;
//! - no error message carries the client secret.
#![no_main]

mod common;

use arbitrary::{Result, Unstructured};
use cxone_data_actions::core::definition::{parse_definition_response, ActionDefinition, DefinitionAnswer, OutputParameter, ParamType};
use cxone_data_actions::core::action_list::ActionList;
use cxone_data_actions::core::profile::cxone_seed::parse_upstream_errors;
use cxone_data_actions::core::profile::{genesys_cloud, Profile};
use cxone_data_actions::core::invocation::{is_terminal, parse_status_body};
use cxone_data_actions::core::operation::{response_error, Operation, Step};
use cxone_data_actions::core::retry::RetryableFailure;
use cxone_data_actions::core::token::{parse_token_answer, parse_token_response};
use cxone_data_actions::core::{
    ClientConfig, ClientCore, DataActionsError, DefinitionSource, HttpResponse, InvokeOptions, RequestPurpose, TransportFailure,
    TransportFailureKind,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const BASE: &str = "http://upstream.test";
const SECRET: &str = "fuzz-client-secret-value";
const ACTION: &str = "act";
const KEYS: &[&str] = &[
    "invokeId", "status", "outputs", "errors", "code", "message", "parameter", "access_token", "expires_in", "scope",
    "error", "error_description", "id", "inputs", "name", "type", "required", "count", "ok",
];
const STATUSES: &[u16] = &[200, 202, 204, 301, 302, 304, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504];
const PURPOSES: &[RequestPurpose] =
    &[RequestPurpose::Token, RequestPurpose::Definition, RequestPurpose::Invoke, RequestPurpose::Status, RequestPurpose::Cancel];

fn body(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => u.arbitrary::<&[u8]>()?.to_vec(),
        1 => common::value(u, 3, KEYS)?.to_string().into_bytes(),
        _ => {
            let mut object = common::object(u, 2, KEYS)?;
            if u.arbitrary()? {
                object.insert("invokeId".into(), Value::String(common::text(u)?));
            }
            if u.arbitrary()? {
                object.insert("status".into(), Value::String(common::text(u)?));
            }
            Value::Object(object).to_string().into_bytes()
        }
    })
}

fn answer(u: &mut Unstructured<'_>) -> Result<std::result::Result<HttpResponse, TransportFailure>> {
    if u.ratio(1, 12)? {
        let kind = *u.choose(&[
            TransportFailureKind::Timeout,
            TransportFailureKind::Network,
            TransportFailureKind::Aborted,
            TransportFailureKind::Refused,
        ])?;
        return Ok(Err(TransportFailure::new(kind, common::text(u)?)));
    }
    let status = if u.ratio(7, 8)? { *u.choose(STATUSES)? } else { u.arbitrary()? };
    let mut headers = Vec::new();
    for _ in 0..u.int_in_range(0..=2u8)? {
        let name = *u.choose(&["Retry-After", "ETag", "Location", "content-type"])?;
        let value = match u.int_in_range(0..=2u8)? {
            0 => u.int_in_range(0..=120u32)?.to_string(),
            1 => httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(u.int_in_range(0..=4_102_444_800u64)?)),
            _ => common::text(u)?,
        };
        headers.push((name.to_string(), value));
    }
    Ok(Ok(HttpResponse { status, headers, body: body(u)? }))
}

fn no_secret(error: &DataActionsError) {
    let shown = format!("{error} {error:?} {:?}", error.details());
    assert!(!shown.contains(SECRET), "the secret leaked: {shown}");
}

/// Every parse function of the core on one answer.
fn parse_everything(response: &HttpResponse, now_ms: u64, invoke_id: Option<&str>) {
    match parse_token_response(response, now_ms) {
        Ok(record) => {
            assert!(!record.access_token.is_empty());
            assert!(record.expires_at_ms >= now_ms && record.obtained_at_ms == now_ms);
        }
        Err(error) => no_secret(&error),
    }
    if let Ok(DefinitionAnswer::Fetched(definition, _)) = parse_definition_response(response) {
        assert!(cxone_data_actions::core::definition::check_action_id(&definition.id).is_ok(), "{:?}", definition.id);
    }
    if let Ok(status) = parse_status_body(response, invoke_id) {
        assert_eq!(status.status, status.status.to_ascii_lowercase());
    }
    for &purpose in PURPOSES {
        let error = response_error(response, purpose, invoke_id);
        assert!(!error.code().is_empty());
        let _ = (error.to_string(), error.details(), error.retryable());
        // The kinds that can name the invocation do, so a caller can still follow it.
        if let (Some(id), "not_found" | "execution_failed" | "timeout" | "upstream") = (invoke_id, error.code()) {
            assert_eq!(error.invoke_id(), Some(id), "{error:?}");
        }
    }
    let _ = parse_upstream_errors(&response.body);
    let _ = RetryableFailure::from_response(response, now_ms);
    parse_everything_genesys(response, now_ms, invoke_id);
}

/// The genesys-cloud profile's parsers on the same answer.
fn parse_everything_genesys(response: &HttpResponse, now_ms: u64, invoke_id: Option<&str>) {
    if let Ok(DefinitionAnswer::Fetched(definition, _)) = genesys_cloud::parse_action(response) {
        assert!(cxone_data_actions::core::definition::check_action_id(&definition.id).is_ok(), "{:?}", definition.id);
        assert_eq!(definition.extra.get("mode").and_then(|m| m.as_str()), Some("sync"));
    }
    if let Ok(status) = genesys_cloud::read_invoke_answer(response) {
        assert_eq!((status.status.as_str(), status.invoke_id.as_str()), ("completed", ""));
    }
    if let Ok(ActionList::Page(page)) = genesys_cloud::parse_list_response(response, now_ms) {
        for action in &page.actions {
            assert!(cxone_data_actions::core::definition::check_action_id(&action.id).is_ok(), "{:?}", action.id);
        }
        if let Some(token) = &page.next_page_token {
            assert!(token.parse::<u64>().is_ok_and(|n| (1..=genesys_cloud::MAX_PAGE_NUMBER).contains(&n)), "{token}");
        }
    }
    if let Err(error) = parse_token_answer(response, now_ms, Profile::GenesysCloud) {
        no_secret(&error);
    }
    for &purpose in PURPOSES {
        let error = Profile::GenesysCloud.response_error(response, purpose, invoke_id);
        assert!(!error.code().is_empty());
        let _ = (error.to_string(), error.details(), error.retryable());
    }
    let body = genesys_cloud::read_error_body(&response.body);
    assert!(body.issues.iter().all(|issue| !issue.parameter.is_empty()));
}

/// The path of a request URL below the action's URL, checked segment by segment.
fn check_url(url: &str) {
    let prefix = format!("{BASE}/api/v2/data-actions/{ACTION}");
    let token = format!("{BASE}/oauth2/token");
    if url == token {
        return;
    }
    let rest = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("a request outside the action: {url}"));
    for segment in rest.split('/').skip(1) {
        let decoded = segment.replace("%2e", ".").replace("%2E", ".");
        assert!(!decoded.is_empty() && decoded != "." && decoded != "..", "a dot or empty segment in {url}");
    }
    assert!(!rest.contains(['?', '#']), "{url}");
}

struct Run {
    now_ms: u64,
    invokes: u32,
    last_invoke_status: Option<u16>,
}

/// Drives an operation with the fuzzer's answers; `None` when the steps ran out.
fn drive<O: Operation>(
    operation: &mut O,
    core: &mut ClientCore,
    u: &mut Unstructured<'_>,
    run: &mut Run,
) -> Result<Option<std::result::Result<O::Output, DataActionsError>>> {
    for _ in 0..48 {
        match operation.poll(run.now_ms) {
            Step::Send(request) => {
                check_url(&request.url);
                if request.purpose == RequestPurpose::Invoke {
                    if run.invokes > 0 {
                        assert!(
                            matches!(run.last_invoke_status, Some(429 | 401)),
                            "the invoke POST was repeated after {:?}",
                            run.last_invoke_status
                        );
                    }
                    run.invokes += 1;
                }
                let result = answer(u)?;
                if let Ok(response) = &result {
                    parse_everything(response, run.now_ms, None);
                }
                if request.purpose == RequestPurpose::Invoke {
                    run.last_invoke_status = result.as_ref().ok().map(|r| r.status);
                }
                run.now_ms = run.now_ms.saturating_add(u.int_in_range(0..=3_000u64)?);
                operation.handle_response(result, &mut core.governor, run.now_ms);
            }
            Step::WaitUntil(at) => {
                assert!(at > run.now_ms, "a wait for the past");
                run.now_ms = at;
            }
            Step::RefreshToken => {}
            Step::Done(result) => {
                assert!(matches!(operation.poll(run.now_ms), Step::Done(Err(_))), "an ended operation went on");
                if let Err(error) = &result {
                    no_secret(error);
                }
                return Ok(Some(result));
            }
        }
        if u.is_empty() {
            // Out of answers: a caller gives up.
            operation.cancel();
        }
    }
    Ok(None)
}

fn check(u: &mut Unstructured<'_>) -> Result<()> {
    let now_ms = u.int_in_range(0..=4_102_444_800_000u64)?;
    // The parsers alone, on one answer.
    if let Ok(response) = answer(u)? {
        let invoke_id = if u.arbitrary()? { Some(common::text(u)?) } else { None };
        parse_everything(&response, now_ms, invoke_id.as_deref());
    }

    let config = ClientConfig::from_json(&format!(
        r#"{{"baseUrl":"{BASE}","clientId":"id","clientSecret":"{SECRET}","retry":{{"maxAttempts":{}}}}}"#,
        u.int_in_range(1..=4u8)?
    ))
    .expect("the fuzz configuration is valid");
    let mut core = ClientCore::new(config, u.arbitrary()?);
    let mut run = Run { now_ms, invokes: 0, last_invoke_status: None };

    match u.int_in_range(0..=5u8)? {
        0 => {
            let mut operation = core.token_operation();
            let _ = drive(&mut operation, &mut core, u, &mut run)?;
        }
        1 => {
            if let Ok(DefinitionSource::Fetch(mut operation)) = core.definition(ACTION, run.now_ms) {
                if let Some(Ok(answer)) = drive(&mut *operation, &mut core, u, &mut run)? {
                    let _ = core.store_definition(ACTION, answer, run.now_ms);
                }
            }
        }
        2 => {
            let invoke_id = common::text(u)?;
            if let Ok(mut operation) = core.status_operation(ACTION, &invoke_id) {
                let _ = drive(&mut operation, &mut core, u, &mut run)?;
            }
        }
        _ => {
            let definition = ActionDefinition {
                id: ACTION.into(),
                inputs: Vec::new(),
                outputs: vec![
                    OutputParameter { name: "count".into(), param_type: ParamType::Integer },
                    OutputParameter { name: "ok".into(), param_type: ParamType::Boolean },
                ],
                input_schema: None,
                output_schema: None,
                extra: Map::new(),
            };
            let accept_pending = u.arbitrary()?;
            let options = InvokeOptions {
                context: if u.arbitrary()? { Some(common::value(u, 2, KEYS)?) } else { None },
                callback_url: if u.arbitrary()? { Some("https://proxy.test/v1/callbacks/x/y".into()) } else { None },
                max_poll_ms: Some(u.int_in_range(1..=120_000u64)?),
                accept_pending,
            };
            let mut operation = core.invoke_operation(&definition, &Value::Object(Map::new()), options, run.now_ms).expect("no inputs to refuse");
            if let Some(Ok(result)) = drive(&mut operation, &mut core, u, &mut run)? {
                    let pending = result.status == "pending";
                    assert!(is_terminal(&result.status) || (accept_pending && pending), "ended in {:?}", result.status);
                    assert_eq!(result.audit.is_some(), !pending);
                    if let Some(audit) = &result.audit {
                        assert_eq!(audit.payload_hash.len(), 64);
                        assert_eq!(audit.action_id, ACTION);
                    }
                    if pending {
                        assert!(result.invoke_id.is_some(), "pending without an invokeId to follow");
                    }
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = check(&mut Unstructured::new(data));
});
