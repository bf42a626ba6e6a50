//! The persisted record of one proxied invocation (the Worker keeps it in the invocation's Durable
//! Object, with a read copy in KV). Transitions are monotonic and idempotent: the upstream's final
//! word is never overwritten, so duplicate callbacks, polls and retries converge on its first one.
//! `timed_out` is the proxy's own verdict, not the upstream's: a later final word from the
//! upstream (callback or poll) replaces it, keeping `timedOutAt`.
//!
//! Records carry a schema version; fields added after version 1 decode with defaults, so records
//! written by an earlier deploy are read, never dropped ([`InvocationRecord::decode`]).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

use super::audit::{audit_record_hashed, payload_hash, request_hashes, AuditFacts, AuditRecord, INVOCATION_EVENT};
use super::callback::{acknowledge, callback_audit, callback_status_for, CallbackAck, CallbackNotification};
use super::definition::OutputParameter;
use super::error::{DataActionsError, ErrorDetails};
use super::json::unit_variant;
use super::invocation::{is_terminal, InvocationResult, InvocationStatus};
use super::proxy::schedule::{worker_poll_delay_ms, INVOKE_ANSWER_GRACE_MS, RECORD_RETENTION_MS};
use super::time::format_rfc3339_millis;
use super::validate::{coerce_outputs, OutputShape};

/// The schema version this code writes. Version 1 (no `schemaVersion` field) is the KV-only
/// record; version 2 adds `schemaVersion`, `timedOutAtMs` and `declaredOutputs`.
pub const RECORD_SCHEMA_VERSION: u32 = 2;

/// A record is always written at the current schema version (one read at an earlier version
/// keeps that number in memory, and is written back upgraded).
fn write_current_version<S: serde::Serializer>(_read_as: &u32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u32(RECORD_SCHEMA_VERSION)
}

fn schema_version_1() -> u32 {
    1
}

/// A stored record that cannot be read. It is reported, never taken for an absent record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordDecodeError {
    /// Not a record of any known schema (its JSON path and the parser's message; no values).
    #[error("the stored record of {key} cannot be decoded: {message}")]
    Malformed {
        /// Where it was stored.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// Written by a newer deploy than this one.
    #[error("the stored record of {key} has schema version {version}, newer than this Worker's {RECORD_SCHEMA_VERSION}")]
    TooNew {
        /// Where it was stored.
        key: String,
        /// Its version.
        version: u32,
    },
}

impl RecordDecodeError {
    /// The error code the Worker answers with (HTTP 500).
    pub const CODE: &'static str = "record_undecodable";
}

/// Where a proxied invocation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Accepted upstream, not finished.
    Pending,
    /// Finished with outputs.
    Completed,
    /// Finished with an error.
    Failed,
    /// Cancelled upstream.
    Cancelled,
    /// No final word within the configured maximum.
    TimedOut,
}

impl RecordStatus {
    /// Whether the invocation has ended (for callers: no further change is expected).
    pub fn is_terminal(self) -> bool {
        self != RecordStatus::Pending
    }

    /// Whether the upstream's word may still change it: pending, or `timed_out` (the proxy's own
    /// verdict, which a later final answer from the upstream replaces).
    pub fn accepts_upstream_word(self) -> bool {
        matches!(self, RecordStatus::Pending | RecordStatus::TimedOut)
    }

    /// The record status of an upstream status.
    pub fn from_upstream(status: &str) -> RecordStatus {
        match status {
            "completed" => RecordStatus::Completed,
            "failed" => RecordStatus::Failed,
            "cancelled" => RecordStatus::Cancelled,
            _ => RecordStatus::Pending,
        }
    }

    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Pending => "pending",
            RecordStatus::Completed => "completed",
            RecordStatus::Failed => "failed",
            RecordStatus::Cancelled => "cancelled",
            RecordStatus::TimedOut => "timed_out",
        }
    }
}

impl RecordStatus {
    /// Every status, in the order of [`RecordStatus::NAMES`].
    pub const ALL: [RecordStatus; 5] =
        [RecordStatus::Pending, RecordStatus::Completed, RecordStatus::Failed, RecordStatus::Cancelled, RecordStatus::TimedOut];
    /// `NAMES[i]` is `ALL[i].as_str()` (a test holds them and `Serialize` together).
    pub const NAMES: [&'static str; 5] = ["pending", "completed", "failed", "cancelled", "timed_out"];
}

impl<'de> Deserialize<'de> for RecordStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        unit_variant(deserializer, "enum RecordStatus", &RecordStatus::NAMES, &RecordStatus::ALL, None)
    }
}

/// What brought a record to its final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompletionSource {
    /// The invoke answer itself (sync action, or waited for).
    Invoke,
    /// A status request.
    Poll,
    /// The upstream's callback.
    Callback,
    /// The deadline.
    Deadline,
}

impl<'de> Deserialize<'de> for CompletionSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use CompletionSource::*;
        unit_variant(deserializer, "enum CompletionSource", &["invoke", "poll", "callback", "deadline"], &[Invoke, Poll, Callback, Deadline], None)
    }
}

