//! The Durable Object class `Invocation`: one object per invocation (named by its id, see
//! [`super::objects`]) owns its record, its callback token's hash, its poll schedule as an
//! alarm, and the waiters of `?wait=`. Every change to the record is a load, a transition in
//! `core::record` and a save with no `await` between them ([`RecordStore`]), so callbacks, polls,
//! waits and replays of one invocation are serialized and none is lost or rolled back.
//!
//! - An idempotent request reaches the object named by its key's digest: the record is the
//!   reservation, saved before the upstream is called; a duplicate replays it, waits for an
//!   invoke still in flight (409 with `Retry-After` if that takes too long), or is told 422 when
//!   its request differs.
//! - A record exists before the upstream knows the callback URL, so no callback finds it missing.
//! - The alarm polls on the core's schedule, ends the record at its deadline, and deletes the
//!   storage when a finished record's retention is over: invocations end with no caller, no
//!   callback and no cron.
//! - The KV read copy is written when the record's status changes (not on every poll).

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Uint8Array;
use serde_json::json;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::app::App;
use super::env::read_settings;
use super::http::{header, json_response, query_param, Answer, ApiError, Incoming};
use super::log::Log;
use super::object_storage::{ObjectStorageError, RecordStore};
use super::objects::{StartInvocation, CALLBACK_TOKEN_HEADER, INVOCATION_ID_HEADER, REQUEST_ID_HEADER};
use super::platform::{DurableObjectState, DurableObjectStorage, Env};
use super::random::{random_bytes, request_id};
use super::store;
use super::wake;
use crate::core::callback::parse_notification_body;
use crate::core::http::TransportFailureKind;
use crate::core::invocation::InvokeOptions;
use crate::core::proxy::request::{callback_url, new_callback_token, parse_wait, wants_callback};
use crate::core::proxy::schedule::{INVOKE_ANSWER_GRACE_MS, IN_FLIGHT_WAIT_MS};
use crate::core::record::{invoke_may_have_run, request_fingerprint, InvocationRecord, NewRecord, RecordStatus};
use crate::core::DataActionsError;

/// One invocation's coordinator: the class workerd constructs (`new Invocation(state, env)`,
/// wrangler.toml's `class_name`, exported through entry.js) and calls `fetch` and `alarm` on.
#[wasm_bindgen]
pub struct Invocation {
    storage: DurableObjectStorage,
    env: Env,
    /// Whether this instance has the invoke in flight upstream (an instance that restarted has
    /// not: a record still unanswered then has an unknown outcome).
    invoking: Cell<bool>,
}

#[wasm_bindgen]
impl Invocation {
    #[wasm_bindgen(constructor)]
    pub fn new(state: DurableObjectState, env: Env) -> Invocation {
        Invocation { storage: state.storage(), env, invoking: Cell::new(false) }
    }

    /// An internal request from the Worker (see [`super::objects`]); resolves to its `Response`.
    pub async fn fetch(&self, request: web_sys::Request) -> Result<JsValue, JsValue> {
        let req = Incoming::new(request.method(), &request.url(), request, None);
        let log = Log::new(&header(&req, REQUEST_ID_HEADER).unwrap_or_else(request_id));
        let answer = match self.app(&log) {
            Ok(app) => {
                let answer = self.serve(&app, &req).await;
                log.info("object", json!({ "op": req.path, "status": answer.as_ref().map_or_else(|e| e.status, Answer::status_code), "usage": app.usage.fields() }));
                answer
            }
            Err(error) => Err(error),
        };
        Ok(answer.unwrap_or_else(ApiError::into_response).into_response_js())
    }

    /// The alarm (see [`Invocation::on_alarm`]).
    pub async fn alarm(&self) -> Result<JsValue, JsValue> {
        let log = Log::new(&format!("alarm-{}", request_id()));
        match self.app(&log) {
            Ok(app) => {
                if let Err(error) = self.on_alarm(&app).await {
                    log.warn("object: alarm failed", json!({ "code": error.code(), "error": error.message() }));
                    // Try again in a minute rather than never.
                    self.set_alarm_in(&app, 60_000).await;
                }
                log.info("object alarm", json!({ "usage": app.usage.fields() }));
            }
            Err(error) => log.error("object: alarm without settings", json!({ "error": error.message() })),
        }
        Ok(JsValue::UNDEFINED)
    }
}

