//! The invocation state machine: POST invoke; a 200 finishes; a 202 with an `invokeId` is polled
//! (first poll soon, then each wait a share of the time since the 202: [`super::poll_schedule`]) until `completed`,
//! `failed` or `cancelled`, or until the maximum elapsed time ends it in a timeout that carries the
//! `invokeId`. The invoke POST is never repeated after an outcome-unknown failure: only a 429 or a
//! 401 (both refused before anything ran) send it again.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::audit::{audit_record_hashed, AuditFacts, AuditRecord, INVOCATION_EVENT};
use super::config::{ClientConfig, PollPolicy};
use super::definition::{ActionDefinition, OutputParameter};
use super::error::{upstream_error_from_value, DataActionsError, UpstreamError};
use super::http::{is_plain_path_segment, HttpRequest, HttpResponse, Method, RequestPurpose, TransportFailure};
use super::operation::{Phase, Progress, Step};
use super::profile::{self, status_request_at, Profile};
use super::poll_schedule::PollSchedule;
use super::retry::{parse_retry_after, RetryGovernor};
use super::validate::{coerce_outputs, OutputShape};

/// Upstream statuses that end an invocation.
pub const TERMINAL_STATUSES: [&str; 3] = ["completed", "failed", "cancelled"];

/// Whether an upstream status is final.
pub fn is_terminal(status: &str) -> bool {
    TERMINAL_STATUSES.contains(&status)
}

/// What the caller asks for, besides the (already validated) inputs.
#[derive(Debug, Clone, Default)]
pub struct InvokeOptions {
    /// Execution context attributes, sent as `context`.
    pub context: Option<Value>,
    /// Where the upstream should POST the completion.
    pub callback_url: Option<String>,
    /// Overrides the poll policy's maximum elapsed time.
    pub max_poll_ms: Option<u64>,
    /// Do not poll after a 202: finish at once with status `pending` (the Worker polls later).
    pub accept_pending: bool,
}

/// How an invocation ended (or, with `accept_pending`, where it stands).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationResult {
    /// The action.
    pub action_id: String,
    /// The upstream's invocation id.
    pub invoke_id: Option<String>,
    /// `completed`, `failed`, `cancelled`, or `pending` when not waited for.
    pub status: String,
    /// Outputs, coerced to the definition's output types where lossless.
    pub outputs: Map<String, Value>,
    /// The upstream's errors of a failed invocation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<UpstreamError>,
    /// From the invoke request to the final answer.
    pub latency_ms: u64,
    /// Status requests made.
    pub polls: u32,
    /// The audit record (absent for `pending`).
    pub audit: Option<AuditRecord>,
}

impl InvocationResult {
    /// `Ok` for a completed (or pending) invocation; a failed one becomes
    /// [`DataActionsError::ExecutionFailed`], an upstream cancellation [`DataActionsError::Cancelled`].
    pub fn into_completed(self) -> Result<InvocationResult, DataActionsError> {
        match self.status.as_str() {
            "failed" => {
                let first = self.errors.first().cloned();
                Err(DataActionsError::ExecutionFailed {
                    correlation_id: None,
                    status: None,
                    invoke_id: self.invoke_id,
                    upstream_code: first.as_ref().map(|e| e.code.clone()),
                    message: first.map(|e| e.message).unwrap_or_else(|| "the action reported failed".into()),
                    errors: self.errors,
                })
            }
            "cancelled" => Err(DataActionsError::Cancelled { invoke_id: self.invoke_id, by_upstream: true }),
            _ => Ok(self),
        }
    }
}

/// A status report from the upstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationStatus {
    /// The upstream's invocation id.
    pub invoke_id: String,
    /// `queued`, `running`, `completed`, `failed`, `cancelled`...
    pub status: String,
    /// Outputs so far (complete once `completed`).
    pub outputs: Map<String, Value>,
    /// Errors of a failed invocation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<UpstreamError>,
}

