//! The two grants at the token endpoint, both with the client authenticated by HTTP Basic
//! (`client_secret_basic`, RFC 6749 §2.3.1): the refresh-token grant (§6) and the password grant
//! (§4.3) that CXone documents for back-end applications, with the API user's access key id as
//! `username` and its secret as `password`. And the answer both give.

use base64::Engine;
use serde::Deserialize;

use super::settings::CxoneSettings;
use crate::core::config::Secret;
use super::errors::{first_upstream_error, forbidden, malformed as malformed_error, token_endpoint_error, unauthorized};
use crate::core::error::DataActionsError;
use crate::core::http::{form_encode, form_encode_component, HttpRequest, HttpResponse, Method, RequestPurpose};
use crate::core::token::TokenRecord;

/// Which grant a request or an answer is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// `grant_type=refresh_token`.
    RefreshToken,
    /// `grant_type=password` with the access key.
    Password,
}

/// `Authorization: Basic base64(urlencode(client_id) ":" urlencode(client_secret))`: RFC 6749
/// §2.3.1 form-encodes both before they become the Basic user and password.
pub fn client_secret_basic(settings: &CxoneSettings) -> String {
    let pair = format!(
        "{}:{}",
        form_encode_component(&settings.client_id),
        form_encode_component(settings.client_secret.expose())
    );
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
}

fn token_post(settings: &CxoneSettings, token_endpoint: &str, body: String) -> HttpRequest {
    HttpRequest {
        purpose: RequestPurpose::Token,
        method: Method::Post,
        url: token_endpoint.to_string(),
        headers: vec![
            ("content-type".into(), "application/x-www-form-urlencoded".into()),
            ("accept".into(), "application/json".into()),
            ("authorization".into(), client_secret_basic(settings)),
        ],
        body: Some(body.into_bytes()),
        timeout_ms: settings.request_timeout_ms,
        needs_auth: false,
    }
}

/// `POST {token_endpoint}` with `grant_type=refresh_token&refresh_token=…`.
pub fn refresh_grant_request(settings: &CxoneSettings, token_endpoint: &str, refresh_token: &Secret) -> HttpRequest {
    let body = form_encode(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose())]);
    token_post(settings, token_endpoint, body)
}

/// `POST {token_endpoint}` with `grant_type=password&username={access key id}&password={access key secret}`.
pub fn password_grant_request(settings: &CxoneSettings, token_endpoint: &str) -> HttpRequest {
    let body = form_encode(&[
        ("grant_type", "password"),
        ("username", settings.access_key_id.expose()),
        ("password", settings.access_key_secret.expose()),
    ]);
    token_post(settings, token_endpoint, body)
}

/// A token endpoint's answer, read. `Debug` shows no token.
#[derive(Clone, PartialEq, Eq)]
pub struct Granted {
    /// The access token and its expiry.
    pub token: TokenRecord,
    /// The refresh token, if one was issued.
    pub refresh_token: Option<Secret>,
    /// Its expiry (`refresh_token_expires_in`), if given.
    pub refresh_expires_at_ms: Option<u64>,
    /// The id_token, if one was issued (always for the password grant; a refresh may omit it,
    /// OIDC Core §12.2).
    pub id_token: Option<Secret>,
}

impl std::fmt::Debug for Granted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Granted")
            .field("token", &self.token)
            .field("refresh_token", &self.refresh_token)
            .field("refresh_expires_at_ms", &self.refresh_expires_at_ms)
            .field("id_token", &self.id_token)
            .finish()
    }
}

#[derive(Deserialize)]
struct GrantAnswer {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    expires_in: u64,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    refresh_token_expires_in: Option<u64>,
    #[serde(default)]
    id_token: Option<String>,
}

