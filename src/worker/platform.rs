//! The Workers runtime's objects this Worker uses, bound directly with wasm-bindgen: a request's
//! `env` and its bindings, the execution context's `waitUntil`, a Durable Object's state and
//! storage (SQLite, the alarm), a Durable Object namespace and its stubs, the assets binding, and
//! the console.
//!
//! These replace the `worker` crate, whose wrappers the Worker had come to use only a few of:
//! linking it also linked the classes it exports (`ContainerStartupOptions`, `MinifyConfig`,
//! `R2Range`, and wasm-streams' `IntoUnderlying*` stream sources and sinks), kept in the wasm
//! though nothing here calls them (BENCHMARKS.md, "Worker: built size").

use std::future::Future;

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{future_to_promise, JsFuture};

#[wasm_bindgen]
extern "C" {
    /// A request's (or a Durable Object's) `env`: vars, secrets and bindings, as properties.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Clone)]
    pub type Env;

    /// A request's execution context (`ctx`).
    pub type Context;

    #[wasm_bindgen(method, js_name = waitUntil)]
    fn wait_until_promise(this: &Context, promise: &Promise);

    /// A Durable Object's `state`.
    pub type DurableObjectState;

    #[wasm_bindgen(method, getter)]
    pub fn storage(this: &DurableObjectState) -> DurableObjectStorage;

    /// A Durable Object's storage.
    pub type DurableObjectStorage;

    #[wasm_bindgen(method, getter)]
    pub fn sql(this: &DurableObjectStorage) -> SqlStorage;

    #[wasm_bindgen(method, catch, js_name = setAlarm)]
    fn set_alarm_at(this: &DurableObjectStorage, scheduled_time_ms: f64) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = deleteAlarm)]
    fn delete_alarm_now(this: &DurableObjectStorage) -> Result<Promise, JsValue>;

    /// A Durable Object's SQLite database (`storage.sql`).
    pub type SqlStorage;

    #[wasm_bindgen(method, catch, variadic, js_name = exec)]
    fn exec_with(this: &SqlStorage, query: &str, bindings: &Array) -> Result<SqlCursor, JsValue>;

    type SqlCursor;

    #[wasm_bindgen(method, catch, js_name = toArray)]
    fn to_array(this: &SqlCursor) -> Result<Array, JsValue>;

    /// A Durable Object namespace binding.
    pub type ObjectNamespace;

    #[wasm_bindgen(method, catch, js_name = idFromName)]
    fn id_from_name(this: &ObjectNamespace, name: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = get)]
    fn stub(this: &ObjectNamespace, id: &JsValue) -> Result<Fetcher, JsValue>;

    /// Something with a `fetch(request)`: a Durable Object stub, the assets binding.
    pub type Fetcher;

    #[wasm_bindgen(method, catch, js_name = fetch)]
    fn fetch_promise(this: &Fetcher, request: &web_sys::Request) -> Result<Promise, JsValue>;

    /// `console.log` (a JSON log line).
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    pub fn console_log(line: &str);

    /// `console.warn`.
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    pub fn console_warn(line: &str);

    /// `console.error`.
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    pub fn console_error(line: &str);
}

/// A JS exception's message (an `Error`'s `message`, or the thrown value as text).
pub fn js_error_message(error: &JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) => String::from(error.message()),
        None => error.as_string().unwrap_or_else(|| format!("{error:?}")),
    }
}

impl Env {
    /// The binding or var `name`, if it is an object (a binding, not a string var).
    pub fn binding(&self, name: &str) -> Option<JsValue> {
        Reflect::get(self, &JsValue::from_str(name)).ok().filter(JsValue::is_object)
    }

    /// The Durable Object namespace bound as `name`.
    pub fn durable_object(&self, name: &str) -> Option<ObjectNamespace> {
        self.binding(name).map(JsCast::unchecked_into)
    }

    /// The fetcher (assets, service) bound as `name`.
    pub fn fetcher(&self, name: &str) -> Option<Fetcher> {
        self.binding(name).map(JsCast::unchecked_into)
    }
}

impl Context {
    /// Keeps the request's context alive until `future` ends (work after the answer).
    pub fn wait_until(&self, future: impl Future<Output = ()> + 'static) {
        let promise = future_to_promise(async move {
            future.await;
            Ok(JsValue::UNDEFINED)
        });
        self.wait_until_promise(&promise);
    }
}

impl DurableObjectStorage {
    /// Sets the alarm `offset_ms` from now.
    pub async fn set_alarm_in(&self, offset_ms: u64) -> Result<(), String> {
        // A JS number holds every millisecond timestamp exactly.
        let at = js_sys::Date::now() + offset_ms as f64;
        let pending = self.set_alarm_at(at).map_err(|e| js_error_message(&e))?;
        JsFuture::from(pending).await.map(|_| ()).map_err(|e| js_error_message(&e))
    }

    /// Deletes the alarm.
    pub async fn delete_alarm(&self) -> Result<(), String> {
        let pending = self.delete_alarm_now().map_err(|e| js_error_message(&e))?;
        JsFuture::from(pending).await.map(|_| ()).map_err(|e| js_error_message(&e))
    }
}

impl SqlStorage {
    /// Runs one statement with its bindings and answers its rows (objects by column name).
    pub fn exec(&self, query: &str, bindings: &[JsValue]) -> Result<Array, String> {
        let bindings: Array = bindings.iter().collect();
        self.exec_with(query, &bindings).and_then(|cursor| cursor.to_array()).map_err(|e| js_error_message(&e))
    }
}

impl ObjectNamespace {
    /// The stub of the object named `name`.
    pub fn stub_for(&self, name: &str) -> Result<Fetcher, String> {
        self.id_from_name(name).and_then(|id| self.stub(&id)).map_err(|e| js_error_message(&e))
    }
}

impl Fetcher {
    /// Sends `request` and answers the response.
    pub async fn fetch(&self, request: &web_sys::Request) -> Result<web_sys::Response, String> {
        let pending = self.fetch_promise(request).map_err(|e| js_error_message(&e))?;
        let answer = JsFuture::from(pending).await.map_err(|e| js_error_message(&e))?;
        answer.dyn_into::<web_sys::Response>().map_err(|_| "the answer is not a Response".to_string())
    }
}
