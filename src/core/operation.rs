//! The shape every operation shares: it answers [`Step`]s and is handed each request's result.
//! An [`Exchange`] is one logical request with its attempts: it decides on retries, on the one
//! token refresh after a 401, and turns what is left into an answer or an error.

use super::error::{DataActionsError, IssueKind, UpstreamErrorBody, ValidationIssue};
use super::profile::Profile;
use super::http::{redact_url, HttpRequest, HttpResponse, RequestPurpose, TransportFailure, TransportFailureKind};
use super::retry::{is_idempotent, RetryDecision, RetryGovernor, RetryableFailure};

/// What the driver must do next for an operation.
#[derive(Debug)]
pub enum Step<T> {
    /// Send this request (adding the bearer token when `needs_auth`), then hand the result to the
    /// operation's `handle_response`.
    Send(HttpRequest),
    /// The token was rejected: forget it, obtain a fresh one, then poll again.
    RefreshToken,
    /// Nothing to do before this instant (ms since the epoch); poll again then.
    WaitUntil(u64),
    /// The operation is over.
    Done(Result<T, DataActionsError>),
}

/// What an exchange made of a request's result.
#[derive(Debug)]
pub enum ExchangeOutcome {
    /// A final answer for the operation to read (2xx, 304, or a status no retry can mend).
    Answer(HttpResponse),
    /// Send the same request again at this instant.
    RetryAt(u64),
    /// Refresh the token, then send the same request again.
    RefreshToken,
    /// The request failed for good.
    Failed(DataActionsError),
}

/// One logical request and its attempts.
#[derive(Debug, Clone)]
pub struct Exchange {
    request: HttpRequest,
    attempts: u32,
    rate_limited: u32,
    last_retry_after_ms: Option<u64>,
    refreshed_token: bool,
    /// Whose error bodies the answers are (a 429's message and correlation id are read from it).
    profile: Profile,
}

impl Exchange {
    /// A request not yet sent (to a cxone-seed upstream).
    pub fn new(request: HttpRequest) -> Self {
        Exchange::of_profile(request, Profile::CxoneSeed)
    }

    /// A request not yet sent to an upstream of `profile`.
    pub fn of_profile(request: HttpRequest, profile: Profile) -> Self {
        Exchange { request, attempts: 0, rate_limited: 0, last_retry_after_ms: None, refreshed_token: false, profile }
    }

    /// The request to send now (counts an attempt).
    pub fn next_attempt(&mut self) -> HttpRequest {
        self.attempts += 1;
        self.request.clone()
    }

    /// Requests sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// What the request is for.
    pub fn purpose(&self) -> RequestPurpose {
        self.request.purpose
    }

    /// Reads the result of the last attempt.
    pub fn on_result(
        &mut self,
        result: Result<HttpResponse, TransportFailure>,
        governor: &mut RetryGovernor,
        now_ms: u64,
        invoke_id: Option<&str>,
    ) -> ExchangeOutcome {
        let purpose = self.request.purpose;
        let response = match result {
            Ok(response) => response,
            Err(failure) => return self.on_transport_failure(failure, governor, now_ms, invoke_id),
        };
        if response.status == 401 && self.request.needs_auth {
            if !self.refreshed_token {
                self.refreshed_token = true;
                return ExchangeOutcome::RefreshToken;
            }
            return ExchangeOutcome::Failed(response_error(&response, purpose, invoke_id));
        }
        if let Some(failure) = RetryableFailure::from_response(&response, now_ms) {
            if let RetryableFailure::RateLimited { retry_after_ms } = &failure {
                self.rate_limited += 1;
                self.last_retry_after_ms = *retry_after_ms;
            }
            return match governor.decide(purpose, &failure, self.attempts) {
                RetryDecision::RetryAfter(delay) => ExchangeOutcome::RetryAt(now_ms.saturating_add(delay)),
                _ if response.status == 429 => {
                    let body = self.profile.read_error_body(&response.body);
                    let correlation_id = body.correlation_id;
                    let first = body.errors.into_iter().next();
                    ExchangeOutcome::Failed(DataActionsError::RateLimited {
                        correlation_id,
                        attempts: self.rate_limited,
                        retry_after_ms: self.last_retry_after_ms,
                        upstream_code: first.as_ref().map(|e| e.code.clone()),
                        message: first.map(|e| e.message).unwrap_or_else(|| "too many requests".into()),
                    })
                }
                _ => ExchangeOutcome::Answer(response),
            };
        }
        if response.is_success() {
            governor.budget.refill_one();
        }
        ExchangeOutcome::Answer(response)
    }

