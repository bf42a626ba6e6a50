//! What the Worker keeps in KV, which is eventually consistent and read-mostly:
//!
//! - `token:v1`: the shared upstream token (see [`super::token`]); `token:genesys-cloud:v1` under
//!   the genesys-cloud profile (a token of one upstream is never offered to another);
//!   `session:cxone:v1` under the cxone profile: the whole signed-in session, refresh token and
//!   API host included, so another isolate refreshes instead of signing in again;
//! - `inv:{invocationId}`: a read copy of each invocation's record (`InvocationRecord`, JSON),
//!   with metadata `{status, actionId, createdAtMs}`. A sync invoke without an Idempotency-Key
//!   writes it once after answering (it has no object); every other invocation's Durable Object
//!   writes it when the record's status changes. A finished copy is read from any location
//!   without waking the object; a pending copy is only a hint: the object is the truth.

use serde_json::json;

use super::app::App;
use super::http::ApiError;
use super::kv::{KvWrite, StorageError};
use crate::core::profile::Profile;
use crate::core::record::{InvocationRecord, RecordDecodeError};

/// The token's key (the cxone-seed profile's).
pub const TOKEN_KEY: &str = "token:v1";
/// The token's key under the genesys-cloud profile.
pub const GENESYS_TOKEN_KEY: &str = "token:genesys-cloud:v1";

/// The cxone profile's signed-in session (its token, refresh token, token endpoint and API host).
pub const CXONE_SESSION_KEY: &str = "session:cxone:v1";

/// The key of the token of an upstream of `profile`.
pub fn token_key(profile: Profile) -> &'static str {
    match profile {
        Profile::GenesysCloud => GENESYS_TOKEN_KEY,
        Profile::CxoneSeed | Profile::Cxone => TOKEN_KEY,
    }
}

/// The prefix of the read copies' keys.
pub const RECORD_PREFIX: &str = "inv:";

/// `inv:{id}`.
pub fn record_key(id: &str) -> String {
    format!("{RECORD_PREFIX}{id}")
}

/// The read copy of an invocation, if KV has one here. A copy that cannot be decoded is logged
/// and answered as a 500 `record_undecodable`, never taken for an absent record.
pub async fn read_copy(app: &App, id: &str) -> Result<Option<InvocationRecord>, ApiError> {
    let key = record_key(id);
    let Some(text) = app.kv.get_text(&key).await.map_err(|e| ApiError::storage(&e.0))? else { return Ok(None) };
    InvocationRecord::decode(&key, &text).map(Some).map_err(|error| undecodable(app, &error))
}

/// The answer (and log line) for a stored record that cannot be decoded.
pub fn undecodable(app: &App, error: &RecordDecodeError) -> ApiError {
    app.log.error("store: a stored record cannot be decoded", json!({ "error": error.to_string() }));
    ApiError::new(500, RecordDecodeError::CODE, "the stored record of this invocation cannot be read; it is kept as it is")
}

/// Writes the read copy of `record`.
pub async fn write_copy(app: &App, record: &InvocationRecord) -> Result<(), StorageError> {
    app.kv.put_write(copy_write(app, record)?).await
}

/// The write of the read copy of `record`, not yet made.
pub fn copy_write(app: &App, record: &InvocationRecord) -> Result<KvWrite, StorageError> {
    let metadata = json!({ "status": record.status.as_str(), "actionId": record.action_id, "createdAtMs": record.created_at_ms });
    app.kv.write(&record_key(&record.invocation_id), &record.encode(), record.read_copy_ttl_s(app.now()), Some(&metadata))
}

/// The invocation id of a read copy's key.
pub fn invocation_of_key(key: &str) -> &str {
    key.strip_prefix(RECORD_PREFIX).unwrap_or(key)
}
