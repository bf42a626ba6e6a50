//! The shape of the proxy's requests: bodies, `?wait=`, `Idempotency-Key`, the ids it mints and
//! the callback capability URLs it hands to the upstream.

use base64::Engine;
use serde_json::{Map, Value};

use crate::core::audit::payload_hash;
use crate::core::definition::ActionDefinition;
use crate::core::error::DataActionsError;

/// Largest request body accepted (larger ones are answered 413).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Longest `?wait=` in seconds.
pub const MAX_WAIT_SECONDS: u64 = 25;

/// Prefix of the proxy's invocation ids (distinct from the upstream's `invokeId`s).
pub const INVOCATION_ID_PREFIX: &str = "dai_";

/// Longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

fn bad(message: impl Into<String>) -> DataActionsError {
    DataActionsError::BadInput { message: message.into() }
}

/// `?wait=N`: whole seconds from 0 to [`MAX_WAIT_SECONDS`]; absent means 0.
pub fn parse_wait(value: Option<&str>) -> Result<u64, DataActionsError> {
    let Some(text) = value else { return Ok(0) };
    match text.trim().parse::<u64>() {
        Ok(seconds) if seconds <= MAX_WAIT_SECONDS => Ok(seconds),
        _ => Err(bad(format!("`wait` must be a whole number of seconds from 0 to {MAX_WAIT_SECONDS}"))),
    }
}

/// The body of `POST /v1/actions/{id}/invoke`.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeBody {
    /// The inputs (an object).
    pub inputs: Value,
    /// The execution context (an object), if given.
    pub context: Option<Value>,
}

fn parse_object(body: &[u8], expected: &str) -> Result<Map<String, Value>, DataActionsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad(format!("the body must be a JSON object {expected}")));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(bad(format!("the body must be a JSON object {expected}"))),
        Err(e) => Err(bad(format!("the body is not valid JSON (line {}, column {})", e.line(), e.column()))),
    }
}

/// The body's fields by name, read in one pass over the object (which it consumes): no removal
/// from the map (B-tree removal is about 6 KB of wasm, BENCHMARKS.md "Worker: built size"). Names
/// other than `known` are kept in the map's (sorted) order, for [`reject_unknown`].
fn fields<const N: usize>(object: Map<String, Value>, known: [&str; N]) -> ([Option<Value>; N], Vec<String>) {
    let mut values = [const { None }; N];
    let mut unknown = Vec::new();
    for (name, value) in object {
        match known.iter().position(|k| *k == name).and_then(|i| values.get_mut(i)) {
            Some(slot) => *slot = Some(value),
            None => unknown.push(name),
        }
    }
    (values, unknown)
}

fn object_field(field: &str, value: Option<Value>) -> Result<Option<Value>, DataActionsError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::Object(_)) => Ok(Some(value)),
        Some(_) => Err(bad(format!("`{field}` must be a JSON object"))),
    }
}

fn reject_unknown(unknown: &[String], expected: &str) -> Result<(), DataActionsError> {
    if unknown.is_empty() {
        return Ok(());
    }
    Err(bad(format!("unknown field(s) in the body: {} (expected {expected})", unknown.join(", "))))
}

/// Reads `{inputs, context?}`. A `callbackUrl` is ignored: the proxy sets its own.
pub fn parse_invoke_body(body: &[u8]) -> Result<InvokeBody, DataActionsError> {
    let object = parse_object(body, "{inputs, context?}")?;
    let ([inputs, context, callback_url], unknown) = fields(object, ["inputs", "context", "callbackUrl"]);
    let inputs = object_field("inputs", inputs)?.unwrap_or_else(|| Value::Object(Map::new()));
    let context = object_field("context", context)?;
    if !matches!(callback_url, None | Some(Value::Null) | Some(Value::String(_))) {
        return Err(bad("`callbackUrl` must be a string (it is ignored: the proxy receives the callback)"));
    }
    reject_unknown(&unknown, "inputs, context")?;
    Ok(InvokeBody { inputs, context })
}

