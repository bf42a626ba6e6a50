//! Client configuration: where the upstream is, the credentials, and the retry and poll policies.
//! Every field is checked when the configuration is built; an error names the field.

use serde::Deserialize;

use super::error::DataActionsError;

/// The scopes requested when none are configured.
pub const DEFAULT_SCOPES: [&str; 2] = ["data-actions:read", "data-actions:execute"];

/// The largest retry budget (and retry cost) a configuration may set.
pub const MAX_RETRY_BUDGET: u32 = 1_000_000;

/// A value that must never be shown: `Debug` prints `Secret(***)` and it has no `Display`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How failed requests are retried. Defaults suit an interactive caller.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Requests sent at most for one call, the first included (429s and transient failures).
    pub max_attempts: u32,
    /// Backoff base: attempt n waits a random time in `[0, min(max_delay, base * 2^n)]`.
    pub base_delay_ms: u64,
    /// Backoff cap.
    pub max_delay_ms: u64,
    /// A `Retry-After` longer than this is not waited for: the call fails as rate limited.
    pub max_retry_after_ms: u64,
    /// Retry budget shared by all calls of one client (a token bucket): a retry costs
    /// `retry_cost`, a retry after a timeout `timeout_retry_cost`, a success refunds one.
    #[serde(deserialize_with = "saturating_u32")]
    pub budget_capacity: u32,
    /// Cost of one retry.
    #[serde(deserialize_with = "saturating_u32")]
    pub retry_cost: u32,
    /// Cost of one retry after a transport timeout.
    #[serde(deserialize_with = "saturating_u32")]
    pub timeout_retry_cost: u32,
}

/// Reads any non-negative integer, larger ones as `u32::MAX`: the range check that follows then
/// names the field, where serde's overflow message could not.
fn saturating_u32<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = u64::deserialize(deserializer)?;
    Ok(u32::try_from(value).unwrap_or(u32::MAX))
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay_ms: 200,
            max_delay_ms: 10_000,
            max_retry_after_ms: 60_000,
            budget_capacity: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
        }
    }
}

/// How an asynchronous invocation is polled (see [`super::poll_schedule`]): each wait is
/// `elapsedPercent` of the time since the 202, between `minIntervalMs` and `maxIntervalMs`, and
/// shortened by a random share of up to `jitterPercent`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PollPolicy {
    /// Delay before the first status request.
    pub initial_delay_ms: u64,
    /// Each wait between two polls is this percent of the time elapsed since the 202 (0..=100).
    pub elapsed_percent: u64,
    /// Each wait is shortened by a random share of up to this percent (0..=50).
    pub jitter_percent: u64,
    /// The longest wait between two polls.
    pub max_interval_ms: u64,
    /// The shortest wait between two polls, before jitter.
    pub min_interval_ms: u64,
    /// After this long the invocation ends in a timeout error carrying its `invokeId`.
    pub max_poll_ms: u64,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            initial_delay_ms: 100,
            elapsed_percent: 25,
            jitter_percent: 10,
            max_interval_ms: 15_000,
            min_interval_ms: 100,
            max_poll_ms: 300_000,
        }
    }
}

/// The configuration as callers write it (JSON from JS or the Worker's vars): camelCase, checked
/// by [`ClientConfig::from_input`].
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigInput {
    /// Tenant name: the upstream is `https://{tenant}.nicecxone.com`.
    pub tenant: Option<String>,
    /// Explicit upstream origin (instead of `tenant`).
    pub base_url: Option<String>,
    /// Token endpoint (default `{base}/oauth2/token`).
    pub token_url: Option<String>,
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<String>,
    /// Scopes to request.
    pub scopes: Option<Vec<String>>,
    /// Per-request timeout.
    pub timeout_ms: Option<u64>,
    /// Retry policy overrides.
    pub retry: Option<RetryPolicy>,
    /// Poll policy overrides.
    pub poll: Option<PollPolicy>,
    /// How long a fetched definition is reused before it is revalidated.
    pub definition_ttl_ms: Option<u64>,
}

impl std::fmt::Debug for ConfigInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigInput")
            .field("tenant", &self.tenant)
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

/// A checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// Upstream origin, without a trailing slash.
    pub base_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// Per-request timeout.
    pub request_timeout_ms: u64,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Poll policy.
    pub poll: PollPolicy,
    /// Definition cache lifetime.
    pub definition_ttl_ms: u64,
    /// A token is refreshed this long before it expires.
    pub token_refresh_margin_ms: u64,
}

