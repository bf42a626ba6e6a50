//! One typed error for everything an invocation can end in, with the fields callers branch on.

use serde::{Deserialize, Deserializer, Serialize};

use super::http::TransportFailureKind;
use super::json::unit_variant;

/// What is wrong with one input parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// A required parameter is absent (or null).
    MissingRequired,
    /// The definition has no parameter of that name.
    UnknownParameter,
    /// The value is of a type that cannot be converted losslessly.
    WrongType,
    /// A number outside `minimum`/`maximum`, or a string outside `minLength`/`maxLength`.
    OutOfRange,
    /// A value that is not one of the schema's `enum`.
    NotInEnum,
}

impl IssueKind {
    /// Every kind; `NAMES[i]` is the JSON name of `ALL[i]` (what `Serialize` writes: a test holds
    /// the two together).
    pub const ALL: [IssueKind; 5] =
        [IssueKind::MissingRequired, IssueKind::UnknownParameter, IssueKind::WrongType, IssueKind::OutOfRange, IssueKind::NotInEnum];
    /// The kinds' JSON names, in the order of [`IssueKind::ALL`].
    pub const NAMES: [&'static str; 5] = ["missing_required", "unknown_parameter", "wrong_type", "out_of_range", "not_in_enum"];

    /// The kind of that JSON name.
    pub fn from_name(name: &str) -> Option<IssueKind> {
        IssueKind::NAMES.iter().position(|known| *known == name).and_then(|i| IssueKind::ALL.get(i).copied())
    }
}

impl<'de> Deserialize<'de> for IssueKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        unit_variant(deserializer, "enum IssueKind", &IssueKind::NAMES, &IssueKind::ALL, None)
    }
}

/// One problem with the inputs, naming the parameter and where in the inputs it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationIssue {
    /// The top-level parameter's name (empty for a problem with the inputs as a whole).
    pub parameter: String,
    /// Where the problem is, as an RFC 6901 JSON pointer into the inputs: `/customerId`,
    /// `/address/zip`, `/tags/0`; empty for the inputs as a whole. (Issues from older peers
    /// without one read as empty.)
    #[serde(default)]
    pub pointer: String,
    /// The kind of problem.
    pub kind: IssueKind,
    /// The type the definition expects, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// A sentence for people.
    pub message: String,
}

/// A name as one RFC 6901 reference token: `~` becomes `~0`, `/` becomes `~1`.
pub fn pointer_segment(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The JSON pointer of a top-level parameter: `/` and its escaped name.
pub fn parameter_pointer(name: &str) -> String {
    format!("/{}", pointer_segment(name))
}

/// One entry of an upstream `errors: [{code, message}]` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamError {
    /// The upstream's code (numbers are kept as their decimal text).
    pub code: String,
    /// The upstream's message.
    pub message: String,
}

