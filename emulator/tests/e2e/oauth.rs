use serde_json::Value;

use crate::common::{Emu, EXECUTE, READ};

const GOOD: &str = "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret";

async fn oauth_error(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn token_success_grants_both_scopes_by_default() {
    let emu = Emu::start().await;
    let response = emu.token_response(GOOD).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], format!("{READ} {EXECUTE}"));
    let token = body["access_token"].as_str().expect("token");
    assert!(
        token.len() >= 32,
        "token {token:?} is too short to be random"
    );
    let second = emu.token().await;
    assert_ne!(token, second, "tokens are random per request");
}

#[tokio::test]
async fn granted_scopes_are_the_known_requested_ones() {
    let emu = Emu::start().await;
    for (requested, granted) in [
        ("data-actions%3Aread", READ.to_owned()),
        ("data-actions%3Aexecute+unknown%3Ascope", EXECUTE.to_owned()),
        (
            "data-actions%3Aexecute+data-actions%3Aread",
            format!("{READ} {EXECUTE}"),
        ),
        ("", format!("{READ} {EXECUTE}")),
    ] {
        let response = emu
            .token_response(&format!("{GOOD}&scope={requested}"))
            .await;
        assert_eq!(response.status(), 200, "scope {requested}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["scope"], granted.as_str(), "scope {requested}");
    }
    let (status, body) =
        oauth_error(emu.token_response(&format!("{GOOD}&scope=admin")).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn bad_credentials_are_invalid_client() {
    let emu = Emu::start().await;
    for form in [
        "grant_type=client_credentials&client_id=demo-client&client_secret=wrong",
        "grant_type=client_credentials&client_id=someone&client_secret=demo-secret",
        "grant_type=client_credentials&client_id=demo-client",
        "grant_type=client_credentials",
    ] {
        let (status, body) = oauth_error(emu.token_response(form).await).await;
        assert_eq!(status, 401, "{form}");
        assert_eq!(body["error"], "invalid_client", "{form}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{form}"
        );
        assert!(
            !body.to_string().contains("demo-secret"),
            "the secret is never echoed"
        );
    }
}

#[tokio::test]
async fn wrong_grant_type_is_unsupported() {
    let emu = Emu::start().await;
    let (status, body) = oauth_error(
        emu.token_response("grant_type=password&client_id=demo-client&client_secret=demo-secret")
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn malformed_bodies_are_invalid_request() {
    let emu = Emu::start().await;
    // Missing grant_type, a repeated parameter.
    for form in [
        "client_id=demo-client&client_secret=demo-secret",
        &format!("{GOOD}&grant_type=client_credentials"),
    ] {
        let (status, body) = oauth_error(emu.token_response(form).await).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{form}"
        );
    }
    // JSON instead of a form.
    let response = emu
        .http
        .post(emu.at("/oauth2/token"))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .expect("send");
    let (status, body) = oauth_error(response).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // Not UTF-8.
    let response = emu
        .http
        .post(emu.at("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x80])
        .send()
        .await
        .expect("send");
    let (status, body) = oauth_error(response).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn http_basic_client_authentication_works() {
    let emu = Emu::start().await;
    let response = emu
        .http
        .post(emu.at("/oauth2/token"))
        .basic_auth("demo-client", Some("demo-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=data-actions%3Aread")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["scope"], READ);

    // Repeating the client_id in the body is fine; a second secret is not.
    for (form, status) in [
        ("grant_type=client_credentials&client_id=demo-client", 200),
        (
            "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
            400,
        ),
        ("grant_type=client_credentials&client_id=other", 400),
    ] {
        let response = emu
            .http
            .post(emu.at("/oauth2/token"))
            .basic_auth("demo-client", Some("demo-secret"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), status, "{form}");
    }

    let response = emu
        .http
        .post(emu.at("/oauth2/token"))
        .basic_auth("demo-client", Some("nope"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
}

#[tokio::test]
async fn custom_credentials_and_lifetime_are_used() {
    let emu = Emu::with(cxone_emulator::Config {
        client_id: "acme".into(),
        client_secret: "s3cret".into(),
        knobs: cxone_emulator::Knobs {
            token_lifetime_secs: 90,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    assert_eq!(emu.token_response(GOOD).await.status(), 401);
    let response = emu
        .token_response("grant_type=client_credentials&client_id=acme&client_secret=s3cret")
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["expires_in"], 90);
    emu.configure(serde_json::json!({"tokenLifetimeSecs": 5}))
        .await;
    let response = emu
        .token_response("grant_type=client_credentials&client_id=acme&client_secret=s3cret")
        .await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["expires_in"], 5);
}
