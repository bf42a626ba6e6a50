//! The proxy's settings, read from the Worker's vars and secrets by name. Every missing or
//! malformed setting is reported, each naming the variable, so `GET /healthz` and the first
//! request can say what to fix instead of crashing.

use serde::Serialize;
use serde_json::{json, Value};

use crate::core::audit::payload_hash;
use crate::core::auth::parse_api_keys;
use crate::core::callback::webhook_key;
use crate::core::config::{check_region, ClientConfig, ConfigInput, PollPolicy, Secret};
use crate::core::error::DataActionsError;
use crate::core::profile::Profile;

/// The upstream's profile: `cxone-seed` (default), `genesys-cloud` or `cxone`.
pub const UPSTREAM_PROFILE: &str = "UPSTREAM_PROFILE";
/// genesys-cloud: the platform's host (`mypurecloud.com`, `usw2.pure.cloud`…).
pub const GENESYS_REGION: &str = "GENESYS_REGION";
/// genesys-cloud: the API origin, instead of the region's (with [`GENESYS_LOGIN_URL`]).
pub const GENESYS_API_URL: &str = "GENESYS_API_URL";
/// genesys-cloud: the login origin (its token endpoint is `{origin}/oauth/token`).
pub const GENESYS_LOGIN_URL: &str = "GENESYS_LOGIN_URL";
/// genesys-cloud: the OAuth client id.
pub const GENESYS_CLIENT_ID: &str = "GENESYS_CLIENT_ID";
/// genesys-cloud: the OAuth client secret (a secret).
pub const GENESYS_CLIENT_SECRET: &str = "GENESYS_CLIENT_SECRET";
/// cxone: the sign-in issuer (optional; default `https://cxone.niceincontact.com`).
pub const CXONE_ISSUER: &str = "CXONE_ISSUER";
/// cxone: the access key id (a secret).
pub const CXONE_ACCESS_KEY_ID: &str = "CXONE_ACCESS_KEY_ID";
/// cxone: the access key secret (a secret).
pub const CXONE_ACCESS_KEY_SECRET: &str = "CXONE_ACCESS_KEY_SECRET";

/// Upstream origin (or give [`CXONE_TENANT`]).
pub const CXONE_BASE_URL: &str = "CXONE_BASE_URL";
/// Tenant name: the upstream is `https://{tenant}.nicecxone.com`.
pub const CXONE_TENANT: &str = "CXONE_TENANT";
/// Token endpoint (optional).
pub const CXONE_TOKEN_URL: &str = "CXONE_TOKEN_URL";
/// OAuth client id.
pub const CXONE_CLIENT_ID: &str = "CXONE_CLIENT_ID";
/// OAuth client secret (a secret).
pub const CXONE_CLIENT_SECRET: &str = "CXONE_CLIENT_SECRET";
/// The Worker's own origin; callback URLs are built from it.
pub const PUBLIC_URL: &str = "PUBLIC_URL";
/// Browser origins allowed by CORS, comma separated (optional).
pub const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";
/// How long an accepted invocation may stay pending before it is `timed_out` (optional).
pub const MAX_POLL_SECONDS: &str = "MAX_POLL_SECONDS";
/// Callers' API keys, comma separated (a secret).
pub const PROXY_API_KEYS: &str = "PROXY_API_KEYS";
/// Standard Webhooks secret that callbacks must be signed with (a secret, optional).
pub const CALLBACK_SIGNING_SECRET: &str = "CALLBACK_SIGNING_SECRET";

/// Every setting, in the order problems are reported.
pub const SETTING_NAMES: [&str; 19] = [
    UPSTREAM_PROFILE,
    GENESYS_REGION,
    GENESYS_API_URL,
    GENESYS_LOGIN_URL,
    GENESYS_CLIENT_ID,
    GENESYS_CLIENT_SECRET,
    CXONE_ISSUER,
    CXONE_ACCESS_KEY_ID,
    CXONE_ACCESS_KEY_SECRET,
    CXONE_BASE_URL,
    CXONE_TENANT,
    CXONE_TOKEN_URL,
    CXONE_CLIENT_ID,
    CXONE_CLIENT_SECRET,
    PUBLIC_URL,
    ALLOWED_ORIGINS,
    MAX_POLL_SECONDS,
    PROXY_API_KEYS,
    CALLBACK_SIGNING_SECRET,
];

