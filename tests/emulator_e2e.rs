//! The driver over real HTTP against the real emulator (embedded, on a free loopback port).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use cxone_data_actions::core::{ClientConfig, InvokeOptions};
use cxone_data_actions::driver::{CallOptions, Client};
use futures::executor::block_on;
use serde_json::{json, Value};
use support::native::{start_emulator, SystemClock, UreqTransport};

/// Starts an emulator on its own runtime thread; it lives as long as the test process.
fn emulator() -> String {
    start_emulator(cxone_emulator::Profile::default())
}

fn client(base: &str, extra: Value) -> Client<UreqTransport, SystemClock> {
    let mut config = json!({"baseUrl": base, "clientId": "demo-client", "clientSecret": "demo-secret"});
    if let (Some(target), Value::Object(more)) = (config.as_object_mut(), extra) {
        target.extend(more);
    }
    let config = ClientConfig::from_json(&config.to_string()).expect("config");
    Client::new(config, UreqTransport::default(), SystemClock, 7)
}

fn control(base: &str, path: &str, body: Value) -> Value {
    let response = ureq::post(&format!("{base}/_emulator/{path}")).send_json(body).expect("control call");
    response.into_json().unwrap_or(Value::Null)
}

fn stats(base: &str) -> Value {
    ureq::get(&format!("{base}/_emulator/stats")).call().expect("stats").into_json().expect("json")
}

#[test]
fn sync_invoke_over_real_http_and_one_request_when_warm() {
    let base = emulator();
    let client = client(&base, json!({}));
    let result = block_on(client.invoke("lookup-customer", &json!({"customerId": 42, "includeHistory": "yes"}), InvokeOptions::default(), CallOptions::default())).expect("invoke");
    assert_eq!(result.status, "completed");
    assert!(result.invoke_id.is_some());
    assert_eq!(result.outputs["customerId"], json!("42"));
    let before = stats(&base);
    block_on(client.invoke("lookup-customer", &json!({"customerId": "7"}), InvokeOptions::default(), CallOptions::default())).expect("warm invoke");
    let after = stats(&base);
    let total = |s: &Value| ["token", "definition", "invoke", "poll"].iter().map(|k| s["requests"][k].as_u64().unwrap_or(0)).sum::<u64>();
    assert_eq!(total(&after) - total(&before), 1, "a warm sync invoke is exactly one upstream request");
}

#[test]
fn async_invoke_polls_until_completed() {
    let base = emulator();
    let client = client(&base, json!({}));
    let started = std::time::Instant::now();
    let result = block_on(client.invoke("export-report", &json!({"reportName": "daily", "durationMs": 500}), InvokeOptions::default(), CallOptions::default())).expect("invoke");
    assert_eq!(result.status, "completed");
    assert!(result.polls >= 1);
    assert!(result.outputs["rowCount"].is_i64() || result.outputs["rowCount"].is_u64());
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(1_800), "a 0.5 s job is seen well before 3 s: {elapsed:?}");
}

#[test]
fn rate_limited_action_recovers_with_both_retry_after_forms() {
    let base = emulator();
    let client = client(&base, json!({}));
    let result = block_on(client.invoke("rate-limited", &json!({"customerId": "1"}), InvokeOptions::default(), CallOptions::default())).expect("recovers");
    assert_eq!(result.status, "completed");
    assert_eq!(stats(&base)["requests"]["invoke"], json!(3));
}

#[test]
fn revoked_token_mid_poll_is_refreshed() {
    let base = emulator();
    let client = client(&base, json!({}));
    let base_for_thread = base.clone();
    let revoker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        control(&base_for_thread, "revoke-tokens", json!({}));
    });
    let result = block_on(client.invoke("export-report", &json!({"reportName": "r", "durationMs": 1200}), InvokeOptions::default(), CallOptions::default())).expect("invoke survives revocation");
    revoker.join().expect("revoker");
    assert_eq!(result.status, "completed");
    assert_eq!(stats(&base)["requests"]["token"], json!(2));
}

#[test]
fn errors_are_typed() {
    let base = emulator();
    let client = client(&base, json!({"poll": {"maxPollMs": 800}}));
    let forbidden = block_on(client.get_action("restricted", None)).unwrap_err();
    assert_eq!(forbidden.code(), "forbidden");
    assert_eq!(block_on(client.get_action("no-such-action", None)).unwrap_err().code(), "not_found");
    let failed = block_on(client.invoke("sync-fails", &json!({"customerId": "1"}), InvokeOptions::default(), CallOptions::default())).unwrap_err();
    assert_eq!((failed.code(), failed.upstream_code()), ("execution_failed", Some("DOWNSTREAM_ERROR")));
    let result = block_on(client.invoke("async-fails", &json!({}), InvokeOptions::default(), CallOptions::default())).expect("finished");
    assert_eq!(result.into_completed().unwrap_err().code(), "execution_failed");
    let timeout = block_on(client.invoke("never-finishes", &json!({}), InvokeOptions::default(), CallOptions::default())).unwrap_err();
    assert_eq!(timeout.code(), "timeout");
    assert!(timeout.invoke_id().is_some());
    let bad = client_with_secret(&base, "wrong");
    assert_eq!(block_on(bad.get_action("lookup-customer", None)).unwrap_err().code(), "unauthorized");
}

fn client_with_secret(base: &str, secret: &str) -> Client<UreqTransport, SystemClock> {
    client(base, json!({"clientSecret": secret}))
}

#[test]
fn the_action_list_is_read_page_by_page_over_real_http() {
    use cxone_data_actions::core::action_list::ActionList;
    let base = emulator();
    let client = client(&base, json!({}));
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let ActionList::Page(page) = block_on(client.list_actions(token.as_deref(), 4, None)).expect("list") else {
            panic!("the emulator lists its actions")
        };
        pages += 1;
        ids.extend(page.actions.iter().map(|a| (a.id.clone(), a.mode.clone())));
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 9);
    assert_eq!(ids[0], ("lookup-customer".to_string(), Some("sync".to_string())));
    assert_eq!(stats(&base)["requests"]["list"], 3);
    // A token the upstream never issued is its 400, mapped to an upstream error.
    let error = block_on(client.list_actions(Some("no-such"), 4, None)).expect_err("bad token");
    assert_eq!(error.details().status, Some(400));
}
