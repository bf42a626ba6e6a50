//! The fetch transport, the JS runtime and the driver in wasm (Node), against the real emulator.
//!
//! Run (scripts/test-pkg.sh does this with an emulator it started):
//! `EMULATOR_URL=http://127.0.0.1:PORT CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!  cargo test --target wasm32-unknown-unknown --features js --test wasm_fetch`
//!
//! The emulator's URL is read at compile time; without it every test fails (there is no skip).
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;

use cxone_data_actions::core::{ClientConfig, HttpRequest, HttpResponse, Method, RequestPurpose, TransportFailureKind};
use cxone_data_actions::core::http::READ_RESPONSE_HEADERS;
use cxone_data_actions::core::invocation::{InvokeOptions, StatusEvent};
use cxone_data_actions::driver::{CallOptions, CancelSignal, Client, Runtime};
use cxone_data_actions::transport::fetch::FetchTransport;
use cxone_data_actions::transport::js_runtime::{random_seed, sleep, AbortSignalHandle, JsRuntime};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn emulator() -> &'static str {
    match option_env!("EMULATOR_URL") {
        Some(url) if !url.is_empty() => url.trim_end_matches('/'),
        _ => panic!(
            "EMULATOR_URL was not set when these tests were compiled: start `cxone-emulator --port 0` and \
             build with EMULATOR_URL=http://127.0.0.1:PORT (scripts/test-pkg.sh does both)"
        ),
    }
}

fn request(method: Method, path: &str, body: Option<&[u8]>, timeout_ms: u64) -> HttpRequest {
    HttpRequest {
        purpose: RequestPurpose::Definition,
        method,
        url: format!("{}{path}", emulator()),
        headers: vec![("accept".into(), "application/json".into())],
        body: body.map(<[u8]>::to_vec),
        timeout_ms,
        needs_auth: false,
    }
}

async fn send(request: HttpRequest) -> HttpResponse {
    match FetchTransport::new().send_request(request, None).await {
        Ok(response) => response,
        Err(failure) => panic!("transport failure: {failure:?}"),
    }
}

async fn control(path: &str, body: Value) {
    let mut req = request(Method::Post, path, Some(body.to_string().as_bytes()), 5_000);
    req.set_header("content-type", "application/json");
    let response = send(req).await;
    assert_eq!(response.status, 200, "{path}: {}", String::from_utf8_lossy(&response.body));
}

fn json_body(response: &HttpResponse) -> Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&response.body)))
}

fn abort_controller() -> web_sys::AbortController {
    web_sys::AbortController::new().expect("AbortController")
}

fn config() -> ClientConfig {
    let json = json!({
        "baseUrl": emulator(),
        "clientId": "demo-client",
        "clientSecret": "demo-secret",
        "poll": {"initialDelayMs": 150, "maxIntervalMs": 300, "minIntervalMs": 50},
    });
    ClientConfig::from_json(&json.to_string()).expect("config")
}

#[wasm_bindgen_test]
async fn sends_method_headers_and_body_and_reads_status_headers_and_body() {
    control("/_emulator/reset", json!({})).await;
    let mut token = request(
        Method::Post,
        "/oauth2/token",
        Some(b"grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret"),
        5_000,
    );
    token.set_header("content-type", "application/x-www-form-urlencoded");
    let response = send(token).await;
    assert_eq!(response.status, 200);
    assert!(
        response.headers.iter().all(|(name, _)| READ_RESPONSE_HEADERS.contains(&name.as_str())),
        "only the headers the client reads are handed over: {:?}",
        response.headers
    );
    let body = json_body(&response);
    let access_token = body["access_token"].as_str().expect("access_token").to_string();

    let unauthorized = send(request(Method::Get, "/api/v2/data-actions/lookup-customer", None, 5_000)).await;
    assert_eq!(unauthorized.status, 401);

    let mut authorized = request(Method::Get, "/api/v2/data-actions/lookup-customer", None, 5_000);
    authorized.authorize(&access_token);
    let definition = send(authorized).await;
    assert_eq!(definition.status, 200);
    assert_eq!(json_body(&definition)["id"], "lookup-customer");
    assert!(definition.header("etag").is_some(), "{:?}", definition.headers);
}

