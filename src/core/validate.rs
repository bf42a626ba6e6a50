//! Input validation and lossless coercion against an action's definition. Every problem is
//! reported at once, each naming its parameter; nothing is converted in a way that loses data.

use serde_json::{Map, Number, Value};

use super::definition::{ActionDefinition, OutputParameter, ParamType};
use super::error::{DataActionsError, IssueKind, ValidationIssue};

/// Checks `inputs` (a JSON object) against `definition` and answers the coerced inputs, or a
/// [`DataActionsError::Validation`] listing every problem. A `null` optional input is dropped.
pub fn validate_inputs(definition: &ActionDefinition, inputs: &Value) -> Result<Map<String, Value>, DataActionsError> {
    let empty = Map::new();
    let given = match inputs {
        Value::Object(map) => map,
        Value::Null => &empty,
        _ => {
            return Err(DataActionsError::BadInput { message: "inputs must be a JSON object".into() });
        }
    };
    let mut issues = Vec::new();
    for parameter in definition.inputs.iter().filter(|p| p.required) {
        if given.get(&parameter.name).is_none_or(Value::is_null) {
            issues.push(ValidationIssue {
                parameter: parameter.name.clone(),
                kind: IssueKind::MissingRequired,
                expected: Some(parameter.param_type.as_str().to_string()),
                message: format!("`{}` is required ({})", parameter.name, parameter.param_type.as_str()),
            });
        }
    }
    let mut coerced = Map::new();
    for (name, value) in given {
        let Some(parameter) = definition.input(name) else {
            issues.push(ValidationIssue {
                parameter: name.clone(),
                kind: IssueKind::UnknownParameter,
                expected: None,
                message: format!("`{name}` is not a parameter of action `{}`", definition.id),
            });
            continue;
        };
        if value.is_null() {
            continue;
        }
        match coerce_value(value, parameter.param_type) {
            Some(converted) => {
                coerced.insert(name.clone(), converted);
            }
            None => issues.push(ValidationIssue {
                parameter: name.clone(),
                kind: IssueKind::WrongType,
                expected: Some(parameter.param_type.as_str().to_string()),
                message: format!(
                    "`{name}` must be {} {}, got {}",
                    article(parameter.param_type),
                    parameter.param_type.as_str(),
                    describe(value)
                ),
            }),
        }
    }
    if issues.is_empty() {
        Ok(coerced)
    } else {
        Err(DataActionsError::Validation { status: None, issues })
    }
}

/// Converts outputs to their declared types where that is lossless; values that cannot be
/// converted, and undeclared outputs, are passed on unchanged (a finished invocation is never
/// turned into an error by its outputs).
pub fn coerce_outputs(declared: &[OutputParameter], outputs: Map<String, Value>) -> Map<String, Value> {
    outputs
        .into_iter()
        .map(|(name, value)| {
            let declared = declared.iter().find(|o| o.name == name).map(|o| o.param_type);
            let converted = match declared {
                Some(param_type) if !value.is_null() => coerce_value(&value, param_type).unwrap_or(value),
                _ => value,
            };
            (name, converted)
        })
        .collect()
}

/// The lossless conversion of one value to `target`, or `None`.
pub fn coerce_value(value: &Value, target: ParamType) -> Option<Value> {
    match (target, value) {
        (ParamType::Unknown, v) => Some(v.clone()),
        (ParamType::String, Value::String(_)) => Some(value.clone()),
        (ParamType::String, Value::Number(n)) => Some(Value::String(n.to_string())),
        (ParamType::String, Value::Bool(b)) => Some(Value::String(b.to_string())),
        (ParamType::Number, Value::Number(n)) => n.as_f64().filter(|f| f.is_finite()).map(|_| value.clone()),
        (ParamType::Number, Value::String(s)) => parse_number(s),
        (ParamType::Integer, Value::Number(n)) => integer_from_number(n),
        (ParamType::Integer, Value::String(s)) => parse_integer(s),
        (ParamType::Boolean, Value::Bool(_)) => Some(value.clone()),
        (ParamType::Boolean, Value::String(s)) => parse_boolean(s).map(Value::Bool),
        (ParamType::Boolean, Value::Number(n)) => match n.as_u64() {
            Some(0) => Some(Value::Bool(false)),
            Some(1) => Some(Value::Bool(true)),
            _ => None,
        },
        (ParamType::Array, Value::Array(_)) | (ParamType::Object, Value::Object(_)) => Some(value.clone()),
        _ => None,
    }
}

/// The largest integer every JSON reader holds exactly (2^53 - 1, JavaScript's
/// `Number.MAX_SAFE_INTEGER`, the interoperable range of I-JSON, RFC 7493): an `integer` input must
/// lie within it, whatever form it comes in, or it is refused rather than rounded by someone.
pub const MAX_EXACT_INTEGER: u64 = (1 << 53) - 1;