/// Reads `{inputs}` of `POST /v1/actions/{id}/validate`.
pub fn parse_validate_body(body: &[u8]) -> Result<Value, DataActionsError> {
    let object = parse_object(body, "{inputs}")?;
    let ([inputs], unknown) = fields(object, ["inputs"]);
    let inputs = object_field("inputs", inputs)?.unwrap_or_else(|| Value::Object(Map::new()));
    reject_unknown(&unknown, "inputs")?;
    Ok(inputs)
}

/// An `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub fn check_idempotency_key(key: &str) -> Result<(), DataActionsError> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters")));
    }
    Ok(())
}

/// The index entry of an `Idempotency-Key`, scoped to the caller: SHA-256 (hex) of both, so one
/// caller cannot reach another's invocation by guessing its key. Neither value is stored.
pub fn idempotency_digest(caller: &str, key: &str) -> String {
    payload_hash(&Value::Array(vec![Value::String(caller.to_string()), Value::String(key.to_string())]))
}

/// Hex digits of an invocation id's time part: `ffffffffffff` minus the creation time in ms, so
/// ids (and the KV keys of their records) sort newest first.
const ID_TIME_HEX: usize = 12;
/// Hex digits of an invocation id's object key: the name of its Durable Object.
const ID_KEY_HEX: usize = 20;
const ID_TIME_MAX: u64 = (1 << 48) - 1;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An invocation id: `dai_`, 12 hex digits of inverted creation time (newest sorts first), then
/// the 20 hex digits of its object key (see [`invocation_object_key`]).
pub fn invocation_id(object_key: &str, created_at_ms: u64) -> String {
    let inverted = ID_TIME_MAX.saturating_sub(created_at_ms.min(ID_TIME_MAX));
    format!("{INVOCATION_ID_PREFIX}{inverted:012x}{object_key}")
}

/// A new object key from 10 random bytes (80 bits).
pub fn new_object_key(random: &[u8; 10]) -> String {
    hex(random)
}

/// The object key of an idempotent request: derived from its [`idempotency_digest`], so every
/// duplicate of the request, whichever instance it reaches, addresses the same Durable Object,
/// where reservation and replay are one serialized step.
pub fn idempotent_object_key(digest: &str) -> String {
    let derived = payload_hash(&Value::Array(vec![Value::String("invocation".into()), Value::String(digest.to_string())]));
    derived.get(..ID_KEY_HEX).unwrap_or(&derived).to_string()
}

/// The object key of a well-formed invocation id (its Durable Object's name).
pub fn invocation_object_key(id: &str) -> Option<&str> {
    check_invocation_id(id).ok()?;
    id.get(INVOCATION_ID_PREFIX.len() + ID_TIME_HEX..)
}

/// Whether `id` has the shape of an invocation id this proxy mints.
pub fn check_invocation_id(id: &str) -> Result<(), DataActionsError> {
    let valid = id
        .strip_prefix(INVOCATION_ID_PREFIX)
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    if valid {
        Ok(())
    } else {
        Err(bad(format!("invocation ids are `{INVOCATION_ID_PREFIX}` and 32 lower-case hex digits")))
    }
}

/// A callback capability token from 32 random bytes (256 bits), URL-safe base64 without padding.
pub fn new_callback_token(random: &[u8; 32]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
}

