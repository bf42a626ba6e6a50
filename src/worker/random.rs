//! Random bytes from `crypto.getRandomValues` (never `Math.random`: they make capability tokens),
//! bound once, the bytes written straight into wasm memory, drawn ahead into a small pool.

use std::cell::RefCell;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buffer: &mut [u8]) -> Result<(), JsValue>;
}

/// Random bytes drawn ahead, [`POOL_BYTES`] at a time: a sync invoke takes 50 (request id,
/// invocation id, capability token), which is three crossings unpooled and one in ten pooled.
/// Bytes handed out are zeroed in the pool.
const POOL_BYTES: usize = 512;

struct Pool {
    bytes: [u8; POOL_BYTES],
    next: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { bytes: [0; POOL_BYTES], next: POOL_BYTES }) };
}

/// `N` random bytes, or `None` when the platform has no Web Crypto.
pub fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    let mut out = [0u8; N];
    if N > POOL_BYTES {
        get_random_values(&mut out).ok()?;
        return Some(out);
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.next + N > POOL_BYTES {
            get_random_values(&mut pool.bytes).ok()?;
            pool.next = 0;
        }
        let start = pool.next;
        let taken = pool.bytes.get_mut(start..start + N)?;
        out.copy_from_slice(taken);
        taken.fill(0);
        pool.next = start + N;
        Some(out)
    })
}

/// A request id: 16 hex digits.
pub fn request_id() -> String {
    match random_bytes::<8>() {
        Some(bytes) => format!("{:016x}", u64::from_be_bytes(bytes)),
        None => format!("t{}", js_sys::Date::now() as u64),
    }
}
