//! `POST /v1/actions/{actionId}/invoke[?wait=N]` with `{inputs, context?}` and an optional
//! `Idempotency-Key`:
//!
//! - 200 with the record (`invocationId, actionId, invokeId, status, outputs | error, latencyMs,
//!   audit ...`) when the upstream finished at once (a sync action that failed is 200 with status
//!   `failed`: the proxy call itself succeeded);
//! - 202 `{invocationId, status: "pending", ...}` with `Location: /v1/invocations/{id}` when it
//!   runs asynchronously; with `?wait=N` (N <= 25) the answer first waits for the end;
//! - the same Idempotency-Key with the same request answers the first invocation again; with
//!   another request, 422.
//!
//! The upstream's `callbackUrl` is always this Worker's own capability URL (none for actions whose
//! definition says they are sync). Each record is written once where possible: a finished one
//! after the answer, an accepted one before it; one waited for is written when the wait ends.

use serde_json::{json, Value};
use worker::{Context, Request, Response};

use super::app::App;
use super::follow;
use super::http::{header, json_response, query_param, read_body, ApiError};
use super::lock::{self, LockGuard};
use super::random::random_bytes;
use super::store::{self, idempotency_key, record_key};
use crate::core::definition::check_action_id;
use crate::core::invocation::InvokeOptions;
use crate::core::proxy::request::{
    callback_url, check_idempotency_key, idempotency_digest, new_callback_token, new_invocation_id, parse_invoke_body, parse_wait,
    wants_callback,
};
use crate::core::record::{request_fingerprint, InvocationRecord, NewRecord};
use crate::core::validate::validate_inputs;
use crate::core::DataActionsError;

fn storage(error: super::kv::StorageError) -> ApiError {
    ApiError::storage(&error.0)
}

