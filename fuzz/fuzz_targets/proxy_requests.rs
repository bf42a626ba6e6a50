//! What reaches the Worker from callers and from its own storage: invoke and validate bodies,
//! `?wait=`, `Idempotency-Key`, invocation ids, history queries, and stored records (the KV read
//! copies and the objects' SQLite rows, written by this deploy or an earlier one).
//!
//! Properties, besides "never panics":
//! - an accepted invoke body has object `inputs` (and an object `context` when there is one);
//! - an accepted invocation id names its object (20 hex digits) and is one URL path segment;
//! - an accepted Idempotency-Key is 1 to 255 visible ASCII characters, scoped per caller;
//! - a stored record that decodes re-encodes to a record that decodes to the same one, and its
//!   public view shows no hash of a secret.
#![no_main]

mod common;

use arbitrary::{Result, Unstructured};
use cxone_data_actions::core::proxy::listing::parse_invocation_query;
use cxone_data_actions::core::proxy::request::{
    check_idempotency_key, check_invocation_id, idempotency_digest, invocation_object_key, parse_invoke_body, parse_validate_body, parse_wait,
};
use cxone_data_actions::core::record::InvocationRecord;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const RECORD_KEYS: &[&str] = &[
    "schemaVersion", "invocationId", "actionId", "invokeId", "status", "upstreamStatus", "outputs", "error", "createdAtMs", "updatedAtMs",
    "completedAtMs", "deadlineMs", "timedOutAtMs", "pollCount", "nextPollAtMs", "completedBy", "latencyMs", "audit", "requestHash",
    "idempotencyKey", "callbackTokenHash", "payloadHash", "declaredOutputs", "pending", "completed", "timed_out", "callback", "poll",
];

fn bodies(u: &mut Unstructured<'_>) -> Result<()> {
    let raw = if u.arbitrary()? { common::text(u)?.into_bytes() } else { serde_json::to_vec(&common::value(u, 3, &["inputs", "context", "callbackUrl"])?).unwrap_or_default() };
    if let Ok(body) = parse_invoke_body(&raw) {
        assert!(body.inputs.is_object(), "inputs must be an object: {:?}", body.inputs);
        assert!(body.context.as_ref().is_none_or(Value::is_object));
    }
    if let Ok(inputs) = parse_validate_body(&raw) {
        assert!(inputs.is_object());
    }
    Ok(())
}

fn ids_and_headers(u: &mut Unstructured<'_>) -> Result<()> {
    let id = common::text(u)?;
    if check_invocation_id(&id).is_ok() {
        let key = invocation_object_key(&id).unwrap_or_default();
        assert_eq!(key.len(), 20, "{id:?}");
        assert!(!id.contains(['/', '?', '#', '%', '.']), "{id:?}");
    }
    let key = common::text(u)?;
    if check_idempotency_key(&key).is_ok() {
        assert!(!key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic()), "{key:?}");
        assert_ne!(idempotency_digest("caller-a", &key), idempotency_digest("caller-b", &key));
    }
    let wait = common::text(u)?;
    if let Ok(seconds) = parse_wait(Some(&wait)) {
        assert!(seconds <= 25);
    }
    let texts: Vec<Option<String>> = (0..4).map(|_| if u.arbitrary().unwrap_or(false) { common::text(u).ok() } else { None }).collect();
    let get = |i: usize| texts.get(i).and_then(|t| t.as_deref());
    if let Ok(query) = parse_invocation_query(get(0), get(1), get(2), get(3)) {
        assert!((1..=100).contains(&query.limit));
    }
    Ok(())
}

fn records(u: &mut Unstructured<'_>) -> Result<()> {
    let text = if u.arbitrary()? { common::text(u)? } else { common::value(u, 3, RECORD_KEYS)?.to_string() };
    if let Ok(record) = InvocationRecord::decode("inv:fuzz", &text) {
        let again = InvocationRecord::decode("inv:fuzz", &record.encode()).expect("a record this code wrote decodes");
        let mut expected = record.clone();
        expected.schema_version = again.schema_version;
        assert_eq!(again, expected, "a decoded record survives a round trip");
        let view = record.public_view();
        assert!(view.get("callbackTokenHash").is_none() && view.get("requestHash").is_none());
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match data.first().map(|b| b % 3) {
        Some(0) => bodies(&mut u),
        Some(1) => ids_and_headers(&mut u),
        _ => records(&mut u),
    };
});
