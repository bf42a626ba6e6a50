//! Random bytes from `crypto.getRandomValues` (never `Math.random`: they make capability tokens).

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// `N` random bytes, or `None` when the platform has no Web Crypto.
pub fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    let get_random_values: js_sys::Function = Reflect::get(&crypto, &JsValue::from_str("getRandomValues")).ok()?.dyn_into().ok()?;
    let buffer = Uint8Array::new_with_length(u32::try_from(N).ok()?);
    get_random_values.call1(&crypto, &buffer).ok()?;
    let mut out = [0u8; N];
    buffer.copy_to(&mut out);
    Some(out)
}

/// A request id: 16 hex digits.
pub fn request_id() -> String {
    match random_bytes::<8>() {
        Some(bytes) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        None => format!("t{}", js_sys::Date::now() as u64),
    }
}
