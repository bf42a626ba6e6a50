//! Input validation and coercion against arbitrary definitions and inputs.
//!
//! Properties, besides "never panics":
//! - validation never accepts what the definition forbids: every accepted input is declared, of
//!   its declared type, not null, and every required input is there;
//! - a coerced value re-validates to itself (coercion is idempotent), and so do the whole inputs;
//! - coercion is lossless: converting the coerced value back to the caller's type gives the
//!   caller's value (digits of an integer, the boolean, the number as JSON reads it).
#![no_main]

mod common;

use arbitrary::{Result, Unstructured};
use cxone_data_actions::core::definition::{ActionDefinition, InputParameter, ParamType};
use cxone_data_actions::core::validate::{coerce_value, validate_inputs, MAX_EXACT_INTEGER};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const NAMES: &[&str] = &["s", "n", "i", "b", "arr", "obj", "x"];
const TYPES: &[ParamType] = &[
    ParamType::String,
    ParamType::Number,
    ParamType::Integer,
    ParamType::Boolean,
    ParamType::Array,
    ParamType::Object,
    ParamType::Unknown,
];

fn definition(u: &mut Unstructured<'_>) -> Result<ActionDefinition> {
    let count = u.int_in_range(0..=6usize)?;
    let mut inputs = Vec::with_capacity(count);
    for _ in 0..count {
        let name = if u.ratio(7, 8)? { (*u.choose(NAMES)?).to_string() } else { common::text(u)? };
        inputs.push(InputParameter { name, param_type: *u.choose(TYPES)?, required: u.arbitrary()? });
    }
    Ok(ActionDefinition { id: "fuzz".into(), inputs, outputs: Vec::new(), input_schema: None, output_schema: None, extra: Map::new() })
}

/// Whether `value` is a value of `declared` as the upstream receives it.
fn conforms(value: &Value, declared: ParamType) -> bool {
    match declared {
        ParamType::String => value.is_string(),
        ParamType::Number => value.as_f64().is_some_and(f64::is_finite),
        ParamType::Integer => value.as_i64().is_some_and(|i| i.unsigned_abs() <= MAX_EXACT_INTEGER),
        ParamType::Boolean => value.is_boolean(),
        ParamType::Array => value.is_array(),
        ParamType::Object => value.is_object(),
        ParamType::Unknown => true,
    }
}

fn boolean_word(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// Panics unless `coerced` carries exactly the information of `given`.
fn assert_lossless(given: &Value, coerced: &Value, declared: ParamType) {
    if given == coerced {
        return;
    }
    match (given, coerced) {
        (Value::Number(n), Value::String(s)) => {
            // The text reads back as the very same number.
            let back: serde_json::Number = serde_json::from_str(s).expect("a number's text is JSON");
            assert_eq!(&back, n, "{given} -> {coerced}");
        }
        (Value::Bool(b), Value::String(s)) => assert_eq!(s, &b.to_string()),
        (Value::String(s), Value::Number(n)) if declared == ParamType::Integer => {
            let digits: i128 = s.trim().parse().expect("integer text");
            assert_eq!(Some(digits), n.as_i64().map(i128::from), "{given:?} -> {coerced}");
        }
        (Value::String(s), Value::Number(n)) => {
            // As JSON would read the same text: the nearest double, or the exact integer.
            let read: serde_json::Number = serde_json::from_str(s.trim()).expect("number text is JSON");
            assert_eq!(&read, n, "{given:?} -> {coerced}");
            assert_eq!(s.trim().parse::<f64>().ok(), n.as_f64(), "{given:?} -> {coerced}");
        }
        (Value::Number(n), Value::Number(i)) => {
            let f = n.as_f64().expect("finite");
            assert_eq!(i.as_i64().map(|i| i as f64), Some(f), "{given} -> {coerced}");
        }
        (Value::String(s), Value::Bool(b)) => assert_eq!(boolean_word(s), Some(*b), "{given:?} -> {coerced}"),
        (Value::Number(n), Value::Bool(b)) => assert_eq!(n.as_u64(), Some(u64::from(*b)), "{given} -> {coerced}"),
        _ => panic!("unexpected conversion {given} -> {coerced} ({declared:?})"),
    }
}

fn check(u: &mut Unstructured<'_>) -> Result<()> {
    let definition = definition(u)?;
    let inputs = match u.int_in_range(0..=9u8)? {
        0 => common::value(u, 3, NAMES)?,
        _ => Value::Object(common::object(u, 2, NAMES)?),
    };

    // Each value against each type, alone.
    if let Value::Object(map) = &inputs {
        for value in map.values() {
            for &declared in TYPES {
                if let Some(coerced) = coerce_value(value, declared) {
                    assert!(conforms(&coerced, declared), "{value} as {declared:?} gave {coerced}");
                    assert_eq!(coerce_value(&coerced, declared).as_ref(), Some(&coerced), "not idempotent: {value} as {declared:?}");
                    assert_lossless(value, &coerced, declared);
                }
            }
        }
    }

    match validate_inputs(&definition, &inputs) {
        Ok(coerced) => {
            let given = inputs.as_object().cloned().unwrap_or_default();
            for parameter in definition.inputs.iter().filter(|p| p.required) {
                assert!(coerced.contains_key(&parameter.name), "required `{}` missing from {coerced:?}", parameter.name);
            }
            for (name, value) in &coerced {
                let parameter = definition.input(name).expect("only declared inputs are accepted");
                assert!(!value.is_null());
                assert!(conforms(value, parameter.param_type), "`{name}`: {value} is not {:?}", parameter.param_type);
                assert_lossless(&given[name], value, parameter.param_type);
            }
            for (name, value) in &given {
                assert_eq!(coerced.contains_key(name), !value.is_null(), "`{name}` lost");
            }
            let again = validate_inputs(&definition, &Value::Object(coerced.clone())).expect("coerced inputs re-validate");
            assert_eq!(again, coerced, "coerced inputs re-validate to themselves");
        }
        Err(error) => {
            assert!(matches!(error.code(), "validation" | "bad_input"), "{error}");
            if error.code() == "validation" {
                assert!(!error.issues().is_empty());
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = check(&mut Unstructured::new(data));
});
