//! Invocation records in KV:
//!
//! - `token:v1`: the upstream token (see [`super::token`]);
//! - `inv:{invocationId}`: the record (`InvocationRecord`, JSON);
//! - `pending:{invocationId}`: an index of pending records for the Cron Trigger (metadata
//!   `{deadlineMs}`), deleted when the record becomes terminal;
//! - `idem:{sha256(apiKey, Idempotency-Key)}`: the invocationId an idempotency key was first used
//!   for.
//!
//! Records this isolate holds but has not written yet (a sync answer being written after the
//! response; an invoke waiting on `?wait=` that writes once at its end) are "held": reads merge
//! them in, and changes to them stay in memory until their owner writes them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use serde_json::json;

use super::app::App;
use super::kv::StorageError;
use super::wake;
use crate::core::record::InvocationRecord;

/// The token's key.
pub const TOKEN_KEY: &str = "token:v1";
/// Prefix of the pending index.
pub const PENDING_PREFIX: &str = "pending:";

/// How long records are kept after their deadline.
const RECORD_RETENTION_S: u64 = 7 * 86_400;
/// How long an idempotency key is remembered.
const IDEMPOTENCY_TTL_S: u64 = 86_400;

/// `inv:{id}`.
pub fn record_key(id: &str) -> String {
    format!("inv:{id}")
}

/// `pending:{id}`.
pub fn pending_key(id: &str) -> String {
    format!("{PENDING_PREFIX}{id}")
}

/// `idem:{digest}`.
pub fn idempotency_key(digest: &str) -> String {
    format!("idem:{digest}")
}

thread_local! {
    static HELD: RefCell<HashMap<String, InvocationRecord>> = RefCell::new(HashMap::new());
}

/// Holds a record in memory (replacing the held copy).
pub fn hold(record: &InvocationRecord) {
    HELD.with(|held| held.borrow_mut().insert(record.invocation_id.clone(), record.clone()));
}

/// Whether a record is held.
pub fn is_held(id: &str) -> bool {
    HELD.with(|held| held.borrow().contains_key(id))
}

/// The held copy of a record.
pub fn held(id: &str) -> Option<InvocationRecord> {
    HELD.with(|held| held.borrow().get(id).cloned())
}

/// Stops holding a record, returning the held copy.
pub fn unhold(id: &str) -> Option<InvocationRecord> {
    HELD.with(|held| held.borrow_mut().remove(id))
}

/// The record: the stored copy merged with a held one (the further along wins).
pub async fn load(app: &App, id: &str) -> Result<Option<InvocationRecord>, StorageError> {
    let held = held(id);
    let stored: Option<InvocationRecord> = app.kv.get_json(&record_key(id)).await?;
    Ok(match (stored, held) {
        (Some(stored), Some(held)) => Some(stored.merge(held)),
        (stored, held) => stored.or(held),
    })
}

/// The invocation an idempotency key was first used for.
pub async fn find_idempotent(app: &App, digest: &str) -> Result<Option<InvocationRecord>, StorageError> {
    let Some(id) = app.kv.get_text(&idempotency_key(digest)).await? else { return Ok(None) };
    load(app, id.trim()).await
}

/// Writes a record and keeps its indexes in step: the pending index is added when a record is
/// first stored pending and deleted when a stored pending record ends; the idempotency entry is
/// written when given. Wakes whoever waits on the invocation.
/// The writes run concurrently: an index entry whose record failed to be written is harmless (the
/// cron drops it; an idempotency key whose record is missing counts as unused).
pub async fn save(app: &App, record: &InvocationRecord, stored_pending: bool, idempotency_digest: Option<&str>) -> Result<(), StorageError> {
    let id = record.invocation_id.as_str();
    let now = app.now();
    let retention_s = record.deadline_ms.saturating_sub(now) / 1000 + RECORD_RETENTION_S;
    let text = serde_json::to_string(record).map_err(|e| StorageError(format!("encoding {id}: {e}")))?;
    let record_key = record_key(id);
    let pending_key = pending_key(id);
    let pending_metadata = json!({ "deadlineMs": record.deadline_ms });
    let idempotency_key = idempotency_digest.map(idempotency_key);
    let mut writes: Vec<Write<'_>> = vec![Box::pin(app.kv.put(&record_key, &text, retention_s, None))];
    let pending = !record.status.is_terminal();
    if pending && !stored_pending {
        let ttl_s = record.deadline_ms.saturating_sub(now) / 1000 + 86_400;
        writes.push(Box::pin(app.kv.put(&pending_key, "", ttl_s, Some(&pending_metadata))));
    } else if !pending && stored_pending {
        writes.push(Box::pin(async {
            if let Err(error) = app.kv.delete(&pending_key).await {
                app.log.warn("store: cannot delete the pending index", json!({ "invocationId": id, "error": error.0 }));
            }
            Ok(())
        }));
    }
    if let Some(key) = &idempotency_key {
        writes.push(Box::pin(app.kv.put(key, id, IDEMPOTENCY_TTL_S, None)));
    }
    let outcome = all(writes).await;
    wake::wake(id);
    outcome
}

type Write<'a> = Pin<Box<dyn Future<Output = Result<(), StorageError>> + 'a>>;

/// Runs the writes concurrently; the first error, if any.
async fn all(mut writes: Vec<Write<'_>>) -> Result<(), StorageError> {
    let mut first_error = None;
    std::future::poll_fn(|cx| {
        writes.retain_mut(|write| match write.as_mut().poll(cx) {
            Poll::Ready(outcome) => {
                if let Err(error) = outcome {
                    first_error.get_or_insert(error);
                }
                false
            }
            Poll::Pending => true,
        });
        if writes.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    first_error.map_or(Ok(()), Err)
}

/// Stores a change to a record read with [`load`]: into the held copy when it is held, else into
/// KV. Wakes whoever waits on the invocation.
pub async fn commit(app: &App, record: &InvocationRecord, before: &InvocationRecord) -> Result<(), StorageError> {
    if is_held(&record.invocation_id) {
        hold(record);
        wake::wake(&record.invocation_id);
        return Ok(());
    }
    save(app, record, !before.status.is_terminal(), None).await
}
