//! Input validation and lossless coercion against an action's input schema, and output coercion
//! by its output schema. Every problem is reported at once, each with its parameter and its JSON
//! pointer; nothing is converted in a way that loses data.
//!
//! One validator for every profile: the schema is the definition's `inputSchema` (a JSON Schema,
//! compiled by src/core/schema.rs) or, for the seed's definitions, the same tree built from
//! `inputs: [{name, type, required}]` with nothing else allowed, whose messages are the ones this
//! client always gave. The subset is hand-rolled, by measurement: BENCHMARKS.md, "Input
//! validation: JSON Schema crate choice" (size and speed of `jsonschema`, `boon` and this).
//!
//! Top-level inputs keep this client's rule that `null` means absent (a null optional input is
//! dropped, a null required one is missing) unless the property's `type` lists `null`; below the
//! top level `null` is a value like any other. A value is first kept as it is when it already is
//! of one of the allowed types, else converted to the first of them that takes it losslessly.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::definition::{ActionDefinition, OutputParameter, ParamType};
use super::error::{parameter_pointer, pointer_segment, DataActionsError, IssueKind, ValidationIssue};
use super::schema::{Items, JsonType, Node, Rules, Schema, SchemaError};

/// The schema `definition`'s inputs are checked against: its `inputSchema`, else its `inputs`.
pub fn input_schema(definition: &ActionDefinition) -> Result<Schema, SchemaError> {
    match &definition.input_schema {
        Some(schema) => Schema::compile(schema),
        None => Ok(Schema::from_seed_inputs(&definition.inputs)),
    }
}

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
    let schema = input_schema(definition).map_err(|e| DataActionsError::BadInput {
        message: format!("the inputSchema of action `{}` is not usable: {e}", definition.id),
    })?;
    let mut walk = Walk { action_id: &definition.id, issues: Vec::new() };
    let coerced = walk.inputs(&schema.root, given);
    if walk.issues.is_empty() {
        Ok(coerced)
    } else {
        Err(DataActionsError::Validation { status: None, issues: walk.issues })
    }
}

/// What outputs are coerced by: the definition's output schema where it has one, else its
/// declared outputs (a bare `&[OutputParameter]` converts into one without a schema).
#[derive(Debug, Clone, Copy)]
pub struct OutputShape<'a> {
    /// The declared outputs.
    pub declared: &'a [OutputParameter],
    /// The output schema, which wins when there is one.
    pub schema: Option<&'a Value>,
}

impl<'a> From<&'a [OutputParameter]> for OutputShape<'a> {
    fn from(declared: &'a [OutputParameter]) -> Self {
        OutputShape { declared, schema: None }
    }
}

impl<'a> From<&'a Vec<OutputParameter>> for OutputShape<'a> {
    fn from(declared: &'a Vec<OutputParameter>) -> Self {
        OutputShape { declared, schema: None }
    }
}

/// Converts outputs to the types of the output schema (or, without one, of the declared outputs)
/// where that is lossless; values that cannot be converted, and outputs the schema does not
/// describe, are passed on unchanged (a finished invocation is never turned into an error by its
/// outputs, nor by an output schema this client cannot read).
pub fn coerce_outputs<'a>(shape: impl Into<OutputShape<'a>>, outputs: Map<String, Value>) -> Map<String, Value> {
    let shape = shape.into();
    let compiled =
        shape.schema.and_then(|s| Schema::compile(s).ok()).unwrap_or_else(|| Schema::from_seed_outputs(shape.declared));
    match &compiled.root {
        Node::Rules(rules) => coerce_members(rules, outputs),
        Node::Any | Node::Never => outputs,
    }
}

fn coerce_members(rules: &Rules, members: Map<String, Value>) -> Map<String, Value> {
    members
        .into_iter()
        .map(|(name, value)| {
            let node = rules.property(&name).unwrap_or(&rules.additional);
            let value = coerce_by(node, value);
            (name, value)
        })
        .collect()
}

fn coerce_by(node: &Node, value: Value) -> Value {
    let Node::Rules(rules) = node else { return value };
    let value = if rules.types.is_empty() { value } else { coerce_to_types(&value, &rules.types).unwrap_or(value) };
    match value {
        Value::Object(members) => Value::Object(coerce_members(rules, members)),
        Value::Array(elements) => Value::Array(
            elements
                .into_iter()
                .enumerate()
                .map(|(index, element)| match item_node(&rules.items, index) {
                    Some(node) => coerce_by(node, element),
                    None => element,
                })
                .collect(),
        ),
        other => other,
    }
}

/// The walk over the inputs, collecting every issue.
struct Walk<'a> {
    action_id: &'a str,
    issues: Vec<ValidationIssue>,
}