/// `MAX_POLL_SECONDS` when unset.
pub const DEFAULT_MAX_POLL_SECONDS: u64 = 300;
/// Largest `MAX_POLL_SECONDS` (one day).
pub const MAX_MAX_POLL_SECONDS: u64 = 86_400;

/// One missing or malformed setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingProblem {
    /// The variable's name, e.g. `CXONE_CLIENT_ID`.
    pub setting: String,
    /// What is wrong, as a sentence that starts with the name.
    pub message: String,
}

impl SettingProblem {
    fn new(setting: &str, reason: &str) -> Self {
        SettingProblem { setting: setting.to_string(), message: format!("{setting} {reason}") }
    }
}

/// The checked settings of the proxy.
#[derive(Clone)]
pub struct ProxySettings {
    /// The upstream client's configuration.
    pub client: ClientConfig,
    /// The Worker's origin, without a trailing slash.
    pub public_url: String,
    /// Origins allowed by CORS.
    pub allowed_origins: Vec<String>,
    /// How long an accepted invocation may stay pending.
    pub max_pending_ms: u64,
    /// Callers' API keys.
    pub api_keys: Vec<String>,
    /// The callback signing secret, when callbacks must be signed.
    pub callback_signing_secret: Option<Secret>,
    /// SHA-256 of every value read: equal fingerprints, equal settings (the shell rebuilds its
    /// client when it changes).
    pub fingerprint: String,
}

impl std::fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxySettings")
            .field("client", &self.client)
            .field("public_url", &self.public_url)
            .field("allowed_origins", &self.allowed_origins)
            .field("max_pending_ms", &self.max_pending_ms)
            .field("api_keys", &format_args!("[{} key(s)]", self.api_keys.len()))
            .field("callback_signing_secret", &self.callback_signing_secret)
            .finish_non_exhaustive()
    }
}

impl ProxySettings {
    /// Reads every setting through `lookup` (blank values count as unset) and checks them all.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<ProxySettings, Vec<SettingProblem>> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut problems = Vec::new();

        let profile = match get(UPSTREAM_PROFILE) {
            None => Some(Profile::CxoneSeed),
            Some(name) => {
                let profile = Profile::from_name(&name);
                if profile.is_none() {
                    problems.push(SettingProblem::new(UPSTREAM_PROFILE, "must be one of cxone-seed, genesys-cloud, cxone"));
                }
                profile
            }
        };
        let max_poll_seconds = match get(MAX_POLL_SECONDS) {
            None => Some(DEFAULT_MAX_POLL_SECONDS),
            Some(text) => match text.parse::<u64>() {
                Ok(seconds) if (1..=MAX_MAX_POLL_SECONDS).contains(&seconds) => Some(seconds),
                _ => {
                    problems.push(SettingProblem::new(
                        MAX_POLL_SECONDS,
                        &format!("must be a whole number of seconds from 1 to {MAX_MAX_POLL_SECONDS}"),
                    ));
                    None
                }
            },
        };
        let upstream = match profile {
            Some(Profile::CxoneSeed) => seed_input(&get, &mut problems),
            Some(Profile::GenesysCloud) => genesys_input(&get, &mut problems),
            Some(Profile::Cxone) => cxone_input(&get, &mut problems),
            None => None,
        };
        let client = match upstream {
            Some((input, names)) if problems.is_empty() => {
                let input = ConfigInput {
                    poll: Some(PollPolicy {
                        max_poll_ms: max_poll_seconds.unwrap_or(DEFAULT_MAX_POLL_SECONDS).saturating_mul(1000),
                        ..PollPolicy::default()
                    }),
                    ..input
                };
                match ClientConfig::from_input(input) {
                    Ok(config) => Some(config),
                    Err(error) => {
                        problems.push(problem_of_config_error(&error, &names));
                        None
                    }
                }
            }
            _ => None,
        };