    fn on_transport_failure(
        &mut self,
        failure: TransportFailure,
        governor: &mut RetryGovernor,
        now_ms: u64,
        invoke_id: Option<&str>,
    ) -> ExchangeOutcome {
        if matches!(failure.kind, TransportFailureKind::Refused | TransportFailureKind::TooLarge) {
            // A refused exchange ran nothing; an answer too large to read came from a request that
            // did run, so an invoke's outcome is unknown.
            let outcome_unknown = failure.kind == TransportFailureKind::TooLarge && !is_idempotent(self.request.purpose);
            return ExchangeOutcome::Failed(DataActionsError::Transport {
                kind: failure.kind,
                message: failure.message,
                outcome_unknown,
                invoke_id: invoke_id.map(str::to_string),
            });
        }
        let Some(retryable) = RetryableFailure::from_transport(&failure) else {
            return ExchangeOutcome::Failed(DataActionsError::Cancelled {
                invoke_id: invoke_id.map(str::to_string),
                by_upstream: false,
            });
        };
        let decision = governor.decide(self.request.purpose, &retryable, self.attempts);
        if let RetryDecision::RetryAfter(delay) = decision {
            return ExchangeOutcome::RetryAt(now_ms.saturating_add(delay));
        }
        let message = match failure.kind {
            TransportFailureKind::Timeout => format!("no answer within {} ms: {}", self.request.timeout_ms, failure.message),
            _ => failure.message,
        };
        ExchangeOutcome::Failed(DataActionsError::Transport {
            kind: failure.kind,
            message: format!("{message} (after {} attempt(s))", self.attempts),
            outcome_unknown: decision == RetryDecision::NotIdempotent,
            invoke_id: invoke_id.map(str::to_string),
        })
    }
}

/// Maps an answer that is not a success to the error enum (the cxone-seed's error bodies).
pub fn response_error(response: &HttpResponse, purpose: RequestPurpose, invoke_id: Option<&str>) -> DataActionsError {
    Profile::CxoneSeed.response_error(response, purpose, invoke_id)
}

/// Maps an answer that is not a success to the error enum, given what its body said (read by the
/// profile: [`Profile::read_error_body`]). `inputs_rejected` says whether this status on this
/// request means the upstream refused the inputs (the seed's 422, Genesys Cloud's 400 on execute).
pub fn map_error_response(
    response: &HttpResponse,
    purpose: RequestPurpose,
    invoke_id: Option<&str>,
    body: UpstreamErrorBody,
    inputs_rejected: bool,
) -> DataActionsError {
    let UpstreamErrorBody { errors, correlation_id, issues } = body;
    let first = errors.first().cloned();
    let upstream_code = first.as_ref().map(|e| e.code.clone());
    let message = first
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_else(|| format!("HTTP {} from {}", response.status, purpose_name(purpose)));
    let invoke_id = invoke_id.map(str::to_string);
    if inputs_rejected {
        let issues = if issues.is_empty() {
            vec![ValidationIssue {
                parameter: String::new(),
                pointer: String::new(),
                kind: IssueKind::WrongType,
                expected: None,
                message: match &first {
                    Some(error) if response.status != 422 => format!("the upstream rejected the inputs ({}): {}", response.status, error.message),
                    _ => format!("the upstream rejected the inputs ({}) without details", response.status),
                },
            }]
        } else {
            issues
        };
        return DataActionsError::Validation { status: Some(response.status), issues };
    }
    match response.status {
        401 => DataActionsError::Unauthorized {
            correlation_id,
            status: 401,
            upstream_code,
            message: format!("token rejected after one refresh: {message}"),
        },
        403 => {
            let scope_hint = match purpose {
                RequestPurpose::Definition | RequestPurpose::List => "data-actions:read",
                _ => "data-actions:execute",
            };
            let named_scope = ["data-actions:read", "data-actions:execute"].into_iter().find(|s| message.contains(s));
            let is_scope = named_scope.is_some() || upstream_code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("MISSING_SCOPE"));
            let (missing_scope, explained) = if is_scope {
                let scope = named_scope.unwrap_or(scope_hint);
                (Some(scope.to_string()), format!("the token lacks scope `{scope}`: {message}"))
            } else if first.is_some() {
                (None, format!("the client's role lacks permission for this action: {message}"))
            } else {
                (Some(scope_hint.to_string()), format!("missing scope `{scope_hint}` or a role permission"))
            };
            DataActionsError::Forbidden { correlation_id, missing_scope, upstream_code, message: explained }
        }
        404 => DataActionsError::NotFound { correlation_id, upstream_code, message, invoke_id },
        429 => DataActionsError::RateLimited { correlation_id, attempts: 1, retry_after_ms: None, upstream_code, message },
        504 => DataActionsError::Timeout { status: Some(504), invoke_id, elapsed_ms: 0 },
        // Transports do not follow redirects (a 301/302 would turn the invoke POST into a GET,
        // and the token would travel along); where the platform hands the 3xx back, it ends here.
        status @ 300..=399 => DataActionsError::Upstream {
            correlation_id,
            status,
            upstream_code,
            message: format!(
                "HTTP {status} from {}: a redirect{}, which this client does not follow (check baseUrl or tenant)",
                purpose_name(purpose),
                response.header("location").map(|to| format!(" to {}", redact_url(to))).unwrap_or_default()
            ),
            invoke_id,
            retryable: false,
        },
        500 if purpose == RequestPurpose::Invoke && first.is_some() => {
            DataActionsError::ExecutionFailed { correlation_id, status: Some(500), invoke_id, upstream_code, message, errors }
        }
        status => DataActionsError::Upstream {
            correlation_id,
            status,
            upstream_code,
            message,
            invoke_id,
            retryable: matches!(status, 502 | 503) && purpose != RequestPurpose::Invoke,
        },
    }
}

