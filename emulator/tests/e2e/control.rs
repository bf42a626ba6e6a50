use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{Emu, Receiver, EXECUTE};

#[tokio::test]
async fn stats_count_every_request_by_route() {
    let emu = Emu::start().await;
    let zero = emu.stats().await;
    assert_eq!(
        zero["requests"],
        json!({"token": 0, "list": 0, "definition": 0, "invoke": 0, "poll": 0, "cancel": 0})
    );

    let token = emu.token().await;
    let execute_only = emu.token_with(Some(EXECUTE)).await;
    emu.token_response("grant_type=client_credentials&client_id=x&client_secret=y")
        .await; // 401, counted
    emu.definition("lookup-customer", &token).await;
    emu.definition("lookup-customer", &execute_only).await; // 403
    emu.definition("nope", &token).await; // 404
    emu.invoke(
        "lookup-customer",
        &token,
        json!({"inputs": {"customerId": "C"}}),
    )
    .await;
    emu.invoke("lookup-customer", &token, json!({"inputs": {}}))
        .await; // 422
    emu.invoke("lookup-customer", "bad", json!({"inputs": {}}))
        .await; // 401
    let invoke_id = emu
        .start_async("never-finishes", &token, json!({"inputs": {}}))
        .await;
    emu.poll("never-finishes", &invoke_id, &token).await;
    emu.poll("never-finishes", "inv_missing", &token).await; // 404
    emu.cancel("never-finishes", &invoke_id, &token).await;
    emu.cancel("never-finishes", &invoke_id, &token).await; // 409

    let stats = emu.stats().await;
    assert_eq!(
        stats["requests"],
        json!({"token": 3, "list": 0, "definition": 3, "invoke": 4, "poll": 2, "cancel": 2})
    );
    assert_eq!(
        stats["byAction"]["lookup-customer"],
        json!({"definition": 2, "invoke": 3, "poll": 0, "cancel": 0})
    );
    assert_eq!(
        stats["byAction"]["never-finishes"],
        json!({"definition": 0, "invoke": 1, "poll": 2, "cancel": 2})
    );
    assert_eq!(
        stats["byAction"]["export-report"],
        json!({"definition": 0, "invoke": 0, "poll": 0, "cancel": 0})
    );
    assert!(
        stats["byAction"].get("nope").is_none(),
        "only catalogue ids are listed"
    );
    assert_eq!(stats["faults"], json!({"429": 0, "503": 0}));
}