        let public_url = match get(PUBLIC_URL) {
            None => {
                problems.push(SettingProblem::new(PUBLIC_URL, "is required (the Worker's own origin, e.g. https://proxy.example.com)"));
                None
            }
            Some(url) => match check_origin(url.trim_end_matches('/')) {
                Ok(origin) => Some(origin),
                Err(reason) => {
                    problems.push(SettingProblem::new(PUBLIC_URL, reason));
                    None
                }
            },
        };
        let mut allowed_origins = Vec::new();
        for entry in get(ALLOWED_ORIGINS).unwrap_or_default().split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match check_origin(entry) {
                Ok(origin) => allowed_origins.push(origin),
                Err(reason) => problems.push(SettingProblem::new(ALLOWED_ORIGINS, &format!("entry {entry:?}: {reason}"))),
            }
        }
        let api_keys = parse_api_keys(&get(PROXY_API_KEYS).unwrap_or_default());
        if api_keys.is_empty() {
            problems.push(SettingProblem::new(PROXY_API_KEYS, "is required: a comma-separated list of callers' API keys (a Worker secret)"));
        }
        let signing_secret = get(CALLBACK_SIGNING_SECRET);
        if let Some(secret) = &signing_secret {
            if webhook_key(secret).is_err() {
                problems.push(SettingProblem::new(CALLBACK_SIGNING_SECRET, "must be whsec_<base64> or non-empty raw text"));
            }
        }

        let (Some(client), Some(public_url), Some(max_poll_seconds), true) = (client, public_url, max_poll_seconds, problems.is_empty())
        else {
            problems.sort_by_key(|p| SETTING_NAMES.iter().position(|name| *name == p.setting).unwrap_or(SETTING_NAMES.len()));
            return Err(problems);
        };
        let raw: Vec<Value> = SETTING_NAMES.iter().map(|name| json!([name, get(name)])).collect();
        Ok(ProxySettings {
            client,
            public_url,
            allowed_origins,
            max_pending_ms: max_poll_seconds.saturating_mul(1000),
            api_keys,
            callback_signing_secret: signing_secret.map(Secret::new),
            fingerprint: payload_hash(&Value::Array(raw)),
        })
    }
}

/// Which variable each configuration field came from.
type FieldNames = Vec<(&'static str, &'static str)>;

/// Records a problem for each required setting that is unset.
fn require(get: &impl Fn(&str) -> Option<String>, problems: &mut Vec<SettingProblem>, name: &str, reason: &str) -> Option<String> {
    let value = get(name);
    if value.is_none() {
        problems.push(SettingProblem::new(name, reason));
    }
    value
}

const SECRET_REASON: &str = "is required (a Worker secret: .dev.vars locally)";

/// cxone-seed: `CXONE_BASE_URL` or `CXONE_TENANT`, `CXONE_TOKEN_URL`, `CXONE_CLIENT_ID`, secret `CXONE_CLIENT_SECRET`.
fn seed_input(get: &impl Fn(&str) -> Option<String>, problems: &mut Vec<SettingProblem>) -> Option<(ConfigInput, FieldNames)> {
    let base_url = get(CXONE_BASE_URL);
    let tenant = get(CXONE_TENANT);
    match (&base_url, &tenant) {
        (Some(_), Some(_)) => problems.push(SettingProblem::new(CXONE_TENANT, "and CXONE_BASE_URL are exclusive: set only one")),
        (None, None) => problems.push(SettingProblem::new(CXONE_BASE_URL, "is required (or set CXONE_TENANT)")),
        _ => {}
    }
    let client_id = require(get, problems, CXONE_CLIENT_ID, "is required");
    let client_secret = require(get, problems, CXONE_CLIENT_SECRET, SECRET_REASON);
    let tenant_field = if tenant.is_some() { CXONE_TENANT } else { CXONE_BASE_URL };
    let names = vec![
        ("tenant", tenant_field),
        ("baseUrl", CXONE_BASE_URL),
        ("tokenUrl", CXONE_TOKEN_URL),
        ("clientId", CXONE_CLIENT_ID),
        ("clientSecret", CXONE_CLIENT_SECRET),
    ];
    let input = ConfigInput { tenant, base_url, token_url: get(CXONE_TOKEN_URL), client_id, client_secret, ..ConfigInput::default() };
    Some((input, names))
}