/// Every way a call can fail. Each variant carries what a caller needs to decide what to do next;
/// none carries a secret or a token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataActionsError {
    /// A configuration field is missing or malformed; reported when the client is built.
    #[error("invalid configuration: `{field}` {reason}")]
    Config {
        /// The field's name, as the caller spelled it.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The credentials or the token were rejected (401), even after one refresh.
    #[error("unauthorized (HTTP {status}): {message}")]
    Unauthorized {
        /// HTTP status (401, or 400 from the token endpoint).
        status: u16,
        /// The upstream's code, e.g. `invalid_client`.
        upstream_code: Option<String>,
        /// What the upstream said.
        message: String,
        /// The upstream's correlation id of the failed request (Genesys Cloud's `contextId`), when it gave one.
        correlation_id: Option<String>,
    },
    /// The token lacks a scope or the tenant a role (403).
    #[error("forbidden (HTTP 403): {message}")]
    Forbidden {
        /// The scope the call needs, when a scope is what is missing.
        missing_scope: Option<String>,
        /// The upstream's code.
        upstream_code: Option<String>,
        /// What is missing, in words.
        message: String,
        /// The upstream's correlation id of the failed request (Genesys Cloud's `contextId`), when it gave one.
        correlation_id: Option<String>,
    },
    /// The action or the invocation does not exist (404).
    #[error("not found (HTTP 404): {message}")]
    NotFound {
        /// The upstream's code.
        upstream_code: Option<String>,
        /// What was not found.
        message: String,
        /// The invocation, when it was the invocation that was not found.
        invoke_id: Option<String>,
        /// The upstream's correlation id of the failed request (Genesys Cloud's `contextId`), when it gave one.
        correlation_id: Option<String>,
    },
    /// The inputs do not match the action's definition: every problem is listed.
    #[error("{} input problem(s): {}", issues.len(), summarize(issues))]
    Validation {
        /// 422 when the upstream rejected the inputs; `None` when the client found the problems.
        status: Option<u16>,
        /// Every problem, each naming its parameter.
        issues: Vec<ValidationIssue>,
    },
    /// The upstream kept answering 429 until the retry policy gave up.
    #[error("rate limited (HTTP 429) after {attempts} attempt(s){}", retry_hint(*retry_after_ms))]
    RateLimited {
        /// How many requests were answered 429.
        attempts: u32,
        /// The last `Retry-After`, in milliseconds.
        retry_after_ms: Option<u64>,
        /// The upstream's code.
        upstream_code: Option<String>,
        /// What the upstream said.
        message: String,
        /// The upstream's correlation id of the failed request (Genesys Cloud's `contextId`), when it gave one.
        correlation_id: Option<String>,
    },
    /// The action ran and failed (an `errors[]` body, or an async status of `failed`).
    #[error("execution failed{}: {message}", invoke_hint(invoke_id.as_deref()))]
    ExecutionFailed {
        /// HTTP status, when the failure came as a status.
        status: Option<u16>,
        /// The invocation.
        invoke_id: Option<String>,
        /// The upstream's first error code.
        upstream_code: Option<String>,
        /// The upstream's first error message.
        message: String,
        /// Every error the upstream listed.
        errors: Vec<UpstreamError>,
        /// The upstream's correlation id of the failed request (Genesys Cloud's `contextId`), when it gave one.
        correlation_id: Option<String>,
    },
    /// The invocation did not finish within the allowed time, or the upstream answered 504.
    #[error("timed out after {elapsed_ms} ms{}", invoke_hint(invoke_id.as_deref()))]
    Timeout {
        /// HTTP status (504) when the upstream said so.
        status: Option<u16>,
        /// The invocation, which may still finish upstream: poll it rather than invoke again.
        invoke_id: Option<String>,
        /// How long the client waited.
        elapsed_ms: u64,
    },
    /// The caller cancelled, or the upstream reports the invocation `cancelled`.
    #[error("cancelled{}{}", if *by_upstream { " upstream" } else { " by the caller" }, invoke_hint(invoke_id.as_deref()))]
    Cancelled {
        /// The invocation, if one had started.
        invoke_id: Option<String>,
        /// True when the upstream reported the cancellation.
        by_upstream: bool,
    },
    /// Any other upstream answer that is not a success (5xx, unexpected statuses, malformed bodies).
    #[error("upstream error (HTTP {status}): {message}")]
    Upstream {
        /// HTTP status.
        status: u16,
        /// The upstream's code.
        upstream_code: Option<String>,
        /// What the upstream said, or what was wrong with its answer.
        message: String,
        /// The invocation, where known.
        invoke_id: Option<String>,
        /// Whether the same call may be tried again later.
        retryable: bool,
        /// The upstream's correlation id of the failed request (Genesys Cloud's `contextId`), when it gave one.
        correlation_id: Option<String>,
    },
    /// No HTTP answer (network failure or per-request timeout).
    #[error("transport failure ({kind:?}): {message}{}", if *outcome_unknown { "; the invoke may have run upstream and was not repeated" } else { "" })]
    Transport {
        /// What went wrong.
        kind: TransportFailureKind,
        /// A detail, free of secrets.
        message: String,
        /// True for an invoke POST that may have reached the upstream: it is never repeated
        /// automatically, to avoid running the action twice.
        outcome_unknown: bool,
        /// The invocation, where known.
        invoke_id: Option<String>,
    },
    /// The configured upstream profile cannot do what was asked (an asynchronous option, a callback
    /// or a status request against `genesys-cloud`, whose data actions run synchronously only).
    #[error("not supported by the `{profile}` profile: {message}")]
    NotSupportedByProfile {
        /// The profile, e.g. `genesys-cloud`.
        profile: String,
        /// What cannot be done, and why.
        message: String,
    },
    /// The caller's input is malformed (an action id with forbidden characters, a body that is not
    /// JSON, a callback payload without a status...).
    #[error("bad input: {message}")]
    BadInput {
        /// What is wrong.
        message: String,
    },
}

fn summarize(issues: &[ValidationIssue]) -> String {
    issues.iter().map(|i| i.message.as_str()).collect::<Vec<_>>().join("; ")
}

fn retry_hint(retry_after_ms: Option<u64>) -> String {
    retry_after_ms.map(|ms| format!("; retry after {ms} ms")).unwrap_or_default()
}

