//! The sign-in on virtual time, against golden bodies written from the public documents
//! (tests/fixtures/cxone/README.md says from which).

use serde_json::{json, Value};

use super::*;
use crate::core::config::RetryPolicy;
use crate::core::http::{Method, RequestPurpose, TransportFailureKind};
use crate::core::token::TokenRecord;

const OPENID_CONFIGURATION: &str = include_str!("../../../tests/fixtures/cxone/openid-configuration.json");
const TOKEN_ANSWER: &str = include_str!("../../../tests/fixtures/cxone/token-password-grant.json");
const CXONE_CONFIGURATION: &str = include_str!("../../../tests/fixtures/cxone/cxone-configuration.json");
const INVALID_GRANT: &str = include_str!("../../../tests/fixtures/cxone/token-invalid-grant.json");

const ISSUER: &str = "https://cxone.niceincontact.com";
const TOKEN_ENDPOINT: &str = "https://cxone.niceincontact.com/auth/token";
const TENANT: &str = "11eb8e2a-7c3b-4d5e-9f60-0242ac110002";
const API: &str = "https://api-na1.niceincontact.com";
const CLIENT_SECRET: &str = "golden:secret&1";
const ACCESS_KEY_ID: &str = "AKID-golden 1";
const ACCESS_KEY_SECRET: &str = "ak/secret=value";
/// base64("golden-client-id:golden%3Asecret%261"): both halves form-encoded first (RFC 6749 §2.3.1).
const BASIC: &str = "Basic Z29sZGVuLWNsaWVudC1pZDpnb2xkZW4lM0FzZWNyZXQlMjYx";
const NOW: u64 = 1_795_521_600_000;

/// What the transport hands back for one request.
type Answer = Result<HttpResponse, TransportFailure>;

fn settings() -> CxoneSettings {
    CxoneSettings::from_input(CxoneSettingsInput {
        issuer: None,
        client_id: Some("golden-client-id".into()),
        client_secret: Some(CLIENT_SECRET.into()),
        access_key_id: Some(ACCESS_KEY_ID.into()),
        access_key_secret: Some(ACCESS_KEY_SECRET.into()),
        timeout_ms: Some(5_000),
    })
    .unwrap()
}

fn ok(body: &str) -> Answer {
    Ok(HttpResponse { status: 200, headers: vec![("content-type".into(), "application/json".into())], body: body.as_bytes().to_vec() })
}

fn answer(status: u16, body: &Value) -> Answer {
    Ok(HttpResponse::json(status, body))
}

fn jwt(claims: &Value) -> String {
    let encode = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2ln", encode(&json!({"alg": "RS256"})), encode(claims))
}

use base64::Engine;

/// What one run did: the requests sent with the instant each left, and the outcome.
struct Run {
    sent: Vec<(u64, HttpRequest)>,
    outcome: Result<CxoneSession, DataActionsError>,
    ended_at: u64,
}

/// Runs a sign-in to its end, answering each request with the next of `answers` 100 ms later.
fn drive(mut sign_in: CxoneSignIn, answers: Vec<Answer>) -> Run {
    let mut governor = RetryGovernor::new(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() }, 7);
    let mut answers = answers.into_iter();
    let mut now = NOW;
    let mut sent = Vec::new();
    for _ in 0..50 {
        match sign_in.poll(now) {
            Step::Send(request) => {
                assert!(!request.needs_auth, "a sign-in request asked for a bearer token");
                sent.push((now, request));
                now += 100;
                let result = answers.next().expect("a request with no answer left");
                sign_in.handle_response(result, &mut governor, now);
            }
            Step::WaitUntil(at) => {
                assert!(at > now);
                now = at;
            }
            Step::RefreshToken => panic!("a sign-in never asks for a token"),
            Step::Done(outcome) => {
                assert!(answers.next().is_none(), "answers left over");
                assert!(matches!(sign_in.poll(now), Step::Done(Err(_))), "an ended sign-in went on");
                return Run { sent, outcome, ended_at: now };
            }
        }
    }
    panic!("the sign-in did not end");
}

