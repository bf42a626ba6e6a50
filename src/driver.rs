//! Drives the core over a [`Transport`] and a [`Runtime`] (clock and sleep). This is the only loop
//! that performs I/O; the shells (Worker, JS bindings, native callers) supply the two traits.
//!
//! Futures here are not `Send`: they run on one thread (wasm, or a local executor natively).

use std::cell::RefCell;
use std::future::Future;

use serde_json::{Map, Value};

use crate::core::action_list::ActionList;
use crate::core::callback::CallbackAck;
use crate::core::cxone_signin::CxoneSession;
use crate::core::definition::{ActionDefinition, DefinitionLookup};
use crate::core::invocation::{InvocationResult, InvocationStatus, InvokeOptions, StatusEvent};
use crate::core::operation::{Operation, Step};
use crate::core::token::TokenRecord;
use crate::core::validate::validate_inputs;
use crate::core::{ClientConfig, ClientCore, DataActionsError, DefinitionSource, HttpRequest, HttpResponse, TransportFailure};

/// Tells whether the caller has given up.
pub trait CancelSignal {
    /// True once cancelled.
    fn is_cancelled(&self) -> bool;
}

/// A signal that never fires.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverCancelled;

impl CancelSignal for NeverCancelled {
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// The clock and the sleep of a platform.
pub trait Runtime {
    /// The cancellation signal of this platform (an `AbortSignal` in JS).
    type Signal: CancelSignal;
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Waits `ms` milliseconds, or less if `signal` fires.
    fn sleep(&self, ms: u64, signal: Option<&Self::Signal>) -> impl Future<Output = ()>;
}

/// Carries one request. It enforces `request.timeout_ms` and aborts when `signal` fires.
pub trait Transport<S> {
    /// Sends the request; an answer of any status is `Ok`.
    fn send(&self, request: HttpRequest, signal: Option<&S>) -> impl Future<Output = Result<HttpResponse, TransportFailure>>;
}

/// Per-call options of the driver.
pub struct CallOptions<'a, S> {
    /// Cancels waiting, polling and requests in flight.
    pub signal: Option<&'a S>,
    /// Called at each status change of an asynchronous invocation.
    pub on_status: Option<&'a dyn Fn(&StatusEvent)>,
}

impl<S> Default for CallOptions<'_, S> {
    fn default() -> Self {
        CallOptions { signal: None, on_status: None }
    }
}

/// How often a caller waiting for another caller's token refresh looks at it again. Waiting by
/// sleeping on the caller's own runtime, rather than on a channel the refresher completes, keeps
/// every caller's work in its own context: workerd ties I/O to the request that started it, runs a
/// future woken from another request in that other request's context, and cancels a request that
/// waits with nothing of its own pending as hung.
const REFRESH_WAIT_MS: u64 = 10;

#[derive(Default)]
struct RefreshState {
    in_flight: bool,
    /// Refreshes finished so far.
    finished: u64,
    /// The error of the last finished refresh, when it failed.
    last_error: Option<DataActionsError>,
}

/// Resets the refresh state if the refreshing future is dropped half-way, so waiters retry
/// instead of hanging.
struct RefreshGuard<'a> {
    state: &'a RefCell<RefreshState>,
    done: bool,
}

impl RefreshGuard<'_> {
    fn complete(mut self, outcome: &Result<(), DataActionsError>) {
        self.done = true;
        let mut state = self.state.borrow_mut();
        state.in_flight = false;
        state.finished = state.finished.wrapping_add(1);
        state.last_error = outcome.as_ref().err().cloned();
    }
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            if let Ok(mut state) = self.state.try_borrow_mut() {
                state.in_flight = false;
            }
        }
    }
}

/// A data-actions client: the core's state plus a transport and a runtime.
pub struct Client<T, R> {
    core: RefCell<ClientCore>,
    refresh: RefCell<RefreshState>,
    transport: T,
    runtime: R,
}

