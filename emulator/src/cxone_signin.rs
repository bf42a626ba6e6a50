//! The cxone profile's sign-in, in front of the seed's data-action routes:
//!
//! - `GET /.well-known/openid-configuration`: OIDC discovery; the issuer is the emulator's own
//!   origin and `token_endpoint` is `{issuer}/auth/token`.
//! - `POST /auth/token`: `grant_type=password` (`username` = access key id, `password` =
//!   access key secret) and `grant_type=refresh_token`, the OAuth client authenticated with
//!   HTTP Basic (`client_secret_basic`) or in the body (`client_secret_post`); a refresh may
//!   also name only its `client_id`, as CXone's API reference shows. Answers `{access_token,
//!   token_type:"Bearer", expires_in, refresh_token, id_token, scope}`; the id_token is an HS256
//!   JWT (keyed with the client secret; CXone signs RS256, the client does not verify it)
//!   carrying `tenantId`. Refresh tokens rotate: each is good once, and a used, revoked or
//!   expired one is `invalid_grant`. Errors are `{error, error_description, errorDescription}`
//!   (RFC 6749's name and the one CXone's API reference gives).
//! - `GET /.well-known/cxone-configuration?tenantId=…`: the tenant's `api_endpoint` (the
//!   emulator's origin or `--api-base`); 400 without a tenant id, 404 for another tenant.
//! - `GET /auth/jwks`: an empty key set (the id_token is signed with a shared secret).
//! - Control: `POST /_emulator/revoke-refresh-tokens`, and `GET|POST /_emulator/signin-faults`
//!   (`{"failNext":N,"status":429|500|503,"endpoint":"token"|"discovery"|"configuration"|"any"}`):
//!   the next N matching sign-in requests fail with that status (the genesys-cloud profile
//!   serves the same route for its `/oauth/token`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::clock::unix_seconds;
use crate::control::control_body;
use crate::errors::{json_response, with_cache_control, ApiError, ErrorItem};
use crate::faults;
use crate::oauth_form;
use crate::state::{AppState, Scopes};
use crate::stats::{Route, SignInEvent};

/// The token endpoint's path (named by discovery).
pub const TOKEN_PATH: &str = "/auth/token";
/// The scopes a sign-in grants.
pub const GRANTED_SCOPE: &str = "openid offline_access";

/// Refresh tokens kept before spent and expired ones are pruned.
const PRUNE_THRESHOLD: usize = 10_000;

/// The routes of the cxone profile's sign-in (besides the seed's data-action routes).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/cxone-configuration", get(configuration))
        .route(TOKEN_PATH, post(token))
        .route("/auth/jwks", get(jwks))
        .route(
            "/_emulator/revoke-refresh-tokens",
            post(revoke_refresh_tokens),
        )
        .merge(fault_routes())
}

/// `/_emulator/signin-faults` (the cxone and genesys-cloud profiles).
pub fn fault_routes() -> Router<Arc<AppState>> {
    Router::new().route(
        "/_emulator/signin-faults",
        get(get_faults).post(post_faults),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefreshState {
    Active,
    Used,
    Revoked,
}

#[derive(Debug, Clone, Copy)]
struct RefreshRecord {
    state: RefreshState,
    expires_at: Instant,
}

/// Which sign-in requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FaultEndpoint {
    #[default]
    Token,
    Discovery,
    Configuration,
    Any,
}

/// `/_emulator/signin-faults`: the next `failNext` matching requests answer `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInFaults {
    #[serde(default)]
    pub fail_next: u64,
    #[serde(default = "default_fault_status")]
    pub status: u16,
    #[serde(default)]
    pub endpoint: FaultEndpoint,
}

fn default_fault_status() -> u16 {
    503
}

impl Default for SignInFaults {
    fn default() -> Self {
        Self {
            fail_next: 0,
            status: default_fault_status(),
            endpoint: FaultEndpoint::Token,
        }
    }
}

/// The sign-in's mutable state: refresh tokens and the scripted faults.
#[derive(Debug, Default)]
pub struct SignInState {
    refresh: Mutex<HashMap<String, RefreshRecord>>,
    faults: Mutex<SignInFaults>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why a refresh token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefreshProblem {
    #[error("unknown refresh token")]
    Unknown,
    #[error("refresh token has already been used")]
    Used,
    #[error("refresh token has been revoked")]
    Revoked,
    #[error("refresh token has expired")]
    Expired,
}

impl SignInState {
    /// Issues a refresh token living `lifetime`.
    pub fn issue(&self, lifetime: Duration) -> String {
        let token = URL_SAFE_NO_PAD.encode(rand::thread_rng().gen::<[u8; 32]>());
        let now = Instant::now();
        let mut map = lock(&self.refresh);
        if map.len() >= PRUNE_THRESHOLD {
            map.retain(|_, r| r.state == RefreshState::Active && r.expires_at > now);
        }
        map.insert(
            token.clone(),
            RefreshRecord {
                state: RefreshState::Active,
                expires_at: now + lifetime,
            },
        );
        token
    }