/// One proxied invocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationRecord {
    /// The schema version it was written with (absent, and so 1, in the first records).
    #[serde(default = "schema_version_1", serialize_with = "write_current_version")]
    pub schema_version: u32,
    /// The proxy's own id.
    pub invocation_id: String,
    /// The action.
    pub action_id: String,
    /// The upstream's id, once known.
    pub invoke_id: Option<String>,
    /// Where it stands.
    pub status: RecordStatus,
    /// The upstream's last reported status (`queued`, `running`...).
    pub upstream_status: Option<String>,
    /// Outputs of a completed invocation.
    pub outputs: Option<Map<String, Value>>,
    /// The error of a failed, cancelled or timed-out one.
    pub error: Option<ErrorDetails>,
    /// Creation time, ms since the epoch.
    pub created_at_ms: u64,
    /// Last change, ms since the epoch.
    pub updated_at_ms: u64,
    /// When it reached its final state.
    pub completed_at_ms: Option<u64>,
    /// Past this instant a pending record becomes `timed_out`.
    pub deadline_ms: u64,
    /// When the proxy ended it `timed_out`; kept when the upstream's word comes later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timed_out_at_ms: Option<u64>,
    /// Status requests made for it.
    pub poll_count: u32,
    /// When it should next be polled.
    pub next_poll_at_ms: u64,
    /// What ended it.
    pub completed_by: Option<CompletionSource>,
    /// From creation to completion.
    pub latency_ms: Option<u64>,
    /// The audit record of its end.
    pub audit: Option<AuditRecord>,
    /// SHA-256 of the canonical `{actionId, inputs, context}`: the same Idempotency-Key must come
    /// with the same request.
    pub request_hash: String,
    /// The caller's Idempotency-Key.
    pub idempotency_key: Option<String>,
    /// SHA-256 (hex) of the callback capability token; the token itself is never stored.
    pub callback_token_hash: String,
    /// SHA-256 of the canonical `{inputs, context}` sent upstream (what invocation audits hash).
    pub payload_hash: String,
    /// The definition's declared outputs: every completion path coerces outputs by them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declared_outputs: Vec<OutputParameter>,
    /// The definition's output schema, where it has one: completions coerce by it rather than by
    /// `declaredOutputs`. Added within version 2 without a bump: absent decodes as none, and a
    /// deploy that does not know it coerces by `declaredOutputs`, as it always did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
}

/// The canonical fingerprint of a request, for idempotency keys.
pub fn request_fingerprint(action_id: &str, inputs: &Value, context: &Value) -> String {
    request_hashes(action_id, inputs, context).0
}

/// What a callback did to a record, and the answer to give the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackOutcome {
    /// Whether the record changed (and must be written).
    pub changed: bool,
    /// The answer.
    pub ack: CallbackAck,
}

/// Poll errors that are about the proxy or the moment, not about the invocation (a redirect
/// means the proxy's base URL is wrong).
fn says_nothing_about_the_invocation(error: &DataActionsError) -> bool {
    matches!(
        error,
        DataActionsError::Unauthorized { .. }
            | DataActionsError::Forbidden { .. }
            | DataActionsError::Config { .. }
            | DataActionsError::RateLimited { .. }
            | DataActionsError::Cancelled { by_upstream: false, .. }
            | DataActionsError::Upstream { status: 300..=399, .. }
    )
}

/// The fields a new record needs.
pub struct NewRecord<'a> {
    /// The proxy's id.
    pub invocation_id: &'a str,
    /// The action.
    pub action_id: &'a str,
    /// The validated inputs.
    pub inputs: &'a Value,
    /// The context.
    pub context: &'a Value,
    /// The caller's Idempotency-Key.
    pub idempotency_key: Option<&'a str>,
    /// The callback capability token (only its hash is kept).
    pub callback_token: &'a str,
    /// How long it may stay pending.
    pub max_pending_ms: u64,
    /// The definition's declared outputs.
    pub declared_outputs: &'a [OutputParameter],
}

/// Whether an invoke that ended in `error` may have run the action upstream: no answer came
/// (timeout, connection lost after sending) or the upstream failed with a 5xx. Such an invoke is
/// never sent again; its record stays, so an Idempotency-Key replay cannot run it twice.
pub fn invoke_may_have_run(error: &DataActionsError) -> bool {
    match error {
        DataActionsError::Transport { outcome_unknown, .. } => *outcome_unknown,
        DataActionsError::Upstream { status, .. } => *status >= 500,
        DataActionsError::Timeout { .. } => true,
        _ => false,
    }
}

impl InvocationRecord {
    /// A pending record created at `now_ms`.
    pub fn new(fields: NewRecord<'_>, now_ms: u64) -> Self {
        let (request_hash, sent_payload_hash) = request_hashes(fields.action_id, fields.inputs, fields.context);
        InvocationRecord {
            schema_version: RECORD_SCHEMA_VERSION,
            invocation_id: fields.invocation_id.to_string(),
            action_id: fields.action_id.to_string(),
            invoke_id: None,
            status: RecordStatus::Pending,
            upstream_status: None,
            outputs: None,
            error: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            completed_at_ms: None,
            deadline_ms: now_ms.saturating_add(fields.max_pending_ms),
            timed_out_at_ms: None,
            poll_count: 0,
            // Until the invoke is answered, the first wake-up only checks that it was.
            next_poll_at_ms: now_ms.saturating_add(INVOKE_ANSWER_GRACE_MS),
            completed_by: None,
            latency_ms: None,
            audit: None,
            request_hash,
            idempotency_key: fields.idempotency_key.map(str::to_string),
            callback_token_hash: payload_hash(&Value::String(fields.callback_token.to_string())),
            payload_hash: sent_payload_hash,
            declared_outputs: fields.declared_outputs.to_vec(),
            output_schema: None,
        }
    }

