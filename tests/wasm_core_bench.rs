//! The core's cost per warm sync invocation with ten inputs, in wasm under Node (the figure the
//! native criterion bench prints, for the wasm build). Run by scripts/bench.sh:
//!   cargo test --profile bench --target wasm32-unknown-unknown --test wasm_core_bench -- --nocapture
#![cfg(target_arch = "wasm32")]

use cxone_data_actions::bench_support::SyncInvokeFixture;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn core_sync_invoke_in_wasm() {
    let mut fixture = SyncInvokeFixture::new().expect("fixture");
    for _ in 0..2_000 {
        fixture.run_once(1_000).expect("warm-up");
    }
    let iterations = 20_000u32;
    let started = js_sys::Date::now();
    let mut checksum = 0usize;
    for _ in 0..iterations {
        checksum += fixture.run_once(1_000).expect("invocation");
    }
    let per_call_us = (js_sys::Date::now() - started) * 1000.0 / f64::from(iterations);
    assert!(checksum > 0);
    wasm_bindgen_test::console_log!(
        "core sync invoke (ten inputs), wasm in Node: {per_call_us:.2} us per invocation over {iterations} runs (target <= 20 us natively)"
    );
}