#[wasm_bindgen_test]
async fn failures_map_to_timeout_network_and_aborted() {
    control("/_emulator/config", json!({"latencyMs": 1500})).await;

    let started = js_sys::Date::now();
    // The latency knob delays the API and token routes (not /healthz).
    let slow = |timeout_ms| request(Method::Post, "/oauth2/token", Some(b"grant_type=client_credentials"), timeout_ms);
    let timeout = FetchTransport::new().send_request(slow(150), None).await;
    let elapsed = js_sys::Date::now() - started;
    let failure = timeout.expect_err("a 1.5 s answer within 150 ms");
    assert_eq!(failure.kind, TransportFailureKind::Timeout, "{failure:?}");
    assert!(failure.message.contains("150 ms"), "{}", failure.message);
    assert!(elapsed < 1_000.0, "gave up after {elapsed} ms");

    let controller = abort_controller();
    let signal = AbortSignalHandle::from_js(controller.signal().into()).expect("signal");
    let abort_later = {
        let controller = controller.clone();
        wasm_bindgen::closure::Closure::once_into_js(move || controller.abort())
    };
    let global = js_sys::global();
    let set_timeout: js_sys::Function = js_sys::Reflect::get(&global, &"setTimeout".into()).expect("setTimeout").into();
    set_timeout.call2(&global, &abort_later, &JsValue::from(100)).expect("setTimeout call");
    let started = js_sys::Date::now();
    let aborted = FetchTransport::new().send_request(slow(10_000), Some(&signal)).await;
    let elapsed = js_sys::Date::now() - started;
    assert_eq!(aborted.expect_err("aborted").kind, TransportFailureKind::Aborted);
    assert!(elapsed < 1_000.0, "settled after {elapsed} ms");

    let already = FetchTransport::new().send_request(slow(10_000), Some(&signal)).await;
    assert_eq!(already.expect_err("pre-aborted").kind, TransportFailureKind::Aborted);

    control("/_emulator/config", json!({"latencyMs": 0})).await;

    let mut nowhere = request(Method::Get, "/", None, 5_000);
    nowhere.url = "http://nonexistent.invalid/".into();
    let network = FetchTransport::new().send_request(nowhere, None).await.expect_err("no such host");
    assert_eq!(network.kind, TransportFailureKind::Network, "{network:?}");
}

#[wasm_bindgen_test]
async fn failure_messages_carry_no_secrets() {
    let mut token = request(Method::Post, "/oauth2/token?x=1", Some(b"client_secret=hunter2-secret"), 5_000);
    token.url = "http://nonexistent.invalid/oauth2/token?code=abc".into();
    token.authorize("bearer-token-xyz");
    let failure = FetchTransport::new().send_request(token, None).await.expect_err("no such host");
    for secret in ["hunter2", "bearer-token-xyz", "code=abc"] {
        assert!(!failure.message.contains(secret), "{}", failure.message);
    }
}

#[wasm_bindgen_test]
async fn a_supplied_fetch_function_is_used() {
    let calls = js_sys::Array::new();
    let recorder = js_sys::Function::new_with_args(
        "url, init",
        "globalThis.__calls.push(init.method + ' ' + url); return fetch(url, init);",
    );
    js_sys::Reflect::set(&js_sys::global(), &"__calls".into(), &calls).expect("set");
    let response = FetchTransport::with_fetch(recorder).send_request(request(Method::Get, "/healthz", None, 5_000), None).await;
    assert_eq!(response.expect("healthz").status, 200);
    assert_eq!(calls.length(), 1);
    assert_eq!(calls.get(0).as_string().unwrap_or_default(), format!("GET {}/healthz", emulator()));
}

