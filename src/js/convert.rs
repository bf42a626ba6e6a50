//! Values between JS and Rust (through JSON, which is the contract's data model anyway), errors as
//! instances of the package's `DataActionsError` class, and option objects read field by field.

use std::cell::RefCell;

use js_sys::{Function, Object, Reflect};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::{DataActionsError, ErrorDetails};

thread_local! {
    /// `(details) => new DataActionsError(details)`, registered by the package's entry module.
    static ERROR_FACTORY: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Registers the function that turns error details into the package's error class.
pub fn set_error_factory(factory: Function) {
    ERROR_FACTORY.with(|slot| *slot.borrow_mut() = Some(factory));
}

/// A Rust value as a plain JS value (objects, arrays, numbers...).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    match serde_json::to_string(value) {
        Ok(text) => js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    }
}

/// A JS value as JSON (`undefined` is `null`; functions and symbols are dropped as
/// `JSON.stringify` drops them).
pub fn from_js(value: &JsValue, what: &str) -> Result<Value, ErrorDetails> {
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| JsValue::from(s).as_string())
        .ok_or_else(|| bad_input(&format!("{what} must be JSON-serializable")))?;
    crate::core::json::from_text(&text).map_err(|_| bad_input(&format!("{what} must be JSON-serializable")))
}

/// The details of a bad-input error.
pub fn bad_input(message: &str) -> ErrorDetails {
    DataActionsError::BadInput { message: message.to_string() }.details()
}

/// Error details as a JS `DataActionsError` (or a plain `Error` with the same fields if the
/// entry module registered no factory).
pub fn to_js_error(details: &ErrorDetails) -> JsValue {
    let fields = to_js(details);
    let made = ERROR_FACTORY.with(|slot| {
        slot.borrow()
            .as_ref()
            .and_then(|factory| factory.call1(&JsValue::UNDEFINED, &fields).ok())
    });
    if let Some(error) = made {
        return error;
    }
    let error = js_sys::Error::new(&details.message);
    error.set_name("DataActionsError");
    if let Ok(fields) = fields.dyn_into::<Object>() {
        Object::assign(&error, &fields);
    }
    error.into()
}

/// `object[key]`, with `undefined` for a missing key or a non-object.
pub fn get(object: &JsValue, key: &str) -> JsValue {
    if !object.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Whether `value` is `undefined` or `null`.
pub fn is_absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// The own enumerable keys of an object.
pub fn keys(object: &JsValue) -> Vec<String> {
    match object.dyn_ref::<Object>() {
        Some(object) => Object::keys(object).iter().filter_map(|k| k.as_string()).collect(),
        None => Vec::new(),
    }
}

/// A non-negative whole number of milliseconds, or an error naming `field`.
pub fn optional_ms(value: &JsValue, field: &str, error: impl Fn(&str, &str) -> ErrorDetails) -> Result<Option<u64>, ErrorDetails> {
    if is_absent(value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Ok(Some(n as u64)),
        _ => Err(error(field, "must be a non-negative whole number of milliseconds")),
    }
}

/// An optional string, or an error naming `field`.
pub fn optional_string(value: &JsValue, field: &str, error: impl Fn(&str, &str) -> ErrorDetails) -> Result<Option<String>, ErrorDetails> {
    if is_absent(value) {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| error(field, "must be a string"))
}

/// An optional function, or an error naming `field`.
pub fn optional_function(value: &JsValue, field: &str, error: impl Fn(&str, &str) -> ErrorDetails) -> Result<Option<Function>, ErrorDetails> {
    if is_absent(value) {
        return Ok(None);
    }
    value.clone().dyn_into::<Function>().map(Some).map_err(|_| error(field, "must be a function"))
}

/// A configuration error naming `field`.
pub fn config_error(field: &str, reason: &str) -> ErrorDetails {
    DataActionsError::Config { field: field.to_string(), reason: reason.to_string() }.details()
}

/// A bad-input error naming `field` of the call's options.
pub fn option_error(field: &str, reason: &str) -> ErrorDetails {
    bad_input(&format!("option `{field}` {reason}"))
}