    /// Spends a refresh token (it is good once).
    pub fn redeem(&self, token: &str) -> Result<(), RefreshProblem> {
        let mut map = lock(&self.refresh);
        let record = map.get_mut(token).ok_or(RefreshProblem::Unknown)?;
        match record.state {
            RefreshState::Used => return Err(RefreshProblem::Used),
            RefreshState::Revoked => return Err(RefreshProblem::Revoked),
            RefreshState::Active => {}
        }
        if Instant::now() >= record.expires_at {
            return Err(RefreshProblem::Expired);
        }
        record.state = RefreshState::Used;
        Ok(())
    }

    /// Revokes every active refresh token; returns how many there were.
    pub fn revoke_all(&self) -> usize {
        let now = Instant::now();
        let mut count = 0;
        for record in lock(&self.refresh).values_mut() {
            if record.state == RefreshState::Active && record.expires_at > now {
                count += 1;
            }
            if record.state == RefreshState::Active {
                record.state = RefreshState::Revoked;
            }
        }
        count
    }

    pub fn faults(&self) -> SignInFaults {
        *lock(&self.faults)
    }

    pub fn set_faults(&self, faults: SignInFaults) {
        *lock(&self.faults) = faults;
    }

    /// Whether this request fails by script (using one of the `failNext`).
    pub fn take_fault(&self, endpoint: FaultEndpoint) -> Option<u16> {
        let mut faults = lock(&self.faults);
        let applies = faults.endpoint == FaultEndpoint::Any || faults.endpoint == endpoint;
        if applies && faults.fail_next > 0 {
            faults.fail_next -= 1;
            Some(faults.status)
        } else {
            None
        }
    }

    /// Forgets every refresh token and fault.
    pub fn clear(&self) {
        lock(&self.refresh).clear();
        *lock(&self.faults) = SignInFaults::default();
    }
}

/// A sign-in error: `{"error","error_description"}`.
#[derive(Debug)]
pub struct SignInError {
    status: StatusCode,
    error: &'static str,
    description: String,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl SignInError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            headers: Vec::new(),
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    fn invalid_client(description: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description);
        e.headers.push((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"cxone-emulator\""),
        ));
        e
    }
}

