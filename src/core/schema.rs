//! The JSON Schema subset that data-action contracts use, compiled once into a tree that
//! src/core/validate.rs walks to validate and coerce inputs (and to coerce outputs).
//!
//! Hand-rolled rather than a crate, by measurement (BENCHMARKS.md, "Input validation: JSON Schema
//! crate choice"): `jsonschema` adds about 690 KB gzipped to a wasm module and `boon` about 440 KB
//! (and needs a getrandom backend flag to build for wasm32-unknown-unknown at all), for keywords
//! that data-action contracts do not use; neither coerces ("42" for an integer) nor reports in
//! this client's words. `pattern` is not checked: `regex-lite`, the smallest well-kept engine,
//! adds 22 KB gzipped to the package (+13%) for a keyword contracts rarely carry, and the
//! upstream checks it anyway.
//!
//! Keywords: `type` (a name or a list of `string`, `integer`, `number`, `boolean`, `null`,
//! `object`, `array`), `properties`, `required`, `additionalProperties` (a boolean or a schema;
//! absent allows), `items` (a schema, or a list for positional items), `enum`, `minimum`,
//! `maximum`, `minLength`, `maxLength` (in characters). Every other keyword (`pattern`,
//! `description`, `title`, `format`, `$schema`, `default`...) is ignored. A malformed keyword, or
//! a schema that is neither an object nor a boolean, is a [`SchemaError`] naming where it is.
//!
//! The seed's `inputs: [{name, type, required}]` becomes the same tree
//! ([`Schema::from_seed_inputs`]: an object schema with `additionalProperties: false`), so one
//! validator serves every profile.

use serde_json::{Map, Number, Value};

use super::definition::{InputParameter, OutputParameter, ParamType};
use super::error::pointer_segment;

/// How deep schemas may nest (objects in objects, items in items); deeper is a [`SchemaError`].
pub const MAX_SCHEMA_DEPTH: usize = 64;

/// What is wrong with a schema. The pointer is into the schema (RFC 6901).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Neither an object nor a boolean.
    #[error("the schema at `{pointer}` must be an object or a boolean, not {found}")]
    NotASchema {
        /// Where, in the schema.
        pointer: String,
        /// What was there instead.
        found: &'static str,
    },
    /// A keyword this validator knows, with a value it cannot use.
    #[error("`{keyword}` at `{pointer}` {reason}")]
    BadKeyword {
        /// The schema holding the keyword.
        pointer: String,
        /// The keyword.
        keyword: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Nested deeper than [`MAX_SCHEMA_DEPTH`].
    #[error("the schema nests deeper than {MAX_SCHEMA_DEPTH} levels at `{pointer}`")]
    TooDeep {
        /// Where the limit was reached.
        pointer: String,
    },
}

/// The JSON types a schema's `type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean,
    /// A number without a fractional part.
    Integer,
    /// Any finite number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonType {
    /// The type's name in schemas.
    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }

    fn parse(name: &str) -> Option<JsonType> {
        Some(match name {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "string" => JsonType::String,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            _ => return None,
        })
    }

    /// The seed's parameter type of the same values, whose lossless conversions
    /// ([`coerce_value`](super::validate::coerce_value)) this type uses; `null` has none of its own
    /// ([`ParamType::Unknown`]: callers test for null first).
    pub fn as_param_type(self) -> ParamType {
        match self {
            JsonType::String => ParamType::String,
            JsonType::Number => ParamType::Number,
            JsonType::Integer => ParamType::Integer,
            JsonType::Boolean => ParamType::Boolean,
            JsonType::Array => ParamType::Array,
            JsonType::Object => ParamType::Object,
            JsonType::Null => ParamType::Unknown,
        }
    }

    /// The seed's parameter type as a schema type (`None` for a type this client does not know:
    /// its values pass unchecked).
    pub fn from_param_type(param_type: ParamType) -> Option<JsonType> {
        Some(match param_type {
            ParamType::String => JsonType::String,
            ParamType::Number => JsonType::Number,
            ParamType::Integer => JsonType::Integer,
            ParamType::Boolean => JsonType::Boolean,
            ParamType::Array => JsonType::Array,
            ParamType::Object => JsonType::Object,
            ParamType::Unknown => return None,
        })
    }
}

