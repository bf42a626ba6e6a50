//! Transports that carry the core's requests.

#[cfg(all(feature = "fetch", target_arch = "wasm32"))]
pub mod fetch;

#[cfg(all(feature = "fetch", target_arch = "wasm32"))]
pub mod js_runtime;