/// The body of an internal request (from this Worker, which already applied the callers' size
/// limit: a command carrying 256 KB of inputs is a little larger than that).
async fn internal_body(req: &Incoming) -> Result<Vec<u8>, ApiError> {
    let unreadable = |e: JsValue| ApiError::new(500, "internal", format!("an internal request's body could not be read: {}", super::platform::js_error_message(&e)));
    let pending = req.raw().array_buffer().map_err(unreadable)?;
    let buffer = JsFuture::from(pending).await.map_err(unreadable)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Whether the request is about this object's record (an id with the same object key but another
/// time part is another, unknown, invocation).
fn is_asked_for(req: &Incoming, record: &InvocationRecord) -> bool {
    header(req, INVOCATION_ID_HEADER).is_some_and(|id| id == record.invocation_id)
}

fn storage_error(app: &App, error: ObjectStorageError) -> ApiError {
    match error {
        ObjectStorageError::Undecodable(error) => store::undecodable(app, &error),
        ObjectStorageError::Sql(message) => {
            app.log.error("object: storage failed", json!({ "error": message }));
            ApiError::new(503, "unavailable", "the invocation's storage is unavailable; retry").with_retry_after(1)
        }
    }
}

impl Invocation {
    fn app(&self, log: &Log) -> Result<App, ApiError> {
        let settings = read_settings(&self.env).map_err(|problems| ApiError::misconfigured(&problems))?;
        App::new(settings, &self.env, log.clone(), Rc::default()).map_err(|e| ApiError::storage(&e.0))
    }

    fn store(&self) -> RecordStore {
        RecordStore::open(&self.storage)
    }

    async fn serve(&self, app: &App, req: &Incoming) -> Result<Answer, ApiError> {
        let wait_s = parse_wait(query_param(req, "wait").as_deref())?;
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/invoke") => {
                let body = internal_body(req).await?;
                let command: StartInvocation =
                    serde_json::from_slice(&body).map_err(|e| ApiError::new(500, "internal", format!("a malformed start command: {e}")))?;
                self.start(app, command, wait_s).await
            }
            ("POST", "/adopt") => {
                let body = internal_body(req).await?;
                let text = String::from_utf8_lossy(&body);
                let record = InvocationRecord::decode("adopt", &text).map_err(|e| store::undecodable(app, &e))?;
                self.adopt(app, record, wait_s).await
            }
            ("GET", "/record") => {
                let store = self.store();
                let Some(record) = store.load().map_err(|e| storage_error(app, e))?.filter(|r| is_asked_for(req, r)) else {
                    return Err(ApiError::not_found("no such invocation"));
                };
                let record = self.wait_for_end(app, &store, record, wait_s).await?;
                Ok(json_response(200, &record.public_view(), &[]))
            }
            ("POST", "/callback") => {
                let token = header(req, CALLBACK_TOKEN_HEADER).unwrap_or_default();
                let asked = header(req, INVOCATION_ID_HEADER).unwrap_or_default();
                let body = internal_body(req).await?;
                self.callback(app, &asked, &token, &body).await
            }
            _ => Err(ApiError::not_found("no such object route")),
        }
    }

    /// Reserves, invokes and records; or replays the invocation reserved before.
    async fn start(&self, app: &App, command: StartInvocation, wait_s: u64) -> Result<Answer, ApiError> {
        let store = self.store();
        let id = command.invocation_id.clone();
        // Twice at most: a duplicate that waited for an invoke the upstream then refused (and so
        // released) makes the request itself.
        for _ in 0..2 {
            if let Some(existing) = store.load().map_err(|e| storage_error(app, e))? {
                match self.replay(app, &store, existing, &command, wait_s).await? {
                    Some(answer) => return Ok(answer),
                    None => continue,
                }
            }
            let definition = app.get_action(&command.action_id).await?;
            let Some(token_bytes) = random_bytes::<32>() else {
                return Err(ApiError::new(503, "unavailable", "no cryptographic random source"));
            };
            let token = new_callback_token(&token_bytes);
            let callback = wants_callback(&definition).then(|| callback_url(&app.settings().public_url, &id, &token));
            let mut record = InvocationRecord::new(
                NewRecord {
                    invocation_id: &id,
                    action_id: &command.action_id,
                    inputs: &command.inputs,
                    context: &command.context,
                    idempotency_key: command.idempotency_key.as_deref(),
                    callback_token: &token,
                    max_pending_ms: app.settings().max_pending_ms,
                    declared_outputs: &definition.outputs,
                },
                app.now(),
            );
            record.output_schema = definition.output_schema.clone();
            // A duplicate may have reserved while the definition was read: look again, and
            // reserve in the same step (no await between the load and the save).
            if store.load().map_err(|e| storage_error(app, e))?.is_some() {
                continue;
            }
            store.save(&record).map_err(|e| storage_error(app, e))?;
            self.schedule(app, &record).await;
            return self.invoke(app, &store, record, &command, callback, wait_s).await;
        }
        Err(ApiError::new(409, "conflict", "another request with this Idempotency-Key is in flight; retry").with_retry_after(1))
    }

    /// Calls the upstream for a reserved record and records its answer.
    async fn invoke(
        &self,
        app: &App,
        store: &RecordStore,
        reserved: InvocationRecord,
        command: &StartInvocation,
        callback: Option<String>,
        wait_s: u64,
    ) -> Result<Answer, ApiError> {
        let id = reserved.invocation_id.clone();
        let options = InvokeOptions { context: Some(command.context.clone()), callback_url: callback, ..InvokeOptions::default() };
        self.invoking.set(true);
        let outcome = app.invoke(&command.action_id, &command.inputs, options).await;
        self.invoking.set(false);
        // A callback may have changed the record meanwhile: apply the answer to the stored one.
        let mut record = store.load().map_err(|e| storage_error(app, e))?.unwrap_or(reserved);
        let now = app.now();
        let failure = match outcome {
            Ok(result) => {
                record.apply_invoke_result(&result, now);
                None
            }
            Err(error @ (DataActionsError::ExecutionFailed { .. } | DataActionsError::Cancelled { by_upstream: true, .. })) => {
                record.apply_invoke_error(&error, now);
                None
            }
            Err(error) if invoke_may_have_run(&error) => {
                record.apply_unknown_invoke_outcome(&error, now);
                Some(error)
            }
            Err(error) => {
                // Refused before anything ran: release the reservation, so a retry may run it.
                store.clear().map_err(|e| storage_error(app, e))?;
                self.delete_alarm(app).await;
                wake::wake(&id);
                return Err(ApiError::from(error));
            }
        };
        store.save(&record).map_err(|e| storage_error(app, e))?;
        wake::wake(&id);
        self.copy_to_kv(app, &record).await;
        self.schedule(app, &record).await;
        app.log.info(
            "invocation accepted",
            json!({ "invocationId": id, "invokeId": record.invoke_id, "status": record.status.as_str(), "idempotent": command.idempotency_key.is_some() }),
        );
        if let Some(error) = failure {
            return Err(ApiError::from(error).with_field("invocationId", json!(id)));
        }
        self.answer(app, store, record, wait_s, false).await
    }

    /// The answer for a request whose record exists: `Some` answer, or `None` when the invoke it
    /// waited for was refused (released) and the request should be made again.
    async fn replay(
        &self,
        app: &App,
        store: &RecordStore,
        existing: InvocationRecord,
        command: &StartInvocation,
        wait_s: u64,
    ) -> Result<Option<Answer>, ApiError> {
        if existing.request_hash != request_fingerprint(&command.action_id, &command.inputs, &command.context) {
            return Err(ApiError::bad_input("this Idempotency-Key was already used with a different request").with_status(422));
        }
        let mut record = existing;
        if self.invoking.get() && record.invoke_id.is_none() && record.status == RecordStatus::Pending {
            let until = app.now().saturating_add(IN_FLIGHT_WAIT_MS.max(wait_s.saturating_mul(1000)));
            while self.invoking.get() && app.now() < until {
                wake::sleep_or_wake(&record.invocation_id, until.saturating_sub(app.now())).await;
            }
            if self.invoking.get() {
                return Err(ApiError::new(409, "conflict", "the first request with this Idempotency-Key is still being answered upstream; retry")
                    .with_retry_after(1));
            }
            match store.load().map_err(|e| storage_error(app, e))? {
                Some(latest) => record = latest,
                None => return Ok(None),
            }
        }
        app.log.info("idempotent replay", json!({ "invocationId": record.invocation_id, "status": record.status.as_str() }));
        self.answer(app, store, record, wait_s, true).await.map(Some)
    }

    /// 200 with a finished record, else 202 with `Location`; after waiting up to `wait_s`.
    async fn answer(&self, app: &App, store: &RecordStore, record: InvocationRecord, wait_s: u64, replayed: bool) -> Result<Answer, ApiError> {
        let record = self.wait_for_end(app, store, record, wait_s).await?;
        let mut headers = Vec::new();
        if replayed {
            headers.push(("idempotent-replayed", "true".to_string()));
        }
        if record.status.is_terminal() {
            return Ok(json_response(200, &record.public_view(), &headers));
        }
        headers.push(("location", format!("/v1/invocations/{}", record.invocation_id)));
        Ok(json_response(202, &record.public_view(), &headers))
    }

    /// Waits until the record ends or `wait_s` pass, woken by every change this object stores
    /// (a callback, a poll). The invocation goes on whether or not the waiter is still there.
    async fn wait_for_end(&self, app: &App, store: &RecordStore, mut record: InvocationRecord, wait_s: u64) -> Result<InvocationRecord, ApiError> {
        let until = app.now().saturating_add(wait_s.saturating_mul(1000));
        while !record.status.is_terminal() && app.now() < until {
            wake::sleep_or_wake(&record.invocation_id, until.saturating_sub(app.now())).await;
            if let Some(latest) = store.load().map_err(|e| storage_error(app, e))? {
                record = latest;
            }
        }
        Ok(record)
    }

    /// Keeps a pending record the Worker made (a sync action that answered 202).
    async fn adopt(&self, app: &App, record: InvocationRecord, wait_s: u64) -> Result<Answer, ApiError> {
        let store = self.store();
        let record = match store.load().map_err(|e| storage_error(app, e))? {
            Some(existing) => existing,
            None => {
                store.save(&record).map_err(|e| storage_error(app, e))?;
                self.copy_to_kv(app, &record).await;
                self.schedule(app, &record).await;
                record
            }
        };
        self.answer(app, &store, record, wait_s, false).await
    }

    /// Applies a completion callback (its token checked against the stored hash).
    async fn callback(&self, app: &App, asked: &str, token: &str, body: &[u8]) -> Result<Answer, ApiError> {
        let store = self.store();
        let Some(mut record) = store.load().map_err(|e| storage_error(app, e))?.filter(|r| r.invocation_id == asked) else {
            return Err(ApiError::not_found("no such invocation"));
        };
        if !record.callback_token_matches(token) {
            app.log.warn("callback refused: token", json!({ "invocationId": record.invocation_id }));
            return Err(ApiError::unauthorized("the callback's capability token is not valid for this invocation"));
        }
        let notification = parse_notification_body(body)?;
        let status_before = record.status;
        let outcome = record.accept_callback(&notification, app.now())?;
        if outcome.changed {
            store.save(&record).map_err(|e| storage_error(app, e))?;
            wake::wake(&record.invocation_id);
            if record.status != status_before {
                self.copy_to_kv(app, &record).await;
            }
            self.schedule(app, &record).await;
        }
        app.log.info(
            "callback",
            json!({
                "invocationId": record.invocation_id,
                "upstreamStatus": notification.status,
                "invocationStatus": record.status.as_str(),
                "changed": outcome.changed,
                "callbackStatus": outcome.ack.callback_status,
            }),
        );
        Ok(json_response(200, &outcome.ack, &[]))
    }

    /// The alarm: poll when due, end at the deadline, notice an invoke whose answer was lost,
    /// delete a finished record after its retention.
    async fn on_alarm(&self, app: &App) -> Result<(), ApiError> {
        let store = self.store();
        let Some(record) = store.load().map_err(|e| storage_error(app, e))? else { return Ok(()) };
        let now = app.now();
        if record.retention_ended(now) {
            store.clear().map_err(|e| storage_error(app, e))?;
            app.log.info("object: retention ended, storage deleted", json!({ "invocationId": record.invocation_id }));
            return Ok(());
        }
        if record.status != RecordStatus::Pending {
            self.schedule(app, &record).await;
            return Ok(());
        }
        let status_before = record.status;
        let mut latest = match record.invoke_id.clone() {
            Some(invoke_id) if record.is_due(now) => {
                let outcome = app.poll(&record.action_id, &invoke_id).await;
                if let Err(error) = &outcome {
                    app.log.warn("poll failed", json!({ "invocationId": record.invocation_id, "code": error.code(), "error": error.to_string() }));
                }
                // Apply to the stored record: a callback may have ended it meanwhile.
                let mut latest = store.load().map_err(|e| storage_error(app, e))?.unwrap_or(record);
                latest.apply_poll_outcome(&outcome, app.now());
                latest
            }
            Some(_) => record,
            None if self.invoking.get() => {
                self.set_alarm_in(app, INVOKE_ANSWER_GRACE_MS).await;
                return Ok(());
            }
            None => {
                let mut latest = record;
                if latest.error.is_none() && latest.is_due(now) {
                    let lost = DataActionsError::Transport {
                        kind: TransportFailureKind::Network,
                        message: "the invoke's answer was lost (the proxy restarted while it was in flight)".into(),
                        outcome_unknown: true,
                        invoke_id: None,
                    };
                    latest.apply_unknown_invoke_outcome(&lost, now);
                }
                latest.expire_if_due(now);
                latest
            }
        };
        latest.expire_if_due(app.now());
        store.save(&latest).map_err(|e| storage_error(app, e))?;
        wake::wake(&latest.invocation_id);
        if latest.status != status_before {
            self.copy_to_kv(app, &latest).await;
            app.log.info(
                "invocation ended",
                json!({ "invocationId": latest.invocation_id, "status": latest.status.as_str(), "completedBy": latest.completed_by, "polls": latest.poll_count }),
            );
        }
        self.schedule(app, &latest).await;
        Ok(())
    }

    /// Writes the record's KV read copy (a failure is logged: the object stays the truth).
    async fn copy_to_kv(&self, app: &App, record: &InvocationRecord) {
        if let Err(error) = store::write_copy(app, record).await {
            app.log.warn("object: cannot write the read copy", json!({ "invocationId": record.invocation_id, "error": error.0 }));
        }
    }

    /// Sets the alarm for the record's next wake-up.
    async fn schedule(&self, app: &App, record: &InvocationRecord) {
        let offset = record.wake_at_ms().saturating_sub(app.now());
        self.set_alarm_in(app, offset).await;
    }

    async fn set_alarm_in(&self, app: &App, offset_ms: u64) {
        if let Err(error) = self.storage.set_alarm_in(offset_ms).await {
            app.log.error("object: cannot set the alarm", json!({ "error": error }));
        }
    }

    async fn delete_alarm(&self, app: &App) {
        if let Err(error) = self.storage.delete_alarm().await {
            app.log.warn("object: cannot delete the alarm", json!({ "error": error }));
        }
    }
}
