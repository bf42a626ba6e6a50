//! `POST /v1/callbacks/{invocationId}/{token}`: the upstream's completion callback. The URL is a
//! capability: its token is random per invocation and only its hash is stored, in the
//! invocation's object, which applies the callback (the record exists before the upstream is
//! given the URL, so no callback finds it missing). When `CALLBACK_SIGNING_SECRET` is set the
//! request must also carry a valid Standard Webhooks signature (timestamp within 5 minutes),
//! checked here before any object is woken. A bad token or signature is 401 and changes nothing
//! (the reason is logged, not answered); a duplicate or late callback changes nothing and gets
//! the first answer again.

use serde_json::json;

use super::app::App;
use super::http::{header, read_body, Answer, ApiError, Incoming};
use super::objects;
use crate::core::callback::{verify_webhook, WebhookHeaders};
use crate::core::proxy::request::{check_invocation_id, is_callback_token_shaped};

/// Standard Webhooks timestamp tolerance.
const SIGNATURE_TOLERANCE_MS: u64 = 5 * 60 * 1000;

/// Handles one callback.
pub async fn handle(app: &App, req: &Incoming, id: &str, token: &str) -> Result<Answer, ApiError> {
    if check_invocation_id(id).is_err() {
        return Err(ApiError::not_found("no such invocation"));
    }
    if !is_callback_token_shaped(token) {
        app.log.warn("callback refused: token", json!({ "invocationId": id }));
        return Err(ApiError::unauthorized("the callback's capability token is not valid for this invocation"));
    }
    let body = read_body(req).await?;
    if let Some(secret) = &app.settings().callback_signing_secret {
        let (webhook_id, timestamp, signature) = (header(req, "webhook-id"), header(req, "webhook-timestamp"), header(req, "webhook-signature"));
        let headers = WebhookHeaders { id: webhook_id.as_deref(), timestamp: timestamp.as_deref(), signature: signature.as_deref() };
        if let Err(error) = verify_webhook(secret.expose(), headers, &body, app.now(), SIGNATURE_TOLERANCE_MS) {
            app.log.warn("callback refused: signature", json!({ "invocationId": id, "reason": error.to_string() }));
            return Err(ApiError::unauthorized("invalid signature"));
        }
    }
    app.log.annotate("invocationId", json!(id));
    objects::callback(app, id, token, body).await
}
