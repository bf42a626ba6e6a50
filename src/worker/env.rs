//! The Worker's settings from its vars and secrets (checked by `core::proxy::settings`), plus the
//! KV binding.

use js_sys::Reflect;
use wasm_bindgen::JsValue;
use worker::Env;

use super::KV_BINDING;
use crate::core::proxy::settings::{ProxySettings, SettingProblem};

/// Every setting, checked; or every problem, each naming its variable (or binding).
pub fn read_settings(env: &Env) -> Result<ProxySettings, Vec<SettingProblem>> {
    // Vars and secrets are both plain strings on `env`.
    let lookup = |name: &str| Reflect::get(env.as_ref(), &JsValue::from_str(name)).ok().and_then(|value| value.as_string());
    let settings = ProxySettings::from_lookup(lookup);
    if env.kv(KV_BINDING).is_ok() {
        return settings;
    }
    let missing = SettingProblem {
        setting: KV_BINDING.to_string(),
        message: format!("{KV_BINDING} is not bound: add the KV namespace to wrangler.toml's [[kv_namespaces]]"),
    };
    let mut problems = settings.err().unwrap_or_default();
    problems.push(missing);
    Err(problems)
}
