//! The `genesys-cloud` profile: Genesys Cloud's integration (data) actions, from the public
//! Platform API SDK models (`Action`, `ActionContract`, `JsonSchemaDocument`, `ActionEntityListing`,
//! `ErrorBody`).
//!
//! - Token: `POST https://login.{region}/oauth/token`, `Authorization: Basic base64(id:secret)`,
//!   form `grant_type=client_credentials`; answered `{access_token, token_type, expires_in}`.
//! - Definition: `GET https://api.{region}/api/v2/integrations/actions/{id}?expand=contract&flatten=false`:
//!   an `Action` whose `contract.input.inputSchema` and `contract.output.successSchema` are JSON
//!   Schema documents. They become the definition's `inputSchema` / `outputSchema`, and their
//!   top-level properties its `inputs` / `outputs`; everything else (`name`, `category`,
//!   `integrationId`, `version`, `secure`, `config.timeoutSeconds`…) is kept as it came, with
//!   `mode: "sync"` added.
//! - Execute: `POST …/{id}/execute` with the input object itself as the body; the answer is the
//!   success-schema object (the outputs). Synchronous only: the action's `config.timeoutSeconds`
//!   (1–60 s) bounds it, so asynchronous options (`callbackUrl`, `maxPollMs`, status requests)
//!   are refused with `not_supported_by_profile` instead of being pretended.
//! - List: `GET …/integrations/actions?pageSize=N&pageNumber=P` (`entities`, `nextUri`); the
//!   page token is the next page number.
//! - Errors: `ErrorBody {message, code, status, messageWithParams, messageParams, contextId,
//!   details: [{errorCode, fieldName}], errors: [ErrorBody]}`; `contextId` is kept as the
//!   upstream's correlation id; a 400 on execute means the inputs were refused.

use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::core::action_list::{ActionList, ActionPage, ActionSummary, MAX_PAGE_SIZE};
use crate::core::audit::payload_hash;
use crate::core::config::ClientConfig;
use crate::core::definition::{check_action_id, definition_get, ActionDefinition, DefinitionAnswer, InputParameter, OutputParameter, ParamType};
use crate::core::error::{parameter_pointer, DataActionsError, IssueKind, UpstreamError, UpstreamErrorBody, ValidationIssue};
use crate::core::http::{encode_path_segment, form_encode, HttpRequest, HttpResponse, Method, RequestPurpose};
use crate::core::invocation::{invoke_post, InvocationStatus, InvokeOptions};
use crate::core::operation::SingleRequest;
use crate::core::schema::Schema;
use crate::core::token::{parse_token_answer, TokenRecord};

use super::Profile;

/// The largest page number this client asks for (page tokens are page numbers).
pub const MAX_PAGE_NUMBER: u64 = 1_000_000;

/// Whether this status on this request means the inputs were refused: a 400 (or 422) on execute.
pub fn inputs_rejected(status: u16, purpose: RequestPurpose) -> bool {
    purpose == RequestPurpose::Invoke && matches!(status, 400 | 422)
}

/// The token request: HTTP Basic client authentication, `grant_type=client_credentials`.
pub fn token_request(config: &ClientConfig) -> HttpRequest {
    let credentials = format!("{}:{}", config.client_id, config.client_secret.expose());
    let basic = base64::engine::general_purpose::STANDARD.encode(credentials.as_bytes());
    HttpRequest {
        purpose: RequestPurpose::Token,
        method: Method::Post,
        url: config.token_url.clone(),
        headers: vec![
            ("authorization".into(), format!("Basic {basic}")),
            ("content-type".into(), "application/x-www-form-urlencoded".into()),
            ("accept".into(), "application/json".into()),
        ],
        body: Some(form_encode(&[("grant_type", "client_credentials")]).into_bytes()),
        timeout_ms: config.request_timeout_ms,
        needs_auth: false,
    }
}

/// The token operation.
pub fn token_operation(config: &ClientConfig) -> SingleRequest<TokenRecord> {
    fn parse(response: &HttpResponse, now_ms: u64) -> Result<TokenRecord, DataActionsError> {
        parse_token_answer(response, now_ms, Profile::GenesysCloud)
    }
    SingleRequest::of_profile(token_request(config), parse, Profile::GenesysCloud)
}

