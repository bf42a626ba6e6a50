//! The waiters of an invocation object: sleeping until a deadline or until the object stores a
//! change to its record (a callback, a poll, the invoke's answer), whichever comes first. A
//! `?wait=` and a duplicate of an idempotent request in flight wait this way.
//!
//! A sleeper parks on a JS promise created in its own request's context; [`wake`] (usually run by
//! another request) calls that promise's `resolve`, which workerd allows across requests and which
//! resumes the sleeper in its own context. (An `AbortController` from another request cannot be
//! aborted: workerd refuses I/O objects across requests.)

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::transport::js_runtime::Timer;

thread_local! {
    static SLEEPERS: RefCell<HashMap<String, Vec<(u64, Function)>>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Removes a sleeper when its sleep ends (or is abandoned).
struct Registration {
    key: String,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        SLEEPERS.with(|sleepers| {
            let mut sleepers = sleepers.borrow_mut();
            if let Some(list) = sleepers.get_mut(&self.key) {
                list.retain(|(id, _)| *id != self.id);
                if list.is_empty() {
                    sleepers.remove(&self.key);
                }
            }
        });
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
    SLEEPERS.with(|sleepers| sleepers.borrow_mut().entry(key.to_string()).or_default().push((id, resolve)));
    let _registration = Registration { key: key.to_string(), id };
    let _ = JsFuture::from(promise).await;
}

/// Wakes every sleeper of `key`.
pub fn wake(key: &str) {
    let woken = SLEEPERS.with(|sleepers| sleepers.borrow_mut().remove(key)).unwrap_or_default();
    for (_, resolve) in woken {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }
}