impl ClientConfig {
    /// Checks every field; the first wrong one is named in the error.
    pub fn from_input(input: ConfigInput) -> Result<ClientConfig, DataActionsError> {
        let base_url = match (non_empty(input.tenant.as_deref()), non_empty(input.base_url.as_deref())) {
            (Some(_), Some(_)) => return Err(config_error("tenant", "and `baseUrl` are exclusive: give one")),
            (None, None) => return Err(config_error("tenant", "is required (or give `baseUrl`)")),
            (Some(tenant), None) => {
                let valid = tenant.len() <= 63
                    && tenant.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !tenant.starts_with('-')
                    && !tenant.ends_with('-');
                if !valid {
                    return Err(config_error("tenant", "must be a DNS label (letters, digits, inner hyphens)"));
                }
                format!("https://{}.nicecxone.com", tenant.to_ascii_lowercase())
            }
            (None, Some(url)) => check_url("baseUrl", url)?,
        };
        let token_url = match non_empty(input.token_url.as_deref()) {
            Some(url) => check_url("tokenUrl", url)?,
            None => format!("{base_url}/oauth2/token"),
        };
        let client_id = non_empty(input.client_id.as_deref())
            .ok_or_else(|| config_error("clientId", "is required"))?
            .to_string();
        let client_secret = non_empty(input.client_secret.as_deref())
            .ok_or_else(|| config_error("clientSecret", "is required"))?;
        let scopes = match input.scopes {
            None => DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
            Some(list) => {
                if list.is_empty() {
                    return Err(config_error("scopes", "must not be empty"));
                }
                if list.iter().any(|s| s.is_empty() || s.chars().any(char::is_whitespace)) {
                    return Err(config_error("scopes", "must be non-empty names without spaces"));
                }
                list
            }
        };
        let request_timeout_ms = input.timeout_ms.unwrap_or(30_000);
        if !(1..=600_000).contains(&request_timeout_ms) {
            return Err(config_error("timeoutMs", "must be between 1 and 600000"));
        }
        let retry = input.retry.unwrap_or_default();
        if !(1..=20).contains(&retry.max_attempts) {
            return Err(config_error("retry.maxAttempts", "must be between 1 and 20"));
        }
        for (field, value) in [
            ("retry.budgetCapacity", retry.budget_capacity),
            ("retry.retryCost", retry.retry_cost),
            ("retry.timeoutRetryCost", retry.timeout_retry_cost),
        ] {
            if value > MAX_RETRY_BUDGET {
                return Err(config_error(field, "must be between 0 and 1000000"));
            }
        }
        if retry.base_delay_ms > retry.max_delay_ms {
            return Err(config_error("retry.baseDelayMs", "must not exceed retry.maxDelayMs"));
        }
        let poll = input.poll.unwrap_or_default();
        if poll.max_poll_ms == 0 {
            return Err(config_error("poll.maxPollMs", "must be positive"));
        }
        if poll.min_interval_ms > poll.max_interval_ms {
            return Err(config_error("poll.minIntervalMs", "must not exceed poll.maxIntervalMs"));
        }
        if poll.elapsed_percent > 100 {
            return Err(config_error("poll.elapsedPercent", "must be between 0 and 100"));
        }
        if poll.jitter_percent > 50 {
            return Err(config_error("poll.jitterPercent", "must be between 0 and 50"));
        }
        Ok(ClientConfig {
            base_url,
            token_url,
            client_id,
            client_secret: Secret::new(client_secret),
            scopes,
            request_timeout_ms,
            retry,
            poll,
            definition_ttl_ms: input.definition_ttl_ms.unwrap_or(300_000),
            token_refresh_margin_ms: 60_000,
        })
    }

    /// Parses camelCase JSON into a checked configuration.
    pub fn from_json(json: &str) -> Result<ClientConfig, DataActionsError> {
        let input: ConfigInput = crate::core::json::from_text(json).map_err(|e| config_error("config", &describe_json_error(&e)))?;
        ClientConfig::from_input(input)
    }
}