    /// Reads a stored record (`key` names it in the error). Records of earlier schema versions
    /// decode with defaults for the fields added since; anything else is an error, never `None`.
    pub fn decode(key: &str, text: &str) -> Result<InvocationRecord, RecordDecodeError> {
        let record: InvocationRecord =
            crate::core::json::from_text(text).map_err(|e| RecordDecodeError::Malformed { key: key.to_string(), message: describe_json_error(&e) })?;
        if record.schema_version > RECORD_SCHEMA_VERSION {
            return Err(RecordDecodeError::TooNew { key: key.to_string(), version: record.schema_version });
        }
        Ok(record)
    }

    /// The record as stored (JSON, at the current schema version).
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Records an invoke whose outcome is unknown ([`invoke_may_have_run`]): it stays pending
    /// with the error, so an Idempotency-Key replay finds it and never runs the action again; a
    /// callback may still end it, and its deadline ends it `timed_out` otherwise (without an
    /// upstream id it cannot be polled). Returns whether anything changed.
    pub fn apply_unknown_invoke_outcome(&mut self, error: &DataActionsError, now_ms: u64) -> bool {
        if self.status != RecordStatus::Pending || self.invoke_id.is_some() {
            return false;
        }
        self.error = Some(error.details());
        self.updated_at_ms = now_ms;
        self.next_poll_at_ms = self.deadline_ms;
        true
    }

    /// When the invocation's object should wake next: at [`Self::next_wake_at_ms`] while pending,
    /// else when the finished record's retention ends (the object then deletes its storage).
    pub fn wake_at_ms(&self) -> u64 {
        self.next_wake_at_ms().unwrap_or_else(|| self.completed_at_ms.unwrap_or(self.updated_at_ms).saturating_add(RECORD_RETENTION_MS))
    }

    /// Whether a finished record's retention has ended at `now_ms`.
    pub fn retention_ended(&self, now_ms: u64) -> bool {
        self.next_wake_at_ms().is_none() && now_ms >= self.wake_at_ms()
    }

    /// Seconds a read copy written at `now_ms` should live: until the record's retention ends
    /// (for a pending one: its deadline plus the retention).
    pub fn read_copy_ttl_s(&self, now_ms: u64) -> u64 {
        let until = match self.next_wake_at_ms() {
            Some(_) => self.deadline_ms.saturating_add(RECORD_RETENTION_MS),
            None => self.wake_at_ms(),
        };
        until.saturating_sub(now_ms) / 1000
    }

    /// When the object should next act on its own: the next poll or the deadline of a pending
    /// record; `None` once the upstream's word or the deadline ended it.
    pub fn next_wake_at_ms(&self) -> Option<u64> {
        (self.status == RecordStatus::Pending).then(|| self.next_poll_at_ms.min(self.deadline_ms))
    }

    /// Whether `token` is this record's callback capability (constant-time on the hashes).
    pub fn callback_token_matches(&self, token: &str) -> bool {
        let presented = payload_hash(&Value::String(token.to_string()));
        super::callback::constant_time_eq(presented.as_bytes(), self.callback_token_hash.as_bytes())
    }

    /// Applies the invoke's answer (pending or final). Returns whether anything changed.
    pub fn apply_invoke_result(&mut self, result: &InvocationResult, now_ms: u64) -> bool {
        if self.status.is_terminal() {
            return false;
        }
        if result.invoke_id.is_some() {
            self.invoke_id.clone_from(&result.invoke_id);
        }
        self.poll_count = self.poll_count.max(result.polls);
        let status = RecordStatus::from_upstream(&result.status);
        if status.is_terminal() {
            self.finish(status, Some(result.outputs.clone()), error_of_result(result), CompletionSource::Invoke, result.audit.clone(), now_ms);
        } else {
            self.upstream_status = Some(result.status.clone());
            self.updated_at_ms = now_ms;
            self.next_poll_at_ms = now_ms.saturating_add(self.next_poll_delay_ms(now_ms));
        }
        true
    }

    /// Applies an error that ended the invoke itself after the upstream ran the action (a sync
    /// action that failed): the record is failed (or cancelled), completed by the invoke.
    pub fn apply_invoke_error(&mut self, error: &DataActionsError, now_ms: u64) -> bool {
        if self.status.is_terminal() {
            return false;
        }
        let status = match error {
            DataActionsError::Cancelled { by_upstream: true, .. } => RecordStatus::Cancelled,
            _ => RecordStatus::Failed,
        };
        let details = error.clone().with_invoke_id(self.invoke_id.as_deref()).details();
        self.finish(status, None, Some(details), CompletionSource::Invoke, None, now_ms);
        true
    }

    /// The wait before the next poll at `now_ms`, by the core's poll schedule for the Worker. Its
    /// jitter draw comes from the record itself (its random callback token's hash and its poll
    /// count), so records spread their polls while transitions stay deterministic.
    fn next_poll_delay_ms(&self, now_ms: u64) -> u64 {
        let seed = self.callback_token_hash.get(..16).and_then(|hex| u64::from_str_radix(hex, 16).ok()).unwrap_or(0);
        let draw = seed ^ u64::from(self.poll_count).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        worker_poll_delay_ms(now_ms.saturating_sub(self.created_at_ms), draw)
    }

    /// Whether a pending record should be polled at `now_ms`: its next poll is due, or its
    /// deadline has passed.
    pub fn is_due(&self, now_ms: u64) -> bool {
        !self.status.is_terminal() && (now_ms >= self.next_poll_at_ms || now_ms >= self.deadline_ms)
    }

