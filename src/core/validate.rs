//! Input validation and lossless coercion against an action's input schema, and output coercion
//! by its output schema. Every problem is reported at once, each with its parameter and its JSON
//! pointer; nothing is converted in a way that loses data.
//!
//! One validator for every profile: the schema is the definition's `inputSchema` (a JSON Schema,
//! compiled by src/core/schema.rs) or, for the seed's definitions, the same tree built from
//! `inputs: [{name, type, required}]` with nothing else allowed, whose messages are the ones this
//! client always gave. The subset is hand-rolled, by measurement (BENCHMARKS.md, "Input
//! validation: JSON Schema crate choice"): in wasm `jsonschema` adds 689 KB gzipped and `boon`
//! 441 KB, against 10.7 KB for this in the package, and this compiles and validates a contract
//! 6–18× faster; neither crate coerces nor reports in this client's words.
//!
//! Top-level inputs keep this client's rule that `null` means absent (a null optional input is
//! dropped, a null required one is missing) unless the property's `type` lists `null`; below the
//! top level `null` is a value like any other. A value is first kept as it is when it already is
//! of one of the allowed types, else converted to the first of them that takes it losslessly.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::definition::{ActionDefinition, OutputParameter, ParamType};
use super::error::{pointer_segment, DataActionsError, IssueKind, ValidationIssue};
use super::json::to_text;
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
    if !matches!(inputs, Value::Object(_) | Value::Null) {
        return Err(DataActionsError::BadInput { message: "inputs must be a JSON object".into() });
    }
    let schema = input_schema(definition).map_err(|e| DataActionsError::BadInput {
        message: format!("the inputSchema of action `{}` is not usable: {e}", definition.id),
    })?;
    validate_with(&schema, &definition.id, inputs)
}

/// [`validate_inputs`] with the schema compiled once (`action_id` names the action in messages).
pub fn validate_with(schema: &Schema, action_id: &str, inputs: &Value) -> Result<Map<String, Value>, DataActionsError> {
    let empty = Map::new();
    let given = match inputs {
        Value::Object(map) => map,
        Value::Null => &empty,
        _ => {
            return Err(DataActionsError::BadInput { message: "inputs must be a JSON object".into() });
        }
    };
    let mut walk = Walk { action_id, issues: Vec::new() };
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

/// Each member coerced in place (no new map: collecting one would also compile in the B-tree's
/// sort-and-bulk-build).
fn coerce_members(rules: &Rules, mut members: Map<String, Value>) -> Map<String, Value> {
    for (name, value) in members.iter_mut() {
        let node = rules.property(name).unwrap_or(&rules.additional);
        *value = coerce_by(node, std::mem::take(value));
    }
    members
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

/// Where a value is in the inputs; made into a JSON pointer only when an issue names it.
#[derive(Debug, Clone, Copy)]
enum Place<'a> {
    /// The inputs as a whole.
    Root,
    /// A member of an object.
    Member(&'a Place<'a>, &'a str),
    /// An element of an array.
    Element(&'a Place<'a>, usize),
}

impl Place<'_> {
    fn write_pointer(&self, out: &mut String) {
        match self {
            Place::Root => {}
            Place::Member(parent, name) => {
                parent.write_pointer(out);
                out.push('/');
                out.push_str(&pointer_segment(name));
            }
            Place::Element(parent, index) => {
                parent.write_pointer(out);
                out.push('/');
                out.push_str(&index.to_string());
            }
        }
    }

    fn pointer(&self) -> String {
        let mut pointer = String::new();
        self.write_pointer(&mut pointer);
        pointer
    }

    /// The top-level parameter this place is in ("" for the root).
    fn parameter(&self) -> &str {
        match self {
            Place::Root => "",
            Place::Member(Place::Root, name) => name,
            Place::Member(parent, _) | Place::Element(parent, _) => parent.parameter(),
        }
    }

    /// How messages name it: a top-level parameter by its name (as this client always did),
    /// anything deeper by its JSON pointer.
    fn label(&self) -> String {
        match self {
            Place::Root => "inputs".into(),
            Place::Member(Place::Root, name) => (*name).to_string(),
            _ => self.pointer(),
        }
    }
}

/// The walk over the inputs, collecting every issue.
struct Walk<'a> {
    action_id: &'a str,
    issues: Vec<ValidationIssue>,
}

