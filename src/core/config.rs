//! Client configuration: where the upstream is, the credentials, and the retry and poll policies.
//! Every field is checked when the configuration is built; an error names the field.

use serde::Deserialize;

use super::error::DataActionsError;
use super::cxone_signin::{CxoneSettings, CxoneSettingsInput};
use super::profile::Profile;

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
    /// The upstream's profile: `cxone-seed` (default), `genesys-cloud` or `cxone`.
    pub profile: Option<String>,
    /// genesys-cloud: the platform's host (`mypurecloud.com`, `usw2.pure.cloud`…): the API is
    /// `https://api.{region}`, the token endpoint `https://login.{region}/oauth/token`.
    pub region: Option<String>,
    /// cxone: the sign-in issuer (default `https://cxone.niceincontact.com`).
    pub issuer: Option<String>,
    /// cxone: the access key id (a secret).
    pub access_key_id: Option<String>,
    /// cxone: the access key secret (a secret).
    pub access_key_secret: Option<String>,
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
            .field("profile", &self.profile)
            .field("region", &self.region)
            .field("issuer", &self.issuer)
            .field("access_key_id", &self.access_key_id.as_ref().map(|_| "***"))
            .field("access_key_secret", &self.access_key_secret.as_ref().map(|_| "***"))
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
    /// The upstream's profile.
    pub profile: Profile,
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
    /// cxone: the sign-in's settings (None for the other profiles).
    pub cxone: Option<CxoneSettings>,
}

/// genesys-cloud regions this client knows (the form of others is checked, not their name).
pub const KNOWN_GENESYS_REGIONS: [&str; 16] = [
    "mypurecloud.com",
    "use2.us-gov-pure.cloud",
    "usw2.pure.cloud",
    "cac1.pure.cloud",
    "sae1.pure.cloud",
    "mypurecloud.ie",
    "euw2.pure.cloud",
    "mypurecloud.de",
    "euc2.pure.cloud",
    "mec1.pure.cloud",
    "aps1.pure.cloud",
    "apne2.pure.cloud",
    "mypurecloud.jp",
    "apne3.pure.cloud",
    "mypurecloud.com.au",
    "use1.maximus-pure.cloud",
];

/// A genesys-cloud region: a host name of lower-case DNS labels, at least two, without scheme,
/// port or path (`mypurecloud.com`, `usw2.pure.cloud`).
pub fn check_region(region: &str) -> Result<(), DataActionsError> {
    let labels: Vec<&str> = region.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let top_ok = labels.last().is_some_and(|top| top.bytes().all(|b| b.is_ascii_lowercase()));
    if region.len() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok) && top_ok {
        Ok(())
    } else {
        Err(config_error(
            "region",
            "must be a Genesys Cloud host such as mypurecloud.com or usw2.pure.cloud (lower-case DNS labels, no scheme, port or path)",
        ))
    }
}

impl ClientConfig {
    /// Checks every field; the first wrong one is named in the error.
    pub fn from_input(input: ConfigInput) -> Result<ClientConfig, DataActionsError> {
        let profile = match non_empty(input.profile.as_deref()) {
            None => Profile::CxoneSeed,
            Some(name) => Profile::from_name(name)
                .ok_or_else(|| config_error("profile", "must be one of cxone-seed, genesys-cloud, cxone"))?,
        };
        let (base_url, token_url, cxone) = match profile {
            Profile::CxoneSeed => {
                refuse_fields(&input, profile, &["region", "issuer", "accessKeyId", "accessKeySecret"])?;
                let (base, token) = seed_urls(&input)?;
                (base, token, None)
            }
            Profile::GenesysCloud => {
                refuse_fields(&input, profile, &["tenant", "scopes", "issuer", "accessKeyId", "accessKeySecret"])?;
                let (base, token) = genesys_urls(&input)?;
                (base, token, None)
            }
            Profile::Cxone => {
                refuse_fields(&input, profile, &["tenant", "region", "tokenUrl", "scopes"])?;
                let settings = CxoneSettings::from_input(CxoneSettingsInput {
                    issuer: input.issuer.clone(),
                    client_id: input.client_id.clone(),
                    client_secret: input.client_secret.clone(),
                    access_key_id: input.access_key_id.clone(),
                    access_key_secret: input.access_key_secret.clone(),
                    timeout_ms: input.timeout_ms,
                })?;
                // The API host comes from the sign-in (cxone-configuration's api_endpoint) unless
                // `baseUrl` pins it; the token endpoint from OpenID discovery.
                let base = match non_empty(input.base_url.as_deref()) {
                    Some(url) => check_url("baseUrl", url)?,
                    None => String::new(),
                };
                (base, String::new(), Some(settings))
            }
        };
        let client_id = non_empty(input.client_id.as_deref())
            .ok_or_else(|| config_error("clientId", "is required"))?
            .to_string();
        let client_secret = non_empty(input.client_secret.as_deref())
            .ok_or_else(|| config_error("clientSecret", "is required"))?
            .to_string();
        let config = ClientConfig::checked_rest(input, profile, base_url, token_url, client_id, &client_secret)?;
        Ok(ClientConfig { cxone, ..config })
    }