/// serde's messages can quote the offending value (which may be the secret): keep only field names
/// and positions.
pub(crate) fn describe_json_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    if let Some(rest) = text.strip_prefix("unknown field ") {
        let field = rest.split(',').next().unwrap_or_default();
        return format!("has an unknown field {field}");
    }
    if let Some(rest) = text.strip_prefix("missing field ") {
        let field = rest.split(' ').next().unwrap_or_default();
        return format!("lacks the field {field}");
    }
    format!("is not JSON of the expected shape (line {}, column {})", error.line(), error.column())
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn check_url(field: &str, url: &str) -> Result<String, DataActionsError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| config_error(field, "must start with https:// or http://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || rest.contains(char::is_whitespace) || rest.contains(['?', '#']) {
        return Err(config_error(field, "must be an absolute URL with a host and no query"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

pub(crate) fn config_error(field: &str, reason: &str) -> DataActionsError {
    DataActionsError::Config { field: field.to_string(), reason: reason.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ConfigInput {
        ConfigInput {
            tenant: Some("acme".into()),
            client_id: Some("id".into()),
            client_secret: Some("s3cr3t-value".into()),
            ..Default::default()
        }
    }

    #[test]
    fn tenant_builds_the_base_and_token_urls() {
        let config = ClientConfig::from_input(input()).unwrap();
        assert_eq!(config.base_url, "https://acme.nicecxone.com");
        assert_eq!(config.token_url, "https://acme.nicecxone.com/oauth2/token");
        assert_eq!(config.scopes, vec!["data-actions:read", "data-actions:execute"]);
    }

    #[test]
    fn errors_name_the_field() {
        let mut bad = input();
        bad.client_secret = None;
        let err = ClientConfig::from_input(bad).unwrap_err();
        assert!(matches!(&err, DataActionsError::Config { field, .. } if field == "clientSecret"), "{err}");
        let mut both = input();
        both.base_url = Some("http://127.0.0.1:1".into());
        assert!(matches!(ClientConfig::from_input(both), Err(DataActionsError::Config { field, .. }) if field == "tenant"));
        let mut url = input();
        url.tenant = None;
        url.base_url = Some("ftp://x".into());
        assert!(matches!(ClientConfig::from_input(url), Err(DataActionsError::Config { field, .. }) if field == "baseUrl"));
        let err = ClientConfig::from_json(r#"{"tenant":"a","clientId":"i","clientSecret":"s","retyr":{}}"#).unwrap_err();
        assert!(err.to_string().contains("retyr"), "{err}");
    }

    #[test]
    fn the_poll_schedule_is_checked_and_named_in_errors() {
        let with_poll = |poll: &str| ClientConfig::from_json(&format!(r#"{{"tenant":"a","clientId":"i","clientSecret":"s","poll":{poll}}}"#));
        let config = with_poll(r#"{"elapsedPercent":50,"jitterPercent":0,"minIntervalMs":20,"maxIntervalMs":900}"#).unwrap();
        assert_eq!((config.poll.elapsed_percent, config.poll.jitter_percent, config.poll.min_interval_ms), (50, 0, 20));
        assert_eq!((config.poll.initial_delay_ms, config.poll.max_poll_ms), (100, 300_000), "defaults fill the rest");
        for (poll, field) in [
            (r#"{"elapsedPercent":101}"#, "poll.elapsedPercent"),
            (r#"{"jitterPercent":51}"#, "poll.jitterPercent"),
            (r#"{"minIntervalMs":2000,"maxIntervalMs":1000}"#, "poll.minIntervalMs"),
            (r#"{"maxPollMs":0}"#, "poll.maxPollMs"),
        ] {
            let err = with_poll(poll).unwrap_err();
            assert!(matches!(&err, DataActionsError::Config { field: named, .. } if named == field), "{poll}: {err}");
        }
        let err = with_poll(r#"{"baseDelayMs":250}"#).unwrap_err();
        assert!(err.to_string().contains("baseDelayMs"), "the exponential backoff's base is gone: {err}");
    }

    #[test]
    fn the_retry_budget_is_bounded() {
        for field in ["budgetCapacity", "retryCost", "timeoutRetryCost"] {
            for value in [1_000_001_u64, u64::from(u32::MAX)] {
                let json = format!(r#"{{"tenant":"a","clientId":"i","clientSecret":"s","retry":{{"{field}":{value}}}}}"#);
                let err = ClientConfig::from_json(&json).unwrap_err();
                assert!(
                    matches!(&err, DataActionsError::Config { field: named, reason } if *named == format!("retry.{field}") && reason.contains("1000000")),
                    "{err}"
                );
            }
            let json = format!(r#"{{"tenant":"a","clientId":"i","clientSecret":"s","retry":{{"{field}":1000000}}}}"#);
            assert!(ClientConfig::from_json(&json).is_ok(), "{field}");
        }
        for value in ["4294967296", "18446744073709551615"] {
            let json = format!(r#"{{"tenant":"a","clientId":"i","clientSecret":"s","retry":{{"budgetCapacity":{value}}}}}"#);
            let err = ClientConfig::from_json(&json).unwrap_err();
            assert!(matches!(&err, DataActionsError::Config { field, .. } if field == "retry.budgetCapacity"), "{err}");
        }
    }

    #[test]
    fn the_secret_never_shows() {
        let config = ClientConfig::from_input(input()).unwrap();
        assert!(!format!("{config:?}").contains("s3cr3t"));
        assert!(!format!("{:?}", input()).contains("s3cr3t"));
        let err = ClientConfig::from_json(r#"{"tenant":"a","clientId":"i","clientSecret":42}"#).unwrap_err();
        assert!(!err.to_string().contains("42"), "{err}");
    }
}
