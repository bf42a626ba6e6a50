//! `POST /v1/callbacks/{invocationId}/{token}`: the upstream's completion callback. The URL is a
//! capability: its token is random per invocation and only its hash is stored. When
//! `CALLBACK_SIGNING_SECRET` is set the request must also carry a valid Standard Webhooks
//! signature (timestamp within 5 minutes). A bad token or signature is 401 and changes nothing; a
//! duplicate or late callback changes nothing and gets the first answer again.

use serde_json::json;
use worker::{Request, Response};

use super::app::App;
use super::http::{header, json_response, read_body, ApiError};
use super::lock;
use super::store::{self, record_key};
use crate::core::callback::{parse_notification_body, verify_webhook, WebhookHeaders};
use crate::core::proxy::request::{check_invocation_id, is_callback_token_shaped};

/// Standard Webhooks timestamp tolerance.
const SIGNATURE_TOLERANCE_MS: u64 = 5 * 60 * 1000;

/// How long the upstream is asked to wait before retrying a callback for an invocation this
/// Worker has not recorded yet (its record is being written, or not yet visible here).
const UNKNOWN_RETRY_AFTER_S: u64 = 2;

/// Handles one callback.
pub async fn handle(app: &App, req: &mut Request, id: &str, token: &str) -> Result<Response, ApiError> {
    let refused = || ApiError::unauthorized("the callback's capability token is not valid for this invocation");
    if check_invocation_id(id).is_err() {
        return Err(ApiError::not_found("no such invocation"));
    }
    if !is_callback_token_shaped(token) {
        return Err(refused());
    }
    let body = read_body(req).await?;
    if let Some(secret) = &app.settings().callback_signing_secret {
        let (webhook_id, timestamp, signature) = (header(req, "webhook-id"), header(req, "webhook-timestamp"), header(req, "webhook-signature"));
        let headers = WebhookHeaders { id: webhook_id.as_deref(), timestamp: timestamp.as_deref(), signature: signature.as_deref() };
        if let Err(error) = verify_webhook(secret.expose(), headers, &body, app.now(), SIGNATURE_TOLERANCE_MS) {
            app.log.warn("callback refused: signature", json!({ "invocationId": id, "reason": error.to_string() }));
            return Err(ApiError::unauthorized(&format!("the callback's signature is not valid: {error}")));
        }
    }
    let _guard = lock::lock(&record_key(id)).await;
    let Some(mut record) = store::load(app, id).await.map_err(|e| ApiError::storage(&e.0))? else {
        let mut error = ApiError::new(503, "not_found", format!("invocation {id} is not recorded (yet); retry later"));
        error.retry_after_s = Some(UNKNOWN_RETRY_AFTER_S);
        return Err(error);
    };
    if !record.callback_token_matches(token) {
        app.log.warn("callback refused: token", json!({ "invocationId": id }));
        return Err(refused());
    }
    let notification = parse_notification_body(&body)?;
    let before = record.clone();
    let outcome = record.accept_callback(&notification, app.now())?;
    if outcome.changed {
        store::commit(app, &record, &before).await.map_err(|e| ApiError::storage(&e.0))?;
    }
    app.log.annotate("invocationId", json!(id));
    app.log.annotate("upstreamStatus", json!(notification.status));
    app.log.annotate("invocationStatus", json!(record.status.as_str()));
    app.log.annotate("changed", json!(outcome.changed));
    app.log.annotate("callbackStatus", json!(outcome.ack.callback_status));
    Ok(json_response(200, &outcome.ack, &[]))
}
