//! Access to the `DATA_ACTIONS_KV` namespace.

use serde::Serialize;
use worker::{kv::KvStore, Env, Result};

use super::KV_BINDING;

/// Keys under this prefix may be read through the debug route; nothing else may.
pub const DEBUG_PREFIX: &str = "debug:";
/// Written by the `scheduled` handler on every Cron Trigger.
pub const LAST_SCHEDULED_KEY: &str = "debug:last_scheduled";

pub fn store(env: &Env) -> Result<KvStore> {
    env.kv(KV_BINDING)
}

pub async fn get_text(env: &Env, key: &str) -> Result<Option<String>> {
    Ok(store(env)?.get(key).text().await?)
}

pub async fn put_json<T: Serialize>(env: &Env, key: &str, value: &T) -> Result<()> {
    let text = serde_json::to_string(value)?;
    store(env)?.put(key, text)?.execute().await?;
    Ok(())
}
