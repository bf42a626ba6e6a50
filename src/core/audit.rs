//! Audit records: one compact JSON line per finished invocation or callback, with the SHA-256 of
//! the canonical JSON of its payload (stable whatever the key order of the input).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::time::format_rfc3339_millis;

/// The event name of an audit line for an invocation the client drove.
pub const INVOCATION_EVENT: &str = "DATA_ACTION_INVOCATION";
/// The event name of an audit line for a completion callback.
pub const CALLBACK_EVENT: &str = "DATA_ACTION_CALLBACK";

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// When the invocation finished (RFC 3339, UTC, milliseconds).
    pub timestamp: String,
    /// The upstream's invocation id, when there is one.
    pub invoke_id: Option<String>,
    /// The action.
    pub action_id: String,
    /// The final status.
    pub status: String,
    /// From the first request to the final answer.
    pub latency_ms: u64,
    /// SHA-256 (hex) of the canonical JSON of the payload.
    pub payload_hash: String,
    /// [`INVOCATION_EVENT`] or [`CALLBACK_EVENT`].
    pub event: String,
}

impl AuditRecord {
    /// The record as one compact JSON line.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The fields of an audit record, before it is stamped.
pub struct AuditFacts<'a> {
    /// The upstream's invocation id.
    pub invoke_id: Option<&'a str>,
    /// The action.
    pub action_id: &'a str,
    /// The final status.
    pub status: &'a str,
    /// Latency.
    pub latency_ms: u64,
    /// The payload whose hash is recorded.
    pub payload: &'a Value,
    /// The event name.
    pub event: &'a str,
}

/// Stamps an audit record at `now_ms`.
pub fn audit_record(facts: AuditFacts<'_>, now_ms: u64) -> AuditRecord {
    let hash = payload_hash(facts.payload);
    audit_record_hashed(facts, hash, now_ms)
}

/// [`audit_record`] with the payload's hash already made (`facts.payload` is not read).
pub fn audit_record_hashed(facts: AuditFacts<'_>, payload_hash: String, now_ms: u64) -> AuditRecord {
    AuditRecord {
        timestamp: format_rfc3339_millis(now_ms),
        invoke_id: facts.invoke_id.map(str::to_string),
        action_id: facts.action_id.to_string(),
        status: facts.status.to_string(),
        latency_ms: facts.latency_ms,
        payload_hash,
        event: facts.event.to_string(),
    }
}

/// SHA-256 (lower-case hex) of the canonical JSON of `payload`.
pub fn payload_hash(payload: &Value) -> String {
    let mut canonical = Vec::with_capacity(256);
    write_canonical_json(payload, &mut canonical);
    sha256_hex(&canonical)
}

/// [`payload_hash`] of `payload` whose compact JSON is `json` (as `serde_json::to_vec` wrote it):
/// that text is hashed as it is when it is already canonical, which saves writing it again.
pub fn payload_hash_of_json(payload: &Value, json: &[u8]) -> String {
    if compact_json_is_canonical() {
        sha256_hex(json)
    } else {
        payload_hash(payload)
    }
}

/// Whether serde_json writes object keys sorted by their bytes. Its `Map` is a `BTreeMap` unless
/// some crate in the build turns on its `preserve_order` feature; while it is, the compact JSON of
/// a value is its canonical JSON.
fn compact_json_is_canonical() -> bool {
    static SORTED: OnceLock<bool> = OnceLock::new();
    *SORTED.get_or_init(|| {
        let mut probe = Map::new();
        probe.insert("b".into(), Value::Null);
        probe.insert("a".into(), Value::Null);
        probe.keys().next().map(String::as_str) == Some("a")
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no insignificant white space, strings
/// and numbers as serde_json writes them.
pub fn write_canonical_json(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Writing a string or a number into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, key);
                out.push(b':');
                write_canonical_json(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_json(item, out);
            }
            out.push(b']');
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_hash_ignores_key_order_at_every_depth() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"q":2,"p":1}],"x":"s"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":"s","y":[1,{"p":1,"q":2}]},"b":1}"#).unwrap();
        assert_eq!(payload_hash(&a), payload_hash(&b));
        assert_ne!(payload_hash(&a), payload_hash(&json!({"b": 2})));
        let mut text = Vec::new();
        write_canonical_json(&b, &mut text);
        assert_eq!(String::from_utf8(text).unwrap(), r#"{"a":{"x":"s","y":[1,{"p":1,"q":2}]},"b":1}"#);
    }

    fn json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::String),
            "[\\x00-\\x1f\"\\\\é]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::vec(("\\PC{0,6}", inner), 0..5)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn hashing_the_compact_json_equals_hashing_the_canonical_json(value in json()) {
            let compact = serde_json::to_vec(&value).unwrap();
            proptest::prop_assert_eq!(payload_hash_of_json(&value, &compact), payload_hash(&value));
        }
    }

    #[test]
    fn serde_json_maps_are_sorted_in_this_build() {
        // If this fails, some dependency turned on serde_json's `preserve_order`: hashing still
        // works (payload_hash_of_json falls back), but every invocation writes its JSON twice.
        assert!(compact_json_is_canonical());
    }

    #[test]
    fn known_vector() {
        // sha256 of the 2 bytes `{}`
        assert_eq!(payload_hash(&json!({})), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    }

    #[test]
    fn the_line_is_compact_json_with_the_contract_fields() {
        let record = audit_record(
            AuditFacts { invoke_id: Some("i-1"), action_id: "a", status: "completed", latency_ms: 12, payload: &json!({}), event: INVOCATION_EVENT },
            0,
        );
        let line = record.to_line();
        assert!(!line.contains(' ') && !line.contains('\n'));
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["timestamp"], "1970-01-01T00:00:00.000Z");
        assert_eq!(parsed["invokeId"], "i-1");
        assert_eq!(parsed["latencyMs"], 12);
        assert_eq!(parsed["event"], "DATA_ACTION_INVOCATION");
    }
}
