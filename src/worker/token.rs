//! The upstream token, shared by every isolate through KV (`token:v1`, expiring with the token).
//! The in-memory token is used while valid; when it is missing or expiring, the one in KV is
//! imported; only when that is missing or expiring too is a new one requested (the driver makes
//! concurrent callers in the isolate share one request). A token the driver refreshed (after a
//! 401) is written back.

use serde_json::json;

use super::app::App;
use super::store::token_key;
use crate::core::DataActionsError;

/// Whether the client holds a token that is not within the refresh margin of its expiry (the
/// core's rule: the configured margin, or a quarter of a short token's lifetime).
fn has_valid_token(app: &App) -> bool {
    let margin = app.settings().client.token_refresh_margin_ms;
    let now = app.now();
    app.client().export_token().is_some_and(|t| t.is_fresh_at(now, margin))
}

/// Makes sure the client holds a valid token: its own, the one in KV, or a new one.
pub async fn ensure(app: &App) -> Result<(), DataActionsError> {
    if has_valid_token(app) {
        return Ok(());
    }
    match app.kv.get_json(token_key(app.settings().client.profile)).await {
        Ok(Some(record)) => {
            app.client().import_token(record);
            *app.isolate.stored_token.borrow_mut() = app.client().export_token();
        }
        Ok(None) => {}
        Err(error) => app.log.warn("token: cannot read KV", json!({ "error": error.0 })),
    }
    if has_valid_token(app) {
        return Ok(());
    }
    app.client().token(None).await?;
    app.log.info("token: obtained a new token", json!({}));
    store_if_changed(app).await;
    Ok(())
}

/// Writes the client's token to KV when it differs from the one last read or written.
pub async fn store_if_changed(app: &App) {
    let Some(current) = app.client().export_token() else { return };
    if app.isolate.stored_token.borrow().as_ref() == Some(&current) {
        return;
    }
    *app.isolate.stored_token.borrow_mut() = Some(current.clone());
    let ttl_s = current.expires_at_ms.saturating_sub(app.now()) / 1000;
    match app.kv.put_json(token_key(app.settings().client.profile), &current, ttl_s).await {
        Ok(()) => app.log.info("token: stored in KV", json!({ "ttlS": ttl_s })),
        Err(error) => app.log.warn("token: cannot write KV", json!({ "error": error.0 })),
    }
}
