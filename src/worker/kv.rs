//! Typed access to the `DATA_ACTIONS_KV` namespace, counting every operation in the request's
//! [`Usage`]. KV allows one write per second per key: a failed write is tried once more after a
//! second.

use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use worker::kv::{Key, KvStore};
use worker::Env;

use super::usage::Usage;
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
    usage: Rc<Usage>,
}

impl Kv {
    /// The bound namespace; operations are counted in `usage`.
    pub fn from_env(env: &Env, usage: Rc<Usage>) -> Result<Kv, StorageError> {
        env.kv(KV_BINDING).map(|store| Kv { store, usage }).map_err(|_| StorageError(format!("{KV_BINDING} is not bound")))
    }

    /// A value as text.
    pub async fn get_text(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.usage.kv_read();
        self.store.get(key).text().await.map_err(|e| StorageError(format!("reading {key}: {e}")))
    }

    /// A JSON value; one that does not parse as `T` is an error naming the key.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError> {
        match self.get_text(key).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| StorageError(format!("decoding {key}: {e}"))),
        }
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
            self.usage.kv_write();
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

    /// One page of keys starting with `prefix` (at most `limit`, in key order), with their
    /// metadata, and the cursor of the next page (`None` when this was the last).
    pub async fn list_page(&self, prefix: &str, limit: u64, cursor: Option<String>) -> Result<(Vec<Key>, Option<String>), StorageError> {
        self.usage.kv_read();
        let mut request = self.store.list().prefix(prefix.to_string()).limit(limit);
        if let Some(cursor) = cursor {
            request = request.cursor(cursor);
        }
        let page = request.execute().await.map_err(|e| StorageError(format!("listing {prefix}: {e}")))?;
        let next = if page.list_complete { None } else { page.cursor.filter(|c| !c.is_empty()) };
        Ok((page.keys, next))
    }
}