fn body(request: &HttpRequest) -> String {
    String::from_utf8(request.body.clone().unwrap_or_default()).unwrap()
}

fn session_at(now: u64) -> CxoneSession {
    CxoneSession {
        token: TokenRecord { access_token: "old-access".into(), expires_at_ms: now + 1_000, scope: None, obtained_at_ms: now - 3_599_000 },
        refresh_token: Some(Secret::new("old-refresh/token")),
        refresh_expires_at_ms: Some(now + 3_600_000),
        issuer: ISSUER.into(),
        credentials_tag: credentials_tag(&settings()),
        token_endpoint: TOKEN_ENDPOINT.into(),
        tenant_id: TENANT.into(),
        api_base_url: API.into(),
    }
}

#[test]
fn a_first_sign_in_discovers_grants_and_finds_the_api_host() {
    let run = drive(CxoneSignIn::new(settings(), None), vec![ok(OPENID_CONFIGURATION), ok(TOKEN_ANSWER), ok(CXONE_CONFIGURATION)]);
    let requests: Vec<&HttpRequest> = run.sent.iter().map(|(_, r)| r).collect();
    assert_eq!(requests.len(), 3);

    let discovery = requests[0];
    assert_eq!((discovery.method, discovery.purpose), (Method::Get, RequestPurpose::Discovery));
    assert_eq!(discovery.url, "https://cxone.niceincontact.com/.well-known/openid-configuration");
    assert_eq!(discovery.headers, vec![("accept".to_string(), "application/json".to_string())]);
    assert_eq!((discovery.body.as_ref(), discovery.timeout_ms), (None, 5_000));

    let grant = requests[1];
    assert_eq!((grant.method, grant.purpose), (Method::Post, RequestPurpose::Token));
    assert_eq!(grant.url, TOKEN_ENDPOINT, "the endpoint discovery named");
    assert_eq!(
        grant.headers,
        vec![
            ("content-type".to_string(), "application/x-www-form-urlencoded".to_string()),
            ("accept".to_string(), "application/json".to_string()),
            ("authorization".to_string(), BASIC.to_string()),
        ]
    );
    assert_eq!(body(grant), "grant_type=password&username=AKID-golden+1&password=ak%2Fsecret%3Dvalue");

    let configuration = requests[2];
    assert_eq!((configuration.method, configuration.purpose), (Method::Get, RequestPurpose::Discovery));
    assert_eq!(
        configuration.url,
        "https://cxone.niceincontact.com/.well-known/cxone-configuration?tenantId=11eb8e2a-7c3b-4d5e-9f60-0242ac110002"
    );
    assert_eq!(configuration.body, None);

    let session = run.outcome.unwrap();
    let granted_at = run.sent[1].0 + 100;
    let answer: Value = serde_json::from_str(TOKEN_ANSWER).unwrap();
    assert_eq!(session.token.access_token, answer["access_token"].as_str().unwrap());
    assert_eq!((session.token.obtained_at_ms, session.token.expires_at_ms), (granted_at, granted_at + 3_600_000));
    assert_eq!(session.refresh_token.as_ref().map(Secret::expose), Some("golden-refresh-token-7f3a9c"));
    assert_eq!(session.refresh_expires_at_ms, None, "no refresh_token_expires_in: tried until refused");
    assert_eq!((session.issuer.as_str(), session.token_endpoint.as_str()), (ISSUER, TOKEN_ENDPOINT));
    assert_eq!((session.tenant_id.as_str(), session.api_base_url.as_str()), (TENANT, API));
    assert_eq!(session.credentials_tag, credentials_tag(&settings()));
}