fn exact_integer(magnitude: u64) -> bool {
    magnitude <= MAX_EXACT_INTEGER
}

fn integer_from_number(n: &Number) -> Option<Value> {
    if let Some(i) = n.as_i64() {
        return exact_integer(i.unsigned_abs()).then(|| Value::Number(n.clone()));
    }
    if n.is_u64() {
        // Above i64::MAX, so beyond the exact range.
        return None;
    }
    let f = n.as_f64()?;
    // 42.0 is 42; 4.5 is not an integer, and from 2^53 on a float no longer names one integer.
    if f.is_finite() && f.fract() == 0.0 && f.abs() <= MAX_EXACT_INTEGER as f64 {
        // Within ±(2^53 - 1) and whole, so the conversion is exact.
        return Some(Value::Number(Number::from(f as i64)));
    }
    None
}

fn parse_integer(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix(['-', '+']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let i = trimmed.parse::<i64>().ok()?;
    exact_integer(i.unsigned_abs()).then(|| Value::Number(Number::from(i)))
}

fn parse_number(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    // Only JSON number syntax: Rust's parser would also take "inf", "NaN" and "1.".
    crate::core::json::from_text::<Number>(trimmed)
        .ok()
        .filter(|n| n.as_f64().is_some_and(f64::is_finite))
        .map(Value::Number)
}

fn parse_boolean(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

fn article(param_type: ParamType) -> &'static str {
    match param_type {
        ParamType::Integer | ParamType::Array | ParamType::Object | ParamType::Unknown => "an",
        _ => "a",
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) if s.chars().count() <= 40 => format!("string {s:?}"),
        Value::String(_) => "a long string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn definition() -> ActionDefinition {
        serde_json::from_value(json!({"id": "a", "inputs": [
            {"name": "s", "type": "string", "required": true},
            {"name": "n", "type": "number"},
            {"name": "i", "type": "integer", "required": true},
            {"name": "b", "type": "boolean"},
            {"name": "arr", "type": "array"},
            {"name": "obj", "type": "object"}
        ], "outputs": [{"name": "count", "type": "integer"}, {"name": "ok", "type": "boolean"}]}))
        .unwrap()
    }

    #[test]
    fn coerces_losslessly() {
        let out = validate_inputs(&definition(), &json!({
            "s": 12, "n": "4.5", "i": "42", "b": "YES", "arr": [1], "obj": {"k": 1}
        }))
        .unwrap();
        assert_eq!(Value::Object(out), json!({"s": "12", "n": 4.5, "i": 42, "b": true, "arr": [1], "obj": {"k": 1}}));
        for (text, expected) in [("true", true), ("FALSE", false), ("1", true), ("0", false), ("Yes", true), ("no", false)] {
            assert_eq!(coerce_value(&json!(text), ParamType::Boolean), Some(json!(expected)), "{text}");
        }
        assert_eq!(coerce_value(&json!(42.0), ParamType::Integer), Some(json!(42)));
        assert_eq!(coerce_value(&json!("9007199254740991"), ParamType::Integer), Some(json!(9_007_199_254_740_991_i64)));
        assert_eq!(coerce_value(&json!("-9007199254740991"), ParamType::Integer), Some(json!(-9_007_199_254_740_991_i64)));
        assert_eq!(coerce_value(&json!(9_007_199_254_740_991.0), ParamType::Integer), Some(json!(9_007_199_254_740_991_i64)));
        assert_eq!(coerce_value(&json!(true), ParamType::Boolean), Some(json!(true)));
    }

    #[test]
    fn refuses_lossy_conversions() {
        for (value, target) in [
            (json!("abc"), ParamType::Integer),
            (json!(4.5), ParamType::Integer),
            (json!("4.5"), ParamType::Integer),
            (json!("NaN"), ParamType::Number),
            (json!("inf"), ParamType::Number),
            (json!("Infinity"), ParamType::Number),
            (json!("[1]"), ParamType::Array),
            (json!("{}"), ParamType::Object),
            (json!("maybe"), ParamType::Boolean),
            (json!(2), ParamType::Boolean),
            (json!([1]), ParamType::String),
            (json!(1e300), ParamType::Integer),
            // 2^53 is where doubles stop naming one integer: 2^53 + 1 reads as 2^53.
            (json!("9007199254740992"), ParamType::Integer),
            (json!("-9007199254740992"), ParamType::Integer),
            (json!("9007199254740993"), ParamType::Integer),
            (json!("18446744073709551615"), ParamType::Integer),
            (json!(9_007_199_254_740_992_u64), ParamType::Integer),
            (json!(u64::MAX), ParamType::Integer),
            (json!(9_007_199_254_740_992.0), ParamType::Integer),
        ] {
            assert_eq!(coerce_value(&value, target), None, "{value} as {target:?}");
        }
    }

    #[test]
    fn reports_every_problem_at_once_naming_each_parameter() {
        let err = validate_inputs(&definition(), &json!({"n": "x", "b": "maybe", "extra": 1, "other": 2})).unwrap_err();
        let issues = err.issues();
        let named: Vec<(&str, IssueKind)> = issues.iter().map(|i| (i.parameter.as_str(), i.kind)).collect();
        assert_eq!(named, vec![
            ("s", IssueKind::MissingRequired),
            ("i", IssueKind::MissingRequired),
            ("b", IssueKind::WrongType),
            ("extra", IssueKind::UnknownParameter),
            ("n", IssueKind::WrongType),
            ("other", IssueKind::UnknownParameter),
        ]);
        assert_eq!(err.code(), "validation");
        assert!(err.to_string().starts_with("6 input problem(s)"), "{err}");
    }

    #[test]
    fn null_optional_inputs_are_dropped_and_null_required_ones_missing() {
        let out = validate_inputs(&definition(), &json!({"s": "x", "i": 1, "n": null})).unwrap();
        assert!(!out.contains_key("n"));
        let err = validate_inputs(&definition(), &json!({"s": null, "i": 1})).unwrap_err();
        assert_eq!(err.issues()[0].kind, IssueKind::MissingRequired);
        assert_eq!(validate_inputs(&definition(), &json!([1])).unwrap_err().code(), "bad_input");
    }

    #[test]
    fn outputs_are_coerced_where_lossless_and_kept_otherwise() {
        let outputs = json!({"count": "7", "ok": "no", "free": "x"});
        let Value::Object(map) = outputs else { unreachable!() };
        let coerced = coerce_outputs(&definition().outputs, map);
        assert_eq!(Value::Object(coerced), json!({"count": 7, "ok": false, "free": "x"}));
        let Value::Object(bad) = json!({"count": "seven"}) else { unreachable!() };
        assert_eq!(Value::Object(coerce_outputs(&definition().outputs, bad)), json!({"count": "seven"}));
    }

    proptest! {
        #[test]
        fn any_exact_integer_text_round_trips(i in -(MAX_EXACT_INTEGER as i64)..=(MAX_EXACT_INTEGER as i64)) {
            prop_assert_eq!(coerce_value(&json!(i.to_string()), ParamType::Integer), Some(json!(i)));
            prop_assert_eq!(coerce_value(&json!(i), ParamType::Integer), Some(json!(i)));
            prop_assert_eq!(coerce_value(&json!(i), ParamType::String), Some(json!(i.to_string())));
        }

        #[test]
        fn integers_beyond_the_exact_range_are_refused_in_every_form(i in any::<i64>().prop_filter("inexact", |i| i.unsigned_abs() > MAX_EXACT_INTEGER)) {
            prop_assert_eq!(coerce_value(&json!(i.to_string()), ParamType::Integer), None);
            prop_assert_eq!(coerce_value(&json!(i), ParamType::Integer), None);
            prop_assert_eq!(coerce_value(&json!(i as f64), ParamType::Integer), None);
            // Not an integer input, still any other type's value: a string keeps every digit.
            prop_assert_eq!(coerce_value(&json!(i), ParamType::String), Some(json!(i.to_string())));
        }

        #[test]
        fn finite_numbers_survive_text(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let text = json!(f).to_string();
            prop_assert_eq!(coerce_value(&json!(text), ParamType::Number), Some(json!(f)));
        }

        #[test]
        fn fractional_numbers_are_never_integers(i in -1_000_000i64..1_000_000, frac in 0.01f64..0.99) {
            let value = json!(i as f64 + frac);
            prop_assert_eq!(coerce_value(&value, ParamType::Integer), None);
        }

        #[test]
        fn every_unknown_parameter_is_reported(names in proptest::collection::btree_set("[a-z]{3,8}", 1..8)) {
            let mut inputs = Map::new();
            inputs.insert("s".into(), json!("x"));
            inputs.insert("i".into(), json!(1));
            let unknown: Vec<String> = names.into_iter().filter(|n| definition().input(n).is_none()).collect();
            for name in &unknown {
                inputs.insert(name.clone(), json!(1));
            }
            let result = validate_inputs(&definition(), &Value::Object(inputs));
            if unknown.is_empty() {
                prop_assert!(result.is_ok());
            } else {
                let err = result.unwrap_err();
                let reported: Vec<&str> = err.issues().iter().map(|i| i.parameter.as_str()).collect();
                prop_assert_eq!(reported, unknown.iter().map(String::as_str).collect::<Vec<_>>());
            }
        }
    }
}