/// `{base}/api/v2/integrations/actions/{id}`.
pub fn action_url(base_url: &str, action_id: &str) -> String {
    format!("{base_url}/api/v2/integrations/actions/{}", encode_path_segment(action_id))
}

/// The definition request: the action with its contract, as JSON Schema (not flattened).
pub fn definition_request(config: &ClientConfig, action_id: &str, etag: Option<&str>) -> HttpRequest {
    let url = format!("{}?expand=contract&flatten=false", action_url(&config.base_url, action_id));
    definition_get(url, etag, config.request_timeout_ms)
}

/// The definition operation.
pub fn definition_operation(config: &ClientConfig, action_id: &str, etag: Option<&str>) -> SingleRequest<DefinitionAnswer> {
    fn parse(response: &HttpResponse, _now: u64) -> Result<DefinitionAnswer, DataActionsError> {
        match response.status {
            304 => Ok(DefinitionAnswer::NotModified),
            200 => parse_action(response),
            _ => Err(Profile::GenesysCloud.response_error(response, RequestPurpose::Definition, None)),
        }
    }
    SingleRequest::of_profile(definition_request(config, action_id, etag), parse, Profile::GenesysCloud)
}

fn malformed(status: u16, what: &str) -> DataActionsError {
    DataActionsError::Upstream {
        correlation_id: None,
        status,
        upstream_code: None,
        message: format!("malformed Genesys Cloud action: {what}"),
        invoke_id: None,
        retryable: false,
    }
}

/// Reads an `Action` (with its contract) into a definition.
pub fn parse_action(response: &HttpResponse) -> Result<DefinitionAnswer, DataActionsError> {
    let value: Value = serde_json::from_slice(&response.body)
        .map_err(|e| malformed(response.status, &format!("line {}, column {}", e.line(), e.column())))?;
    let definition = action_definition(value).map_err(|what| malformed(response.status, what))?;
    Ok(DefinitionAnswer::Fetched(definition, response.header("etag").map(str::to_string)))
}

/// An `Action` as a definition; the error says what is wrong with it.
pub fn action_definition(value: Value) -> Result<ActionDefinition, &'static str> {
    let Value::Object(extra) = value else { return Err("not a JSON object") };
    let id = match extra.get("id") {
        Some(Value::String(id)) if check_action_id(id).is_ok() => id.clone(),
        _ => return Err("its id is missing or not a valid action id"),
    };
    let schema_at = |path: [&str; 3]| -> Result<Option<Value>, &'static str> {
        let found = extra.get(path[0]).and_then(|v| v.get(path[1])).and_then(|v| v.get(path[2]));
        match found {
            None | Some(Value::Null) => Ok(None),
            Some(schema @ Value::Object(_)) => Ok(Some(schema.clone())),
            Some(_) => Err("a contract schema is not a JSON object"),
        }
    };
    let input_schema = schema_at(["contract", "input", "inputSchema"])?;
    let output_schema = schema_at(["contract", "output", "successSchema"])?;
    let inputs = input_schema.as_ref().map(input_parameters).unwrap_or_default();
    let outputs = output_schema
        .as_ref()
        .map(|schema| properties(schema).map(|(name, param_type, _)| OutputParameter { name, param_type }).collect())
        .unwrap_or_default();
    // The validator must be able to use them (the subset src/core/schema.rs knows).
    for schema in [&input_schema, &output_schema].into_iter().flatten() {
        if Schema::compile(schema).is_err() {
            return Err("a contract schema is not a usable JSON Schema");
        }
    }
    // The contract is carried once, as the two schemas. (A new map rather than `Map::remove`: the
    // B-tree's removal code is about 5 KB of wasm that nothing else in the npm package needs.)
    let mut kept = Map::new();
    for (key, value) in extra {
        if !matches!(key.as_str(), "id" | "contract") {
            kept.insert(key, value);
        }
    }
    kept.insert("mode".into(), Value::String("sync".into()));
    Ok(ActionDefinition { id, inputs, outputs, input_schema, output_schema, extra: kept })
}

