//! Random bytes from `crypto.getRandomValues` (never `Math.random`: they make capability tokens),
//! bound once: one boundary crossing per call, the bytes written straight into wasm memory.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buffer: &mut [u8]) -> Result<(), JsValue>;
}

/// `N` random bytes, or `None` when the platform has no Web Crypto.
pub fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    let mut out = [0u8; N];
    get_random_values(&mut out).ok()?;
    Some(out)
}

/// A request id: 16 hex digits.
pub fn request_id() -> String {
    match random_bytes::<8>() {
        Some(bytes) => format!("{:016x}", u64::from_be_bytes(bytes)),
        None => format!("t{}", js_sys::Date::now() as u64),
    }
}
