//! Action definitions: the request that fetches one, its answer, and a cache with a TTL that
//! revalidates with the ETag when the upstream sent one.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::error::DataActionsError;
use super::http::{HttpRequest, HttpResponse, Method, RequestPurpose};
use super::json::unit_variant;
use super::schema::Schema;

/// The type of an input or output parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// A JSON string.
    String,
    /// Any finite JSON number.
    Number,
    /// A JSON number without a fractional part.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// A JSON array.
    Array,
    /// A JSON object.
    Object,
    /// A type this client does not know: values pass unchecked.
    Unknown,
}

impl<'de> Deserialize<'de> for ParamType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use ParamType::*;
        let names = &["string", "number", "integer", "boolean", "array", "object", "unknown"];
        unit_variant(deserializer, "enum ParamType", names, &[String, Number, Integer, Boolean, Array, Object, Unknown], Some(Unknown))
    }
}

impl ParamType {
    /// The type of that name, as the derived `Deserialize` reads it (`Unknown` for any other).
    pub fn from_name(name: &str) -> ParamType {
        [ParamType::String, ParamType::Number, ParamType::Integer, ParamType::Boolean, ParamType::Array, ParamType::Object]
            .into_iter()
            .find(|known| known.as_str() == name)
            .unwrap_or(ParamType::Unknown)
    }

    /// The type's name in definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Number => "number",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
            ParamType::Array => "array",
            ParamType::Object => "object",
            ParamType::Unknown => "unknown",
        }
    }
}

/// One declared input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputParameter {
    /// Its name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub param_type: ParamType,
    /// Whether it must be given.
    #[serde(default)]
    pub required: bool,
}

/// One declared output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputParameter {
    /// Its name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub param_type: ParamType,
}

/// An action's definition. Fields this client does not model are kept in `extra` and handed on.
///
/// As JSON: `{id, inputs?, outputs?, inputSchema?, outputSchema?, ...extra}`. Its `Serialize`
/// and `Deserialize` are written out (`definition_serde`) rather than derived with
/// `#[serde(flatten)]`: the same answers and the same errors, without the buffering
/// (`Content`) the flattened derive compiles in: ≈ 8 KB of the package's wasm, 2.6 KB gzipped
/// (BENCHMARKS.md, "npm package").
#[derive(Debug, Clone, PartialEq)]
pub struct ActionDefinition {
    /// The action id.
    pub id: String,
    /// Declared inputs (`[]` when absent).
    pub inputs: Vec<InputParameter>,
    /// Declared outputs (`[]` when absent).
    pub outputs: Vec<OutputParameter>,
    /// The inputs as a JSON Schema (an object schema), where the upstream has one (Genesys Cloud's
    /// `contract.input.inputSchema`); without it the inputs are checked against `inputs`. JSON
    /// name `inputSchema`, left out when `None`.
    pub input_schema: Option<Value>,
    /// The outputs as a JSON Schema (Genesys Cloud's `contract.output.successSchema`); outputs are
    /// coerced by it, else by `outputs`. JSON name `outputSchema`, left out when `None`.
    pub output_schema: Option<Value>,
    /// Everything else the upstream sent (name, description, mode...), beside the fields above.
    pub extra: Map<String, Value>,
}

impl ActionDefinition {
    /// Reads a definition held as a JSON value (the JS bindings' arguments and proxy answers).
    /// Through its JSON text, so that the wasm builds carry one copy of the (flattened, so large)
    /// derived deserialiser, the one [`parse_definition_response`] uses, not a second one for
    /// `Value` (about 7 KB of wasm, BENCHMARKS.md "npm package").
    pub fn from_json_value(value: &Value) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(&serde_json::to_vec(value)?)
    }

    /// The declared input of that name.
    pub fn input(&self, name: &str) -> Option<&InputParameter> {
        self.inputs.iter().find(|p| p.name == name)
    }
}

