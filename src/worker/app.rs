//! What a request (or an object's alarm) works with: the isolate's client and settings, the KV
//! namespace, the bindings, the logger and the request's usage counts; and the upstream calls, each preceded by making sure a token is at
//! hand and followed by storing a refreshed token.

use std::rc::Rc;

use serde_json::Value;

use super::isolate::{self, Isolate, ProxyClient};
use super::kv::{Kv, StorageError};
use super::log::Log;
use super::platform::Env;
use super::token;
use super::usage::Usage;
use crate::core::definition::ActionDefinition;
use crate::core::invocation::{InvocationResult, InvocationStatus, InvokeOptions};
use crate::core::proxy::settings::ProxySettings;
use crate::core::DataActionsError;
use crate::driver::{CallOptions, Runtime};
use crate::transport::js_runtime::JsRuntime;

/// A request's view of the Worker.
#[derive(Clone)]
pub struct App {
    /// The per-isolate client and settings.
    pub isolate: Rc<Isolate>,
    /// The KV namespace.
    pub kv: Kv,
    /// The request's logger.
    pub log: Log,
    /// The bindings.
    pub env: Env,
    /// What the request cost in KV and object operations.
    pub usage: Rc<Usage>,
}

impl App {
    /// The app for checked `settings`; KV and object operations are counted in `usage`.
    pub fn new(settings: ProxySettings, env: &Env, log: Log, usage: Rc<Usage>) -> Result<App, StorageError> {
        Ok(App { isolate: isolate::for_settings(settings), kv: Kv::from_env(env, Rc::clone(&usage))?, log, env: env.clone(), usage })
    }

    /// The settings.
    pub fn settings(&self) -> &ProxySettings {
        &self.isolate.settings
    }

    /// The driver client.
    pub fn client(&self) -> &ProxyClient {
        &self.isolate.client
    }

    /// Milliseconds since the epoch.
    pub fn now(&self) -> u64 {
        JsRuntime::new().now_ms()
    }

    /// The action's definition (from the client's cache when fresh).
    pub async fn get_action(&self, action_id: &str) -> Result<ActionDefinition, DataActionsError> {
        token::ensure(self).await?;
        let result = self.client().get_action(action_id, None).await;
        token::store_if_changed(self).await;
        result
    }

    /// Invokes an action (validated inputs) without polling: it ends at the upstream's first
    /// answer, `pending` after a 202.
    pub async fn invoke(&self, action_id: &str, inputs: &Value, options: InvokeOptions) -> Result<InvocationResult, DataActionsError> {
        token::ensure(self).await?;
        let result = self.client().invoke(action_id, inputs, InvokeOptions { accept_pending: true, ..options }, CallOptions::default()).await;
        token::store_if_changed(self).await;
        result
    }

    /// One status request.
    pub async fn poll(&self, action_id: &str, invoke_id: &str) -> Result<InvocationStatus, DataActionsError> {
        token::ensure(self).await?;
        let result = self.client().get_invocation(action_id, invoke_id, None).await;
        token::store_if_changed(self).await;
        result
    }
}
