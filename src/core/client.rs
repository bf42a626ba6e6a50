//! The state one client keeps between calls — configuration, token cache, definition cache, retry
//! governor, callback ledger — and the operations it starts. Still no I/O: the driver runs them.

use serde_json::Value;

use super::action_list::ActionList;
use super::callback::{parse_notification, CallbackAck, CallbackLedger};
use super::config::ClientConfig;
use super::cxone_signin::{CxoneSession, CxoneSignIn};
use super::definition::{check_action_id, ActionDefinition, DefinitionAnswer, DefinitionCache, DefinitionLookup};
use super::error::DataActionsError;
use super::invocation::{check_invoke_id, InvocationStatus, InvokeOperation, InvokeOptions};
use super::operation::SingleRequest;
use super::profile;
use super::retry::RetryGovernor;
use super::token::{TokenCache, TokenRecord};
use super::validate::validate_inputs;

/// Where a definition comes from.
pub enum DefinitionSource {
    /// The cache holds a fresh one.
    Cached(ActionDefinition),
    /// It must be fetched (conditionally when stale): run the operation, then hand its answer to
    /// [`ClientCore::store_definition`].
    Fetch(Box<SingleRequest<DefinitionAnswer>>),
}

/// A client's state.
pub struct ClientCore {
    /// The checked configuration.
    pub config: ClientConfig,
    /// The token cache.
    pub tokens: TokenCache,
    /// The definition cache.
    pub definitions: DefinitionCache,
    /// Retry policy, budget and jitter.
    pub governor: RetryGovernor,
    /// Callbacks already answered.
    pub callbacks: CallbackLedger,
    /// cxone: the last signed-in session (its token is the one in `tokens`).
    session: Option<CxoneSession>,
    /// Whether the configuration pins the API origin (else the cxone session names it).
    base_pinned: bool,
}

impl ClientCore {
    /// A client with empty caches; `seed` feeds the jitter.
    pub fn new(config: ClientConfig, seed: u64) -> Self {
        ClientCore {
            tokens: TokenCache::new(config.token_refresh_margin_ms),
            definitions: DefinitionCache::new(config.definition_ttl_ms),
            governor: RetryGovernor::new(config.retry.clone(), seed),
            callbacks: CallbackLedger::default(),
            session: None,
            base_pinned: !config.base_url.is_empty(),
            config,
        }
    }

    /// cxone: the sign-in to run for a token (from the held session: its refresh token, token
    /// endpoint and API host are reused); `None` for the profiles whose token is one request.
    pub fn sign_in_operation(&self) -> Option<CxoneSignIn> {
        let settings = self.config.cxone.clone()?;
        Some(CxoneSignIn::new(settings, self.session.clone()))
    }

    /// cxone: keeps a signed-in session: its token, and its API host unless `baseUrl` pins one.
    pub fn store_session(&mut self, session: CxoneSession) {
        self.tokens.store(session.token.clone());
        if !self.base_pinned {
            self.config.base_url = session.api_base_url.clone();
        }
        self.session = Some(session);
    }

    /// cxone: loads a persisted session (e.g. from KV) unless a newer one is held.
    pub fn import_session(&mut self, session: CxoneSession) {
        let newer = self.session.as_ref().is_none_or(|held| session.token.expires_at_ms >= held.token.expires_at_ms);
        if newer {
            self.store_session(session);
        }
    }

    /// cxone: the session to persist, if any.
    pub fn session(&self) -> Option<&CxoneSession> {
        self.session.as_ref()
    }

    /// Whether the upstream's API origin is known (cxone learns it by signing in).
    pub fn knows_api_base(&self) -> bool {
        !self.config.base_url.is_empty()
    }

    /// The operation that obtains a token (cxone-seed, genesys-cloud; the cxone profile signs in
    /// instead: [`ClientCore::sign_in_operation`]).
    pub fn token_operation(&self) -> SingleRequest<TokenRecord> {
        profile::token_operation(&self.config)
    }

    /// The operation that reads one page of the upstream's action list.
    pub fn list_operation(&self, page_token: Option<&str>, page_size: u32) -> Result<SingleRequest<ActionList>, DataActionsError> {
        profile::list_operation(&self.config, page_token, page_size)
    }