/// Action ids travel in URL paths and KV keys: 1 to 128 characters of `[A-Za-z0-9_.-]`, not made
/// of dots alone (`.` and `..` are dot segments, which URL parsers resolve: `/data-actions/..`
/// would be `/api/v2/`).
pub fn check_action_id(action_id: &str) -> Result<(), DataActionsError> {
    let valid = !action_id.is_empty()
        && action_id.len() <= 128
        && action_id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !action_id.bytes().all(|b| b == b'.');
    if valid {
        Ok(())
    } else {
        Err(DataActionsError::BadInput {
            message: "action id must be 1 to 128 characters of letters, digits, '_', '.' or '-', not only dots".into(),
        })
    }
}

/// What a successful definition answer meant.
#[derive(Debug, Clone, PartialEq)]
pub enum DefinitionAnswer {
    /// 200: a definition, with its ETag if any.
    Fetched(ActionDefinition, Option<String>),
    /// 304: the cached one is still current.
    NotModified,
}

/// The definition GET of `url` (each profile says where a definition lives), conditional
/// (`If-None-Match`) when an ETag is known.
pub fn definition_get(url: String, etag: Option<&str>, timeout_ms: u64) -> HttpRequest {
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    if let Some(etag) = etag {
        headers.push(("if-none-match".into(), etag.to_string()));
    }
    HttpRequest { purpose: RequestPurpose::Definition, method: Method::Get, url, headers, body: None, timeout_ms, needs_auth: true }
}

/// Reads a 200 or 304 answer.
pub fn parse_definition_response(response: &HttpResponse) -> Result<DefinitionAnswer, DataActionsError> {
    if response.status == 304 {
        return Ok(DefinitionAnswer::NotModified);
    }
    let definition: ActionDefinition =
        serde_json::from_slice(&response.body).map_err(|e| DataActionsError::Upstream {
            correlation_id: None,
            status: response.status,
            upstream_code: None,
            message: format!("malformed action definition (line {}, column {})", e.line(), e.column()),
            invoke_id: None,
            retryable: false,
        })?;
    for (field, schema) in [("inputSchema", &definition.input_schema), ("outputSchema", &definition.output_schema)] {
        if let Some(Err(e)) = schema.as_ref().map(Schema::compile) {
            return Err(DataActionsError::Upstream {
                correlation_id: None,
                status: response.status,
                upstream_code: None,
                message: format!("malformed action definition: its {field} is not a usable JSON Schema: {e}"),
                invoke_id: None,
                retryable: false,
            });
        }
    }
    if check_action_id(&definition.id).is_err() {
        return Err(DataActionsError::Upstream {
            correlation_id: None,
            status: response.status,
            upstream_code: None,
            message: "malformed action definition: its id is not a valid action id".into(),
            invoke_id: None,
            retryable: false,
        });
    }
    Ok(DefinitionAnswer::Fetched(definition, response.header("etag").map(str::to_string)))
}

#[derive(Debug, Clone)]
struct CachedDefinition {
    definition: ActionDefinition,
    etag: Option<String>,
    fetched_at_ms: u64,
}

/// What the cache holds for an action.
#[derive(Debug, Clone, PartialEq)]
pub enum DefinitionLookup<'a> {
    /// Fresh: use it without asking the upstream.
    Fresh(&'a ActionDefinition),
    /// Expired: ask again (conditionally, with the ETag if there is one).
    Stale {
        /// The ETag of the cached copy.
        etag: Option<&'a str>,
    },
    /// Never fetched.
    Missing,
}

/// Definitions by action id, each reused for `ttl_ms`. Bounded: the oldest entry goes first.
#[derive(Debug, Clone)]
pub struct DefinitionCache {
    entries: HashMap<String, CachedDefinition>,
    ttl_ms: u64,
    capacity: usize,
}

impl DefinitionCache {
    /// An empty cache.
    pub fn new(ttl_ms: u64) -> Self {
        DefinitionCache { entries: HashMap::new(), ttl_ms, capacity: 512 }
    }