fn invoke_hint(invoke_id: Option<&str>) -> String {
    invoke_id.map(|id| format!(" (invokeId {id})")).unwrap_or_default()
}

impl DataActionsError {
    /// A stable string for the kind of error, the contract that JS callers and the Worker's JSON
    /// answers branch on.
    pub fn code(&self) -> &'static str {
        match self {
            DataActionsError::Config { .. } => "config",
            DataActionsError::Unauthorized { .. } => "unauthorized",
            DataActionsError::Forbidden { .. } => "forbidden",
            DataActionsError::NotFound { .. } => "not_found",
            DataActionsError::Validation { .. } => "validation",
            DataActionsError::RateLimited { .. } => "rate_limited",
            DataActionsError::ExecutionFailed { .. } => "execution_failed",
            DataActionsError::Timeout { .. } => "timeout",
            DataActionsError::Cancelled { .. } => "cancelled",
            DataActionsError::Upstream { .. } => "upstream",
            DataActionsError::Transport { .. } => "transport",
            DataActionsError::BadInput { .. } => "bad_input",
            DataActionsError::NotSupportedByProfile { .. } => "not_supported_by_profile",
        }
    }

    /// The HTTP status behind the error, where there is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            DataActionsError::Unauthorized { status, .. } | DataActionsError::Upstream { status, .. } => Some(*status),
            DataActionsError::Forbidden { .. } => Some(403),
            DataActionsError::NotFound { .. } => Some(404),
            DataActionsError::RateLimited { .. } => Some(429),
            DataActionsError::Validation { status, .. }
            | DataActionsError::ExecutionFailed { status, .. }
            | DataActionsError::Timeout { status, .. } => *status,
            _ => None,
        }
    }

    /// Whether the same call may succeed if tried again later, unchanged.
    pub fn retryable(&self) -> bool {
        match self {
            DataActionsError::RateLimited { .. } => true,
            DataActionsError::Upstream { retryable, .. } => *retryable,
            DataActionsError::Transport { kind, outcome_unknown, .. } => {
                !outcome_unknown && !matches!(kind, TransportFailureKind::Refused | TransportFailureKind::TooLarge)
            }
            DataActionsError::Timeout { invoke_id, .. } => invoke_id.is_none() && self.status() == Some(504),
            _ => false,
        }
    }

    /// The upstream's error code, where it gave one.
    pub fn upstream_code(&self) -> Option<&str> {
        match self {
            DataActionsError::Unauthorized { upstream_code, .. }
            | DataActionsError::Forbidden { upstream_code, .. }
            | DataActionsError::NotFound { upstream_code, .. }
            | DataActionsError::RateLimited { upstream_code, .. }
            | DataActionsError::ExecutionFailed { upstream_code, .. }
            | DataActionsError::Upstream { upstream_code, .. } => upstream_code.as_deref(),
            _ => None,
        }
    }

    /// The upstream's correlation id of the failed request (Genesys Cloud's `contextId`), where it
    /// gave one.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            DataActionsError::Unauthorized { correlation_id, .. }
            | DataActionsError::Forbidden { correlation_id, .. }
            | DataActionsError::NotFound { correlation_id, .. }
            | DataActionsError::RateLimited { correlation_id, .. }
            | DataActionsError::ExecutionFailed { correlation_id, .. }
            | DataActionsError::Upstream { correlation_id, .. } => correlation_id.as_deref(),
            _ => None,
        }
    }

    /// The invocation the error belongs to, where known.
    pub fn invoke_id(&self) -> Option<&str> {
        match self {
            DataActionsError::NotFound { invoke_id, .. }
            | DataActionsError::ExecutionFailed { invoke_id, .. }
            | DataActionsError::Timeout { invoke_id, .. }
            | DataActionsError::Cancelled { invoke_id, .. }
            | DataActionsError::Upstream { invoke_id, .. }
            | DataActionsError::Transport { invoke_id, .. } => invoke_id.as_deref(),
            _ => None,
        }
    }

    /// Records the invocation on errors that can carry one and do not yet.
    pub fn with_invoke_id(mut self, id: Option<&str>) -> Self {
        if let Some(id) = id {
            match &mut self {
                DataActionsError::NotFound { invoke_id, .. }
                | DataActionsError::ExecutionFailed { invoke_id, .. }
                | DataActionsError::Timeout { invoke_id, .. }
                | DataActionsError::Cancelled { invoke_id, .. }
                | DataActionsError::Upstream { invoke_id, .. }
                | DataActionsError::Transport { invoke_id, .. }
                    if invoke_id.is_none() =>
                {
                    *invoke_id = Some(id.to_string());
                }
                _ => {}
            }
        }
        self
    }

    /// The validation issues (empty for other kinds).
    pub fn issues(&self) -> &[ValidationIssue] {
        match self {
            DataActionsError::Validation { issues, .. } => issues,
            _ => &[],
        }
    }

    /// The serializable view that the JS bindings and the Worker hand to callers.
    pub fn details(&self) -> ErrorDetails {
        ErrorDetails {
            code: self.code().to_string(),
            message: self.to_string(),
            status: self.status(),
            retryable: self.retryable(),
            upstream_code: self.upstream_code().map(str::to_string),
            invoke_id: self.invoke_id().map(str::to_string),
            upstream_correlation_id: self.correlation_id().map(str::to_string),
            issues: self.issues().to_vec(),
            retry_after_ms: match self {
                DataActionsError::RateLimited { retry_after_ms, .. } => *retry_after_ms,
                _ => None,
            },
            missing_scope: match self {
                DataActionsError::Forbidden { missing_scope, .. } => missing_scope.clone(),
                _ => None,
            },
            field: match self {
                DataActionsError::Config { field, .. } => Some(field.clone()),
                _ => None,
            },
        }
    }
}

