//! Invocation records: their time-driven status, the poll body, the callback payload and
//! the bounded store that holds them.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::http::Uri;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::catalogue::{Mode, Outcome};
use crate::clock::{millis_between, rfc3339};
use crate::errors::ErrorItem;

/// How many invocations are remembered; the oldest are forgotten beyond it.
pub const STORE_CAPACITY: usize = 100_000;

/// The longest an async invocation stays `queued`.
const MAX_QUEUED: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Cancelled)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// One HTTP attempt at delivering a callback.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// 1 for the first attempt of a delivery, 2.. for its retries.
    pub attempt: u32,
    /// Whether this belongs to the duplicate delivery (`callbackDuplicate`).
    pub duplicate: bool,
    pub at: SystemTime,
    /// The `webhook-timestamp` sent, when signing is on.
    pub webhook_timestamp: Option<u64>,
    /// The receiver's status code, when it answered.
    pub http_status: Option<u16>,
    /// Why the attempt failed without an answer (connect error, timeout).
    pub error: Option<String>,
}

/// Where a callback stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// The invocation is not terminal yet.
    Waiting,
    /// Being delivered (or delayed by `callbackDelayMs`).
    Pending,
    Delivered,
    Failed,
    Dropped,
}

/// The callback an invocation asked for.
#[derive(Debug, Clone)]
pub struct CallbackTarget {
    pub url: String,
    pub uri: Uri,
    pub state: DeliveryState,
    pub attempts: Vec<Attempt>,
}

/// A callback ready to be delivered.
#[derive(Debug, Clone)]
pub struct CallbackJob {
    pub invoke_id: String,
    pub uri: Uri,
    pub body: Bytes,
}

/// An invocation of a data action.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub invoke_id: String,
    pub action_id: String,
    pub mode: Mode,
    pub created: Instant,
    pub created_wall: SystemTime,
    /// How long it stays `queued`.
    pub queued_for: Duration,
    /// When it reaches `outcome`, counted from `created`; `None` runs forever.
    pub run_for: Option<Duration>,
    /// Its status once `run_for` has elapsed.
    pub outcome: Status,
    pub outputs: Option<Map<String, Value>>,
    pub errors: Vec<ErrorItem>,
    /// When it was cancelled with DELETE.
    pub cancelled: Option<(Instant, SystemTime)>,
    pub inputs: Map<String, Value>,
    pub context: Option<Value>,
    pub callback: Option<CallbackTarget>,
}

/// The time-related part of a new invocation.
pub struct Timing {
    pub created: Instant,
    pub created_wall: SystemTime,
    pub run_for: Option<Duration>,
}

impl Timing {
    /// An async run: queued for the first 10% of the run (at most 100 ms), then running.
    pub fn queued_for(&self) -> Duration {
        match self.run_for {
            Some(run) => (run / 10).min(MAX_QUEUED),
            None => MAX_QUEUED,
        }
    }
}

