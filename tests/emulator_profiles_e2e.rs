//! The driver over real HTTP against the real emulator playing each upstream profile (embedded, on
//! a free loopback port): genesys-cloud's login, contracts, execute, ErrorBody and paging.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use cxone_data_actions::core::action_list::ActionList;
use cxone_data_actions::core::{ClientConfig, DataActionsError, InvokeOptions, Profile};
use cxone_data_actions::driver::{CallOptions, Client};
use futures::executor::block_on;
use serde_json::{json, Value};
use support::native::{start_emulator, SystemClock, UreqTransport};

fn genesys_client(base: &str, secret: &str) -> Client<UreqTransport, SystemClock> {
    let config = json!({"profile": "genesys-cloud", "baseUrl": base, "clientId": "demo-client", "clientSecret": secret});
    let config = ClientConfig::from_json(&config.to_string()).expect("config");
    assert_eq!(config.profile, Profile::GenesysCloud);
    Client::new(config, UreqTransport::default(), SystemClock, 7)
}

fn stats(base: &str) -> Value {
    ureq::get(&format!("{base}/_emulator/stats")).call().expect("stats").into_json().expect("json")
}

type Invoked = Result<cxone_data_actions::core::InvocationResult, Box<DataActionsError>>;

fn invoke(client: &Client<UreqTransport, SystemClock>, action: &str, inputs: Value, options: InvokeOptions) -> Invoked {
    block_on(client.invoke(action, &inputs, options, CallOptions::default())).map_err(Box::new)
}

#[test]
fn genesys_cloud_executes_synchronously_with_the_contract_and_one_request_when_warm() {
    let base = start_emulator(cxone_emulator::Profile::GenesysCloud);
    let client = genesys_client(&base, "demo-secret");
    let definition = block_on(client.get_action("lookup-customer", None)).expect("definition");
    assert_eq!(definition.extra["mode"], "sync");
    assert_eq!(definition.input_schema.as_ref().map(|s| &s["type"]), Some(&json!("object")), "{definition:?}");
    assert!(definition.input("customerId").is_some_and(|p| p.required), "{definition:?}");
    // The number is coerced to the contract's string, as for the seed.
    let result = invoke(&client, "lookup-customer", json!({"customerId": 42}), InvokeOptions::default()).expect("execute");
    assert_eq!((result.status.as_str(), result.invoke_id.as_deref(), result.polls), ("completed", None, 0));
    assert_eq!(result.outputs["customerId"], json!("42"));
    assert!(result.audit.is_some());
    let before = stats(&base);
    invoke(&client, "lookup-customer", json!({"customerId": "7"}), InvokeOptions::default()).expect("warm execute");
    let after = stats(&base);
    let total = |s: &Value| ["token", "definition", "invoke", "poll"].iter().map(|k| s["requests"][k].as_u64().unwrap_or(0)).sum::<u64>();
    assert_eq!(total(&after) - total(&before), 1, "a warm execute is exactly one upstream request: {after}");
    // An action that is asynchronous elsewhere runs to its end within the timeout.
    let report = invoke(&client, "export-report", json!({"reportName": "daily", "durationMs": 200}), InvokeOptions::default()).expect("execute");
    assert_eq!(report.status, "completed");
}

#[test]
fn genesys_cloud_refuses_asynchronous_options_before_sending_anything() {
    let base = start_emulator(cxone_emulator::Profile::GenesysCloud);
    let client = genesys_client(&base, "demo-secret");
    let before = stats(&base);
    for options in [
        InvokeOptions { callback_url: Some("https://me.example/callback".into()), ..InvokeOptions::default() },
        InvokeOptions { max_poll_ms: Some(10_000), ..InvokeOptions::default() },
        InvokeOptions { context: Some(json!({"agent": "a-1"})), ..InvokeOptions::default() },
    ] {
        let error = invoke(&client, "lookup-customer", json!({"customerId": "1"}), options).unwrap_err();
        assert_eq!(error.code(), "not_supported_by_profile", "{error}");
    }
    let error = block_on(client.get_invocation("lookup-customer", "exe_1", None)).unwrap_err();
    assert_eq!(error.code(), "not_supported_by_profile");
    assert!(error.to_string().contains("synchronous"), "{error}");
    assert_eq!(stats(&base)["requests"]["invoke"], before["requests"]["invoke"], "nothing was executed");
}

