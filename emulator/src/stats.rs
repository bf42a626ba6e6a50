//! Request, callback and fault counters (lock-free).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Map, Value};

/// The routes that are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Token,
    List,
    Definition,
    Invoke,
    Poll,
    Cancel,
}

#[derive(Debug, Default)]
struct Counter(AtomicU64);

impl Counter {
    fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    fn clear(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
struct ActionCounters {
    definition: Counter,
    invoke: Counter,
    poll: Counter,
    cancel: Counter,
}

/// Callback outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackEvent {
    /// One HTTP attempt was made.
    Sent,
    /// A delivery was acknowledged with 2xx.
    Delivered,
    /// A delivery gave up (retries exhausted or a 4xx).
    Failed,
    /// A callback was suppressed by `callbackDrop`.
    Dropped,
    /// A second, duplicate delivery was started by `callbackDuplicate`.
    Duplicated,
}

/// The counters of `GET /_emulator/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    token: Counter,
    list: Counter,
    definition: Counter,
    invoke: Counter,
    poll: Counter,
    cancel: Counter,
    by_action: HashMap<String, ActionCounters>,
    sent: Counter,
    delivered: Counter,
    failed: Counter,
    dropped: Counter,
    duplicated: Counter,
    fault_429: Counter,
    fault_503: Counter,
    /// Shown (as `signin`) only by the cxone profile, so the other profiles' stats stay as
    /// they were.
    signin_enabled: bool,
    discovery: Counter,
    password_grants: Counter,
    refresh_grants: Counter,
    configuration: Counter,
}

/// The cxone sign-in requests that are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInEvent {
    /// `GET /.well-known/openid-configuration`.
    Discovery,
    /// A token request with `grant_type=password` (answered or refused).
    PasswordGrant,
    /// A token request with `grant_type=refresh_token` (answered or refused).
    RefreshGrant,
    /// `GET /.well-known/cxone-configuration`.
    Configuration,
}

impl Stats {
    /// Counters with a `byAction` entry for each of `action_ids`.
    pub fn new<'a>(action_ids: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            by_action: action_ids
                .into_iter()
                .map(|id| (id.to_owned(), ActionCounters::default()))
                .collect(),
            ..Self::default()
        }
    }

    /// Shows the `signin` counters in [`Stats::to_json`].
    pub fn with_signin(mut self, enabled: bool) -> Self {
        self.signin_enabled = enabled;
        self
    }

    pub fn signin(&self, event: SignInEvent) {
        match event {
            SignInEvent::Discovery => self.discovery.bump(),
            SignInEvent::PasswordGrant => self.password_grants.bump(),
            SignInEvent::RefreshGrant => self.refresh_grants.bump(),
            SignInEvent::Configuration => self.configuration.bump(),
        }
    }

    /// Counts one request; `action` is counted in `byAction` when it is a catalogue id.
    pub fn count(&self, route: Route, action: Option<&str>) {
        let (total, pick): (&Counter, fn(&ActionCounters) -> &Counter) = match route {
            Route::Token => (&self.token, |a| &a.definition),
            Route::List => (&self.list, |a| &a.definition),
            Route::Definition => (&self.definition, |a| &a.definition),
            Route::Invoke => (&self.invoke, |a| &a.invoke),
            Route::Poll => (&self.poll, |a| &a.poll),
            Route::Cancel => (&self.cancel, |a| &a.cancel),
        };
        total.bump();
        if !matches!(route, Route::Token | Route::List) {
            if let Some(counters) = action.and_then(|id| self.by_action.get(id)) {
                pick(counters).bump();
            }
        }
    }

    pub fn callback(&self, event: CallbackEvent) {
        match event {
            CallbackEvent::Sent => self.sent.bump(),
            CallbackEvent::Delivered => self.delivered.bump(),
            CallbackEvent::Failed => self.failed.bump(),
            CallbackEvent::Dropped => self.dropped.bump(),
            CallbackEvent::Duplicated => self.duplicated.bump(),
        }
    }

    pub fn fault_429(&self) {
        self.fault_429.bump();
    }

    pub fn fault_503(&self) {
        self.fault_503.bump();
    }

    /// Zeroes every counter.
    pub fn clear(&self) {
        for c in [
            &self.token,
            &self.list,
            &self.definition,
            &self.invoke,
            &self.poll,
            &self.cancel,
            &self.sent,
            &self.delivered,
            &self.failed,
            &self.dropped,
            &self.duplicated,
            &self.fault_429,
            &self.fault_503,
            &self.discovery,
            &self.password_grants,
            &self.refresh_grants,
            &self.configuration,
        ] {
            c.clear();
        }
        for a in self.by_action.values() {
            for c in [&a.definition, &a.invoke, &a.poll, &a.cancel] {
                c.clear();
            }
        }
    }

    pub fn to_json(&self) -> Value {
        let by_action: Map<String, Value> = self
            .by_action
            .iter()
            .map(|(id, a)| {
                let counts = json!({
                    "definition": a.definition.get(),
                    "invoke": a.invoke.get(),
                    "poll": a.poll.get(),
                    "cancel": a.cancel.get(),
                });
                (id.clone(), counts)
            })
            .collect();
        let mut value = json!({
            "requests": {
                "token": self.token.get(),
                "list": self.list.get(),
                "definition": self.definition.get(),
                "invoke": self.invoke.get(),
                "poll": self.poll.get(),
                "cancel": self.cancel.get(),
            },
            "byAction": by_action,
            "callbacks": {
                "sent": self.sent.get(),
                "delivered": self.delivered.get(),
                "failed": self.failed.get(),
                "dropped": self.dropped.get(),
                "duplicated": self.duplicated.get(),
            },
            "faults": { "429": self.fault_429.get(), "503": self.fault_503.get() },
        });
        if self.signin_enabled {
            if let Value::Object(map) = &mut value {
                map.insert(
                    "signin".to_owned(),
                    json!({
                        "discovery": self.discovery.get(),
                        "password": self.password_grants.get(),
                        "refresh": self.refresh_grants.get(),
                        "configuration": self.configuration.get(),
                    }),
                );
            }
        }
        value
    }
}
