//! Completion callbacks: reading a notification, answering it (`SYNCED` for a completed
//! invocation, `PROCESSED` for any other status) with an audit line, remembering what was already
//! answered so a duplicate changes nothing, and verifying Standard Webhooks signatures.

use std::collections::{HashMap, VecDeque};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::audit::{audit_record, AuditFacts, AuditRecord, CALLBACK_EVENT};
use super::error::{upstream_error_from_value, DataActionsError, UpstreamError};
use super::invocation::is_terminal;
use super::time::format_rfc3339_millis;

/// A completion notification as the upstream posts it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackNotification {
    /// The upstream's invocation id.
    pub invoke_id: String,
    /// The action, when the upstream names it.
    pub action_id: Option<String>,
    /// `completed`, `failed`, `cancelled`...
    pub status: String,
    /// Outputs of a completed invocation.
    pub outputs: Map<String, Value>,
    /// Errors of a failed one.
    pub errors: Vec<UpstreamError>,
    /// The upstream's own latency figure.
    pub latency_ms: Option<u64>,
    /// The whole payload, as received (it is what the audit hash covers).
    pub payload: Value,
}

/// Reads a notification; a payload that is not a JSON object with string `invokeId` and `status`
/// is bad input.
pub fn parse_notification(payload: Value) -> Result<CallbackNotification, DataActionsError> {
    let object = payload
        .as_object()
        .ok_or_else(|| bad("callback payload must be a JSON object"))?;
    let invoke_id = object
        .get("invokeId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("callback payload lacks a string `invokeId`"))?
        .to_string();
    let status = object
        .get("status")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("callback payload lacks a string `status`"))?
        .to_ascii_lowercase();
    let outputs = match object.get("outputs") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(bad("callback `outputs` must be an object")),
    };
    let errors = object
        .get("errors")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(upstream_error_from_value).collect())
        .unwrap_or_default();
    Ok(CallbackNotification {
        invoke_id,
        action_id: object.get("actionId").and_then(Value::as_str).map(str::to_string),
        status,
        outputs,
        errors,
        latency_ms: object.get("latencyMs").and_then(Value::as_u64),
        payload,
    })
}

/// Parses a body into a notification.
pub fn parse_notification_body(body: &[u8]) -> Result<CallbackNotification, DataActionsError> {
    let payload: Value = serde_json::from_slice(body).map_err(|e| DataActionsError::BadInput {
        message: format!("callback body is not JSON (line {}, column {})", e.line(), e.column()),
    })?;
    parse_notification(payload)
}

fn bad(message: &str) -> DataActionsError {
    DataActionsError::BadInput { message: message.to_string() }
}

/// The answer to a callback: `{callbackStatus, auditLog, processedAt}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackAck {
    /// `SYNCED` when the invocation completed, `PROCESSED` for any other status.
    pub callback_status: String,
    /// The audit record as one JSON line.
    pub audit_log: String,
    /// When the callback was first processed (RFC 3339).
    pub processed_at: String,
    /// True when this notification had been processed before and nothing changed.
    #[serde(default)]
    pub duplicate: bool,
}

/// `SYNCED` or `PROCESSED`.
pub fn callback_status_for(status: &str) -> &'static str {
    if status == "completed" {
        "SYNCED"
    } else {
        "PROCESSED"
    }
}

/// The audit record of a notification.
pub fn callback_audit(notification: &CallbackNotification, action_id: Option<&str>, now_ms: u64) -> AuditRecord {
    audit_record(
        AuditFacts {
            invoke_id: Some(&notification.invoke_id),
            action_id: action_id.or(notification.action_id.as_deref()).unwrap_or("unknown"),
            status: &notification.status,
            latency_ms: notification.latency_ms.unwrap_or(0),
            payload: &notification.payload,
            event: CALLBACK_EVENT,
        },
        now_ms,
    )
}

/// Answers a notification without remembering it.
pub fn acknowledge(notification: &CallbackNotification, now_ms: u64) -> CallbackAck {
    CallbackAck {
        callback_status: callback_status_for(&notification.status).to_string(),
        audit_log: callback_audit(notification, None, now_ms).to_line(),
        processed_at: format_rfc3339_millis(now_ms),
        duplicate: false,
    }
}

/// Remembers the answers given, so a repeated notification gets the first answer back (marked
/// `duplicate`) and changes nothing: by `invokeId` and `status` while the invocation runs (a
/// `running` notification, then the `completed` one, are two), and once it has ended, every later
/// notification of it is a duplicate of the first terminal answer (it ends once). Bounded: the
/// oldest entries are forgotten.
#[derive(Debug, Clone)]
pub struct CallbackLedger {
    answered: HashMap<NotificationKey, CallbackAck>,
    order: VecDeque<NotificationKey>,
    capacity: usize,
}

