//! The JS platform for the driver: the clock (`Date.now()`), a sleep over the global `setTimeout`
//! that ends early when an `AbortSignal` fires, the signal wrapper, and a random seed. Everything
//! is reached through `globalThis`, so it runs in Node 18+, browsers, Web Workers and workerd.
//! Shared by the npm package's bindings and the Worker shell.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::driver::{CancelSignal, Runtime};

/// The longest delay `setTimeout` takes (2^31 - 1 ms); longer sleeps are cut to it (the driver
/// polls again and sleeps the rest).
pub const MAX_TIMER_MS: u64 = 2_147_483_647;

/// A JS `AbortSignal` (or any object with a boolean `aborted` and `addEventListener`).
#[derive(Debug, Clone)]
pub struct AbortSignalHandle {
    signal: JsValue,
}

impl AbortSignalHandle {
    /// Wraps a signal; `None` for `undefined` or `null`.
    pub fn from_js(signal: JsValue) -> Option<Self> {
        if signal.is_undefined() || signal.is_null() {
            None
        } else {
            Some(AbortSignalHandle { signal })
        }
    }

    /// The JS object.
    pub fn as_js(&self) -> &JsValue {
        &self.signal
    }

    /// Calls `listener` once when the signal fires; the returned guard removes it when dropped.
    pub fn on_abort(&self, listener: &Function) -> Option<AbortListener> {
        let add = method(&self.signal, "addEventListener")?;
        let options = Object::new();
        let _ = Reflect::set(&options, &"once".into(), &JsValue::TRUE);
        add.call3(&self.signal, &"abort".into(), listener, &options).ok()?;
        Some(AbortListener { signal: self.signal.clone(), listener: listener.clone() })
    }
}

impl CancelSignal for AbortSignalHandle {
    fn is_cancelled(&self) -> bool {
        Reflect::get(&self.signal, &"aborted".into())
            .ok()
            .and_then(|value| value.as_bool())
            .unwrap_or(false)
    }
}

/// An `abort` listener that is removed when this guard is dropped.
pub struct AbortListener {
    signal: JsValue,
    listener: Function,
}

impl Drop for AbortListener {
    fn drop(&mut self) {
        if let Some(remove) = method(&self.signal, "removeEventListener") {
            let _ = remove.call2(&self.signal, &"abort".into(), &self.listener);
        }
    }
}

/// A timer set with the global `setTimeout`, cleared when this guard is dropped.
pub struct Timer {
    id: JsValue,
}

impl Timer {
    /// Calls `callback` after `ms` milliseconds (capped to [`MAX_TIMER_MS`]); `None` when the
    /// platform has no `setTimeout`.
    pub fn set(callback: &Function, ms: u64) -> Option<Timer> {
        let global = js_sys::global();
        let set_timeout = method(&global, "setTimeout")?;
        let delay = JsValue::from_f64(ms.min(MAX_TIMER_MS) as f64);
        let id = set_timeout.call2(&global, callback, &delay).ok()?;
        Some(Timer { id })
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let global = js_sys::global();
        if let Some(clear) = method(&global, "clearTimeout") {
            let _ = clear.call1(&global, &self.id);
        }
    }
}

/// `object[name]` when it is a function.
pub(crate) fn method(object: &JsValue, name: &str) -> Option<Function> {
    Reflect::get(object, &name.into()).ok()?.dyn_into::<Function>().ok()
}

/// The driver's runtime on a JS platform.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsRuntime;

impl JsRuntime {
    /// The runtime.
    pub fn new() -> Self {
        JsRuntime
    }
}

impl Runtime for JsRuntime {
    type Signal = AbortSignalHandle;

    fn now_ms(&self) -> u64 {
        let now = js_sys::Date::now();
        if now.is_finite() && now > 0.0 {
            now as u64
        } else {
            0
        }
    }

    fn sleep(&self, ms: u64, signal: Option<&AbortSignalHandle>) -> impl Future<Output = ()> {
        sleep(ms, signal)
    }
}

/// Waits `ms` milliseconds, or less when `signal` fires (or has fired).
pub async fn sleep(ms: u64, signal: Option<&AbortSignalHandle>) {
    if ms == 0 || signal.is_some_and(CancelSignal::is_cancelled) {
        return;
    }
    // The promise's `resolve` is handed to setTimeout and to the signal directly: no Rust closure
    // stays behind to be called after this future is gone.
    let resolver: Rc<RefCell<Option<Function>>> = Rc::default();
    let slot = Rc::clone(&resolver);
    let promise = Promise::new(&mut |resolve: Function, _reject: Function| {
        *slot.borrow_mut() = Some(resolve);
    });
    let Some(resolve) = resolver.borrow_mut().take() else {
        return;
    };
    let Some(_timer) = Timer::set(&resolve, ms) else {
        return;
    };
    let _listener = signal.and_then(|s| s.on_abort(&resolve));
    let _ = JsFuture::from(promise).await;
}

/// 64 random bits for the jitter: `crypto.getRandomValues`, or `Math.random` where there is no
/// Web Crypto (Node 18 without the global).
pub fn random_seed() -> u64 {
    if let Some(seed) = crypto_seed() {
        return seed;
    }
    let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    ((high << 32) | low) ^ (js_sys::Date::now() as u64)
}

fn crypto_seed() -> Option<u64> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    if crypto.is_undefined() || crypto.is_null() {
        return None;
    }
    let get_random_values = method(&crypto, "getRandomValues")?;
    let words = js_sys::Uint32Array::new_with_length(2);
    get_random_values.call1(&crypto, &words).ok()?;
    let mut out = [0u32; 2];
    words.copy_to(&mut out);
    Some((u64::from(out[0]) << 32) | u64::from(out[1]))
}

/// `[name, value]` pairs of a `Headers` object (or anything iterable of pairs).
pub(crate) fn header_pairs(headers: &JsValue) -> Vec<(String, String)> {
    let Ok(Some(iterator)) = js_sys::try_iter(headers) else {
        return Vec::new();
    };
    iterator
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pair: Array = entry.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}