/// One compiled (sub)schema.
#[derive(Debug, Clone)]
pub enum Node {
    /// `true` or `{}` without constraints: every value.
    Any,
    /// `false`: no value.
    Never,
    /// An object schema.
    Rules(Box<Rules>),
}

/// A required property, with the type words its messages use.
#[derive(Debug, Clone)]
pub struct Required {
    /// The property's name.
    pub name: String,
    /// What it must be ("string", "string or null"), when its schema says.
    pub expected: Option<String>,
}

/// `items`: one schema for every element, or one per position (elements past them unchecked).
#[derive(Debug, Clone)]
pub enum Items {
    /// No `items`.
    Any,
    /// `items: {schema}`.
    Each(Node),
    /// `items: [{schema}, ...]`.
    Positional(Vec<Node>),
}

/// The keywords of an object schema.
#[derive(Debug, Clone)]
pub struct Rules {
    /// `type`; empty when absent (any type).
    pub types: Vec<JsonType>,
    /// The type words of messages and of `expected` ("integer", "string or null"); for a seed
    /// parameter of a type this client does not know, "unknown".
    pub expected: Option<String>,
    /// `properties`, in the schema's order; the first of a name wins.
    pub properties: Vec<(String, Node)>,
    /// `required`, in the schema's order.
    pub required: Vec<Required>,
    /// `additionalProperties` (absent: [`Node::Any`]).
    pub additional: Node,
    /// `items`.
    pub items: Items,
    /// `enum`.
    pub allowed: Option<Vec<Value>>,
    /// `minimum`.
    pub minimum: Option<Number>,
    /// `maximum`.
    pub maximum: Option<Number>,
    /// `minLength`, in characters.
    pub min_length: Option<u64>,
    /// `maxLength`, in characters.
    pub max_length: Option<u64>,
}

impl Rules {
    fn any() -> Rules {
        Rules {
            types: Vec::new(),
            expected: None,
            properties: Vec::new(),
            required: Vec::new(),
            additional: Node::Any,
            items: Items::Any,
            allowed: None,
            minimum: None,
            maximum: None,
            min_length: None,
            max_length: None,
        }
    }

    /// The schema of the property `name` (first of that name), or `additionalProperties`.
    pub fn property(&self, name: &str) -> Option<&Node> {
        self.properties.iter().find(|(n, _)| n == name).map(|(_, node)| node)
    }

    /// Whether `type` lets `null` through as a value.
    pub fn allows_null(&self) -> bool {
        self.types.contains(&JsonType::Null)
    }
}

impl Node {
    /// The type words of this node's messages, if it has any.
    pub fn expected(&self) -> Option<&str> {
        match self {
            Node::Rules(rules) => rules.expected.as_deref(),
            Node::Any | Node::Never => None,
        }
    }

    /// Whether `null` is a value of this node's declared types (not merely absent).
    pub fn allows_null(&self) -> bool {
        matches!(self, Node::Rules(rules) if rules.allows_null())
    }
}

/// A compiled schema.
#[derive(Debug, Clone)]
pub struct Schema {
    /// The root.
    pub root: Node,
}

impl Schema {
    /// Compiles a JSON Schema document.
    pub fn compile(schema: &Value) -> Result<Schema, SchemaError> {
        let mut pointer = String::new();
        Ok(Schema { root: compile_node(schema, &mut pointer, 0)? })
    }

    /// The seed's inputs as the same tree: an object whose properties are the inputs (each of its
    /// type, or anything for a type this client does not know), the required ones `required`,
    /// and nothing else allowed.
    pub fn from_seed_inputs(inputs: &[InputParameter]) -> Schema {
        let mut rules = Rules::any();
        rules.types = vec![JsonType::Object];
        rules.expected = Some(JsonType::Object.as_str().into());
        rules.additional = Node::Never;
        for input in inputs {
            rules.properties.push((input.name.clone(), seed_node(input.param_type)));
            if input.required {
                rules.required.push(Required { name: input.name.clone(), expected: Some(input.param_type.as_str().into()) });
            }
        }
        Schema { root: Node::Rules(Box::new(rules)) }
    }

