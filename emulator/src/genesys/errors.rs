//! Genesys Cloud's `ErrorBody` (Platform API SDK model `ErrorBody` with `Detail` entries): every
//! `/api/v2` failure of the genesys-cloud profile answers one, with a fresh `contextId` that is
//! also sent as the `ININ-Correlation-Id` header.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::errors::json_response;

/// The correlation header the platform sends with every answer.
pub const CORRELATION_HEADER: &str = "inin-correlation-id";

/// One entry of `details`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    pub error_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
}

impl Detail {
    pub fn new(error_code: impl Into<String>) -> Self {
        Self {
            error_code: error_code.into(),
            field_name: None,
            entity_id: None,
            entity_name: None,
        }
    }

    pub fn field(error_code: impl Into<String>, field_name: impl Into<String>) -> Self {
        Self {
            field_name: Some(field_name.into()),
            ..Self::new(error_code)
        }
    }
}

/// An error answer of the genesys-cloud profile (boxed, so results that carry one stay small).
#[derive(Debug)]
pub struct ErrorBody(Box<ErrorFields>);

/// The parts of an [`ErrorBody`].
#[derive(Debug)]
pub struct ErrorFields {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub message_with_params: String,
    pub message_params: Map<String, Value>,
    pub entity_id: Option<String>,
    pub details: Vec<Detail>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    message: &'a str,
    code: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    entity_id: Option<&'a str>,
    message_with_params: &'a str,
    message_params: &'a Map<String, Value>,
    context_id: &'a str,
    details: &'a [Detail],
    errors: &'a [Value],
}

/// A fresh id in the platform's form (a random UUID, version 4).
pub fn context_id() -> String {
    let bytes: [u8; 16] = rand::thread_rng().gen();
    let mut hex = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        let b = match i {
            6 => (b & 0x0f) | 0x40,
            8 => (b & 0x3f) | 0x80,
            _ => *b,
        };
        if matches!(i, 4 | 6 | 8 | 10) {
            hex.push('-');
        }
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

impl std::ops::Deref for ErrorBody {
    type Target = ErrorFields;
    fn deref(&self) -> &ErrorFields {
        &self.0
    }
}

impl std::ops::DerefMut for ErrorBody {
    fn deref_mut(&mut self) -> &mut ErrorFields {
        &mut self.0
    }
}

impl ErrorBody {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self(Box::new(ErrorFields {
            status,
            code: code.to_owned(),
            message_with_params: message.clone(),
            message,
            message_params: Map::new(),
            entity_id: None,
            details: Vec::new(),
            headers: Vec::new(),
        }))
    }

    /// A message with `{name}` placeholders and their values: `message` is the template filled
    /// in, `messageWithParams` the template, `messageParams` the values.
    pub fn with_params(
        status: StatusCode,
        code: &str,
        template: &str,
        params: &[(&str, &str)],
    ) -> Self {
        let mut message = template.to_owned();
        let mut message_params = Map::new();
        for (name, value) in params {
            message = message.replace(&format!("{{{name}}}"), value);
            message_params.insert((*name).to_owned(), Value::String((*value).to_owned()));
        }
        let mut error = Self::new(status, code, message);
        error.message_with_params = template.to_owned();
        error.message_params = message_params;
        error
    }

    pub fn with_details(mut self, details: Vec<Detail>) -> Self {
        self.details = details;
        self
    }

    pub fn with_entity(mut self, entity_id: &str) -> Self {
        self.entity_id = Some(entity_id.to_owned());
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad.request", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not.found", message)
    }
}

impl IntoResponse for ErrorBody {
    fn into_response(self) -> Response {
        let context_id = context_id();
        let this = *self.0;
        let mut response = json_response(
            this.status,
            &Wire {
                message: &this.message,
                code: &this.code,
                status: this.status.as_u16(),
                entity_id: this.entity_id.as_deref(),
                message_with_params: &this.message_with_params,
                message_params: &this.message_params,
                context_id: &context_id,
                details: &this.details,
                errors: &[],
            },
        );
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&context_id) {
            headers.insert(HeaderName::from_static(CORRELATION_HEADER), value);
        }
        for (name, value) in this.headers {
            headers.append(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_ids_are_fresh_v4_uuids() {
        let a = context_id();
        let b = context_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn params_fill_the_template() {
        let e = ErrorBody::with_params(
            StatusCode::NOT_FOUND,
            "not.found",
            "Action {actionId} not found",
            &[("actionId", "x-1")],
        );
        assert_eq!(e.message, "Action x-1 not found");
        assert_eq!(e.message_with_params, "Action {actionId} not found");
        assert_eq!(e.message_params["actionId"], "x-1");
    }
}
