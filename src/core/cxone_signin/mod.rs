//! The `cxone` profile's sign-in, as an operation the driver and the Worker run like any other
//! (it answers [`Step`]s and is handed each request's result; every request has `needs_auth`
//! unset, so it runs in the driver's unauthenticated loop):
//!
//! 1. OpenID discovery, `GET {issuer}/.well-known/openid-configuration`, for the token endpoint
//!    (skipped when the previous session of the same issuer names one; done again once if that
//!    cached endpoint has gone: 404, 405, 410 or a redirect);
//! 2. the refresh-token grant, when the previous session of the same credentials holds a
//!    refresh token that has not expired; a refusal (400 or 401) falls back to 3 in the same
//!    operation;
//! 3. else the password grant with the access key (both grants authenticate the client with HTTP
//!    Basic, `client_secret_basic`);
//! 4. the tenant id from the id_token's `tenantId` claim (a refresh answer without an id_token
//!    keeps the previous tenant);
//! 5. `GET {issuer}/.well-known/cxone-configuration?tenantId=…` for the tenant's API host, unless
//!    the previous session already knows it for that tenant.
//!
//! Retries, 429 and `Retry-After` go through [`Exchange`](crate::core::operation::Exchange) as
//! for every request. No error carries a secret or a token: answers that are not a success are
//! scrubbed of the secrets sent before anything reads them.

pub mod discovery;
mod errors;
pub mod grant;
pub mod id_token;
pub mod session;
pub mod settings;

pub use session::CxoneSession;
pub use settings::{CxoneSettings, CxoneSettingsInput, DEFAULT_ISSUER};

use discovery::{cxone_configuration_request, openid_configuration_request, parse_cxone_configuration, parse_openid_configuration};
use grant::{grant_error, is_refusal, parse_grant_answer, password_grant_request, refresh_grant_request, scrub_response, scrub_text, Grant, Granted};
use id_token::tenant_id_from_id_token;
use session::{credentials_tag, refresh_token_unexpired};
use settings::{check_url, UrlShape};

use crate::core::config::Secret;
use crate::core::error::DataActionsError;
use crate::core::http::{HttpRequest, HttpResponse, TransportFailure};
use crate::core::operation::{Operation, Phase, Progress, Step};
use crate::core::retry::RetryGovernor;

/// Which request of the sign-in is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    OpenIdConfiguration,
    RefreshGrant,
    PasswordGrant,
    CxoneConfiguration,
}

/// A refresh token from the previous session, offered before a new grant.
struct HeldRefresh {
    token: Secret,
    expires_at_ms: Option<u64>,
}

/// One sign-in: from the settings and the previous session (if any) to a new session.
pub struct CxoneSignIn {
    settings: CxoneSettings,
    credentials_tag: String,
    progress: Progress<CxoneSession>,
    stage: Stage,
    started: bool,
    token_endpoint: Option<String>,
    endpoint_from_cache: bool,
    rediscovered: bool,
    held_refresh: Option<HeldRefresh>,
    /// The refresh token of the previous session, kept after a fallback to scrub answers with.
    offered_refresh: Option<Secret>,
    /// `(tenant id, API origin)` the previous session knew.
    known_tenant: Option<(String, String)>,
    /// The session granted, waiting for its API origin (cxone-configuration).
    pending: Option<CxoneSession>,
}