    /// Applies the outcome of one poll, schedules the next one (backing off), and ends the record
    /// at its deadline. Errors that say nothing about the invocation itself (the proxy's own
    /// credentials refused, a missing scope, rate limiting, network trouble) keep it pending; an
    /// upstream that no longer knows it fails it. Returns whether anything changed.
    pub fn apply_poll_outcome(&mut self, outcome: &Result<InvocationStatus, DataActionsError>, now_ms: u64) -> bool {
        if self.status == RecordStatus::TimedOut {
            // Only the upstream's final word moves a timed-out record.
            return matches!(outcome, Ok(status) if self.apply_status(status, 0, now_ms));
        }
        if self.status.is_terminal() {
            return false;
        }
        let delay = self.next_poll_delay_ms(now_ms);
        let changed = match outcome {
            Ok(status) => self.apply_status(status, delay, now_ms),
            Err(error) if self.invoke_id.is_some() && !says_nothing_about_the_invocation(error) => self.apply_error(error, delay, now_ms),
            Err(_) => {
                self.poll_count = self.poll_count.saturating_add(1);
                self.next_poll_at_ms = now_ms.saturating_add(delay);
                self.updated_at_ms = now_ms;
                true
            }
        };
        self.expire_if_due(now_ms) || changed
    }

    /// Applies a completion callback and answers it. A callback for another upstream invocation
    /// is refused; a duplicate or late one changes nothing and gets the first answer back.
    pub fn accept_callback(&mut self, notification: &CallbackNotification, now_ms: u64) -> Result<CallbackOutcome, DataActionsError> {
        if self.invoke_id.as_deref().is_some_and(|known| known != notification.invoke_id) {
            return Err(DataActionsError::BadInput { message: "the callback's invokeId is not this invocation's".into() });
        }
        let changed = self.apply_callback(notification, now_ms);
        Ok(CallbackOutcome { changed, ack: self.callback_ack(notification, !changed, now_ms) })
    }

    /// The answer to a callback. A terminal record answers what its end was, whatever the
    /// callback says: `SYNCED` for completed, `PROCESSED` otherwise, with the record's audit line
    /// and completion time, so every later callback gets the first answer back. A pending record
    /// acknowledges the (non-final) notification itself.
    pub fn callback_ack(&self, notification: &CallbackNotification, duplicate: bool, now_ms: u64) -> CallbackAck {
        match (self.status.is_terminal(), &self.audit, self.completed_at_ms) {
            (true, Some(audit), Some(at)) => CallbackAck {
                callback_status: callback_status_for(self.status.as_str()).to_string(),
                audit_log: audit.to_line(),
                processed_at: format_rfc3339_millis(at),
                duplicate,
            },
            _ => CallbackAck { duplicate, ..acknowledge(notification, now_ms) },
        }
    }

    /// Applies a status report; `next_poll_in_ms` schedules the next poll of a pending record.
    pub fn apply_status(&mut self, status: &InvocationStatus, next_poll_in_ms: u64, now_ms: u64) -> bool {
        if !self.status.accepts_upstream_word() || (self.status == RecordStatus::TimedOut && !is_terminal(&status.status)) {
            return false;
        }
        self.poll_count = self.poll_count.saturating_add(1);
        self.updated_at_ms = now_ms;
        if is_terminal(&status.status) {
            let record_status = RecordStatus::from_upstream(&status.status);
            let error = match record_status {
                RecordStatus::Completed => None,
                _ => Some(error_of_status(&status.status, &status.errors, self.invoke_id.as_deref())),
            };
            self.finish(record_status, Some(status.outputs.clone()), error, CompletionSource::Poll, None, now_ms);
        } else {
            self.upstream_status = Some(status.status.clone());
            self.next_poll_at_ms = now_ms.saturating_add(next_poll_in_ms);
        }
        true
    }

    /// Applies a completion callback. A duplicate or late one changes nothing.
    pub fn apply_callback(&mut self, notification: &CallbackNotification, now_ms: u64) -> bool {
        if !self.status.accepts_upstream_word() || !is_terminal(&notification.status) {
            if self.status == RecordStatus::Pending && self.upstream_status.as_deref() != Some(notification.status.as_str()) {
                self.upstream_status = Some(notification.status.clone());
                self.updated_at_ms = now_ms;
                return true;
            }
            return false;
        }
        if self.invoke_id.is_none() {
            self.invoke_id = Some(notification.invoke_id.clone());
        }
        let status = RecordStatus::from_upstream(&notification.status);
        let error = match status {
            RecordStatus::Completed => None,
            _ => Some(error_of_status(&notification.status, &notification.errors, Some(&notification.invoke_id))),
        };
        let audit = callback_audit(notification, Some(&self.action_id), now_ms);
        self.finish(status, Some(notification.outputs.clone()), error, CompletionSource::Callback, Some(audit), now_ms);
        true
    }

    /// Applies an error: a final one fails the record; a transient one (retryable, or a
    /// transport failure while polling) leaves it pending and schedules another try.
    pub fn apply_error(&mut self, error: &DataActionsError, retry_in_ms: u64, now_ms: u64) -> bool {
        if self.status.is_terminal() {
            return false;
        }
        let transient = self.invoke_id.is_some()
            && (error.retryable() || matches!(error, DataActionsError::Transport { .. } | DataActionsError::Timeout { .. }));
        if transient {
            self.next_poll_at_ms = now_ms.saturating_add(retry_in_ms);
            self.updated_at_ms = now_ms;
            return true;
        }
        let status = match error {
            DataActionsError::Cancelled { by_upstream: true, .. } => RecordStatus::Cancelled,
            _ => RecordStatus::Failed,
        };
        let details = error.clone().with_invoke_id(self.invoke_id.as_deref()).details();
        self.finish(status, None, Some(details), CompletionSource::Poll, None, now_ms);
        true
    }

