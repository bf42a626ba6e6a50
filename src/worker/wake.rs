//! The waiters of an invocation object: sleeping until a deadline or until the object stores a
//! change to its record (a callback, a poll, the invoke's answer), whichever comes first. A
//! `?wait=` and a duplicate of an idempotent request in flight wait this way.
//!
//! A sleeper parks on a JS promise created in its own request's context; [`wake`] (usually run by
//! another request) calls that promise's `resolve`, which workerd allows across requests and which
//! resumes the sleeper in its own context. (An `AbortController` from another request cannot be
//! aborted: workerd refuses I/O objects across requests.)

use std::cell::{Cell, RefCell};

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::transport::js_runtime::Timer;

thread_local! {
    /// Each sleeper's key (an invocation id), id and `resolve`. A list, not a map: an isolate holds
    /// a few objects, each with a waiter or two at most.
    static SLEEPERS: RefCell<Vec<(String, u64, Function)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Removes a sleeper (by its id, unique in the isolate) when its sleep ends or is abandoned.
struct Registration {
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        SLEEPERS.with(|sleepers| sleepers.borrow_mut().retain(|(_, id, _)| *id != self.id));
    }
}

/// Sleeps `ms`, or less if [`wake`] is called for `key`.
pub async fn sleep_or_wake(key: &str, ms: u64) {
    if ms == 0 {
        return;
    }
    let mut resolve_slot: Option<Function> = None;
    let promise = Promise::new(&mut |resolve: Function, _reject: Function| resolve_slot = Some(resolve));
    // The executor runs synchronously, so the slot is always filled.
    let Some(resolve) = resolve_slot else { return };
    let Some(_timer) = Timer::set(&resolve, ms) else { return };
    let id = NEXT_ID.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    });
    SLEEPERS.with(|sleepers| sleepers.borrow_mut().push((key.to_string(), id, resolve)));
    let _registration = Registration { id };
    let _ = JsFuture::from(promise).await;
}

/// Wakes every sleeper of `key`.
pub fn wake(key: &str) {
    let woken: Vec<Function> =
        SLEEPERS.with(|sleepers| sleepers.borrow_mut().extract_if(.., |(sleeper, _, _)| sleeper == key).map(|(_, _, resolve)| resolve).collect());
    for resolve in woken {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }
}