impl CxoneSignIn {
    /// A sign-in. `previous` is the last session (e.g. from KV): its token endpoint is reused when
    /// it is of the same issuer, its refresh token when it is of the same credentials too, its API
    /// origin for the same tenant. Run it when the session's access token is missing or expiring
    /// (`session.token.is_fresh_at(now, margin)` says).
    pub fn new(settings: CxoneSettings, previous: Option<CxoneSession>) -> Self {
        let credentials_tag = credentials_tag(&settings);
        let previous = previous.filter(|p| p.issuer == settings.issuer);
        let token_endpoint = previous
            .as_ref()
            .map(|p| p.token_endpoint.clone())
            .filter(|url| check_url(url, UrlShape::Endpoint).is_ok());
        let held_refresh = previous
            .as_ref()
            .filter(|p| p.credentials_tag == credentials_tag)
            .and_then(|p| Some(HeldRefresh { token: p.refresh_token.clone()?, expires_at_ms: p.refresh_expires_at_ms }))
            .filter(|held| !held.token.expose().is_empty());
        let known_tenant = previous
            .as_ref()
            .filter(|p| !p.tenant_id.is_empty() && check_url(&p.api_base_url, UrlShape::Origin).is_ok())
            .map(|p| (p.tenant_id.clone(), p.api_base_url.trim_end_matches('/').to_string()));
        // The first request as planned; `poll` checks the refresh token's expiry against the
        // clock before sending it.
        let (stage, request) = match (&token_endpoint, &held_refresh) {
            (None, _) => (Stage::OpenIdConfiguration, openid_configuration_request(&settings)),
            (Some(endpoint), Some(held)) => (Stage::RefreshGrant, refresh_grant_request(&settings, endpoint, &held.token)),
            (Some(endpoint), None) => (Stage::PasswordGrant, password_grant_request(&settings, endpoint)),
        };
        CxoneSignIn {
            endpoint_from_cache: token_endpoint.is_some(),
            progress: Progress::new(request),
            stage,
            started: false,
            rediscovered: false,
            token_endpoint,
            offered_refresh: held_refresh.as_ref().map(|held| held.token.clone()),
            held_refresh,
            known_tenant,
            pending: None,
            credentials_tag,
            settings,
        }
    }

    /// The next step at `now_ms`.
    pub fn poll(&mut self, now_ms: u64) -> Step<CxoneSession> {
        if !self.started {
            self.started = true;
            if self.stage == Stage::RefreshGrant && !self.refresh_is_fresh(now_ms) {
                self.held_refresh = None;
                self.start_grant(now_ms);
            }
        }
        self.progress.poll(now_ms)
    }

    /// Hands in the result of the request last sent.
    pub fn handle_response(&mut self, result: Result<HttpResponse, TransportFailure>, governor: &mut RetryGovernor, now_ms: u64) {
        if self.progress.phase != Phase::InFlight {
            return;
        }
        // Nothing below may repeat a secret an upstream echoed back in a refusal (the configured
        // ones, nor the refresh token offered), nor one a transport's message carries by mistake.
        let offered = self.offered_refresh.as_ref().map(Secret::expose);
        let secrets: Vec<&str> = self.settings.secrets().into_iter().chain(offered).collect();
        let result = match result {
            Ok(response) if response.is_success() => Ok(response),
            Ok(response) => Ok(scrub_response(&response, &secrets)),
            Err(failure) => Err(TransportFailure { message: scrub_text(&failure.message, &secrets), ..failure }),
        };
        let outcome = self.progress.exchange.on_result(result, governor, now_ms, None);
        let Some(response) = self.progress.absorb(outcome, None) else { return };
        match self.stage {
            Stage::OpenIdConfiguration => match parse_openid_configuration(&response, &self.settings.issuer) {
                Ok(endpoint) => {
                    self.token_endpoint = Some(endpoint);
                    self.endpoint_from_cache = false;
                    self.start_grant(now_ms);
                }
                Err(error) => self.progress.finish(Err(error)),
            },
            Stage::RefreshGrant | Stage::PasswordGrant => self.on_grant_answer(&response, now_ms),
            Stage::CxoneConfiguration => {
                let result = parse_cxone_configuration(&response).and_then(|api_base_url| {
                    let mut session = self.pending.take().ok_or_else(|| DataActionsError::BadInput {
                        message: "the sign-in has no granted session to complete".into(),
                    })?;
                    session.api_base_url = api_base_url;
                    Ok(session)
                });
                self.progress.finish(result);
            }
        }
    }

    /// Gives up: the next poll answers a cancellation.
    pub fn cancel(&mut self) {
        self.progress.finish(Err(DataActionsError::Cancelled { invoke_id: None, by_upstream: false }));
    }

    fn refresh_is_fresh(&self, now_ms: u64) -> bool {
        self.held_refresh.as_ref().is_some_and(|held| refresh_token_unexpired(held.expires_at_ms, now_ms))
    }

    /// Sends the refresh grant when a fresh refresh token is held, else the password grant.
    fn start_grant(&mut self, now_ms: u64) {
        let Some(endpoint) = self.token_endpoint.clone() else {
            self.stage = Stage::OpenIdConfiguration;
            self.progress.next_exchange(openid_configuration_request(&self.settings), now_ms);
            return;
        };
        let held = self.held_refresh.as_ref().filter(|_| self.refresh_is_fresh(now_ms));
        let (stage, request): (Stage, HttpRequest) = match held {
            Some(held) => (Stage::RefreshGrant, refresh_grant_request(&self.settings, &endpoint, &held.token)),
            None => (Stage::PasswordGrant, password_grant_request(&self.settings, &endpoint)),
        };
        self.stage = stage;
        self.progress.next_exchange(request, now_ms);
    }