    /// What the cache holds for `action_id` at `now_ms`.
    pub fn lookup(&self, action_id: &str, now_ms: u64) -> DefinitionLookup<'_> {
        match self.entries.get(action_id) {
            None => DefinitionLookup::Missing,
            Some(entry) if now_ms.saturating_sub(entry.fetched_at_ms) < self.ttl_ms => {
                DefinitionLookup::Fresh(&entry.definition)
            }
            Some(entry) => DefinitionLookup::Stale { etag: entry.etag.as_deref() },
        }
    }

    /// Applies an answer and returns the current definition.
    pub fn apply(
        &mut self,
        action_id: &str,
        answer: DefinitionAnswer,
        now_ms: u64,
    ) -> Result<ActionDefinition, DataActionsError> {
        match answer {
            DefinitionAnswer::Fetched(definition, etag) => {
                // The invoke and status URLs are built from this id: it must be the one asked for.
                if definition.id != action_id {
                    return Err(DataActionsError::Upstream {
                        correlation_id: None,
                        status: 200,
                        upstream_code: None,
                        message: "the upstream answered the definition of another action".into(),
                        invoke_id: None,
                        retryable: false,
                    });
                }
                if self.entries.len() >= self.capacity && !self.entries.contains_key(action_id) {
                    let oldest = self
                        .entries
                        .iter()
                        .min_by_key(|(_, e)| e.fetched_at_ms)
                        .map(|(k, _)| k.clone());
                    if let Some(oldest) = oldest {
                        self.entries.remove(&oldest);
                    }
                }
                self.entries.insert(
                    action_id.to_string(),
                    CachedDefinition { definition: definition.clone(), etag, fetched_at_ms: now_ms },
                );
                Ok(definition)
            }
            DefinitionAnswer::NotModified => match self.entries.get_mut(action_id) {
                Some(entry) => {
                    entry.fetched_at_ms = now_ms;
                    Ok(entry.definition.clone())
                }
                None => Err(DataActionsError::Upstream {
                    correlation_id: None,
                    status: 304,
                    upstream_code: None,
                    message: "304 Not Modified for a definition that is not cached".into(),
                    invoke_id: None,
                    retryable: true,
                }),
            },
        }
    }

    /// Drops one action's definition (or all when `None`).
    pub fn forget(&mut self, action_id: Option<&str>) {
        match action_id {
            Some(id) => {
                self.entries.remove(id);
            }
            None => self.entries.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::profile::cxone_seed::definition_request;
    use serde_json::json;

    fn definition_json() -> Value {
        json!({"id": "lookup", "name": "Lookup", "inputs": [{"name": "customerId", "type": "string", "required": true}],
               "outputs": [{"name": "tier", "type": "string"}]})
    }

    #[test]
    fn fresh_then_stale_then_revalidated_by_etag() {
        let mut cache = DefinitionCache::new(1_000);
        assert_eq!(cache.lookup("lookup", 0), DefinitionLookup::Missing);
        let answer = parse_definition_response(&HttpResponse::json(200, &definition_json()).with_header("ETag", "\"v1\"")).unwrap();
        let definition = cache.apply("lookup", answer, 0).unwrap();
        assert_eq!(definition.extra.get("name"), Some(&json!("Lookup")));
        assert!(matches!(cache.lookup("lookup", 999), DefinitionLookup::Fresh(_)));
        assert_eq!(cache.lookup("lookup", 1_000), DefinitionLookup::Stale { etag: Some("\"v1\"") });
        let not_modified = parse_definition_response(&HttpResponse { status: 304, ..Default::default() }).unwrap();
        cache.apply("lookup", not_modified, 1_000).unwrap();
        assert!(matches!(cache.lookup("lookup", 1_500), DefinitionLookup::Fresh(_)));
    }

    #[test]
    fn conditional_request_carries_the_etag() {
        let config = crate::core::config::ClientConfig::from_json(
            r#"{"baseUrl":"http://h:1/","clientId":"i","clientSecret":"s"}"#,
        )
        .unwrap();
        let request = definition_request(&config, "a.b-c_1", Some("\"v1\""));
        assert_eq!(request.url, "http://h:1/api/v2/data-actions/a.b-c_1");
        assert_eq!(request.header("If-None-Match"), Some("\"v1\""));
        assert!(request.needs_auth);
    }

    #[test]
    fn type_names_read_as_the_derived_deserializer_reads_them() {
        for name in ["string", "number", "integer", "boolean", "array", "object", "unknown", "String", "date", "", "null"] {
            assert_eq!(ParamType::from_name(name), serde_json::from_value::<ParamType>(json!(name)).unwrap(), "{name}");
        }
    }

    #[test]
    fn action_ids_are_checked() {
        assert!(check_action_id("lookup-customer_v2.1").is_ok());
        for ok in ["a.", ".a", "a..b", "..a", "v1.2", "-", "_"] {
            assert!(check_action_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "...", "a/b", "a b", "../x", "%2e%2e", "a\0", "é", &"x".repeat(129)] {
            assert_eq!(check_action_id(bad).unwrap_err().code(), "bad_input", "{bad}");
        }
    }

    #[test]
    fn a_definition_with_an_unsafe_or_other_id_is_refused() {
        for id in ["..", ".", "a/b", ""] {
            let response = HttpResponse::json(200, &json!({"id": id}));
            let err = parse_definition_response(&response).unwrap_err();
            assert_eq!((err.code(), err.retryable()), ("upstream", false), "{id}");
        }
        let mut cache = DefinitionCache::new(1_000);
        let answer = parse_definition_response(&HttpResponse::json(200, &json!({"id": "other"}))).unwrap();
        let err = cache.apply("lookup", answer, 0).unwrap_err();
        assert!(err.to_string().contains("another action"), "{err}");
        assert_eq!(cache.lookup("lookup", 0), DefinitionLookup::Missing);
    }

    #[test]
    fn schemas_are_optional_fields_checked_when_the_definition_is_read() {
        let plain: ActionDefinition = serde_json::from_value(definition_json()).unwrap();
        assert_eq!((plain.input_schema.as_ref(), plain.output_schema.as_ref()), (None, None));
        let text = serde_json::to_string(&plain).unwrap();
        assert!(!text.contains("inputSchema") && !text.contains("outputSchema"), "{text}");

        let mut with = definition_json();
        with["inputSchema"] = json!({"type": "object", "properties": {"customerId": {"type": "string"}}});
        with["outputSchema"] = json!({"type": "object"});
        let answer = parse_definition_response(&HttpResponse::json(200, &with)).unwrap();
        let DefinitionAnswer::Fetched(definition, _) = answer else { panic!("{answer:?}") };
        assert_eq!(definition.input_schema.as_ref(), Some(&with["inputSchema"]));
        assert!(!definition.extra.contains_key("inputSchema"), "not duplicated into extra");
        let back = serde_json::to_value(&definition).unwrap();
        assert_eq!((&back["inputSchema"], &back["outputSchema"]), (&with["inputSchema"], &with["outputSchema"]));

        for (field, schema) in [("inputSchema", json!({"type": "date"})), ("outputSchema", json!("object"))] {
            let mut bad = definition_json();
            bad[field] = schema;
            let err = parse_definition_response(&HttpResponse::json(200, &bad)).unwrap_err();
            assert_eq!((err.code(), err.retryable()), ("upstream", false));
            assert!(err.to_string().contains(&format!("its {field} is not a usable JSON Schema")), "{err}");
        }
    }

    #[test]
    fn unknown_types_are_kept_as_unknown() {
        let value = json!({"id": "x", "inputs": [{"name": "d", "type": "date"}]});
        let definition: ActionDefinition = serde_json::from_value(value).unwrap();
        assert_eq!(definition.inputs[0].param_type, ParamType::Unknown);
        assert!(!definition.inputs[0].required);
    }
}