impl IntoResponse for SignInError {
    fn into_response(self) -> Response {
        let mut response = with_cache_control(
            json_response(
                self.status,
                &json!({
                    "error": self.error,
                    "error_description": self.description,
                    "errorDescription": self.description,
                }),
            ),
            "no-store",
        );
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

/// Latency, then a scripted fault if one is due.
async fn enter(state: &AppState, endpoint: FaultEndpoint) -> Result<(), SignInError> {
    let knobs = state.knobs();
    faults::delay(state, &knobs).await;
    let Some(status) = state.signin.take_fault(endpoint) else {
        return Ok(());
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut error = SignInError::new(
        status,
        if status == StatusCode::TOO_MANY_REQUESTS {
            "slow_down"
        } else {
            "temporarily_unavailable"
        },
        "the sign-in service is failing by script (/_emulator/signin-faults)",
    );
    if status == StatusCode::TOO_MANY_REQUESTS {
        error.headers.push((
            header::RETRY_AFTER,
            HeaderValue::from(knobs.retry_after_secs),
        ));
    }
    Err(error)
}

/// The discovery document.
pub fn discovery_document(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth/authorize"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{issuer}/auth/userinfo"),
        "jwks_uri": format!("{issuer}/auth/jwks"),
        "end_session_endpoint": format!("{issuer}/auth/authorize/logout"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "grant_types_supported": ["authorization_code", "password", "refresh_token"],
        "scopes_supported": ["openid"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "request_object_signing_alg_values_supported": ["none"],
        "display_values_supported": ["page", "popup"],
        "claim_types_supported": ["normal"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "name", "tenantId"],
        "code_challenge_methods_supported": ["S256"],
    })
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery(State(state): State<Arc<AppState>>) -> Response {
    state.stats.signin(SignInEvent::Discovery);
    if let Err(e) = enter(&state, FaultEndpoint::Discovery).await {
        return e.into_response();
    }
    json_response(StatusCode::OK, &discovery_document(&state.settings.origin))
}

/// `GET /auth/jwks`.
pub async fn jwks() -> Response {
    json_response(StatusCode::OK, &json!({"keys": []}))
}

/// `GET /.well-known/cxone-configuration?tenantId=…`.
pub async fn configuration(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    state.stats.signin(SignInEvent::Configuration);
    if let Err(e) = enter(&state, FaultEndpoint::Configuration).await {
        return e.into_response();
    }
    let tenant = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "tenantId")
        .map(|(_, v)| v.into_owned());
    let settings = &state.settings;
    match tenant.as_deref() {
        None | Some("") => SignInError::invalid_request("tenantId is required").into_response(),
        Some(tenant) if tenant != settings.tenant_id => SignInError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("tenant {tenant} is not known"),
        )
        .into_response(),
        Some(tenant) => json_response(
            StatusCode::OK,
            &json!({
                "private": false,
                "area": "na1",
                "cluster": "E32",
                "domain": "niceincontact.com",
                "acdDomain": "nice-incontact.com",
                "uhDomain": "nice-incontact.com",
                "ui_endpoint": settings.origin,
                "auth_endpoint": settings.origin,
                "api_endpoint": settings.api_base,
                "tenantId": tenant,
                "globaldomain": "niceincontact.com",
            }),
        ),
    }
}

/// An HS256 JWT over `claims`, keyed with `key`.
pub fn sign_jwt(claims: &Value, key: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{payload}");
    let signature = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(signing_input.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => String::new(),
    };
    format!("{signing_input}.{signature}")
}

fn id_token(state: &AppState, lifetime: u64) -> String {
    let settings = &state.settings;
    let now = unix_seconds(SystemTime::now());
    let claims = json!({
        "iss": settings.origin,
        "sub": format!("user:{}", settings.access_key_id),
        "aud": settings.client_id,
        "iat": now,
        "exp": now + lifetime,
        "name": "API user",
        "tenantId": settings.tenant_id,
    });
    sign_jwt(&claims, settings.client_secret.as_bytes())
}

/// How a token request names its OAuth client.
enum Client {
    /// HTTP Basic, or `client_id` + `client_secret` in the body.
    Authenticated(String, String),
    /// Only a `client_id` in the body (allowed for a refresh).
    Named(String),
}

/// The OAuth client of a token request: HTTP Basic, or `client_id` + `client_secret` in the
/// body (not both), or only a `client_id`.
fn client(
    headers: &HeaderMap,
    body_id: Option<String>,
    body_secret: Option<String>,
) -> Result<Client, SignInError> {
    let basic = oauth_form::basic(headers)
        .map_err(|()| SignInError::invalid_client("malformed Basic Authorization header"))?;
    match (basic, body_id, body_secret) {
        (Some((id, secret)), body_id, None) if body_id.as_ref().is_none_or(|b| *b == id) => {
            Ok(Client::Authenticated(id, secret))
        }
        (Some(_), _, _) => Err(SignInError::invalid_request(
            "use either Basic authentication or body credentials, not both",
        )),
        (None, Some(id), Some(secret)) => Ok(Client::Authenticated(id, secret)),
        (None, Some(id), None) => Ok(Client::Named(id)),
        (None, None, _) => Err(SignInError::invalid_client(
            "client authentication is required (client_secret_basic)",
        )),
    }
}

fn issue(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, SignInError> {
    let mut fields = oauth_form::fields(
        headers,
        body,
        &[
            "grant_type",
            "username",
            "password",
            "refresh_token",
            "scope",
            "client_id",
            "client_secret",
        ],
    )
    .map_err(|p| SignInError::invalid_request(p.to_string()))?;
    let grant = fields.remove("grant_type");
    match grant.as_deref() {
        Some("password") => state.stats.signin(SignInEvent::PasswordGrant),
        Some("refresh_token") => state.stats.signin(SignInEvent::RefreshGrant),
        _ => {}
    }
    let settings = &state.settings;
    match client(
        headers,
        fields.remove("client_id"),
        fields.remove("client_secret"),
    )? {
        Client::Authenticated(id, secret)
            if id == settings.client_id && secret == settings.client_secret => {}
        Client::Named(id)
            if id == settings.client_id && grant.as_deref() == Some("refresh_token") => {}
        Client::Named(_) if grant.as_deref() != Some("refresh_token") => {
            return Err(SignInError::invalid_client(
                "client authentication is required (client_secret_basic)",
            ))
        }
        _ => {
            return Err(SignInError::invalid_client(
                "unknown client or wrong client secret",
            ))
        }
    }
    match grant.as_deref() {
        None => return Err(SignInError::invalid_request("grant_type is required")),
        Some("password") => {
            let (Some(username), Some(password)) =
                (fields.remove("username"), fields.remove("password"))
            else {
                return Err(SignInError::invalid_request(
                    "username and password are required for the password grant",
                ));
            };
            if username != settings.access_key_id || password != settings.access_key_secret {
                return Err(SignInError::invalid_grant(
                    "unknown access key or wrong access key secret",
                ));
            }
        }
        Some("refresh_token") => {
            let Some(refresh) = fields.remove("refresh_token") else {
                return Err(SignInError::invalid_request(
                    "refresh_token is required for the refresh_token grant",
                ));
            };
            state
                .signin
                .redeem(&refresh)
                .map_err(|problem| SignInError::invalid_grant(problem.to_string()))?;
        }
        Some(other) => {
            return Err(SignInError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant type {other:?} is not supported; use password or refresh_token"),
            ))
        }
    }
    let (access_token, lifetime) = state.issue_token(Scopes::ALL);
    let refresh_lifetime = settings.refresh_token_lifetime_secs;
    let refresh_token = state.signin.issue(Duration::from_secs(refresh_lifetime));
    let mut response = json_response(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "refresh_token": refresh_token,
            "id_token": id_token(state, lifetime),
            "scope": GRANTED_SCOPE,
        }),
    );
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(with_cache_control(response, "no-store"))
}