#[test]
fn a_held_refresh_token_is_used_before_a_new_grant_and_discovery_is_skipped() {
    let previous = session_at(NOW);
    let refreshed = json!({"access_token": "new-access", "token_type": "bearer", "expires_in": 3600});
    let run = drive(CxoneSignIn::new(settings(), Some(previous)), vec![answer(200, &refreshed)]);
    assert_eq!(run.sent.len(), 1, "no discovery, no cxone-configuration: both are known");
    let request = &run.sent[0].1;
    assert_eq!((request.method, request.url.as_str()), (Method::Post, TOKEN_ENDPOINT));
    assert_eq!(request.header("authorization"), Some(BASIC));
    assert_eq!(body(request), "grant_type=refresh_token&refresh_token=old-refresh%2Ftoken");
    let session = run.outcome.unwrap();
    assert_eq!(session.token.access_token, "new-access");
    // No new refresh token: the one used stays (RFC 6749 §6), with its expiry; no id_token: the
    // tenant and its API host stay.
    assert_eq!(session.refresh_token.as_ref().map(Secret::expose), Some("old-refresh/token"));
    assert_eq!(session.refresh_expires_at_ms, Some(NOW + 3_600_000));
    assert_eq!((session.tenant_id.as_str(), session.api_base_url.as_str()), (TENANT, API));
}

#[test]
fn a_rotated_refresh_token_replaces_the_old_one() {
    let rotated = json!({"access_token": "a2", "token_type": "Bearer", "expires_in": 60, "refresh_token": "r2", "refresh_token_expires_in": 120,
        "id_token": jwt(&json!({"iss": ISSUER, "aud": "golden-client-id", "tenantId": TENANT}))});
    let run = drive(CxoneSignIn::new(settings(), Some(session_at(NOW))), vec![answer(200, &rotated)]);
    let session = run.outcome.unwrap();
    assert_eq!(session.refresh_token.as_ref().map(Secret::expose), Some("r2"));
    assert_eq!(session.refresh_expires_at_ms, Some(NOW + 100 + 120_000));
    assert_eq!(session.api_base_url, API, "same tenant: the API host known is kept");
}

#[test]
fn a_refused_refresh_falls_back_to_the_password_grant_in_the_same_operation() {
    for refusal in [
        Ok(HttpResponse { status: 400, headers: vec![], body: INVALID_GRANT.as_bytes().to_vec() }),
        answer(401, &json!({"error": "invalid_client"})),
    ] {
        let run = drive(CxoneSignIn::new(settings(), Some(session_at(NOW))), vec![refusal, ok(TOKEN_ANSWER)]);
        let bodies: Vec<String> = run.sent.iter().map(|(_, r)| body(r)).collect();
        assert!(bodies[0].starts_with("grant_type=refresh_token&"), "{bodies:?}");
        assert_eq!(bodies[1], "grant_type=password&username=AKID-golden+1&password=ak%2Fsecret%3Dvalue");
        assert_eq!(run.sent[1].1.url, TOKEN_ENDPOINT);
        let session = run.outcome.unwrap();
        assert_eq!(session.refresh_token.as_ref().map(Secret::expose), Some("golden-refresh-token-7f3a9c"));
        assert_eq!(session.api_base_url, API, "the id_token names the tenant already known");
    }
}

#[test]
fn an_expired_refresh_token_is_not_offered() {
    let mut previous = session_at(NOW);
    previous.refresh_expires_at_ms = Some(NOW);
    let run = drive(CxoneSignIn::new(settings(), Some(previous)), vec![ok(TOKEN_ANSWER)]);
    assert_eq!(run.sent.len(), 1);
    assert!(body(&run.sent[0].1).starts_with("grant_type=password&"));
    // Without an expiry a refresh token is tried.
    let mut previous = session_at(NOW);
    previous.refresh_expires_at_ms = None;
    let run = run_one(previous);
    assert!(body(&run.sent[0].1).starts_with("grant_type=refresh_token&"));
}

fn run_one(previous: CxoneSession) -> Run {
    drive(CxoneSignIn::new(settings(), Some(previous)), vec![answer(200, &json!({"access_token": "a", "expires_in": 60}))])
}

