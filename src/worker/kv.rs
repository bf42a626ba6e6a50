//! Typed access to the `DATA_ACTIONS_KV` namespace, counting every operation in the request's
//! [`Usage`]. KV allows one write per second per key: a failed write is tried once more after a
//! second.
//!
//! The namespace's `get` and `put` are bound directly (wasm-bindgen methods on the binding object)
//! rather than through the `worker` crate's KvStore, which looks up four functions on every
//! construction and builds put options through serde-wasm-bindgen: one crossing per operation
//! here, and the options are one JSON text parsed on the JS side.

use std::rc::Rc;

use js_sys::{Promise, JSON};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::platform::{js_error_message, Env};
use super::usage::Usage;
use super::KV_BINDING;
use crate::core::json::{from_text, to_text};
use crate::driver::Runtime;
use crate::transport::js_runtime::JsRuntime;

/// KV's shortest expiration TTL, in seconds.
const MIN_TTL_S: u64 = 60;

/// A KV failure; its message names the operation and key, never a value.
#[derive(Debug, Clone)]
pub struct StorageError(pub String);

#[wasm_bindgen]
extern "C" {
    /// A KV namespace binding.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    type KvNamespace;

    /// `get(key)`: the value as text, or null.
    #[wasm_bindgen(method, catch)]
    fn get(this: &KvNamespace, key: &str) -> Result<Promise, JsValue>;

    /// `put(key, value, options)`.
    #[wasm_bindgen(method, catch)]
    fn put(this: &KvNamespace, key: &str, value: &str, options: &JsValue) -> Result<Promise, JsValue>;

    /// `list({prefix, limit, cursor})`.
    #[wasm_bindgen(method, catch)]
    fn list(this: &KvNamespace, options: &JsValue) -> Result<Promise, JsValue>;
}

/// One key of a listed page.
#[derive(Debug, Clone, Deserialize)]
pub struct ListedKey {
    /// The key.
    pub name: String,
    /// Its metadata.
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// A listed page as KV answers it.
#[derive(Deserialize)]
struct ListedPage {
    keys: Vec<ListedKey>,
    #[serde(default)]
    list_complete: bool,
    #[serde(default)]
    cursor: Option<String>,
}

/// One KV write: its key, value and options (`{expirationTtl, metadata}`). A write finished after
/// the answer is handed to `entry.js` as these parts ([`KvWrite::into_parts`]): it starts the put
/// and hands its promise to `ctx.waitUntil` (no Rust future, closure pair or task is spawned for
/// it), and should that attempt fail, calls back `retryRecordCopy` ([`KvWrite::from_parts`], then
/// [`KvWrite::retry`]) for the second.
#[derive(Debug, Clone)]
pub struct KvWrite {
    store: KvNamespace,
    key: String,
    value: String,
    options: JsValue,
}

/// What `entry.js` holds of a write made after the answer: the namespace, the key, the value and
/// the options, as handed to `put`.
pub type KvWriteParts = (JsValue, String, String, JsValue);

impl KvWrite {
    /// Its key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The first attempt: `put` called now.
    fn start(&self) -> Result<Promise, JsValue> {
        self.store.put(&self.key, &self.value, &self.options)
    }

    /// The second attempt, after a second (KV allows one write per second per key), counted in
    /// `usage`; its failure names the key, never the value.
    pub async fn retry(&self, usage: &Usage) -> Result<(), StorageError> {
        JsRuntime::new().sleep(1_100, None).await;
        usage.kv_write();
        let outcome = match self.start() {
            Ok(pending) => JsFuture::from(pending).await.map(|_| ()),
            Err(error) => Err(error),
        };
        outcome.map_err(|error| StorageError(format!("writing {}: {}", self.key, js_error_message(&error))))
    }

    /// The parts `entry.js` puts with.
    pub fn into_parts(self) -> KvWriteParts {
        (self.store.into(), self.key, self.value, self.options)
    }