/// What makes two notifications the same one: the invocation and the status it reports, every
/// terminal status counting as [`ENDED`].
type NotificationKey = (String, String);

/// The status part of the key of an invocation's terminal notification.
const ENDED: &str = "";

impl Default for CallbackLedger {
    fn default() -> Self {
        CallbackLedger::new(4096)
    }
}

impl CallbackLedger {
    /// A ledger holding at most `capacity` notifications.
    pub fn new(capacity: usize) -> Self {
        CallbackLedger { answered: HashMap::new(), order: VecDeque::new(), capacity: capacity.max(1) }
    }

    /// Answers a notification; the first answer for an `invokeId` and `status` is kept and
    /// returned again for duplicates.
    pub fn handle(&mut self, notification: &CallbackNotification, now_ms: u64) -> CallbackAck {
        let ended = (notification.invoke_id.clone(), ENDED.to_string());
        let key = if is_terminal(&notification.status) {
            ended.clone()
        } else {
            (notification.invoke_id.clone(), notification.status.clone())
        };
        if let Some(first) = self.answered.get(&ended).or_else(|| self.answered.get(&key)) {
            return CallbackAck { duplicate: true, ..first.clone() };
        }
        let ack = acknowledge(notification, now_ms);
        if self.order.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.answered.remove(&oldest);
            }
        }
        self.order.push_back(key.clone());
        self.answered.insert(key, ack.clone());
        ack
    }
}

/// Why a signed callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent.
    #[error("missing Standard Webhooks header `{0}`")]
    MissingHeader(&'static str),
    /// The timestamp is not a number of seconds.
    #[error("webhook-timestamp is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is further from now than the tolerance.
    #[error("webhook-timestamp is outside the tolerance")]
    StaleTimestamp,
    /// No `v1` signature matches.
    #[error("no webhook signature matches")]
    Mismatch,
    /// The configured secret is not usable.
    #[error("the signing secret is malformed")]
    BadSecret,
}

/// The Standard Webhooks headers of a request.
#[derive(Debug, Clone, Copy)]
pub struct WebhookHeaders<'a> {
    /// `webhook-id`.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`: space-separated `v1,<base64>` entries.
    pub signature: Option<&'a str>,
}

/// The HMAC key of a Standard Webhooks secret: base64 after `whsec_`, or the raw bytes otherwise.
pub fn webhook_key(secret: &str) -> Result<Vec<u8>, SignatureError> {
    match secret.strip_prefix("whsec_") {
        Some(encoded) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| SignatureError::BadSecret),
        None if secret.is_empty() => Err(SignatureError::BadSecret),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
pub fn sign_webhook(secret: &str, id: &str, timestamp_s: u64, body: &[u8]) -> Result<String, SignatureError> {
    let tag = webhook_mac(secret, id, &timestamp_s.to_string(), body)?.finalize().into_bytes();
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(tag)))
}

fn webhook_mac(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> Result<Hmac<Sha256>, SignatureError> {
    let key = webhook_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| SignatureError::BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac)
}

