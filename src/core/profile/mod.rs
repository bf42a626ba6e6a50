//! The upstream's shape as data: which profile the configuration names decides how the token is
//! obtained, where definitions, invocations and lists live, what their answers look like and how
//! error bodies read. Everything else (validation, retries, polling, audit, records) is the same
//! for every profile.
//!
//! - [`Profile::CxoneSeed`] (`cxone-seed`, the default): the tutorial's data-actions contract
//!   ([`cxone_seed`]).
//! - [`Profile::GenesysCloud`] (`genesys-cloud`): Genesys Cloud's integration actions
//!   ([`genesys_cloud`]): synchronous only.
//! - [`Profile::Cxone`] (`cxone`): CXone's sign-in in front of the seed's data-action paths
//!   ([`cxone`]).

pub mod cxone_seed;
pub mod genesys_cloud;

use serde_json::{Map, Value};

use super::action_list::ActionList;
use super::config::ClientConfig;
use super::definition::{ActionDefinition, DefinitionAnswer};
use super::error::{DataActionsError, UpstreamErrorBody};
use super::http::{HttpRequest, HttpResponse, RequestPurpose};
use super::invocation::{InvocationStatus, InvokeOptions};
use super::operation::{map_error_response, SingleRequest};
use super::token::TokenRecord;

/// Which upstream the client speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Profile {
    /// `cxone-seed`: the tutorial's data-actions contract (the default).
    #[default]
    CxoneSeed,
    /// `genesys-cloud`: Genesys Cloud's integration actions, synchronous only.
    GenesysCloud,
    /// `cxone`: CXone's sign-in (OIDC discovery, access-key password grant) in front of the seed's
    /// data-action paths.
    Cxone,
}

/// Every profile, in the order the documentation lists them.
pub const PROFILES: [Profile; 3] = [Profile::CxoneSeed, Profile::GenesysCloud, Profile::Cxone];

impl Profile {
    /// The profile of that name (`cxone-seed`, `genesys-cloud`, `cxone`).
    pub fn from_name(name: &str) -> Option<Profile> {
        PROFILES.into_iter().find(|profile| profile.name() == name)
    }

    /// The profile's name in configurations.
    pub fn name(self) -> &'static str {
        match self {
            Profile::CxoneSeed => "cxone-seed",
            Profile::GenesysCloud => "genesys-cloud",
            Profile::Cxone => "cxone",
        }
    }

    /// Whether every action runs synchronously: no 202, no status requests, no callbacks.
    pub fn is_sync_only(self) -> bool {
        self == Profile::GenesysCloud
    }

    /// The error that says this profile cannot do `what`.
    pub fn not_supported(self, message: impl Into<String>) -> DataActionsError {
        DataActionsError::NotSupportedByProfile { profile: self.name().to_string(), message: message.into() }
    }

    /// Reads an error body of this profile's upstream.
    pub fn read_error_body(self, body: &[u8]) -> UpstreamErrorBody {
        match self {
            Profile::CxoneSeed | Profile::Cxone => cxone_seed::read_error_body(body),
            Profile::GenesysCloud => genesys_cloud::read_error_body(body),
        }
    }

    /// Maps an answer of this profile's upstream that is not a success to the error enum.
    pub fn response_error(self, response: &HttpResponse, purpose: RequestPurpose, invoke_id: Option<&str>) -> DataActionsError {
        let inputs_rejected = match self {
            Profile::CxoneSeed | Profile::Cxone => response.status == 422,
            Profile::GenesysCloud => genesys_cloud::inputs_rejected(response.status, purpose),
        };
        map_error_response(response, purpose, invoke_id, self.read_error_body(&response.body), inputs_rejected)
    }
}

/// The operation that obtains a token with the configured credentials.
pub fn token_operation(config: &ClientConfig) -> SingleRequest<TokenRecord> {
    match config.profile {
        Profile::CxoneSeed | Profile::Cxone => cxone_seed::token_operation(config),
        Profile::GenesysCloud => genesys_cloud::token_operation(config),
    }
}

/// The URL of one action: the seed's `{base}/api/v2/data-actions/{id}`, Genesys Cloud's
/// `{base}/api/v2/integrations/actions/{id}`.
pub fn action_url(config: &ClientConfig, action_id: &str) -> String {
    match config.profile {
        Profile::CxoneSeed | Profile::Cxone => cxone_seed::action_url(&config.base_url, action_id),
        Profile::GenesysCloud => genesys_cloud::action_url(&config.base_url, action_id),
    }
}

/// The operation that fetches one definition (conditionally when an ETag is known).
pub fn definition_operation(config: &ClientConfig, action_id: &str, etag: Option<&str>) -> SingleRequest<DefinitionAnswer> {
    match config.profile {
        Profile::CxoneSeed | Profile::Cxone => cxone_seed::definition_operation(config, action_id, etag),
        Profile::GenesysCloud => genesys_cloud::definition_operation(config, action_id, etag),
    }
}

/// The operation that reads one page of the upstream's action list.
pub fn list_operation(config: &ClientConfig, page_token: Option<&str>, page_size: u32) -> Result<SingleRequest<ActionList>, DataActionsError> {
    match config.profile {
        Profile::CxoneSeed | Profile::Cxone => cxone_seed::list_operation(config, page_token, page_size),
        Profile::GenesysCloud => genesys_cloud::list_operation(config, page_token, page_size),
    }
}

/// The operation that asks for one invocation's status (not on a sync-only profile).
pub fn status_operation(config: &ClientConfig, action_id: &str, invoke_id: &str) -> Result<SingleRequest<InvocationStatus>, DataActionsError> {
    match config.profile {
        Profile::CxoneSeed | Profile::Cxone => Ok(cxone_seed::status_operation(config, action_id, invoke_id)),
        Profile::GenesysCloud => Err(config.profile.not_supported(
            "Genesys Cloud data actions run synchronously: there is no invocation status to ask for",
        )),
    }
}

/// Refuses the invoke options this profile cannot honour (asynchronous ones on a sync-only
/// profile), naming the option.
pub fn check_invoke_options(config: &ClientConfig, options: &InvokeOptions) -> Result<(), DataActionsError> {
    if config.profile != Profile::GenesysCloud {
        return Ok(());
    }
    genesys_cloud::check_invoke_options(options)
}

/// The invoke request of validated `inputs`, and the audit hash of `{inputs, context}`.
pub fn invoke_request(config: &ClientConfig, definition: &ActionDefinition, inputs: Map<String, Value>, options: &InvokeOptions) -> (HttpRequest, String) {
    match config.profile {
        Profile::CxoneSeed | Profile::Cxone => cxone_seed::invoke_request(config, definition, inputs, options),
        Profile::GenesysCloud => genesys_cloud::invoke_request(config, definition, inputs, options),
    }
}

/// Reads a 200 or 202 answer of the invoke request as a status (`invoke_id` empty when the
/// upstream gave none).
pub fn read_invoke_answer(profile: Profile, response: &HttpResponse) -> Result<InvocationStatus, DataActionsError> {
    match profile {
        Profile::CxoneSeed | Profile::Cxone => cxone_seed::read_invoke_answer(response),
        Profile::GenesysCloud => genesys_cloud::read_invoke_answer(response),
    }
}

/// The status request at `action_url` of one invocation (seed paths).
pub fn status_request_at(action_url: &str, invoke_id: &str, timeout_ms: u64) -> HttpRequest {
    cxone_seed::status_request_at(action_url, invoke_id, timeout_ms)
}