#[tokio::test]
async fn reset_returns_to_the_start_state() {
    let emu = Emu::with(cxone_emulator::Config {
        knobs: cxone_emulator::Knobs {
            retry_after_secs: 4,
            rate_limited_first: 1,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    let body = json!({"inputs": {"customerId": "C"}});
    assert_eq!(
        emu.invoke("rate-limited", &token, body.clone())
            .await
            .status(),
        429
    );
    assert_eq!(
        emu.invoke("rate-limited", &token, body.clone())
            .await
            .status(),
        200
    );
    emu.configure(json!({"latencyMs": 20, "callbackDrop": true, "retryAfterSecs": 9}))
        .await;
    let invoke_id = emu
        .start_async(
            "never-finishes",
            &token,
            json!({"inputs": {}, "callbackUrl": receiver.url}),
        )
        .await;

    let answer = emu.control(Method::POST, "/_emulator/reset").await;
    assert_eq!(answer["reset"], true);

    let config = emu.control(Method::GET, "/_emulator/config").await;
    assert_eq!(config["latencyMs"], 0);
    assert_eq!(config["callbackDrop"], false);
    assert_eq!(
        config["retryAfterSecs"], 4,
        "back to the start configuration, not the defaults"
    );
    let stats = emu.stats().await;
    assert_eq!(
        stats["requests"],
        json!({"token": 0, "list": 0, "definition": 0, "invoke": 0, "poll": 0, "cancel": 0})
    );
    assert_eq!(stats["byAction"]["rate-limited"]["invoke"], 0);
    // Tokens and invocations are forgotten.
    assert_eq!(
        emu.definition("lookup-customer", &token).await.status(),
        401
    );
    let token = emu.token().await;
    assert_eq!(
        emu.poll("never-finishes", &invoke_id, &token)
            .await
            .status(),
        404
    );
    let response = emu
        .send(
            Method::GET,
            &format!("/_emulator/invocations/{invoke_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(response.status(), 404);
    // The rate-limited count restarts.
    assert_eq!(
        emu.invoke("rate-limited", &token, body.clone())
            .await
            .status(),
        429
    );
    assert_eq!(emu.invoke("rate-limited", &token, body).await.status(), 200);
    // No callback from the forgotten invocation.
    assert!(receiver.next(Duration::from_millis(200)).await.is_none());
}

#[tokio::test]
async fn invocation_view_shows_the_emulators_side() {
    let emu = Emu::start().await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    let invoke_id = emu
        .start_async(
            "export-report",
            &token,
            json!({"inputs": {"reportName": "r", "durationMs": 100}, "context": {"contactId": "42"}, "callbackUrl": receiver.url}),
        )
        .await;
    let view = emu.view(&invoke_id).await;
    assert_eq!(view["invokeId"], invoke_id.as_str());
    assert_eq!(view["actionId"], "export-report");
    assert_eq!(view["mode"], "async");
    assert_eq!(view["durationMs"], 100);
    assert_eq!(view["context"], json!({"contactId": "42"}));
    assert_eq!(view["callbackUrl"], receiver.url.as_str());
    assert_eq!(view["callback"]["webhookId"], format!("msg_{invoke_id}"));
    assert_eq!(view["callback"]["state"], "waiting");
    receiver.expect().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let view = emu.view(&invoke_id).await;
    assert_eq!(view["status"], "completed");
    assert_eq!(view["callback"]["state"], "delivered");
    let attempts = view["callback"]["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["attempt"], 1);
    assert_eq!(attempts[0]["duplicate"], false);
    assert!(
        attempts[0]["webhookTimestamp"].is_null(),
        "unsigned: no timestamp header"
    );

    let response = emu
        .send(
            Method::GET,
            "/_emulator/invocations/inv_unknown",
            None,
            None,
        )
        .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn healthz_and_catalogue() {
    let emu = Emu::start().await;
    let response = emu.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("text"), "ok");
    let catalogue = emu.control(Method::GET, "/_emulator/catalogue").await;
    let ids: Vec<&str> = catalogue["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a["definition"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 9);
    assert!(ids.contains(&"restricted"));
}

#[tokio::test]
async fn custom_catalogue_actions_follow_their_script() {
    let file = r#"{"actions":[
        {"id":"slow-sync","mode":"sync","inputs":[{"name":"n","type":"integer","required":true}],
         "outputs":[{"name":"ok","type":"boolean"}],"script":{"durationMs":200,"outputs":{"ok":true}}},
        {"id":"custom-fail","mode":"async","script":{"durationMs":50,"outcome":"failed",
         "errors":[{"code":"CUSTOM","message":"boom"}]}}
    ]}"#;
    let catalogue = cxone_emulator::Catalogue::builtin()
        .extend_from_json(file)
        .expect("valid catalogue");
    let emu = Emu::with(cxone_emulator::Config {
        catalogue,
        ..Default::default()
    })
    .await;
    let token = emu.token().await;
    let started = std::time::Instant::now();
    let response = emu
        .invoke("slow-sync", &token, json!({"inputs": {"n": 1}}))
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "sync durationMs delays the answer"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["outputs"], json!({"ok": true}));
    let invoke_id = emu.start_async("custom-fail", &token, json!({})).await;
    let done = emu.wait_terminal("custom-fail", &invoke_id, &token).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(
        done["errors"],
        json!([{"code": "CUSTOM", "message": "boom"}])
    );
    // The built-ins are still there.
    assert_eq!(
        emu.definition("lookup-customer", &token).await.status(),
        200
    );
}

#[tokio::test]
async fn invocations_are_listed_oldest_first_with_their_inputs() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    assert_eq!(
        emu.control(Method::GET, "/_emulator/invocations").await,
        json!({"count": 0, "invocations": []})
    );
    let sync: Value = emu
        .invoke(
            "lookup-customer",
            &token,
            json!({"inputs": {"customerId": "L-1"}}),
        )
        .await
        .json()
        .await
        .expect("json");
    let running = emu
        .start_async(
            "never-finishes",
            &token,
            json!({"inputs": {"reportName": "L-2"}, "context": {"who": "t"}}),
        )
        .await;
    // Refused invokes (422) are not invocations.
    emu.invoke("lookup-customer", &token, json!({"inputs": {}}))
        .await;
    let list = emu.control(Method::GET, "/_emulator/invocations").await;
    assert_eq!(list["count"], 2);
    let entries = list["invocations"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries[0]["invokeId"], sync["invokeId"]);
    assert_eq!(entries[0]["actionId"], "lookup-customer");
    assert_eq!(entries[0]["status"], "completed");
    assert_eq!(entries[0]["inputs"], json!({"customerId": "L-1"}));
    assert_eq!(entries[0]["outputs"], sync["outputs"]);
    assert_eq!(entries[1]["invokeId"], running.as_str());
    assert!(
        ["queued", "running"].contains(&entries[1]["status"].as_str().unwrap_or("")),
        "{}",
        entries[1]
    );
    assert_eq!(entries[1]["mode"], "async");
    assert_eq!(entries[1]["context"], json!({"who": "t"}));
    assert_eq!(entries[1]["outputs"], Value::Null);

    emu.control(Method::POST, "/_emulator/reset").await;
    assert_eq!(
        emu.control(Method::GET, "/_emulator/invocations").await["count"],
        0
    );
}
