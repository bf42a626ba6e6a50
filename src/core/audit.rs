//! Audit records: one compact JSON line per finished invocation or callback, with the SHA-256 of
//! the RFC 8785 canonical JSON (JCS) of its payload, so anyone can recompute it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
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
    /// SHA-256 (hex) of the RFC 8785 canonical JSON of the payload.
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

/// SHA-256 (lower-case hex) of the RFC 8785 (JSON Canonicalization Scheme) form of `payload`:
/// anyone can recompute it with any JCS implementation and `sha256sum`.
pub fn payload_hash(payload: &Value) -> String {
    let mut text = Vec::new();
    write_canonical(&mut text, payload);
    sha256_hex(&text)
}

/// The two hashes of an invocation request, from one canonical text: SHA-256 of the JCS form of
/// `{actionId, context, inputs}` (the request's fingerprint, for idempotency keys) and of
/// `{context, inputs}` (the payload sent upstream, what invocation audits hash), each equal to
/// [`payload_hash`] of that object. The second text is the tail of the first (keys in JCS order:
/// `actionId` < `context` < `inputs`), so the inputs and the context are written once.
pub fn request_hashes(action_id: &str, inputs: &Value, context: &Value) -> (String, String) {
    let mut text = Vec::with_capacity(128);
    text.extend_from_slice(b"{\"actionId\":");
    // A JSON string: serde_json escapes strings as JCS does.
    let _ = serde_json::to_writer(&mut text, action_id);
    let tail = text.len();
    text.extend_from_slice(b",\"context\":");
    write_canonical(&mut text, context);
    text.extend_from_slice(b",\"inputs\":");
    write_canonical(&mut text, inputs);
    text.push(b'}');
    let fingerprint = sha256_hex(&text);
    let payload = match text.get_mut(tail..) {
        Some(rest) => {
            if let Some(comma) = rest.first_mut() {
                *comma = b'{';
            }
            sha256_hex(rest)
        }
        None => payload_hash(&serde_json::json!({"inputs": inputs, "context": context})),
    };
    (fingerprint, payload)
}

/// Appends the JCS form of `value` to `out`: serde_json's compact text when that is already the
/// JCS form ([`is_written_canonically`]: no second serializer, no sorting), serde_jcs's otherwise.
fn write_canonical(out: &mut Vec<u8>, value: &Value) {
    if is_written_canonically(value) {
        let _ = serde_json::to_writer(&mut *out, value);
    } else {
        out.extend_from_slice(&canonical_json(value));
    }
}

/// The RFC 8785 (JCS) form of a value: keys sorted by their UTF-16 code units, numbers as
/// ECMAScript writes doubles, strings with the minimal escapes, no white space.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    // A serde_json `Value` holds only finite numbers and string keys, the two things JCS refuses.
    serde_jcs::to_vec(value).unwrap_or_default()
}

/// [`payload_hash`] of `payload` whose compact JSON is `json` (as `serde_json::to_vec` wrote it):
/// that text is hashed as it is when it is already the JCS form, which saves writing it again.
pub fn payload_hash_of_json(payload: &Value, json: &[u8]) -> String {
    if is_written_canonically(payload) {
        sha256_hex(json)
    } else {
        payload_hash(payload)
    }
}