impl<T, R> Client<T, R>
where
    R: Runtime,
    T: Transport<R::Signal>,
{
    /// A client; `seed` feeds retry and poll jitter (take it from the platform's random source).
    pub fn new(config: ClientConfig, transport: T, runtime: R, seed: u64) -> Self {
        Client { core: RefCell::new(ClientCore::new(config, seed)), refresh: RefCell::default(), transport, runtime }
    }

    /// The runtime.
    pub fn runtime(&self) -> &R {
        &self.runtime
    }

    /// The configuration.
    pub fn config(&self) -> ClientConfig {
        self.core.borrow().config.clone()
    }

    /// Loads a persisted token (e.g. from KV).
    pub fn import_token(&self, record: TokenRecord) {
        self.core.borrow_mut().tokens.import(record);
    }

    /// The token to persist, if any.
    pub fn export_token(&self) -> Option<TokenRecord> {
        self.core.borrow().tokens.export().cloned()
    }

    /// cxone: loads a persisted session (e.g. from KV): its token, refresh token and API host.
    pub fn import_session(&self, session: CxoneSession) {
        self.core.borrow_mut().import_session(session);
    }

    /// cxone: the session to persist, if any.
    pub fn export_session(&self) -> Option<CxoneSession> {
        self.core.borrow().session().cloned()
    }

    /// cxone: signs in first when the API host is not known yet (every URL is built on it).
    async fn ensure_api_base(&self, signal: Option<&R::Signal>) -> Result<(), DataActionsError> {
        if !self.core.borrow().knows_api_base() {
            self.token(signal).await?;
        }
        Ok(())
    }

    /// A valid token: the cached one, or a fresh one. Concurrent callers share one refresh.
    pub async fn token(&self, signal: Option<&R::Signal>) -> Result<String, DataActionsError> {
        loop {
            let now = self.runtime.now_ms();
            if let Some(token) = self.core.borrow().tokens.valid_token(now) {
                return Ok(token.to_string());
            }
            let waiting_since = {
                let mut state = self.refresh.borrow_mut();
                if state.in_flight {
                    Some(state.finished)
                } else {
                    state.in_flight = true;
                    None
                }
            };
            if let Some(seen) = waiting_since {
                self.runtime.sleep(REFRESH_WAIT_MS, signal).await;
                if signal.is_some_and(CancelSignal::is_cancelled) {
                    return Err(DataActionsError::Cancelled { invoke_id: None, by_upstream: false });
                }
                let state = self.refresh.borrow();
                if !state.in_flight && state.finished != seen {
                    if let Some(error) = &state.last_error {
                        return Err(error.clone());
                    }
                }
                continue;
            }
            let guard = RefreshGuard { state: &self.refresh, done: false };
            let sign_in = self.core.borrow().sign_in_operation();
            let result = match sign_in {
                // cxone: the token step is the sign-in; the session also names the API host.
                Some(operation) => self.run_unauthenticated(operation, signal).await.map(|session| {
                    let token = session.token.access_token.clone();
                    self.core.borrow_mut().store_session(session);
                    token
                }),
                None => {
                    let operation = self.core.borrow().token_operation();
                    self.run_unauthenticated(operation, signal).await.map(|record| {
                        let token = record.access_token.clone();
                        self.core.borrow_mut().tokens.store(record);
                        token
                    })
                }
            };
            guard.complete(&result.as_ref().map(|_| ()).map_err(Clone::clone));
            return result;
        }
    }

    /// The action's definition, from the cache when fresh.
    pub async fn get_action(&self, action_id: &str, signal: Option<&R::Signal>) -> Result<ActionDefinition, DataActionsError> {
        self.ensure_api_base(signal).await?;
        let now = self.runtime.now_ms();
        let source = self.core.borrow().definition(action_id, now)?;
        match source {
            DefinitionSource::Cached(definition) => Ok(definition),
            DefinitionSource::Fetch(operation) => {
                let answer = self.run(*operation, CallOptions { signal, on_status: None }).await?;
                let now = self.runtime.now_ms();
                self.core.borrow_mut().store_definition(action_id, answer, now)
            }
        }
    }

    /// One page of the upstream's action list (`ActionList::Unsupported` when it cannot list).
    pub async fn list_actions(
        &self,
        page_token: Option<&str>,
        page_size: u32,
        signal: Option<&R::Signal>,
    ) -> Result<ActionList, DataActionsError> {
        self.ensure_api_base(signal).await?;
        let operation = self.core.borrow().list_operation(page_token, page_size)?;
        self.run(operation, CallOptions { signal, on_status: None }).await
    }

    /// Validates and coerces inputs against a definition (no I/O).
    pub fn validate_inputs(&self, definition: &ActionDefinition, inputs: &Value) -> Result<Map<String, Value>, DataActionsError> {
        validate_inputs(definition, inputs)
    }

    /// Invokes an action: definition (cached), validation, invoke, polling when asynchronous. Ends
    /// with the upstream's terminal status (`completed`, `failed`, `cancelled`), or `pending`
    /// with `options.accept_pending`.
    pub async fn invoke(
        &self,
        action_id: &str,
        inputs: &Value,
        options: InvokeOptions,
        call: CallOptions<'_, R::Signal>,
    ) -> Result<InvocationResult, DataActionsError> {
        self.ensure_api_base(call.signal).await?;
        let mut options = Some(options);
        let now = self.runtime.now_ms();
        // Warm path: build the invocation from the cached definition in place (no copy of it).
        let warm = {
            let core = self.core.borrow();
            match (core.definitions.lookup(action_id, now), options.take()) {
                (DefinitionLookup::Fresh(definition), Some(taken)) => Some(core.invoke_operation(definition, inputs, taken, now)),
                (_, taken) => {
                    options = taken;
                    None
                }
            }
        };
        let operation = match warm {
            Some(operation) => operation?,
            None => {
                let definition = self.get_action(action_id, call.signal).await?;
                let now = self.runtime.now_ms();
                self.core.borrow().invoke_operation(&definition, inputs, options.unwrap_or_default(), now)?
            }
        };
        self.run(operation, call).await
    }

    /// One status request for an invocation.
    pub async fn get_invocation(
        &self,
        action_id: &str,
        invoke_id: &str,
        signal: Option<&R::Signal>,
    ) -> Result<InvocationStatus, DataActionsError> {
        self.ensure_api_base(signal).await?;
        let operation = self.core.borrow().status_operation(action_id, invoke_id)?;
        self.run(operation, CallOptions { signal, on_status: None }).await
    }

    /// Answers a completion callback (a duplicate gets the first answer).
    pub fn handle_callback(&self, payload: Value) -> Result<CallbackAck, DataActionsError> {
        let now = self.runtime.now_ms();
        self.core.borrow_mut().handle_callback(payload, now)
    }

    /// Runs any operation to its end.
    pub async fn run<O: Operation>(&self, mut operation: O, call: CallOptions<'_, R::Signal>) -> Result<O::Output, DataActionsError> {
        let mut used_token: Option<String> = None;
        loop {
            if call.signal.is_some_and(CancelSignal::is_cancelled) {
                operation.cancel();
            }
            let step = operation.poll(self.runtime.now_ms());
            if let (Some(event), Some(report)) = (operation.take_status_event(), call.on_status) {
                report(&event);
            }
            match step {
                Step::Send(mut request) => {
                    if request.needs_auth {
                        let token = self.token(call.signal).await?;
                        request.authorize(&token);
                        used_token = Some(token);
                    }
                    let result = self.transport.send(request, call.signal).await;
                    let now = self.runtime.now_ms();
                    operation.handle_response(result, &mut self.core.borrow_mut().governor, now);
                }
                Step::RefreshToken => {
                    if let Some(rejected) = used_token.take() {
                        self.core.borrow_mut().tokens.invalidate(&rejected);
                    }
                }
                Step::WaitUntil(at) => {
                    let now = self.runtime.now_ms();
                    if at > now {
                        self.runtime.sleep(at - now, call.signal).await;
                    }
                }
                Step::Done(result) => return result,
            }
        }
    }

    /// The token operation's loop (no bearer token to add, no refresh to make).
    async fn run_unauthenticated<O: Operation>(&self, mut operation: O, signal: Option<&R::Signal>) -> Result<O::Output, DataActionsError> {
        loop {
            if signal.is_some_and(CancelSignal::is_cancelled) {
                operation.cancel();
            }
            match operation.poll(self.runtime.now_ms()) {
                Step::Send(request) => {
                    let result = self.transport.send(request, signal).await;
                    let now = self.runtime.now_ms();
                    operation.handle_response(result, &mut self.core.borrow_mut().governor, now);
                }
                Step::WaitUntil(at) => {
                    let now = self.runtime.now_ms();
                    if at > now {
                        self.runtime.sleep(at - now, signal).await;
                    }
                }
                Step::RefreshToken => {}
                Step::Done(result) => return result,
            }
        }
    }
}