/// The error as data: `{code, message, status, retryable, upstreamCode, invokeId, issues, ...}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetails {
    /// [`DataActionsError::code`].
    pub code: String,
    /// The error's message.
    pub message: String,
    /// HTTP status, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// [`DataActionsError::retryable`].
    pub retryable: bool,
    /// The upstream's code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_code: Option<String>,
    /// The invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoke_id: Option<String>,
    /// The upstream's correlation id of the failed request (Genesys Cloud's `contextId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_correlation_id: Option<String>,
    /// Validation issues.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<ValidationIssue>,
    /// The last `Retry-After` of a rate-limited call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// The scope a forbidden call lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_scope: Option<String>,
    /// The configuration field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorDetails {
    /// Details with only a code, a message and a status; the other fields empty.
    pub fn new(code: &str, message: impl Into<String>, status: Option<u16>, retryable: bool) -> Self {
        ErrorDetails { code: code.to_string(), message: message.into(), status, retryable, ..ErrorDetails::default() }
    }
}

/// What an upstream error body said, whatever its shape (each profile reads its own:
/// [`super::profile::Profile::read_error_body`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpstreamErrorBody {
    /// The errors it listed, the most telling first.
    pub errors: Vec<UpstreamError>,
    /// The upstream's correlation id of the request (Genesys Cloud's `contextId`).
    pub correlation_id: Option<String>,
    /// The input problems it named, each with its parameter.
    pub issues: Vec<ValidationIssue>,
}

/// One `{code, message}` entry, tolerant of numeric codes and missing fields.
pub fn upstream_error_from_value(value: &serde_json::Value) -> UpstreamError {
    let code = match value.get("code") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => "UNKNOWN".to_string(),
    };
    let message = value
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or("no message")
        .to_string();
    UpstreamError { code, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::profile::cxone_seed::parse_upstream_errors;

    #[test]
    fn codes_are_stable_strings() {
        let e = DataActionsError::RateLimited { correlation_id: None, attempts: 3, retry_after_ms: Some(1000), upstream_code: None, message: "slow down".into() };
        assert_eq!(e.code(), "rate_limited");
        assert_eq!(e.status(), Some(429));
        assert!(e.retryable());
        assert_eq!(e.to_string(), "rate limited (HTTP 429) after 3 attempt(s); retry after 1000 ms");
    }

    #[test]
    fn parses_both_error_body_shapes() {
        let errors = parse_upstream_errors(br#"{"errors":[{"code":500,"message":"boom"},{"code":"X"}]}"#);
        assert_eq!(errors, vec![
            UpstreamError { code: "500".into(), message: "boom".into() },
            UpstreamError { code: "X".into(), message: "no message".into() },
        ]);
        let oauth = parse_upstream_errors(br#"{"error":"invalid_client","error_description":"bad secret"}"#);
        assert_eq!(oauth[0].code, "invalid_client");
        assert!(parse_upstream_errors(b"<html>").is_empty());
    }

    #[test]
    fn details_carry_invoke_id_and_issues() {
        let e = DataActionsError::Timeout { status: None, invoke_id: None, elapsed_ms: 5 }.with_invoke_id(Some("inv-1"));
        let d = e.details();
        assert_eq!(d.invoke_id.as_deref(), Some("inv-1"));
        assert!(!d.retryable);
        let json = serde_json::to_value(&d).unwrap_or_default();
        assert_eq!(json["code"], "timeout");
        assert_eq!(json["invokeId"], "inv-1");
    }
}