    /// The write `entry.js` started, from its parts; `None` when `store` is no namespace.
    pub fn from_parts(store: JsValue, key: String, value: String, options: JsValue) -> Option<KvWrite> {
        store.is_object().then(|| KvWrite { store: store.unchecked_into(), key, value, options })
    }
}

/// The namespace.
#[derive(Clone)]
pub struct Kv {
    store: KvNamespace,
    usage: Rc<Usage>,
}

impl Kv {
    /// The bound namespace; operations are counted in `usage`.
    pub fn from_env(env: &Env, usage: Rc<Usage>) -> Result<Kv, StorageError> {
        let binding = env.binding(KV_BINDING).ok_or_else(|| StorageError(format!("{KV_BINDING} is not bound")))?;
        Ok(Kv { store: binding.unchecked_into(), usage })
    }

    /// A value as text.
    pub async fn get_text(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.usage.kv_read();
        let pending = self.store.get(key).map_err(|e| StorageError(format!("reading {key}: {}", js_error_message(&e))))?;
        let value = JsFuture::from(pending).await.map_err(|e| StorageError(format!("reading {key}: {}", js_error_message(&e))))?;
        Ok(value.as_string())
    }

    /// A JSON value; one that does not parse as `T` is an error naming the key.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError> {
        match self.get_text(key).await? {
            None => Ok(None),
            Some(text) => from_text(&text).map(Some).map_err(|e| StorageError(format!("decoding {key}: {e}"))),
        }
    }

    /// Writes `value` (expiring after `ttl_s`, at least a minute), with optional metadata.
    pub async fn put(&self, key: &str, value: &str, ttl_s: u64, metadata: Option<&Value>) -> Result<(), StorageError> {
        self.put_write(self.write(key, value, ttl_s, metadata)?).await
    }

    /// Makes `write`: a failed attempt is tried once more after a second.
    pub async fn put_write(&self, write: KvWrite) -> Result<(), StorageError> {
        self.usage.kv_write();
        let first = match write.start() {
            Ok(pending) => JsFuture::from(pending).await.map(|_| ()),
            Err(error) => Err(error),
        };
        match first {
            Ok(()) => Ok(()),
            Err(_) => write.retry(&self.usage).await,
        }
    }

    /// A write of `value` (expiring after `ttl_s`, at least a minute, with optional metadata),
    /// not yet started: [`KvWrite::start`] makes its first attempt, [`KvWrite::retry`] the second.
    pub fn write(&self, key: &str, value: &str, ttl_s: u64, metadata: Option<&Value>) -> Result<KvWrite, StorageError> {
        let options = match metadata {
            Some(metadata) => json!({ "expirationTtl": ttl_s.max(MIN_TTL_S), "metadata": metadata }),
            None => json!({ "expirationTtl": ttl_s.max(MIN_TTL_S) }),
        };
        let options = JSON::parse(&to_text(&options)).map_err(|e| StorageError(format!("writing {key}: {}", js_error_message(&e))))?;
        Ok(KvWrite { store: self.store.clone(), key: key.to_string(), value: value.to_string(), options })
    }

    /// Writes `value` as JSON.
    pub async fn put_json<T: Serialize>(&self, key: &str, value: &T, ttl_s: u64) -> Result<(), StorageError> {
        let text = serde_json::to_string(value).map_err(|e| StorageError(format!("encoding {key}: {e}")))?;
        self.put(key, &text, ttl_s, None).await
    }

    /// One page of keys starting with `prefix` (at most `limit`, in key order), with their
    /// metadata, and the cursor of the next page (`None` when this was the last).
    pub async fn list_page(&self, prefix: &str, limit: u64, cursor: Option<String>) -> Result<(Vec<ListedKey>, Option<String>), StorageError> {
        self.usage.kv_read();
        let failed = |e: &JsValue| StorageError(format!("listing {prefix}: {}", js_error_message(e)));
        let mut options = json!({ "prefix": prefix, "limit": limit });
        if let (Some(cursor), Some(object)) = (cursor, options.as_object_mut()) {
            object.insert("cursor".into(), Value::String(cursor));
        }
        let options = JSON::parse(&to_text(&options)).map_err(|e| failed(&e))?;
        let pending = self.store.list(&options).map_err(|e| failed(&e))?;
        let answer = JsFuture::from(pending).await.map_err(|e| failed(&e))?;
        let text: String = JSON::stringify(&answer).map_err(|e| failed(&e))?.into();
        let page: ListedPage = from_text(&text).map_err(|e| StorageError(format!("listing {prefix}: {e}")))?;
        let next = if page.list_complete { None } else { page.cursor.filter(|c| !c.is_empty()) };
        Ok((page.keys, next))
    }
}
