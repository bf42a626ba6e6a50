//! The Worker's allocator: talc instead of std's dlmalloc (smaller and faster on wasm, by talc's
//! benchmarks; the size measured in BENCHMARKS.md, "Worker: built size"). The instance is single
//! threaded (no `atomics`), so the allocator needs no lock.

#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