/// `POST /auth/token`.
pub async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.stats.count(Route::Token, None);
    if let Err(e) = enter(&state, FaultEndpoint::Token).await {
        return e.into_response();
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return SignInError::invalid_request(rejection.body_text()).into_response()
        }
    };
    issue(&state, &headers, &body).unwrap_or_else(IntoResponse::into_response)
}

/// `POST /_emulator/revoke-refresh-tokens`.
pub async fn revoke_refresh_tokens(State(state): State<Arc<AppState>>) -> Response {
    let revoked = state.signin.revoke_all();
    json_response(StatusCode::OK, &json!({ "revoked": revoked }))
}

/// `GET /_emulator/signin-faults`.
pub async fn get_faults(State(state): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, &state.signin.faults())
}

/// `POST /_emulator/signin-faults`: replaces the scripted faults.
pub async fn post_faults(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = control_body(body)?;
    let faults: SignInFaults = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("malformed sign-in faults: {e}")))?;
    if !matches!(faults.status, 429 | 500 | 502 | 503 | 504) {
        return Err(ApiError::many(
            StatusCode::BAD_REQUEST,
            vec![ErrorItem::new(
                "INVALID_CONFIG",
                "status: expected 429, 500, 502, 503 or 504",
            )
            .with_field("status")],
        ));
    }
    state.signin.set_faults(faults);
    Ok(json_response(StatusCode::OK, &faults))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_good_once() {
        let signin = SignInState::default();
        let token = signin.issue(Duration::from_secs(60));
        assert_eq!(signin.redeem(&token), Ok(()));
        assert_eq!(signin.redeem(&token), Err(RefreshProblem::Used));
        assert_eq!(signin.redeem("nope"), Err(RefreshProblem::Unknown));
        let expired = signin.issue(Duration::ZERO);
        assert_eq!(signin.redeem(&expired), Err(RefreshProblem::Expired));
        let revoked = signin.issue(Duration::from_secs(60));
        assert_eq!(signin.revoke_all(), 1);
        assert_eq!(signin.redeem(&revoked), Err(RefreshProblem::Revoked));
    }

    #[test]
    fn jwts_verify_with_the_key() {
        let jwt = sign_jwt(&json!({"tenantId": "t-1"}), b"k");
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let payload = URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url");
        let claims: Value = serde_json::from_slice(&payload).expect("json");
        assert_eq!(claims["tenantId"], "t-1");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"k").expect("key");
        mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
        let expected = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(parts[2], expected);
    }

    #[test]
    fn faults_are_used_up() {
        let signin = SignInState::default();
        signin.set_faults(SignInFaults {
            fail_next: 2,
            status: 503,
            endpoint: FaultEndpoint::Token,
        });
        assert_eq!(signin.take_fault(FaultEndpoint::Discovery), None);
        assert_eq!(signin.take_fault(FaultEndpoint::Token), Some(503));
        assert_eq!(signin.take_fault(FaultEndpoint::Token), Some(503));
        assert_eq!(signin.take_fault(FaultEndpoint::Token), None);
    }
}