fn purpose_name(purpose: RequestPurpose) -> &'static str {
    match purpose {
        RequestPurpose::Token => "the token endpoint",
        RequestPurpose::List => "the action list endpoint",
        RequestPurpose::Definition => "the definition endpoint",
        RequestPurpose::Invoke => "the invoke endpoint",
        RequestPurpose::Status => "the status endpoint",
        RequestPurpose::Cancel => "the cancel endpoint",
        RequestPurpose::Discovery => "the discovery endpoint",
    }
}

/// Where an operation stands between two calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The exchange's request is to be sent now.
    Ready,
    /// A request is out; waiting for `handle_response`.
    InFlight,
    /// The exchange's request is to be sent at this instant.
    WaitUntil(u64),
    /// The token must be refreshed, then the request sent.
    NeedsToken,
}

/// The phase bookkeeping shared by all operations.
#[derive(Debug)]
pub(crate) struct Progress<T> {
    pub(crate) phase: Phase,
    pub(crate) exchange: Exchange,
    result: Option<Result<T, DataActionsError>>,
    finished: bool,
}

impl<T> Progress<T> {
    pub(crate) fn new(request: HttpRequest) -> Self {
        Progress::of_profile(request, Profile::CxoneSeed)
    }

    pub(crate) fn of_profile(request: HttpRequest, profile: Profile) -> Self {
        Progress { phase: Phase::Ready, exchange: Exchange::of_profile(request, profile), result: None, finished: false }
    }

    pub(crate) fn poll(&mut self, now_ms: u64) -> Step<T> {
        if let Some(result) = self.result.take() {
            self.finished = true;
            return Step::Done(result);
        }
        if self.finished {
            return Step::Done(Err(DataActionsError::BadInput { message: "the operation has already finished".into() }));
        }
        match self.phase {
            Phase::WaitUntil(at) if now_ms < at => Step::WaitUntil(at),
            Phase::NeedsToken => {
                self.phase = Phase::Ready;
                Step::RefreshToken
            }
            Phase::InFlight => Step::Done(Err(DataActionsError::BadInput {
                message: "poll called while a request is in flight; hand its result to handle_response first".into(),
            })),
            Phase::Ready | Phase::WaitUntil(_) => {
                self.phase = Phase::InFlight;
                Step::Send(self.exchange.next_attempt())
            }
        }
    }

    pub(crate) fn is_over(&self) -> bool {
        self.finished || self.result.is_some()
    }

    pub(crate) fn finish(&mut self, result: Result<T, DataActionsError>) {
        if !self.is_over() {
            self.result = Some(result);
        }
    }

