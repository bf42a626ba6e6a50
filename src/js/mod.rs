//! The npm package's bindings: `DataActionsClient`, in direct mode (credentials, talking to the
//! upstream through the core and the driver) or proxy mode (an API key, talking to the Worker).
//! Rules live in the core; this module reads JS arguments, picks the mode and converts results
//! and errors. The package's entry modules (`pkg/src/*.js`) load the wasm and register the error
//! class; the TypeScript declarations are hand-written in `pkg/index.d.ts`.

pub mod proxy;

#[cfg(target_arch = "wasm32")]
mod convert;

#[cfg(target_arch = "wasm32")]
pub use bindings::*;

#[cfg(target_arch = "wasm32")]
mod bindings {
    use std::rc::Rc;

    use js_sys::{Function, Object, Promise, Reflect};
    use wasm_bindgen::prelude::wasm_bindgen;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::future_to_promise;

    use super::convert::{
        bad_input, config_error, from_js, get, is_absent, keys, option_error, optional_function, optional_ms,
        optional_string, to_js, to_js_error,
    };
    use super::proxy::{InvocationFilter, PageRequest, ProxyClient, ProxyConfig, ProxyInvokeOptions, DEFAULT_WAIT_S};
    use crate::core::definition::ActionDefinition;
    use crate::core::invocation::{InvokeOptions, StatusEvent};
    use crate::core::validate::validate_inputs;
    use crate::core::{ClientConfig, DataActionsError, ErrorDetails};
    use crate::driver::{CallOptions, Client};
    use crate::transport::fetch::FetchTransport;
    use crate::transport::js_runtime::{random_seed, AbortSignalHandle, JsRuntime};

    /// Registers `(details) => new DataActionsError(details)`; called once by the entry module.
    #[wasm_bindgen(js_name = "__setErrorFactory")]
    pub fn set_error_factory(factory: Function) {
        super::convert::set_error_factory(factory);
    }

    /// Options of the constructor that are the binding's, not the core's.
    const PROXY_KEYS: [&str; 5] = ["proxyUrl", "apiKey", "fetch", "timeoutMs", "maxPollMs"];
    const INVOKE_KEYS: [&str; 7] = ["context", "callbackUrl", "maxPollMs", "signal", "onStatus", "idempotencyKey", "firstWaitS"];
    const PAGE_KEYS: [&str; 3] = ["cursor", "limit", "signal"];
    const HISTORY_KEYS: [&str; 5] = ["cursor", "limit", "signal", "actionId", "status"];

    enum Mode {
        Direct(Box<Client<FetchTransport, JsRuntime>>),
        Proxy(ProxyClient<FetchTransport, JsRuntime>),
    }

    /// A data-actions client.
    #[wasm_bindgen]
    pub struct DataActionsClient {
        mode: Rc<Mode>,
    }

    #[wasm_bindgen]
    impl DataActionsClient {
        /// `new DataActionsClient({tenant | baseUrl, clientId, clientSecret, ...})` (direct) or
        /// `new DataActionsClient({proxyUrl, apiKey})` (proxy). Throws a `config` error naming the
        /// field at fault.
        #[wasm_bindgen(constructor)]
        pub fn new(options: JsValue) -> Result<DataActionsClient, JsValue> {
            build(&options).map(|mode| DataActionsClient { mode: Rc::new(mode) }).map_err(|d| to_js_error(&d))
        }

        /// `"direct"` or `"proxy"`.
        #[wasm_bindgen(getter)]
        pub fn mode(&self) -> String {
            match &*self.mode {
                Mode::Direct(_) => "direct".into(),
                Mode::Proxy(_) => "proxy".into(),
            }
        }

        /// The action's definition (cached for `definitionTtlMs` in direct mode).
        #[wasm_bindgen(js_name = "getAction")]
        pub fn get_action(&self, action_id: JsValue, options: JsValue) -> Promise {
            let mode = Rc::clone(&self.mode);
            promise(async move {
                let action_id = string_arg(&action_id, "actionId")?;
                let signal = signal_option(&options)?;
                match &*mode {
                    Mode::Direct(client) => {
                        client.get_action(&action_id, signal.as_ref()).await.map(|d| to_js(&d)).map_err(|e| e.details())
                    }
                    Mode::Proxy(proxy) => proxy.get_action(&action_id, signal.as_ref()).await.map(|d| to_js(&d)),
                }
            })
        }

