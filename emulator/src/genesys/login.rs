//! The Genesys Cloud login service's client-credentials grant: `POST /oauth/token` with
//! `Authorization: Basic base64(clientId:clientSecret)` and `grant_type=client_credentials`,
//! answering `{access_token, token_type:"bearer", expires_in}`. Its errors are
//! `{error, description, error_description}`: an unknown client is 400, a wrong secret 401.
//! `/_emulator/signin-faults` (endpoint `token`) makes the next requests fail on demand.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::cxone_signin::FaultEndpoint;
use crate::errors::{json_response, with_cache_control};
use crate::faults;
use crate::oauth_form;
use crate::state::{AppState, Scopes};
use crate::stats::Route;

/// A login-service error.
#[derive(Debug)]
pub struct LoginError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl LoginError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }
}

#[derive(Serialize)]
struct LoginErrorBody<'a> {
    error: &'a str,
    description: &'a str,
    error_description: &'a str,
}

impl IntoResponse for LoginError {
    fn into_response(self) -> Response {
        with_cache_control(
            json_response(
                self.status,
                &LoginErrorBody {
                    error: self.error,
                    description: &self.description,
                    error_description: &self.description,
                },
            ),
            "no-store",
        )
    }
}

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

fn issue(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, LoginError> {
    let fields = oauth_form::fields(headers, body, &["grant_type"])
        .map_err(|p| LoginError::new(StatusCode::BAD_REQUEST, "invalid_request", p.to_string()))?;
    match fields.get("grant_type").map(String::as_str) {
        None => {
            return Err(LoginError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            ))
        }
        Some("client_credentials") => {}
        Some(_) => {
            return Err(LoginError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "unsupported grant type",
            ))
        }
    }
    let (client_id, client_secret) = match oauth_form::basic(headers) {
        Ok(Some(pair)) => pair,
        Ok(None) | Err(()) => {
            return Err(LoginError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication is required (HTTP Basic)",
            ))
        }
    };
    if client_id != state.settings.client_id {
        return Err(LoginError::new(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "client not found",
        ));
    }
    if client_secret != state.settings.client_secret {
        return Err(LoginError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authentication failed",
        ));
    }
    let (token, lifetime) = state.issue_token(Scopes::ALL);
    Ok(with_cache_control(
        json_response(
            StatusCode::OK,
            &TokenBody {
                access_token: &token,
                token_type: "bearer",
                expires_in: lifetime,
            },
        ),
        "no-store",
    ))
}

/// `POST /oauth/token`.
pub async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.stats.count(Route::Token, None);
    let knobs = state.knobs();
    faults::delay(&state, &knobs).await;
    if let Some(status) = state.signin.take_fault(FaultEndpoint::Token) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let mut response = LoginError::new(
            status,
            "temporarily_unavailable",
            "the login service is failing by script (/_emulator/signin-faults)",
        )
        .into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(knobs.retry_after_secs),
            );
        }
        return response;
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return LoginError::new(rejection.status(), "invalid_request", rejection.body_text())
                .into_response()
        }
    };
    issue(&state, &headers, &body).unwrap_or_else(IntoResponse::into_response)
}
