//! A scripted upstream and a virtual clock for driving the core deterministically (quinn's
//! `Pair` habit): time only moves when the driver sleeps.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use cxone_data_actions::core::{ClientConfig, HttpRequest, HttpResponse, Method, TransportFailure};
use cxone_data_actions::driver::{CancelSignal, Client, Runtime, Transport};
use serde_json::{json, Value};

/// Virtual time: `sleep` advances it instantly.
#[derive(Clone, Default)]
pub struct VirtualClock {
    pub now: Rc<Cell<u64>>,
    pub slept: Rc<RefCell<Vec<u64>>>,
}

impl VirtualClock {
    pub fn at(start_ms: u64) -> Self {
        let clock = VirtualClock::default();
        clock.now.set(start_ms);
        clock
    }
    pub fn advance(&self, ms: u64) {
        self.now.set(self.now.get() + ms);
    }
}

/// A cancel flag.
#[derive(Clone, Default)]
pub struct Flag(pub Rc<Cell<bool>>);

impl CancelSignal for Flag {
    fn is_cancelled(&self) -> bool {
        self.0.get()
    }
}

impl Runtime for VirtualClock {
    type Signal = Flag;
    fn now_ms(&self) -> u64 {
        self.now.get()
    }
    fn sleep(&self, ms: u64, _signal: Option<&Flag>) -> impl Future<Output = ()> {
        self.slept.borrow_mut().push(ms);
        self.advance(ms);
        YieldOnce(false)
    }
}

/// A future that is pending once, so concurrent futures interleave.
pub struct YieldOnce(pub bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// One request as the scripted upstream saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at_ms: u64,
    pub method: Method,
    pub path: String,
    pub authorization: Option<String>,
    pub body: Option<Value>,
    pub if_none_match: Option<String>,
}

type AnswerQueue = VecDeque<Result<HttpResponse, TransportFailure>>;
type Handler = Box<dyn FnMut(&Seen) -> Option<Result<HttpResponse, TransportFailure>>>;

/// A scripted upstream: queued answers per route, then a default handler.
#[derive(Clone)]
pub struct ScriptedUpstream {
    pub clock: VirtualClock,
    pub seen: Rc<RefCell<Vec<Seen>>>,
    queued: Rc<RefCell<Vec<(String, AnswerQueue)>>>,
    fallback: Rc<RefCell<Handler>>,
    pub token_counter: Rc<Cell<u32>>,
}

pub const BASE: &str = "http://upstream.test";

impl ScriptedUpstream {
    pub fn new(clock: VirtualClock) -> Self {
        let token_counter = Rc::new(Cell::new(0));
        let counter = token_counter.clone();
        ScriptedUpstream {
            clock,
            seen: Rc::default(),
            queued: Rc::default(),
            token_counter,
            fallback: Rc::new(RefCell::new(Box::new(move |seen: &Seen| {
                Some(Ok(default_answer(seen, &counter)))
            }))),
        }
    }

    /// Queues answers for requests whose "METHOD path" starts with `route`.
    pub fn queue(&self, route: &str, answers: Vec<Result<HttpResponse, TransportFailure>>) {
        self.queued.borrow_mut().push((route.to_string(), answers.into()));
    }

    /// The `job` action becomes a job that runs `duration_ms` from its invoke (on virtual time):
    /// `running` before, `completed` from then on.
    pub fn timed_job(&self, duration_ms: u64) {
        let counter = self.token_counter.clone();
        let clock = self.clock.clone();
        let started = Rc::new(Cell::new(0));
        *self.fallback.borrow_mut() = Box::new(move |seen: &Seen| {
            let answer = match (seen.method, seen.path.as_str()) {
                (Method::Post, "/api/v2/data-actions/job/invoke") => {
                    started.set(seen.at_ms);
                    HttpResponse::json(202, &json!({"invokeId": "job-1", "status": "queued"}))
                }
                (Method::Get, "/api/v2/data-actions/job/invoke/job-1") => {
                    let done = clock.now.get() >= started.get() + duration_ms;
                    let status = if done { "completed" } else { "running" };
                    HttpResponse::json(200, &json!({"invokeId": "job-1", "status": status, "outputs": {}}))
                }
                _ => default_answer(seen, &counter),
            };
            Some(Ok(answer))
        });
    }

    pub fn count(&self, route: &str) -> usize {
        self.seen.borrow().iter().filter(|s| format!("{:?} {}", s.method, s.path).starts_with(route)).count()
    }

    pub fn routes(&self) -> Vec<String> {
        self.seen.borrow().iter().map(|s| format!("{:?} {}", s.method, s.path)).collect()
    }
}

