//! The OAuth token: the client-credentials request, its answer, and a cache that reuses a token
//! until shortly before it expires. The cache's state is a small record that shells may persist
//! (the Worker keeps it in KV).

use serde::{Deserialize, Serialize};

use super::error::DataActionsError;
use super::http::{HttpResponse, RequestPurpose};
use super::profile::Profile;

/// A granted token, as persisted. `Debug` hides the token itself.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    /// The bearer token.
    pub access_token: String,
    /// When it expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
    /// The scopes granted, when the upstream said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// When it was granted, in milliseconds since the Unix epoch (0 when unknown: a record
    /// persisted before this field existed); with `expires_at_ms` it gives the token's lifetime.
    #[serde(default)]
    pub obtained_at_ms: u64,
}

/// A short-lived token is refreshed this fraction of its lifetime before it expires (a quarter),
/// rather than the whole configured margin, which would leave it never usable.
pub const SHORT_TOKEN_MARGIN_DIVISOR: u64 = 4;

impl TokenRecord {
    /// How long before expiry this token is refreshed: `max_margin_ms`, or a quarter of its
    /// lifetime when that is shorter (a token granted for 60 s is used for 45 s, not refreshed on
    /// every call).
    pub fn refresh_margin_ms(&self, max_margin_ms: u64) -> u64 {
        let lifetime_ms = self.expires_at_ms.saturating_sub(self.obtained_at_ms);
        max_margin_ms.min(lifetime_ms / SHORT_TOKEN_MARGIN_DIVISOR)
    }

    /// Whether the token may still be used at `now_ms` (it is not within its refresh margin).
    pub fn is_fresh_at(&self, now_ms: u64, max_margin_ms: u64) -> bool {
        now_ms.saturating_add(self.refresh_margin_ms(max_margin_ms)) < self.expires_at_ms
    }
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("access_token", &"***")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("scope", &self.scope)
            .field("obtained_at_ms", &self.obtained_at_ms)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
    #[serde(default)]
    scope: Option<String>,
}

/// Reads an answer of the cxone-seed's token endpoint.
pub fn parse_token_response(response: &HttpResponse, now_ms: u64) -> Result<TokenRecord, DataActionsError> {
    parse_token_answer(response, now_ms, Profile::CxoneSeed)
}

/// Reads an answer of an OAuth token endpoint (`{access_token, expires_in, scope?}`), its error
/// bodies read as `profile`'s.
pub fn parse_token_answer(response: &HttpResponse, now_ms: u64, profile: Profile) -> Result<TokenRecord, DataActionsError> {
    if response.status == 400 || response.status == 401 {
        let body = profile.read_error_body(&response.body);
        let first = body.errors.first();
        return Err(DataActionsError::Unauthorized {
            correlation_id: body.correlation_id.clone(),
            status: response.status,
            upstream_code: first.map(|e| e.code.clone()),
            message: format!(
                "the token endpoint rejected the client credentials{}",
                first.map(|e| format!(": {}", e.message)).unwrap_or_default()
            ),
        });
    }
    if !response.is_success() {
        return Err(profile.response_error(response, RequestPurpose::Token, None));
    }
    let answer: TokenAnswer = serde_json::from_slice(&response.body).map_err(|_| DataActionsError::Upstream {
        correlation_id: None,
        status: response.status,
        upstream_code: None,
        message: "the token endpoint's answer lacks access_token or expires_in".into(),
        invoke_id: None,
        retryable: false,
    })?;
    if answer.access_token.is_empty() {
        return Err(DataActionsError::Upstream {
            correlation_id: None,
            status: response.status,
            upstream_code: None,
            message: "the token endpoint answered an empty access_token".into(),
            invoke_id: None,
            retryable: false,
        });
    }
    Ok(TokenRecord {
        access_token: answer.access_token,
        expires_at_ms: now_ms.saturating_add(answer.expires_in.saturating_mul(1000)),
        scope: answer.scope,
        obtained_at_ms: now_ms,
    })
}

/// Holds at most one token and says whether it may still be used.
#[derive(Debug, Clone, Default)]
pub struct TokenCache {
    record: Option<TokenRecord>,
    refresh_margin_ms: u64,
}

impl TokenCache {
    /// An empty cache that refreshes `refresh_margin_ms` before expiry (less for short-lived
    /// tokens: [`TokenRecord::refresh_margin_ms`]).
    pub fn new(refresh_margin_ms: u64) -> Self {
        TokenCache { record: None, refresh_margin_ms }
    }

    /// The cached token if it is still good at `now_ms` (not within the margin of its expiry).
    pub fn valid_token(&self, now_ms: u64) -> Option<&str> {
        self.record
            .as_ref()
            .filter(|r| r.is_fresh_at(now_ms, self.refresh_margin_ms))
            .map(|r| r.access_token.as_str())
    }

    /// Stores a fresh token.
    pub fn store(&mut self, record: TokenRecord) {
        self.record = Some(record);
    }

    /// Loads a persisted record (ignored when it is older than the one held).
    pub fn import(&mut self, record: TokenRecord) {
        let newer = self.record.as_ref().is_none_or(|held| record.expires_at_ms >= held.expires_at_ms);
        if newer {
            self.record = Some(record);
        }
    }

    /// The record to persist.
    pub fn export(&self) -> Option<&TokenRecord> {
        self.record.as_ref()
    }