        /// Checks and coerces `inputs` against `definition`, locally: the coerced inputs, or a
        /// `validation` error listing every problem.
        #[wasm_bindgen(js_name = "validateInputs")]
        pub fn validate_inputs(&self, definition: JsValue, inputs: JsValue) -> Result<JsValue, JsValue> {
            let run = || -> Result<JsValue, ErrorDetails> {
                let definition = ActionDefinition::from_json_value(&from_js(&definition, "definition")?)
                    .map_err(|_| bad_input("definition must be an action definition ({id, inputs: [{name, type, required}]})"))?;
                let inputs = from_js(&inputs, "inputs")?;
                validate_inputs(&definition, &inputs).map(|coerced| to_js(&coerced)).map_err(|e| e.details())
            };
            run().map_err(|d| to_js_error(&d))
        }

        /// Validates and coerces `inputs` for an action: on the Worker (proxy mode) or against the
        /// fetched definition (direct mode). The coerced inputs, or a `validation` error.
        pub fn validate(&self, action_id: JsValue, inputs: JsValue, options: JsValue) -> Promise {
            let mode = Rc::clone(&self.mode);
            promise(async move {
                let action_id = string_arg(&action_id, "actionId")?;
                let inputs = from_js(&inputs, "inputs")?;
                let signal = signal_option(&options)?;
                match &*mode {
                    Mode::Direct(client) => {
                        let definition = client.get_action(&action_id, signal.as_ref()).await.map_err(|e| e.details())?;
                        validate_inputs(&definition, &inputs).map(|coerced| to_js(&coerced)).map_err(|e| e.details())
                    }
                    Mode::Proxy(proxy) => proxy.validate(&action_id, &inputs, signal.as_ref()).await.map(|v| to_js(&v)),
                }
            })
        }

        /// One page of the Worker's actions: `{actions: [{id, name?, mode?}], cursor, source}`
        /// (`cursor` is null on the last page). Proxy mode only: a direct upstream list would cost
        /// the package 12 KB of wasm for a call browsers (proxy mode) are the ones to need.
        #[wasm_bindgen(js_name = "listActions")]
        pub fn list_actions(&self, options: JsValue) -> Promise {
            let mode = Rc::clone(&self.mode);
            promise(async move {
                let (page, signal) = page_options(&options, &PAGE_KEYS)?;
                match &*mode {
                    Mode::Direct(_) => Err(bad_input("listActions needs proxy mode ({ proxyUrl, apiKey }): the Worker lists the actions")),
                    Mode::Proxy(proxy) => proxy.list_actions(&page, signal.as_ref()).await.map(|v| to_js(&v)),
                }
            })
        }

        /// One page of the Worker's invocation history, newest first: `{invocations, cursor}`
        /// (proxy mode only: the Worker keeps the records).
        #[wasm_bindgen(js_name = "listInvocations")]
        pub fn list_invocations(&self, options: JsValue) -> Promise {
            let mode = Rc::clone(&self.mode);
            promise(async move {
                let (page, signal) = page_options(&options, &HISTORY_KEYS)?;
                let filter = InvocationFilter {
                    action_id: optional_string(&get_option(&options, "actionId"), "actionId", option_error)?,
                    status: optional_string(&get_option(&options, "status"), "status", option_error)?,
                };
                match &*mode {
                    Mode::Direct(_) => Err(bad_input("listInvocations needs proxy mode ({ proxyUrl, apiKey }): the Worker keeps the records")),
                    Mode::Proxy(proxy) => proxy.list_invocations(&page, &filter, signal.as_ref()).await.map(|v| to_js(&v)),
                }
            })
        }