#[test]
fn another_issuer_or_other_credentials_do_not_reuse_what_they_do_not_own() {
    // Other credentials (a rotated access key): the token endpoint is reused, the refresh token not.
    let mut previous = session_at(NOW);
    previous.credentials_tag = "someone-else".into();
    let run = drive(CxoneSignIn::new(settings(), Some(previous)), vec![ok(TOKEN_ANSWER)]);
    assert_eq!(run.sent.len(), 1);
    assert_eq!(run.sent[0].1.url, TOKEN_ENDPOINT);
    assert!(body(&run.sent[0].1).starts_with("grant_type=password&"));
    // Another issuer: nothing is reused.
    let mut previous = session_at(NOW);
    previous.issuer = "https://other.example".into();
    let run = drive(CxoneSignIn::new(settings(), Some(previous)), vec![ok(OPENID_CONFIGURATION), ok(TOKEN_ANSWER), ok(CXONE_CONFIGURATION)]);
    assert_eq!(run.sent.len(), 3);
    assert!(run.sent[0].1.url.ends_with("/.well-known/openid-configuration"));
}

#[test]
fn another_tenant_after_a_refresh_looks_its_api_host_up() {
    let other = json!({"access_token": "a", "token_type": "Bearer", "expires_in": 60,
        "id_token": jwt(&json!({"tenantId": "tenant-2&x"}))});
    let run = drive(
        CxoneSignIn::new(settings(), Some(session_at(NOW))),
        vec![answer(200, &other), answer(200, &json!({"api_endpoint": "https://api-eu1.niceincontact.com/"}))],
    );
    assert_eq!(run.sent[1].1.url, "https://cxone.niceincontact.com/.well-known/cxone-configuration?tenantId=tenant-2%26x");
    let session = run.outcome.unwrap();
    assert_eq!((session.tenant_id.as_str(), session.api_base_url.as_str()), ("tenant-2&x", "https://api-eu1.niceincontact.com"));
}

#[test]
fn a_cached_token_endpoint_that_has_gone_is_discovered_again_once() {
    let mut previous = session_at(NOW);
    previous.token_endpoint = "https://cxone.niceincontact.com/old/token".into();
    let run = drive(
        CxoneSignIn::new(settings(), Some(previous.clone())),
        vec![answer(404, &json!({})), ok(OPENID_CONFIGURATION), ok(TOKEN_ANSWER)],
    );
    let urls: Vec<&str> = run.sent.iter().map(|(_, r)| r.url.as_str()).collect();
    assert_eq!(urls, vec!["https://cxone.niceincontact.com/old/token", "https://cxone.niceincontact.com/.well-known/openid-configuration", TOKEN_ENDPOINT]);
    assert!(body(&run.sent[2].1).starts_with("grant_type=refresh_token&"), "the refresh token is still offered first");
    assert_eq!(run.outcome.unwrap().token_endpoint, TOKEN_ENDPOINT);
    // A 404 from an endpoint discovery itself named is an error, not a loop.
    let run = run_answers(None, vec![ok(OPENID_CONFIGURATION), answer(404, &json!({}))]);
    assert_eq!(run.outcome.unwrap_err().code(), "not_found");
}

fn run_answers(previous: Option<CxoneSession>, answers: Vec<Answer>) -> Run {
    drive(CxoneSignIn::new(settings(), previous), answers)
}

#[test]
fn rate_limits_and_unavailability_are_retried_through_the_exchange() {
    let limited = Ok(HttpResponse::json(429, &json!({})).with_header("Retry-After", "2"));
    let unavailable = answer(503, &json!({}));
    let timeout = Err(TransportFailure::new(TransportFailureKind::Timeout, "no answer"));
    let run = run_answers(None, vec![limited, ok(OPENID_CONFIGURATION), unavailable, timeout, ok(TOKEN_ANSWER), ok(CXONE_CONFIGURATION)]);
    let sent: Vec<(u64, &str)> = run.sent.iter().map(|(at, r)| (*at, r.url.as_str())).collect();
    assert_eq!(sent[1], (NOW + 100 + 2_000, "https://cxone.niceincontact.com/.well-known/openid-configuration"), "Retry-After waited");
    assert_eq!(sent.iter().filter(|(_, url)| *url == TOKEN_ENDPOINT).count(), 3);
    assert!(run.outcome.is_ok());
    // Still limited after every attempt: rate_limited, with the last Retry-After.
    let limited = || Ok(HttpResponse::json(429, &json!({})).with_header("Retry-After", "1"));
    let run = run_answers(None, vec![limited(), limited(), limited()]);
    let err = run.outcome.unwrap_err();
    assert_eq!((err.code(), err.details().retry_after_ms), ("rate_limited", Some(1_000)));
    assert!(run.ended_at >= NOW + 2_000);
}

