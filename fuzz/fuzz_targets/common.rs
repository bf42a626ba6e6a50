//! What the targets share: JSON values built from the fuzzer's bytes, biased towards the words
//! and numbers of the contract so that each branch of the core is reached quickly.
#![allow(dead_code)]

use arbitrary::{Result, Unstructured};
use serde_json::{Map, Number, Value};

/// Texts the contract gives meaning to (statuses, booleans, numbers at the edges).
pub const WORDS: &[&str] = &[
    "", " ", "0", "1", "-1", "+1", "-0", "42", " 42 ", "042", "4.5", "4.50", "1e3", "1E400", "-1e-400",
    "9007199254740991", "-9007199254740991", "9007199254740992", "-9007199254740992", "9007199254740993",
    "18446744073709551615", "18446744073709551616", "-9223372036854775808", "NaN", "Infinity", "inf", "1.",
    ".5", "true", "false", "TRUE", "False", "yes", "no", "YES", "No", "null", "queued", "running", "completed",
    "failed", "cancelled", "COMPLETED", "pending", ".", "..", "...", "a/b", "%2e%2e", "\u{0}", "\u{e9}",
    "\u{1f600}", "\u{fb33}", "\u{e000}", "invokeId", "status", "outputs", "errors", "code", "message",
];

/// One of [`WORDS`], or any text.
pub fn text(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(2, 3)? {
        Ok((*u.choose(WORDS)?).to_string())
    } else {
        Ok(u.arbitrary::<&str>()?.to_string())
    }
}

/// A JSON number: integers of every width, integers at the 2^53 edge, finite floats.
pub fn number(u: &mut Unstructured<'_>) -> Result<Number> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => Number::from(u.arbitrary::<i64>()?),
        1 => Number::from(u.arbitrary::<u64>()?),
        2 => Number::from(u.int_in_range(-3..=3i64)?),
        3 => {
            let edge = (1i64 << 53) + u.int_in_range(-2..=2i64)?;
            Number::from(if u.arbitrary()? { -edge } else { edge })
        }
        4 => Number::from_f64(f64::from(u.int_in_range(-3..=3i32)?) / 2.0).unwrap_or_else(|| Number::from(0)),
        _ => Number::from_f64(u.arbitrary::<f64>()?).unwrap_or_else(|| Number::from(1)),
    })
}

/// Any JSON value, at most `depth` levels deep; object keys are drawn from `keys` when given.
pub fn value(u: &mut Unstructured<'_>, depth: u32, keys: &[&str]) -> Result<Value> {
    let most = if depth == 0 { 3 } else { 5 };
    Ok(match u.int_in_range(0..=most)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::Number(number(u)?),
        3 => Value::String(text(u)?),
        4 => {
            let len = u.int_in_range(0..=4usize)?;
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(value(u, depth - 1, keys)?);
            }
            Value::Array(items)
        }
        _ => Value::Object(object(u, depth - 1, keys)?),
    })
}

/// A JSON object with up to 6 entries.
pub fn object(u: &mut Unstructured<'_>, depth: u32, keys: &[&str]) -> Result<Map<String, Value>> {
    let len = u.int_in_range(0..=6usize)?;
    let mut map = Map::new();
    for _ in 0..len {
        let key = if !keys.is_empty() && u.ratio(3, 4)? { (*u.choose(keys)?).to_string() } else { text(u)? };
        map.insert(key, value(u, depth, keys)?);
    }
    Ok(map)
}