impl Walk<'_> {
    fn issue(&mut self, parameter: &str, pointer: &str, kind: IssueKind, expected: Option<&str>, message: String) {
        self.issues.push(ValidationIssue {
            parameter: parameter.to_string(),
            pointer: pointer.to_string(),
            kind,
            expected: expected.map(str::to_string),
            message,
        });
    }

    /// The top level: the inputs object, with this client's null rule and messages.
    fn inputs(&mut self, root: &Node, given: &Map<String, Value>) -> Map<String, Value> {
        let rules = match root {
            Node::Any => return given.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect(),
            Node::Never => {
                let message = format!("action `{}` takes no inputs (its input schema is `false`)", self.action_id);
                self.issue("", "", IssueKind::WrongType, None, message);
                return Map::new();
            }
            Node::Rules(rules) => rules,
        };
        if !rules.types.is_empty() && !rules.types.contains(&JsonType::Object) {
            let message = format!("inputs must be {}, got an object", phrase(&rules.types));
            self.issue("", "", IssueKind::WrongType, rules.expected.as_deref(), message);
            return Map::new();
        }
        if rules.allowed.is_some() {
            self.constraints(rules, &Value::Object(given.clone()), "", "");
        }
        for required in &rules.required {
            let allows_null = rules.property(&required.name).is_some_and(Node::allows_null);
            let present = given.get(&required.name).is_some_and(|v| !v.is_null() || allows_null);
            if !present {
                let message = match &required.expected {
                    Some(expected) => format!("`{}` is required ({expected})", required.name),
                    None => format!("`{}` is required", required.name),
                };
                let pointer = parameter_pointer(&required.name);
                self.issue(&required.name, &pointer, IssueKind::MissingRequired, required.expected.as_deref(), message);
            }
        }
        let mut coerced = Map::new();
        for (name, value) in given {
            let node = rules.property(name).unwrap_or(&rules.additional);
            let pointer = parameter_pointer(name);
            if matches!(node, Node::Never) {
                let message = format!("`{name}` is not a parameter of action `{}`", self.action_id);
                self.issue(name, &pointer, IssueKind::UnknownParameter, None, message);
                continue;
            }
            if value.is_null() && !node.allows_null() {
                continue;
            }
            if let Some(converted) = self.value(node, value, name, &pointer) {
                coerced.insert(name.clone(), converted);
            }
        }
        coerced
    }

    /// One value against one node: the coerced value, or `None` when an issue was recorded.
    fn value(&mut self, node: &Node, value: &Value, parameter: &str, pointer: &str) -> Option<Value> {
        let rules = match node {
            Node::Any => return Some(value.clone()),
            Node::Never => {
                let message = format!("`{}` is not allowed by the input schema", label(parameter, pointer));
                self.issue(parameter, pointer, IssueKind::WrongType, None, message);
                return None;
            }
            Node::Rules(rules) => rules,
        };
        let coerced = if rules.types.is_empty() {
            value.clone()
        } else {
            match coerce_to_types(value, &rules.types) {
                Some(coerced) => coerced,
                None => {
                    let message = format!("`{}` must be {}, got {}", label(parameter, pointer), phrase(&rules.types), describe(value));
                    self.issue(parameter, pointer, IssueKind::WrongType, rules.expected.as_deref(), message);
                    return None;
                }
            }
        };
        let before = self.issues.len();
        self.constraints(rules, &coerced, parameter, pointer);
        let coerced = match coerced {
            Value::Object(members) => Value::Object(self.members(rules, &members, parameter, pointer)),
            Value::Array(elements) => Value::Array(self.elements(rules, &elements, parameter, pointer)),
            other => other,
        };
        (self.issues.len() == before).then_some(coerced)
    }

    /// The members of an object below the top level (`null` is a value there).
    fn members(&mut self, rules: &Rules, members: &Map<String, Value>, parameter: &str, pointer: &str) -> Map<String, Value> {
        for required in &rules.required {
            if !members.contains_key(&required.name) {
                let at = format!("{pointer}/{}", pointer_segment(&required.name));
                let message = match &required.expected {
                    Some(expected) => format!("`{at}` is required ({expected})"),
                    None => format!("`{at}` is required"),
                };
                self.issue(parameter, &at, IssueKind::MissingRequired, required.expected.as_deref(), message);
            }
        }
        let mut coerced = Map::new();
        for (name, value) in members {
            let node = rules.property(name).unwrap_or(&rules.additional);
            let at = format!("{pointer}/{}", pointer_segment(name));
            if matches!(node, Node::Never) {
                let message = format!("`{at}` is not a property the input schema allows");
                self.issue(parameter, &at, IssueKind::UnknownParameter, None, message);
                continue;
            }
            if let Some(converted) = self.value(node, value, parameter, &at) {
                coerced.insert(name.clone(), converted);
            }
        }
        coerced
    }

    fn elements(&mut self, rules: &Rules, elements: &[Value], parameter: &str, pointer: &str) -> Vec<Value> {
        let mut coerced = Vec::with_capacity(elements.len());
        for (index, element) in elements.iter().enumerate() {
            let converted = match item_node(&rules.items, index) {
                Some(node) => self.value(node, element, parameter, &format!("{pointer}/{index}")),
                None => Some(element.clone()),
            };
            coerced.extend(converted);
        }
        coerced
    }

    /// `enum`, `minimum`/`maximum`, `minLength`/`maxLength` and `pattern` on a value of the right type.
    fn constraints(&mut self, rules: &Rules, value: &Value, parameter: &str, pointer: &str) {
        let expected = rules.expected.as_deref();
        let at = || label(parameter, pointer);
        if let Some(allowed) = &rules.allowed {
            if !allowed.iter().any(|a| same_value(a, value)) {
                let message = format!("`{}` must be one of {}, got {}", at(), list_values(allowed), describe(value));
                self.issue(parameter, pointer, IssueKind::NotInEnum, expected, message);
            }
        }
        match value {
            Value::Number(n) => {
                if let Some(minimum) = &rules.minimum {
                    if compare(n, minimum) == Some(Ordering::Less) {
                        let message = format!("`{}` must be at least {minimum}, got number {n}", at());
                        self.issue(parameter, pointer, IssueKind::OutOfRange, expected, message);
                    }
                }
                if let Some(maximum) = &rules.maximum {
                    if compare(n, maximum) == Some(Ordering::Greater) {
                        let message = format!("`{}` must be at most {maximum}, got number {n}", at());
                        self.issue(parameter, pointer, IssueKind::OutOfRange, expected, message);
                    }
                }
            }
            Value::String(text) => {
                let length = || text.chars().count() as u64;
                if let Some(min) = rules.min_length.filter(|min| length() < *min) {
                    let message = format!("`{}` must be at least {min} character(s) long, got {}", at(), length());
                    self.issue(parameter, pointer, IssueKind::OutOfRange, expected, message);
                }
                if let Some(max) = rules.max_length.filter(|max| length() > *max) {
                    let message = format!("`{}` must be at most {max} character(s) long, got {}", at(), length());
                    self.issue(parameter, pointer, IssueKind::OutOfRange, expected, message);
                }
                if let Some(pattern) = rules.pattern.as_ref().filter(|p| !p.regex.is_match(text)) {
                    let message = format!("`{}` must match the pattern `{}`, got {}", at(), pattern.source, describe(value));
                    self.issue(parameter, pointer, IssueKind::PatternMismatch, expected, message);
                }
            }
            _ => {}
        }
    }
}