/// Reads a status body (`{invokeId?, status, outputs?, errors?}`); `fallback_id` fills a missing id.
pub fn parse_status_body(response: &HttpResponse, fallback_id: Option<&str>) -> Result<InvocationStatus, DataActionsError> {
    let malformed = |what: &str| DataActionsError::Upstream {
        correlation_id: None,
        status: response.status,
        upstream_code: None,
        message: format!("malformed invocation status: {what}"),
        invoke_id: fallback_id.map(str::to_string),
        retryable: false,
    };
    let mut value: Value = serde_json::from_slice(&response.body).map_err(|_| malformed("not JSON"))?;
    let invoke_id = value
        .get("invokeId")
        .and_then(Value::as_str)
        .or(fallback_id)
        .ok_or_else(|| malformed("no invokeId"))?
        .to_string();
    let status = value
        .get("status")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| if response.status == 200 { "completed".into() } else { "queued".into() });
    // Taken out of the parsed answer rather than copied.
    let outputs = match value.get_mut("outputs").map(Value::take) {
        Some(Value::Object(map)) => map,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(malformed("outputs is not an object")),
    };
    let errors = value
        .get("errors")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(upstream_error_from_value).collect())
        .unwrap_or_default();
    Ok(InvocationStatus { invoke_id, status, outputs, errors })
}

/// The invoke request of every profile: a JSON body POSTed to `url` (the profile's own URL and
/// body shape), authorized, never retried blindly (its purpose is `Invoke`).
pub fn invoke_post(url: String, body: Vec<u8>, timeout_ms: u64) -> HttpRequest {
    HttpRequest {
        purpose: RequestPurpose::Invoke,
        method: Method::Post,
        url,
        headers: vec![("content-type".into(), "application/json".into()), ("accept".into(), "application/json".into())],
        body: Some(body),
        timeout_ms,
        needs_auth: true,
    }
}

/// Invocation ids travel in URL paths: 1 to 256 characters, not made of dots alone (`..` would
/// turn a status request into one for the action's definition). `field` names the id in the error.
pub fn check_invoke_id(field: &str, invoke_id: &str) -> Result<(), DataActionsError> {
    if invoke_id.len() <= 256 && is_plain_path_segment(invoke_id) {
        Ok(())
    } else {
        Err(DataActionsError::BadInput { message: format!("{field} must be 1 to 256 characters, not only dots") })
    }
}

/// A status change while an invocation runs, for progress reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusEvent {
    /// The new upstream status.
    pub status: String,
    /// The upstream's invocation id.
    pub invoke_id: Option<String>,
    /// Status requests so far.
    pub polls: u32,
    /// Since the invoke request.
    pub elapsed_ms: u64,
    /// The Worker's id of the invocation (proxy mode; absent in direct mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
}

/// A `Retry-After` on a non-final answer (202 or a running status): the next poll waits at least
/// that long; 0 without one.
fn retry_after_ms(response: &HttpResponse, now_ms: u64) -> u64 {
    response.header("retry-after").and_then(|value| parse_retry_after(value, now_ms)).unwrap_or(0)
}

/// The invocation state machine (sans I/O). Drive it with [`InvokeOperation::poll`] and
/// [`InvokeOperation::handle_response`].
pub struct InvokeOperation {
    progress: Progress<InvocationResult>,
    /// Whose invoke answers and error bodies these are.
    profile: Profile,
    action_id: String,
    action_url: String,
    request_timeout_ms: u64,
    outputs: Vec<OutputParameter>,
    /// The definition's output schema, which outputs are coerced by when there is one.
    output_schema: Option<Value>,
    /// The audit hash of `{inputs, context}`.
    payload_hash: String,
    poll_policy: PollPolicy,
    accept_pending: bool,
    started_at_ms: u64,
    /// When the 202 arrived: the poll schedule's origin.
    accepted_at_ms: u64,
    invoke_id: Option<String>,
    upstream_status: Option<String>,
    status_event: Option<StatusEvent>,
    polls: u32,
}

impl InvokeOperation {
    /// Builds the invoke request for validated `inputs`; nothing is sent yet.
    pub fn new(
        config: &ClientConfig,
        definition: &ActionDefinition,
        inputs: Map<String, Value>,
        options: InvokeOptions,
        now_ms: u64,
    ) -> InvokeOperation {
        let refused = profile::check_invoke_options(config, &options).err();
        let (request, payload_hash) = profile::invoke_request(config, definition, inputs, &options);
        let mut poll_policy = config.poll.clone();
        if let Some(max) = options.max_poll_ms {
            poll_policy.max_poll_ms = max;
        }
        let mut progress = Progress::of_profile(request, config.profile);
        if let Some(error) = refused {
            progress.finish(Err(error));
        }
        InvokeOperation {
            progress,
            profile: config.profile,
            action_id: definition.id.clone(),
            action_url: profile::action_url(config, &definition.id),
            request_timeout_ms: config.request_timeout_ms,
            outputs: definition.outputs.clone(),
            output_schema: definition.output_schema.clone(),
            payload_hash,
            poll_policy,
            accept_pending: options.accept_pending,
            started_at_ms: now_ms,
            accepted_at_ms: now_ms,
            invoke_id: None,
            upstream_status: None,
            status_event: None,
            polls: 0,
        }
    }