/// genesys-cloud: `GENESYS_REGION`, or `GENESYS_API_URL` + `GENESYS_LOGIN_URL`; `GENESYS_CLIENT_ID`; secret `GENESYS_CLIENT_SECRET`.
fn genesys_input(get: &impl Fn(&str) -> Option<String>, problems: &mut Vec<SettingProblem>) -> Option<(ConfigInput, FieldNames)> {
    let region = get(GENESYS_REGION);
    let api_url = get(GENESYS_API_URL);
    let login_url = get(GENESYS_LOGIN_URL);
    match (&region, &api_url, &login_url) {
        (Some(_), None, None) | (None, Some(_), Some(_)) => {}
        (Some(_), _, _) => problems.push(SettingProblem::new(GENESYS_REGION, "and GENESYS_API_URL / GENESYS_LOGIN_URL are exclusive: set the region or both origins")),
        (None, None, None) => problems.push(SettingProblem::new(GENESYS_REGION, "is required (e.g. mypurecloud.com), or set GENESYS_API_URL and GENESYS_LOGIN_URL")),
        (None, Some(_), None) => problems.push(SettingProblem::new(GENESYS_LOGIN_URL, "is required with GENESYS_API_URL (the login origin)")),
        (None, None, Some(_)) => problems.push(SettingProblem::new(GENESYS_API_URL, "is required with GENESYS_LOGIN_URL (the API origin)")),
    }
    if let Some(Err(DataActionsError::Config { reason, .. })) = region.as_deref().map(check_region) {
        problems.push(SettingProblem::new(GENESYS_REGION, &reason));
    }
    let token_url = match &login_url {
        None => None,
        Some(origin) => match check_origin(origin.trim_end_matches('/')) {
            Ok(origin) => Some(format!("{origin}/oauth/token")),
            Err(reason) => {
                problems.push(SettingProblem::new(GENESYS_LOGIN_URL, reason));
                None
            }
        },
    };
    let client_id = require(get, problems, GENESYS_CLIENT_ID, "is required");
    let client_secret = require(get, problems, GENESYS_CLIENT_SECRET, SECRET_REASON);
    let names = vec![
        ("region", GENESYS_REGION),
        ("baseUrl", GENESYS_API_URL),
        ("tokenUrl", GENESYS_LOGIN_URL),
        ("clientId", GENESYS_CLIENT_ID),
        ("clientSecret", GENESYS_CLIENT_SECRET),
    ];
    let input = ConfigInput {
        profile: Some(Profile::GenesysCloud.name().into()),
        region,
        base_url: api_url,
        token_url,
        client_id,
        client_secret,
        ..ConfigInput::default()
    };
    Some((input, names))
}

/// cxone: `CXONE_ISSUER` (optional), `CXONE_CLIENT_ID`; secrets `CXONE_CLIENT_SECRET`, `CXONE_ACCESS_KEY_ID`, `CXONE_ACCESS_KEY_SECRET`.
/// The API host is the sign-in's (the seed's `CXONE_BASE_URL` / `CXONE_TENANT` are not read).
fn cxone_input(get: &impl Fn(&str) -> Option<String>, problems: &mut Vec<SettingProblem>) -> Option<(ConfigInput, FieldNames)> {
    let client_id = require(get, problems, CXONE_CLIENT_ID, "is required");
    let client_secret = require(get, problems, CXONE_CLIENT_SECRET, SECRET_REASON);
    let access_key_id = require(get, problems, CXONE_ACCESS_KEY_ID, SECRET_REASON);
    let access_key_secret = require(get, problems, CXONE_ACCESS_KEY_SECRET, SECRET_REASON);
    let names = vec![
        ("issuer", CXONE_ISSUER),
        ("clientId", CXONE_CLIENT_ID),
        ("clientSecret", CXONE_CLIENT_SECRET),
        ("accessKeyId", CXONE_ACCESS_KEY_ID),
        ("accessKeySecret", CXONE_ACCESS_KEY_SECRET),
    ];
    let input = ConfigInput {
        profile: Some(Profile::Cxone.name().into()),
        issuer: get(CXONE_ISSUER),
        client_id,
        client_secret,
        access_key_id,
        access_key_secret,
        ..ConfigInput::default()
    };
    Some((input, names))
}

/// The problem of a client configuration error, named by the variable its field came from.
fn problem_of_config_error(error: &DataActionsError, names: &FieldNames) -> SettingProblem {
    match error {
        DataActionsError::Config { field, reason } => {
            let setting = names.iter().find(|(known, _)| known == field).map(|(_, setting)| *setting).unwrap_or(UPSTREAM_PROFILE);
            SettingProblem::new(setting, reason)
        }
        other => SettingProblem::new(UPSTREAM_PROFILE, &other.to_string()),
    }
}

