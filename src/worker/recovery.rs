//! The wasm instance's recovery after a trap, with `src/worker/entry.js` (which explains it): a
//! state object the entry module reads through the `__worker_init_state` export
//! (`criticalError`, set by the entry module on a trap; `instanceId`, counted up on every start
//! of an instance, so that a Durable Object built on an old instance is rebuilt), and the abort
//! handler that schedules wasm-bindgen's reset before the next call into the instance.
//!
//! The `worker` crate did the same (the names are its, kept for entry.js), and set a panic hook
//! that logs the panic's message: here only in the unoptimised build (`build-worker.sh --dev`),
//! since release builds trap at once on a panic, with no message (scripts/cargo-wasm.sh).

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen(inline_js = "export const state = globalThis.__worker_init_state = { criticalError: false, instanceId: 0 };")]
extern "C" {
    type InitState;

    #[wasm_bindgen(thread_local_v2, js_name = state)]
    static INIT_STATE: InitState;

    #[wasm_bindgen(method, getter, js_name = instanceId)]
    fn instance_id(this: &InitState) -> u32;

    #[wasm_bindgen(method, setter, js_name = instanceId)]
    fn set_instance_id(this: &InitState, id: u32);
}

/// Runs when an instance starts (the first one, and each one after a reset).
#[wasm_bindgen(start, private)]
fn start() {
    #[cfg(debug_assertions)]
    std::panic::set_hook(Box::new(|info| super::platform::console_error(&format!("Rust panic: {info}"))));
    INIT_STATE.with(|state| state.set_instance_id(state.instance_id().wrapping_add(1)));
    wasm_bindgen::handler::set_on_abort(wasm_bindgen::handler::schedule_reinit);
}

/// The state object entry.js reads once, at load.
#[wasm_bindgen(js_name = "__worker_init_state")]
pub fn worker_init_state() -> JsValue {
    INIT_STATE.with(|state| state.into())
}