        /// Invokes an action and waits for its end: `{status, invokeId, outputs, latencyMs, audit, ...}`.
        pub fn invoke(&self, action_id: JsValue, inputs: JsValue, options: JsValue) -> Promise {
            let mode = Rc::clone(&self.mode);
            promise(async move {
                let action_id = string_arg(&action_id, "actionId")?;
                let inputs = from_js(&inputs, "inputs")?;
                let (invoke_options, signal, on_status) = invoke_options(&options)?;
                let proxy_options = ProxyInvokeOptions {
                    idempotency_key: optional_string(&get_option(&options, "idempotencyKey"), "idempotencyKey", option_error)?,
                    first_wait_s: first_wait(&get_option(&options, "firstWaitS"))?,
                };
                let report = |event: &StatusEvent| {
                    if let Some(callback) = &on_status {
                        // A throwing listener must not break the invocation.
                        let _ = callback.call1(&JsValue::UNDEFINED, &to_js(event));
                    }
                };
                let call = CallOptions { signal: signal.as_ref(), on_status: Some(&report) };
                match &*mode {
                    Mode::Direct(_) if proxy_options != ProxyInvokeOptions::default() => Err(bad_input(
                        "`idempotencyKey` and `firstWaitS` need proxy mode: the Worker keeps idempotency keys and holds requests",
                    )),
                    Mode::Direct(client) => client
                        .invoke(&action_id, &inputs, invoke_options, call)
                        .await
                        .and_then(|result| result.into_completed())
                        .map(|result| to_js(&result))
                        .map_err(|e| e.details()),
                    Mode::Proxy(proxy) => {
                        proxy.invoke(&action_id, &inputs, invoke_options, &proxy_options, call).await.map(|r| to_js(&r))
                    }
                }
            })
        }

        /// One status read: the upstream's status (direct, by invokeId) or the Worker's record
        /// (proxy, by invocationId).
        #[wasm_bindgen(js_name = "getInvocation")]
        pub fn get_invocation(&self, action_id: JsValue, invoke_id: JsValue, options: JsValue) -> Promise {
            let mode = Rc::clone(&self.mode);
            promise(async move {
                let action_id = string_arg(&action_id, "actionId")?;
                let invoke_id = string_arg(&invoke_id, "invokeId")?;
                let signal = signal_option(&options)?;
                match &*mode {
                    Mode::Direct(client) => client
                        .get_invocation(&action_id, &invoke_id, signal.as_ref())
                        .await
                        .map(|s| to_js(&s))
                        .map_err(|e| e.details()),
                    Mode::Proxy(proxy) => proxy.get_invocation(&action_id, &invoke_id, signal.as_ref()).await.map(|r| to_js(&r)),
                }
            })
        }

        /// Answers a completion callback: `{callbackStatus, auditLog, processedAt, duplicate}`; a
        /// duplicate notification gets the first answer.
        #[wasm_bindgen(js_name = "handleCallback")]
        pub fn handle_callback(&self, payload: JsValue) -> Result<JsValue, JsValue> {
            let run = || -> Result<JsValue, ErrorDetails> {
                let payload = from_js(&payload, "payload")?;
                let ack = match &*self.mode {
                    Mode::Direct(client) => client.handle_callback(payload),
                    Mode::Proxy(proxy) => proxy.handle_callback(payload),
                };
                ack.map(|a| to_js(&a)).map_err(|e| e.details())
            };
            run().map_err(|d| to_js_error(&d))
        }
    }

    /// A call's future as a promise. Boxed first, so that `future_to_promise` (and its task
    /// machinery) is compiled once for every call rather than once per call's future type.
    fn promise(future: impl std::future::Future<Output = Result<JsValue, ErrorDetails>> + 'static) -> Promise {
        let future: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, ErrorDetails>>>> = Box::pin(future);
        future_to_promise(async move { future.await.map_err(|d| to_js_error(&d)) })
    }

    fn string_arg(value: &JsValue, name: &str) -> Result<String, ErrorDetails> {
        value.as_string().ok_or_else(|| bad_input(&format!("`{name}` must be a string")))
    }