/// Verifies a Standard Webhooks signature (constant-time comparison, timestamp within
/// `tolerance_ms` of `now_ms` either way).
pub fn verify_webhook(
    secret: &str,
    headers: WebhookHeaders<'_>,
    body: &[u8],
    now_ms: u64,
    tolerance_ms: u64,
) -> Result<(), SignatureError> {
    let id = headers.id.ok_or(SignatureError::MissingHeader("webhook-id"))?;
    let timestamp = headers.timestamp.ok_or(SignatureError::MissingHeader("webhook-timestamp"))?;
    let signatures = headers.signature.ok_or(SignatureError::MissingHeader("webhook-signature"))?;
    let sent_s: u64 = timestamp.trim().parse().map_err(|_| SignatureError::BadTimestamp)?;
    if sent_s.saturating_mul(1000).abs_diff(now_ms) > tolerance_ms {
        return Err(SignatureError::StaleTimestamp);
    }
    let mac = webhook_mac(secret, id, timestamp.trim(), body)?;
    for entry in signatures.split_whitespace() {
        let Some(encoded) = entry.strip_prefix("v1,") else { continue };
        let Ok(candidate) = base64::engine::general_purpose::STANDARD.decode(encoded) else { continue };
        if mac.clone().verify_slice(&candidate).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn completed_is_synced_anything_else_processed() {
        let completed = parse_notification(json!({"invokeId": "i1", "status": "completed", "outputs": {"a": 1}})).unwrap();
        let ack = acknowledge(&completed, 0);
        assert_eq!(ack.callback_status, "SYNCED");
        assert_eq!(ack.processed_at, "1970-01-01T00:00:00.000Z");
        let audit: Value = serde_json::from_str(&ack.audit_log).unwrap();
        assert_eq!(audit["event"], "DATA_ACTION_CALLBACK");
        assert_eq!(audit["invokeId"], "i1");
        let failed = parse_notification(json!({"invokeId": "i2", "status": "FAILED", "errors": [{"code": "E", "message": "m"}]})).unwrap();
        assert_eq!(failed.errors[0].code, "E");
        assert_eq!(acknowledge(&failed, 0).callback_status, "PROCESSED");
    }

    #[test]
    fn malformed_payloads_are_bad_input() {
        for payload in [json!([]), json!({"status": "completed"}), json!({"invokeId": "x"}), json!({"invokeId": "x", "status": "completed", "outputs": 3})] {
            assert_eq!(parse_notification(payload).unwrap_err().code(), "bad_input");
        }
        assert_eq!(parse_notification_body(b"{oops").unwrap_err().code(), "bad_input");
    }

    #[test]
    fn a_duplicate_gets_the_first_answer() {
        let mut ledger = CallbackLedger::new(2);
        let n = parse_notification(json!({"invokeId": "i1", "status": "completed"})).unwrap();
        let first = ledger.handle(&n, 1_000);
        let again = ledger.handle(&n, 9_000);
        assert!(again.duplicate && !first.duplicate);
        assert_eq!(again.processed_at, first.processed_at);
        assert_eq!(again.audit_log, first.audit_log);
    }

    #[test]
    fn a_new_status_of_the_same_invocation_is_not_a_duplicate() {
        let mut ledger = CallbackLedger::new(8);
        let running = parse_notification(json!({"invokeId": "i1", "status": "running"})).unwrap();
        let completed = parse_notification(json!({"invokeId": "i1", "status": "COMPLETED", "outputs": {"a": 1}})).unwrap();
        let first = ledger.handle(&running, 1_000);
        let last = ledger.handle(&completed, 2_000);
        assert!(!first.duplicate && !last.duplicate);
        assert_eq!((first.callback_status.as_str(), last.callback_status.as_str()), ("PROCESSED", "SYNCED"));
        assert_eq!(last.processed_at, "1970-01-01T00:00:02.000Z");
        let again = ledger.handle(&completed, 3_000);
        assert!(again.duplicate);
        assert_eq!(again.audit_log, last.audit_log);
        // Once ended, it stays ended: a late `running` or another terminal status changes nothing.
        for late in ["running", "failed"] {
            let n = parse_notification(json!({"invokeId": "i1", "status": late})).unwrap();
            let answer = ledger.handle(&n, 5_000);
            assert!(answer.duplicate, "{late}");
            assert_eq!(answer.audit_log, last.audit_log);
        }
        // Another invocation with the same status is its own notification.
        let other = parse_notification(json!({"invokeId": "i2", "status": "completed"})).unwrap();
        assert!(!ledger.handle(&other, 4_000).duplicate);
    }

    #[test]
    fn the_ledger_forgets_its_oldest_entries() {
        let mut ledger = CallbackLedger::new(2);
        let notifications: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|id| parse_notification(json!({"invokeId": id, "status": "completed"})).unwrap())
            .collect();
        for n in &notifications {
            assert!(!ledger.handle(n, 0).duplicate);
        }
        assert!(ledger.handle(&notifications[2], 0).duplicate);
        assert!(!ledger.handle(&notifications[0], 0).duplicate, "the oldest was forgotten");
    }

    #[test]
    fn standard_webhooks_signatures() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"invokeId":"i1","status":"completed"}"#;
        let signature = sign_webhook(secret, "msg_1", 1_700_000_000, body).unwrap();
        let headers = WebhookHeaders { id: Some("msg_1"), timestamp: Some("1700000000"), signature: Some(&signature) };
        let now = 1_700_000_010_000;
        assert_eq!(verify_webhook(secret, headers, body, now, 300_000), Ok(()));
        let multiple = format!("v1,AAAA {signature}");
        assert_eq!(verify_webhook(secret, WebhookHeaders { signature: Some(&multiple), ..headers }, body, now, 300_000), Ok(()));
        assert_eq!(verify_webhook(secret, headers, b"{}", now, 300_000), Err(SignatureError::Mismatch));
        assert_eq!(verify_webhook("whsec_b3RoZXI=", headers, body, now, 300_000), Err(SignatureError::Mismatch));
        assert_eq!(verify_webhook(secret, headers, body, now + 301_000, 300_000), Err(SignatureError::StaleTimestamp));
        assert_eq!(
            verify_webhook(secret, WebhookHeaders { id: None, ..headers }, body, now, 300_000),
            Err(SignatureError::MissingHeader("webhook-id"))
        );
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let signature = sign_webhook(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