    /// The seed's declared outputs as the same tree (undeclared outputs pass unchanged).
    pub fn from_seed_outputs(outputs: &[OutputParameter]) -> Schema {
        let mut rules = Rules::any();
        rules.properties = outputs.iter().map(|o| (o.name.clone(), seed_node(o.param_type))).collect();
        Schema { root: Node::Rules(Box::new(rules)) }
    }
}

fn seed_node(param_type: ParamType) -> Node {
    let mut rules = Rules::any();
    rules.types = JsonType::from_param_type(param_type).into_iter().collect();
    rules.expected = Some(param_type.as_str().into());
    Node::Rules(Box::new(rules))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn compile_node(schema: &Value, pointer: &mut String, depth: usize) -> Result<Node, SchemaError> {
    if depth > MAX_SCHEMA_DEPTH {
        return Err(SchemaError::TooDeep { pointer: pointer.clone() });
    }
    let object = match schema {
        Value::Bool(true) => return Ok(Node::Any),
        Value::Bool(false) => return Ok(Node::Never),
        Value::Object(object) => object,
        other => return Err(SchemaError::NotASchema { pointer: pointer.clone(), found: kind_of(other) }),
    };
    let bad = |pointer: &str, keyword: &'static str, reason: &str| SchemaError::BadKeyword {
        pointer: pointer.to_string(),
        keyword,
        reason: reason.to_string(),
    };
    let mut rules = Rules::any();
    if let Some(types) = object.get("type") {
        rules.types = parse_types(types).ok_or_else(|| {
            bad(pointer, "type", "must name a type (null, boolean, integer, number, string, array, object) or list them")
        })?;
        rules.expected = (!rules.types.is_empty())
            .then(|| rules.types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" or "));
    }
    if let Some(properties) = object.get("properties") {
        let Value::Object(properties) = properties else {
            return Err(bad(pointer, "properties", "must be an object of schemas"));
        };
        for (name, property) in properties {
            let mark = pointer.len();
            pointer.push_str("/properties/");
            pointer.push_str(&pointer_segment(name));
            let node = compile_node(property, pointer, depth + 1)?;
            pointer.truncate(mark);
            rules.properties.push((name.clone(), node));
        }
    }
    if let Some(required) = object.get("required") {
        let names = required.as_array().filter(|list| list.iter().all(Value::is_string));
        let Some(names) = names else {
            return Err(bad(pointer, "required", "must be a list of property names"));
        };
        for name in names.iter().filter_map(Value::as_str) {
            let expected = rules.property(name).and_then(Node::expected).map(str::to_string);
            rules.required.push(Required { name: name.to_string(), expected });
        }
    }
    if let Some(additional) = object.get("additionalProperties") {
        let mark = pointer.len();
        pointer.push_str("/additionalProperties");
        rules.additional = compile_node(additional, pointer, depth + 1)?;
        pointer.truncate(mark);
    }
    if let Some(items) = object.get("items") {
        let mark = pointer.len();
        pointer.push_str("/items");
        rules.items = match items {
            Value::Array(list) => {
                let mut nodes = Vec::with_capacity(list.len());
                for (index, item) in list.iter().enumerate() {
                    let inner = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&index.to_string());
                    nodes.push(compile_node(item, pointer, depth + 1)?);
                    pointer.truncate(inner);
                }
                Items::Positional(nodes)
            }
            item => Items::Each(compile_node(item, pointer, depth + 1)?),
        };
        pointer.truncate(mark);
    }
    if let Some(allowed) = object.get("enum") {
        let Value::Array(allowed) = allowed else {
            return Err(bad(pointer, "enum", "must be a list of values"));
        };
        rules.allowed = Some(allowed.clone());
    }
    rules.minimum = number_keyword(object, "minimum").map_err(|reason| bad(pointer, "minimum", reason))?;
    rules.maximum = number_keyword(object, "maximum").map_err(|reason| bad(pointer, "maximum", reason))?;
    rules.min_length = length_keyword(object, "minLength").map_err(|reason| bad(pointer, "minLength", reason))?;
    rules.max_length = length_keyword(object, "maxLength").map_err(|reason| bad(pointer, "maxLength", reason))?;
    let unconstrained = rules.types.is_empty()
        && rules.properties.is_empty()
        && rules.required.is_empty()
        && matches!(rules.additional, Node::Any)
        && matches!(rules.items, Items::Any)
        && rules.allowed.is_none()
        && rules.minimum.is_none()
        && rules.maximum.is_none()
        && rules.min_length.is_none()
        && rules.max_length.is_none();
    Ok(if unconstrained { Node::Any } else { Node::Rules(Box::new(rules)) })
}