/// The default upstream: tokens `tok-N` valid 3600 s, the `lookup` (sync) and `job` (async)
/// definitions, sync invokes answering 200.
fn default_answer(seen: &Seen, tokens: &Cell<u32>) -> HttpResponse {
    match (seen.method, seen.path.as_str()) {
        (Method::Post, "/oauth2/token") => {
            tokens.set(tokens.get() + 1);
            HttpResponse::json(200, &json!({"access_token": format!("tok-{}", tokens.get()), "expires_in": 3600}))
        }
        (Method::Get, "/api/v2/data-actions/lookup") => HttpResponse::json(200, &lookup_definition()).with_header("ETag", "\"v1\""),
        (Method::Get, "/api/v2/data-actions/job") => HttpResponse::json(200, &json!({
            "id": "job", "inputs": [{"name": "name", "type": "string", "required": true}],
            "outputs": [{"name": "rows", "type": "integer"}]
        })),
        (Method::Post, "/api/v2/data-actions/lookup/invoke") => {
            HttpResponse::json(200, &json!({"invokeId": "sync-1", "status": "completed", "outputs": {"tier": "gold", "openTickets": "3"}}))
        }
        (Method::Post, "/api/v2/data-actions/job/invoke") => HttpResponse::json(202, &json!({"invokeId": "job-1", "status": "queued"})),
        _ => HttpResponse::json(404, &json!({"errors": [{"code": "NOT_FOUND", "message": "no such route"}]})),
    }
}

pub fn lookup_definition() -> Value {
    json!({
        "id": "lookup", "name": "Lookup customer",
        "inputs": [
            {"name": "customerId", "type": "string", "required": true},
            {"name": "includeHistory", "type": "boolean"},
            {"name": "maxResults", "type": "integer"}
        ],
        "outputs": [{"name": "tier", "type": "string"}, {"name": "openTickets", "type": "integer"}]
    })
}

impl Transport<Flag> for ScriptedUpstream {
    fn send(&self, request: HttpRequest, signal: Option<&Flag>) -> impl Future<Output = Result<HttpResponse, TransportFailure>> {
        let seen = Seen {
            at_ms: self.clock.now.get(),
            method: request.method,
            path: request.url.strip_prefix(BASE).unwrap_or(&request.url).to_string(),
            authorization: request.header("authorization").map(str::to_string),
            body: request.body.as_ref().and_then(|b| serde_json::from_slice(b).ok()),
            if_none_match: request.header("if-none-match").map(str::to_string),
        };
        self.seen.borrow_mut().push(seen.clone());
        let route = format!("{:?} {}", seen.method, seen.path);
        let queued = {
            let mut queues = self.queued.borrow_mut();
            queues.iter_mut().find(|(prefix, answers)| route.starts_with(prefix.as_str()) && !answers.is_empty()).and_then(|(_, a)| a.pop_front())
        };
        let answer = match queued {
            Some(answer) => answer,
            None => (self.fallback.borrow_mut())(&seen).unwrap_or_else(|| Ok(HttpResponse::json(500, &json!({})))),
        };
        let cancelled = signal.is_some_and(|s| s.is_cancelled());
        async move {
            YieldOnce(false).await;
            if cancelled {
                return Err(TransportFailure::new(cxone_data_actions::core::TransportFailureKind::Aborted, "aborted"));
            }
            answer
        }
    }
}

pub fn config(extra: Value) -> ClientConfig {
    let mut base = json!({"baseUrl": BASE, "clientId": "demo-client", "clientSecret": "demo-secret-value"});
    if let (Some(target), Value::Object(more)) = (base.as_object_mut(), extra) {
        target.extend(more);
    }
    match ClientConfig::from_json(&base.to_string()) {
        Ok(config) => config,
        Err(e) => panic!("test config: {e}"),
    }
}

pub fn client(extra: Value) -> (Client<ScriptedUpstream, VirtualClock>, ScriptedUpstream, VirtualClock) {
    client_with_seed(extra, 42)
}

/// A client whose jitter source starts from `seed`.
pub fn client_with_seed(extra: Value, seed: u64) -> (Client<ScriptedUpstream, VirtualClock>, ScriptedUpstream, VirtualClock) {
    let clock = VirtualClock::at(1_800_000_000_000);
    let upstream = ScriptedUpstream::new(clock.clone());
    let client = Client::new(config(extra), upstream.clone(), clock.clone(), seed);
    (client, upstream, clock)
}

pub fn status(code: u16, body: Value) -> Result<HttpResponse, TransportFailure> {
    Ok(HttpResponse::json(code, &body))
}
pub mod native;
