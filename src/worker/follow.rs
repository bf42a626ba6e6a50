//! Following pending invocations to their end: one poll when due ([`advance`]), waiting for the
//! end ([`wait_for_end`], for `?wait=`), and the background follow-up after a 202
//! ([`follow_up`]). Callbacks usually end invocations first; polls are the fallback, on the
//! core's backing-off schedule.

use serde_json::json;

use super::app::App;
use super::http::ApiError;
use super::lock;
use super::store::{self, record_key};
use super::wake;
use crate::core::proxy::schedule::FOLLOW_UP_BUDGET_MS;
use crate::core::record::InvocationRecord;

/// A record after [`advance`].
pub struct Advanced {
    /// The record as it now stands.
    pub record: InvocationRecord,
    /// Whether the upstream was asked.
    pub polled: bool,
}

/// Loads a record and, when it is pending and due within `lookahead_ms`, polls the upstream once
/// (or, without an upstream id, only applies the deadline) and stores what changed. Runs under
/// the invocation's lock. `None` when the invocation is unknown.
pub async fn advance(app: &App, id: &str, lookahead_ms: u64) -> Result<Option<Advanced>, ApiError> {
    let _guard = lock::lock(&record_key(id)).await;
    let Some(mut record) = store::load(app, id).await.map_err(|e| ApiError::storage(&e.0))? else {
        return Ok(None);
    };
    if !record.is_due(app.now().saturating_add(lookahead_ms)) {
        return Ok(Some(Advanced { record, polled: false }));
    }
    let before = record.clone();
    let polled = match record.invoke_id.clone() {
        Some(invoke_id) => {
            let outcome = app.poll(&record.action_id, &invoke_id).await;
            if let Err(error) = &outcome {
                app.log.warn("poll failed", json!({ "invocationId": id, "code": error.code(), "error": error.to_string() }));
            }
            record.apply_poll_outcome(&outcome, app.now());
            true
        }
        None => {
            record.expire_if_due(app.now());
            false
        }
    };
    if record != before {
        store::commit(app, &record, &before).await.map_err(|e| ApiError::storage(&e.0))?;
        if record.status.is_terminal() {
            app.log.info(
                "invocation ended",
                json!({ "invocationId": id, "status": record.status.as_str(), "completedBy": record.completed_by, "polls": record.poll_count }),
            );
        }
    }
    Ok(Some(Advanced { record, polled }))
}

/// Waits until the invocation ends or `until_ms` passes: woken by changes stored in this isolate
/// (a callback, another poll), polling the upstream when a poll is due and ending the record at
/// its deadline. Answers the record as it then stands.
pub async fn wait_for_end(app: &App, id: &str, mut record: InvocationRecord, until_ms: u64) -> Result<InvocationRecord, ApiError> {
    loop {
        let now = app.now();
        if record.status.is_terminal() || now >= until_ms {
            return Ok(record);
        }
        let wake_at = record.next_poll_at_ms.min(record.deadline_ms).min(until_ms);
        if wake_at > now {
            wake::sleep_or_wake(id, wake_at - now).await;
        }
        if app.now() >= until_ms {
            // Time is up: answer what is stored (a callback may have ended it meanwhile).
            return Ok(store::load(app, id).await.ok().flatten().unwrap_or(record));
        }
        record = match advance(app, id, 0).await? {
            Some(advanced) => advanced.record,
            None => return Ok(record),
        };
    }
}

/// After a 202: follows the invocation in the background (`ctx.waitUntil`) for a while, so it ends
/// soon even when no callback comes; the Cron Trigger takes over after that, and alone ends
/// records at their deadline.
pub async fn follow_up(app: App, record: InvocationRecord) {
    let id = record.invocation_id.clone();
    let until = app.now().saturating_add(FOLLOW_UP_BUDGET_MS).min(record.deadline_ms);
    match wait_for_end(&app, &id, record, until).await {
        Ok(record) if record.status.is_terminal() => {}
        Ok(_) => app.log.info("follow-up: still pending, left to the cron", json!({ "invocationId": id })),
        Err(error) => app.log.warn("follow-up failed", json!({ "invocationId": id, "code": error.code(), "error": error.message() })),
    }
}