#[test]
fn every_failure_is_a_typed_error() {
    let cases: Vec<(Vec<Answer>, &str, &str)> = vec![
        (vec![answer(200, &json!({"issuer": "https://evil.example", "token_endpoint": TOKEN_ENDPOINT}))], "upstream", "another issuer"),
        (vec![answer(200, &json!({"token_endpoint": TOKEN_ENDPOINT}))], "upstream", "lacks `issuer`"),
        (vec![answer(200, &json!({"issuer": ISSUER}))], "upstream", "lacks `token_endpoint`"),
        (vec![answer(200, &json!({"issuer": ISSUER, "token_endpoint": "http://cxone.example/token"}))], "upstream", "https"),
        (vec![ok("<html>")], "upstream", "not a JSON object"),
        (vec![answer(404, &json!({}))], "upstream", "HTTP 404 for the OpenID configuration"),
        (vec![Ok(HttpResponse::json(302, &json!({})).with_header("Location", "https://x.example/a?secret=1"))], "upstream", "a redirect to https://x.example/a,"),
        (vec![ok(OPENID_CONFIGURATION), answer(401, &json!({"error": "invalid_client", "error_description": "bad client"}))], "unauthorized", "refused the access key or the OAuth client (password grant): bad client"),
        (vec![ok(OPENID_CONFIGURATION), answer(400, &json!({"error": "invalid_grant"}))], "unauthorized", "(password grant): invalid_grant"),
        (vec![ok(OPENID_CONFIGURATION), answer(400, &json!({"error": "invalid_grant", "errorDescription": "bad key"}))], "unauthorized", "(password grant): bad key"),
        (vec![ok(OPENID_CONFIGURATION), answer(500, &json!({}))], "upstream", "HTTP 500 from the token endpoint"),
        (vec![ok(OPENID_CONFIGURATION), answer(403, &json!({"error": "access_denied", "error_description": "user disabled"}))], "forbidden", "forbids the sign-in of this client or API user: user disabled"),
        (vec![ok(OPENID_CONFIGURATION), answer(200, &json!({"access_token": "a"}))], "upstream", "lacks access_token or expires_in"),
        (vec![ok(OPENID_CONFIGURATION), answer(200, &json!({"access_token": "", "expires_in": 1}))], "upstream", "empty access_token"),
        (vec![ok(OPENID_CONFIGURATION), answer(200, &json!({"access_token": "a", "expires_in": 1, "token_type": "mac"}))], "upstream", "not a bearer token"),
        (vec![ok(OPENID_CONFIGURATION), answer(200, &json!({"access_token": "a", "expires_in": 1}))], "upstream", "lacks the id_token"),
        (vec![ok(OPENID_CONFIGURATION), answer(200, &json!({"access_token": "a", "expires_in": 1, "id_token": "x.y"}))], "upstream", "is not a JWT"),
        (vec![ok(OPENID_CONFIGURATION), answer(200, &json!({"access_token": "a", "expires_in": 1, "id_token": jwt(&json!({"sub": "u"}))}))], "upstream", "lacks the `tenantId` claim"),
        (vec![ok(OPENID_CONFIGURATION), ok(TOKEN_ANSWER), answer(200, &json!({"area": "na1"}))], "upstream", "lacks `api_endpoint`"),
        (vec![ok(OPENID_CONFIGURATION), ok(TOKEN_ANSWER), answer(200, &json!({"api_endpoint": "https://api.example/path"}))], "upstream", "must be an origin"),
        (vec![ok(OPENID_CONFIGURATION), ok(TOKEN_ANSWER), answer(200, &json!({"api_endpoint": "http://api.example"}))], "upstream", "https"),
        (vec![ok(OPENID_CONFIGURATION), ok(TOKEN_ANSWER), answer(404, &json!({"error": "unknown_tenant", "error_description": "no such tenant"}))], "upstream", "HTTP 404 for the cxone-configuration: no such tenant"),
        (vec![Err(TransportFailure::new(TransportFailureKind::Refused, "a redirect"))], "transport", "a redirect"),
    ];
    for (answers, code, says) in cases {
        let err = run_answers(None, answers).outcome.unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert!(err.to_string().contains(says), "expected {says:?} in {err}");
    }
}