    /// Starts a new exchange (a new request) at `at`.
    pub(crate) fn next_exchange(&mut self, request: HttpRequest, at: u64) {
        self.exchange = Exchange::of_profile(request, self.exchange.profile);
        self.phase = Phase::WaitUntil(at);
    }

    /// Applies an exchange outcome other than an answer; answers are handed back.
    pub(crate) fn absorb(&mut self, outcome: ExchangeOutcome, invoke_id: Option<&str>) -> Option<HttpResponse> {
        match outcome {
            ExchangeOutcome::Answer(response) => return Some(response),
            ExchangeOutcome::RetryAt(at) => self.phase = Phase::WaitUntil(at),
            ExchangeOutcome::RefreshToken => self.phase = Phase::NeedsToken,
            ExchangeOutcome::Failed(error) => self.finish(Err(error.with_invoke_id(invoke_id))),
        }
        None
    }
}

/// An operation made of one exchange whose answer is read by `parse`: token, definition, status.
pub struct SingleRequest<T> {
    progress: Progress<T>,
    parse: fn(&HttpResponse, u64) -> Result<T, DataActionsError>,
    invoke_id: Option<String>,
}

impl<T> SingleRequest<T> {
    /// An operation that sends `request` and reads its answer with `parse` (which also maps the
    /// error statuses no retry mended).
    pub fn new(request: HttpRequest, parse: fn(&HttpResponse, u64) -> Result<T, DataActionsError>) -> Self {
        SingleRequest { progress: Progress::new(request), parse, invoke_id: None }
    }

    /// The same, to an upstream of `profile` (whose error bodies a 429 is read with).
    pub fn of_profile(request: HttpRequest, parse: fn(&HttpResponse, u64) -> Result<T, DataActionsError>, profile: Profile) -> Self {
        SingleRequest { progress: Progress::of_profile(request, profile), parse, invoke_id: None }
    }

    /// Names the invocation this request is about (for errors).
    pub fn for_invocation(mut self, invoke_id: &str) -> Self {
        self.invoke_id = Some(invoke_id.to_string());
        self
    }

    /// The next step at `now_ms`.
    pub fn poll(&mut self, now_ms: u64) -> Step<T> {
        self.progress.poll(now_ms)
    }

    /// Hands in the result of the request last sent.
    pub fn handle_response(&mut self, result: Result<HttpResponse, TransportFailure>, governor: &mut RetryGovernor, now_ms: u64) {
        if self.progress.phase != Phase::InFlight {
            return;
        }
        let invoke_id = self.invoke_id.as_deref();
        let outcome = self.progress.exchange.on_result(result, governor, now_ms, invoke_id);
        if let Some(response) = self.progress.absorb(outcome, invoke_id) {
            let parsed = (self.parse)(&response, now_ms).map_err(|e| e.with_invoke_id(invoke_id));
            self.progress.finish(parsed);
        }
    }

    /// Gives up: the next poll answers a cancellation.
    pub fn cancel(&mut self) {
        let invoke_id = self.invoke_id.clone();
        self.progress.finish(Err(DataActionsError::Cancelled { invoke_id, by_upstream: false }));
    }
}

/// What every operation offers the driver.
pub trait Operation {
    /// What it ends with.
    type Output;
    /// The next step at `now_ms`.
    fn poll(&mut self, now_ms: u64) -> Step<Self::Output>;
    /// Hands in the result of the request last sent.
    fn handle_response(&mut self, result: Result<HttpResponse, TransportFailure>, governor: &mut RetryGovernor, now_ms: u64);
    /// Gives up; the next poll answers a cancellation.
    fn cancel(&mut self);
    /// A status change to report, if the operation has one.
    fn take_status_event(&mut self) -> Option<super::invocation::StatusEvent> {
        None
    }
}

impl<T> Operation for SingleRequest<T> {
    type Output = T;
    fn poll(&mut self, now_ms: u64) -> Step<T> {
        SingleRequest::poll(self, now_ms)
    }
    fn handle_response(&mut self, result: Result<HttpResponse, TransportFailure>, governor: &mut RetryGovernor, now_ms: u64) {
        SingleRequest::handle_response(self, result, governor, now_ms);
    }
    fn cancel(&mut self) {
        SingleRequest::cancel(self);
    }
}