/// `scheme://host[:port]` with an http or https scheme and nothing after the authority.
fn check_origin(url: &str) -> Result<String, &'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must be an origin starting with https:// or http://")?;
    let valid = !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_'))
        && !rest.starts_with(':');
    if valid {
        Ok(url.to_string())
    } else {
        Err("must be an origin (scheme://host[:port]) without path, query or spaces")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn good() -> HashMap<String, String> {
        env(&[
            (CXONE_BASE_URL, "http://127.0.0.1:9797"),
            (CXONE_CLIENT_ID, "demo-client"),
            (CXONE_CLIENT_SECRET, "demo-secret"),
            (PUBLIC_URL, "http://127.0.0.1:8787/"),
            (ALLOWED_ORIGINS, "http://localhost:8788, https://app.example"),
            (PROXY_API_KEYS, "k1,k2"),
        ])
    }

    fn read(vars: &HashMap<String, String>) -> Result<ProxySettings, Vec<SettingProblem>> {
        ProxySettings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn a_complete_environment_is_accepted() {
        let settings = read(&good()).unwrap();
        assert_eq!(settings.client.base_url, "http://127.0.0.1:9797");
        assert_eq!(settings.public_url, "http://127.0.0.1:8787");
        assert_eq!(settings.allowed_origins, vec!["http://localhost:8788", "https://app.example"]);
        assert_eq!(settings.max_pending_ms, 300_000);
        assert_eq!(settings.api_keys, vec!["k1", "k2"]);
        assert!(settings.callback_signing_secret.is_none());
        let shown = format!("{settings:?}");
        assert!(!shown.contains("demo-secret") && !shown.contains("k1"), "{shown}");
    }

    #[test]
    fn every_problem_is_named() {
        let mut vars = good();
        vars.remove(CXONE_CLIENT_ID);
        vars.insert(CXONE_CLIENT_SECRET.into(), "  ".into());
        vars.insert(MAX_POLL_SECONDS.into(), "soon".into());
        vars.insert(PUBLIC_URL.into(), "127.0.0.1:8787".into());
        vars.insert(ALLOWED_ORIGINS.into(), "https://ok.example,https://bad.example/path".into());
        vars.remove(PROXY_API_KEYS);
        vars.insert(CALLBACK_SIGNING_SECRET.into(), "whsec_!!!".into());
        let problems = read(&vars).unwrap_err();
        let names: Vec<&str> = problems.iter().map(|p| p.setting.as_str()).collect();
        assert_eq!(
            names,
            vec![CXONE_CLIENT_ID, CXONE_CLIENT_SECRET, PUBLIC_URL, ALLOWED_ORIGINS, MAX_POLL_SECONDS, PROXY_API_KEYS, CALLBACK_SIGNING_SECRET]
        );
        assert!(problems.iter().all(|p| p.message.starts_with(&p.setting)));
        assert!(!format!("{problems:?}").contains("whsec_!!!"));
    }

    #[test]
    fn upstream_settings_are_checked_by_the_client_config() {
        let mut vars = good();
        vars.insert(CXONE_TENANT.into(), "acme".into());
        assert_eq!(read(&vars).unwrap_err()[0].setting, CXONE_TENANT);
        vars.remove(CXONE_BASE_URL);
        assert_eq!(read(&vars).unwrap().client.base_url, "https://acme.nicecxone.com");
        vars.insert(CXONE_TENANT.into(), "not a tenant".into());
        assert_eq!(read(&vars).unwrap_err()[0].setting, CXONE_TENANT);
        let mut vars = good();
        vars.insert(CXONE_TOKEN_URL.into(), "ftp://x".into());
        assert_eq!(read(&vars).unwrap_err()[0].setting, CXONE_TOKEN_URL);
        vars.remove(CXONE_BASE_URL);
        assert_eq!(read(&vars).unwrap_err()[0].setting, CXONE_BASE_URL);
    }

    #[test]
    fn the_fingerprint_follows_every_value() {
        let a = read(&good()).unwrap();
        let mut vars = good();
        vars.insert(CXONE_CLIENT_SECRET.into(), "rotated".into());
        let b = read(&vars).unwrap();
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_eq!(a.fingerprint, read(&good()).unwrap().fingerprint);
    }

    fn genesys() -> HashMap<String, String> {
        let mut vars = good();
        for name in [CXONE_BASE_URL, CXONE_CLIENT_ID, CXONE_CLIENT_SECRET] {
            vars.remove(name);
        }
        vars.extend(env(&[
            (UPSTREAM_PROFILE, "genesys-cloud"),
            (GENESYS_REGION, "mypurecloud.de"),
            (GENESYS_CLIENT_ID, "gc-client"),
            (GENESYS_CLIENT_SECRET, "gc-secret-value"),
        ]));
        vars
    }

    #[test]
    fn genesys_cloud_reads_its_own_settings() {
        let settings = read(&genesys()).unwrap();
        let client = &settings.client;
        assert_eq!(client.profile, Profile::GenesysCloud);
        assert_eq!((client.base_url.as_str(), client.token_url.as_str()), ("https://api.mypurecloud.de", "https://login.mypurecloud.de/oauth/token"));
        assert_eq!(client.client_id, "gc-client");
        assert!(!format!("{settings:?}").contains("gc-secret-value"));
        let mut vars = genesys();
        vars.remove(GENESYS_REGION);
        vars.insert(GENESYS_API_URL.into(), "http://127.0.0.1:9797".into());
        vars.insert(GENESYS_LOGIN_URL.into(), "http://127.0.0.1:9798/".into());
        let local = read(&vars).unwrap().client;
        assert_eq!((local.base_url.as_str(), local.token_url.as_str()), ("http://127.0.0.1:9797", "http://127.0.0.1:9798/oauth/token"));
        // Each problem names its variable.
        for (change, named) in [
            ((GENESYS_REGION, Some("https://mypurecloud.de")), GENESYS_REGION),
            ((GENESYS_REGION, None), GENESYS_REGION),
            ((GENESYS_CLIENT_ID, None), GENESYS_CLIENT_ID),
            ((GENESYS_CLIENT_SECRET, None), GENESYS_CLIENT_SECRET),
            ((GENESYS_API_URL, Some("http://127.0.0.1:1")), GENESYS_REGION),
            ((UPSTREAM_PROFILE, Some("purecloud")), UPSTREAM_PROFILE),
        ] {
            let mut vars = genesys();
            match change {
                (name, Some(value)) => vars.insert(name.into(), value.into()),
                (name, None) => vars.remove(name),
            };
            let problems = read(&vars).unwrap_err();
            assert_eq!(problems[0].setting, named, "{change:?}: {problems:?}");
            assert!(!format!("{problems:?}").contains("gc-secret-value"));
        }
        let mut vars = genesys();
        vars.remove(GENESYS_REGION);
        vars.insert(GENESYS_API_URL.into(), "http://127.0.0.1:9797".into());
        assert_eq!(read(&vars).unwrap_err()[0].setting, GENESYS_LOGIN_URL);
        vars.insert(GENESYS_LOGIN_URL.into(), "http://127.0.0.1:9797/path".into());
        assert_eq!(read(&vars).unwrap_err()[0].setting, GENESYS_LOGIN_URL);
    }

    #[test]
    fn cxone_reads_its_secrets_and_never_shows_them() {
        let mut vars = good();
        vars.remove(CXONE_BASE_URL);
        vars.extend(env(&[(UPSTREAM_PROFILE, "cxone"), (CXONE_ACCESS_KEY_ID, "akid-value"), (CXONE_ACCESS_KEY_SECRET, "aks-value")]));
        let settings = read(&vars).unwrap();
        let credentials = settings.client.cxone.clone().unwrap();
        assert_eq!(credentials.issuer, "https://cxone.niceincontact.com");
        let shown = format!("{settings:?}");
        assert!(!shown.contains("akid-value") && !shown.contains("aks-value"), "{shown}");
        vars.insert(CXONE_ISSUER.into(), "not a url".into());
        vars.remove(CXONE_ACCESS_KEY_SECRET);
        let problems = read(&vars).unwrap_err();
        assert_eq!(problems.iter().map(|p| p.setting.as_str()).collect::<Vec<_>>(), [CXONE_ACCESS_KEY_SECRET]);
        vars.insert(CXONE_ACCESS_KEY_SECRET.into(), "aks-value".into());
        assert_eq!(read(&vars).unwrap_err()[0].setting, CXONE_ISSUER);
        assert!(!format!("{:?}", read(&vars).unwrap_err()).contains("akid-value"));
    }
}
