//! Rules of the HTTP proxy (the Cloudflare Worker shell in `crate::worker`) that need no platform:
//! its settings, the shape of its requests, how errors map to HTTP statuses, CORS, and when pending
//! invocations are polled. Everything here is pure and tested natively; the shell only reads the
//! platform (env, headers, KV) and hands the values in.

pub mod cors;
pub mod listing;
pub mod request;
pub mod schedule;
pub mod settings;
pub mod status;
