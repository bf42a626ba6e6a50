//! The Cloudflare Worker shell (feature `worker`).
//!
//! Minimal for now: it proves the build pipeline (`scripts/build-worker.sh`, `wrangler dev`) and
//! the bindings from `wrangler.toml` (vars, secrets, the `DATA_ACTIONS_KV` namespace and the Cron
//! Trigger). The data-action routes are added on top of [`routes::route`].
//!
//! - `fetch`: [`routes::route`] answers every request; errors become JSON, never a bare 500.
//! - `scheduled`: records the time of the last Cron Trigger in KV under
//!   [`kv::LAST_SCHEDULED_KEY`], readable through `GET /debug/kv/{key}`.

mod config;
mod http;
mod kv;
mod routes;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

/// The name of the KV namespace binding in `wrangler.toml`.
pub const KV_BINDING: &str = "DATA_ACTIONS_KV";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    match routes::route(req, &env).await {
        Ok(resp) => Ok(resp),
        Err(err) => {
            worker::console_error!("unhandled error: {err}");
            http::error(500, "internal", "internal error")
        }
    }
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now_ms = worker::Date::now().as_millis();
    let record = serde_json::json!({
        "cron": event.cron(),
        "scheduled_time_ms": event.schedule() as u64,
        "ran_at_ms": now_ms,
    });
    if let Err(err) = kv::put_json(&env, kv::LAST_SCHEDULED_KEY, &record).await {
        worker::console_error!("scheduled: cannot record the run in KV: {err}");
    }
}
