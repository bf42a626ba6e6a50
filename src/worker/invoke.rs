//! `POST /v1/actions/{actionId}/invoke[?wait=N]` with `{inputs, context?}` and an optional
//! `Idempotency-Key`:
//!
//! - 200 with the record (`invocationId, actionId, invokeId, status, outputs | error, latencyMs,
//!   audit ...`) when the upstream finished at once (a sync action that failed is 200 with status
//!   `failed`: the proxy call itself succeeded);
//! - 202 `{invocationId, status: "pending", ...}` with `Location: /v1/invocations/{id}` when it
//!   runs asynchronously; with `?wait=N` (N <= 25) the answer first waits for the end;
//! - the same Idempotency-Key with the same request answers the first invocation again
//!   (`Idempotent-Replayed: true`); with another request, 422; while the first is still being
//!   answered upstream, the duplicate waits for it (409 with `Retry-After` past 10 s).
//!
//! Two paths. The **sync fast path** (an action whose definition says `sync`, no Idempotency-Key)
//! touches no Durable Object: the Worker invokes and writes the record's KV copy after answering;
//! should the upstream accept it for later (202) after all, the record is handed to its object
//! before the caller is answered. **Every other invoke** is made by the invocation's object
//! ([`super::invocation_object`]), which reserves the record before calling the upstream.

use serde_json::{json, Value};

use super::app::App;
use super::http::{header, json_response, query_param, read_body, Answer, ApiError, Incoming};
use super::objects::{self, StartInvocation};
use super::platform::Context;
use super::random::random_bytes;
use super::store;
use crate::core::definition::{check_action_id, ActionDefinition};
use crate::core::invocation::InvokeOptions;
use crate::core::profile::check_invoke_options;
use crate::core::proxy::request::{
    check_idempotency_key, idempotency_digest, idempotent_object_key, invocation_id, new_callback_token, new_object_key, parse_invoke_body,
    parse_wait, wants_callback,
};
use crate::core::record::{InvocationRecord, NewRecord};
use crate::core::validate::validate_inputs;
use crate::core::DataActionsError;

/// Handles one invoke; `caller` is the API key the request was authenticated with (it scopes
/// idempotency keys).
pub async fn invoke(app: &App, ctx: &Context, req: &Incoming, action_id: &str, caller: &str) -> Result<Answer, ApiError> {
    check_action_id(action_id)?;
    let wait_s = parse_wait(query_param(req, "wait").as_deref())?;
    let idempotency = header(req, "idempotency-key");
    if let Some(key) = &idempotency {
        check_idempotency_key(key)?;
    }
    let body = read_body(req).await?;
    let parsed = parse_invoke_body(&body)?;
    // What the profile cannot honour is refused before anything is reserved or sent.
    let asked = InvokeOptions { context: parsed.context.clone(), ..InvokeOptions::default() };
    check_invoke_options(&app.settings().client, &asked)?;
    let definition = app.get_action(action_id).await?;
    let inputs = Value::Object(validate_inputs(&definition, &parsed.inputs)?);
    let context = parsed.context.unwrap_or_else(|| json!({}));

    if idempotency.is_none() && !wants_callback(&definition) {
        return sync_fast_path(app, ctx, action_id, &definition, inputs, context, wait_s).await;
    }
    // An idempotent request's object is named by its key's digest: a replay answers with the id
    // the first request was given.
    let invocation_id = match &idempotency {
        Some(key) => invocation_id(&idempotent_object_key(&idempotency_digest(caller, key)), app.now()),
        None => new_id(app)?,
    };
    app.log.annotate("invocationId", json!(invocation_id));
    if idempotency.is_some() {
        app.log.annotate("idempotent", json!(true));
    }
    let command = StartInvocation { invocation_id, action_id: action_id.to_string(), inputs, context, idempotency_key: idempotency };
    objects::start(app, &command, wait_s).await
}

fn new_id(app: &App) -> Result<String, ApiError> {
    random_bytes::<10>()
        .map(|bytes| invocation_id(&new_object_key(&bytes), app.now()))
        .ok_or_else(|| ApiError::new(503, "unavailable", "no cryptographic random source"))
}

/// A sync action without an Idempotency-Key: no object, one KV write after the answer.
async fn sync_fast_path(
    app: &App,
    ctx: &Context,
    action_id: &str,
    definition: &ActionDefinition,
    inputs: Value,
    context: Value,
    wait_s: u64,
) -> Result<Answer, ApiError> {
    let id = new_id(app)?;
    // The record needs a capability hash; no callback URL is handed out for a sync action.
    let Some(token_bytes) = random_bytes::<32>() else {
        return Err(ApiError::new(503, "unavailable", "no cryptographic random source"));
    };
    let mut record = InvocationRecord::new(
        NewRecord {
            invocation_id: &id,
            action_id,
            inputs: &inputs,
            context: &context,
            idempotency_key: None,
            callback_token: &new_callback_token(&token_bytes),
            max_pending_ms: app.settings().max_pending_ms,
            declared_outputs: &definition.outputs,
        },
        app.now(),
    );
    record.output_schema = definition.output_schema.clone();
    let options = InvokeOptions { context: Some(context), ..InvokeOptions::default() };
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
        let view = record.public_view();
        // After the answer. The access line, written with the answer, counts this write; the
        // write itself is counted on a detached tally (a retry shows only as its error line).
        app.usage.kv_write();
        let app = app.detached();
        ctx.wait_until(async move {
            if let Err(error) = store::write_copy(&app, &record).await {
                app.log.error("invoke: cannot store the record", json!({ "invocationId": record.invocation_id, "error": error.0 }));
            }
        });
        return Ok(json_response(200, &view, &[]));
    }
    // Accepted for later after all: from now on its object follows it (and answers the wait).
    objects::adopt(app, &record, wait_s).await
}