impl Walk<'_> {
    fn issue(&mut self, at: &Place<'_>, kind: IssueKind, expected: Option<&str>, message: String) {
        self.issues.push(ValidationIssue {
            parameter: at.parameter().to_string(),
            pointer: at.pointer(),
            kind,
            expected: expected.map(str::to_string),
            message,
        });
    }

    /// The top level: the inputs object, with this client's null rule and messages.
    fn inputs(&mut self, root: &Node, given: &Map<String, Value>) -> Map<String, Value> {
        let rules = match root {
            Node::Any => {
                let mut kept = Map::new();
                for (name, value) in given.iter().filter(|(_, v)| !v.is_null()) {
                    kept.insert(name.clone(), value.clone());
                }
                return kept;
            }
            Node::Never => {
                let message = format!("action `{}` takes no inputs (its input schema is `false`)", self.action_id);
                self.issue(&Place::Root, IssueKind::WrongType, None, message);
                return Map::new();
            }
            Node::Rules(rules) => rules,
        };
        if !rules.types.is_empty() && !rules.types.contains(&JsonType::Object) {
            let message = format!("inputs must be {}, got an object", phrase(&rules.types));
            self.issue(&Place::Root, IssueKind::WrongType, rules.expected.as_deref(), message);
            return Map::new();
        }
        for required in &rules.required {
            let allows_null = rules.property(&required.name).is_some_and(Node::allows_null);
            let present = given.get(&required.name).is_some_and(|v| !v.is_null() || allows_null);
            if !present {
                let message = match &required.expected {
                    Some(expected) => format!("`{}` is required ({expected})", required.name),
                    None => format!("`{}` is required", required.name),
                };
                let at = Place::Member(&Place::Root, &required.name);
                self.issue(&at, IssueKind::MissingRequired, required.expected.as_deref(), message);
            }
        }
        let mut coerced = Map::new();
        for (name, value) in given {
            let node = rules.property(name).unwrap_or(&rules.additional);
            let at = Place::Member(&Place::Root, name);
            if matches!(node, Node::Never) {
                let message = format!("`{name}` is not a parameter of action `{}`", self.action_id);
                self.issue(&at, IssueKind::UnknownParameter, None, message);
                continue;
            }
            if value.is_null() && !node.allows_null() {
                continue;
            }
            if let Some(converted) = self.value(node, value, &at) {
                coerced.insert(name.clone(), converted);
            }
        }
        // `enum` on the inputs as they will be sent (nulls dropped, values converted).
        if rules.allowed.is_some() && self.issues.is_empty() {
            let sent = Value::Object(coerced);
            self.constraints(rules, &sent, &Place::Root);
            return match sent {
                Value::Object(coerced) => coerced,
                _ => Map::new(),
            };
        }
        coerced
    }

    /// One value against one node: the coerced value, or `None` when an issue was recorded.
    fn value(&mut self, node: &Node, value: &Value, at: &Place<'_>) -> Option<Value> {
        let rules = match node {
            Node::Any => return Some(value.clone()),
            Node::Never => {
                let message = format!("`{}` is not allowed by the input schema", at.label());
                self.issue(at, IssueKind::WrongType, None, message);
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
                    let message = format!("`{}` must be {}, got {}", at.label(), phrase(&rules.types), describe(value));
                    self.issue(at, IssueKind::WrongType, rules.expected.as_deref(), message);
                    return None;
                }
            }
        };
        let before = self.issues.len();
        let coerced = match coerced {
            Value::Object(members) => Value::Object(self.members(rules, &members, at)),
            Value::Array(elements) => Value::Array(self.elements(rules, &elements, at)),
            other => other,
        };
        // The constraints hold for the value as converted, members and elements included.
        if self.issues.len() == before {
            self.constraints(rules, &coerced, at);
        }
        (self.issues.len() == before).then_some(coerced)
    }

    /// The members of an object below the top level (`null` is a value there).
    fn members(&mut self, rules: &Rules, members: &Map<String, Value>, at: &Place<'_>) -> Map<String, Value> {
        for required in &rules.required {
            if !members.contains_key(&required.name) {
                let place = Place::Member(at, &required.name);
                let message = match &required.expected {
                    Some(expected) => format!("`{}` is required ({expected})", place.label()),
                    None => format!("`{}` is required", place.label()),
                };
                self.issue(&place, IssueKind::MissingRequired, required.expected.as_deref(), message);
            }
        }
        let mut coerced = Map::new();
        for (name, value) in members {
            let node = rules.property(name).unwrap_or(&rules.additional);
            let place = Place::Member(at, name);
            if matches!(node, Node::Never) {
                let message = format!("`{}` is not a property the input schema allows", place.label());
                self.issue(&place, IssueKind::UnknownParameter, None, message);
                continue;
            }
            if let Some(converted) = self.value(node, value, &place) {
                coerced.insert(name.clone(), converted);
            }
        }
        coerced
    }

    fn elements(&mut self, rules: &Rules, elements: &[Value], at: &Place<'_>) -> Vec<Value> {
        let mut coerced = Vec::with_capacity(elements.len());
        for (index, element) in elements.iter().enumerate() {
            let converted = match item_node(&rules.items, index) {
                Some(node) => self.value(node, element, &Place::Element(at, index)),
                None => Some(element.clone()),
            };
            coerced.extend(converted);
        }
        coerced
    }

    /// `enum`, `minimum`/`maximum` and `minLength`/`maxLength` on a value of the right type.
    fn constraints(&mut self, rules: &Rules, value: &Value, at: &Place<'_>) {
        let expected = rules.expected.as_deref();
        if let Some(allowed) = &rules.allowed {
            if !allowed.iter().any(|a| same_value(a, value)) {
                let message = format!("`{}` must be one of {}, got {}", at.label(), list_values(allowed), describe(value));
                self.issue(at, IssueKind::NotInEnum, expected, message);
            }
        }
        match value {
            Value::Number(n) => {
                if let Some(minimum) = &rules.minimum {
                    if compare(n, minimum) == Some(Ordering::Less) {
                        let message = format!("`{}` must be at least {minimum}, got number {n}", at.label());
                        self.issue(at, IssueKind::OutOfRange, expected, message);
                    }
                }
                if let Some(maximum) = &rules.maximum {
                    if compare(n, maximum) == Some(Ordering::Greater) {
                        let message = format!("`{}` must be at most {maximum}, got number {n}", at.label());
                        self.issue(at, IssueKind::OutOfRange, expected, message);
                    }
                }
            }
            Value::String(text) => {
                let length = || text.chars().count() as u64;
                if let Some(min) = rules.min_length.filter(|min| length() < *min) {
                    let message = format!("`{}` must be at least {min} character(s) long, got {}", at.label(), length());
                    self.issue(at, IssueKind::OutOfRange, expected, message);
                }
                if let Some(max) = rules.max_length.filter(|max| length() > *max) {
                    let message = format!("`{}` must be at most {max} character(s) long, got {}", at.label(), length());
                    self.issue(at, IssueKind::OutOfRange, expected, message);
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

/// "a string", "an integer", "a string or null".
fn phrase(types: &[JsonType]) -> String {
    types
        .iter()
        .map(|t| match t {
            JsonType::Null => "null".to_string(),
            other => format!("{} {}", article(other.as_param_type()), other.as_str()),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The value as it is when it already is of one of `types`, else its lossless conversion to the
/// first of them that takes it.
fn coerce_to_types(value: &Value, types: &[JsonType]) -> Option<Value> {
    let convert = |t: JsonType| match t {
        JsonType::Null => value.is_null().then_some(Value::Null),
        other => coerce_value(value, other.as_param_type()),
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
    let mut listed: Vec<String> = values.iter().take(SHOWN).map(to_text).collect();
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

/// The JSON Schema path: Genesys-shaped contracts, pointers, the keywords beyond the seed's, and
/// the seed's inputs validated exactly as the same schema written out.
#[cfg(test)]
mod schema_tests {
    use super::*;
    use crate::core::error::parameter_pointer;
    use proptest::prelude::*;
    use serde_json::json;

    fn with_schema(schema: Value) -> ActionDefinition {
        serde_json::from_value(json!({"id": "lookup", "inputSchema": schema})).unwrap()
    }

    /// A `contract.input.inputSchema` as Genesys Cloud's Action API returns it, written from the
    /// Platform API SDKs' `JsonSchemaDocument` model (`id`, `$schema`, `title`, `description`,
    /// `type`, `required`, `properties`, `additionalProperties`) and the property keywords of
    /// the contracts the data-action editor writes (`pattern` and `default` are not checked).
    fn genesys_input_schema() -> Value {
        json!({
            "id": "urn:jsonschema:com:example:LookupCustomerInput",
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": "Lookup customer request",
            "description": "Finds a customer in the CRM.",
            "type": "object",
            "required": ["customerId", "includeHistory"],
            "properties": {
                "customerId": {"type": "string", "description": "CRM id", "minLength": 3, "maxLength": 12, "pattern": "^C-[0-9]+$"},
                "includeHistory": {"type": "boolean", "default": false},
                "maxResults": {"type": "integer", "minimum": 1, "maximum": 100},
                "minScore": {"type": "number", "minimum": 0, "maximum": 1},
                "channel": {"type": "string", "enum": ["voice", "chat", "email"]},
                "note": {"type": ["string", "null"]},
                "legacy": {"type": "null"}
            },
            "additionalProperties": false
        })
    }

    #[test]
    fn a_genesys_contract_validates_and_coerces() {
        let definition = with_schema(genesys_input_schema());
        let out = validate_inputs(&definition, &json!({
            "customerId": "C-1001", "includeHistory": "yes", "maxResults": "10", "minScore": "0.5",
            "channel": "chat", "note": null, "legacy": null
        }))
        .unwrap();
        assert_eq!(Value::Object(out), json!({
            "customerId": "C-1001", "includeHistory": true, "maxResults": 10, "minScore": 0.5,
            "channel": "chat", "note": null, "legacy": null
        }), "a type that lists null keeps null as a value");
    }

    #[test]
    fn a_genesys_contract_reports_every_issue_with_its_pointer() {
        let definition = with_schema(genesys_input_schema());
        let err = validate_inputs(&definition, &json!({
            "customerId": "X-1", "maxResults": 1000, "minScore": -0.5, "channel": "fax",
            "legacy": 1, "colour": "red"
        }))
        .unwrap_err();
        let issues: Vec<(&str, &str, IssueKind, &str)> =
            err.issues().iter().map(|i| (i.parameter.as_str(), i.pointer.as_str(), i.kind, i.message.as_str())).collect();
        assert_eq!(issues, vec![
            ("includeHistory", "/includeHistory", IssueKind::MissingRequired, "`includeHistory` is required (boolean)"),
            ("channel", "/channel", IssueKind::NotInEnum, "`channel` must be one of \"voice\", \"chat\", \"email\", got string \"fax\""),
            ("colour", "/colour", IssueKind::UnknownParameter, "`colour` is not a parameter of action `lookup`"),
            ("legacy", "/legacy", IssueKind::WrongType, "`legacy` must be null, got number 1"),
            ("maxResults", "/maxResults", IssueKind::OutOfRange, "`maxResults` must be at most 100, got number 1000"),
            ("minScore", "/minScore", IssueKind::OutOfRange, "`minScore` must be at least 0, got number -0.5"),
        ]);
        let serialised = serde_json::to_value(&err.issues()[0]).unwrap();
        assert_eq!(serialised, json!({"parameter": "includeHistory", "pointer": "/includeHistory", "kind": "missing_required",
                                      "expected": "boolean", "message": "`includeHistory` is required (boolean)"}));
        let short = validate_inputs(&definition, &json!({"customerId": "C-", "includeHistory": true})).unwrap_err();
        let messages: Vec<&str> = short.issues().iter().map(|i| i.message.as_str()).collect();
        assert_eq!(messages, ["`customerId` must be at least 3 character(s) long, got 2"], "`pattern` is the upstream's to check");
        let long = validate_inputs(&definition, &json!({"customerId": "C-12345678901", "includeHistory": true})).unwrap_err();
        assert_eq!(long.issues()[0].message, "`customerId` must be at most 12 character(s) long, got 13");
    }

    #[test]
    fn additional_properties_absent_allows_true_allows_and_a_schema_checks() {
        let base = json!({"type": "object", "properties": {"a": {"type": "integer"}}});
        let given = json!({"a": "1", "extra": "x", "gone": null});
        let open = validate_inputs(&with_schema(base.clone()), &given).unwrap();
        assert_eq!(Value::Object(open), json!({"a": 1, "extra": "x"}), "absent: JSON Schema allows them, null still means absent");
        let mut allowing = base.clone();
        allowing["additionalProperties"] = json!(true);
        assert!(validate_inputs(&with_schema(allowing), &given).is_ok());
        let mut typed = base.clone();
        typed["additionalProperties"] = json!({"type": "boolean"});
        let out = validate_inputs(&with_schema(typed.clone()), &json!({"a": 1, "flag": "no"})).unwrap();
        assert_eq!(Value::Object(out), json!({"a": 1, "flag": false}));
        let err = validate_inputs(&with_schema(typed), &json!({"other": "x"})).unwrap_err();
        assert_eq!(err.issues()[0].message, "`other` must be a boolean, got string \"x\"");
        let mut closed = base;
        closed["additionalProperties"] = json!(false);
        let err = validate_inputs(&with_schema(closed), &json!({"b": 1})).unwrap_err();
        assert_eq!((err.issues()[0].kind, err.issues()[0].pointer.as_str()), (IssueKind::UnknownParameter, "/b"));
    }

    #[test]
    fn nested_values_are_checked_with_their_pointers() {
        let definition = with_schema(json!({
            "type": "object",
            "properties": {
                "address": {"type": "object", "required": ["zip"], "additionalProperties": false,
                            "properties": {"zip": {"type": "string"}, "lines": {"type": "array", "items": {"type": "string", "maxLength": 3}}}},
                "a/b": {"type": "array", "items": [{"type": "integer"}, {"type": "boolean"}]}
            }
        }));
        let err = validate_inputs(&definition, &json!({
            "address": {"lines": ["ok", "toolong", ["x"]], "zip~": 1},
            "a/b": ["x", "true", "anything"]
        }))
        .unwrap_err();
        let issues: Vec<(&str, &str, &str)> = err.issues().iter().map(|i| (i.parameter.as_str(), i.pointer.as_str(), i.message.as_str())).collect();
        assert_eq!(issues, vec![
            ("a/b", "/a~1b/0", "`/a~1b/0` must be an integer, got string \"x\""),
            ("address", "/address/zip", "`/address/zip` is required (string)"),
            ("address", "/address/lines/1", "`/address/lines/1` must be at most 3 character(s) long, got 7"),
            ("address", "/address/lines/2", "`/address/lines/2` must be a string, got an array"),
            ("address", "/address/zip~0", "`/address/zip~0` is not a property the input schema allows"),
        ]);
        let out = validate_inputs(&definition, &json!({"address": {"zip": 12345, "lines": ["a"]}, "a/b": ["7", "true", {"k": 1}]})).unwrap();
        assert_eq!(Value::Object(out), json!({"address": {"zip": "12345", "lines": ["a"]}, "a/b": [7, true, {"k": 1}]}));
        // Below the top level null is a value: a string property refuses it.
        let err = validate_inputs(&definition, &json!({"address": {"zip": null}})).unwrap_err();
        assert_eq!(err.issues()[0].message, "`/address/zip` must be a string, got null");
    }

    #[test]
    fn type_lists_keep_a_value_of_any_listed_type_else_convert_in_order() {
        let definition = with_schema(json!({"properties": {
            "id": {"type": ["integer", "string"]},
            "flag": {"type": ["string", "boolean"]},
            "n": {"type": ["boolean", "integer"]}
        }}));
        let out = validate_inputs(&definition, &json!({"id": "42", "flag": true, "n": "7"})).unwrap();
        assert_eq!(Value::Object(out), json!({"id": "42", "flag": true, "n": 7}));
        let out = validate_inputs(&definition, &json!({"id": 42.0, "flag": 3, "n": 1})).unwrap();
        assert_eq!(Value::Object(out), json!({"id": 42, "flag": "3", "n": 1}));
        let err = validate_inputs(&definition, &json!({"n": "maybe"})).unwrap_err();
        assert_eq!(err.issues()[0].message, "`n` must be a boolean or an integer, got string \"maybe\"");
        assert_eq!(err.issues()[0].expected.as_deref(), Some("boolean or integer"));
    }

    #[test]
    fn enum_compares_numbers_by_value_after_coercion() {
        let definition = with_schema(json!({"properties": {"level": {"type": "integer", "enum": [1, 2.0, 3]}, "any": {"enum": [{"a": [1]}, null]}}}));
        let out = validate_inputs(&definition, &json!({"level": "2", "any": {"a": [1.0]}})).unwrap();
        assert_eq!(Value::Object(out), json!({"level": 2, "any": {"a": [1.0]}}));
        let err = validate_inputs(&definition, &json!({"level": 4, "any": "x"})).unwrap_err();
        let messages: Vec<&str> = err.issues().iter().map(|i| i.message.as_str()).collect();
        assert_eq!(messages, ["`any` must be one of {\"a\":[1]}, null, got string \"x\"", "`level` must be one of 1, 2.0, 3, got number 4"]);
        let many = with_schema(json!({"properties": {"d": {"enum": (0..12).collect::<Vec<_>>()}}}));
        let err = validate_inputs(&many, &json!({"d": 99})).unwrap_err();
        assert_eq!(err.issues()[0].message, "`d` must be one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... (12 in all), got number 99");
    }

    #[test]
    fn enum_holds_for_what_is_sent_not_for_what_was_given() {
        // Found by the validate_schema fuzz target: a null member is dropped before sending, so an
        // `enum` met by the given inputs was not met by the sent ones (and re-validation failed).
        let definition = with_schema(json!({"enum": [{"a/b": null}]}));
        let err = validate_inputs(&definition, &json!({"a/b": null})).unwrap_err();
        assert_eq!(err.issues()[0].message, "`inputs` must be one of {\"a/b\":null}, got an object");
        let nested = with_schema(json!({"properties": {"o": {"properties": {"n": {"type": "integer"}}, "enum": [{"n": 1}]}}}));
        let out = validate_inputs(&nested, &json!({"o": {"n": "1"}})).unwrap();
        assert_eq!(Value::Object(out), json!({"o": {"n": 1}}), "the enum is checked after the members are converted");
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let definition = with_schema(json!({"properties": {"name": {"type": "string", "minLength": 2, "maxLength": 3}}}));
        assert!(validate_inputs(&definition, &json!({"name": "été"})).is_ok(), "3 characters, 5 bytes");
        assert!(validate_inputs(&definition, &json!({"name": "日本"})).is_ok());
        assert_eq!(validate_inputs(&definition, &json!({"name": "é"})).unwrap_err().issues()[0].kind, IssueKind::OutOfRange);
    }

    #[test]
    fn root_schemas_true_false_and_not_an_object() {
        let anything = validate_inputs(&with_schema(json!(true)), &json!({"x": 1, "y": null})).unwrap();
        assert_eq!(Value::Object(anything), json!({"x": 1}));
        let err = validate_inputs(&with_schema(json!(false)), &json!({})).unwrap_err();
        assert_eq!((err.issues()[0].pointer.as_str(), err.issues()[0].message.as_str()), ("", "action `lookup` takes no inputs (its input schema is `false`)"));
        let err = validate_inputs(&with_schema(json!({"type": "array"})), &json!({})).unwrap_err();
        assert_eq!((err.issues()[0].parameter.as_str(), err.issues()[0].message.as_str()), ("", "inputs must be an array, got an object"));
        let err = validate_inputs(&with_schema(json!({"enum": [{"a": 1}]})), &json!({"a": 2})).unwrap_err();
        assert_eq!(err.issues()[0].message, "`inputs` must be one of {\"a\":1}, got an object");
        assert_eq!(validate_inputs(&with_schema(json!({})), &json!([1])).unwrap_err().code(), "bad_input");
    }

    #[test]
    fn an_unusable_schema_is_a_typed_error_not_a_panic() {
        // (`"inputSchema": null` reads as no schema: the definition's `inputs` apply.)
        for schema in [json!(12), json!("object"), json!([]), json!({"type": "date"}), json!({"properties": {"a": []}})] {
            let err = validate_inputs(&with_schema(schema.clone()), &json!({})).unwrap_err();
            assert_eq!(err.code(), "bad_input", "{schema}");
            assert!(err.to_string().contains("the inputSchema of action `lookup` is not usable"), "{err}");
        }
    }

    #[test]
    fn outputs_are_coerced_by_the_output_schema_and_never_refused() {
        let schema = json!({"type": "object", "properties": {
            "count": {"type": "integer"}, "ok": {"type": "boolean"},
            "customer": {"type": "object", "properties": {"tier": {"type": "string"}, "since": {"type": "integer"}}},
            "scores": {"type": "array", "items": {"type": "number"}}
        }});
        let declared = [OutputParameter { name: "count".into(), param_type: ParamType::String }];
        let Value::Object(outputs) = json!({"count": "7", "ok": "no", "customer": {"tier": 2, "since": "x"}, "scores": ["1.5", "n/a"], "free": 1})
        else { unreachable!() };
        let coerced = coerce_outputs(OutputShape { declared: &declared, schema: Some(&schema) }, outputs.clone());
        assert_eq!(Value::Object(coerced), json!({"count": 7, "ok": false, "customer": {"tier": "2", "since": "x"}, "scores": [1.5, "n/a"], "free": 1}),
                   "the schema wins over the declared outputs; what cannot convert is kept");
        let unreadable = json!({"type": "date"});
        let by_declared = coerce_outputs(OutputShape { declared: &declared, schema: Some(&unreadable) }, outputs.clone());
        assert_eq!(by_declared.get("count"), Some(&json!("7")), "an unreadable schema falls back to the declared outputs");
        assert_eq!(coerce_outputs(OutputShape { declared: &[], schema: Some(&json!(false)) }, outputs.clone()), outputs);
    }

    #[test]
    fn pointers_escape_tilde_and_slash() {
        let err = validate_inputs(&with_schema(json!({"additionalProperties": false})), &json!({"a/b": 1, "c~d": 2, "": 3})).unwrap_err();
        let pointers: Vec<&str> = err.issues().iter().map(|i| i.pointer.as_str()).collect();
        assert_eq!(pointers, ["/", "/a~1b", "/c~0d"]);
        let names: Vec<&str> = err.issues().iter().map(|i| i.parameter.as_str()).collect();
        assert_eq!(names, ["", "a/b", "c~d"]);
    }

    const TYPES: [ParamType; 6] = [ParamType::String, ParamType::Number, ParamType::Integer, ParamType::Boolean, ParamType::Array, ParamType::Object];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z0-9 .+-]{0,6}".prop_map(Value::String),
            prop_oneof![Just("yes"), Just("NO"), Just("42"), Just("4.5"), Just("-7"), Just("true")].prop_map(Value::from),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c]", inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The seed's inputs and the same inputs written out as a JSON Schema give the very same
        /// answer, messages included: one validator.
        #[test]
        fn the_seed_and_its_schema_written_out_agree(
            declared in proptest::collection::btree_map("[a-e]", (0..TYPES.len(), any::<bool>()), 0..5),
            given in proptest::collection::btree_map("[a-g]", json_value(), 0..6),
        ) {
            let inputs: Vec<Value> = declared.iter().map(|(name, (t, required))| json!({"name": name, "type": TYPES[*t].as_str(), "required": required})).collect();
            let properties: Map<String, Value> = declared.iter().map(|(name, (t, _))| (name.clone(), json!({"type": TYPES[*t].as_str()}))).collect();
            let required: Vec<&String> = declared.iter().filter(|(_, (_, r))| *r).map(|(name, _)| name).collect();
            let seed: ActionDefinition = serde_json::from_value(json!({"id": "a", "inputs": inputs})).unwrap();
            let schema = with_schema(json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false}));
            let given = Value::Object(given.into_iter().collect());
            let (seed_answer, schema_answer) = (validate_inputs(&seed, &given), validate_inputs(&ActionDefinition { id: "a".into(), ..schema }, &given));
            prop_assert_eq!(seed_answer, schema_answer);
        }

        /// Whatever the flat schema and the inputs, the answer is an answer (no panic), what is
        /// accepted is of its property's type, and the coerced inputs re-validate to themselves.
        #[test]
        fn accepted_inputs_conform_and_revalidate_to_themselves(
            properties in proptest::collection::btree_map("[a-d]", (proptest::collection::vec(0..7usize, 1..3), any::<bool>()), 0..4),
            open in any::<bool>(),
            given in proptest::collection::btree_map("[a-f]", json_value(), 0..5),
        ) {
            const NAMES: [&str; 7] = ["string", "number", "integer", "boolean", "array", "object", "null"];
            let props: Map<String, Value> = properties.iter().map(|(n, (ts, _))| (n.clone(), json!({"type": ts.iter().map(|t| NAMES[*t]).collect::<Vec<_>>()}))).collect();
            let required: Vec<&String> = properties.iter().filter(|(_, (_, r))| *r).map(|(n, _)| n).collect();
            let definition = with_schema(json!({"type": "object", "properties": props, "required": required, "additionalProperties": open}));
            let given = Value::Object(given.into_iter().collect());
            match validate_inputs(&definition, &given) {
                Ok(coerced) => {
                    for (name, value) in &coerced {
                        match properties.get(name) {
                            Some((types, _)) => prop_assert!(types.iter().any(|t| match NAMES[*t] {
                                "string" => value.is_string(), "number" => value.is_number(), "integer" => value.is_i64(),
                                "boolean" => value.is_boolean(), "array" => value.is_array(), "object" => value.is_object(), _ => value.is_null(),
                            }), "{name}: {value} is none of {types:?}"),
                            None => prop_assert!(open, "{name} accepted by a closed schema"),
                        }
                    }
                    let again = validate_inputs(&definition, &Value::Object(coerced.clone())).unwrap();
                    prop_assert_eq!(again, coerced);
                }
                Err(err) => {
                    prop_assert_eq!(err.code(), "validation");
                    for issue in err.issues() {
                        prop_assert_eq!(&issue.pointer, &parameter_pointer(&issue.parameter));
                    }
                }
            }
        }
    }
}
