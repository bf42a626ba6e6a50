//! The Cron Trigger: sweeps the pending index so every accepted invocation ends even when no
//! caller asks again and no callback comes. Each run lists up to `CRON_LIST_LIMIT` pending
//! invocations and advances at most `CRON_MAX_RECORDS` of them within `CRON_BUDGET_MS`: those past
//! their deadline first, the rest from a random starting point (so none starves). A record due
//! before the next run is polled now; one past its deadline ends `timed_out`.

use serde_json::{json, Value};
use worker::Env;

use super::app::App;
use super::env::read_settings;
use super::follow;
use super::log::Log;
use super::random::{random_bytes, request_id};
use super::store::{pending_key, PENDING_PREFIX};
use crate::core::proxy::schedule::{CRON_BUDGET_MS, CRON_LIST_LIMIT, CRON_LOOKAHEAD_MS, CRON_MAX_RECORDS};

/// One run.
pub async fn run(cron: &str, env: &Env) {
    let log = Log::new(&format!("cron-{}", request_id()));
    let settings = match read_settings(env) {
        Ok(settings) => settings,
        Err(problems) => {
            log.error("cron: the Worker is misconfigured", json!({ "problems": problems }));
            return;
        }
    };
    let app = match App::new(settings, env, log.clone()) {
        Ok(app) => app,
        Err(error) => {
            log.error("cron: no KV", json!({ "error": error.0 }));
            return;
        }
    };
    let started = app.now();
    let keys = match app.kv.list(PENDING_PREFIX, CRON_LIST_LIMIT).await {
        Ok(keys) => keys,
        Err(error) => {
            log.error("cron: cannot list pending invocations", json!({ "error": error.0 }));
            return;
        }
    };
    let listed = keys.len();
    let deadline_of = |metadata: &Option<Value>| metadata.as_ref().and_then(|m| m.get("deadlineMs")).and_then(Value::as_u64).unwrap_or(u64::MAX);
    let (mut overdue, mut rest): (Vec<_>, Vec<_>) = keys.into_iter().partition(|key| deadline_of(&key.metadata) <= started);
    overdue.sort_by_key(|key| deadline_of(&key.metadata));
    if !rest.is_empty() {
        let offset = random_bytes::<4>().map(u32::from_le_bytes).unwrap_or(0) as usize % rest.len();
        rest.rotate_left(offset);
    }
    let (mut examined, mut polled, mut ended, mut forgotten) = (0usize, 0usize, 0usize, 0usize);
    for key in overdue.into_iter().chain(rest).take(CRON_MAX_RECORDS) {
        if app.now().saturating_sub(started) > CRON_BUDGET_MS {
            break;
        }
        let Some(id) = key.name.strip_prefix(PENDING_PREFIX) else { continue };
        examined += 1;
        match follow::advance(&app, id, CRON_LOOKAHEAD_MS).await {
            Ok(Some(advanced)) => {
                polled += usize::from(advanced.polled);
                if advanced.record.status.is_terminal() {
                    ended += 1;
                    // Normally deleted when the record ended; this clears any leftover.
                    let _ = app.kv.delete(&pending_key(id)).await;
                }
            }
            Ok(None) => {
                forgotten += 1;
                let _ = app.kv.delete(&pending_key(id)).await;
            }
            Err(error) => log.warn("cron: cannot advance", json!({ "invocationId": id, "code": error.code(), "error": error.message() })),
        }
    }
    log.info(
        "cron run",
        json!({
            "cron": cron,
            "listed": listed,
            "examined": examined,
            "polled": polled,
            "ended": ended,
            "forgotten": forgotten,
            "ms": app.now().saturating_sub(started),
        }),
    );
}
