//! What a `cxone` sign-in ends with, and what the next one starts from: the access token, the
//! refresh token, the token endpoint discovery named, the tenant and its API host. Shells persist
//! it (the Worker in KV, like `token:v1`); `Debug` shows no token.

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::settings::CxoneSettings;
use crate::core::config::Secret;
use crate::core::token::TokenRecord;

/// A signed-in session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CxoneSession {
    /// The bearer token and its expiry.
    pub token: TokenRecord,
    /// The refresh token, when the token endpoint gave one. Persisted with its value: see
    /// [`persisted_secret`].
    #[serde(default, skip_serializing_if = "Option::is_none", with = "persisted_secret")]
    pub refresh_token: Option<Secret>,
    /// When the refresh token expires (ms since the epoch), when the token endpoint said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at_ms: Option<u64>,
    /// The issuer the session was obtained from: a session of another issuer is not reused.
    pub issuer: String,
    /// Which client and access key the session belongs to (see [`credentials_tag`]): a refresh
    /// token is never used for other credentials than the ones that obtained it.
    pub credentials_tag: String,
    /// The token endpoint OpenID discovery named (reused, so later sign-ins skip discovery).
    pub token_endpoint: String,
    /// The tenant, from the id_token's `tenantId` claim.
    pub tenant_id: String,
    /// The tenant's API origin (`api_endpoint` of cxone-configuration), without a trailing slash.
    pub api_base_url: String,
}

impl CxoneSession {
    /// Whether the refresh token may still be offered at `now_ms` (held, and not past the expiry
    /// the token endpoint gave; without one it is tried, and a refusal falls back to a new grant).
    pub fn has_fresh_refresh_token(&self, now_ms: u64) -> bool {
        self.refresh_token.as_ref().is_some_and(|t| !t.expose().is_empty())
            && refresh_token_unexpired(self.refresh_expires_at_ms, now_ms)
    }
}

/// Whether a refresh token that expires at `expires_at_ms` (when the token endpoint said) may be
/// offered at `now_ms`. No margin: one that expires on the way is refused, and the sign-in falls
/// back to a new grant.
pub fn refresh_token_unexpired(expires_at_ms: Option<u64>, now_ms: u64) -> bool {
    expires_at_ms.is_none_or(|at| now_ms < at)
}

impl std::fmt::Debug for CxoneSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CxoneSession")
            .field("token", &self.token)
            .field("refresh_token", &self.refresh_token)
            .field("refresh_expires_at_ms", &self.refresh_expires_at_ms)
            .field("issuer", &self.issuer)
            .field("token_endpoint", &self.token_endpoint)
            .field("tenant_id", &self.tenant_id)
            .field("api_base_url", &self.api_base_url)
            .finish_non_exhaustive()
    }
}

/// A tag of the credentials a session was obtained with: SHA-256 over the issuer, the client id
/// and the access key id, base64url. It changes when any of them does (a rotated access key of
/// another user must not keep signing in as the old one through its refresh token), and reveals
/// none of them.
pub fn credentials_tag(settings: &CxoneSettings) -> String {
    let mut hash = Sha256::new();
    for part in [settings.issuer.as_str(), settings.client_id.as_str(), settings.access_key_id.expose()] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash.finalize())
}

/// Serde for the refresh token. `Secret` deliberately has no serde of its own, so no secret is
/// serialised by accident; the session is the one place a secret is written out, on purpose: the
/// Worker keeps it in KV beside the access token (as `token:v1` keeps the access token in
/// clear), since a refresh token that cannot be stored cannot be used by the next isolate.
pub mod persisted_secret {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::core::config::Secret;

    /// Writes the secret's value.
    pub fn serialize<S: Serializer>(value: &Option<Secret>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(secret) => serializer.serialize_some(secret.expose()),
            None => serializer.serialize_none(),
        }
    }

    /// Reads it back.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Secret>, D::Error> {
        Ok(Option::<String>::deserialize(deserializer)?.map(Secret::new))
    }
}
