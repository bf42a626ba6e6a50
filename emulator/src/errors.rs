//! Error bodies and JSON responses.
//!
//! Every `/api` and `/_emulator` failure answers `{"errors":[{"code","message",...}]}`;
//! the OAuth endpoint has its own RFC 6749 shape (see `auth.rs`).

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// One entry of an `errors` array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorItem {
    pub code: String,
    pub message: String,
    /// The input parameter a validation problem is about (422 answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// The knob a configuration problem is about (`/_emulator/config` answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorItem {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            parameter: None,
            field: None,
        }
    }

    pub fn with_parameter(mut self, parameter: impl Into<String>) -> Self {
        self.parameter = Some(parameter.into());
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

/// An error answer: a status, the `errors` array and extra headers.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub errors: Vec<ErrorItem>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self::many(status, vec![ErrorItem::new(code, message)])
    }

    pub fn many(status: StatusCode, errors: Vec<ErrorItem>) -> Self {
        Self {
            status,
            errors,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn missing_scope(scope: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "MISSING_SCOPE",
            format!("token lacks scope {scope}"),
        )
    }
}

#[derive(Serialize)]
struct ErrorsBody<'a> {
    errors: &'a [ErrorItem],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(
            self.status,
            &ErrorsBody {
                errors: &self.errors,
            },
        );
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

/// Serialises `value` into a JSON answer with the given status.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_bytes_response(status, bytes),
        Err(_) => plain_response(StatusCode::INTERNAL_SERVER_ERROR, "serialisation failed"),
    }
}

/// `response` with `Cache-Control: {directive}` (`no-store` on token answers, `no-cache` on
/// definitions and listings).
pub fn with_cache_control(mut response: Response, directive: &'static str) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(directive));
    response
}

/// A JSON answer from already serialised bytes.
pub fn json_bytes_response(status: StatusCode, bytes: impl Into<Body>) -> Response {
    let mut response = Response::new(bytes.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A `text/plain` answer.
pub fn plain_response(status: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