fn input_parameters(schema: &Value) -> Vec<InputParameter> {
    let required: Vec<&str> = schema.get("required").and_then(Value::as_array).map(|l| l.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    properties(schema)
        .map(|(name, param_type, _)| {
            let is_required = required.contains(&name.as_str());
            InputParameter { name, param_type, required: is_required }
        })
        .collect()
}

/// The top-level properties of an object schema: name, type (the first non-null one of a type
/// list), and the property's schema.
fn properties(schema: &Value) -> impl Iterator<Item = (String, ParamType, &Value)> {
    schema.get("properties").and_then(Value::as_object).into_iter().flatten().map(|(name, property)| {
        let type_name = match property.get("type") {
            Some(Value::String(name)) => Some(name.as_str()),
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).find(|name| *name != "null"),
            _ => None,
        };
        let param_type = type_name.map_or(ParamType::Unknown, ParamType::from_name);
        (name.clone(), param_type, property)
    })
}

/// Refuses the asynchronous options: Genesys Cloud's execute answers once, within the action's
/// timeout, and never calls back.
pub fn check_invoke_options(options: &InvokeOptions) -> Result<(), DataActionsError> {
    let profile = Profile::GenesysCloud;
    if options.callback_url.is_some() {
        return Err(profile.not_supported("`callbackUrl`: Genesys Cloud data actions run synchronously and never call back"));
    }
    if options.max_poll_ms.is_some() {
        return Err(profile.not_supported("`maxPollMs`: Genesys Cloud data actions run synchronously (within the action's config.timeoutSeconds, at most 60 s) and are never polled"));
    }
    if options.context.as_ref().is_some_and(|context| context.as_object().is_none_or(|object| !object.is_empty())) {
        return Err(profile.not_supported("`context`: Genesys Cloud's execute takes the input object alone; there is nowhere to send a context"));
    }
    Ok(())
}

/// The execute request (`POST {action}/execute` with the inputs as the body) and the audit hash
/// of `{inputs, context}` (as for every profile).
pub fn invoke_request(config: &ClientConfig, definition: &ActionDefinition, inputs: Map<String, Value>, options: &InvokeOptions) -> (HttpRequest, String) {
    let body = Value::Object(inputs);
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut audited = Map::new();
    audited.insert("inputs".into(), body);
    audited.insert("context".into(), options.context.clone().unwrap_or_else(|| Value::Object(Map::new())));
    let hash = payload_hash(&Value::Object(audited));
    let url = format!("{}/execute", action_url(&config.base_url, &definition.id));
    (invoke_post(url, bytes, config.request_timeout_ms), hash)
}

/// Reads the execute answer: a 200 whose body is the outputs object. Anything else that is a
/// success is not Genesys Cloud's (its execute is synchronous).
pub fn read_invoke_answer(response: &HttpResponse) -> Result<InvocationStatus, DataActionsError> {
    if response.status != 200 {
        return Err(DataActionsError::Upstream {
            correlation_id: None,
            status: response.status,
            upstream_code: None,
            message: format!("execute answered HTTP {}: Genesys Cloud data actions answer 200 with their outputs", response.status),
            invoke_id: None,
            retryable: false,
        });
    }
    match serde_json::from_slice::<Value>(&response.body) {
        Ok(Value::Object(outputs)) => Ok(InvocationStatus { invoke_id: String::new(), status: "completed".into(), outputs, errors: Vec::new() }),
        _ => Err(DataActionsError::Upstream {
            correlation_id: None,
            status: 200,
            upstream_code: None,
            message: "the execute answer is not a JSON object (the action's success schema)".into(),
            invoke_id: None,
            retryable: false,
        }),
    }
}

