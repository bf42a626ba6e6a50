//! The cxone profile over real HTTP: OIDC discovery, the password and refresh-token grants
//! (rotation, expiry, revocation), the id_token, cxone-configuration, the seed's data-action
//! routes behind the cxone-issued tokens, the counters and the scripted sign-in faults.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use cxone_emulator::{Config, Profile};
use hmac::{Hmac, Mac};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::common::{basic, demo_basic, error_codes, Emu};

const TENANT: &str = cxone_emulator::DEFAULT_TENANT_ID;
const PASSWORD_FORM: &str =
    "grant_type=password&username=demo-access-key-id&password=demo-access-key-secret";

async fn cxone() -> Emu {
    Emu::profile(Profile::Cxone).await
}

async fn discover(emu: &Emu) -> Value {
    let response = emu
        .send(Method::GET, "/.well-known/openid-configuration", None, None)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn token_request(emu: &Emu, authorization: Option<&str>, form: &str) -> Response {
    let endpoint = discover(emu).await["token_endpoint"]
        .as_str()
        .expect("token_endpoint")
        .to_owned();
    emu.post_form(&endpoint, authorization, form).await
}

async fn grant(emu: &Emu, form: &str) -> Value {
    let response = token_request(emu, Some(&demo_basic()), form).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.expect("json")
}

async fn refused(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    assert!(body["error_description"].is_string(), "{body}");
    assert_eq!(body["errorDescription"], body["error_description"]);
    (status, body["error"].as_str().expect("error").to_owned())
}

fn refresh_form(token: &Value) -> String {
    format!(
        "grant_type=refresh_token&refresh_token={}",
        token["refresh_token"].as_str().expect("refresh_token")
    )
}

/// The demo client's refresh with the refresh token of `token` (an earlier grant's answer).
async fn refresh(emu: &Emu, token: &Value) -> Response {
    token_request(emu, Some(&demo_basic()), &refresh_form(token)).await
}

#[tokio::test]
async fn discovery_names_the_emulator_as_issuer() {
    let emu = cxone().await;
    let doc = discover(&emu).await;
    assert_eq!(doc["issuer"], emu.url);
    assert_eq!(doc["token_endpoint"], format!("{}/auth/token", emu.url));
    for field in ["authorization_endpoint", "jwks_uri"] {
        assert!(
            doc[field].as_str().is_some_and(|u| u.starts_with(&emu.url)),
            "{field}"
        );
    }
    let list = |field: &str| -> Vec<String> {
        doc[field]
            .as_array()
            .expect("array")
            .iter()
            .map(|v| v.as_str().expect("str").to_owned())
            .collect()
    };
    assert!(list("grant_types_supported").contains(&"password".to_owned()));
    assert!(list("grant_types_supported").contains(&"refresh_token".to_owned()));
    assert_eq!(
        list("token_endpoint_auth_methods_supported")[0],
        "client_secret_basic"
    );
    let jwks = emu.send(Method::GET, "/auth/jwks", None, None).await;
    assert_eq!(jwks.status(), 200);
}

#[tokio::test]
async fn the_password_grant_answers_tokens_and_an_id_token_with_the_tenant() {
    let emu = cxone().await;
    let token = grant(&emu, PASSWORD_FORM).await;
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 3600);
    assert!(token["access_token"]
        .as_str()
        .is_some_and(|t| t.len() >= 32));
    assert!(token["refresh_token"]
        .as_str()
        .is_some_and(|t| t.len() >= 32));
    assert!(
        token.get("refresh_token_expires_in").is_none(),
        "CXone does not say"
    );
    assert!(token["scope"]
        .as_str()
        .is_some_and(|s| s.contains("openid")));
    let id_token = token["id_token"].as_str().expect("id_token");
    let parts: Vec<&str> = id_token.split('.').collect();
    assert_eq!(parts.len(), 3, "header.payload.signature");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64url")).expect("json");
    assert_eq!(header["alg"], "HS256");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64url")).expect("json");
    assert_eq!(claims["tenantId"], TENANT);
    assert_eq!(claims["iss"], emu.url);
    assert_eq!(claims["aud"], "demo-client");
    assert!(claims["sub"].is_string());
    let (iat, exp) = (
        claims["iat"].as_u64().expect("iat"),
        claims["exp"].as_u64().expect("exp"),
    );
    assert_eq!(exp - iat, 3600);
    // The signature is HMAC-SHA256 over header.payload, keyed with the client secret.
    let mut mac = Hmac::<Sha256>::new_from_slice(b"demo-secret").expect("key");
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    assert_eq!(
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()),
        parts[2]
    );

    // client_secret_post works too.
    let response = token_request(
        &emu,
        None,
        &format!("{PASSWORD_FORM}&client_id=demo-client&client_secret=demo-secret"),
    )
    .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn bad_sign_ins_are_refused() {
    let emu = cxone().await;
    let good = demo_basic();
    for (authorization, form, status, error) in [
        (
            Some(good.clone()),
            "grant_type=password&username=demo-access-key-id&password=wrong".to_owned(),
            400,
            "invalid_grant",
        ),
        (
            Some(good.clone()),
            "grant_type=password&username=someone&password=demo-access-key-secret".to_owned(),
            400,
            "invalid_grant",
        ),
        (
            Some(good.clone()),
            "grant_type=password&username=demo-access-key-id".to_owned(),
            400,
            "invalid_request",
        ),
        (
            Some(basic("demo-client", "wrong")),
            PASSWORD_FORM.to_owned(),
            401,
            "invalid_client",
        ),
        (None, PASSWORD_FORM.to_owned(), 401, "invalid_client"),
        (
            Some(good.clone()),
            "grant_type=client_credentials".to_owned(),
            400,
            "unsupported_grant_type",
        ),
        (
            Some(good.clone()),
            "grant_type=refresh_token&refresh_token=never-issued".to_owned(),
            400,
            "invalid_grant",
        ),
    ] {
        let response = token_request(&emu, authorization.as_deref(), &form).await;
        let body_status = refused(response).await;
        assert_eq!(body_status, (status, error.to_owned()), "{form}");
    }
    // The seed's token endpoint is not there.
    let response = emu
        .token_response(
            "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
        )
        .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_are_good_once() {
    let emu = cxone().await;
    let first = grant(&emu, PASSWORD_FORM).await;
    let second = grant(&emu, &refresh_form(&first)).await;
    assert_ne!(second["refresh_token"], first["refresh_token"], "rotated");
    assert_ne!(second["access_token"], first["access_token"]);
    assert!(second["id_token"].is_string());
    // The used one is refused; the new one works once.
    let used = refresh(&emu, &first).await;
    assert_eq!(refused(used).await, (400, "invalid_grant".to_owned()));
    // A refresh may name only its client, as CXone's API reference shows.
    let response = token_request(
        &emu,
        None,
        &format!("{}&client_id=demo-client", refresh_form(&second)),
    )
    .await;
    assert_eq!(response.status(), 200);
    let third: Value = response.json().await.expect("json");
    // A revoked refresh token is refused.
    let revoked = emu
        .control(Method::POST, "/_emulator/revoke-refresh-tokens")
        .await;
    assert_eq!(revoked["revoked"], 1);
    let response = refresh(&emu, &third).await;
    assert_eq!(refused(response).await, (400, "invalid_grant".to_owned()));
    let stats = emu.stats().await;
    assert_eq!(stats["signin"]["password"], 1);
    assert_eq!(stats["signin"]["refresh"], 4);
    assert_eq!(stats["requests"]["token"], 5);
    // ... but a password grant may not.
    let response = token_request(
        &emu,
        None,
        &format!("{PASSWORD_FORM}&client_id=demo-client"),
    )
    .await;
    assert_eq!(refused(response).await, (401, "invalid_client".to_owned()));
    let response = token_request(
        &emu,
        None,
        &format!("{}&client_id=someone", refresh_form(&first)),
    )
    .await;
    assert_eq!(refused(response).await, (401, "invalid_client".to_owned()));
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused() {
    let emu = Emu::with(Config {
        profile: Profile::Cxone,
        refresh_token_lifetime_secs: 1,
        ..Config::default()
    })
    .await;
    let token = grant(&emu, PASSWORD_FORM).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = refresh(&emu, &token).await;
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"]
        .as_str()
        .is_some_and(|d| d.contains("expired")));
}

#[tokio::test]
async fn cxone_configuration_names_the_api_endpoint() {
    let emu = cxone().await;
    let response = emu
        .send(
            Method::GET,
            &format!("/.well-known/cxone-configuration?tenantId={TENANT}"),
            None,
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["api_endpoint"], emu.url);
    assert_eq!(body["tenantId"], TENANT);
    assert_eq!(body["private"], false);
    for field in [
        "area",
        "cluster",
        "domain",
        "acdDomain",
        "uhDomain",
        "globaldomain",
        "ui_endpoint",
        "auth_endpoint",
    ] {
        assert!(body[field].is_string(), "{field}");
    }
    let unknown = emu
        .send(
            Method::GET,
            "/.well-known/cxone-configuration?tenantId=other",
            None,
            None,
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let missing = emu
        .send(Method::GET, "/.well-known/cxone-configuration", None, None)
        .await;
    assert_eq!(missing.status(), 400);
    assert_eq!(emu.stats().await["signin"]["configuration"], 3);

    let elsewhere = Emu::with(Config {
        profile: Profile::Cxone,
        api_base: Some("http://127.0.0.1:1/".to_owned()),
        tenant_id: "t-7".to_owned(),
        ..Config::default()
    })
    .await;
    let body: Value = elsewhere
        .send(
            Method::GET,
            "/.well-known/cxone-configuration?tenantId=t-7",
            None,
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["api_endpoint"], "http://127.0.0.1:1");
}

#[tokio::test]
async fn the_data_action_routes_take_only_cxone_tokens() {
    let emu = cxone().await;
    let token = grant(&emu, PASSWORD_FORM).await;
    let access = token["access_token"].as_str().expect("access");
    let response = emu
        .invoke(
            "lookup-customer",
            access,
            json!({"inputs": {"customerId": "C1"}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["outputs"]["name"], "Customer C1");
    let listed = emu
        .send(Method::GET, "/api/v2/data-actions", Some(access), None)
        .await;
    assert_eq!(listed.status(), 200);
    let response = emu.definition("lookup-customer", "made-up").await;
    assert_eq!(response.status(), 401);
    assert_eq!(error_codes(response).await, ["UNAUTHORIZED"]);
    // A revoked access token is refused; the refresh token still signs in again.
    emu.control(Method::POST, "/_emulator/revoke-tokens").await;
    assert_eq!(
        emu.definition("lookup-customer", access).await.status(),
        401
    );
    let renewed = grant(&emu, &refresh_form(&token)).await;
    let access = renewed["access_token"].as_str().expect("access");
    assert_eq!(
        emu.definition("lookup-customer", access).await.status(),
        200
    );
}

#[tokio::test]
async fn counters_and_reset_cover_the_sign_in() {
    let emu = cxone().await;
    discover(&emu).await; // and one more inside grant()
    let token = grant(&emu, PASSWORD_FORM).await;
    emu.send(
        Method::GET,
        &format!("/.well-known/cxone-configuration?tenantId={TENANT}"),
        None,
        None,
    )
    .await;
    let stats = emu.stats().await;
    assert_eq!(
        stats["signin"],
        json!({"discovery": 2, "password": 1, "refresh": 0, "configuration": 1})
    );
    emu.control(Method::POST, "/_emulator/reset").await;
    let stats = emu.stats().await;
    assert_eq!(
        stats["signin"],
        json!({"discovery": 0, "password": 0, "refresh": 0, "configuration": 0})
    );
    let response = refresh(&emu, &token).await;
    assert_eq!(
        refused(response).await,
        (400, "invalid_grant".to_owned()),
        "a reset forgets refresh tokens"
    );
}

#[tokio::test]
async fn scripted_sign_in_faults_and_latency() {
    let emu = cxone().await;
    let set = emu
        .set_config_at(
            "/_emulator/signin-faults",
            json!({"failNext": 2, "status": 503}),
        )
        .await;
    assert_eq!(set.status(), 200);
    let good = demo_basic();
    for _ in 0..2 {
        let response = token_request(&emu, Some(&good), PASSWORD_FORM).await;
        assert_eq!(response.status(), 503);
    }
    assert_eq!(
        token_request(&emu, Some(&good), PASSWORD_FORM)
            .await
            .status(),
        200
    );

    emu.configure(json!({"retryAfterSecs": 4})).await;
    emu.set_config_at(
        "/_emulator/signin-faults",
        json!({"failNext": 1, "status": 429, "endpoint": "discovery"}),
    )
    .await;
    let response = emu
        .send(Method::GET, "/.well-known/openid-configuration", None, None)
        .await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "4");
    assert_eq!(discover(&emu).await["issuer"], emu.url);
    let bad = emu
        .set_config_at(
            "/_emulator/signin-faults",
            json!({"failNext": 1, "status": 404}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    let bad = emu
        .set_config_at("/_emulator/signin-faults", json!({"failNext": -1}))
        .await;
    assert_eq!(bad.status(), 400);

    // Random 429/503 knobs leave the sign-in alone, as they leave the seed's token endpoint.
    emu.configure(json!({"rate503": 1.0, "latencyMs": 120}))
        .await;
    let started = Instant::now();
    assert_eq!(
        token_request(&emu, Some(&good), PASSWORD_FORM)
            .await
            .status(),
        200
    );
    assert!(
        started.elapsed() >= Duration::from_millis(240),
        "discovery and token are delayed"
    );
}

#[tokio::test]
async fn listening_everywhere_names_a_loopback_issuer() {
    let emu = Emu::with(Config {
        profile: Profile::Cxone,
        host: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        ..Config::default()
    })
    .await;
    assert!(emu.url.starts_with("http://0.0.0.0:"), "{}", emu.url);
    let port = emu.url.rsplit(':').next().expect("port");
    let doc = discover(&emu).await;
    assert_eq!(doc["issuer"], format!("http://127.0.0.1:{port}"));

    let too_long = cxone_emulator::start(Config {
        profile: Profile::Cxone,
        port: 0,
        refresh_token_lifetime_secs: cxone_emulator::MAX_REFRESH_TOKEN_LIFETIME_SECS + 1,
        ..Config::default()
    })
    .await;
    assert!(matches!(
        too_long,
        Err(cxone_emulator::StartError::RefreshTokenLifetime)
    ));
}