#[wasm_bindgen_test]
async fn the_runtime_sleeps_wakes_on_abort_and_seeds() {
    let runtime = JsRuntime::new();
    let now = runtime.now_ms() as f64;
    assert!((now - js_sys::Date::now()).abs() < 1_000.0);

    let started = js_sys::Date::now();
    runtime.sleep(60, None).await;
    assert!(js_sys::Date::now() - started >= 55.0);

    let controller = abort_controller();
    let signal = AbortSignalHandle::from_js(controller.signal().into()).expect("signal");
    assert!(!signal.is_cancelled());
    let abort_later = {
        let controller = controller.clone();
        wasm_bindgen::closure::Closure::once_into_js(move || controller.abort())
    };
    let global = js_sys::global();
    let set_timeout: js_sys::Function = js_sys::Reflect::get(&global, &"setTimeout".into()).expect("setTimeout").into();
    set_timeout.call2(&global, &abort_later, &JsValue::from(50)).expect("setTimeout call");
    let started = js_sys::Date::now();
    sleep(10_000, Some(&signal)).await;
    assert!(js_sys::Date::now() - started < 1_000.0, "the abort cut the sleep short");
    assert!(signal.is_cancelled());

    assert_ne!(random_seed(), random_seed());
    assert!(AbortSignalHandle::from_js(JsValue::UNDEFINED).is_none());
}

#[wasm_bindgen_test]
async fn the_driver_invokes_sync_and_async_actions_over_fetch() {
    control("/_emulator/reset", json!({})).await;
    let client = Client::new(config(), FetchTransport::new(), JsRuntime::new(), random_seed());

    let sync = client
        .invoke("lookup-customer", &json!({"customerId": "W-1"}), InvokeOptions::default(), CallOptions::default())
        .await
        .expect("sync invoke");
    assert_eq!(sync.status, "completed");
    assert_eq!(sync.outputs["customerId"], "W-1");
    assert!(sync.invoke_id.is_some());

    let events: RefCell<Vec<String>> = RefCell::default();
    let report = |event: &StatusEvent| events.borrow_mut().push(event.status.clone());
    let call = CallOptions { signal: None, on_status: Some(&report) };
    let done = client
        .invoke("export-report", &json!({"reportName": "wasm", "durationMs": 500}), InvokeOptions::default(), call)
        .await
        .expect("async invoke");
    assert_eq!(done.status, "completed");
    assert!(done.polls >= 2, "polls: {}", done.polls);
    assert_eq!(*events.borrow(), vec!["queued", "running", "completed"]);

    let stats = send(request(Method::Get, "/_emulator/stats", None, 5_000)).await;
    let requests = &json_body(&stats)["requests"];
    assert_eq!(requests["token"], 1, "{requests}");
    assert_eq!(requests["invoke"], 2, "{requests}");
    assert_eq!(requests["poll"], u64::from(done.polls), "{requests}");
}

#[wasm_bindgen_test]
async fn the_driver_cancels_polling_when_the_signal_fires() {
    let client = Client::new(config(), FetchTransport::new(), JsRuntime::new(), random_seed());
    let controller = abort_controller();
    let signal = AbortSignalHandle::from_js(controller.signal().into()).expect("signal");
    let abort_later = {
        let controller = controller.clone();
        wasm_bindgen::closure::Closure::once_into_js(move || controller.abort())
    };
    let global = js_sys::global();
    let set_timeout: js_sys::Function = js_sys::Reflect::get(&global, &"setTimeout".into()).expect("setTimeout").into();
    set_timeout.call2(&global, &abort_later, &JsValue::from(400)).expect("setTimeout call");
    let call = CallOptions { signal: Some(&signal), on_status: None };
    let error = client
        .invoke("never-finishes", &json!({}), InvokeOptions::default(), call)
        .await
        .expect_err("cancelled");
    assert_eq!(error.code(), "cancelled");
    assert!(error.invoke_id().is_some());
}
