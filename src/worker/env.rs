//! The Worker's settings from its vars and secrets (checked by `core::proxy::settings`), plus the
//! KV and Durable Object bindings.

use js_sys::Reflect;
use wasm_bindgen::JsValue;
use worker::Env;

use super::objects::INVOCATIONS_BINDING;
use super::KV_BINDING;
use crate::core::proxy::settings::{ProxySettings, SettingProblem};

/// Every setting, checked; or every problem, each naming its variable (or binding).
pub fn read_settings(env: &Env) -> Result<ProxySettings, Vec<SettingProblem>> {
    // Vars and secrets are both plain strings on `env`.
    let lookup = |name: &str| Reflect::get(env.as_ref(), &JsValue::from_str(name)).ok().and_then(|value| value.as_string());
    let settings = ProxySettings::from_lookup(lookup);
    let mut missing = Vec::new();
    if env.kv(KV_BINDING).is_err() {
        missing.push(SettingProblem {
            setting: KV_BINDING.to_string(),
            message: format!("{KV_BINDING} is not bound: add the KV namespace to wrangler.toml's [[kv_namespaces]]"),
        });
    }
    if env.durable_object(INVOCATIONS_BINDING).is_err() {
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