fn parse_types(types: &Value) -> Option<Vec<JsonType>> {
    match types {
        Value::String(name) => JsonType::parse(name).map(|t| vec![t]),
        Value::Array(names) => {
            let mut parsed = Vec::with_capacity(names.len());
            for name in names {
                let t = JsonType::parse(name.as_str()?)?;
                if !parsed.contains(&t) {
                    parsed.push(t);
                }
            }
            // `"type": []` admits no value: not a schema anyone writes on purpose.
            (!parsed.is_empty()).then_some(parsed)
        }
        _ => None,
    }
}

fn number_keyword(object: &Map<String, Value>, keyword: &str) -> Result<Option<Number>, &'static str> {
    match object.get(keyword) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.clone())),
        Some(_) => Err("must be a number"),
    }
}

fn length_keyword(object: &Map<String, Value>, keyword: &str) -> Result<Option<u64>, &'static str> {
    match object.get(keyword) {
        None => Ok(None),
        // 3.0 is the integer 3 (JSON Schema counts by value).
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(length), _) => Ok(Some(length)),
            (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64 => Ok(Some(f as u64)),
            _ => Err("must be a non-negative integer"),
        },
        Some(_) => Err("must be a non-negative integer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(node: &Node) -> &Rules {
        match node {
            Node::Rules(rules) => rules,
            other => panic!("not rules: {other:?}"),
        }
    }

    #[test]
    fn compiles_the_keywords_and_ignores_the_others() {
        let schema = Schema::compile(&json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": "Input", "description": "d", "type": "object",
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 8.0, "pattern": "^C-[0-9]+$", "format": "x"},
                "n": {"type": ["integer", "null", "integer"], "minimum": -1, "maximum": 2.5},
                "tags": {"type": "array", "items": {"enum": ["a", "b"]}},
                "pair": {"items": [{"type": "string"}, true]},
                "free": {"description": "anything"}
            },
            "required": ["id", "missing"],
            "additionalProperties": {"type": "boolean"},
            "x-vendor": {"type": 12}
        }))
        .unwrap();
        let root = rules(&schema.root);
        assert_eq!(root.types, vec![JsonType::Object]);
        assert_eq!(root.properties.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["free", "id", "n", "pair", "tags"]);
        assert!(matches!(root.property("free"), Some(Node::Any)));
        let id = rules(root.property("id").unwrap());
        assert_eq!((id.min_length, id.max_length), (Some(1), Some(8)));
        let n = rules(root.property("n").unwrap());
        assert_eq!(n.types, vec![JsonType::Integer, JsonType::Null]);
        assert_eq!(n.expected.as_deref(), Some("integer or null"));
        assert!(n.allows_null());
        assert_eq!((n.minimum.clone(), n.maximum.clone()), (Some(Number::from(-1)), Number::from_f64(2.5)));
        assert_eq!(
            root.required.iter().map(|r| (r.name.as_str(), r.expected.as_deref())).collect::<Vec<_>>(),
            [("id", Some("string")), ("missing", None)]
        );
        assert_eq!(rules(&root.additional).types, vec![JsonType::Boolean]);
        assert!(matches!(&rules(root.property("tags").unwrap()).items, Items::Each(Node::Rules(_))));
        assert!(matches!(&rules(root.property("pair").unwrap()).items, Items::Positional(nodes) if nodes.len() == 2));
    }

    #[test]
    fn booleans_and_empty_objects_are_schemas() {
        assert!(matches!(Schema::compile(&json!(true)).unwrap().root, Node::Any));
        assert!(matches!(Schema::compile(&json!({})).unwrap().root, Node::Any));
        assert!(matches!(Schema::compile(&json!({"title": "t"})).unwrap().root, Node::Any));
        assert!(matches!(Schema::compile(&json!(false)).unwrap().root, Node::Never));
        let absent = Schema::compile(&json!({"type": "object"})).unwrap();
        assert!(matches!(rules(&absent.root).additional, Node::Any));
    }

    #[test]
    fn malformed_schemas_are_typed_errors_naming_where() {
        for (schema, expected) in [
            (json!(null), SchemaError::NotASchema { pointer: "".into(), found: "null" }),
            (json!("object"), SchemaError::NotASchema { pointer: "".into(), found: "a string" }),
            (json!([{}]), SchemaError::NotASchema { pointer: "".into(), found: "an array" }),
            (json!({"properties": {"a/b": 3}}), SchemaError::NotASchema { pointer: "/properties/a~1b".into(), found: "a number" }),
            (json!({"items": [true, "x"]}), SchemaError::NotASchema { pointer: "/items/1".into(), found: "a string" }),
            (json!({"additionalProperties": null}), SchemaError::NotASchema { pointer: "/additionalProperties".into(), found: "null" }),
        ] {
            assert_eq!(Schema::compile(&schema).unwrap_err(), expected, "{schema}");
        }
        for (schema, keyword, pointer) in [
            (json!({"type": "date"}), "type", ""),
            (json!({"type": []}), "type", ""),
            (json!({"type": ["string", 1]}), "type", ""),
            (json!({"properties": []}), "properties", ""),
            (json!({"required": "a"}), "required", ""),
            (json!({"required": ["a", 1]}), "required", ""),
            (json!({"enum": "a"}), "enum", ""),
            (json!({"properties": {"x~y": {"minimum": "1"}}}), "minimum", "/properties/x~0y"),
            (json!({"maximum": null}), "maximum", ""),
            (json!({"minLength": -1}), "minLength", ""),
            (json!({"maxLength": 1.5}), "maxLength", ""),
        ] {
            match Schema::compile(&schema) {
                Err(SchemaError::BadKeyword { keyword: k, pointer: p, .. }) => assert_eq!((k, p.as_str()), (keyword, pointer), "{schema}"),
                other => panic!("{schema}: {other:?}"),
            }
        }
        let err = Schema::compile(&json!({"type": "date"})).unwrap_err();
        assert!(err.to_string().starts_with("`type` at `` must name a type"), "{err}");
    }

    #[test]
    fn pattern_is_ignored_like_any_keyword_this_client_does_not_check() {
        assert!(matches!(Schema::compile(&json!({"pattern": "(unclosed"})).unwrap().root, Node::Any));
        assert!(matches!(Schema::compile(&json!({"pattern": 7, "format": "date-time"})).unwrap().root, Node::Any));
    }

    #[test]
    fn nesting_is_bounded() {
        let mut schema = json!({"type": "string"});
        for _ in 0..=MAX_SCHEMA_DEPTH {
            schema = json!({"items": schema});
        }
        assert!(matches!(Schema::compile(&schema), Err(SchemaError::TooDeep { .. })));
        let Value::Object(mut shallower) = schema else { unreachable!() };
        let inner = shallower.remove("items").unwrap();
        assert!(Schema::compile(&inner).is_ok());
    }

    #[test]
    fn the_seed_inputs_become_a_closed_object_schema() {
        let inputs: Vec<InputParameter> = serde_json::from_value(json!([
            {"name": "s", "type": "string", "required": true},
            {"name": "d", "type": "date", "required": true},
            {"name": "n", "type": "number"}
        ]))
        .unwrap();
        let schema = Schema::from_seed_inputs(&inputs);
        let root = rules(&schema.root);
        assert!(matches!(root.additional, Node::Never));
        assert_eq!(
            root.required.iter().map(|r| (r.name.as_str(), r.expected.as_deref())).collect::<Vec<_>>(),
            [("s", Some("string")), ("d", Some("unknown"))]
        );
        let d = rules(root.property("d").unwrap());
        assert!(d.types.is_empty(), "a type this client does not know lets every value through");
        assert_eq!(rules(root.property("n").unwrap()).types, vec![JsonType::Number]);
    }
}