/// Handles one invoke; `caller` is the API key the request was authenticated with (it scopes
/// idempotency keys).
pub async fn invoke(app: &App, ctx: &Context, req: &mut Request, action_id: &str, caller: &str) -> Result<Response, ApiError> {
    check_action_id(action_id)?;
    let wait_s = parse_wait(query_param(req, "wait").as_deref())?;
    let idempotency = header(req, "idempotency-key");
    if let Some(key) = &idempotency {
        check_idempotency_key(key)?;
    }
    let body = read_body(req).await?;
    let parsed = parse_invoke_body(&body)?;
    let definition = app.get_action(action_id).await?;
    let inputs = Value::Object(validate_inputs(&definition, &parsed.inputs)?);
    let context = parsed.context.unwrap_or_else(|| json!({}));

    let digest = idempotency.as_deref().map(|key| idempotency_digest(caller, key));
    let idempotency_guard = match &digest {
        Some(digest) => Some(lock::lock(&idempotency_key(digest)).await),
        None => None,
    };
    if let Some(digest) = &digest {
        if let Some(first) = store::find_idempotent(app, digest).await.map_err(storage)? {
            if first.request_hash != request_fingerprint(action_id, &inputs, &context) {
                return Err(ApiError::bad_input("this Idempotency-Key was already used with a different request").with_status(422));
            }
            app.log.annotate("invocationId", json!(first.invocation_id));
            app.log.annotate("idempotentReplay", json!(true));
            return replay(app, first, wait_s).await;
        }
    }

    let (Some(id_bytes), Some(token_bytes)) = (random_bytes::<16>(), random_bytes::<32>()) else {
        return Err(ApiError::new(503, "unavailable", "no cryptographic random source"));
    };
    let id = new_invocation_id(&id_bytes);
    let token = new_callback_token(&token_bytes);
    let callback = wants_callback(&definition).then(|| callback_url(&app.settings().public_url, &id, &token));
    let mut record = InvocationRecord::new(
        NewRecord {
            invocation_id: &id,
            action_id,
            inputs: &inputs,
            context: &context,
            idempotency_key: idempotency.as_deref(),
            callback_token: &token,
            max_pending_ms: app.settings().max_pending_ms,
        },
        app.now(),
    );

    // Callbacks for this invocation wait here until its record exists.
    let record_guard = lock::lock(&record_key(&id)).await;
    let options = InvokeOptions { context: Some(context), callback_url: callback, ..InvokeOptions::default() };
    match app.invoke(action_id, &inputs, options).await {
        Ok(result) => record.apply_invoke_result(&result, app.now()),
        Err(error @ (DataActionsError::ExecutionFailed { .. } | DataActionsError::Cancelled { by_upstream: true, .. })) => {
            record.apply_invoke_error(&error, app.now())
        }
        Err(error) => return Err(error.into()),
    };
    app.log.annotate("invocationId", json!(id));
    app.log.annotate("invokeId", json!(record.invoke_id));
    app.log.annotate("invocationStatus", json!(record.status.as_str()));

    if record.status.is_terminal() {
        // The answer is known: write after answering. Reads in this isolate see the held copy,
        // and a replay of the idempotency key waits for the write.
        store::hold(&record);
        drop(record_guard);
        ctx.wait_until(write_later(app.clone(), record.clone(), digest, idempotency_guard));
        return Ok(json_response(200, &record.public_view(), &[]));
    }

    if wait_s == 0 {
        store::save(app, &record, false, digest.as_deref()).await.map_err(storage)?;
        drop(record_guard);
        drop(idempotency_guard);
        ctx.wait_until(follow::follow_up(app.clone(), record.clone()));
        return Ok(accepted(&record, &[]));
    }

    // Wait for the end with the record held in memory (nobody else knows its id yet, except the
    // upstream's callback, which finds the held copy), then write it once.
    store::hold(&record);
    drop(record_guard);
    let until = app.now().saturating_add(wait_s.saturating_mul(1000));
    let waited = follow::wait_for_end(app, &id, record.clone(), until).await;
    let final_record = {
        let _guard = lock::lock(&record_key(&id)).await;
        let latest = match (store::held(&id), waited) {
            (Some(held), Ok(waited)) => held.merge(waited),
            (Some(held), Err(_)) => held,
            (None, Ok(waited)) => waited,
            (None, Err(_)) => record,
        };
        let saved = store::save(app, &latest, false, digest.as_deref()).await;
        store::unhold(&id);
        saved.map_err(storage)?;
        latest
    };
    drop(idempotency_guard);
    if final_record.status.is_terminal() {
        return Ok(json_response(200, &final_record.public_view(), &[]));
    }
    ctx.wait_until(follow::follow_up(app.clone(), final_record.clone()));
    Ok(accepted(&final_record, &[]))
}

/// 202 with `Location`.
fn accepted(record: &InvocationRecord, extra: &[(&'static str, String)]) -> Response {
    let mut headers = vec![("location", format!("/v1/invocations/{}", record.invocation_id))];
    headers.extend_from_slice(extra);
    json_response(202, &record.public_view(), &headers)
}

/// The answer for an idempotency key used before: the first invocation as it now stands.
async fn replay(app: &App, first: InvocationRecord, wait_s: u64) -> Result<Response, ApiError> {
    let mut record = first;
    if !record.status.is_terminal() && wait_s > 0 {
        let until = app.now().saturating_add(wait_s.saturating_mul(1000));
        let id = record.invocation_id.clone();
        record = follow::wait_for_end(app, &id, record, until).await?;
    }
    let replayed = [("idempotent-replayed", "true".to_string())];
    if record.status.is_terminal() {
        Ok(json_response(200, &record.public_view(), &replayed))
    } else {
        Ok(accepted(&record, &replayed))
    }
}

/// Writes a finished record (and its idempotency entry) after the answer was sent.
async fn write_later(app: App, record: InvocationRecord, digest: Option<String>, idempotency_guard: Option<LockGuard>) {
    let id = record.invocation_id.clone();
    let _guard = lock::lock(&record_key(&id)).await;
    let latest = store::held(&id).unwrap_or(record);
    if let Err(error) = store::save(&app, &latest, false, digest.as_deref()).await {
        app.log.error("invoke: cannot store the record", json!({ "invocationId": id, "error": error.0 }));
    }
    store::unhold(&id);
    drop(idempotency_guard);
}
