//! Proxy mode: the same calls as the direct client, sent to the Worker's HTTP API instead of the
//! upstream, so no client secret reaches a browser. The Worker holds the credentials, caches and
//! retries; this side only speaks its contract:
//!
//! - `GET  {proxy}/v1/actions?cursor=&limit=` -> `{actions: [{id, name, mode}], cursor, source}`;
//! - `GET  {proxy}/v1/actions/{id}` -> the definition;
//! - `POST {proxy}/v1/actions/{id}/validate` `{inputs}` -> `{valid: true, inputs}` (coerced) or 422;
//! - `POST {proxy}/v1/actions/{id}/invoke?wait=N` `{inputs, context?, callbackUrl?}` -> 200 with the
//!   finished invocation, or 202 `{invocationId, status: "pending"}`;
//! - `GET  {proxy}/v1/invocations/{invocationId}?wait=N` -> the invocation record;
//! - `GET  {proxy}/v1/invocations?cursor=&limit=&actionId=&status=` -> `{invocations, cursor}`;
//! - errors are `{error: {code, message, status?, retryable?, issues?, invokeId?}}`.
//!
//! Generic over the driver's [`Transport`] and [`Runtime`], so it is tested natively too.

// `ErrorDetails` is what the bindings hand to JS; on 64-bit targets (native tests) it passes
// clippy's 128-byte threshold for `Err` (on wasm32 it does not), and the error path is cold.
#![allow(clippy::result_large_err)]

use std::cell::RefCell;

use serde_json::{json, Map, Value};

use crate::core::record::RecordStatus;
use crate::core::retry::parse_retry_after;
use crate::core::callback::{parse_notification, CallbackAck, CallbackLedger};
use crate::core::definition::{check_action_id, ActionDefinition};
use crate::core::error::{parameter_pointer, ErrorDetails, IssueKind, ValidationIssue};
use crate::core::http::{encode_path_segment, form_encode, HttpRequest, HttpResponse, Method, RequestPurpose, TransportFailureKind};
use crate::core::invocation::{check_invoke_id, InvokeOptions, StatusEvent};
use crate::core::{DataActionsError, Secret};
use crate::driver::{CallOptions, CancelSignal, Runtime, Transport};

/// The error codes of the contract; anything else from a proxy is reported as `upstream`.
pub const ERROR_CODES: [&str; 13] = [
    "config",
    "unauthorized",
    "forbidden",
    "not_found",
    "validation",
    "rate_limited",
    "execution_failed",
    "timeout",
    "cancelled",
    "upstream",
    "transport",
    "bad_input",
    "not_supported_by_profile",
];

/// How long the Worker is asked to hold a request open (`?wait=`), in seconds.
pub const DEFAULT_WAIT_S: u64 = 25;

/// A status read faster than this with nothing new is followed by a short pause, so a proxy that
/// does not hold requests open is not polled in a tight loop.
const MIN_POLL_INTERVAL_MS: u64 = 500;

/// Idempotent GETs are retried this many times after a network failure or a 502/503.
const GET_RETRIES: u32 = 2;

/// A checked proxy configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    /// The Worker's origin (and path prefix), without a trailing slash.
    pub base_url: String,
    /// The API key sent as `Authorization: Bearer`.
    pub api_key: Secret,
    /// Per-request timeout, on top of the `wait` the Worker is asked for.
    pub timeout_ms: u64,
    /// Default longest wait for an invocation to finish.
    pub max_poll_ms: u64,
    /// `?wait=` in seconds.
    pub wait_s: u64,
}

impl ProxyConfig {
    /// Checks the fields; errors name the field.
    pub fn new(proxy_url: &str, api_key: &str, timeout_ms: Option<u64>, max_poll_ms: Option<u64>) -> Result<Self, DataActionsError> {
        let url = proxy_url.trim();
        let absolute = ["https://", "http://"].iter().any(|p| url.strip_prefix(p).is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/')));
        let relative = url.starts_with('/') && !url.starts_with("//");
        if !(absolute || relative) || url.contains(char::is_whitespace) || url.contains(['?', '#']) {
            return Err(config_error("proxyUrl", "must be an http(s) URL (or a path starting with /) without query"));
        }
        let api_key = api_key.trim();
        if api_key.is_empty() {
            return Err(config_error("apiKey", "is required with `proxyUrl`"));
        }
        let timeout_ms = timeout_ms.unwrap_or(30_000);
        if !(1..=600_000).contains(&timeout_ms) {
            return Err(config_error("timeoutMs", "must be between 1 and 600000"));
        }
        let max_poll_ms = max_poll_ms.unwrap_or(300_000);
        if max_poll_ms == 0 {
            return Err(config_error("maxPollMs", "must be positive"));
        }
        Ok(ProxyConfig {
            base_url: url.trim_end_matches('/').to_string(),
            api_key: Secret::new(api_key),
            timeout_ms,
            max_poll_ms,
            wait_s: DEFAULT_WAIT_S,
        })
    }
}

fn config_error(field: &str, reason: &str) -> DataActionsError {
    DataActionsError::Config { field: field.into(), reason: reason.into() }
}

/// Which page of a list to read: the `cursor` of the previous page, and how many entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// The previous page's `cursor`; `None` for the first page.
    pub cursor: Option<String>,
    /// Entries per page; `None` for the Worker's default.
    pub limit: Option<u32>,
}

impl PageRequest {
    fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        if let Some(cursor) = &self.cursor {
            pairs.push(("cursor", cursor.clone()));
        }
        pairs
    }
}

