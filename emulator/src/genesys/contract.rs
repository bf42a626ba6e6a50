//! The catalogue's actions as Genesys Cloud `Action`s (Platform API SDK models `Action`,
//! `ActionContract`, `ActionInput.inputSchema`, `ActionOutput.successSchema`,
//! `JsonSchemaDocument`, `ActionConfig`), and the input check of an execute against the
//! action's input schema.

use serde_json::{json, Map, Value};

use crate::catalogue::{Action, InputDef, OutputDef, ParamType};
use crate::genesys::errors::Detail;

/// The integration every emulated action belongs to.
pub const INTEGRATION_ID: &str = "8b7a4a52-6f1e-4c7b-9d0e-2f5c3a1b9e40";
/// Their category (the integration's name in the platform).
pub const CATEGORY: &str = "Emulator CRM";
/// The JSON Schema draft the platform's contracts name.
pub const SCHEMA_DRAFT: &str = "http://json-schema.org/draft-04/schema#";

/// The path of an action.
pub fn self_uri(id: &str) -> String {
    format!("/api/v2/integrations/actions/{id}")
}

fn type_schema(ty: ParamType) -> Value {
    match ty {
        ParamType::Array => json!({"type": "array", "items": {"type": "string"}}),
        ParamType::Object => json!({"type": "object", "additionalProperties": true}),
        other => json!({"type": other.as_str()}),
    }
}

/// `contract.input.inputSchema`: an object schema of the declared inputs, the required ones
/// listed, nothing else accepted.
pub fn input_schema(action: &Action) -> Value {
    let properties: Map<String, Value> = action
        .inputs
        .iter()
        .map(|input: &InputDef| {
            let mut schema = type_schema(input.ty);
            if let Value::Object(map) = &mut schema {
                map.insert(
                    "description".to_owned(),
                    Value::String(format!("The {} input.", input.name)),
                );
            }
            (input.name.clone(), schema)
        })
        .collect();
    let required: Vec<&str> = action
        .inputs
        .iter()
        .filter(|i| i.required)
        .map(|i| i.name.as_str())
        .collect();
    json!({
        "$schema": SCHEMA_DRAFT,
        "title": format!("{} input", action.name),
        "description": action.description,
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false,
    })
}

/// `contract.output.successSchema`: the outputs a completed execute answers.
pub fn success_schema(action: &Action) -> Value {
    let properties: Map<String, Value> = action
        .outputs
        .iter()
        .map(|output: &OutputDef| (output.name.clone(), type_schema(output.ty)))
        .collect();
    json!({
        "$schema": SCHEMA_DRAFT,
        "title": format!("{} output", action.name),
        "description": format!("What {} answers.", action.name),
        "type": "object",
        "properties": properties,
        "additionalProperties": true,
    })
}

/// `config`: how the platform would call the remote endpoint (shown with `includeConfig=true`).
pub fn config(action: &Action) -> Value {
    json!({
        "timeoutSeconds": action.timeout_seconds,
        "request": {
            "requestUrlTemplate": format!("https://crm.example.com/actions/{}", action.id),
            "requestType": "POST",
            "headers": {"Content-Type": "application/json"},
            "requestTemplate": "${input.rawRequest}",
        },
        "response": {
            "translationMap": {},
            "translationMapDefaults": {},
            "successTemplate": "${rawResult}",
        },
    })
}

/// What a request asks to be shown besides the action's own fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expand {
    /// `expand=contract`.
    pub contract: bool,
    /// `includeConfig=true`.
    pub config: bool,
}

/// An `Action` body.
pub fn action_body(action: &Action, expand: Expand) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), Value::String(action.id.clone()));
    body.insert("name".into(), Value::String(action.name.clone()));
    body.insert("integrationId".into(), Value::String(INTEGRATION_ID.into()));
    body.insert("category".into(), Value::String(CATEGORY.into()));
    if expand.contract {
        body.insert(
            "contract".into(),
            json!({
                "input": {"inputSchema": input_schema(action)},
                "output": {"successSchema": success_schema(action)},
            }),
        );
    }
    body.insert("version".into(), Value::from(action.version));
    body.insert("secure".into(), Value::Bool(false));
    if expand.config {
        body.insert("config".into(), config(action));
    }
    body.insert("selfUri".into(), Value::String(self_uri(&action.id)));
    Value::Object(body)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
    }
}

/// Every way `inputs` breaks the input schema, in a stable order (declared inputs first, in
/// declaration order, then unexpected ones by name), as `(message, detail)`.
pub fn check_inputs(action: &Action, inputs: &Map<String, Value>) -> Vec<(String, Detail)> {
    let mut issues = Vec::new();
    for def in &action.inputs {
        match inputs.get(&def.name) {
            None if def.required => issues.push((
                format!("object has missing required properties ([\"{}\"])", def.name),
                Detail::field("missing.required.property", &def.name),
            )),
            Some(value) if !def.ty.matches(value) => issues.push((
                format!(
                    "instance type ({}) does not match any allowed primitive type (allowed: [\"{}\"]) at /{}",
                    json_kind(value),
                    def.ty.as_str(),
                    def.name
                ),
                Detail::field("invalid.type", &def.name),
            )),
            _ => {}
        }
    }
    for key in action.unknown_inputs(inputs) {
        issues.push((
            format!(
                "object instance has properties which are not allowed by the schema: [\"{key}\"]"
            ),
            Detail::field("additional.property", key.as_str()),
        ));
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    #[test]
    fn lookup_customer_has_a_real_shaped_contract() {
        let catalogue = Catalogue::builtin();
        let action = catalogue.get("lookup-customer").expect("builtin");
        let body = action_body(
            action,
            Expand {
                contract: true,
                config: false,
            },
        );
        let schema = &body["contract"]["input"]["inputSchema"];
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["customerId"]));
        assert_eq!(schema["properties"]["maxResults"]["type"], "integer");
        assert_eq!(schema["additionalProperties"], false);
        let success = &body["contract"]["output"]["successSchema"];
        assert_eq!(success["properties"]["balance"]["type"], "number");
        assert!(body.get("config").is_none());
        assert_eq!(
            body["selfUri"],
            "/api/v2/integrations/actions/lookup-customer"
        );
    }

    #[test]
    fn inputs_are_checked_like_the_schema_says() {
        let catalogue = Catalogue::builtin();
        let action = catalogue.get("lookup-customer").expect("builtin");
        let inputs = json!({"maxResults": "3", "zeta": 1});
        let Value::Object(inputs) = inputs else {
            panic!("object")
        };
        let codes: Vec<(String, Option<String>)> = check_inputs(action, &inputs)
            .into_iter()
            .map(|(_, d)| (d.error_code, d.field_name))
            .collect();
        assert_eq!(
            codes,
            [
                (
                    "missing.required.property".into(),
                    Some("customerId".into())
                ),
                ("invalid.type".into(), Some("maxResults".into())),
                ("additional.property".into(), Some("zeta".into())),
            ]
        );
    }
}
