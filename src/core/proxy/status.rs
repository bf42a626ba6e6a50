//! How the proxy answers errors: the HTTP status of each error kind, `Retry-After`, and the body
//! `{error: ErrorDetails}`.

use serde_json::{json, Value};

use crate::core::error::{DataActionsError, ErrorDetails};
use crate::core::http::TransportFailureKind;

/// The HTTP status the proxy answers for an error. Errors the upstream caused (including its
/// refusal of the proxy's own credentials) are 502, keeping their `code`; a timeout is 504.
pub fn http_status(error: &DataActionsError) -> u16 {
    match error {
        DataActionsError::Validation { .. } => 422,
        DataActionsError::BadInput { .. } | DataActionsError::NotSupportedByProfile { .. } => 400,
        DataActionsError::NotFound { .. } => 404,
        DataActionsError::Forbidden { .. } => 403,
        DataActionsError::RateLimited { .. } => 429,
        DataActionsError::Timeout { .. } => 504,
        DataActionsError::Transport { kind: TransportFailureKind::Timeout, .. } => 504,
        DataActionsError::Config { .. } => 503,
        DataActionsError::Unauthorized { .. }
        | DataActionsError::ExecutionFailed { .. }
        | DataActionsError::Cancelled { .. }
        | DataActionsError::Upstream { .. }
        | DataActionsError::Transport { .. } => 502,
    }
}

/// Seconds for a `Retry-After` header: the upstream's own hint for a rate-limited call (at least
/// one second), one second for other retryable errors, none otherwise.
pub fn retry_after_seconds(error: &DataActionsError) -> Option<u64> {
    match error {
        DataActionsError::RateLimited { retry_after_ms, .. } => Some(retry_after_ms.unwrap_or(1_000).div_ceil(1_000).max(1)),
        _ if error.retryable() => Some(1),
        _ => None,
    }
}

/// `{"error": details}`.
pub fn error_body(details: &ErrorDetails) -> Value {
    json!({ "error": details })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ValidationIssue;

    #[test]
    fn statuses_follow_the_error_kind() {
        let cases: Vec<(DataActionsError, u16)> = vec![
            (DataActionsError::Validation { status: None, issues: Vec::<ValidationIssue>::new() }, 422),
            (DataActionsError::BadInput { message: "x".into() }, 400),
            (DataActionsError::NotFound { correlation_id: None, upstream_code: None, message: "x".into(), invoke_id: None }, 404),
            (DataActionsError::Forbidden { correlation_id: None, missing_scope: None, upstream_code: None, message: "x".into() }, 403),
            (DataActionsError::RateLimited { correlation_id: None, attempts: 5, retry_after_ms: Some(1_500), upstream_code: None, message: "x".into() }, 429),
            (DataActionsError::Timeout { status: Some(504), invoke_id: None, elapsed_ms: 1 }, 504),
            (DataActionsError::Unauthorized { correlation_id: None, status: 401, upstream_code: None, message: "x".into() }, 502),
            (DataActionsError::Upstream { correlation_id: None, status: 500, upstream_code: None, message: "x".into(), invoke_id: None, retryable: false }, 502),
            (DataActionsError::Config { field: "clientId".into(), reason: "is required".into() }, 503),
        ];
        for (error, status) in cases {
            assert_eq!(http_status(&error), status, "{error}");
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let limited = DataActionsError::RateLimited { correlation_id: None, attempts: 5, retry_after_ms: Some(1_500), upstream_code: None, message: "x".into() };
        assert_eq!(retry_after_seconds(&limited), Some(2));
        let bad = DataActionsError::BadInput { message: "x".into() };
        assert_eq!(retry_after_seconds(&bad), None);
        let body = error_body(&limited.details());
        assert_eq!(body["error"]["code"], "rate_limited");
        assert_eq!(body["error"]["retryAfterMs"], 1_500);
    }
}