/// Whether serde_json's compact text of `value` is its JCS form. serde_json writes keys in the
/// order of its `Map` (sorted, unless some crate turns on its `preserve_order` feature) and
/// escapes strings as JCS does; the text is the JCS form when every object's keys come in
/// increasing order and hold no character from U+E000 on (below it, UTF-8 byte order and UTF-16
/// code unit order agree), and no number is a float or an integer beyond 2^53 (JCS writes numbers
/// as doubles: serde_json writes `1.0` and `1e21` where JCS writes `1` and `1e+21`).
fn is_written_canonically(value: &Value) -> bool {
    const EXACT: u64 = 1 << 53;
    match value {
        Value::Number(n) => n.as_u64().or_else(|| n.as_i64().map(i64::unsigned_abs)).is_some_and(|m| m <= EXACT),
        Value::Array(items) => items.iter().all(is_written_canonically),
        Value::Object(map) => {
            let mut previous: Option<&String> = None;
            map.iter().all(|(key, item)| {
                let in_order = previous.is_none_or(|p| p < key) && key.chars().all(|c| c < '\u{e000}');
                previous = Some(key);
                in_order && is_written_canonically(item)
            })
        }
        Value::Null | Value::Bool(_) | Value::String(_) => true,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canonical_text(input: &str) -> String {
        String::from_utf8(canonical_json(&serde_json::from_str(input).unwrap())).unwrap()
    }

    #[test]
    fn the_hash_ignores_key_order_at_every_depth() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"q":2,"p":1}],"x":"s"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":"s","y":[1,{"p":1,"q":2}]},"b":1}"#).unwrap();
        assert_eq!(payload_hash(&a), payload_hash(&b));
        assert_ne!(payload_hash(&a), payload_hash(&json!({"b": 2})));
        assert_eq!(String::from_utf8(canonical_json(&b)).unwrap(), r#"{"a":{"x":"s","y":[1,{"p":1,"q":2}]},"b":1}"#);
    }

    #[test]
    fn rfc_8785_section_3_2_2_example() {
        let input = r#"{
            "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]
        }"#;
        assert_eq!(
            canonical_text(input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn rfc_8785_section_3_2_3_keys_sort_by_utf16_code_units() {
        // U+1F600 (a surrogate pair, 0xD83D 0xDE00) sorts before U+FB33 in UTF-16, after it in UTF-8.
        let input = r#"{
            "\u20ac": "Euro Sign",
            "\r": "Carriage Return",
            "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\ud83d\ude00": "Emoji: Grinning Face",
            "\u0080": "Control",
            "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
            \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
            \"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canonical_text(input), expected);
        // Recomputed independently (Python: keys sorted by their UTF-16-BE bytes, then sha256).
        assert_eq!(
            payload_hash(&serde_json::from_str(input).unwrap()),
            "5e321556d22018a9656991a9e94f77ec175fa193e52a2429d312f8419ec8b08c"
        );
    }

    #[test]
    fn rfc_8785_appendix_b_number_formatting() {
        // The RFC's IEEE 754 bit patterns and their ECMAScript texts (NaN and Infinity cannot be
        // in a serde_json Value, so they cannot reach the hash).
        for (bits, text) in [
            (0x0000_0000_0000_0000_u64, "0"),
            (0x8000_0000_0000_0000, "0"),
            (0x0000_0000_0000_0001, "5e-324"),
            (0x8000_0000_0000_0001, "-5e-324"),
            (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
            (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"),
            (0x4340_0000_0000_0000, "9007199254740992"),
            (0xc340_0000_0000_0000, "-9007199254740992"),
            (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"),
            (0x44b5_2d02_c7e1_4af6, "1e+23"),
            (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"),
            (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"),
            (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
            (0x444b_1ae4_d6e2_ef50, "1e+21"),
            (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
            (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
            (0x41b3_de43_5555_5553, "333333333.3333332"),
            (0x41b3_de43_5555_5554, "333333333.33333325"),
            (0x41b3_de43_5555_5555, "333333333.3333333"),
            (0x41b3_de43_5555_5556, "333333333.3333334"),
            (0x41b3_de43_5555_5557, "333333333.33333343"),
            (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
            (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
        ] {
            let value = Value::from(f64::from_bits(bits));
            assert_eq!(String::from_utf8(canonical_json(&value)).unwrap(), text, "{bits:#018x}");
        }
    }

    #[test]
    fn integers_are_written_as_doubles() {
        assert_eq!(canonical_text("[4.0, -0.0, 1e2, 123456789012]"), "[4,0,100,123456789012]");
        // Beyond 2^53 JCS writes the nearest double, as JavaScript would read the number.
        assert_eq!(canonical_text("9007199254740993"), "9007199254740992");
    }

    fn json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-(1i64 << 53)..=(1i64 << 53)).prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::String),
            "[\\x00-\\x1f\"\\\\é\u{2028}\u{e000}\u{fb33}\u{1f600}]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::vec(("\\PC{0,6}|[a\u{ff61}\u{1f600}]{1,3}", inner), 0..5)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn hashing_the_compact_json_equals_hashing_the_canonical_json(value in json()) {
            let compact = serde_json::to_vec(&value).unwrap();
            // serde_jcs's text is the reference: every shortcut hashes what it writes.
            let reference = sha256_hex(&canonical_json(&value));
            proptest::prop_assert_eq!(payload_hash_of_json(&value, &compact), reference.clone());
            proptest::prop_assert_eq!(payload_hash(&value), reference);
            if is_written_canonically(&value) {
                proptest::prop_assert_eq!(compact, canonical_json(&value));
            }
        }

        #[test]
        fn the_request_hashes_are_the_hashes_of_the_canonical_objects(inputs in json(), context in json(), action in "\\PC{0,8}") {
            let (fingerprint, payload) = request_hashes(&action, &inputs, &context);
            let whole = serde_json::json!({"actionId": action, "inputs": inputs, "context": context});
            proptest::prop_assert_eq!(fingerprint, sha256_hex(&canonical_json(&whole)));
            let sent = serde_json::json!({"inputs": inputs, "context": context});
            proptest::prop_assert_eq!(payload, sha256_hex(&canonical_json(&sent)));
        }

        #[test]
        fn the_canonical_json_is_json_of_the_same_value_and_a_fixed_point(value in json()) {
            let canonical = canonical_json(&value);
            let reread: Value = serde_json::from_slice(&canonical).unwrap();
            proptest::prop_assert_eq!(canonical_json(&reread), canonical);
        }
    }

    #[test]
    fn serde_json_maps_are_sorted_in_this_build() {
        // If this fails, some dependency turned on serde_json's `preserve_order`: hashing still
        // works (payload_hash_of_json falls back), but every invocation writes its JSON twice.
        assert!(is_written_canonically(&json!({"b": 1, "a": {"d": [1], "c": 2}})));
        assert!(!is_written_canonically(&json!({"a": 1.5})));
        assert!(!is_written_canonically(&json!({"\u{e000}": 1})));
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
