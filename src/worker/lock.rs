//! Per-key locks within the isolate, so read-merge-write cycles on one invocation (an invoke, a
//! callback, a poll) do not interleave. KV has no transactions: across isolates, monotonic merges
//! keep the state converging instead.
//!
//! Waiters park on a JS promise created in their own request's context and are released by the
//! holder calling its `resolve`: workerd then runs the continuation in the waiter's context. (A
//! Rust waker woken from another request would run the waiter's I/O in the wrong context.) While
//! waiting, a timer is kept pending in the waiter's context: workerd cancels a request that waits
//! with nothing of its own pending as hung.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::transport::js_runtime::Timer;

/// The keep-alive timer of a waiter (it does nothing when it fires).
const KEEP_ALIVE_MS: u64 = 300_000;

struct Waiter {
    id: u64,
    granted: Rc<Cell<bool>>,
    resolve: Function,
}

thread_local! {
    static LOCKS: RefCell<HashMap<String, VecDeque<Waiter>>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Holds a key's lock until dropped.
pub struct LockGuard {
    key: String,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        release(&self.key);
    }
}

/// Passes the lock to the next waiter, or frees it.
fn release(key: &str) {
    let next = LOCKS.with(|locks| {
        let mut locks = locks.borrow_mut();
        let next = locks.get_mut(key).and_then(VecDeque::pop_front);
        if next.is_none() {
            locks.remove(key);
        }
        next
    });
    if let Some(waiter) = next {
        waiter.granted.set(true);
        let _ = waiter.resolve.call0(&JsValue::UNDEFINED);
    }
}

/// A place in a key's queue; dropping it before it is granted leaves the queue, and dropping it
/// after (the waiting future was abandoned) passes the lock on.
struct Ticket {
    key: String,
    id: u64,
    granted: Rc<Cell<bool>>,
    taken: bool,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.taken {
            return;
        }
        if self.granted.get() {
            release(&self.key);
        } else {
            LOCKS.with(|locks| {
                if let Some(queue) = locks.borrow_mut().get_mut(&self.key) {
                    queue.retain(|w| w.id != self.id);
                }
            });
        }
    }
}

/// Takes `key`'s lock, waiting for earlier holders in this isolate.
pub async fn lock(key: &str) -> LockGuard {
    let queued = LOCKS.with(|locks| {
        let mut locks = locks.borrow_mut();
        let Some(queue) = locks.get_mut(key) else {
            locks.insert(key.to_string(), VecDeque::new());
            return None;
        };
        let mut resolve_slot: Option<Function> = None;
        let promise = Promise::new(&mut |resolve: Function, _reject: Function| resolve_slot = Some(resolve));
        // The executor runs synchronously, so the slot is always filled.
        let resolve = resolve_slot?;
        let id = NEXT_ID.with(|n| {
            n.set(n.get().wrapping_add(1));
            n.get()
        });
        let granted = Rc::new(Cell::new(false));
        queue.push_back(Waiter { id, granted: Rc::clone(&granted), resolve });
        Some((promise, Ticket { key: key.to_string(), id, granted, taken: false }))
    });
    if let Some((promise, mut ticket)) = queued {
        let keep_alive = Closure::<dyn FnMut()>::new(|| {});
        let timer = Timer::set(keep_alive.as_ref().unchecked_ref(), KEEP_ALIVE_MS);
        let _ = JsFuture::from(promise).await;
        ticket.taken = true;
        drop(timer);
        drop(keep_alive);
    }
    LockGuard { key: key.to_string() }
}
