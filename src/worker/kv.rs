//! Typed access to the `DATA_ACTIONS_KV` namespace. KV allows one write per second per key: a
//! failed write is tried once more after a second.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use worker::kv::{Key, KvStore};
use worker::Env;

use super::KV_BINDING;
use crate::driver::Runtime;
use crate::transport::js_runtime::JsRuntime;

/// KV's shortest expiration TTL, in seconds.
const MIN_TTL_S: u64 = 60;

/// A KV failure; its message names the operation and key, never a value.
#[derive(Debug, Clone)]
pub struct StorageError(pub String);

/// The namespace.
#[derive(Clone)]
pub struct Kv {
    store: KvStore,
}

impl Kv {
    /// The bound namespace.
    pub fn from_env(env: &Env) -> Result<Kv, StorageError> {
        env.kv(KV_BINDING).map(|store| Kv { store }).map_err(|_| StorageError(format!("{KV_BINDING} is not bound")))
    }

    /// A value as text.
    pub async fn get_text(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.store.get(key).text().await.map_err(|e| StorageError(format!("reading {key}: {e}")))
    }

    /// A JSON value; one that does not parse as `T` reads as absent.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError> {
        Ok(self.get_text(key).await?.and_then(|text| serde_json::from_str(&text).ok()))
    }

    /// Writes `value` (expiring after `ttl_s`, at least a minute), with optional metadata.
    pub async fn put(&self, key: &str, value: &str, ttl_s: u64, metadata: Option<&Value>) -> Result<(), StorageError> {
        let mut last = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                JsRuntime::new().sleep(1_100, None).await;
            }
            let builder = match self.store.put(key, value) {
                Ok(builder) => builder.expiration_ttl(ttl_s.max(MIN_TTL_S)),
                Err(e) => return Err(StorageError(format!("writing {key}: {e}"))),
            };
            let builder = match metadata {
                Some(metadata) => match builder.metadata(metadata) {
                    Ok(builder) => builder,
                    Err(e) => return Err(StorageError(format!("writing {key}: {e}"))),
                },
                None => builder,
            };
            match builder.execute().await {
                Ok(()) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(StorageError(format!("writing {key}: {last}")))
    }

    /// Writes `value` as JSON.
    pub async fn put_json<T: Serialize>(&self, key: &str, value: &T, ttl_s: u64) -> Result<(), StorageError> {
        let text = serde_json::to_string(value).map_err(|e| StorageError(format!("encoding {key}: {e}")))?;
        self.put(key, &text, ttl_s, None).await
    }

    /// Deletes a key (absent keys are fine).
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.store.delete(key).await.map_err(|e| StorageError(format!("deleting {key}: {e}")))
    }

    /// Up to `limit` keys starting with `prefix`, with their metadata.
    pub async fn list(&self, prefix: &str, limit: u64) -> Result<Vec<Key>, StorageError> {
        let answer = self
            .store
            .list()
            .prefix(prefix.to_string())
            .limit(limit)
            .execute()
            .await
            .map_err(|e| StorageError(format!("listing {prefix}: {e}")))?;
        Ok(answer.keys)
    }
}
