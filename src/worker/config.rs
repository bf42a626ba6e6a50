//! Non-secret settings from `[vars]` in `wrangler.toml` (or `--var` overrides).

use worker::Env;

/// A `[vars]` value, or `None` if unset.
pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string())
}

/// Whether a secret (from `.dev.vars` locally, `wrangler secret put` when deployed) is set,
/// without revealing it.
pub fn has_secret(env: &Env, name: &str) -> bool {
    env.secret(name).map(|s| !s.to_string().is_empty()).unwrap_or(false)
}