/// Reads a 2xx answer of the token endpoint (RFC 6749 §5.1): `access_token`, `token_type` (a
/// bearer token, the only kind this client sends), `expires_in`, and optionally `refresh_token`,
/// `refresh_token_expires_in`, `id_token`, `scope`. Empty strings count as absent, except an
/// empty access token, which is an error.
pub fn parse_grant_answer(response: &HttpResponse, now_ms: u64) -> Result<Granted, DataActionsError> {
    let answer: GrantAnswer = serde_json::from_slice(&response.body)
        .map_err(|_| malformed(response, "lacks access_token or expires_in (or is not JSON)"))?;
    if answer.access_token.is_empty() {
        return Err(malformed(response, "has an empty access_token"));
    }
    if answer.token_type.as_deref().is_some_and(|kind| !kind.eq_ignore_ascii_case("bearer")) {
        return Err(malformed(response, "grants a token that is not a bearer token (`token_type`)"));
    }
    let after = |seconds: u64| now_ms.saturating_add(seconds.saturating_mul(1000));
    let refresh_token = answer.refresh_token.filter(|t| !t.is_empty()).map(Secret::new);
    Ok(Granted {
        token: TokenRecord {
            access_token: answer.access_token,
            expires_at_ms: after(answer.expires_in),
            scope: answer.scope,
            obtained_at_ms: now_ms,
        },
        refresh_expires_at_ms: refresh_token.as_ref().and(answer.refresh_token_expires_in.map(after)),
        refresh_token,
        id_token: answer.id_token.filter(|t| !t.is_empty()).map(Secret::new),
    })
}

/// Whether the token endpoint refused the grant itself (400 or 401: RFC 6749 §5.2's
/// `invalid_grant`, `invalid_client`...), as opposed to failing.
pub fn is_refusal(response: &HttpResponse) -> bool {
    matches!(response.status, 400 | 401)
}

/// The error a grant's non-2xx answer amounts to: a refusal is `unauthorized`, the rest maps as
/// any token endpoint's answer does.
pub fn grant_error(response: &HttpResponse, grant: Grant) -> DataActionsError {
    let first = first_upstream_error(&response.body);
    if response.status == 403 {
        // Not a scope of this client's data-action calls (what `response_error` would guess):
        // the platform forbids this client or this user to sign in.
        return forbidden(
            first.as_ref().map(|e| e.code.clone()),
            format!(
                "the token endpoint forbids the sign-in of this client or API user{}",
                first.map(|e| format!(": {}", e.message)).unwrap_or_default()
            ),
        );
    }
    if !is_refusal(response) {
        return token_endpoint_error(response);
    }
    let what = match grant {
        Grant::RefreshToken => "the refresh token",
        Grant::Password => "the access key or the OAuth client (password grant)",
    };
    unauthorized(
        response.status,
        first.as_ref().map(|e| e.code.clone()),
        format!("the token endpoint refused {what}{}", first.map(|e| format!(": {}", e.message)).unwrap_or_default()),
    )
}

/// The answer with every secret the sign-in sent blanked out of its body and headers (raw, as
/// JSON escapes it and form-encoded), so that no error built from it can repeat one: a token
/// endpoint may echo the `username` (the access key id) in its `error_description`.
pub fn scrub_response(response: &HttpResponse, secrets: &[&str]) -> HttpResponse {
    let forms = secret_forms(secrets);
    let scrub = |bytes: &[u8]| forms.iter().fold(bytes.to_vec(), |text, form| replace_all(&text, form, b"***"));
    HttpResponse {
        status: response.status,
        headers: response
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), String::from_utf8_lossy(&scrub(value.as_bytes())).into_owned()))
            .collect(),
        body: scrub(&response.body),
    }
}

/// A text with every form of every secret blanked out (a transport failure's message).
pub fn scrub_text(text: &str, secrets: &[&str]) -> String {
    let scrubbed = secret_forms(secrets).iter().fold(text.as_bytes().to_vec(), |text, form| replace_all(&text, form, b"***"));
    String::from_utf8_lossy(&scrubbed).into_owned()
}

/// Each secret raw, as JSON escapes it and form-encoded, longest first (so that a secret
/// containing another is blanked whole).
fn secret_forms(secrets: &[&str]) -> Vec<Vec<u8>> {
    let mut forms: Vec<Vec<u8>> = Vec::new();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json.trim_matches('"').to_string();
        for form in [secret.to_string(), json, form_encode_component(secret)] {
            if !form.is_empty() && !forms.iter().any(|known| known == form.as_bytes()) {
                forms.push(form.into_bytes());
            }
        }
    }
    forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    forms
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some((first, tail)) = rest.split_first() {
        match rest.strip_prefix(needle) {
            Some(after) => {
                out.extend_from_slice(with);
                rest = after;
            }
            None => {
                out.push(*first);
                rest = tail;
            }
        }
    }
    out
}

fn malformed(response: &HttpResponse, defect: &str) -> DataActionsError {
    malformed_error(response.status, format!("the token endpoint's answer {defect}"))
}