/// The terminal status a script outcome leads to (`Never` has none).
pub fn outcome_status(outcome: Outcome) -> Status {
    match outcome {
        Outcome::Completed => Status::Completed,
        Outcome::Failed => Status::Failed,
        Outcome::Cancelled | Outcome::Never => Status::Cancelled,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusBody<'a> {
    invoke_id: &'a str,
    action_id: &'a str,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [ErrorItem]>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallbackPayload<'a> {
    invoke_id: &'a str,
    action_id: &'a str,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [ErrorItem]>,
    latency_ms: u64,
    completed_at: String,
}

impl Invocation {
    fn wall(&self, at: Instant) -> SystemTime {
        self.created_wall + at.saturating_duration_since(self.created)
    }

    /// When it became (or will become) terminal, if it does.
    fn terminal_at(&self) -> Option<(Instant, Status)> {
        let scripted = self.run_for.map(|run| (self.created + run, self.outcome));
        match (self.cancelled, scripted) {
            (Some((cancelled, _)), Some((done, status))) if done <= cancelled => {
                Some((done, status))
            }
            (Some((cancelled, _)), _) => Some((cancelled, Status::Cancelled)),
            (None, scripted) => scripted,
        }
    }

    /// Its status at `now`, and when that status began.
    pub fn status_at(&self, now: Instant) -> (Status, SystemTime) {
        if let Some((at, status)) = self.terminal_at() {
            if now >= at {
                let wall = match self.cancelled {
                    Some((cancelled, wall)) if cancelled == at => wall,
                    _ => self.wall(at),
                };
                return (status, wall);
            }
        }
        if now < self.created + self.queued_for {
            (Status::Queued, self.created_wall)
        } else {
            (Status::Running, self.wall(self.created + self.queued_for))
        }
    }

    fn visible_outputs(&self, status: Status) -> Option<&Map<String, Value>> {
        (status == Status::Completed)
            .then_some(self.outputs.as_ref())
            .flatten()
    }

    fn visible_errors(&self, status: Status) -> Option<&[ErrorItem]> {
        (status == Status::Failed && !self.errors.is_empty()).then_some(self.errors.as_slice())
    }

    /// The body of `GET .../invoke/{invokeId}` (and of a successful DELETE).
    pub fn status_body(&self, now: Instant) -> Result<Vec<u8>, serde_json::Error> {
        let (status, updated) = self.status_at(now);
        serde_json::to_vec(&StatusBody {
            invoke_id: &self.invoke_id,
            action_id: &self.action_id,
            status,
            outputs: self.visible_outputs(status),
            errors: self.visible_errors(status),
            created_at: rfc3339(self.created_wall),
            updated_at: rfc3339(updated),
        })
    }

    /// When the invocation is terminal at `now` and its callback has not been started yet,
    /// marks the callback as started and returns what to deliver. At most once per invocation.
    pub fn take_callback(&mut self, now: Instant) -> Option<CallbackJob> {
        let (status, completed) = self.status_at(now);
        if !status.is_terminal() {
            return None;
        }
        let target = self.callback.as_ref()?;
        if target.state != DeliveryState::Waiting {
            return None;
        }
        let uri = target.uri.clone();
        let body = serde_json::to_vec(&CallbackPayload {
            invoke_id: &self.invoke_id,
            action_id: &self.action_id,
            status,
            outputs: self.visible_outputs(status),
            errors: self.visible_errors(status),
            latency_ms: millis_between(self.created_wall, completed),
            completed_at: rfc3339(completed),
        })
        .ok()?;
        if let Some(target) = self.callback.as_mut() {
            target.state = DeliveryState::Pending;
        }
        Some(CallbackJob {
            invoke_id: self.invoke_id.clone(),
            uri,
            body: Bytes::from(body),
        })
    }

    /// Its entry in `GET /_emulator/invocations`: what ran, with what, and where it stands.
    pub fn list_entry(&self, now: Instant) -> Value {
        let (status, updated) = self.status_at(now);
        json!({
            "invokeId": self.invoke_id,
            "actionId": self.action_id,
            "mode": self.mode,
            "status": status,
            "createdAt": rfc3339(self.created_wall),
            "updatedAt": rfc3339(updated),
            "inputs": self.inputs,
            "context": self.context,
            "outputs": self.visible_outputs(status),
            "callbackState": self.callback.as_ref().map(|t| t.state),
        })
    }

    /// The emulator's own view, for `GET /_emulator/invocations/{invokeId}`.
    pub fn emulator_view(&self, now: Instant) -> Value {
        let (status, updated) = self.status_at(now);
        let callback = self.callback.as_ref().map(|target| {
            let attempts: Vec<Value> = target
                .attempts
                .iter()
                .map(|a| {
                    json!({
                        "attempt": a.attempt,
                        "duplicate": a.duplicate,
                        "at": rfc3339(a.at),
                        "webhookTimestamp": a.webhook_timestamp,
                        "httpStatus": a.http_status,
                        "error": a.error,
                    })
                })
                .collect();
            json!({
                "url": target.url,
                "webhookId": webhook_id(&self.invoke_id),
                "state": target.state,
                "attempts": attempts,
            })
        });
        json!({
            "invokeId": self.invoke_id,
            "actionId": self.action_id,
            "mode": self.mode,
            "status": status,
            "createdAt": rfc3339(self.created_wall),
            "updatedAt": rfc3339(updated),
            "durationMs": self.run_for.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            "cancelledAt": self.cancelled.map(|(_, wall)| rfc3339(wall)),
            "inputs": self.inputs,
            "context": self.context,
            "outputs": self.visible_outputs(status),
            "errors": self.visible_errors(status),
            "callbackUrl": self.callback.as_ref().map(|t| t.url.as_str()),
            "callback": callback,
        })
    }
}

/// The Standard Webhooks message id of an invocation's callback (the same for every attempt
/// and for a duplicate delivery).
pub fn webhook_id(invoke_id: &str) -> String {
    format!("msg_{invoke_id}")
}

/// Invocations by id, forgetting the oldest beyond [`STORE_CAPACITY`].
#[derive(Debug, Default)]
pub struct InvocationStore {
    map: HashMap<String, Invocation>,
    order: VecDeque<String>,
}

impl InvocationStore {
    pub fn insert(&mut self, invocation: Invocation) {
        let id = invocation.invoke_id.clone();
        if self.map.insert(id.clone(), invocation).is_none() {
            self.order.push_back(id);
        }
        while self.map.len() > STORE_CAPACITY {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.map.remove(&oldest);
                }
                None => break,
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<&Invocation> {
        self.map.get(id)
    }

    /// Every invocation kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Invocation> {
        self.order.iter().filter_map(|id| self.map.get(id))
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Invocation> {
        self.map.get_mut(id)
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(run_for: Option<Duration>, outcome: Status) -> Invocation {
        let timing = Timing {
            created: Instant::now(),
            created_wall: SystemTime::now(),
            run_for,
        };
        Invocation {
            invoke_id: "inv_1".into(),
            action_id: "a".into(),
            mode: Mode::Async,
            queued_for: timing.queued_for(),
            created: timing.created,
            created_wall: timing.created_wall,
            run_for,
            outcome,
            outputs: Some(Map::new()),
            errors: vec![ErrorItem::new("EXECUTION_FAILED", "x")],
            cancelled: None,
            inputs: Map::new(),
            context: None,
            callback: None,
        }
    }

    #[test]
    fn status_follows_the_clock() {
        let inv = invocation(Some(Duration::from_millis(2000)), Status::Completed);
        let t0 = inv.created;
        assert_eq!(inv.queued_for, Duration::from_millis(100));
        assert_eq!(inv.status_at(t0).0, Status::Queued);
        assert_eq!(
            inv.status_at(t0 + Duration::from_millis(99)).0,
            Status::Queued
        );
        assert_eq!(
            inv.status_at(t0 + Duration::from_millis(100)).0,
            Status::Running
        );
        assert_eq!(
            inv.status_at(t0 + Duration::from_millis(1999)).0,
            Status::Running
        );
        let (status, updated) = inv.status_at(t0 + Duration::from_millis(2500));
        assert_eq!(status, Status::Completed);
        assert_eq!(updated, inv.created_wall + Duration::from_millis(2000));

        let short = invocation(Some(Duration::from_millis(300)), Status::Failed);
        assert_eq!(short.queued_for, Duration::from_millis(30));
        assert_eq!(
            short
                .status_at(short.created + Duration::from_millis(300))
                .0,
            Status::Failed
        );
    }

    #[test]
    fn cancellation_wins_only_before_the_end() {
        let mut inv = invocation(None, Status::Cancelled);
        let t0 = inv.created;
        assert_eq!(
            inv.status_at(t0 + Duration::from_secs(3600)).0,
            Status::Running
        );
        inv.cancelled = Some((
            t0 + Duration::from_millis(500),
            inv.created_wall + Duration::from_millis(500),
        ));
        assert_eq!(
            inv.status_at(t0 + Duration::from_millis(400)).0,
            Status::Running
        );
        assert_eq!(
            inv.status_at(t0 + Duration::from_millis(600)).0,
            Status::Cancelled
        );

        let mut done = invocation(Some(Duration::from_millis(100)), Status::Completed);
        done.cancelled = Some((done.created + Duration::from_millis(200), done.created_wall));
        assert_eq!(
            done.status_at(done.created + Duration::from_millis(300)).0,
            Status::Completed
        );
    }

    #[test]
    fn store_forgets_the_oldest() {
        let mut store = InvocationStore::default();
        for i in 0..STORE_CAPACITY + 5 {
            let mut inv = invocation(None, Status::Completed);
            inv.invoke_id = format!("inv_{i}");
            store.insert(inv);
        }
        assert_eq!(store.len(), STORE_CAPACITY);
        assert_eq!(store.iter().count(), STORE_CAPACITY);
        assert_eq!(
            store.iter().next().map(|i| i.invoke_id.as_str()),
            Some("inv_5")
        );
        assert!(store.get("inv_0").is_none());
        assert!(store.get("inv_5").is_some());
    }
}
