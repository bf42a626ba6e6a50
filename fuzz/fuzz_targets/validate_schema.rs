//! Input validation against arbitrary JSON Schemas (well-formed or not) and arbitrary inputs.
//!
//! Properties, besides "never panics":
//! - a schema that does not compile is a `bad_input` error naming the inputSchema, never a panic
//!   and never a validation answer;
//! - accepted inputs re-validate to themselves (coercion is idempotent), and every accepted
//!   top-level input was given;
//! - every issue's pointer starts at its parameter (`/` + the escaped name), or is empty with an
//!   empty parameter (the inputs as a whole);
//! - outputs coerced by the same schema keep every member (never an error, nothing lost).
#![no_main]

mod common;

use arbitrary::{Result, Unstructured};
use cxone_data_actions::core::definition::ActionDefinition;
use cxone_data_actions::core::error::{parameter_pointer, pointer_segment};
use cxone_data_actions::core::schema::Schema;
use cxone_data_actions::core::validate::{coerce_outputs, validate_inputs, OutputShape};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

const NAMES: &[&str] = &["s", "n", "i", "b", "a/b", "t~", ""];
const TYPES: &[&str] = &["string", "number", "integer", "boolean", "null", "object", "array"];
// `pattern` is ignored (src/core/schema.rs): these only check that it stays so, well-formed or not.
const PATTERNS: &[&str] = &["^C-[0-9]+$", "a|b", "(", r"\p{L}", "(?=a)"];

fn type_keyword(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=9u8)? {
        0 => Value::String(common::text(u)?),
        1 => json!([]),
        2..=4 => {
            let count = u.int_in_range(1..=3usize)?;
            let mut list = Vec::with_capacity(count);
            for _ in 0..count {
                list.push(Value::from(*u.choose(TYPES)?));
            }
            Value::Array(list)
        }
        _ => Value::from(*u.choose(TYPES)?),
    })
}

fn schema(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    match u.int_in_range(0..=12u8)? {
        0 => return Ok(Value::Bool(u.arbitrary()?)),
        1 => return common::value(u, 1, NAMES),
        _ => {}
    }
    let mut keywords = Map::new();
    if u.ratio(3, 4)? {
        keywords.insert("type".into(), type_keyword(u)?);
    }
    if depth > 0 && u.ratio(1, 2)? {
        let count = u.int_in_range(0..=4usize)?;
        let mut properties = Map::new();
        for _ in 0..count {
            properties.insert((*u.choose(NAMES)?).to_string(), schema(u, depth - 1)?);
        }
        keywords.insert("properties".into(), Value::Object(properties));
    }
    if u.ratio(1, 3)? {
        let count = u.int_in_range(0..=3usize)?;
        let mut required = Vec::with_capacity(count);
        for _ in 0..count {
            required.push(Value::from(*u.choose(NAMES)?));
        }
        keywords.insert("required".into(), Value::Array(required));
    }
    if u.ratio(1, 3)? {
        let additional = if depth > 0 && u.ratio(1, 3)? { schema(u, depth - 1)? } else { Value::Bool(u.arbitrary()?) };
        keywords.insert("additionalProperties".into(), additional);
    }
    if depth > 0 && u.ratio(1, 4)? {
        let items = if u.ratio(1, 3)? { json!([schema(u, depth - 1)?, schema(u, depth - 1)?]) } else { schema(u, depth - 1)? };
        keywords.insert("items".into(), items);
    }
    if u.ratio(1, 5)? {
        let count = u.int_in_range(0..=4usize)?;
        let mut allowed = Vec::with_capacity(count);
        for _ in 0..count {
            allowed.push(common::value(u, 1, NAMES)?);
        }
        keywords.insert("enum".into(), Value::Array(allowed));
    }
    for keyword in ["minimum", "maximum"] {
        if u.ratio(1, 5)? {
            keywords.insert(keyword.into(), Value::Number(common::number(u)?));
        }
    }
    for keyword in ["minLength", "maxLength"] {
        if u.ratio(1, 5)? {
            keywords.insert(keyword.into(), Value::from(u.int_in_range(-1..=6i64)?));
        }
    }
    if u.ratio(1, 5)? {
        keywords.insert("pattern".into(), Value::from(*u.choose(PATTERNS)?));
    }
    if u.ratio(1, 6)? {
        keywords.insert("description".into(), Value::String(common::text(u)?));
    }
    Ok(Value::Object(keywords))
}

fn check(u: &mut Unstructured<'_>) -> Result<()> {
    let schema = schema(u, 3)?;
    let definition = ActionDefinition {
        id: "fuzz".into(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        input_schema: Some(schema.clone()),
        output_schema: None,
        extra: Map::new(),
    };
    let inputs = match u.int_in_range(0..=9u8)? {
        0 => common::value(u, 3, NAMES)?,
        _ => Value::Object(common::object(u, 2, NAMES)?),
    };
    let compiles = Schema::compile(&schema).is_ok();
    match validate_inputs(&definition, &inputs) {
        Ok(coerced) => {
            assert!(compiles, "accepted against a schema that does not compile: {schema}");
            let given = inputs.as_object().cloned().unwrap_or_default();
            for name in coerced.keys() {
                assert!(given.contains_key(name), "`{name}` was not given");
            }
            let again = validate_inputs(&definition, &Value::Object(coerced.clone()))
                .unwrap_or_else(|e| panic!("coerced inputs {coerced:?} do not re-validate against {schema}: {e}"));
            assert_eq!(again, coerced, "coerced inputs re-validate to themselves ({schema})");
        }
        Err(error) if error.code() == "bad_input" => {
            assert!(!compiles || !matches!(inputs, Value::Object(_) | Value::Null), "{error} for {schema}");
        }
        Err(error) => {
            assert_eq!(error.code(), "validation", "{error}");
            assert!(compiles);
            assert!(!error.issues().is_empty());
            for issue in error.issues() {
                if issue.parameter.is_empty() && issue.pointer.is_empty() {
                    continue;
                }
                let start = parameter_pointer(&issue.parameter);
                let rest = issue.pointer.strip_prefix(&start);
                assert!(rest.is_some_and(|r| r.is_empty() || r.starts_with('/')), "{issue:?} for {schema}");
                assert_eq!(issue.pointer.split('/').nth(1).map(str::to_string), Some(pointer_segment(&issue.parameter)));
            }
        }
    }
    if let Value::Object(outputs) = inputs {
        let coerced = coerce_outputs(OutputShape { declared: &[], schema: Some(&schema) }, outputs.clone());
        assert_eq!(coerced.keys().collect::<Vec<_>>(), outputs.keys().collect::<Vec<_>>(), "outputs lost or added");
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = check(&mut Unstructured::new(data));
});
