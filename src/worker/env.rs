//! The Worker's settings from its vars and secrets (checked by `core::proxy::settings`), plus the
//! KV and Durable Object bindings.
//!
//! They are read once per `env` object: workerd hands every request of an isolate the same `env`
//! (vars and secrets cannot change without a new isolate), so a request whose `env` is the one
//! last read (`Object.is`, one boundary crossing) reuses the checked settings instead of reading
//! each variable and hashing them again. Another `env` object is read afresh. A few are kept: a
//! Durable Object's `env` may be another object than the fetch handler's.

use std::cell::RefCell;

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

use super::objects::INVOCATIONS_BINDING;
use super::platform::Env;
use super::KV_BINDING;
use crate::core::proxy::settings::{ProxySettings, SettingProblem};

type Checked = Result<ProxySettings, Vec<SettingProblem>>;

thread_local! {
    /// The `env` objects last read and what they held, the latest first.
    static SEEN: RefCell<Vec<(JsValue, Checked)>> = const { RefCell::new(Vec::new()) };
}

/// How many `env` objects are remembered.
const SEEN_MAX: usize = 4;

/// Every setting, checked; or every problem, each naming its variable (or binding).
pub fn read_settings(env: &Env) -> Checked {
    let current: &JsValue = env.as_ref();
    SEEN.with(|seen| {
        if let Some((_, checked)) = seen.borrow().iter().find(|(known, _)| Object::is(known, current)) {
            return checked.clone();
        }
        let checked = read_afresh(env);
        let mut seen = seen.borrow_mut();
        seen.insert(0, (current.clone(), checked.clone()));
        seen.truncate(SEEN_MAX);
        checked
    })
}

fn read_afresh(env: &Env) -> Checked {
    // Vars and secrets are both plain strings on `env`.
    let lookup = |name: &str| Reflect::get(env.as_ref(), &JsValue::from_str(name)).ok().and_then(|value| value.as_string());
    let settings = ProxySettings::from_lookup(lookup);
    let mut missing = Vec::new();
    if env.binding(KV_BINDING).is_none() {
        missing.push(SettingProblem {
            setting: KV_BINDING.to_string(),
            message: format!("{KV_BINDING} is not bound: add the KV namespace to wrangler.toml's [[kv_namespaces]]"),
        });
    }
    if env.durable_object(INVOCATIONS_BINDING).is_none() {
        missing.push(SettingProblem {
            setting: INVOCATIONS_BINDING.to_string(),
            message: format!(
                "{INVOCATIONS_BINDING} is not bound: add the Durable Object class Invocation to wrangler.toml's [[durable_objects.bindings]] (with its migration)"
            ),
        });
    }
    if missing.is_empty() {
        return settings;
    }
    let mut problems = settings.err().unwrap_or_default();
    problems.extend(missing);
    Err(problems)
}