    /// Ends a pending record past its deadline as `timed_out`.
    pub fn expire_if_due(&mut self, now_ms: u64) -> bool {
        if self.status.is_terminal() || now_ms < self.deadline_ms {
            return false;
        }
        let error = DataActionsError::Timeout {
            status: None,
            invoke_id: self.invoke_id.clone(),
            elapsed_ms: now_ms.saturating_sub(self.created_at_ms),
        };
        self.finish(RecordStatus::TimedOut, None, Some(error.details()), CompletionSource::Deadline, None, now_ms);
        self.timed_out_at_ms = Some(now_ms);
        true
    }

    fn finish(
        &mut self,
        status: RecordStatus,
        outputs: Option<Map<String, Value>>,
        error: Option<ErrorDetails>,
        source: CompletionSource,
        audit: Option<AuditRecord>,
        now_ms: u64,
    ) {
        let latency = now_ms.saturating_sub(self.created_at_ms);
        self.status = status;
        self.outputs = match (status, outputs) {
            (RecordStatus::Completed, Some(outputs)) => Some(coerce_outputs(OutputShape { declared: &self.declared_outputs, schema: self.output_schema.as_ref() }, outputs)),
            _ => None,
        };
        self.error = error;
        self.updated_at_ms = now_ms;
        self.completed_at_ms = Some(now_ms);
        self.completed_by = Some(source);
        self.latency_ms = Some(latency);
        self.upstream_status = Some(status.as_str().to_string());
        let audit = audit.unwrap_or_else(|| {
            audit_record_hashed(
                AuditFacts {
                    invoke_id: self.invoke_id.as_deref(),
                    action_id: &self.action_id,
                    status: status.as_str(),
                    latency_ms: latency,
                    payload: &Value::Null,
                    event: INVOCATION_EVENT,
                },
                self.payload_hash.clone(),
                now_ms,
            )
        });
        self.audit = Some(audit);
    }

    /// The record as callers see it: no hashes of secrets, times as RFC 3339.
    pub fn public_view(&self) -> Value {
        let mut view = json!({
            "invocationId": self.invocation_id,
            "actionId": self.action_id,
            "invokeId": self.invoke_id,
            "status": self.status.as_str(),
            "upstreamStatus": self.upstream_status,
            "createdAt": format_rfc3339_millis(self.created_at_ms),
            "updatedAt": format_rfc3339_millis(self.updated_at_ms),
            "pollCount": self.poll_count,
        });
        if let Some(object) = view.as_object_mut() {
            if let Some(outputs) = &self.outputs {
                object.insert("outputs".into(), Value::Object(outputs.clone()));
            }
            if let Some(error) = &self.error {
                object.insert("error".into(), serde_json::to_value(error).unwrap_or(Value::Null));
            }
            if let Some(at) = self.completed_at_ms {
                object.insert("completedAt".into(), Value::String(format_rfc3339_millis(at)));
            }
            if let Some(source) = self.completed_by {
                object.insert("completedBy".into(), serde_json::to_value(source).unwrap_or(Value::Null));
            }
            if let Some(latency) = self.latency_ms {
                object.insert("latencyMs".into(), Value::from(latency));
            }
            if let Some(audit) = &self.audit {
                object.insert("audit".into(), serde_json::to_value(audit).unwrap_or(Value::Null));
            }
            if let Some(at) = self.timed_out_at_ms {
                object.insert("timedOutAt".into(), Value::String(format_rfc3339_millis(at)));
            }
        }
        view
    }
}

/// The parser's message and position (serde_json never quotes the input's values).
fn describe_json_error(error: &serde_json::Error) -> String {
    format!("{error}")
}

fn error_of_result(result: &InvocationResult) -> Option<ErrorDetails> {
    match result.status.as_str() {
        "completed" => None,
        other => Some(error_of_status(other, &result.errors, result.invoke_id.as_deref())),
    }
}

