//! The cxone sign-in over real HTTP against the real emulator playing `--profile cxone`, run by
//! the driver's own loop (`Client::run`, as any operation): discovery, the password grant, the
//! id_token's tenant, cxone-configuration, then the refresh grant with rotation, the fallback
//! after a refused refresh token, typed errors and scripted faults. The token it ends with is
//! the one the seed's data-action routes accept.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use cxone_data_actions::core::cxone_signin::{CxoneSession, CxoneSettings, CxoneSettingsInput, CxoneSignIn};
use cxone_data_actions::core::{ClientConfig, DataActionsError};
use cxone_data_actions::driver::{CallOptions, Client};
use futures::executor::block_on;
use serde_json::{json, Value};
use support::native::{start_emulator, SystemClock, UreqTransport};

/// An emulator playing the cxone profile.
fn emulator() -> String {
    start_emulator(cxone_emulator::Profile::Cxone)
}

fn settings(issuer: &str, access_key_secret: &str) -> CxoneSettings {
    CxoneSettings::from_input(CxoneSettingsInput {
        issuer: Some(issuer.to_string()),
        client_id: Some("demo-client".into()),
        client_secret: Some("demo-secret".into()),
        access_key_id: Some(cxone_emulator::DEFAULT_ACCESS_KEY_ID.into()),
        access_key_secret: Some(access_key_secret.into()),
        timeout_ms: Some(5_000),
    })
    .expect("settings")
}

/// A driver client (only its loop, transport, clock and retry governor are used here).
fn driver(base: &str) -> Client<UreqTransport, SystemClock> {
    let config = ClientConfig::from_json(&json!({"baseUrl": base, "clientId": "demo-client", "clientSecret": "demo-secret"}).to_string()).expect("config");
    Client::new(config, UreqTransport::default(), SystemClock, 7)
}

/// One sign-in from `previous` (the error boxed: the error enum is large).
fn sign_in(base: &str, previous: Option<CxoneSession>) -> Result<CxoneSession, Box<DataActionsError>> {
    let operation = CxoneSignIn::new(settings(base, cxone_emulator::DEFAULT_ACCESS_KEY_SECRET), previous);
    block_on(driver(base).run(operation, CallOptions::default())).map_err(Box::new)
}

fn signin_counts(base: &str) -> Value {
    let stats: Value = ureq::get(&format!("{base}/_emulator/stats")).call().expect("stats").into_json().expect("json");
    stats["signin"].clone()
}

fn control(base: &str, path: &str, body: Value) {
    ureq::post(&format!("{base}/_emulator/{path}")).send_json(body).expect("control call");
}

/// The session's token opens the tenant's data-action routes.
fn definition_with(session: &CxoneSession) -> u16 {
    let url = format!("{}/api/v2/data-actions/lookup-customer", session.api_base_url);
    match ureq::get(&url).set("authorization", &format!("Bearer {}", session.token.access_token)).call() {
        Ok(response) => response.status(),
        Err(ureq::Error::Status(status, _)) => status,
        Err(error) => panic!("{error}"),
    }
}

#[test]
fn a_first_sign_in_then_refreshes_and_a_fallback_after_a_used_refresh_token() {
    let base = emulator();
    let first = sign_in(&base, None).expect("first sign-in");
    assert_eq!(signin_counts(&base), json!({"discovery": 1, "password": 1, "refresh": 0, "configuration": 1}));
    assert_eq!(first.token_endpoint, format!("{base}/auth/token"));
    assert_eq!((first.tenant_id.as_str(), first.api_base_url.as_str()), (cxone_emulator::DEFAULT_TENANT_ID, base.as_str()));
    assert!(first.refresh_token.is_some());
    assert_eq!(first.refresh_expires_at_ms, None, "CXone's token answer (and the emulator's) has no refresh_token_expires_in");
    assert_eq!(definition_with(&first), 200, "the sign-in's token opens the data-action routes");

    // From the session: one request, the refresh grant; its refresh token rotates.
    let second = sign_in(&base, Some(first.clone())).expect("refresh");
    assert_eq!(signin_counts(&base), json!({"discovery": 1, "password": 1, "refresh": 1, "configuration": 1}));
    assert_ne!(second.token.access_token, first.token.access_token);
    assert_ne!(second.refresh_token, first.refresh_token, "rotated");
    assert_eq!(definition_with(&second), 200);

    // The first session's refresh token is spent: invalid_grant, then the password grant, in
    // the same operation (the tenant's API host is still known: no cxone-configuration).
    let third = sign_in(&base, Some(first)).expect("fallback");
    assert_eq!(signin_counts(&base), json!({"discovery": 1, "password": 2, "refresh": 2, "configuration": 1}));
    assert_eq!(definition_with(&third), 200);

    // Revoked refresh tokens fall back the same way.
    control(&base, "revoke-refresh-tokens", json!({}));
    sign_in(&base, Some(third)).expect("fallback after revocation");
    assert_eq!(signin_counts(&base), json!({"discovery": 1, "password": 3, "refresh": 3, "configuration": 1}));
}

#[test]
fn refused_credentials_are_unauthorized_without_the_secret() {
    let base = emulator();
    let operation = CxoneSignIn::new(settings(&base, "wrong-access-key-secret"), None);
    let err = block_on(driver(&base).run(operation, CallOptions::default())).unwrap_err();
    assert_eq!((err.code(), err.status(), err.upstream_code()), ("unauthorized", Some(400), Some("invalid_grant")));
    let shown = format!("{err} {err:?} {:?}", err.details());
    for secret in ["wrong-access-key-secret", "demo-secret", cxone_emulator::DEFAULT_ACCESS_KEY_ID] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn scripted_sign_in_faults_are_retried() {
    let base = emulator();
    control(&base, "signin-faults", json!({"failNext": 1, "status": 503, "endpoint": "discovery"}));
    let session = sign_in(&base, None).expect("a 503 on discovery is retried");
    assert_eq!(signin_counts(&base)["discovery"], json!(2));
    control(&base, "signin-faults", json!({"failNext": 2, "status": 429, "endpoint": "token"}));
    sign_in(&base, Some(session)).expect("429s on the token endpoint are waited out");
    assert_eq!(signin_counts(&base)["refresh"], json!(1), "the faulted requests are refused before the grant is counted");
}