/// Whether `token` has the shape of a callback token (43 URL-safe base64 characters).
pub fn is_callback_token_shaped(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `{public_url}/v1/callbacks/{invocationId}/{token}`.
pub fn callback_url(public_url: &str, invocation_id: &str, token: &str) -> String {
    format!("{}/v1/callbacks/{invocation_id}/{token}", public_url.trim_end_matches('/'))
}

/// Whether an invoke of this action should carry a callback URL: always, unless its definition
/// says it runs synchronously (a callback would then only repeat the invoke's answer).
pub fn wants_callback(definition: &ActionDefinition) -> bool {
    definition.extra.get("mode").and_then(Value::as_str) != Some("sync")
}

/// The path and the query of a serialized absolute URL (what a platform hands a Worker as
/// `request.url`, already parsed and normalized): the path runs from the first `/` after the
/// authority to the first `?` or `#` (`/` when there is none), the query from that `?` to a `#`
/// (empty when there is none). Nothing is decoded: the path is as serialized, percent-escapes kept.
pub fn path_and_query(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let rest = url.get(after_scheme..).unwrap_or("");
    let rest = rest.find(['/', '?', '#']).and_then(|at| rest.get(at..)).unwrap_or("");
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    (if path.is_empty() { "/" } else { path }, query)
}

/// A request path fit for logs: the callback capability token is replaced by `***`. A path that
/// names `callbacks` in any other shape (`/v1//callbacks/...`, `/x/v1/callbacks/...`, another
/// case, an encoded slash) may carry a token too: everything after `callbacks` is replaced.
pub fn redact_path(path: &str) -> String {
    let mut segments: Vec<&str> = path.split('/').collect();
    if let ["", "v1", "callbacks", _, token, ..] = segments.as_mut_slice() {
        *token = "***";
        return segments.join("/");
    }
    const MARK: &str = "callbacks";
    match path.to_ascii_lowercase().find(MARK).and_then(|at| path.get(..at + MARK.len())) {
        Some(kept) => format!("{kept}***"),
        None => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_splits_into_path_and_query() {
        assert_eq!(path_and_query("http://127.0.0.1:8787/v1/actions/a/invoke?wait=5"), ("/v1/actions/a/invoke", "wait=5"));
        assert_eq!(path_and_query("https://example.com/"), ("/", ""));
        assert_eq!(path_and_query("https://example.com"), ("/", ""));
        assert_eq!(path_and_query("https://example.com?x=1"), ("/", "x=1"));
        assert_eq!(path_and_query("https://example.com/a%2Fb?c=%20d#frag"), ("/a%2Fb", "c=%20d"));
        assert_eq!(path_and_query("https://example.com/a#f?not-a-query"), ("/a", ""));
        assert_eq!(path_and_query("https://user:pw@example.com:8443/p/q?"), ("/p/q", ""));
        assert_eq!(path_and_query("https://example.com/a?b=1?c=2"), ("/a", "b=1?c=2"));
    }

    #[test]
    fn wait_is_bounded() {
        assert_eq!(parse_wait(None).unwrap(), 0);
        assert_eq!(parse_wait(Some("25")).unwrap(), 25);
        for bad in ["26", "-1", "1.5", "soon", ""] {
            assert_eq!(parse_wait(Some(bad)).unwrap_err().code(), "bad_input", "{bad}");
        }
    }

    #[test]
    fn invoke_bodies() {
        let body = parse_invoke_body(br#"{"inputs":{"a":1},"context":{"c":"x"},"callbackUrl":"http://evil"}"#).unwrap();
        assert_eq!(body.inputs, json!({"a": 1}));
        assert_eq!(body.context, Some(json!({"c": "x"})));
        assert_eq!(parse_invoke_body(b"{}").unwrap().inputs, json!({}));
        for bad in [&b""[..], b"[]", b"{oops", br#"{"inputs":[]}"#, br#"{"inputs":{},"colour":1}"#, br#"{"context":3}"#] {
            assert_eq!(parse_invoke_body(bad).unwrap_err().code(), "bad_input");
        }
        let error = parse_invoke_body(br#"{"inputs":{},"colour":1}"#).unwrap_err();
        assert!(error.to_string().contains("colour"), "{error}");
        assert_eq!(parse_validate_body(br#"{"inputs":{"x":true}}"#).unwrap(), json!({"x": true}));
        assert!(parse_validate_body(br#"{"inputs":{},"context":{}}"#).is_err());
    }

    #[test]
    fn invoke_body_errors_name_the_first_field_in_the_documented_order() {
        let message = |body: &[u8]| parse_invoke_body(body).unwrap_err().to_string();
        // inputs, then context, then callbackUrl, then unknown names (sorted), whatever the order sent.
        assert!(message(br#"{"zeta":1,"context":3,"inputs":2,"callbackUrl":4}"#).contains("`inputs` must be a JSON object"));
        assert!(message(br#"{"zeta":1,"context":3,"callbackUrl":4}"#).contains("`context` must be a JSON object"));
        assert!(message(br#"{"zeta":1,"callbackUrl":4}"#).contains("`callbackUrl` must be a string"));
        assert!(message(br#"{"zeta":1,"alpha":{},"inputs":{}}"#).contains("unknown field(s) in the body: alpha, zeta (expected inputs, context)"));
        let body = parse_invoke_body(br#"{"inputs":null,"context":null,"callbackUrl":null}"#).unwrap();
        assert_eq!((body.inputs, body.context), (json!({}), None));
        let error = parse_validate_body(br#"{"inputs":{},"context":{},"b":1}"#).unwrap_err().to_string();
        assert!(error.contains("unknown field(s) in the body: b, context (expected inputs)"), "{error}");
    }

    #[test]
    fn ids_tokens_and_keys() {
        let key = new_object_key(&[0xab; 10]);
        let id = invocation_id(&key, 1_764_579_600_000);
        assert_eq!(id, format!("dai_{:012x}{}", (1u64 << 48) - 1 - 1_764_579_600_000, "ab".repeat(10)));
        assert!(check_invocation_id(&id).is_ok());
        assert_eq!(invocation_object_key(&id), Some(key.as_str()));
        assert!(invocation_id(&key, 2_000) < invocation_id(&key, 1_000), "newer ids sort first");
        assert_eq!(invocation_id(&key, u64::MAX).len(), id.len());
        assert_eq!(invocation_object_key("dai_../x"), None);
        let idempotent = idempotent_object_key(&idempotency_digest("k1", "order-42"));
        assert_eq!(idempotent, idempotent_object_key(&idempotency_digest("k1", "order-42")));
        assert_ne!(idempotent, idempotent_object_key(&idempotency_digest("k2", "order-42")));
        assert!(check_invocation_id(&invocation_id(&idempotent, 5)).is_ok());
        for bad in ["dai_", "inv_abababababababababababababababab", "dai_ABABABABABABABABABABABABABABABAB", "dai_../x"] {
            assert!(check_invocation_id(bad).is_err(), "{bad}");
        }
        let token = new_callback_token(&[7; 32]);
        assert!(is_callback_token_shaped(&token));
        assert!(!is_callback_token_shaped("short"));
        assert!(check_idempotency_key("order-42").is_ok());
        assert!(check_idempotency_key("").is_err());
        assert!(check_idempotency_key("has space").is_err());
        assert_ne!(idempotency_digest("k1", "x"), idempotency_digest("k2", "x"));
        assert_eq!(idempotency_digest("k1", "x").len(), 64);
    }

    #[test]
    fn callback_urls_and_redaction() {
        assert_eq!(callback_url("http://w:1/", "dai_1", "tok"), "http://w:1/v1/callbacks/dai_1/tok");
        assert_eq!(redact_path("/v1/callbacks/dai_1/secret-token"), "/v1/callbacks/dai_1/***");
        assert_eq!(redact_path("/v1/callbacks/dai_1/secret-token/x"), "/v1/callbacks/dai_1/***/x");
        assert_eq!(redact_path("/v1/actions/a/invoke"), "/v1/actions/a/invoke");
        // Other shapes that could carry a real token (found by the attack suite).
        for (path, logged) in [
            ("/v1//callbacks/dai_1/secret-token", "/v1//callbacks***"),
            ("/x/v1/callbacks/dai_1/secret-token", "/x/v1/callbacks***"),
            ("/V1/Callbacks/dai_1/secret-token", "/V1/Callbacks***"),
            ("/v1/callbacks%2Fdai_1%2Fsecret-token", "/v1/callbacks***"),
            ("/v1/callbacks/dai_1", "/v1/callbacks***"),
        ] {
            assert_eq!(redact_path(path), logged, "{path}");
        }
    }

    #[test]
    fn sync_actions_get_no_callback_url() {
        let mut definition: ActionDefinition = serde_json::from_value(json!({"id": "a", "mode": "sync"})).unwrap();
        assert!(!wants_callback(&definition));
        definition.extra.insert("mode".into(), json!("async"));
        assert!(wants_callback(&definition));
        definition.extra.remove("mode");
        assert!(wants_callback(&definition));
    }
}
