//! `ActionDefinition` to and from JSON, written out: what `#[derive(Serialize, Deserialize)]`
//! with `#[serde(flatten)] extra` did, field for field and error for error (the known fields read
//! as they stream by, so their errors carry the same positions; `missing field`, `duplicate
//! field` and `expected struct ActionDefinition` as the derive words them), without serde's
//! buffered `Content` for the flattened rest.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::definition::{ActionDefinition, InputParameter, OutputParameter};

impl Serialize for ActionDefinition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("inputs", &self.inputs)?;
        map.serialize_entry("outputs", &self.outputs)?;
        if let Some(schema) = &self.input_schema {
            map.serialize_entry("inputSchema", schema)?;
        }
        if let Some(schema) = &self.output_schema {
            map.serialize_entry("outputSchema", schema)?;
        }
        // `extra` never shadows a known field (a profile may have copied the upstream's own key of
        // that name into it): each key is written once.
        for (key, value) in &self.extra {
            if !matches!(key.as_str(), "id" | "inputs" | "outputs" | "inputSchema" | "outputSchema") {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ActionDefinition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(DefinitionVisitor)
    }
}

struct DefinitionVisitor;

impl<'de> Visitor<'de> for DefinitionVisitor {
    type Value = ActionDefinition;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("struct ActionDefinition")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ActionDefinition, A::Error> {
        let mut id: Option<String> = None;
        let mut inputs: Option<Vec<InputParameter>> = None;
        let mut outputs: Option<Vec<OutputParameter>> = None;
        let mut input_schema: Option<Option<Value>> = None;
        let mut output_schema: Option<Option<Value>> = None;
        let mut extra = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => {
                    not_yet(&id, "id")?;
                    id = Some(map.next_value()?);
                }
                "inputs" => {
                    not_yet(&inputs, "inputs")?;
                    inputs = Some(map.next_value()?);
                }
                "outputs" => {
                    not_yet(&outputs, "outputs")?;
                    outputs = Some(map.next_value()?);
                }
                "inputSchema" => {
                    not_yet(&input_schema, "inputSchema")?;
                    input_schema = Some(map.next_value()?);
                }
                "outputSchema" => {
                    not_yet(&output_schema, "outputSchema")?;
                    output_schema = Some(map.next_value()?);
                }
                _ => {
                    let value: Value = map.next_value()?;
                    extra.insert(key, value);
                }
            }
        }
        Ok(ActionDefinition {
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            inputs: inputs.unwrap_or_default(),
            outputs: outputs.unwrap_or_default(),
            input_schema: input_schema.flatten(),
            output_schema: output_schema.flatten(),
            extra,
        })
    }
}

/// The derive's `duplicate field` error when the field was read already (before its second
/// value is read, as the derive does).
fn not_yet<T, E: de::Error>(slot: &Option<T>, name: &'static str) -> Result<(), E> {
    match slot {
        Some(_) => Err(E::duplicate_field(name)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derived (de)serialiser this file replaces, as it was.
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Derived {
        id: String,
        #[serde(default)]
        inputs: Vec<InputParameter>,
        #[serde(default)]
        outputs: Vec<OutputParameter>,
        #[serde(default, rename = "inputSchema", skip_serializing_if = "Option::is_none")]
        input_schema: Option<Value>,
        #[serde(default, rename = "outputSchema", skip_serializing_if = "Option::is_none")]
        output_schema: Option<Value>,
        #[serde(flatten)]
        extra: Map<String, Value>,
    }

    const TEXTS: &[&str] = &[
        r#"{"id":"a"}"#,
        r#"{"id":"a","name":"A","inputs":[{"name":"x","type":"string","required":true}],"outputs":[{"name":"y","type":"weird"}],"mode":"sync"}"#,
        r#" { "mode" : {"k":[1,2.5,-3,1e400]}, "id" : "b", "inputSchema" : {"type":"object"}, "outputSchema" : null, "z" : null } "#,
        r#"{"name":"no id"}"#,
        r#"{"id":5}"#,
        r#"{"id":"a","id":"b"}"#,
        r#"{"id":"a","inputSchema":{},"inputSchema":1}"#,
        r#"{"id":"a","name":"x","name":"y"}"#,
        r#"{"id":"a","inputs":{}}"#,
        r#"{"id":"a","inputs":[{"type":"string"}]}"#,
        r#"{"id":"a","outputs":[{"name":"o","type":7}]}"#,
        r#"{"id":"a","extra":[1,2,}"#,
        r#"{"id":"a","#,
        r#"["a",[],[]]"#,
        r#""text""#,
        "null",
        "1.5",
        r#"{"id":"a","inputs":null}"#,
        "{\n  \"id\": \"a\",\n  \"x\": tru\n}",
    ];

    #[test]
    fn reads_and_fails_as_the_flattened_derive_did() {
        for text in TEXTS {
            let ours = serde_json::from_slice::<ActionDefinition>(text.as_bytes());
            let derived = serde_json::from_slice::<Derived>(text.as_bytes());
            match (&ours, &derived) {
                (Ok(ours), Ok(derived)) => {
                    assert_eq!(
                        (&ours.id, &ours.inputs, &ours.outputs, &ours.input_schema, &ours.output_schema, &ours.extra),
                        (&derived.id, &derived.inputs, &derived.outputs, &derived.input_schema, &derived.output_schema, &derived.extra),
                        "{text}"
                    );
                    assert_eq!(serde_json::to_string(ours).unwrap(), serde_json::to_string(derived).unwrap(), "{text}");
                }
                (Err(ours), Err(derived)) => {
                    assert_eq!(ours.to_string(), derived.to_string().replace("struct Derived", "struct ActionDefinition"), "{text}")
                }
                _ => panic!("{text}: {ours:?} against {derived:?}"),
            }
            // From a JSON value too (the JS bindings' definitions, the tests' `from_value`).
            if let Ok(value) = serde_json::from_str::<Value>(text) {
                let ours = serde_json::from_value::<ActionDefinition>(value.clone()).map_err(|e| e.to_string());
                let derived = serde_json::from_value::<Derived>(value)
                    .map_err(|e| e.to_string().replace("struct Derived", "struct ActionDefinition"));
                assert_eq!(ours.map(|d| d.id), derived.map(|d| d.id), "{text}");
            }
        }
    }

    #[test]
    fn an_extra_key_named_like_a_field_is_not_written_twice() {
        let mut extra = Map::new();
        extra.insert("inputs".into(), Value::String("the upstream's own".into()));
        extra.insert("inputSchema".into(), Value::Bool(true));
        extra.insert("mode".into(), Value::String("sync".into()));
        let definition = ActionDefinition {
            id: "a".into(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            input_schema: Some(serde_json::json!({"type": "object"})),
            output_schema: None,
            extra,
        };
        let text = serde_json::to_string(&definition).unwrap();
        assert_eq!(text, r#"{"id":"a","inputs":[],"outputs":[],"inputSchema":{"type":"object"},"mode":"sync"}"#);
    }
}
