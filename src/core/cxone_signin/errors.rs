//! The errors the sign-in builds, in one place: the existing kinds (`upstream` for what the
//! platform answered wrongly, `unauthorized` for refused credentials, `forbidden`), and the
//! reading of OAuth's `{error, error_description}` bodies. Messages name what is wrong, never a
//! secret or a token.

use crate::core::error::{DataActionsError, UpstreamError};
use crate::core::http::{HttpResponse, RequestPurpose};
use crate::core::operation::response_error;
use crate::core::profile::cxone_seed::parse_upstream_errors;

/// The first error an error body names (RFC 6749 §5.2's `error` and `error_description`, or an
/// `errors[]` list). CXone's API reference spells the description `errorDescription`: it is
/// read when `error_description` is absent.
pub(super) fn first_upstream_error(body: &[u8]) -> Option<UpstreamError> {
    let mut first = parse_upstream_errors(body).into_iter().next()?;
    if first.message == first.code {
        let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let camel = value.get("errorDescription").and_then(serde_json::Value::as_str);
        if let (None, Some(description)) = (value.get("error_description"), camel) {
            first.message = description.to_string();
        }
    }
    Some(first)
}

/// `upstream`: an answer that is not what the platform documents.
pub(super) fn upstream(status: u16, upstream_code: Option<String>, message: String, retryable: bool) -> DataActionsError {
    DataActionsError::Upstream { correlation_id: None, status, upstream_code, message, invoke_id: None, retryable }
}

/// `upstream`, not retryable: a malformed answer.
pub(super) fn malformed(status: u16, message: String) -> DataActionsError {
    upstream(status, None, message, false)
}

/// `unauthorized`: the token endpoint refused the credentials.
pub(super) fn unauthorized(status: u16, upstream_code: Option<String>, message: String) -> DataActionsError {
    DataActionsError::Unauthorized { correlation_id: None, status, upstream_code, message }
}

/// `forbidden`: the platform will not let this client or user sign in.
pub(super) fn forbidden(upstream_code: Option<String>, message: String) -> DataActionsError {
    DataActionsError::Forbidden { correlation_id: None, missing_scope: None, upstream_code, message }
}

/// Any other answer of the token endpoint that is not a success, mapped as every token
/// endpoint's is.
pub(super) fn token_endpoint_error(response: &HttpResponse) -> DataActionsError {
    response_error(response, RequestPurpose::Token, None)
}
