//! What a caller hands the client before anything is sent: the configuration (JSON from JS or
//! the Worker's vars) and the action and invocation ids that end up in URL paths.
//!
//! Properties, besides "never panics":
//! - no configuration error, nor the checked configuration's `Debug`, shows the client secret or
//!   the cxone access key (id or secret), whichever profile the configuration names;
//! - an accepted configuration has http(s) URLs without query, and a bounded retry budget;
//! - an id the core accepts is one path segment that no URL parser resolves away: no `/`, `?`,
//!   `#`, not empty, not `.` or `..` in any spelling, once percent-encoded.
#![no_main]

mod common;

use arbitrary::{Result, Unstructured};
use cxone_data_actions::core::config::MAX_RETRY_BUDGET;
use cxone_data_actions::core::definition::check_action_id;
use cxone_data_actions::core::profile::action_url;
use cxone_data_actions::core::http::encode_path_segment;
use cxone_data_actions::core::invocation::check_invoke_id;
use cxone_data_actions::core::profile::cxone_seed::status_url;
use cxone_data_actions::core::profile::Profile;
use cxone_data_actions::core::ClientConfig;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const SECRET: &str = "Fz-S3cret-0f-the-client";
const ACCESS_KEY_ID: &str = "Fz-Acc3ss-Key-1d";
const ACCESS_KEY_SECRET: &str = "Fz-Acc3ss-Key-S3cret";
const PROFILES: &[&str] = &["cxone-seed", "genesys-cloud", "cxone"];
const REGIONS: &[&str] = &["mypurecloud.com", "usw2.pure.cloud", "mypurecloud.ie", "example.test", "-bad.com", "Upper.com"];
const FIELDS: &[&str] = &[
    "profile", "region", "issuer", "accessKeyId", "accessKeySecret", "tenant", "baseUrl", "tokenUrl", "clientId", "clientSecret", "scopes", "timeoutMs", "retry", "poll", "definitionTtlMs",
    "maxAttempts", "baseDelayMs", "maxDelayMs", "maxRetryAfterMs", "budgetCapacity", "retryCost", "timeoutRetryCost",
    "initialDelayMs", "maxIntervalMs", "minIntervalMs", "maxPollMs",
];

fn assert_one_segment(id: &str, encoded: &str) {
    assert!(!encoded.is_empty() && !encoded.contains(['/', '?', '#']), "{id:?} -> {encoded:?}");
    let lowered = encoded.to_ascii_lowercase().replace("%2e", ".");
    assert!(lowered != "." && lowered != "..", "{id:?} is a dot segment once encoded: {encoded:?}");
}

fn ids(u: &mut Unstructured<'_>, config: &ClientConfig) -> Result<()> {
    let id = common::text(u)?;
    if check_action_id(&id).is_ok() {
        let url = action_url(config, &id);
        let segment = url.rsplit('/').next().unwrap_or_default();
        assert_one_segment(&id, segment);
        let actions = match config.profile {
            Profile::CxoneSeed | Profile::Cxone => "data-actions",
            Profile::GenesysCloud => "integrations/actions",
        };
        assert_eq!(url, format!("{}/api/v2/{actions}/{segment}", config.base_url));
    }
    if check_invoke_id("invokeId", &id).is_ok() {
        let url = status_url(config, "act", &id);
        let segment = url.rsplit('/').next().unwrap_or_default();
        assert_one_segment(&id, segment);
        assert_eq!(url, format!("{}/api/v2/data-actions/act/invoke/{segment}", config.base_url));
    }
    // Encoding alone never makes a slash or a query of an id.
    assert!(!encode_path_segment(&id).contains(['/', '?', '#']));
    Ok(())
}

fn check(u: &mut Unstructured<'_>) -> Result<()> {
    let json = if u.ratio(1, 4)? {
        String::from_utf8_lossy(u.arbitrary::<&[u8]>()?).into_owned()
    } else {
        let mut object: Map<String, Value> = common::object(u, 2, FIELDS)?;
        object.insert("clientSecret".into(), Value::String(SECRET.into()));
        if u.arbitrary()? {
            object.insert("baseUrl".into(), Value::String(format!("http://127.0.0.1:{}", u.int_in_range(1..=65_535u32)?)));
            object.remove("tenant");
        }
        if u.arbitrary()? {
            object.entry("clientId").or_insert(Value::String("id".into()));
        }
        if u.ratio(1, 2)? {
            object.insert("profile".into(), Value::String((*u.choose(PROFILES)?).into()));
        }
        if u.ratio(1, 3)? {
            object.insert("region".into(), Value::String((*u.choose(REGIONS)?).into()));
        }
        if u.arbitrary()? {
            object.insert("accessKeyId".into(), Value::String(ACCESS_KEY_ID.into()));
            object.insert("accessKeySecret".into(), Value::String(ACCESS_KEY_SECRET.into()));
        }
        let mut text = Value::Object(object).to_string();
        if u.ratio(1, 8)? && !text.is_empty() {
            // A truncated document: serde's message must not quote the secret either.
            let cut = u.choose_index(text.len())?;
            text = text.char_indices().take_while(|(i, _)| *i < cut).map(|(_, c)| c).collect();
        }
        text
    };
    match ClientConfig::from_json(&json) {
        Ok(config) => {
            let shown = format!("{config:?}");
            for secret in [SECRET, ACCESS_KEY_ID, ACCESS_KEY_SECRET] {
                assert!(!shown.contains(secret), "a secret shows in {shown}");
            }
            // cxone learns its token endpoint at sign-in, and its API host too unless `baseUrl`
            // pins it: what it is given is the issuer.
            let urls = match &config.cxone {
                Some(cxone) => {
                    assert_eq!(config.profile, Profile::Cxone);
                    assert!(config.token_url.is_empty(), "{shown}");
                    let mut urls = vec![&cxone.issuer];
                    urls.extend(Some(&config.base_url).filter(|url| !url.is_empty()));
                    urls
                }
                None => vec![&config.base_url, &config.token_url],
            };
            for url in urls {
                assert!(url.starts_with("https://") || url.starts_with("http://"), "{url}");
                assert!(!url.contains(['?', '#']) && !url.ends_with('/'), "{url}");
            }
            assert!(config.retry.budget_capacity <= MAX_RETRY_BUDGET);
            assert!(config.retry.retry_cost <= MAX_RETRY_BUDGET && config.retry.timeout_retry_cost <= MAX_RETRY_BUDGET);
            ids(u, &config)?;
        }
        Err(error) => {
            let shown = format!("{error} {error:?} {:?}", error.details());
            for secret in [SECRET, ACCESS_KEY_ID, ACCESS_KEY_SECRET] {
                assert!(!shown.contains(secret), "a secret leaked: {shown}");
            }
            assert_eq!(error.code(), "config", "{shown}");
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = check(&mut Unstructured::new(data));
});
