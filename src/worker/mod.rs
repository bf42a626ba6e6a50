//! The Cloudflare Worker shell (feature `worker`): the proxy's HTTP API over the driver, with
//! invocation records in KV, caller authentication, completion callbacks and a Cron Trigger.
//!
//! The rules live in the core (`core::proxy` for settings, request shapes, statuses, CORS and the
//! poll schedule; `core::record` for the invocation record's transitions); this module moves
//! values between them and the platform, one concern per file:
//!
//! - [`routes`]: dispatch, CORS, caller auth, the access log line;
//! - [`health`], [`actions`], [`invoke`], [`invocations`], [`callbacks`]: the routes;
//! - [`action_list`] (`GET /v1/actions`, falling back to [`seen_actions`]), [`openapi`]
//!   (`GET /openapi.json`), [`home`] (`GET /`); the console's files are static assets;
//! - [`follow`]: polling pending invocations (after a 202, for `?wait=`, and for [`cron`]);
//! - [`store`]: invocation records in KV; [`kv`]: typed KV access; [`token`]: the shared token;
//! - [`isolate`]: the per-isolate driver client; [`app`]: what a request works with;
//! - [`lock`], [`wake`]: per-invocation ordering and wake-ups within the isolate;
//! - [`env`], [`http`], [`log`], [`random`]: settings, responses, JSON logs, random ids.
//!
//! Nothing here panics: every failure becomes a JSON error answer or a log line.

mod action_list;
mod actions;
mod app;
mod callbacks;
mod cron;
mod env;
mod follow;
mod health;
mod home;
mod http;
mod invocations;
mod invoke;
mod isolate;
mod kv;
mod lock;
mod log;
mod openapi;
mod random;
mod routes;
mod seen_actions;
mod store;
mod token;
mod wake;

use worker::{event, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

/// The name of the KV namespace binding in `wrangler.toml`.
pub const KV_BINDING: &str = "DATA_ACTIONS_KV";

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    Ok(routes::handle(req, env, ctx).await)
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    cron::run(&event.cron(), &env).await;
}