    fn on_grant_answer(&mut self, response: &HttpResponse, now_ms: u64) {
        let grant = match self.stage {
            Stage::RefreshGrant => Grant::RefreshToken,
            _ => Grant::Password,
        };
        if !response.is_success() {
            let endpoint_gone = matches!(response.status, 300..=399 | 404 | 405 | 410);
            if endpoint_gone && self.endpoint_from_cache && !self.rediscovered {
                // The cached token endpoint has moved: ask discovery again, once.
                self.rediscovered = true;
                self.token_endpoint = None;
                self.stage = Stage::OpenIdConfiguration;
                self.progress.next_exchange(openid_configuration_request(&self.settings), now_ms);
            } else if grant == Grant::RefreshToken && is_refusal(response) {
                // An expired or revoked refresh token: a new grant, in the same operation.
                self.held_refresh = None;
                self.start_grant(now_ms);
            } else {
                self.progress.finish(Err(grant_error(response, grant)));
            }
            return;
        }
        match parse_grant_answer(response, now_ms).and_then(|granted| self.session_from(granted, grant)) {
            Ok(session) => {
                let known = self.known_tenant.as_ref().filter(|(tenant, _)| *tenant == session.tenant_id);
                if let Some((_, api_base_url)) = known {
                    let api_base_url = api_base_url.clone();
                    self.progress.finish(Ok(CxoneSession { api_base_url, ..session }));
                } else {
                    let request = cxone_configuration_request(&self.settings, &session.tenant_id);
                    self.pending = Some(session);
                    self.stage = Stage::CxoneConfiguration;
                    self.progress.next_exchange(request, now_ms);
                }
            }
            Err(error) => self.progress.finish(Err(error)),
        }
    }

    /// The session a grant gives, without its API origin yet.
    fn session_from(&self, granted: Granted, grant: Grant) -> Result<CxoneSession, DataActionsError> {
        let tenant_id = match (&granted.id_token, grant, &self.known_tenant) {
            (Some(id_token), _, _) => tenant_id_from_id_token(id_token.expose(), &self.settings.issuer, &self.settings.client_id)?,
            // OIDC Core §12.2: a refresh answer may omit the id_token; the tenant stays.
            (None, Grant::RefreshToken, Some((tenant, _))) => tenant.clone(),
            (None, _, _) => {
                return Err(errors::malformed(200, "the token endpoint's answer lacks the id_token that names the tenant".into()))
            }
        };
        // RFC 6749 §6: without a new refresh token, the one just used stays good.
        let (refresh_token, refresh_expires_at_ms) = match (granted.refresh_token, grant, &self.held_refresh) {
            (Some(token), _, _) => (Some(token), granted.refresh_expires_at_ms),
            (None, Grant::RefreshToken, Some(held)) => (Some(held.token.clone()), held.expires_at_ms),
            (None, _, _) => (None, None),
        };
        Ok(CxoneSession {
            token: granted.token,
            refresh_token,
            refresh_expires_at_ms,
            issuer: self.settings.issuer.clone(),
            credentials_tag: self.credentials_tag.clone(),
            token_endpoint: self.token_endpoint.clone().unwrap_or_default(),
            tenant_id,
            api_base_url: String::new(),
        })
    }
}

impl std::fmt::Debug for CxoneSignIn {
    // The settings and the sessions show no secret; the refresh token held is only said to be.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CxoneSignIn")
            .field("stage", &self.stage)
            .field("settings", &self.settings)
            .field("token_endpoint", &self.token_endpoint)
            .field("holds_refresh_token", &self.held_refresh.is_some())
            .field("known_tenant", &self.known_tenant.as_ref().map(|(tenant, _)| tenant))
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl Operation for CxoneSignIn {
    type Output = CxoneSession;
    fn poll(&mut self, now_ms: u64) -> Step<CxoneSession> {
        CxoneSignIn::poll(self, now_ms)
    }
    fn handle_response(&mut self, result: Result<HttpResponse, TransportFailure>, governor: &mut RetryGovernor, now_ms: u64) {
        CxoneSignIn::handle_response(self, result, governor, now_ms);
    }
    fn cancel(&mut self) {
        CxoneSignIn::cancel(self);
    }
}

#[cfg(test)]
mod tests;
