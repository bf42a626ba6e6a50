//! The upstream token, shared by every isolate through KV (`token:v1`, expiring with the token;
//! `token:genesys-cloud:v1` under that profile; under cxone the whole session, `session:cxone:v1`,
//! kept as long as its refresh token, so an isolate whose access token expired refreshes it).
//! The in-memory token is used while valid; when it is missing or expiring, the one in KV is
//! imported; only when that is missing or expiring too is a new one requested (the driver makes
//! concurrent callers in the isolate share one request). A token the driver refreshed (after a
//! 401) is written back.

use serde_json::json;

use super::app::App;
use super::store::{token_key, CXONE_SESSION_KEY};
use crate::core::cxone_signin::CxoneSession;
use crate::core::profile::Profile;
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
    if app.settings().client.profile == Profile::Cxone {
        return ensure_session(app).await;
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

/// cxone: the session in KV when the client's is missing or expiring, then a sign-in (which
/// refreshes with the held session's refresh token when it can).
async fn ensure_session(app: &App) -> Result<(), DataActionsError> {
    match app.kv.get_json::<CxoneSession>(CXONE_SESSION_KEY).await {
        Ok(Some(session)) => {
            app.client().import_session(session);
            *app.isolate.stored_session.borrow_mut() = app.client().export_session();
        }
        Ok(None) => {}
        Err(error) => app.log.warn("session: cannot read KV", json!({ "error": error.0 })),
    }
    if has_valid_token(app) {
        return Ok(());
    }
    app.client().token(None).await?;
    app.log.info("session: signed in", json!({}));
    store_if_changed(app).await;
    Ok(())
}

/// How long KV keeps a session: as long as its refresh token (a day when the token endpoint did
/// not say), at least as long as its access token.
fn session_ttl_s(session: &CxoneSession, now_ms: u64) -> u64 {
    let access = session.token.expires_at_ms.saturating_sub(now_ms);
    let refresh = match (&session.refresh_token, session.refresh_expires_at_ms) {
        (None, _) => 0,
        (Some(_), Some(at)) => at.saturating_sub(now_ms),
        (Some(_), None) => 86_400_000,
    };
    access.max(refresh) / 1000
}

/// Writes the client's token (cxone: its session) to KV when it differs from the one last read or written.
pub async fn store_if_changed(app: &App) {
    if app.settings().client.profile == Profile::Cxone {
        let Some(current) = app.client().export_session() else { return };
        if app.isolate.stored_session.borrow().as_ref() == Some(&current) {
            return;
        }
        *app.isolate.stored_session.borrow_mut() = Some(current.clone());
        let ttl_s = session_ttl_s(&current, app.now());
        match app.kv.put_json(CXONE_SESSION_KEY, &current, ttl_s).await {
            Ok(()) => app.log.info("session: stored in KV", json!({ "ttlS": ttl_s })),
            Err(error) => app.log.warn("session: cannot write KV", json!({ "error": error.0 })),
        }
        return;
    }
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
