//! A [`Transport`] over the global `fetch` (looked up on `globalThis` at each request, so it works
//! in Workers, Node 18+ and browsers alike) or over a fetch function the caller supplies.
//!
//! It carries one request: no retries, no status mapping (that is the core's). It enforces the
//! request's timeout with an `AbortController` and a timer that covers the body too, and aborts
//! when the caller's signal fires. Failure messages name the method and URL, never headers or
//! bodies (they carry the token and the client secret).

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::js_runtime::{header_pairs, method, with_names, AbortSignalHandle, Timer};
use crate::core::{HttpRequest, HttpResponse, Method, TransportFailure, TransportFailureKind};
use crate::driver::{CancelSignal, Transport};

/// The transport over `fetch`.
#[derive(Debug, Clone, Default)]
pub struct FetchTransport {
    fetch: Option<Function>,
}

impl FetchTransport {
    /// Sends through the global `fetch`.
    pub fn new() -> Self {
        FetchTransport { fetch: None }
    }

    /// Sends through `fetch` (called as `fetch(url, init)` with `this` undefined).
    pub fn with_fetch(fetch: Function) -> Self {
        FetchTransport { fetch: Some(fetch) }
    }

    /// Sends `request`; see [`Transport::send`].
    pub async fn send_request(
        &self,
        request: HttpRequest,
        signal: Option<&AbortSignalHandle>,
    ) -> Result<HttpResponse, TransportFailure> {
        let what = format!("{} {}", request.method.as_str(), strip_query(&request.url));
        if signal.is_some_and(CancelSignal::is_cancelled) {
            return Err(TransportFailure::new(TransportFailureKind::Aborted, format!("{what}: aborted before it was sent")));
        }
        let (fetch, this) = match &self.fetch {
            Some(fetch) => (fetch.clone(), JsValue::UNDEFINED),
            None => {
                let global = js_sys::global();
                let fetch = with_names(|names| method(&global, &names.fetch)).ok_or_else(|| {
                    TransportFailure::new(TransportFailureKind::Network, "this platform has no global fetch; pass a `fetch` function")
                })?;
                (fetch, global.into())
            }
        };
        let controller = new_abort_controller()
            .ok_or_else(|| TransportFailure::new(TransportFailureKind::Network, "this platform has no AbortController"))?;
        let controller_signal = with_names(|names| Reflect::get(&controller, &names.signal)).unwrap_or(JsValue::UNDEFINED);
        let abort = with_names(|names| method(&controller, &names.abort))
            .ok_or_else(|| TransportFailure::new(TransportFailureKind::Network, "AbortController without abort()"))?
            .bind0(&controller);

        // The timer and the caller's signal abort the same controller (a bound JS function: no
        // Rust closure to keep alive); which one fired is told apart afterwards.
        let _timer = Timer::set(&abort, request.timeout_ms.max(1));
        let _listener = signal.and_then(|s| s.on_abort(&abort));

        // The global fetch honours its signal; a supplied one might not, so its awaits also race
        // the controller's abort.
        let aborted = self.fetch.as_ref().map(|_| {
            Promise::new(&mut |_resolve: Function, reject: Function| {
                with_names(|names| {
                    if let Some(add) = method(&controller_signal, &names.add_event_listener) {
                        let _ = add.call2(&controller_signal, &names.abort, &reject);
                    }
                });
            })
        });
        let settle = |promise: &JsValue| {
            let promise = Promise::resolve(promise);
            JsFuture::from(match &aborted {
                Some(aborted) => Promise::race(&Array::of2(&promise, aborted)),
                None => promise,
            })
        };

        let init = request_init(&request, &controller_signal);
        let outcome = async {
            let promise = fetch
                .call2(&this, &JsValue::from_str(&request.url), &init)
                .map_err(|e| ("fetch threw", e))?;
            let response = settle(&promise).await.map_err(|e| ("request failed", e))?;
            let status = with_names(|names| Reflect::get(&response, &names.status))
                .ok()
                .and_then(|s| s.as_f64())
                .filter(|s| (100.0..=999.0).contains(s))
                .ok_or(("not a Response", JsValue::UNDEFINED))? as u16;
            let headers = with_names(|names| Reflect::get(&response, &names.headers))
                .map(|h| header_pairs(&h))
                .unwrap_or_default();
            let array_buffer = with_names(|names| method(&response, &names.array_buffer)).ok_or(("not a Response", JsValue::UNDEFINED))?;
            let buffer_promise = array_buffer.call0(&response).map_err(|e| ("reading the body failed", e))?;
            let buffer = settle(&buffer_promise)
                .await
                .map_err(|e| ("reading the body failed", e))?;
            Ok::<_, (&str, JsValue)>(HttpResponse { status, headers, body: Uint8Array::new(&buffer).to_vec() })
        }
        .await;

        outcome.map_err(|(stage, error)| {
            let controller_aborted =
                with_names(|names| Reflect::get(&controller_signal, &names.aborted)).ok().and_then(|a| a.as_bool()) == Some(true);
            if signal.is_some_and(CancelSignal::is_cancelled) {
                TransportFailure::new(TransportFailureKind::Aborted, format!("{what}: aborted by the caller"))
            } else if controller_aborted {
                TransportFailure::new(TransportFailureKind::Timeout, format!("{what}: no answer within {} ms", request.timeout_ms))
            } else {
                TransportFailure::new(TransportFailureKind::Network, format!("{what}: {stage}: {}", describe_error(&error)))
            }
        })
    }
}

impl Transport<AbortSignalHandle> for FetchTransport {
    fn send(
        &self,
        request: HttpRequest,
        signal: Option<&AbortSignalHandle>,
    ) -> impl std::future::Future<Output = Result<HttpResponse, TransportFailure>> {
        self.send_request(request, signal)
    }
}

fn new_abort_controller() -> Option<Object> {
    let constructor = with_names(|names| method(&js_sys::global(), &names.abort_controller))?;
    Reflect::construct(&constructor, &Array::new()).ok()?.dyn_into().ok()
}

/// `{method, headers, body, signal}`.
fn request_init(request: &HttpRequest, signal: &JsValue) -> Object {
    let init = Object::new();
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(&headers, &JsValue::from_str(name), &JsValue::from_str(value));
    }
    with_names(|names| {
        let method = match request.method {
            Method::Get => &names.get,
            Method::Post => &names.post,
            Method::Delete => &names.delete,
        };
        let _ = Reflect::set(&init, &names.method, method);
        let _ = Reflect::set(&init, &names.headers, &headers);
        if let Some(body) = &request.body {
            let _ = Reflect::set(&init, &names.body, &Uint8Array::from(body.as_slice()));
        }
        let _ = Reflect::set(&init, &names.signal, signal);
    });
    init
}

/// The URL without its query (which may name things callers did not mean to log).
fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// `name: message` of a JS error, with the `cause` Node's fetch puts the socket error in.
fn describe_error(error: &JsValue) -> String {
    let text = |value: &JsValue, key: &str| Reflect::get(value, &key.into()).ok().and_then(|v| v.as_string());
    let mut out = match (text(error, "name"), text(error, "message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (None, Some(message)) => message,
        _ => error.as_string().unwrap_or_else(|| "unknown error".into()),
    };
    if let Ok(cause) = Reflect::get(error, &"cause".into()) {
        if let Some(detail) = text(&cause, "code").or_else(|| text(&cause, "message")) {
            out.push_str(&format!(" ({detail})"));
        }
    }
    out.chars().take(300).collect()
}