    /// The next step at `now_ms`.
    pub fn poll(&mut self, now_ms: u64) -> Step<InvocationResult> {
        self.progress.poll(now_ms)
    }

    /// The upstream's invocation id, once known.
    pub fn invoke_id(&self) -> Option<&str> {
        self.invoke_id.as_deref()
    }

    /// The last status change not yet taken.
    pub fn take_status_event(&mut self) -> Option<StatusEvent> {
        self.status_event.take()
    }

    /// The caller gives up: the next poll answers [`DataActionsError::Cancelled`].
    pub fn cancel(&mut self) {
        let invoke_id = self.invoke_id.clone();
        self.progress.finish(Err(DataActionsError::Cancelled { invoke_id, by_upstream: false }));
    }

    /// Hands in the result of the request last sent.
    pub fn handle_response(&mut self, result: Result<HttpResponse, TransportFailure>, governor: &mut RetryGovernor, now_ms: u64) {
        if self.progress.phase != Phase::InFlight {
            return;
        }
        let purpose = self.progress.exchange.purpose();
        let outcome = self.progress.exchange.on_result(result, governor, now_ms, self.invoke_id.as_deref());
        let invoke_id = self.invoke_id.clone();
        let Some(response) = self.progress.absorb(outcome, invoke_id.as_deref()) else {
            self.bound_retry_wait(now_ms);
            return;
        };
        match purpose {
            RequestPurpose::Invoke => self.on_invoke_answer(&response, governor, now_ms),
            _ => self.on_status_answer(&response, governor, now_ms),
        }
    }

    fn on_invoke_answer(&mut self, response: &HttpResponse, governor: &mut RetryGovernor, now_ms: u64) {
        if response.status != 200 && response.status != 202 {
            self.progress.finish(Err(self.profile.response_error(response, RequestPurpose::Invoke, None)));
            return;
        }
        let status = match profile::read_invoke_answer(self.profile, response) {
            Ok(status) => status,
            Err(error) => {
                self.progress.finish(Err(error));
                return;
            }
        };
        if !status.invoke_id.is_empty() {
            self.invoke_id = Some(status.invoke_id.clone());
        }
        self.note_status(&status.status, now_ms);
        if is_terminal(&status.status) {
            self.finish_with(status, now_ms);
            return;
        }
        let Some(invoke_id) = self.invoke_id.clone() else {
            self.progress.finish(Err(DataActionsError::Upstream {
                correlation_id: None,
                status: response.status,
                upstream_code: None,
                message: "an asynchronous answer without invokeId".into(),
                invoke_id: None,
                retryable: false,
            }));
            return;
        };
        if check_invoke_id("invokeId", &invoke_id).is_err() {
            // Polling would build a URL from it; the invocation may still run upstream.
            self.progress.finish(Err(DataActionsError::Upstream {
                correlation_id: None,
                status: response.status,
                upstream_code: None,
                message: "an asynchronous answer whose invokeId cannot be polled (empty, only dots or over 256 characters)".into(),
                invoke_id: Some(invoke_id),
                retryable: false,
            }));
            return;
        }
        if self.accept_pending {
            self.progress.finish(Ok(self.result("pending".into(), Map::new(), Vec::new(), now_ms, None)));
            return;
        }
        let _ = governor;
        self.accepted_at_ms = now_ms;
        let wait = self.poll_policy.initial_delay_ms.max(retry_after_ms(response, now_ms));
        let request = status_request_at(&self.action_url, &invoke_id, self.request_timeout_ms);
        self.progress.next_exchange(request, now_ms.saturating_add(wait));
        self.bound_retry_wait(now_ms);
    }