fn item_node(items: &Items, index: usize) -> Option<&Node> {
    match items {
        Items::Any => None,
        Items::Each(node) => Some(node),
        Items::Positional(nodes) => nodes.get(index),
    }
}

/// How messages name a place: a top-level parameter by its name (as this client always did),
/// anything deeper by its JSON pointer.
fn label(parameter: &str, pointer: &str) -> String {
    if pointer.is_empty() {
        "inputs".into()
    } else if pointer.strip_prefix('/') == Some(&pointer_segment(parameter)) {
        parameter.to_string()
    } else {
        pointer.to_string()
    }
}

/// "a string", "an integer", "a string or null".
fn phrase(types: &[JsonType]) -> String {
    types
        .iter()
        .map(|t| match t {
            JsonType::Null => "null".to_string(),
            other => format!("{} {}", article(param_type_of(*other)), other.as_str()),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn param_type_of(json_type: JsonType) -> ParamType {
    match json_type {
        JsonType::String => ParamType::String,
        JsonType::Number => ParamType::Number,
        JsonType::Integer => ParamType::Integer,
        JsonType::Boolean => ParamType::Boolean,
        JsonType::Array => ParamType::Array,
        JsonType::Object => ParamType::Object,
        // Only reached for the article, which null does not take.
        JsonType::Null => ParamType::Unknown,
    }
}

/// The value as it is when it already is of one of `types`, else its lossless conversion to the
/// first of them that takes it.
fn coerce_to_types(value: &Value, types: &[JsonType]) -> Option<Value> {
    let convert = |t: JsonType| match t {
        JsonType::Null => value.is_null().then_some(Value::Null),
        other => coerce_value(value, param_type_of(other)),
    };
    if types.len() > 1 {
        if let Some(same) = types.iter().find_map(|t| convert(*t).filter(|c| c == value)) {
            return Some(same);
        }
    }
    types.iter().find_map(|t| convert(*t))
}

/// JSON Schema equality: numbers by value (1 is 1.0), objects regardless of member order.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare(x, y) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// Numbers by value: exactly between integers, as doubles otherwise.
fn compare(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

fn list_values(values: &[Value]) -> String {
    const SHOWN: usize = 10;
    let mut listed: Vec<String> = values.iter().take(SHOWN).map(Value::to_string).collect();
    if values.len() > SHOWN {
        listed.push(format!("... ({} in all)", values.len()));
    }
    listed.join(", ")
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
    serde_json::from_str::<Number>(trimmed)
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