/// The request for one page: `page_token` is a page number (2, 3…) as the previous page gave it.
pub fn list_request(config: &ClientConfig, page_token: Option<&str>, page_size: u32) -> Result<HttpRequest, DataActionsError> {
    let bad = |message: String| DataActionsError::BadInput { message };
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(bad(format!("the page size must be from 1 to {MAX_PAGE_SIZE}")));
    }
    let page_number = match page_token {
        None => 1,
        Some(token) => match token.parse::<u64>() {
            Ok(number) if (1..=MAX_PAGE_NUMBER).contains(&number) && token.bytes().all(|b| b.is_ascii_digit()) => number,
            _ => return Err(bad(format!("a genesys-cloud page token is a page number from 1 to {MAX_PAGE_NUMBER}"))),
        },
    };
    Ok(HttpRequest {
        purpose: RequestPurpose::List,
        method: Method::Get,
        url: format!("{}/api/v2/integrations/actions?pageSize={page_size}&pageNumber={page_number}", config.base_url),
        headers: vec![("accept".to_string(), "application/json".to_string())],
        body: None,
        timeout_ms: config.request_timeout_ms,
        needs_auth: true,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionEntityListing {
    #[serde(default)]
    entities: Vec<Value>,
    #[serde(default)]
    page_number: Option<u64>,
    #[serde(default)]
    next_uri: Option<String>,
}

/// Reads an `ActionEntityListing`. Entries whose id this client could not use are left out; the
/// next page's token is the page number `nextUri` names (or this page's number plus one).
pub fn parse_list_response(response: &HttpResponse, _now_ms: u64) -> Result<ActionList, DataActionsError> {
    match response.status {
        200 => {}
        404 | 405 | 501 => return Ok(ActionList::Unsupported { status: response.status }),
        _ => return Err(Profile::GenesysCloud.response_error(response, RequestPurpose::List, None)),
    }
    let body: ActionEntityListing = serde_json::from_slice(&response.body).map_err(|e| DataActionsError::Upstream {
        correlation_id: None,
        status: response.status,
        upstream_code: None,
        message: format!("malformed action list: line {}, column {}", e.line(), e.column()),
        invoke_id: None,
        retryable: false,
    })?;
    let actions = body
        .entities
        .iter()
        .filter_map(|entity| {
            let id = entity.get("id").and_then(Value::as_str).filter(|id| check_action_id(id).is_ok())?;
            let name = entity.get("name").and_then(Value::as_str).map(str::to_string);
            Some(ActionSummary { id: id.to_string(), name, mode: Some("sync".into()) })
        })
        .collect();
    let next_page_token = body.next_uri.filter(|uri| !uri.is_empty()).and_then(|uri| {
        let named = uri
            .split(['?', '&'])
            .find_map(|pair| pair.strip_prefix("pageNumber="))
            .and_then(|number| number.parse::<u64>().ok());
        named.or_else(|| body.page_number.map(|n| n.saturating_add(1))).filter(|n| (1..=MAX_PAGE_NUMBER).contains(n)).map(|n| n.to_string())
    });
    Ok(ActionList::Page(ActionPage { actions, next_page_token }))
}

/// The list operation of one page.
pub fn list_operation(config: &ClientConfig, page_token: Option<&str>, page_size: u32) -> Result<SingleRequest<ActionList>, DataActionsError> {
    Ok(SingleRequest::of_profile(list_request(config, page_token, page_size)?, parse_list_response, Profile::GenesysCloud))
}

/// Reads an `ErrorBody` (the login service's OAuth errors `{error, error_description}` too): its
/// `code` and `message` first, then its nested `errors[]`; `contextId` as the correlation id;
/// `details[].fieldName` as input issues.
pub fn read_error_body(body: &[u8]) -> UpstreamErrorBody {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return UpstreamErrorBody::default();
    };
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let entry = |value: &Value| -> Option<UpstreamError> {
        let message = text(value, "message").or_else(|| text(value, "messageWithParams"));
        let code = text(value, "code");
        if message.is_none() && code.is_none() {
            return None;
        }
        Some(UpstreamError {
            code: code.unwrap_or_else(|| "UNKNOWN".into()),
            message: message.unwrap_or_else(|| "no message".into()),
        })
    };
    let mut errors: Vec<UpstreamError> = entry(&value).into_iter().collect();
    if let Some(nested) = value.get("errors").and_then(Value::as_array) {
        errors.extend(nested.iter().filter_map(entry));
    }
    if errors.is_empty() {
        if let Some(code) = text(&value, "error") {
            let message = text(&value, "error_description").or_else(|| text(&value, "description")).unwrap_or_else(|| code.clone());
            errors.push(UpstreamError { code, message });
        }
    }
    let issues = value
        .get("details")
        .and_then(Value::as_array)
        .map(|details| {
            details
                .iter()
                .filter_map(|detail| {
                    let field = text(detail, "fieldName")?;
                    let code = text(detail, "errorCode").unwrap_or_else(|| "invalid".into());
                    let lower = code.to_ascii_lowercase();
                    let kind = if lower.contains("required") || lower.contains("missing") {
                        IssueKind::MissingRequired
                    } else if lower.contains("unknown") || lower.contains("unrecognized") || lower.contains("additional") {
                        IssueKind::UnknownParameter
                    } else {
                        IssueKind::WrongType
                    };
                    Some(ValidationIssue { message: format!("`{field}`: {code}"), pointer: parameter_pointer(&field), parameter: field, kind, expected: None })
                })
                .collect()
        })
        .unwrap_or_default();
    UpstreamErrorBody { errors, correlation_id: text(&value, "contextId"), issues }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::ConfigInput;
    use crate::core::operation::{Operation, Step};
    use crate::core::retry::RetryGovernor;
    use serde_json::json;

    fn config() -> ClientConfig {
        ClientConfig::from_input(ConfigInput {
            profile: Some("genesys-cloud".into()),
            region: Some("usw2.pure.cloud".into()),
            client_id: Some("3a7b-client".into()),
            client_secret: Some("s3cr3t:value".into()),
            ..Default::default()
        })
        .unwrap()
    }

    /// An `Action` as `GET /api/v2/integrations/actions/{id}?expand=contract&flatten=false`
    /// answers it (shape of the Platform API SDK's Action, ActionContract, ActionInput,
    /// ActionOutput, JsonSchemaDocument and ActionConfig models).
    fn recorded_action() -> Value {
        json!({
            "id": "custom_-_3af155c2-20c5-4c44-babf-f0a9eb041a47",
            "name": "Lookup customer by phone",
            "integrationId": "b8e1f5b2-7c4a-4c1e-9a51-2c1f0d6e1a10",
            "category": "CRM",
            "contract": {
                "input": {
                    "inputSchema": {
                        "$schema": "http://json-schema.org/draft-04/schema#",
                        "title": "Lookup request",
                        "description": "The customer to look up",
                        "type": "object",
                        "required": ["phoneNumber"],
                        "properties": {
                            "phoneNumber": {"type": "string", "description": "E.164 number"},
                            "maxResults": {"type": "integer"},
                            "includeClosed": {"type": "boolean"}
                        },
                        "additionalProperties": true
                    }
                },
                "output": {
                    "successSchema": {
                        "type": "object",
                        "properties": {
                            "customerId": {"type": "string"},
                            "lifetimeValue": {"type": "number"},
                            "tier": {"type": ["string", "null"], "enum": ["gold", "silver", null]}
                        },
                        "additionalProperties": true
                    }
                }
            },
            "version": 3,
            "secure": false,
            "config": {
                "timeoutSeconds": 20,
                "request": {"requestUrlTemplate": "https://crm.example/customers?phone=${input.phoneNumber}", "requestType": "GET", "headers": {}, "requestTemplate": "${input.rawRequest}"},
                "response": {"translationMap": {}, "successTemplate": "${rawResult}"}
            },
            "selfUri": "/api/v2/integrations/actions/custom_-_3af155c2-20c5-4c44-babf-f0a9eb041a47"
        })
    }

    /// An `ErrorBody` as the platform answers a refused execute.
    fn recorded_error_body() -> Value {
        json!({
            "message": "Request body did not match the action's input contract",
            "code": "bad.request",
            "status": 400,
            "messageWithParams": "Request body did not match the action's input contract: {reason}",
            "messageParams": {"reason": "phoneNumber is required"},
            "contextId": "7c8a1f33-4a8e-4f5e-9a0c-5b3c1b2d9e77",
            "details": [{"errorCode": "required.field.missing", "fieldName": "phoneNumber"}],
            "errors": []
        })
    }

    #[test]
    fn the_region_gives_the_api_and_login_hosts() {
        let config = config();
        assert_eq!(config.profile, Profile::GenesysCloud);
        assert_eq!(config.base_url, "https://api.usw2.pure.cloud");
        assert_eq!(config.token_url, "https://login.usw2.pure.cloud/oauth/token");
    }

    #[test]
    fn the_token_request_is_basic_authenticated_client_credentials() {
        let request = token_request(&config());
        assert_eq!((request.method, request.url.as_str()), (Method::Post, "https://login.usw2.pure.cloud/oauth/token"));
        // base64("3a7b-client:s3cr3t:value")
        assert_eq!(request.header("authorization"), Some("Basic M2E3Yi1jbGllbnQ6czNjcjN0OnZhbHVl"));
        assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(request.body.as_deref(), Some(&b"grant_type=client_credentials"[..]));
        assert!(!request.needs_auth);
        assert!(!format!("{request:?}").contains("M2E3Yi1jbGllbnQ6"), "Debug shows no header value");
        // The login service's answer (an AuthzToken-like body).
        let answer = HttpResponse::json(200, &json!({"access_token": "tok-1", "token_type": "bearer", "expires_in": 86399}));
        let record = parse_token_answer(&answer, 1_000, Profile::GenesysCloud).unwrap();
        assert_eq!((record.access_token.as_str(), record.expires_at_ms), ("tok-1", 86_400_000));
        let refused = HttpResponse::json(400, &json!({"error": "invalid_client", "description": "client not found", "error_description": "client not found"}));
        let error = parse_token_answer(&refused, 0, Profile::GenesysCloud).unwrap_err();
        assert_eq!((error.code(), error.upstream_code()), ("unauthorized", Some("invalid_client")));
        assert!(error.to_string().contains("client not found") && !error.to_string().contains("s3cr3t"), "{error}");
    }

    #[test]
    fn an_action_with_its_contract_becomes_a_definition() {
        let id = "custom_-_3af155c2-20c5-4c44-babf-f0a9eb041a47";
        let request = definition_request(&config(), id, None);
        assert_eq!(request.url, format!("https://api.usw2.pure.cloud/api/v2/integrations/actions/{id}?expand=contract&flatten=false"));
        assert!(request.needs_auth);
        let DefinitionAnswer::Fetched(definition, _) = parse_action(&HttpResponse::json(200, &recorded_action())).unwrap() else {
            panic!("a definition")
        };
        assert_eq!(definition.id, id);
        let inputs: Vec<(&str, ParamType, bool)> = definition.inputs.iter().map(|p| (p.name.as_str(), p.param_type, p.required)).collect();
        assert_eq!(
            inputs,
            [("includeClosed", ParamType::Boolean, false), ("maxResults", ParamType::Integer, false), ("phoneNumber", ParamType::String, true)]
        );
        let outputs: Vec<(&str, ParamType)> = definition.outputs.iter().map(|p| (p.name.as_str(), p.param_type)).collect();
        assert_eq!(outputs, [("customerId", ParamType::String), ("lifetimeValue", ParamType::Number), ("tier", ParamType::String)]);
        let extra = &definition.extra;
        assert_eq!(definition.input_schema.as_ref(), Some(&recorded_action()["contract"]["input"]["inputSchema"]));
        assert_eq!(definition.output_schema.as_ref(), Some(&recorded_action()["contract"]["output"]["successSchema"]));
        let serialised = serde_json::to_value(&definition).unwrap();
        assert_eq!(serialised["inputSchema"]["required"], json!(["phoneNumber"]), "serialised as inputSchema");
        assert_eq!((extra["name"].as_str(), extra["category"].as_str(), extra["mode"].as_str()), (Some("Lookup customer by phone"), Some("CRM"), Some("sync")));
        assert_eq!(extra["config"]["timeoutSeconds"], 20);
        assert!(!extra.contains_key("contract"), "the contract is carried once, as the two schemas");
        assert_eq!(ActionSummary::of_definition(&definition).mode.as_deref(), Some("sync"));
        // Malformed actions are upstream errors.
        for bad in [json!([]), json!({"id": "a/b"}), json!({"id": "a", "contract": {"input": {"inputSchema": "text"}}})] {
            assert_eq!(parse_action(&HttpResponse::json(200, &bad)).unwrap_err().code(), "upstream", "{bad}");
        }
    }

    #[test]
    fn execute_sends_the_inputs_alone_and_reads_the_outputs() {
        let definition = action_definition(recorded_action()).unwrap();
        let inputs: Map<String, Value> = json!({"phoneNumber": "+15551234567"}).as_object().cloned().unwrap();
        let (request, hash) = invoke_request(&config(), &definition, inputs, &InvokeOptions::default());
        assert_eq!(request.url, format!("https://api.usw2.pure.cloud/api/v2/integrations/actions/{}/execute", definition.id));
        assert_eq!(request.body.as_deref(), Some(&br#"{"phoneNumber":"+15551234567"}"#[..]));
        assert_eq!(hash, payload_hash(&json!({"inputs": {"phoneNumber": "+15551234567"}, "context": {}})));
        let answer = read_invoke_answer(&HttpResponse::json(200, &json!({"customerId": "c-42", "lifetimeValue": 1200.5, "tier": "gold"}))).unwrap();
        assert_eq!((answer.status.as_str(), answer.invoke_id.as_str()), ("completed", ""));
        assert_eq!(answer.outputs["customerId"], "c-42");
        assert_eq!(read_invoke_answer(&HttpResponse::json(202, &json!({"invokeId": "x"}))).unwrap_err().code(), "upstream");
        assert_eq!(read_invoke_answer(&HttpResponse::json(200, &json!([1]))).unwrap_err().code(), "upstream");
    }

    #[test]
    fn asynchronous_options_are_refused_by_name() {
        let with = |options: InvokeOptions| check_invoke_options(&options).unwrap_err();
        for (error, named) in [
            (with(InvokeOptions { callback_url: Some("https://me.example/cb".into()), ..Default::default() }), "callbackUrl"),
            (with(InvokeOptions { max_poll_ms: Some(5_000), ..Default::default() }), "maxPollMs"),
            (with(InvokeOptions { context: Some(json!({"agent": "a-1"})), ..Default::default() }), "context"),
        ] {
            assert_eq!(error.code(), "not_supported_by_profile");
            assert!(error.to_string().contains(named) && error.to_string().contains("genesys-cloud"), "{error}");
        }
        assert!(check_invoke_options(&InvokeOptions { context: Some(json!({})), accept_pending: true, ..Default::default() }).is_ok());
        let status = crate::core::profile::status_operation(&config(), "a", "b").err().unwrap();
        assert_eq!(status.code(), "not_supported_by_profile");
        // An operation built with a refused option ends at once, sending nothing.
        let definition = action_definition(recorded_action()).unwrap();
        let options = InvokeOptions { callback_url: Some("https://me.example/cb".into()), ..Default::default() };
        let mut operation = crate::core::invocation::InvokeOperation::new(&config(), &definition, Map::new(), options, 0);
        assert!(matches!(Operation::poll(&mut operation, 0), Step::Done(Err(DataActionsError::NotSupportedByProfile { .. }))));
    }

    #[test]
    fn an_error_body_maps_to_the_same_kinds_keeping_the_context_id() {
        let body = recorded_error_body();
        let refused = HttpResponse::json(400, &body);
        let error = Profile::GenesysCloud.response_error(&refused, RequestPurpose::Invoke, None);
        assert_eq!((error.code(), error.status()), ("validation", Some(400)));
        assert_eq!((error.issues()[0].parameter.as_str(), error.issues()[0].pointer.as_str()), ("phoneNumber", "/phoneNumber"));
        assert_eq!(error.issues()[0].kind, IssueKind::MissingRequired);
        let not_found = json!({"message": "Action custom_-_x not found", "code": "not.found", "status": 404, "contextId": "ctx-404", "details": [], "errors": []});
        let error = Profile::GenesysCloud.response_error(&HttpResponse::json(404, &not_found), RequestPurpose::Definition, None);
        assert_eq!((error.code(), error.upstream_code(), error.correlation_id()), ("not_found", Some("not.found"), Some("ctx-404")));
        assert_eq!(error.details().upstream_correlation_id.as_deref(), Some("ctx-404"));
        let json = serde_json::to_value(error.details()).unwrap();
        assert_eq!(json["upstreamCorrelationId"], "ctx-404");
        let forbidden = json!({"message": "You are missing the following permission(s): integrations:action:execute", "code": "missing.permissions", "status": 403, "contextId": "ctx-403", "messageParams": {}, "details": [], "errors": []});
        let error = Profile::GenesysCloud.response_error(&HttpResponse::json(403, &forbidden), RequestPurpose::Invoke, None);
        assert_eq!((error.code(), error.correlation_id()), ("forbidden", Some("ctx-403")));
        assert!(error.to_string().contains("integrations:action:execute"), "{error}");
        let failed = json!({"message": "REST call for action execute failed. Message: Request to backend service failed.", "code": "internal.server.error", "status": 500, "contextId": "ctx-500", "errors": [{"message": "connect timed out", "code": "remote.timeout"}]});
        let error = Profile::GenesysCloud.response_error(&HttpResponse::json(500, &failed), RequestPurpose::Invoke, None);
        assert_eq!((error.code(), error.correlation_id()), ("execution_failed", Some("ctx-500")));
        let DataActionsError::ExecutionFailed { errors, .. } = &error else { panic!("{error}") };
        assert_eq!(errors.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(), ["internal.server.error", "remote.timeout"]);
        // The seed's reading of the same body knows no contextId: profiles do not leak into each other.
        assert_eq!(Profile::CxoneSeed.response_error(&HttpResponse::json(404, &not_found), RequestPurpose::Definition, None).correlation_id(), None);
    }

    #[test]
    fn a_429_after_the_retries_keeps_the_message_and_context_id() {
        let mut config = config();
        config.retry.max_attempts = 1;
        let mut governor = RetryGovernor::new(config.retry.clone(), 7);
        let mut operation = crate::core::profile::definition_operation(&config, "a", None);
        assert!(matches!(operation.poll(0), Step::Send(_)));
        let limited = json!({"message": "Rate limit exceeded the maximum. [600] requests for [60] seconds", "code": "too.many.requests", "status": 429, "contextId": "ctx-429"});
        let response = HttpResponse::json(429, &limited).with_header("Retry-After", "3");
        operation.handle_response(Ok(response), &mut governor, 0);
        let Step::Done(Err(error)) = operation.poll(0) else { panic!("done") };
        assert_eq!((error.code(), error.correlation_id(), error.upstream_code()), ("rate_limited", Some("ctx-429"), Some("too.many.requests")));
        assert_eq!(error.details().retry_after_ms, Some(3_000));
    }

    #[test]
    fn the_list_pages_by_page_number() {
        let request = list_request(&config(), None, 25).unwrap();
        assert_eq!(request.url, "https://api.usw2.pure.cloud/api/v2/integrations/actions?pageSize=25&pageNumber=1");
        assert!(list_request(&config(), Some("3"), 25).unwrap().url.ends_with("pageNumber=3"));
        for bad in ["0", "x", "-1", "+2", "1000001", ""] {
            assert_eq!(list_request(&config(), Some(bad), 25).unwrap_err().code(), "bad_input", "{bad}");
        }
        // An ActionEntityListing.
        let body = json!({
            "entities": [
                {"id": "custom_-_1", "name": "Lookup", "category": "CRM", "integrationId": "i-1", "version": 1, "secure": false},
                {"id": "bad id", "name": "unusable"},
                {"name": "no id"}
            ],
            "pageSize": 2, "pageNumber": 1, "total": 3, "pageCount": 2,
            "firstUri": "/api/v2/integrations/actions?pageSize=2&pageNumber=1",
            "selfUri": "/api/v2/integrations/actions?pageSize=2&pageNumber=1",
            "nextUri": "/api/v2/integrations/actions?pageSize=2&pageNumber=2",
            "lastUri": "/api/v2/integrations/actions?pageSize=2&pageNumber=2"
        });
        let ActionList::Page(page) = parse_list_response(&HttpResponse::json(200, &body), 0).unwrap() else { panic!("a page") };
        assert_eq!(page.actions, [ActionSummary { id: "custom_-_1".into(), name: Some("Lookup".into()), mode: Some("sync".into()) }]);
        assert_eq!(page.next_page_token.as_deref(), Some("2"));
        let last = json!({"entities": [], "pageNumber": 2, "pageSize": 2, "total": 3});
        let ActionList::Page(page) = parse_list_response(&HttpResponse::json(200, &last), 0).unwrap() else { panic!("a page") };
        assert_eq!(page.next_page_token, None);
        let forbidden = json!({"message": "missing permission integrations:action:view", "code": "missing.permissions", "status": 403, "contextId": "c"});
        assert_eq!(parse_list_response(&HttpResponse::json(403, &forbidden), 0).unwrap_err().code(), "forbidden");
    }
}