fn error_of_status(status: &str, errors: &[super::error::UpstreamError], invoke_id: Option<&str>) -> ErrorDetails {
    let first = errors.first().cloned();
    let error = if status == "cancelled" {
        DataActionsError::Cancelled { invoke_id: invoke_id.map(str::to_string), by_upstream: true }
    } else {
        DataActionsError::ExecutionFailed {
            correlation_id: None,
            status: None,
            invoke_id: invoke_id.map(str::to_string),
            upstream_code: first.as_ref().map(|e| e.code.clone()),
            message: first.map(|e| e.message).unwrap_or_else(|| format!("the action reported {status}")),
            errors: errors.to_vec(),
        }
    };
    error.details()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::callback::parse_notification;

    fn record() -> InvocationRecord {
        InvocationRecord::new(
            NewRecord {
                invocation_id: "inv_1",
                action_id: "export-report",
                inputs: &json!({"reportName": "r"}),
                context: &json!({}),
                idempotency_key: Some("k1"),
                callback_token: "cap-token",
                max_pending_ms: 60_000,
                declared_outputs: &[OutputParameter { name: "rows".into(), param_type: crate::core::definition::ParamType::Integer }],
            },
            1_000,
        )
    }

    #[test]
    fn the_upstreams_final_word_replaces_a_timeout_and_keeps_timed_out_at() {
        let mut r = record();
        r.apply_invoke_result(&pending("up-1"), 1_010);
        assert!(r.expire_if_due(61_000));
        assert_eq!((r.status, r.timed_out_at_ms), (RecordStatus::TimedOut, Some(61_000)));
        let running = parse_notification(json!({"invokeId": "up-1", "status": "running"})).unwrap();
        assert!(!r.apply_callback(&running, 62_000), "a non-final word does not reopen it");
        let done = parse_notification(json!({"invokeId": "up-1", "status": "completed", "outputs": {"rows": "12"}})).unwrap();
        let outcome = r.accept_callback(&done, 70_000).unwrap();
        assert!(outcome.changed && !outcome.ack.duplicate);
        assert_eq!(outcome.ack.callback_status, "SYNCED");
        assert_eq!((r.status, r.completed_by, r.timed_out_at_ms), (RecordStatus::Completed, Some(CompletionSource::Callback), Some(61_000)));
        assert_eq!(r.outputs.as_ref().and_then(|o| o.get("rows")), Some(&json!(12)), "coerced by the declared type");
        let view = r.public_view();
        assert_eq!((view["timedOutAt"].as_str(), view["status"].as_str()), (Some("1970-01-01T00:01:01.000Z"), Some("completed")));
        assert!(view.get("error").is_none());
        let failed = parse_notification(json!({"invokeId": "up-1", "status": "failed"})).unwrap();
        assert!(!r.apply_callback(&failed, 80_000), "the upstream's final word is never overwritten");
    }

    #[test]
    fn a_poll_after_the_timeout_also_ends_it_with_coerced_outputs() {
        let mut r = record();
        r.apply_invoke_result(&pending("up-1"), 1_010);
        r.expire_if_due(61_000);
        let running = InvocationStatus { invoke_id: "up-1".into(), status: "running".into(), outputs: Map::new(), errors: vec![] };
        assert!(!r.apply_poll_outcome(&Ok(running), 62_000));
        let gone = DataActionsError::NotFound { correlation_id: None, upstream_code: None, message: "gone".into(), invoke_id: None };
        assert!(!r.apply_poll_outcome(&Err(gone), 62_000), "errors are not the upstream's word on the invocation");
        let mut outputs = Map::new();
        outputs.insert("rows".into(), json!("7"));
        outputs.insert("note".into(), json!("kept"));
        let done = InvocationStatus { invoke_id: "up-1".into(), status: "completed".into(), outputs, errors: vec![] };
        assert!(r.apply_poll_outcome(&Ok(done), 63_000));
        assert_eq!((r.status, r.completed_by, r.timed_out_at_ms), (RecordStatus::Completed, Some(CompletionSource::Poll), Some(61_000)));
        assert_eq!(r.outputs, Some(serde_json::from_value(json!({"rows": 7, "note": "kept"})).unwrap()));
    }

    #[test]
    fn records_of_the_first_schema_decode_with_defaults() {
        let v1 = include_str!("../../tests/fixtures/record-v1-pending.json");
        let r = InvocationRecord::decode("inv:dai_0123456789abcdef0123456789abcdef", v1).unwrap();
        assert_eq!((r.schema_version, r.status, r.invoke_id.as_deref()), (1, RecordStatus::Pending, Some("9f1c2e4a-0000-4000-8000-000000000001")));
        assert!(r.declared_outputs.is_empty() && r.timed_out_at_ms.is_none());
        assert!(r.callback_token_matches("cap-token"));
        let stored = r.encode();
        assert!(stored.contains(&format!("\"schemaVersion\":{RECORD_SCHEMA_VERSION}")));
        assert_eq!(InvocationRecord::decode("k", &stored).map(|r| r.invocation_id), Ok(r.invocation_id.clone()));
        let done = include_str!("../../tests/fixtures/record-v1-completed.json");
        let r = InvocationRecord::decode("k", done).unwrap();
        assert_eq!((r.status, r.completed_by), (RecordStatus::Completed, Some(CompletionSource::Callback)));
    }

    #[test]
    fn a_record_that_cannot_be_decoded_is_an_error_not_an_absence() {
        let error = InvocationRecord::decode("inv:x", "{\"invocationId\": 3}").unwrap_err();
        assert!(matches!(error, RecordDecodeError::Malformed { .. }));
        assert!(error.to_string().contains("inv:x"));
        let mut newer: Value = serde_json::from_str(&record().encode()).unwrap();
        newer["schemaVersion"] = json!(RECORD_SCHEMA_VERSION + 1);
        let error = InvocationRecord::decode("inv:y", &newer.to_string()).unwrap_err();
        assert_eq!(error, RecordDecodeError::TooNew { key: "inv:y".into(), version: RECORD_SCHEMA_VERSION + 1 });
    }

    #[test]
    fn an_invoke_of_unknown_outcome_keeps_the_record_pending_until_its_deadline() {
        let mut r = record();
        let lost = DataActionsError::Transport {
            kind: crate::core::http::TransportFailureKind::Timeout,
            message: "no answer".into(),
            outcome_unknown: true,
            invoke_id: None,
        };
        assert!(invoke_may_have_run(&lost));
        assert!(!invoke_may_have_run(&DataActionsError::RateLimited { correlation_id: None, attempts: 3, upstream_code: None, retry_after_ms: None, message: "slow".into() }));
        assert!(r.apply_unknown_invoke_outcome(&lost, 1_100));
        assert_eq!((r.status, r.next_wake_at_ms()), (RecordStatus::Pending, Some(61_000)));
        assert_eq!(r.error.as_ref().map(|e| e.code.as_str()), Some("transport"));
        let done = parse_notification(json!({"invokeId": "up-9", "status": "completed", "outputs": {}})).unwrap();
        assert!(r.apply_callback(&done, 5_000), "the upstream's callback still ends it");
        assert_eq!((r.status, r.invoke_id.as_deref(), r.error.as_ref()), (RecordStatus::Completed, Some("up-9"), None));
        assert_eq!(r.next_wake_at_ms(), None);
        assert_eq!(r.wake_at_ms(), 5_000 + RECORD_RETENTION_MS);
        assert!(!r.retention_ended(5_000 + RECORD_RETENTION_MS - 1) && r.retention_ended(5_000 + RECORD_RETENTION_MS));
        assert_eq!(r.read_copy_ttl_s(5_000), RECORD_RETENTION_MS / 1000);
    }

    #[test]
    fn a_new_record_first_wakes_to_check_that_its_invoke_was_answered() {
        let r = record();
        assert_eq!(r.next_wake_at_ms(), Some(1_000 + INVOKE_ANSWER_GRACE_MS));
        assert_eq!(r.read_copy_ttl_s(1_000), (60_000 + RECORD_RETENTION_MS) / 1000);
        assert!(!r.retention_ended(u64::MAX));
    }

    fn pending(invoke_id: &str) -> InvocationResult {
        InvocationResult {
            action_id: "export-report".into(),
            invoke_id: Some(invoke_id.into()),
            status: "pending".into(),
            outputs: Map::new(),
            errors: vec![],
            latency_ms: 5,
            polls: 0,
            audit: None,
        }
    }

    #[test]
    fn terminal_states_are_never_overwritten() {
        let mut r = record();
        assert!(r.apply_invoke_result(&pending("up-1"), 1_010));
        let done = parse_notification(json!({"invokeId": "up-1", "status": "completed", "outputs": {"rows": 3}})).unwrap();
        assert!(r.apply_callback(&done, 2_000));
        assert_eq!(r.status, RecordStatus::Completed);
        assert_eq!(r.completed_by, Some(CompletionSource::Callback));
        let snapshot = r.clone();
        assert!(!r.apply_callback(&done, 3_000), "a duplicate changes nothing");
        let failed = parse_notification(json!({"invokeId": "up-1", "status": "failed"})).unwrap();
        assert!(!r.apply_callback(&failed, 3_000));
        let running = InvocationStatus { invoke_id: "up-1".into(), status: "running".into(), outputs: Map::new(), errors: vec![] };
        assert!(!r.apply_status(&running, 100, 3_000));
        assert!(!r.expire_if_due(u64::MAX));
        assert_eq!(r, snapshot);
    }

    #[test]
    fn pending_records_time_out_at_the_deadline() {
        let mut r = record();
        r.apply_invoke_result(&pending("up-1"), 1_010);
        assert!(!r.expire_if_due(60_999));
        assert!(r.expire_if_due(61_000));
        assert_eq!(r.status, RecordStatus::TimedOut);
        let view = r.public_view();
        assert_eq!(view["status"], "timed_out");
        assert_eq!(view["error"]["code"], "timeout");
        assert_eq!(view["error"]["invokeId"], "up-1");
        assert!(view.get("callbackTokenHash").is_none() && view.get("requestHash").is_none());
    }

    #[test]
    fn transient_poll_errors_keep_it_pending_and_final_ones_fail_it() {
        let mut r = record();
        r.apply_invoke_result(&pending("up-1"), 1_010);
        let transient = DataActionsError::Upstream { correlation_id: None, status: 503, upstream_code: None, message: "busy".into(), invoke_id: None, retryable: true };
        assert!(r.apply_error(&transient, 5_000, 2_000));
        assert_eq!((r.status, r.next_poll_at_ms), (RecordStatus::Pending, 7_000));
        let gone = DataActionsError::NotFound { correlation_id: None, upstream_code: None, message: "gone".into(), invoke_id: None };
        assert!(r.apply_error(&gone, 5_000, 3_000));
        assert_eq!(r.status, RecordStatus::Failed);
        assert_eq!(r.error.as_ref().and_then(|e| e.invoke_id.as_deref()), Some("up-1"));
    }

    #[test]
    fn a_redirected_poll_says_nothing_about_the_invocation() {
        let mut r = record();
        r.apply_invoke_result(&pending("up-1"), 1_010);
        let moved = DataActionsError::Upstream { correlation_id: None, status: 302, upstream_code: None, message: "redirect".into(), invoke_id: None, retryable: false };
        assert!(r.apply_poll_outcome(&Err(moved), 2_000));
        assert_eq!(r.status, RecordStatus::Pending, "a wrong base URL is the proxy's problem, not a failed invocation");
        assert!(r.next_poll_at_ms > 2_000);
    }

    #[test]
    fn the_callback_token_is_kept_only_as_a_hash() {
        let r = record();
        assert!(r.callback_token_matches("cap-token"));
        assert!(!r.callback_token_matches("cap-tokem"));
        assert!(!serde_json::to_string(&r).unwrap_or_default().contains("cap-token"));
        assert_eq!(r.request_hash, request_fingerprint("export-report", &json!({"reportName": "r"}), &json!({})));
    }

    #[test]
    fn a_pending_answer_schedules_the_first_poll_and_polls_back_off() {
        // The Worker's schedule: 2 s at first, then a quarter of the record's age, at most a
        // minute; each wait less up to 10% of jitter.
        let within = |wait: u64, base: u64| wait <= base && wait >= base - base / 10;
        let mut r = record();
        r.apply_invoke_result(&pending("up-1"), 1_010);
        let first = r.next_poll_at_ms;
        assert!(within(first - 1_010, 2_000), "{first}");
        assert!(!r.is_due(first - 1) && r.is_due(first));
        let running = InvocationStatus { invoke_id: "up-1".into(), status: "running".into(), outputs: Map::new(), errors: vec![] };
        assert!(r.apply_poll_outcome(&Ok(running.clone()), 21_000));
        assert_eq!(r.poll_count, 1);
        assert!(within(r.next_poll_at_ms - 21_000, 5_000), "a quarter of the 20 s age: {}", r.next_poll_at_ms);
        let mut long = record();
        long.deadline_ms = u64::MAX;
        long.apply_invoke_result(&pending("up-2"), 1_010);
        assert!(long.apply_poll_outcome(&Ok(running.clone()), 3_601_000));
        assert!(within(long.next_poll_at_ms - 3_601_000, 60_000), "capped at a minute");
        let draws: std::collections::BTreeSet<u64> = (0..20)
            .map(|i| {
                let mut other = record();
                other.callback_token_hash = payload_hash(&Value::String(format!("token-{i}")));
                other.apply_invoke_result(&pending("up-3"), 1_010);
                other.next_poll_at_ms
            })
            .collect();
        assert!(draws.len() > 5, "records spread their polls: {draws:?}");
        assert!(r.apply_poll_outcome(&Ok(running), 30_000));
        assert_eq!(r.poll_count, 2);
        let refused = DataActionsError::Unauthorized { correlation_id: None, status: 401, upstream_code: None, message: "no".into() };
        assert!(r.apply_poll_outcome(&Err(refused), 35_010));
        assert_eq!(r.status, RecordStatus::Pending, "the proxy's credentials say nothing about the invocation");
        let gone = DataActionsError::NotFound { correlation_id: None, upstream_code: None, message: "gone".into(), invoke_id: None };
        assert!(r.apply_poll_outcome(&Err(gone), 40_000));
        assert_eq!((r.status, r.completed_by), (RecordStatus::Failed, Some(CompletionSource::Poll)));
    }

    #[test]
    fn a_poll_past_the_deadline_times_out() {
        let mut r = record();
        r.apply_invoke_result(&pending("up-1"), 1_010);
        assert!(r.is_due(61_000));
        let running = InvocationStatus { invoke_id: "up-1".into(), status: "running".into(), outputs: Map::new(), errors: vec![] };
        assert!(r.apply_poll_outcome(&Ok(running), 61_000));
        assert_eq!((r.status, r.completed_by), (RecordStatus::TimedOut, Some(CompletionSource::Deadline)));
        assert!(!r.is_due(u64::MAX));
    }

    #[test]
    fn a_failed_sync_invoke_is_recorded_as_failed_by_the_invoke() {
        let mut r = record();
        let error = DataActionsError::ExecutionFailed {
            correlation_id: None,
            status: Some(500),
            invoke_id: None,
            upstream_code: Some("DOWNSTREAM_ERROR".into()),
            message: "CRM returned 500".into(),
            errors: vec![],
        };
        assert!(r.apply_invoke_error(&error, 1_050));
        assert_eq!((r.status, r.completed_by), (RecordStatus::Failed, Some(CompletionSource::Invoke)));
        assert_eq!(r.public_view()["error"]["upstreamCode"], "DOWNSTREAM_ERROR");
        assert!(!r.apply_invoke_error(&error, 2_000));
    }

    #[test]
    fn callbacks_are_answered_from_the_record() {
        let mut r = record();
        r.apply_invoke_result(&pending("up-1"), 1_010);
        let running = parse_notification(json!({"invokeId": "up-1", "status": "running"})).unwrap();
        let first = r.accept_callback(&running, 1_500).unwrap();
        assert!(first.changed && !first.ack.duplicate);
        assert_eq!(first.ack.callback_status, "PROCESSED");
        let done = parse_notification(json!({"invokeId": "up-1", "status": "completed", "outputs": {"rows": 3}})).unwrap();
        let finished = r.accept_callback(&done, 2_000).unwrap();
        assert!(finished.changed && !finished.ack.duplicate);
        assert_eq!(finished.ack.callback_status, "SYNCED");
        assert_eq!(finished.ack.processed_at, "1970-01-01T00:00:02.000Z");
        let again = r.accept_callback(&done, 9_000).unwrap();
        assert!(!again.changed && again.ack.duplicate);
        assert_eq!((&again.ack.audit_log, &again.ack.processed_at), (&finished.ack.audit_log, &finished.ack.processed_at));
        let late_failure = parse_notification(json!({"invokeId": "up-1", "status": "failed"})).unwrap();
        assert_eq!(r.accept_callback(&late_failure, 9_500).unwrap().ack.callback_status, "SYNCED");
        let other = parse_notification(json!({"invokeId": "up-2", "status": "completed"})).unwrap();
        assert_eq!(r.accept_callback(&other, 9_600).unwrap_err().code(), "bad_input");
        assert_eq!(r.status, RecordStatus::Completed);
    }

    #[test]
    fn a_late_callback_after_a_poll_gets_the_polls_end() {
        let mut r = record();
        r.apply_invoke_result(&pending("up-1"), 1_010);
        let failed = InvocationStatus { invoke_id: "up-1".into(), status: "failed".into(), outputs: Map::new(), errors: vec![] };
        r.apply_poll_outcome(&Ok(failed), 4_000);
        let late = parse_notification(json!({"invokeId": "up-1", "status": "failed"})).unwrap();
        let outcome = r.accept_callback(&late, 5_000).unwrap();
        assert!(!outcome.changed && outcome.ack.duplicate);
        assert_eq!(outcome.ack.callback_status, "PROCESSED");
        assert_eq!(outcome.ack.processed_at, "1970-01-01T00:00:04.000Z");
    }
}
