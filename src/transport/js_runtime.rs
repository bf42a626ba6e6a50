//! The JS platform for the driver: the clock (`Date.now()`), a sleep over the global `setTimeout`
//! that ends early when an `AbortSignal` fires, the signal wrapper, and a random seed. Everything
//! is reached through `globalThis`, so it runs in Node 18+, browsers, Web Workers and workerd.
//! Shared by the npm package's bindings and the Worker shell.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::driver::{CancelSignal, Runtime};

/// JS strings used on every request, made once per thread: turning a Rust string into a JS one
/// costs a UTF-8 decode each time, and these are looked up several times per request.
pub(crate) struct Names {
    pub(crate) abort: JsValue,
    pub(crate) aborted: JsValue,
    pub(crate) add_event_listener: JsValue,
    pub(crate) clear_timeout: JsValue,
    pub(crate) once: JsValue,
    pub(crate) remove_event_listener: JsValue,
    pub(crate) set_timeout: JsValue,
}

impl Names {
    fn new() -> Self {
        let s = JsValue::from_str;
        Names {
            abort: s("abort"),
            aborted: s("aborted"),
            add_event_listener: s("addEventListener"),
            clear_timeout: s("clearTimeout"),
            once: s("once"),
            remove_event_listener: s("removeEventListener"),
            set_timeout: s("setTimeout"),
        }
    }
}

thread_local! {
    static NAMES: Names = Names::new();
}

/// Runs `f` with the cached JS strings.
pub(crate) fn with_names<T>(f: impl FnOnce(&Names) -> T) -> T {
    NAMES.with(f)
}

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
        with_names(|names| {
            let add = method(&self.signal, &names.add_event_listener)?;
            let options = Object::new();
            let _ = Reflect::set(&options, &names.once, &JsValue::TRUE);
            add.call3(&self.signal, &names.abort, listener, &options).ok()?;
            Some(AbortListener { signal: self.signal.clone(), listener: listener.clone() })
        })
    }
}

impl CancelSignal for AbortSignalHandle {
    fn is_cancelled(&self) -> bool {
        with_names(|names| Reflect::get(&self.signal, &names.aborted))
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
        with_names(|names| {
            if let Some(remove) = method(&self.signal, &names.remove_event_listener) {
                let _ = remove.call2(&self.signal, &names.abort, &self.listener);
            }
        });
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
        let set_timeout = with_names(|names| method(&global, &names.set_timeout))?;
        let delay = JsValue::from_f64(ms.min(MAX_TIMER_MS) as f64);
        let id = set_timeout.call2(&global, callback, &delay).ok()?;
        Some(Timer { id })
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let global = js_sys::global();
        if let Some(clear) = with_names(|names| method(&global, &names.clear_timeout)) {
            let _ = clear.call1(&global, &self.id);
        }
    }
}

/// `object[name]` when it is a function.
pub(crate) fn method(object: &JsValue, name: &JsValue) -> Option<Function> {
    let value = Reflect::get(object, name).ok()?;
    if value.is_function() {
        Some(value.unchecked_into())
    } else {
        None
    }
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
    let get_random_values = method(&crypto, &JsValue::from_str("getRandomValues"))?;
    let words = js_sys::Uint32Array::new_with_length(2);
    get_random_values.call1(&crypto, &words).ok()?;
    let mut out = [0u32; 2];
    words.copy_to(&mut out);
    Some((u64::from(out[0]) << 32) | u64::from(out[1]))
}
