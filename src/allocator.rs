//! The allocator of both wasm shells (the Worker, the npm package): talc instead of std's
//! dlmalloc. Smaller (Worker −1.9 KB, package −1.75 KB gzipped) and no slower (BENCHMARKS.md,
//! "Worker: built size" and "npm package"). The instance is single threaded (no `atomics`), so
//! the allocator needs no lock. Native builds keep the system allocator.

#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