    fn on_status_answer(&mut self, response: &HttpResponse, governor: &mut RetryGovernor, now_ms: u64) {
        let invoke_id = self.invoke_id.clone();
        if response.status != 200 {
            self.progress.finish(Err(self.profile.response_error(response, RequestPurpose::Status, invoke_id.as_deref())));
            return;
        }
        self.polls += 1;
        let status = match parse_status_body(response, invoke_id.as_deref()) {
            Ok(status) => status,
            Err(error) => {
                self.progress.finish(Err(error));
                return;
            }
        };
        self.note_status(&status.status, now_ms);
        if is_terminal(&status.status) {
            self.finish_with(status, now_ms);
            return;
        }
        let elapsed = now_ms.saturating_sub(self.accepted_at_ms);
        let scheduled = PollSchedule::of_policy(&self.poll_policy).wait_ms(elapsed, governor.jitter.next_u64());
        let wait = scheduled.max(retry_after_ms(response, now_ms));
        // Polled by the id the invoke answer gave (checked then), whatever a status answer says.
        let invoke_id = self.invoke_id.as_deref().unwrap_or(&status.invoke_id);
        let request = status_request_at(&self.action_url, invoke_id, self.request_timeout_ms);
        self.progress.next_exchange(request, now_ms.saturating_add(wait));
        self.bound_retry_wait(now_ms);
    }

    /// While polling, no wait may pass the deadline: the last poll happens at the deadline, and at
    /// or after it the invocation times out.
    fn bound_retry_wait(&mut self, now_ms: u64) {
        if self.invoke_id.is_none() || self.progress.is_over() {
            return;
        }
        let deadline = self.started_at_ms.saturating_add(self.poll_policy.max_poll_ms);
        if now_ms >= deadline {
            self.progress.finish(Err(DataActionsError::Timeout {
                status: None,
                invoke_id: self.invoke_id.clone(),
                elapsed_ms: now_ms.saturating_sub(self.started_at_ms),
            }));
            return;
        }
        if let Phase::WaitUntil(at) = self.progress.phase {
            if at > deadline {
                self.progress.phase = Phase::WaitUntil(deadline);
            }
        }
    }

    fn note_status(&mut self, status: &str, now_ms: u64) {
        if self.upstream_status.as_deref() != Some(status) {
            self.upstream_status = Some(status.to_string());
            self.status_event = Some(StatusEvent {
                status: status.to_string(),
                invoke_id: self.invoke_id.clone(),
                polls: self.polls,
                elapsed_ms: now_ms.saturating_sub(self.started_at_ms),
                invocation_id: None,
            });
        }
    }

    fn finish_with(&mut self, status: InvocationStatus, now_ms: u64) {
        let outputs = coerce_outputs(OutputShape { declared: &self.outputs, schema: self.output_schema.as_ref() }, status.outputs);
        let audit = audit_record_hashed(
            AuditFacts {
                invoke_id: self.invoke_id.as_deref(),
                action_id: &self.action_id,
                status: &status.status,
                latency_ms: now_ms.saturating_sub(self.started_at_ms),
                payload: &Value::Null,
                event: INVOCATION_EVENT,
            },
            self.payload_hash.clone(),
            now_ms,
        );
        let result = self.result(status.status, outputs, status.errors, now_ms, Some(audit));
        self.progress.finish(Ok(result));
    }

    fn result(
        &self,
        status: String,
        outputs: Map<String, Value>,
        errors: Vec<UpstreamError>,
        now_ms: u64,
        audit: Option<AuditRecord>,
    ) -> InvocationResult {
        InvocationResult {
            action_id: self.action_id.clone(),
            invoke_id: self.invoke_id.clone(),
            status,
            outputs,
            errors,
            latency_ms: now_ms.saturating_sub(self.started_at_ms),
            polls: self.polls,
            audit,
        }
    }
}

impl super::operation::Operation for InvokeOperation {
    type Output = InvocationResult;
    fn poll(&mut self, now_ms: u64) -> Step<InvocationResult> {
        InvokeOperation::poll(self, now_ms)
    }
    fn handle_response(&mut self, result: Result<HttpResponse, TransportFailure>, governor: &mut RetryGovernor, now_ms: u64) {
        InvokeOperation::handle_response(self, result, governor, now_ms);
    }
    fn cancel(&mut self) {
        InvokeOperation::cancel(self);
    }
    fn take_status_event(&mut self) -> Option<StatusEvent> {
        InvokeOperation::take_status_event(self)
    }
}