    fn signal_option(options: &JsValue) -> Result<Option<AbortSignalHandle>, ErrorDetails> {
        if is_absent(options) {
            return Ok(None);
        }
        if !options.is_object() {
            return Err(bad_input("options must be an object"));
        }
        for key in keys(options) {
            if key != "signal" {
                return Err(option_error(&key, "is not an option of this call (only `signal`)"));
            }
        }
        signal_value(&get(options, "signal"))
    }

    fn signal_value(value: &JsValue) -> Result<Option<AbortSignalHandle>, ErrorDetails> {
        if is_absent(value) {
            return Ok(None);
        }
        if !value.is_object() || get(value, "aborted").as_bool().is_none() {
            return Err(option_error("signal", "must be an AbortSignal"));
        }
        Ok(AbortSignalHandle::from_js(value.clone()))
    }

    /// `options[key]`, or undefined when `options` is absent.
    fn get_option(options: &JsValue, key: &str) -> JsValue {
        if is_absent(options) {
            JsValue::UNDEFINED
        } else {
            get(options, key)
        }
    }

    /// `firstWaitS`: whole seconds from 0 to the longest wait the package asks for.
    fn first_wait(value: &JsValue) -> Result<Option<u64>, ErrorDetails> {
        if is_absent(value) {
            return Ok(None);
        }
        match value.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= DEFAULT_WAIT_S as f64 => Ok(Some(n as u64)),
            _ => Err(option_error("firstWaitS", &format!("must be a whole number of seconds from 0 to {DEFAULT_WAIT_S}"))),
        }
    }

    /// `{cursor?, limit?, signal?}` (and the other `allowed` keys, read by the caller).
    fn page_options(options: &JsValue, allowed: &[&str]) -> Result<(PageRequest, Option<AbortSignalHandle>), ErrorDetails> {
        if is_absent(options) {
            return Ok((PageRequest::default(), None));
        }
        if !options.is_object() {
            return Err(bad_input("options must be an object"));
        }
        if let Some(unknown) = keys(options).into_iter().find(|k| !allowed.contains(&k.as_str())) {
            return Err(option_error(&unknown, &format!("is not an option of this call ({})", allowed.join(", "))));
        }
        let limit = get(options, "limit");
        let limit = if is_absent(&limit) {
            None
        } else {
            match limit.as_f64() {
                Some(n) if n.is_finite() && n >= 1.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Some(n as u32),
                _ => return Err(option_error("limit", "must be a positive whole number")),
            }
        };
        let cursor = optional_string(&get(options, "cursor"), "cursor", option_error)?.filter(|c| !c.is_empty());
        Ok((PageRequest { cursor, limit }, signal_value(&get(options, "signal"))?))
    }

    type InvokeParts = (InvokeOptions, Option<AbortSignalHandle>, Option<Function>);

    fn invoke_options(options: &JsValue) -> Result<InvokeParts, ErrorDetails> {
        if is_absent(options) {
            return Ok((InvokeOptions::default(), None, None));
        }
        if !options.is_object() {
            return Err(bad_input("options must be an object"));
        }
        if let Some(unknown) = keys(options).into_iter().find(|k| !INVOKE_KEYS.contains(&k.as_str())) {
            return Err(option_error(&unknown, "is not an invoke option (context, callbackUrl, maxPollMs, signal, onStatus, idempotencyKey, firstWaitS)"));
        }
        let context = get(options, "context");
        let context = if is_absent(&context) {
            None
        } else if context.is_object() && !js_sys::Array::is_array(&context) {
            Some(from_js(&context, "context")?)
        } else {
            return Err(option_error("context", "must be an object"));
        };
        let invoke = InvokeOptions {
            context,
            callback_url: optional_string(&get(options, "callbackUrl"), "callbackUrl", option_error)?,
            max_poll_ms: match optional_ms(&get(options, "maxPollMs"), "maxPollMs", option_error)? {
                Some(0) => return Err(option_error("maxPollMs", "must be positive")),
                other => other,
            },
            accept_pending: false,
        };
        let signal = signal_value(&get(options, "signal"))?;
        let on_status = optional_function(&get(options, "onStatus"), "onStatus", option_error)?;
        Ok((invoke, signal, on_status))
    }

    fn build(options: &JsValue) -> Result<Mode, ErrorDetails> {
        if !options.is_object() {
            return Err(config_error("options", "must be an object"));
        }
        let fetch = optional_function(&get(options, "fetch"), "fetch", config_error)?;
        let transport = fetch.map(FetchTransport::with_fetch).unwrap_or_default();
        if !is_absent(&get(options, "proxyUrl")) {
            return build_proxy(options, transport);
        }
        if !is_absent(&get(options, "apiKey")) {
            return Err(config_error("apiKey", "belongs to proxy mode: give `proxyUrl` too"));
        }
        let allow_browser = get(options, "dangerouslyAllowBrowser");
        if !is_absent(&allow_browser) && allow_browser.as_bool().is_none() {
            return Err(config_error("dangerouslyAllowBrowser", "must be a boolean"));
        }
        for secret in ["clientSecret", "accessKeySecret"] {
            if !is_absent(&get(options, secret)) && looks_like_browser() && allow_browser.as_bool() != Some(true) {
                return Err(config_error(
                    secret,
                    "must not be used in a browser, where every visitor could read it: use { proxyUrl, apiKey } and the Worker",
                ));
            }
        }
        // JSON would silently drop a function (an `onStatus` given here by mistake, say).
        if let Some(key) = keys(options).into_iter().find(|k| k != "fetch" && get(options, k).is_function()) {
            return Err(config_error(&key, "is not an option of the client (a function is only accepted as `fetch`)"));
        }
        // The rest is the core's ConfigInput, checked there (unknown fields included).
        let copy = Object::assign(&Object::new(), options.unchecked_ref());
        for key in ["fetch", "dangerouslyAllowBrowser"] {
            let _ = Reflect::delete_property(&copy, &JsValue::from_str(key));
        }
        let json = from_js(&copy, "options").map_err(|_| config_error("options", "must be JSON-like (strings, numbers, objects)"))?;
        let config = serde_json::to_string(&json)
            .map_err(|_| config_error("options", "must be JSON-like"))
            .and_then(|text| ClientConfig::from_json(&text).map_err(|e| e.details()))?;
        Ok(Mode::Direct(Box::new(Client::new(config, transport, JsRuntime, random_seed()))))
    }

    fn build_proxy(options: &JsValue, transport: FetchTransport) -> Result<Mode, ErrorDetails> {
        if let Some(key) = keys(options).into_iter().find(|k| !PROXY_KEYS.contains(&k.as_str())) {
            let credential = ["clientSecret", "clientId", "tenant", "baseUrl", "profile", "region", "issuer", "accessKeyId", "accessKeySecret"];
            let reason = if credential.contains(&key.as_str()) {
                "is not used with `proxyUrl`: the Worker holds the credentials"
            } else {
                "is not an option of proxy mode (proxyUrl, apiKey, fetch, timeoutMs, maxPollMs)"
            };
            return Err(config_error(&key, reason));
        }
        let proxy_url = optional_string(&get(options, "proxyUrl"), "proxyUrl", config_error)?.unwrap_or_default();
        let api_key = optional_string(&get(options, "apiKey"), "apiKey", config_error)?.unwrap_or_default();
        let timeout_ms = optional_ms(&get(options, "timeoutMs"), "timeoutMs", config_error)?;
        let max_poll_ms = optional_ms(&get(options, "maxPollMs"), "maxPollMs", config_error)?;
        let config = ProxyConfig::new(&proxy_url, &api_key, timeout_ms, max_poll_ms).map_err(|e: DataActionsError| e.details())?;
        Ok(Mode::Proxy(ProxyClient::new(config, transport, JsRuntime)))
    }

    /// A page (a `window` or `document` exists) rather than Node, Deno, a Worker or workerd.
    /// Under a DOM emulation such as jsdom this answers true: code there is treated as page code.
    fn looks_like_browser() -> bool {
        let global: JsValue = js_sys::global().into();
        let defined = |name: &str| !is_absent(&get(&global, name));
        (defined("window") || defined("document")) && !defined("WorkerGlobalScope") && !defined("Deno")
    }
}