#[test]
fn genesys_cloud_error_bodies_map_to_the_same_kinds_with_the_context_id() {
    let base = start_emulator(cxone_emulator::Profile::GenesysCloud);
    let client = genesys_client(&base, "demo-secret");
    let missing = invoke(&client, "no-such-action", json!({}), InvokeOptions::default()).unwrap_err();
    assert_eq!((missing.code(), missing.upstream_code()), ("not_found", Some("not.found")));
    assert!(missing.correlation_id().is_some_and(|id| !id.is_empty()), "{missing:?}");
    let restricted = invoke(&client, "restricted", json!({}), InvokeOptions::default()).unwrap_err();
    assert_eq!((restricted.code(), restricted.upstream_code()), ("forbidden", Some("missing.permissions")));
    assert!(restricted.details().upstream_correlation_id.is_some());
    let failed = invoke(&client, "sync-fails", json!({"customerId": "1"}), InvokeOptions::default()).unwrap_err();
    assert_eq!(failed.code(), "execution_failed", "{failed}");
    assert!(failed.correlation_id().is_some());
    // The inputs are checked here first: the upstream never sees these.
    let invalid = invoke(&client, "lookup-customer", json!({"customerId": "1", "colour": "red"}), InvokeOptions::default()).unwrap_err();
    assert_eq!((invalid.code(), invalid.status()), ("validation", None));
    // 429 with Retry-After is retried as for the seed.
    let limited = invoke(&client, "rate-limited", json!({"customerId": "9"}), InvokeOptions::default()).expect("after the 429s");
    assert_eq!(limited.status, "completed");
    // A wrong client secret is refused by the login service.
    let refused = block_on(token_with_wrong_secret(&base)).unwrap_err();
    assert_eq!(refused.code(), "unauthorized");
    assert!(!refused.to_string().contains("wrong-secret"), "{refused}");
}

async fn token_with_wrong_secret(base: &str) -> Result<String, DataActionsError> {
    genesys_client(base, "wrong-secret").token(None).await
}

#[test]
fn genesys_cloud_lists_actions_a_page_number_at_a_time() {
    let base = start_emulator(cxone_emulator::Profile::GenesysCloud);
    let client = genesys_client(&base, "demo-secret");
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..20 {
        let ActionList::Page(page) = block_on(client.list_actions(token.as_deref(), 3, None)).expect("page") else { panic!("a page") };
        assert!(page.actions.len() <= 3);
        assert!(page.actions.iter().all(|a| a.mode.as_deref() == Some("sync")));
        seen.extend(page.actions.into_iter().map(|a| a.id));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert!(token.is_none(), "the last page has no next page");
    assert!(seen.contains(&"lookup-customer".to_string()) && seen.contains(&"export-report".to_string()), "{seen:?}");
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no action twice: {seen:?}");
}

fn cxone_client(issuer: &str) -> Client<UreqTransport, SystemClock> {
    let config = json!({
        "profile": "cxone", "issuer": issuer, "clientId": "demo-client", "clientSecret": "demo-secret",
        "accessKeyId": "demo-access-key-id", "accessKeySecret": "demo-access-key-secret",
        "poll": {"initialDelayMs": 100, "minIntervalMs": 50, "maxIntervalMs": 300}
    });
    let config = ClientConfig::from_json(&config.to_string()).expect("config");
    assert_eq!(config.profile, Profile::Cxone);
    Client::new(config, UreqTransport::default(), SystemClock, 7)
}

#[test]
fn cxone_signs_in_then_uses_the_seed_paths_on_the_api_host() {
    let base = start_emulator(cxone_emulator::Profile::Cxone);
    let client = cxone_client(&base);
    let result = invoke(&client, "lookup-customer", json!({"customerId": 42}), InvokeOptions::default()).expect("invoke");
    assert_eq!(result.status, "completed");
    assert!(result.invoke_id.is_some(), "the seed's invoke answers an invokeId");
    let signin = &stats(&base)["signin"];
    assert_eq!((signin["discovery"].as_u64(), signin["password"].as_u64(), signin["configuration"].as_u64()), (Some(1), Some(1), Some(1)), "{signin}");
    let session = client.export_session().expect("a session");
    assert_eq!(session.api_base_url, base.trim_end_matches('/'));
    assert!(!format!("{session:?}").contains(&session.token.access_token), "Debug shows no token");
    // The seed's async path (202, polling) works behind the cxone sign-in.
    let report = invoke(&client, "export-report", json!({"reportName": "daily", "durationMs": 300}), InvokeOptions::default()).expect("async");
    assert_eq!(report.status, "completed");
    assert!(report.polls >= 1);
    // A revoked token is replaced once: the refresh token first, no new password grant.
    ureq::post(&format!("{base}/_emulator/revoke-tokens")).call().expect("revoke");
    invoke(&client, "lookup-customer", json!({"customerId": "7"}), InvokeOptions::default()).expect("after the revocation");
    let signin = &stats(&base)["signin"];
    assert_eq!((signin["password"].as_u64(), signin["discovery"].as_u64()), (Some(1), Some(1)), "{signin}");
    assert!(signin["refresh"].as_u64() >= Some(1), "{signin}");
}

#[test]
fn cxone_refused_credentials_are_unauthorized_without_the_secrets() {
    let base = start_emulator(cxone_emulator::Profile::Cxone);
    let config = json!({
        "profile": "cxone", "issuer": base, "clientId": "demo-client", "clientSecret": "demo-secret",
        "accessKeyId": "demo-access-key-id", "accessKeySecret": "wrong-access-key-secret"
    });
    let client = Client::new(ClientConfig::from_json(&config.to_string()).expect("config"), UreqTransport::default(), SystemClock, 7);
    let error = invoke(&client, "lookup-customer", json!({"customerId": "1"}), InvokeOptions::default()).unwrap_err();
    assert_eq!(error.code(), "unauthorized", "{error}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("wrong-access-key-secret") && !shown.contains("demo-secret"), "{shown}");
}