/// What only proxy mode offers for an invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyInvokeOptions {
    /// Sent as `Idempotency-Key`: a repeated call with the same key and request (a double click,
    /// a retry) gets the first invocation instead of running the action again.
    pub idempotency_key: Option<String>,
    /// How long the invoke request asks the Worker to wait for the end (at most [`DEFAULT_WAIT_S`],
    /// the default); 0 answers at once, `pending` for an asynchronous action, so that a caller
    /// sees the status change when it happens (the follow-up reads still wait).
    pub first_wait_s: Option<u64>,
}

/// Filters of the invocation history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvocationFilter {
    /// Only this action's invocations.
    pub action_id: Option<String>,
    /// Only invocations with this status (`pending`, `completed`, ...).
    pub status: Option<String>,
}

/// `?a=1&b=2` from pairs (empty when there are none).
fn query_string(pairs: &[(&'static str, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format!("?{}", form_encode(&borrowed))
}

/// A client of the Worker's API.
pub struct ProxyClient<T, R> {
    config: ProxyConfig,
    transport: T,
    runtime: R,
    callbacks: RefCell<CallbackLedger>,
}

impl<T, R> ProxyClient<T, R>
where
    R: Runtime,
    T: Transport<R::Signal>,
{
    /// A client.
    pub fn new(config: ProxyConfig, transport: T, runtime: R) -> Self {
        ProxyClient { config, transport, runtime, callbacks: RefCell::default() }
    }

    /// The configuration.
    pub fn config(&self) -> &ProxyConfig {
        &self.config
    }

    /// The action's definition, as the Worker returns it (checked to be a definition).
    pub async fn get_action(&self, action_id: &str, signal: Option<&R::Signal>) -> Result<Value, ErrorDetails> {
        check_action_id(action_id).map_err(|e| e.details())?;
        let url = format!("{}/v1/actions/{}", self.config.base_url, encode_path_segment(action_id));
        let request = self.request(RequestPurpose::Definition, Method::Get, url, None, 0);
        let (response, value) = self.read(request, signal).await?;
        ActionDefinition::from_json_value(&value).map_err(|_| malformed(&response, "not an action definition", None))?;
        Ok(value)
    }

    /// One page of the Worker's action list: `{actions: [{id, name?, mode?}], cursor, source}`.
    pub async fn list_actions(&self, page: &PageRequest, signal: Option<&R::Signal>) -> Result<Value, ErrorDetails> {
        let url = format!("{}/v1/actions{}", self.config.base_url, query_string(&page.query_pairs()));
        let request = self.request(RequestPurpose::List, Method::Get, url, None, 0);
        let (response, value) = self.read(request, signal).await?;
        page_with(response, value, "actions")
    }

    /// Validates and coerces `inputs` on the Worker (against the definition it holds): the
    /// coerced inputs, or a `validation` error listing every issue.
    pub async fn validate(&self, action_id: &str, inputs: &Value, signal: Option<&R::Signal>) -> Result<Value, ErrorDetails> {
        check_action_id(action_id).map_err(|e| e.details())?;
        let inputs = inputs_object(inputs)?;
        let url = format!("{}/v1/actions/{}/validate", self.config.base_url, encode_path_segment(action_id));
        // `to_vec`, not `Value`'s `Display` (the same text through a second copy of the writer).
        let body = serde_json::to_vec(&json!({ "inputs": inputs })).unwrap_or_default();
        // Validation changes nothing: it is retried like a GET.
        let request = self.request(RequestPurpose::Definition, Method::Post, url, Some(body), 0);
        let (response, value) = self.read(request, signal).await?;
        match value.get("inputs") {
            Some(coerced @ Value::Object(_)) => Ok(coerced.clone()),
            _ => Err(malformed(&response, "a validation answer without inputs", None)),
        }
    }

    /// One page of the invocation history, newest first: `{invocations: [record...], cursor}`.
    pub async fn list_invocations(
        &self,
        page: &PageRequest,
        filter: &InvocationFilter,
        signal: Option<&R::Signal>,
    ) -> Result<Value, ErrorDetails> {
        let mut pairs = page.query_pairs();
        if let Some(action_id) = &filter.action_id {
            check_action_id(action_id).map_err(|e| e.details())?;
            pairs.push(("actionId", action_id.clone()));
        }
        if let Some(status) = &filter.status {
            pairs.push(("status", status.clone()));
        }
        let url = format!("{}/v1/invocations{}", self.config.base_url, query_string(&pairs));
        let request = self.request(RequestPurpose::Status, Method::Get, url, None, 0);
        let (response, value) = self.read(request, signal).await?;
        page_with(response, value, "invocations")
    }

    /// Sends a request that changes nothing and reads its 200 JSON answer (any other status is
    /// the error it stands for).
    async fn read(&self, request: HttpRequest, signal: Option<&R::Signal>) -> Result<(HttpResponse, Value), ErrorDetails> {
        let response = self.send_idempotent(request, signal, None).await?;
        if response.status != 200 {
            return Err(proxy_error(&response, None, self.runtime.now_ms()));
        }
        let value = parse_json(&response, None)?;
        Ok((response, value))
    }

    /// Invokes and waits for the end (`?wait=`, then the invocations route until terminal). A
    /// failed invocation is an `execution_failed` error carrying the invokeId. See
    /// [`ProxyInvokeOptions`] for the idempotency key and the first wait.
    pub async fn invoke(
        &self,
        action_id: &str,
        inputs: &Value,
        options: InvokeOptions,
        proxy_options: &ProxyInvokeOptions,
        call: CallOptions<'_, R::Signal>,
    ) -> Result<Value, ErrorDetails> {
        check_action_id(action_id).map_err(|e| e.details())?;
        let inputs = inputs_object(inputs)?;
        let started = self.runtime.now_ms();
        let deadline = started.saturating_add(options.max_poll_ms.unwrap_or(self.config.max_poll_ms));
        let mut body = json!({ "inputs": inputs });
        if let Some(object) = body.as_object_mut() {
            if let Some(context) = options.context {
                object.insert("context".into(), context);
            }
            if let Some(url) = options.callback_url {
                object.insert("callbackUrl".into(), Value::String(url));
            }
        }
        let wait = self.wait_s(deadline, started).min(proxy_options.first_wait_s.unwrap_or(DEFAULT_WAIT_S));
        let url = format!("{}/v1/actions/{}/invoke?wait={wait}", self.config.base_url, encode_path_segment(action_id));
        let mut request = self.request(RequestPurpose::Invoke, Method::Post, url, Some(serde_json::to_vec(&body).unwrap_or_default()), wait);
        if let Some(key) = &proxy_options.idempotency_key {
            request.headers.push(("idempotency-key".into(), key.clone()));
        }
        if call.signal.is_some_and(CancelSignal::is_cancelled) {
            return Err(cancelled(None));
        }
        let response = self
            .transport
            .send(request, call.signal)
            .await
            .map_err(|failure| transport_error(failure.kind, failure.message, true, None))?;
        if response.status != 200 && response.status != 202 {
            return Err(proxy_error(&response, None, self.runtime.now_ms()));
        }
        let mut record = parse_record(&response, None)?;
        let invocation_id = record
            .get("invocationId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| response.header("location").and_then(|l| l.rsplit('/').next()).map(|s| s.split('?').next().unwrap_or(s).to_string()))
            // Polled in a URL path: an empty or dot-segment id is as good as none.
            .filter(|id| check_invoke_id("invocationId", id).is_ok());
        let mut last_status: Option<String> = None;
        let mut polls: u32 = 0;
        loop {
            let status = record_status(&record);
            if last_status.as_deref() != Some(status.as_str()) {
                if let Some(report) = call.on_status {
                    report(&StatusEvent {
                        status: status.clone(),
                        invoke_id: invoke_id_of(&record),
                        polls,
                        elapsed_ms: self.runtime.now_ms().saturating_sub(started),
                        invocation_id: invocation_id.clone(),
                    });
                }
                last_status = Some(status.clone());
            }
            if is_terminal(&status) {
                return finish(record, polls, self.runtime.now_ms().saturating_sub(started));
            }
            let Some(invocation_id) = invocation_id.as_deref() else {
                return Err(malformed(&response, "a pending invocation without a usable invocationId", None));
            };
            let known_invoke_id = invoke_id_of(&record);
            let now = self.runtime.now_ms();
            if now >= deadline {
                return Err(DataActionsError::Timeout { status: None, invoke_id: known_invoke_id, elapsed_ms: now.saturating_sub(started) }
                    .details());
            }
            if call.signal.is_some_and(CancelSignal::is_cancelled) {
                return Err(cancelled(known_invoke_id.as_deref()));
            }
            let wait = self.wait_s(deadline, now);
            let asked_at = self.runtime.now_ms();
            let next = self.fetch_record(invocation_id, Some(wait), call.signal, known_invoke_id.as_deref()).await?;
            polls += 1;
            let unchanged = record_status(&next) == status;
            record = merge_records(record, next);
            let took = self.runtime.now_ms().saturating_sub(asked_at);
            if unchanged && took < MIN_POLL_INTERVAL_MS {
                let pause = (MIN_POLL_INTERVAL_MS - took).min(deadline.saturating_sub(self.runtime.now_ms()));
                self.runtime.sleep(pause, call.signal).await;
            }
        }
    }

    /// One read of an invocation record (`invocationId` is the Worker's id from `invoke`).
    pub async fn get_invocation(&self, action_id: &str, invocation_id: &str, signal: Option<&R::Signal>) -> Result<Value, ErrorDetails> {
        check_action_id(action_id).map_err(|e| e.details())?;
        check_invoke_id("invocationId", invocation_id).map_err(|e| e.details())?;
        let mut record = self.fetch_record(invocation_id, None, signal, None).await?;
        if let Some(object) = record.as_object_mut() {
            object.entry("outputs").or_insert_with(|| Value::Object(Map::new()));
            object.entry("invokeId").or_insert(Value::Null);
        }
        Ok(record)
    }

    /// Answers a completion callback locally (a duplicate gets the first answer).
    pub fn handle_callback(&self, payload: Value) -> Result<CallbackAck, DataActionsError> {
        let notification = parse_notification(payload)?;
        let now = self.runtime.now_ms();
        Ok(self.callbacks.borrow_mut().handle(&notification, now))
    }

    async fn fetch_record(
        &self,
        invocation_id: &str,
        wait: Option<u64>,
        signal: Option<&R::Signal>,
        invoke_id: Option<&str>,
    ) -> Result<Value, ErrorDetails> {
        let mut url = format!("{}/v1/invocations/{}", self.config.base_url, encode_path_segment(invocation_id));
        if let Some(wait) = wait {
            url.push_str(&format!("?wait={wait}"));
        }
        let request = self.request(RequestPurpose::Status, Method::Get, url, None, wait.unwrap_or(0));
        let response = self.send_idempotent(request, signal, invoke_id).await?;
        if response.status != 200 {
            return Err(proxy_error(&response, invoke_id, self.runtime.now_ms()));
        }
        parse_record(&response, invoke_id)
    }

    /// Sends a request that changes nothing (a GET, a validation), retrying network failures and
    /// 502/503 a couple of times.
    async fn send_idempotent(&self, request: HttpRequest, signal: Option<&R::Signal>, invoke_id: Option<&str>) -> Result<HttpResponse, ErrorDetails> {
        let mut attempt = 0;
        loop {
            if signal.is_some_and(CancelSignal::is_cancelled) {
                return Err(cancelled(invoke_id));
            }
            let result = self.transport.send(request.clone(), signal).await;
            let transient = match &result {
                Ok(response) => matches!(response.status, 502 | 503),
                Err(failure) => failure.kind == TransportFailureKind::Network,
            };
            if !transient || attempt >= GET_RETRIES {
                return result.map_err(|failure| transport_error(failure.kind, failure.message, false, invoke_id));
            }
            attempt += 1;
            self.runtime.sleep(250 * u64::from(attempt), signal).await;
        }
    }

    fn wait_s(&self, deadline: u64, now: u64) -> u64 {
        let left_s = deadline.saturating_sub(now) / 1000;
        self.config.wait_s.min(left_s)
    }

    fn request(&self, purpose: RequestPurpose, method: Method, url: String, body: Option<Vec<u8>>, wait_s: u64) -> HttpRequest {
        let mut headers = vec![("accept".to_string(), "application/json".to_string())];
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        let mut request = HttpRequest {
            purpose,
            method,
            url,
            headers,
            body,
            timeout_ms: self.config.timeout_ms.saturating_add(wait_s.saturating_mul(1000)),
            needs_auth: false,
        };
        request.authorize(self.config.api_key.expose());
        request
    }
}

/// A page answer: a JSON object whose `entries` field is an array.
fn page_with(response: HttpResponse, value: Value, entries: &str) -> Result<Value, ErrorDetails> {
    if value.get(entries).is_some_and(Value::is_array) {
        Ok(value)
    } else {
        Err(malformed(&response, "a page without its entries", None))
    }
}

fn inputs_object(inputs: &Value) -> Result<Value, ErrorDetails> {
    match inputs {
        Value::Object(_) => Ok(inputs.clone()),
        Value::Null => Ok(Value::Object(Map::new())),
        _ => Err(DataActionsError::BadInput { message: "inputs must be a JSON object".into() }.details()),
    }
}

/// Whether a proxy record's status is final (the core's record rules; unknown statuses are not).
fn is_terminal(status: &str) -> bool {
    RecordStatus::ALL.into_iter().find(|known| known.as_str() == status).is_some_and(RecordStatus::is_terminal)
}

fn record_status(record: &Value) -> String {
    record.get("status").and_then(Value::as_str).unwrap_or("pending").to_ascii_lowercase()
}

fn invoke_id_of(record: &Value) -> Option<String> {
    record.get("invokeId").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Keeps fields a later record omits (e.g. `invocationId` when a 200 arrives without it).
fn merge_records(previous: Value, next: Value) -> Value {
    match (previous, next) {
        (Value::Object(mut old), Value::Object(new)) => {
            for (key, value) in new {
                old.insert(key, value);
            }
            Value::Object(old)
        }
        (_, next) => next,
    }
}

/// A terminal record becomes the invoke result, or the error it stands for.
fn finish(record: Value, polls: u32, latency_ms: u64) -> Result<Value, ErrorDetails> {
    let status = record_status(&record);
    let invoke_id = invoke_id_of(&record);
    match status.as_str() {
        "completed" => {
            let get = |key: &str| record.get(key).cloned().unwrap_or(Value::Null);
            let outputs = match record.get("outputs") {
                Some(Value::Object(map)) => Value::Object(map.clone()),
                _ => Value::Object(Map::new()),
            };
            let mut result = json!({
                "actionId": get("actionId"),
                "invocationId": get("invocationId"),
                "invokeId": invoke_id,
                "status": "completed",
                "outputs": outputs,
                "latencyMs": record.get("latencyMs").and_then(Value::as_u64).unwrap_or(latency_ms),
                "polls": record.get("pollCount").and_then(Value::as_u64).unwrap_or(u64::from(polls)),
                "audit": get("audit"),
            });
            if let (Some(object), Some(by)) = (result.as_object_mut(), record.get("completedBy").filter(|v| v.is_string())) {
                object.insert("completedBy".into(), by.clone());
            }
            Ok(result)
        }
        "failed" => {
            let mut details = record
                .get("error")
                .and_then(error_details_from_value)
                .unwrap_or_else(|| ErrorDetails::new("execution_failed", "the action reported failed", None, false));
            details.code = "execution_failed".into();
            details.retryable = false;
            if details.invoke_id.is_none() {
                details.invoke_id = invoke_id;
            }
            Err(details)
        }
        "cancelled" => Err(DataActionsError::Cancelled { invoke_id, by_upstream: true }.details()),
        _ => Err(DataActionsError::Timeout { status: None, invoke_id, elapsed_ms: latency_ms }.details()),
    }
}

fn cancelled(invoke_id: Option<&str>) -> ErrorDetails {
    DataActionsError::Cancelled { invoke_id: invoke_id.map(str::to_string), by_upstream: false }.details()
}

fn transport_error(kind: TransportFailureKind, message: String, outcome_unknown: bool, invoke_id: Option<&str>) -> ErrorDetails {
    if kind == TransportFailureKind::Aborted {
        return cancelled(invoke_id);
    }
    DataActionsError::Transport { kind, message, outcome_unknown, invoke_id: invoke_id.map(str::to_string) }.details()
}

fn malformed(response: &HttpResponse, what: &str, invoke_id: Option<&str>) -> ErrorDetails {
    DataActionsError::Upstream {
        correlation_id: None,
        status: response.status,
        upstream_code: None,
        message: format!("malformed proxy answer: {what}"),
        invoke_id: invoke_id.map(str::to_string),
        retryable: false,
    }
    .details()
}

fn parse_json(response: &HttpResponse, invoke_id: Option<&str>) -> Result<Value, ErrorDetails> {
    serde_json::from_slice(&response.body).map_err(|_| malformed(response, "not JSON", invoke_id))
}

fn parse_record(response: &HttpResponse, invoke_id: Option<&str>) -> Result<Value, ErrorDetails> {
    match parse_json(response, invoke_id)? {
        record @ Value::Object(_) => Ok(record),
        _ => Err(malformed(response, "not a JSON object", invoke_id)),
    }
}

/// An error answer of the proxy: `{error: {...}}`, or a bare status when the body is not that.
pub fn proxy_error(response: &HttpResponse, invoke_id: Option<&str>, now_ms: u64) -> ErrorDetails {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let mut details = body.get("error").and_then(error_details_from_value).unwrap_or_else(|| {
        let code = match response.status {
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            422 => "validation",
            429 => "rate_limited",
            504 => "timeout",
            _ => "upstream",
        };
        ErrorDetails::new(
            code,
            format!("HTTP {} from the proxy", response.status),
            None,
            matches!(response.status, 429 | 502 | 503 | 504),
        )
    });
    if details.status.is_none() {
        details.status = Some(response.status);
    }
    if details.invoke_id.is_none() {
        details.invoke_id = invoke_id.map(str::to_string);
    }
    if (details.code == "rate_limited" || details.retryable) && details.retry_after_ms.is_none() {
        details.retry_after_ms = response.header("retry-after").and_then(|v| parse_retry_after(v, now_ms));
    }
    details
}

/// Reads `{code, message, status?, retryable?, issues?, invokeId?, ...}` leniently.
pub fn error_details_from_value(value: &Value) -> Option<ErrorDetails> {
    let object = value.as_object()?;
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
    let code = text("code").filter(|c| ERROR_CODES.contains(&c.as_str())).unwrap_or_else(|| "upstream".into());
    let issues = object
        .get("issues")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(issue_from_value).collect())
        .unwrap_or_default();
    Some(ErrorDetails {
        message: text("message").unwrap_or_else(|| code.replace('_', " ")),
        code,
        status: object.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()),
        retryable: object.get("retryable").and_then(Value::as_bool).unwrap_or(false),
        upstream_code: text("upstreamCode"),
        invoke_id: text("invokeId"),
        upstream_correlation_id: text("upstreamCorrelationId"),
        issues,
        retry_after_ms: object.get("retryAfterMs").and_then(Value::as_u64),
        missing_scope: text("missingScope"),
        field: text("field"),
    })
}

/// An issue of a Worker's error body. One the Worker wrote whole (a string `parameter` and
/// `message`, a known `kind`) keeps its pointer, or gets its parameter's own when the pointer is
/// empty (a peer from before pointers); a partial one is read field by field. Read by hand rather
/// than through `ValidationIssue`'s derived `Deserialize` for JSON values (a second copy of it).
fn issue_from_value(value: &Value) -> ValidationIssue {
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    let kind = value.get("kind").and_then(Value::as_str).and_then(IssueKind::from_name);
    let whole = value.get("parameter").is_some_and(Value::is_string)
        && kind.is_some()
        && value.get("message").is_some_and(Value::is_string)
        && value.get("pointer").is_none_or(Value::is_string)
        && value.get("expected").is_none_or(|e| e.is_string() || e.is_null());
    let parameter = text("parameter").unwrap_or_default();
    let pointer = match text("pointer") {
        Some(pointer) if !(whole && pointer.is_empty()) => pointer,
        _ if parameter.is_empty() => String::new(),
        _ => parameter_pointer(&parameter),
    };
    ValidationIssue {
        pointer,
        parameter,
        kind: kind.unwrap_or(IssueKind::WrongType),
        expected: text("expected"),
        message: text("message").unwrap_or_else(|| "invalid input".into()),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::core::http::TransportFailure;
    use std::cell::Cell;
    use std::collections::VecDeque;
    use std::future::Future;

    #[derive(Default)]
    struct FakeClock {
        now: Cell<u64>,
    }

    struct FakeRuntime<'a>(&'a FakeClock);

    impl Runtime for FakeRuntime<'_> {
        type Signal = crate::driver::NeverCancelled;
        fn now_ms(&self) -> u64 {
            self.0.now.get()
        }
        fn sleep(&self, ms: u64, _signal: Option<&Self::Signal>) -> impl Future<Output = ()> {
            self.0.now.set(self.0.now.get() + ms);
            std::future::ready(())
        }
    }

    /// Answers from a script and records what was sent; each send takes 10 ms of fake time.
    struct Script<'a> {
        clock: &'a FakeClock,
        answers: RefCell<VecDeque<Result<HttpResponse, TransportFailure>>>,
        sent: RefCell<Vec<HttpRequest>>,
    }

    impl<S> Transport<S> for Script<'_> {
        fn send(&self, request: HttpRequest, _signal: Option<&S>) -> impl Future<Output = Result<HttpResponse, TransportFailure>> {
            self.sent.borrow_mut().push(request);
            self.clock.now.set(self.clock.now.get() + 10);
            let answer = self
                .answers
                .borrow_mut()
                .pop_front()
                .unwrap_or_else(|| Err(TransportFailure::new(TransportFailureKind::Network, "script exhausted")));
            std::future::ready(answer)
        }
    }

    fn client<'a>(clock: &'a FakeClock, answers: Vec<Result<HttpResponse, TransportFailure>>) -> ProxyClient<Script<'a>, FakeRuntime<'a>> {
        let config = ProxyConfig::new("https://proxy.example/base/", "key-123", None, None).unwrap();
        let script = Script { clock, answers: RefCell::new(answers.into()), sent: RefCell::default() };
        ProxyClient::new(config, script, FakeRuntime(clock))
    }

    fn run<F: Future>(future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    #[test]
    fn config_errors_name_the_field() {
        let field = |r: Result<ProxyConfig, DataActionsError>| r.unwrap_err().details().field.unwrap_or_default();
        assert_eq!(field(ProxyConfig::new("ftp://x", "k", None, None)), "proxyUrl");
        assert_eq!(field(ProxyConfig::new("https://x?a=1", "k", None, None)), "proxyUrl");
        assert_eq!(field(ProxyConfig::new("https://x", " ", None, None)), "apiKey");
        assert_eq!(field(ProxyConfig::new("https://x", "k", Some(0), None)), "timeoutMs");
        assert_eq!(ProxyConfig::new("/api/", "k", None, None).unwrap().base_url, "/api");
    }

    #[test]
    fn pending_invocations_are_followed_until_terminal() {
        let clock = FakeClock::default();
        let pending = HttpResponse::json(202, &json!({"invocationId": "i-1", "status": "pending"}))
            .with_header("Location", "/v1/invocations/i-1");
        let still = HttpResponse::json(200, &json!({"invocationId": "i-1", "actionId": "a", "invokeId": "up-1", "status": "pending", "pollCount": 1}));
        let done = HttpResponse::json(200, &json!({"invocationId": "i-1", "actionId": "a", "invokeId": "up-1", "status": "completed",
            "outputs": {"x": 1}, "pollCount": 2, "audit": {"event": "E"}}));
        let proxy = client(&clock, vec![Ok(pending), Ok(still), Ok(done)]);
        let events = RefCell::new(Vec::new());
        let report = |e: &StatusEvent| events.borrow_mut().push(e.status.clone());
        let result = run(proxy.invoke("a", &json!({"k": "v"}), InvokeOptions::default(), &ProxyInvokeOptions::default(), CallOptions { signal: None, on_status: Some(&report) }))
            .unwrap();
        assert_eq!(result["status"], "completed");
        assert_eq!(result["invokeId"], "up-1");
        assert_eq!(result["outputs"]["x"], 1);
        assert_eq!(*events.borrow(), vec!["pending", "completed"]);
        let sent = proxy.transport.sent.borrow();
        assert_eq!(sent[0].url, "https://proxy.example/base/v1/actions/a/invoke?wait=25");
        assert_eq!(sent[0].header("authorization"), Some("Bearer key-123"));
        assert_eq!(sent[0].timeout_ms, 55_000);
        assert_eq!(sent[1].url, "https://proxy.example/base/v1/invocations/i-1?wait=25");
        // The fast "still pending" answer was followed by a pause, not a tight loop.
        assert!(clock.now.get() >= MIN_POLL_INTERVAL_MS, "{}", clock.now.get());
    }

    #[test]
    fn error_bodies_map_back_to_details() {
        let clock = FakeClock::default();
        let body = json!({"error": {"code": "validation", "message": "2 input problem(s)", "status": 422,
            "issues": [{"parameter": "a", "kind": "missing_required", "message": "`a` is required"}, {"parameter": "b", "message": "bad"}]}});
        let proxy = client(&clock, vec![Ok(HttpResponse::json(422, &body))]);
        let err = run(proxy.invoke("a", &json!({}), InvokeOptions::default(), &ProxyInvokeOptions::default(), CallOptions::default())).unwrap_err();
        assert_eq!(err.code, "validation");
        assert_eq!(err.status, Some(422));
        let names: Vec<&str> = err.issues.iter().map(|i| i.parameter.as_str()).collect();
        assert_eq!(names, ["a", "b"]);

        let failed = json!({"invocationId": "i", "invokeId": "up-9", "status": "failed",
            "error": {"code": "execution_failed", "message": "boom"}});
        let proxy = client(&clock, vec![Ok(HttpResponse::json(200, &failed))]);
        let err = run(proxy.invoke("a", &json!({}), InvokeOptions::default(), &ProxyInvokeOptions::default(), CallOptions::default())).unwrap_err();
        assert_eq!((err.code.as_str(), err.invoke_id.as_deref(), err.message.as_str()), ("execution_failed", Some("up-9"), "boom"));

        let html = HttpResponse { status: 502, headers: vec![], body: b"<html>".to_vec() };
        let proxy = client(&clock, vec![Ok(html.clone()), Ok(html.clone()), Ok(html)]);
        let err = run(proxy.get_action("a", None)).unwrap_err();
        assert_eq!((err.code.as_str(), err.status, err.retryable), ("upstream", Some(502), true));
        assert_eq!(proxy.transport.sent.borrow().len(), 3, "GETs are retried twice");
    }

    #[test]
    fn retry_after_is_read_in_both_forms() {
        // 1_795_521_600 s is Tue, 24 Nov 2026 12:00:00 GMT.
        let now_ms = 1_795_521_600_000;
        let limited = |value: &str| HttpResponse::json(429, &json!({"error": {"code": "rate_limited", "message": "slow down"}})).with_header("Retry-After", value);
        assert_eq!(proxy_error(&limited("3"), None, now_ms).retry_after_ms, Some(3_000));
        assert_eq!(proxy_error(&limited("Tue, 24 Nov 2026 12:00:07 GMT"), None, now_ms).retry_after_ms, Some(7_000));
        let bare = HttpResponse { status: 429, headers: vec![("retry-after".into(), "2".into())], body: Vec::new() };
        let details = proxy_error(&bare, Some("up-1"), now_ms);
        assert_eq!((details.code.as_str(), details.retryable, details.retry_after_ms, details.invoke_id.as_deref()), ("rate_limited", true, Some(2_000), Some("up-1")));
    }

    #[test]
    fn the_deadline_ends_waiting_with_a_timeout() {
        let clock = FakeClock::default();
        let pending = || Ok(HttpResponse::json(200, &json!({"invocationId": "i-2", "invokeId": "up-2", "status": "pending"})));
        let mut answers = vec![Ok(HttpResponse::json(202, &json!({"invocationId": "i-2", "status": "pending"})))];
        answers.extend((0..20).map(|_| pending()));
        let proxy = client(&clock, answers);
        let options = InvokeOptions { max_poll_ms: Some(1_500), ..Default::default() };
        let err = run(proxy.invoke("a", &json!({}), options, &ProxyInvokeOptions::default(), CallOptions::default())).unwrap_err();
        assert_eq!((err.code.as_str(), err.invoke_id.as_deref()), ("timeout", Some("up-2")));
        assert!(proxy.transport.sent.borrow()[1].url.ends_with("?wait=1"));
    }

    #[test]
    fn the_api_key_never_shows_in_errors() {
        let clock = FakeClock::default();
        let proxy = client(&clock, vec![Err(TransportFailure::new(TransportFailureKind::Timeout, "POST x: no answer"))]);
        let err = run(proxy.invoke("a", &json!({}), InvokeOptions::default(), &ProxyInvokeOptions::default(), CallOptions::default())).unwrap_err();
        assert_eq!(err.code, "transport");
        assert!(!err.retryable, "an invoke that may have run is not retryable");
        assert!(!format!("{err:?}").contains("key-123"));
        assert!(!format!("{:?}", proxy.config()).contains("key-123"));
    }

    #[test]
    fn lists_are_read_with_their_query_and_checked() {
        let clock = FakeClock::default();
        let page = json!({"actions": [{"id": "a", "name": "A", "mode": "sync"}], "cursor": "next", "source": "upstream"});
        let history = json!({"invocations": [], "cursor": null});
        let proxy = client(&clock, vec![Ok(HttpResponse::json(200, &page)), Ok(HttpResponse::json(200, &history)), Ok(HttpResponse::json(200, &json!({"cursor": null})))]);
        let first = PageRequest { cursor: Some("c/1+".into()), limit: Some(10) };
        assert_eq!(run(proxy.list_actions(&first, None)).unwrap(), page);
        let filter = InvocationFilter { action_id: Some("export-report".into()), status: Some("pending".into()) };
        assert_eq!(run(proxy.list_invocations(&PageRequest::default(), &filter, None)).unwrap(), history);
        let err = run(proxy.list_actions(&PageRequest::default(), None)).unwrap_err();
        assert_eq!((err.code.as_str(), err.status), ("upstream", Some(200)), "a page without `actions` is malformed");
        let sent = proxy.transport.sent.borrow();
        assert_eq!(sent[0].url, "https://proxy.example/base/v1/actions?limit=10&cursor=c%2F1%2B");
        assert_eq!(sent[0].header("authorization"), Some("Bearer key-123"));
        assert_eq!(sent[1].url, "https://proxy.example/base/v1/invocations?actionId=export-report&status=pending");
        assert_eq!(sent[2].url, "https://proxy.example/base/v1/actions");
        let bad_filter = InvocationFilter { action_id: Some("a/b".into()), status: None };
        assert_eq!(run(proxy.list_invocations(&PageRequest::default(), &bad_filter, None)).unwrap_err().code, "bad_input");
    }

    #[test]
    fn validation_happens_on_the_worker_and_issues_come_back() {
        let clock = FakeClock::default();
        let ok = json!({"valid": true, "inputs": {"n": 42}});
        let issues = json!({"error": {"code": "validation", "message": "1 input problem(s)", "status": 422, "retryable": false,
            "issues": [{"parameter": "n", "kind": "wrong_type", "expected": "integer", "message": "`n` must be an integer"}]}});
        let proxy = client(&clock, vec![Ok(HttpResponse::json(200, &ok)), Ok(HttpResponse::json(422, &issues))]);
        assert_eq!(run(proxy.validate("calc", &json!({"n": "42"}), None)).unwrap(), json!({"n": 42}));
        let err = run(proxy.validate("calc", &json!({"n": "x"}), None)).unwrap_err();
        assert_eq!((err.code.as_str(), err.issues.len()), ("validation", 1));
        assert_eq!(err.issues[0].expected.as_deref(), Some("integer"));
        let sent = proxy.transport.sent.borrow();
        assert_eq!(sent[0].url, "https://proxy.example/base/v1/actions/calc/validate");
        assert_eq!(sent[0].body.as_deref(), Some(br#"{"inputs":{"n":"42"}}"#.as_slice()));
        assert_eq!(run(proxy.validate("calc", &json!([1]), None)).unwrap_err().code, "bad_input");
    }

    #[test]
    fn issues_read_by_hand_as_the_derived_reader_and_its_fallback_did() {
        // The reading this replaced: the derived `Deserialize`, else field by field.
        let before = |value: &Value| -> ValidationIssue {
            if let Ok(mut issue) = serde_json::from_value::<ValidationIssue>(value.clone()) {
                if issue.pointer.is_empty() && !issue.parameter.is_empty() {
                    issue.pointer = parameter_pointer(&issue.parameter);
                }
                return issue;
            }
            let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
            let parameter = text("parameter").unwrap_or_default();
            ValidationIssue {
                pointer: text("pointer").unwrap_or_else(|| if parameter.is_empty() { String::new() } else { parameter_pointer(&parameter) }),
                parameter,
                kind: serde_json::from_value(json!(text("kind"))).unwrap_or(IssueKind::WrongType),
                expected: text("expected"),
                message: text("message").unwrap_or_else(|| "invalid input".into()),
            }
        };
        let parameters = [json!("n"), json!(""), json!("a/b"), json!(3), Value::Null];
        let pointers = [None, Some(json!("")), Some(json!("/n/0")), Some(json!(1)), Some(Value::Null)];
        let kinds = [json!("missing_required"), json!("unknown_parameter"), json!("wrong_type"), json!("out_of_range"), json!("not_in_enum"), json!("new"), json!(1)];
        let expected = [None, Some(Value::Null), Some(json!("integer")), Some(json!(2))];
        let messages = [None, Some(json!("m")), Some(json!(3))];
        let mut seen = 0;
        for parameter in &parameters {
            for pointer in &pointers {
                for kind in &kinds {
                    for expected in &expected {
                        for message in &messages {
                            let mut issue = Map::new();
                            issue.insert("parameter".into(), parameter.clone());
                            issue.insert("kind".into(), kind.clone());
                            for (key, value) in [("pointer", pointer), ("expected", expected), ("message", message)] {
                                if let Some(value) = value {
                                    issue.insert(key.into(), value.clone());
                                }
                            }
                            let issue = Value::Object(issue);
                            assert_eq!(issue_from_value(&issue), before(&issue), "{issue}");
                            seen += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(seen, 2_100);
        for odd in [json!({}), json!("x"), json!(null), json!({"kind": "wrong_type", "parameter": "n", "message": "m", "extra": 1})] {
            assert_eq!(issue_from_value(&odd), before(&odd), "{odd}");
        }
    }

    #[test]
    fn issues_from_the_worker_keep_their_pointer_and_older_ones_get_their_parameters() {
        let current = json!({"parameter": "address", "pointer": "/address/zip", "kind": "out_of_range", "message": "m"});
        let issue = issue_from_value(&current);
        assert_eq!((issue.pointer.as_str(), issue.kind), ("/address/zip", IssueKind::OutOfRange));
        let older = json!({"parameter": "a/b", "kind": "wrong_type", "expected": "integer", "message": "m"});
        assert_eq!(issue_from_value(&older).pointer, "/a~1b");
        let odd = json!({"parameter": "n", "kind": "not_in_enum", "message": 3});
        let issue = issue_from_value(&odd);
        assert_eq!((issue.pointer.as_str(), issue.kind, issue.message.as_str()), ("/n", IssueKind::NotInEnum, "invalid input"));
        let whole = issue_from_value(&json!({"kind": "something_new"}));
        assert_eq!((whole.parameter.as_str(), whole.pointer.as_str(), whole.kind), ("", "", IssueKind::WrongType));
    }

    #[test]
    fn the_idempotency_key_travels_and_events_name_the_invocation() {
        let clock = FakeClock::default();
        let done = HttpResponse::json(200, &json!({"invocationId": "dai_1", "actionId": "a", "invokeId": "up-1", "status": "completed",
            "outputs": {}, "completedBy": "invoke"}));
        let proxy = client(&clock, vec![Ok(done)]);
        let events = RefCell::new(Vec::new());
        let report = |e: &StatusEvent| events.borrow_mut().push(e.clone());
        let call = CallOptions { signal: None, on_status: Some(&report) };
        let proxy_options = ProxyInvokeOptions { idempotency_key: Some("key-42".into()), first_wait_s: Some(0) };
        let result = run(proxy.invoke("a", &json!({}), InvokeOptions::default(), &proxy_options, call)).unwrap();
        assert_eq!(result["completedBy"], "invoke");
        assert_eq!(proxy.transport.sent.borrow()[0].header("idempotency-key"), Some("key-42"));
        assert!(proxy.transport.sent.borrow()[0].url.ends_with("/invoke?wait=0"), "the first answer is not held");
        let events = events.borrow();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].status.as_str(), events[0].invocation_id.as_deref()), ("completed", Some("dai_1")));
    }
}