#[test]
fn no_secret_or_token_reaches_an_error_or_a_debug_view() {
    // A token endpoint that echoes what it was sent, in every form.
    let echo = json!({"error": "invalid_grant", "error_description": format!(
        "user {ACCESS_KEY_ID} / {} with {ACCESS_KEY_SECRET} ({}) for {CLIENT_SECRET}", "AKID-golden+1", "ak%2Fsecret%3Dvalue")});
    let run = run_answers(None, vec![ok(OPENID_CONFIGURATION), answer(401, &echo)]);
    let err = run.outcome.unwrap_err();
    let shown = format!("{err} {err:?} {:?}", err.details());
    assert!(shown.contains("user *** / *** with *** (***) for ***"), "{shown}");
    // The refresh token offered, echoed in its refusal, then a password grant refused too.
    let echo = json!({"error": "invalid_grant", "error_description": "old-refresh/token is expired"});
    let err = drive(CxoneSignIn::new(settings(), Some(session_at(NOW))), vec![answer(400, &echo), answer(400, &echo)]).outcome.unwrap_err();
    assert!(err.to_string().ends_with("(password grant): *** is expired"), "{err}");
    // A transport's message, should it carry one by mistake.
    let leaky = Err(TransportFailure::new(TransportFailureKind::Refused, format!("proxy refused password={ACCESS_KEY_SECRET}")));
    let err = run_answers(None, vec![ok(OPENID_CONFIGURATION), leaky]).outcome.unwrap_err();
    assert_eq!(err.to_string(), "transport failure (Refused): proxy refused password=***");
    // 429 messages too.
    let limited = || answer(429, &json!({"errors": [{"code": "SLOW", "message": format!("slow down, {ACCESS_KEY_ID}")}]}));
    let err = run_answers(None, vec![ok(OPENID_CONFIGURATION), limited(), limited(), limited()]).outcome.unwrap_err();
    assert_eq!(err.code(), "rate_limited");
    assert!(!format!("{err} {err:?}").contains(ACCESS_KEY_ID), "{err}");

    let session = run_answers(None, vec![ok(OPENID_CONFIGURATION), ok(TOKEN_ANSWER), ok(CXONE_CONFIGURATION)]).outcome.unwrap();
    let answer: Value = serde_json::from_str(TOKEN_ANSWER).unwrap();
    let mut views = vec![
        format!("{session:?}"),
        format!("{:?}", settings()),
        format!("{:?}", CxoneSignIn::new(settings(), Some(session_at(NOW)))),
    ];
    let sign_in_requests = run_answers(None, vec![ok(OPENID_CONFIGURATION), ok(TOKEN_ANSWER), ok(CXONE_CONFIGURATION)]).sent;
    views.extend(sign_in_requests.iter().map(|(_, r)| format!("{r:?}")));
    for view in views {
        for secret in [CLIENT_SECRET, ACCESS_KEY_ID, ACCESS_KEY_SECRET, "golden-refresh-token-7f3a9c", "old-refresh", BASIC, "Z29sZGVu"] {
            assert!(!view.contains(secret), "{secret} in {view}");
        }
        assert!(!view.contains(answer["access_token"].as_str().unwrap()), "{view}");
    }
}

