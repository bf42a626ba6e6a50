//! OAuth 2.0 client-credentials token endpoint and bearer-token checks.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::errors::{json_response, with_cache_control, ApiError};
use crate::faults;
use crate::oauth_form;
use crate::state::{AppState, Scopes, SCOPE_EXECUTE, SCOPE_READ};
use crate::stats::Route;

/// An RFC 6749 error answer: `{"error":"...","error_description":"..."}`.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    basic_challenge: bool,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            basic_challenge: false,
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_client(description: impl Into<String>, basic_challenge: bool) -> Self {
        Self {
            basic_challenge,
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
        }
    }
}

#[derive(Serialize)]
struct OAuthErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = with_cache_control(
            json_response(
                self.status,
                &OAuthErrorBody {
                    error: self.error,
                    error_description: &self.description,
                },
            ),
            "no-store",
        );
        if self.basic_challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"cxone-emulator\""),
            );
        }
        response
    }
}

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    scope: &'a str,
}

/// The parameters of a token request.
#[derive(Debug, Default)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, OAuthError> {
    let mut fields = oauth_form::fields(
        headers,
        body,
        &["grant_type", "client_id", "client_secret", "scope"],
    )
    .map_err(|problem| OAuthError::invalid_request(problem.to_string()))?;
    Ok(TokenRequest {
        grant_type: fields.remove("grant_type"),
        client_id: fields.remove("client_id"),
        client_secret: fields.remove("client_secret"),
        scope: fields.remove("scope"),
    })
}

/// Client credentials from an `Authorization: Basic` header, if one is present.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    oauth_form::basic(headers)
        .map_err(|()| OAuthError::invalid_client("malformed Basic Authorization header", true))
}

/// Granted = requested ∩ {read, execute}; nothing requested grants both.
fn grant(requested: Option<&str>) -> Result<Scopes, OAuthError> {
    let words: Vec<&str> = requested
        .unwrap_or("")
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Ok(Scopes::ALL);
    }
    let scopes = Scopes {
        read: words.contains(&SCOPE_READ),
        execute: words.contains(&SCOPE_EXECUTE),
    };
    if scopes.is_empty() {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            format!(
                "none of the requested scopes is known; known scopes: {SCOPE_READ} {SCOPE_EXECUTE}"
            ),
        ));
    }
    Ok(scopes)
}

fn issue(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let request = parse_form(headers, body)?;
    match request.grant_type.as_deref() {
        None => return Err(OAuthError::invalid_request("grant_type is required")),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant type {other:?} is not supported; use client_credentials"),
            ))
        }
    }
    let basic = basic_credentials(headers)?;
    let (client_id, client_secret, via_basic) =
        match (basic, request.client_id, request.client_secret) {
            // A client_id in the body may repeat the Basic one; a second secret may not.
            (Some((id, secret)), body_id, None) if body_id.as_ref().is_none_or(|b| *b == id) => {
                (id, secret, true)
            }
            (Some(_), _, _) => {
                return Err(OAuthError::invalid_request(
                    "use either Basic authentication or body credentials, not both",
                ))
            }
            (None, Some(id), Some(secret)) => (id, secret, false),
            (None, _, _) => {
                return Err(OAuthError::invalid_client(
                    "client_id and client_secret are required",
                    false,
                ))
            }
        };
    if client_id != state.settings.client_id || client_secret != state.settings.client_secret {
        return Err(OAuthError::invalid_client(
            "unknown client or wrong client secret",
            via_basic,
        ));
    }
    let scopes = grant(request.scope.as_deref())?;
    let (token, lifetime) = state.issue_token(scopes);
    let scope = scopes.to_scope_string();
    let mut response = with_cache_control(
        json_response(
            StatusCode::OK,
            &TokenBody {
                access_token: &token,
                token_type: "Bearer",
                expires_in: lifetime,
                scope: &scope,
            },
        ),
        "no-store",
    );
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `POST /oauth2/token`.
pub async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.stats.count(Route::Token, None);
    faults::delay(&state, &state.knobs()).await;
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return OAuthError::invalid_request(rejection.body_text()).into_response()
        }
    };
    match issue(&state, &headers, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn unauthorized(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message).with_header(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    )
}

/// The bearer token of a request, or why there is none usable (the message of the 401).
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, &'static str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Err("missing bearer token"),
        (Some(_), Some(_)) => return Err("more than one Authorization header"),
        (Some(value), None) => value,
    };
    let text = value
        .to_str()
        .map_err(|_| "malformed Authorization header")?;
    let (scheme, token) = text
        .trim()
        .split_once(' ')
        .ok_or("malformed Authorization header")?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("the Authorization scheme must be Bearer");
    }
    let token = token.trim();
    if token.is_empty() {
        return Err("missing bearer token");
    }
    Ok(token)
}

/// The scopes of the request's bearer token, or the 401 to answer.
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Scopes, ApiError> {
    let token = bearer_token(headers).map_err(unauthorized)?;
    state
        .check_token(token)
        .map_err(|problem| unauthorized(problem.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_intersected() {
        assert_eq!(grant(None).ok(), Some(Scopes::ALL));
        assert_eq!(grant(Some("  ")).ok(), Some(Scopes::ALL));
        assert_eq!(
            grant(Some("data-actions:read other")).ok(),
            Some(Scopes {
                read: true,
                execute: false
            })
        );
        assert_eq!(
            grant(Some("data-actions:execute  data-actions:read")).ok(),
            Some(Scopes::ALL)
        );
        assert!(grant(Some("admin")).is_err());
    }

    #[test]
    fn repeated_parameters_are_malformed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert!(parse_form(&headers, b"grant_type=a&grant_type=b").is_err());
        let ok = parse_form(&headers, b"grant_type=client_credentials&scope=a+b&extra=1");
        assert_eq!(ok.ok().and_then(|r| r.scope), Some("a b".to_owned()));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(parse_form(&headers, b"grant_type=client_credentials").is_err());
    }
}