    /// The cached definition, or the operation that fetches it.
    pub fn definition(&self, action_id: &str, now_ms: u64) -> Result<DefinitionSource, DataActionsError> {
        check_action_id(action_id)?;
        Ok(match self.definitions.lookup(action_id, now_ms) {
            DefinitionLookup::Fresh(definition) => DefinitionSource::Cached(definition.clone()),
            DefinitionLookup::Stale { etag } => DefinitionSource::Fetch(Box::new(profile::definition_operation(&self.config, action_id, etag))),
            DefinitionLookup::Missing => DefinitionSource::Fetch(Box::new(profile::definition_operation(&self.config, action_id, None))),
        })
    }

    /// Stores a fetched definition (or a 304's confirmation) and returns the current one.
    pub fn store_definition(
        &mut self,
        action_id: &str,
        answer: DefinitionAnswer,
        now_ms: u64,
    ) -> Result<ActionDefinition, DataActionsError> {
        self.definitions.apply(action_id, answer, now_ms)
    }

    /// Validates and coerces `inputs`, then builds the invocation.
    pub fn invoke_operation(
        &self,
        definition: &ActionDefinition,
        inputs: &Value,
        options: InvokeOptions,
        now_ms: u64,
    ) -> Result<InvokeOperation, DataActionsError> {
        // The invoke and status URLs are built from the definition's id, wherever it came from.
        check_action_id(&definition.id)?;
        profile::check_invoke_options(&self.config, &options)?;
        let coerced = validate_inputs(definition, inputs)?;
        Ok(InvokeOperation::new(&self.config, definition, coerced, options, now_ms))
    }

    /// One status request for an invocation.
    pub fn status_operation(&self, action_id: &str, invoke_id: &str) -> Result<SingleRequest<InvocationStatus>, DataActionsError> {
        check_action_id(action_id)?;
        check_invoke_id("invokeId", invoke_id)?;
        profile::status_operation(&self.config, action_id, invoke_id)
    }

    /// Answers a completion callback; a duplicate gets the first answer and changes nothing.
    pub fn handle_callback(&mut self, payload: Value, now_ms: u64) -> Result<CallbackAck, DataActionsError> {
        let notification = parse_notification(payload)?;
        Ok(self.callbacks.handle(&notification, now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::token::TokenRecord;

    fn cxone(extra: &str) -> ClientCore {
        let json = format!(
            r#"{{"profile":"cxone","issuer":"http://127.0.0.1:9797","clientId":"i","clientSecret":"s","accessKeyId":"k","accessKeySecret":"v"{extra}}}"#
        );
        ClientCore::new(ClientConfig::from_json(&json).unwrap(), 1)
    }

    fn session(api: &str, expires_at_ms: u64) -> CxoneSession {
        CxoneSession {
            token: TokenRecord { access_token: format!("t-{expires_at_ms}"), expires_at_ms, scope: None, obtained_at_ms: 0 },
            refresh_token: None,
            refresh_expires_at_ms: None,
            issuer: "http://127.0.0.1:9797".into(),
            credentials_tag: String::new(),
            token_endpoint: "http://127.0.0.1:9797/auth/token".into(),
            tenant_id: "t".into(),
            api_base_url: api.into(),
        }
    }

    #[test]
    fn a_cxone_session_names_the_api_host_unless_base_url_pins_it() {
        let mut core = cxone("");
        assert!(!core.knows_api_base() && core.sign_in_operation().is_some());
        core.store_session(session("https://api-c1.example", 10_000));
        assert_eq!((core.config.base_url.as_str(), core.tokens.valid_token(0)), ("https://api-c1.example", Some("t-10000")));
        // An older session from KV does not replace the one held; a newer one does.
        core.import_session(session("https://old.example", 5_000));
        assert_eq!(core.config.base_url, "https://api-c1.example");
        core.import_session(session("https://api-c2.example", 20_000));
        assert_eq!(core.config.base_url, "https://api-c2.example");
        let mut pinned = cxone(r#","baseUrl":"http://127.0.0.1:1""#);
        assert!(pinned.knows_api_base());
        pinned.store_session(session("https://api-c1.example", 10_000));
        assert_eq!(pinned.config.base_url, "http://127.0.0.1:1");
        // The other profiles obtain their token in one request: no sign-in.
        let seed = ClientCore::new(ClientConfig::from_json(r#"{"tenant":"a","clientId":"i","clientSecret":"s"}"#).unwrap(), 1);
        assert!(seed.sign_in_operation().is_none());
    }
}