    fn checked_rest(
        input: ConfigInput,
        profile: Profile,
        base_url: String,
        token_url: String,
        client_id: String,
        client_secret: &str,
    ) -> Result<ClientConfig, DataActionsError> {
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
            profile,
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
            cxone: None,
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

/// The cxone-seed's origin (from `tenant` or `baseUrl`) and token endpoint.
fn seed_urls(input: &ConfigInput) -> Result<(String, String), DataActionsError> {
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
    Ok((base_url, token_url))
}

/// genesys-cloud's API origin and token endpoint: from `region`, or `baseUrl` (and `tokenUrl`,
/// default `{baseUrl}/oauth/token`) overriding them.
fn genesys_urls(input: &ConfigInput) -> Result<(String, String), DataActionsError> {
    let region = non_empty(input.region.as_deref());
    if let Some(region) = region {
        check_region(region)?;
    }
    let base_url = match (non_empty(input.base_url.as_deref()), region) {
        (Some(url), _) => check_url("baseUrl", url)?,
        (None, Some(region)) => format!("https://api.{region}"),
        (None, None) => return Err(config_error("region", "is required for genesys-cloud (e.g. mypurecloud.com), or give `baseUrl`")),
    };
    let token_url = match (non_empty(input.token_url.as_deref()), region) {
        (Some(url), _) => check_url("tokenUrl", url)?,
        (None, Some(region)) if non_empty(input.base_url.as_deref()).is_none() => format!("https://login.{region}/oauth/token"),
        (None, _) => format!("{base_url}/oauth/token"),
    };
    Ok((base_url, token_url))
}

/// Fields another profile reads are refused by name rather than ignored.
fn refuse_fields(input: &ConfigInput, profile: Profile, names: &[&str]) -> Result<(), DataActionsError> {
    for name in names {
        let given = match *name {
            "tenant" => input.tenant.is_some(),
            "region" => input.region.is_some(),
            "issuer" => input.issuer.is_some(),
            "accessKeyId" => input.access_key_id.is_some(),
            "accessKeySecret" => input.access_key_secret.is_some(),
            "scopes" => input.scopes.is_some(),
            "tokenUrl" => input.token_url.is_some(),
            _ => false,
        };
        if given {
            return Err(config_error(name, &format!("is not used by the `{}` profile", profile.name())));
        }
    }
    Ok(())
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

    #[test]
    fn profiles_are_named_and_default_to_the_seed() {
        assert_eq!(ClientConfig::from_input(input()).unwrap().profile, Profile::CxoneSeed);
        let seed = ClientConfig::from_json(r#"{"profile":"cxone-seed","tenant":"acme","clientId":"i","clientSecret":"s"}"#).unwrap();
        assert_eq!(seed.base_url, "https://acme.nicecxone.com");
        let err = ClientConfig::from_json(r#"{"profile":"genesys","clientId":"i","clientSecret":"s"}"#).unwrap_err();
        assert!(matches!(&err, DataActionsError::Config { field, .. } if field == "profile"), "{err}");
        // A field another profile reads is refused by name.
        for (json, field) in [
            (r#"{"tenant":"a","region":"mypurecloud.com","clientId":"i","clientSecret":"s"}"#, "region"),
            (r#"{"profile":"genesys-cloud","tenant":"a","clientId":"i","clientSecret":"s"}"#, "tenant"),
            (r#"{"profile":"genesys-cloud","region":"mypurecloud.com","scopes":["a"],"clientId":"i","clientSecret":"s"}"#, "scopes"),
            (r#"{"profile":"cxone","region":"mypurecloud.com","clientId":"i","clientSecret":"s","accessKeyId":"k","accessKeySecret":"v"}"#, "region"),
        ] {
            let err = ClientConfig::from_json(json).unwrap_err();
            assert!(matches!(&err, DataActionsError::Config { field: named, .. } if named == field), "{json}: {err}");
        }
    }

    #[test]
    fn genesys_regions_are_checked_by_form() {
        let genesys = |extra: &str| ClientConfig::from_json(&format!(r#"{{"profile":"genesys-cloud","clientId":"i","clientSecret":"s"{extra}}}"#));
        for region in KNOWN_GENESYS_REGIONS {
            let config = genesys(&format!(r#","region":"{region}""#)).unwrap();
            assert_eq!((config.base_url, config.token_url), (format!("https://api.{region}"), format!("https://login.{region}/oauth/token")));
        }
        // A region this client does not list yet, of the right form.
        assert_eq!(genesys(r#","region":"euw3.pure.cloud""#).unwrap().base_url, "https://api.euw3.pure.cloud");
        for bad in ["", "mypurecloud", "https://mypurecloud.com", "api.mypurecloud.com:443", "mypurecloud.com/x", "MyPureCloud.com", "-a.pure.cloud", "a..cloud", "a.b-", "usw2.pure.cl0ud", "a b.com"] {
            let err = genesys(&format!(r#","region":"{bad}""#)).unwrap_err();
            assert!(matches!(&err, DataActionsError::Config { field, .. } if field == "region"), "{bad}: {err}");
        }
        // Explicit origins (a proxy, the emulator) instead of a region.
        let local = genesys(r#","baseUrl":"http://127.0.0.1:9797/""#).unwrap();
        assert_eq!((local.base_url.as_str(), local.token_url.as_str()), ("http://127.0.0.1:9797", "http://127.0.0.1:9797/oauth/token"));
        let split = genesys(r#","region":"mypurecloud.ie","tokenUrl":"http://127.0.0.1:1/oauth/token""#).unwrap();
        assert_eq!((split.base_url.as_str(), split.token_url.as_str()), ("https://api.mypurecloud.ie", "http://127.0.0.1:1/oauth/token"));
    }

    #[test]
    fn cxone_needs_the_access_key_and_hides_it() {
        let cxone = |extra: &str| ClientConfig::from_json(&format!(r#"{{"profile":"cxone","clientId":"i","clientSecret":"s"{extra}}}"#));
        let config = cxone(r#","accessKeyId":"AKID-123","accessKeySecret":"AKS-456""#).unwrap();
        let credentials = config.cxone.clone().unwrap();
        assert_eq!(credentials.issuer, crate::core::cxone_signin::DEFAULT_ISSUER);
        assert_eq!((credentials.access_key_id.expose(), credentials.access_key_secret.expose()), ("AKID-123", "AKS-456"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("AKID-123") && !shown.contains("AKS-456"), "{shown}");
        let input: ConfigInput = serde_json::from_str(r#"{"profile":"cxone","accessKeyId":"AKID-123","accessKeySecret":"AKS-456"}"#).unwrap();
        let shown = format!("{input:?}");
        assert!(!shown.contains("AKID-123") && !shown.contains("AKS-456"), "{shown}");
        assert_eq!(cxone(r#","issuer":"http://127.0.0.1:9797/","accessKeyId":"a","accessKeySecret":"b""#).unwrap().cxone.unwrap().issuer, "http://127.0.0.1:9797");
        for (extra, field) in [
            (r#","accessKeySecret":"b""#, "accessKeyId"),
            (r#","accessKeyId":"a""#, "accessKeySecret"),
            (r#","issuer":"nowhere","accessKeyId":"a","accessKeySecret":"b""#, "issuer"),
        ] {
            let err = cxone(extra).unwrap_err();
            assert!(matches!(&err, DataActionsError::Config { field: named, .. } if named == field), "{extra}: {err}");
        }
    }
}
