use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{error_codes, Emu, EXECUTE, READ};

async fn expect_401(response: reqwest::Response, message_part: &str) {
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "UNAUTHORIZED");
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains(message_part),
        "{message:?} should mention {message_part:?}"
    );
}

#[tokio::test]
async fn api_routes_need_a_bearer_token() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let invoke_id = {
        let response = emu
            .invoke(
                "lookup-customer",
                &token,
                json!({"inputs": {"customerId": "C1"}}),
            )
            .await;
        let body: Value = response.json().await.expect("json");
        body["invokeId"].as_str().expect("id").to_owned()
    };
    let routes = [
        (
            Method::GET,
            "/api/v2/data-actions/lookup-customer".to_owned(),
        ),
        (
            Method::POST,
            "/api/v2/data-actions/lookup-customer/invoke".to_owned(),
        ),
        (
            Method::GET,
            format!("/api/v2/data-actions/lookup-customer/invoke/{invoke_id}"),
        ),
        (
            Method::DELETE,
            format!("/api/v2/data-actions/lookup-customer/invoke/{invoke_id}"),
        ),
    ];
    for (method, path) in routes {
        let body = json!({"inputs": {"customerId": "C1"}});
        expect_401(
            emu.send(method.clone(), &path, None, Some(&body)).await,
            "missing",
        )
        .await;
        expect_401(
            emu.send(method.clone(), &path, Some("not-a-token"), Some(&body))
                .await,
            "unknown",
        )
        .await;
        let response = emu
            .http
            .request(method, emu.at(&path))
            .header("authorization", format!("Basic {token}"))
            .send()
            .await;
        expect_401(response.expect("send"), "Bearer").await;
    }
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let emu = Emu::with(cxone_emulator::Config {
        knobs: cxone_emulator::Knobs {
            token_lifetime_secs: 1,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let token = emu.token().await;
    assert_eq!(
        emu.definition("lookup-customer", &token).await.status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    expect_401(emu.definition("lookup-customer", &token).await, "expired").await;
    // A fresh token works again.
    let fresh = emu.token().await;
    assert_eq!(
        emu.definition("lookup-customer", &fresh).await.status(),
        200
    );
}

#[tokio::test]
async fn revoked_tokens_are_refused() {
    let emu = Emu::start().await;
    let old = emu.token().await;
    let other = emu.token().await;
    assert_eq!(emu.definition("lookup-customer", &old).await.status(), 200);
    let answer = emu.control(Method::POST, "/_emulator/revoke-tokens").await;
    assert_eq!(answer["revoked"], 2);
    expect_401(emu.definition("lookup-customer", &old).await, "revoked").await;
    expect_401(
        emu.invoke(
            "lookup-customer",
            &other,
            json!({"inputs": {"customerId": "C"}}),
        )
        .await,
        "revoked",
    )
    .await;
    let new = emu.token().await;
    assert_eq!(emu.definition("lookup-customer", &new).await.status(), 200);
}

#[tokio::test]
async fn scopes_are_enforced_per_route() {
    let emu = Emu::start().await;
    let read_only = emu.token_with(Some(READ)).await;
    let execute_only = emu.token_with(Some(EXECUTE)).await;

    let response = emu
        .invoke(
            "lookup-customer",
            &read_only,
            json!({"inputs": {"customerId": "C"}}),
        )
        .await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"errors": [{"code": "MISSING_SCOPE", "message": "token lacks scope data-actions:execute"}]})
    );

    let response = emu.definition("lookup-customer", &execute_only).await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"errors": [{"code": "MISSING_SCOPE", "message": "token lacks scope data-actions:read"}]})
    );

    assert_eq!(
        emu.definition("lookup-customer", &read_only).await.status(),
        200
    );
    let invoke_id = emu
        .start_async("never-finishes", &execute_only, json!({"inputs": {}}))
        .await;
    // Polling works with either scope; cancelling needs execute.
    assert_eq!(
        emu.poll("never-finishes", &invoke_id, &execute_only)
            .await
            .status(),
        200
    );
    assert_eq!(
        emu.poll("never-finishes", &invoke_id, &read_only)
            .await
            .status(),
        200
    );
    let response = emu.cancel("never-finishes", &invoke_id, &read_only).await;
    assert_eq!(response.status(), 403);
    assert_eq!(error_codes(response).await, ["MISSING_SCOPE"]);
    assert_eq!(
        emu.cancel("never-finishes", &invoke_id, &execute_only)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn restricted_action_is_forbidden() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    for response in [
        emu.definition("restricted", &token).await,
        emu.invoke("restricted", &token, json!({"inputs": {"customerId": "C"}}))
            .await,
    ] {
        assert_eq!(response.status(), 403);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["errors"][0]["code"], "FORBIDDEN");
        assert!(body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("DataActionsAdmin"));
    }
}