    /// Forgets the token if it is the one the upstream rejected; a token refreshed meanwhile by
    /// another caller is kept, so concurrent 401s cause one refresh, not many.
    pub fn invalidate(&mut self, rejected: &str) -> bool {
        if self.record.as_ref().is_some_and(|r| r.access_token == rejected) {
            self.record = None;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{ClientConfig, ConfigInput};
    use crate::core::http::Method;
    use crate::core::profile::cxone_seed::token_request;
    use serde_json::json;

    fn config() -> ClientConfig {
        ClientConfig::from_input(ConfigInput {
            base_url: Some("http://127.0.0.1:9797".into()),
            client_id: Some("demo client".into()),
            client_secret: Some("p&ss".into()),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn the_request_is_form_encoded_client_credentials() {
        let request = token_request(&config());
        assert_eq!(request.url, "http://127.0.0.1:9797/oauth2/token");
        assert_eq!(request.method, Method::Post);
        let body = String::from_utf8(request.body.unwrap()).unwrap();
        assert_eq!(
            body,
            "grant_type=client_credentials&client_id=demo+client&client_secret=p%26ss&scope=data-actions%3Aread+data-actions%3Aexecute"
        );
        assert!(!request.needs_auth);
    }

    #[test]
    fn tokens_are_reused_until_sixty_seconds_before_expiry() {
        let response = HttpResponse::json(200, &json!({"access_token": "t1", "expires_in": 3600}));
        let record = parse_token_response(&response, 1_000).unwrap();
        assert_eq!(record.expires_at_ms, 3_601_000);
        let mut cache = TokenCache::new(60_000);
        cache.store(record);
        assert_eq!(cache.valid_token(1_000), Some("t1"));
        assert_eq!(cache.valid_token(3_540_999), Some("t1"));
        assert_eq!(cache.valid_token(3_541_000), None);
    }

    #[test]
    fn short_lived_tokens_are_refreshed_a_quarter_of_their_lifetime_before_expiry() {
        let mut cache = TokenCache::new(60_000);
        for (expires_in_s, usable_for_ms) in [(60_u64, 45_000_u64), (30, 22_500), (1, 750), (240, 180_000), (3_600, 3_540_000)] {
            let response = HttpResponse::json(200, &json!({"access_token": "t", "expires_in": expires_in_s}));
            cache.store(parse_token_response(&response, 1_000).unwrap());
            assert_eq!(cache.valid_token(1_000), Some("t"), "{expires_in_s} s");
            assert_eq!(cache.valid_token(1_000 + usable_for_ms - 1), Some("t"), "{expires_in_s} s");
            assert_eq!(cache.valid_token(1_000 + usable_for_ms), None, "{expires_in_s} s");
        }
        // A token granted for 0 s is never usable (and never makes a margin underflow).
        let response = HttpResponse::json(200, &json!({"access_token": "t", "expires_in": 0}));
        cache.store(parse_token_response(&response, 1_000).unwrap());
        assert_eq!(cache.valid_token(1_000), None);
    }

    #[test]
    fn invalidation_only_forgets_the_rejected_token() {
        let mut cache = TokenCache::new(0);
        cache.store(TokenRecord { access_token: "new".into(), expires_at_ms: 10, scope: None, obtained_at_ms: 0 });
        assert!(!cache.invalidate("old"));
        assert_eq!(cache.valid_token(0), Some("new"));
        assert!(cache.invalidate("new"));
        assert_eq!(cache.valid_token(0), None);
    }

    #[test]
    fn rejected_credentials_are_unauthorized_without_the_secret() {
        let response = HttpResponse::json(401, &json!({"error": "invalid_client", "error_description": "bad"}));
        let err = parse_token_response(&response, 0).unwrap_err();
        assert_eq!(err.code(), "unauthorized");
        assert_eq!(err.upstream_code(), Some("invalid_client"));
        assert!(!err.to_string().contains("p&ss"));
    }

    #[test]
    fn other_refusals_are_mapped_like_any_endpoint_s() {
        let forbidden = HttpResponse::json(403, &json!({"errors": [{"code": "MISSING_SCOPE", "message": "scope data-actions:execute not granted"}]}));
        let err = parse_token_response(&forbidden, 0).unwrap_err();
        assert_eq!((err.code(), err.details().missing_scope.as_deref()), ("forbidden", Some("data-actions:execute")));
        let mut moved = HttpResponse::json(302, &json!({}));
        moved.headers.push(("location".into(), "https://login.example/oauth2/token?x=1".into()));
        let err = parse_token_response(&moved, 0).unwrap_err();
        assert_eq!((err.code(), err.status(), err.retryable()), ("upstream", Some(302), false));
        assert!(err.to_string().contains("the token endpoint: a redirect to https://login.example/oauth2/token,"), "{err}");
    }

    #[test]
    fn records_round_trip_and_hide_the_token_in_debug() {
        let record = TokenRecord { access_token: "secret-token".into(), expires_at_ms: 5, scope: Some("a".into()), obtained_at_ms: 1 };
        let text = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<TokenRecord>(&text).unwrap(), record);
        // A record persisted before `obtainedAtMs` existed still reads (lifetime unknown: 60 s margin).
        let old: TokenRecord = serde_json::from_str(r#"{"accessToken":"t","expiresAtMs":3600000}"#).unwrap();
        assert_eq!((old.obtained_at_ms, old.refresh_margin_ms(60_000)), (0, 60_000));
        assert!(!format!("{record:?}").contains("secret-token"));
    }
}