#[test]
fn sessions_round_trip_for_kv_with_their_refresh_token() {
    let session = session_at(NOW);
    let stored = serde_json::to_value(&session).unwrap();
    assert_eq!(stored["refreshToken"], "old-refresh/token", "the refresh token is stored on purpose");
    assert_eq!(stored["token"]["accessToken"], "old-access");
    for field in ["refreshExpiresAtMs", "issuer", "credentialsTag", "tokenEndpoint", "tenantId", "apiBaseUrl"] {
        assert!(stored.get(field).is_some(), "{field}");
    }
    assert_eq!(serde_json::from_value::<CxoneSession>(stored).unwrap(), session);
    let mut without = session.clone();
    without.refresh_token = None;
    without.refresh_expires_at_ms = None;
    let text = serde_json::to_string(&without).unwrap();
    assert!(!text.contains("refresh"), "{text}");
    assert_eq!(serde_json::from_str::<CxoneSession>(&text).unwrap(), without);
    assert!(!format!("{session:?}").contains("old-refresh") && !format!("{session:?}").contains("old-access"));
    assert!(session.has_fresh_refresh_token(NOW) && !session.has_fresh_refresh_token(NOW + 3_600_000));
    // The tag names the credentials without showing them.
    let tag = credentials_tag(&settings());
    assert_eq!(tag.len(), 43);
    assert!(!tag.contains(ACCESS_KEY_ID));
}

#[test]
fn a_cancelled_sign_in_ends_cancelled_and_stays_ended() {
    let mut sign_in = CxoneSignIn::new(settings(), None);
    let mut governor = RetryGovernor::new(RetryPolicy::default(), 1);
    assert!(matches!(sign_in.poll(NOW), Step::Send(_)));
    sign_in.cancel();
    // A late answer changes nothing.
    sign_in.handle_response(ok(OPENID_CONFIGURATION), &mut governor, NOW);
    assert!(matches!(sign_in.poll(NOW), Step::Done(Err(DataActionsError::Cancelled { by_upstream: false, .. }))));
    assert!(matches!(sign_in.poll(NOW), Step::Done(Err(_))));
}

#[test]
fn it_is_an_operation_like_the_others() {
    fn first_step<O: Operation>(operation: &mut O) -> Option<HttpRequest> {
        match operation.poll(NOW) {
            Step::Send(request) => Some(request),
            _ => None,
        }
    }
    let mut sign_in = CxoneSignIn::new(settings(), None);
    assert_eq!(first_step(&mut sign_in).map(|r| r.url), Some(format!("{ISSUER}/.well-known/openid-configuration")));
    // An emulator issuer on loopback http.
    let mut local = settings();
    local.issuer = "http://127.0.0.1:9797".into();
    let mut sign_in = CxoneSignIn::new(local.clone(), None);
    assert_eq!(first_step(&mut sign_in).map(|r| r.url), Some("http://127.0.0.1:9797/.well-known/openid-configuration".into()));
    let document = json!({"issuer": "http://127.0.0.1:9797", "token_endpoint": "http://127.0.0.1:9797/auth/token"});
    let id_token = jwt(&json!({"iss": "http://127.0.0.1:9797", "aud": "golden-client-id", "tenantId": "t-1"}));
    let run = drive(CxoneSignIn::new(local, None), vec![
        answer(200, &document),
        answer(200, &json!({"access_token": "a", "token_type": "Bearer", "expires_in": 60, "id_token": id_token})),
        answer(200, &json!({"api_endpoint": "http://127.0.0.1:9797"})),
    ]);
    let session = run.outcome.unwrap();
    assert_eq!((session.token_endpoint.as_str(), session.api_base_url.as_str()), ("http://127.0.0.1:9797/auth/token", "http://127.0.0.1:9797"));
    assert_eq!(session.refresh_token, None);
}
