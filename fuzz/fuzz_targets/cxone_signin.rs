//! Every answer the `cxone` sign-in can be given: discovery documents, token answers (with
//! id_tokens built from arbitrary claims), cxone-configuration answers and error bodies, with any
//! status, headers and bytes; read by the sign-in's parsers, then fed, one answer per request,
//! through the sign-in state machine on virtual time, from no session or from a previous one.
//!
//! Properties, besides "never panics":
//! - every request is one the sign-in may send: discovery at the issuer's two documents, grants
//!   to an https (or loopback http) token endpoint with the client's Basic header and the exact
//!   form body of a refresh or a password grant;
//! - a refresh grant is only sent with the previous session's refresh token, and a password
//!   grant at most once per token endpoint found;
//! - a sign-in ends (within the steps allowed) and stays ended; a waited-for instant is later
//!   than now;
//! - a session names a checked token endpoint and API origin, a tenant, a non-empty token;
//! - no error message and no `Debug` view carries a secret or the refresh token, even when the
//!   upstream echoes them back.
#![no_main]

mod common;

use arbitrary::{Result, Unstructured};
use base64::Engine;
use cxone_data_actions::core::config::Secret;
use cxone_data_actions::core::cxone_signin::discovery::{parse_cxone_configuration, parse_openid_configuration};
use cxone_data_actions::core::cxone_signin::grant::{client_secret_basic, grant_error, parse_grant_answer, scrub_response, Grant};
use cxone_data_actions::core::cxone_signin::id_token::tenant_id_from_id_token;
use cxone_data_actions::core::cxone_signin::session::credentials_tag;
use cxone_data_actions::core::cxone_signin::settings::{check_url, UrlShape};
use cxone_data_actions::core::cxone_signin::{CxoneSession, CxoneSettings, CxoneSettingsInput, CxoneSignIn};
use cxone_data_actions::core::operation::Step;
use cxone_data_actions::core::retry::RetryGovernor;
use cxone_data_actions::core::token::TokenRecord;
use cxone_data_actions::core::{DataActionsError, HttpRequest, HttpResponse, Method, RequestPurpose, RetryPolicy, TransportFailure, TransportFailureKind};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

const ISSUER: &str = "https://cxone.test";
const CLIENT_ID: &str = "fuzz client";
const CLIENT_SECRET: &str = "fuzz-client-secret-value";
const ACCESS_KEY_ID: &str = "fuzz-access-key-id";
const ACCESS_KEY_SECRET: &str = "fuzz/access+key&secret";
const REFRESH_TOKEN: &str = "fuzz-previous-refresh-token";
const SECRETS: &[&str] = &[CLIENT_SECRET, ACCESS_KEY_ID, ACCESS_KEY_SECRET, REFRESH_TOKEN];
const KEYS: &[&str] = &[
    "issuer", "token_endpoint", "api_endpoint", "access_token", "token_type", "expires_in", "refresh_token",
    "refresh_token_expires_in", "id_token", "scope", "error", "error_description", "errors", "code", "message",
    "tenantId", "iss", "aud",
];
const URLS: &[&str] = &[
    "https://cxone.test", "https://cxone.test/", "https://cxone.test/auth/token", "https://api-na1.cxone.test",
    "https://api-na1.cxone.test/", "https://api.test/path", "http://cxone.test/token", "http://127.0.0.1:9797/t",
    "http://[::1]:1", "http://localhost", "https://user@cxone.test/t", "https://cxone.test/t#f", "https://cxone.test?q",
    "ftp://cxone.test", "https://", "https://cxone.test:99999/", "https://other.test",
];
const STATUSES: &[u16] = &[200, 201, 204, 301, 302, 400, 401, 403, 404, 405, 410, 429, 500, 502, 503, 504];

/// A text: a contract word, a URL, a secret (so echoes are tried), or anything.
fn text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => (*u.choose(URLS)?).to_string(),
        1 => (*u.choose(SECRETS)?).to_string(),
        2 => format!("{} {}", common::text(u)?, u.choose(SECRETS)?),
        _ => common::text(u)?,
    })
}

/// A compact JWT whose payload is arbitrary claims (often with `tenantId`, `iss`, `aud`).
fn jwt(u: &mut Unstructured<'_>) -> Result<String> {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut claims = common::object(u, 2, KEYS)?;
    if u.ratio(3, 4)? {
        claims.insert("tenantId".into(), if u.ratio(3, 4)? { Value::String(text(u)?) } else { common::value(u, 1, KEYS)? });
    }
    if u.arbitrary()? {
        claims.insert("iss".into(), Value::String(if u.arbitrary()? { ISSUER.into() } else { text(u)? }));
    }
    if u.arbitrary()? {
        claims.insert("aud".into(), if u.arbitrary()? { json!(CLIENT_ID) } else { json!([text(u)?, CLIENT_ID]) });
    }
    let payload = if u.ratio(1, 8)? { u.arbitrary::<&[u8]>()?.to_vec() } else { Value::Object(claims).to_string().into_bytes() };
    Ok(match u.int_in_range(0..=7u8)? {
        0 => text(u)?,
        1 => format!("{}.{}", encode(b"{}"), encode(&payload)),
        2 => format!("e30.{}.s.x", encode(&payload)),
        _ => format!("{}.{}.{}", encode(br#"{"alg":"RS256"}"#), encode(&payload), encode(u.arbitrary::<&[u8]>()?)),
    })
}

/// Sets `key` most of the time (so that every field is sometimes missing).
fn maybe(u: &mut Unstructured<'_>, object: &mut Map<String, Value>, key: &str, value: Value) -> Result<()> {
    if u.ratio(4, 5)? {
        object.insert(key.to_string(), value);
    }
    Ok(())
}

/// A JSON object shaped like one of the sign-in's answers, with arbitrary gaps and values.
fn shaped(u: &mut Unstructured<'_>) -> Result<Map<String, Value>> {
    let mut object = common::object(u, 1, KEYS)?;
    let o = &mut object;
    match u.int_in_range(0..=3u8)? {
        0 => {
            let issuer = if u.ratio(3, 4)? { ISSUER.to_string() } else { text(u)? };
            maybe(u, o, "issuer", Value::String(issuer))?;
            let endpoint = (*u.choose(URLS)?).to_string();
            maybe(u, o, "token_endpoint", Value::String(endpoint))?;
        }
        1 => {
            let token = if u.ratio(7, 8)? { format!("at-{}", u.arbitrary::<u16>()?) } else { text(u)? };
            maybe(u, o, "access_token", Value::String(token))?;
            let kind = if u.ratio(3, 4)? { "Bearer".to_string() } else { text(u)? };
            maybe(u, o, "token_type", Value::String(kind))?;
            let expires = if u.ratio(3, 4)? { json!(u.int_in_range(0..=86_400u32)?) } else { common::value(u, 0, KEYS)? };
            maybe(u, o, "expires_in", expires)?;
            let refresh = text(u)?;
            maybe(u, o, "refresh_token", Value::String(refresh))?;
            let refresh_expires = json!(u.arbitrary::<u32>()?);
            maybe(u, o, "refresh_token_expires_in", refresh_expires)?;
            let id_token = jwt(u)?;
            maybe(u, o, "id_token", Value::String(id_token))?;
        }
        2 => {
            let endpoint = (*u.choose(URLS)?).to_string();
            maybe(u, o, "api_endpoint", Value::String(endpoint))?;
            maybe(u, o, "area", json!("na1"))?;
        }
        _ => {
            let code = (*u.choose(&["invalid_grant", "invalid_client", "unauthorized_client", "invalid_request"])?).to_string();
            maybe(u, o, "error", Value::String(code))?;
            let description = text(u)?;
            maybe(u, o, "error_description", Value::String(description))?;
        }
    }
    Ok(object)
}

fn body(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => u.arbitrary::<&[u8]>()?.to_vec(),
        1 => common::value(u, 3, KEYS)?.to_string().into_bytes(),
        _ => Value::Object(shaped(u)?).to_string().into_bytes(),
    })
}

/// The answer a well-behaved upstream gives to `request`, with the fuzzer's gaps (so whole
/// sign-ins succeed often enough for their properties to be checked).
fn fitting(u: &mut Unstructured<'_>, request: &HttpRequest) -> Result<HttpResponse> {
    let mut object = Map::new();
    let o = &mut object;
    if request.url.ends_with("/.well-known/openid-configuration") {
        let issuer = request.url.trim_end_matches("/.well-known/openid-configuration").to_string();
        maybe(u, o, "issuer", Value::String(issuer.clone()))?;
        let endpoint = if u.ratio(3, 4)? { format!("{issuer}/auth/token") } else { (*u.choose(URLS)?).to_string() };
        maybe(u, o, "token_endpoint", Value::String(endpoint))?;
    } else if request.url.contains("/.well-known/cxone-configuration?") {
        let endpoint = if u.ratio(3, 4)? { "https://api-na1.cxone.test".to_string() } else { (*u.choose(URLS)?).to_string() };
        maybe(u, o, "api_endpoint", Value::String(endpoint))?;
    } else {
        let token = format!("at-{}", u.arbitrary::<u16>()?);
        maybe(u, o, "access_token", Value::String(token))?;
        maybe(u, o, "token_type", json!("Bearer"))?;
        let expires_in = json!(u.int_in_range(0..=3_600u32)?);
        maybe(u, o, "expires_in", expires_in)?;
        if u.arbitrary()? {
            maybe(u, o, "refresh_token", json!("rt-new"))?;
            let refresh_expires_in = json!(u.int_in_range(0..=7_200u32)?);
            maybe(u, o, "refresh_token_expires_in", refresh_expires_in)?;
        }
        let tenant = (*u.choose(&["tenant-1", "tenant-2", "t&3"])?).to_string();
        let claims = json!({"iss": ISSUER, "aud": CLIENT_ID, "tenantId": tenant}).to_string();
        let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let id_token = format!("{}.{}.sig", encode(b"{}"), encode(claims.as_bytes()));
        maybe(u, o, "id_token", Value::String(id_token))?;
    }
    Ok(HttpResponse { status: 200, headers: Vec::new(), body: Value::Object(object).to_string().into_bytes() })
}

fn answer(u: &mut Unstructured<'_>) -> Result<std::result::Result<HttpResponse, TransportFailure>> {
    if u.ratio(1, 12)? {
        let kind = *u.choose(&[
            TransportFailureKind::Timeout,
            TransportFailureKind::Network,
            TransportFailureKind::Aborted,
            TransportFailureKind::Refused,
        ])?;
        return Ok(Err(TransportFailure::new(kind, common::text(u)?)));
    }
    let status = if u.ratio(7, 8)? { *u.choose(STATUSES)? } else { u.arbitrary()? };
    let mut headers = Vec::new();
    for _ in 0..u.int_in_range(0..=2u8)? {
        let name = *u.choose(&["Retry-After", "Location", "content-type"])?;
        let value = match u.int_in_range(0..=1u8)? {
            0 => u.int_in_range(0..=120u32)?.to_string(),
            _ => text(u)?,
        };
        headers.push((name.to_string(), value));
    }
    Ok(Ok(HttpResponse { status, headers, body: body(u)? }))
}

fn no_secret(shown: &str) {
    no_secret_of(shown, SECRETS);
}

fn no_secret_of(shown: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!shown.contains(secret), "a secret leaked: {shown}");
    }
}

fn no_secret_in(error: &DataActionsError) {
    no_secret_in_of(error, SECRETS);
}

fn no_secret_in_of(error: &DataActionsError, secrets: &[&str]) {
    no_secret_of(&format!("{error} {error:?} {:?}", error.details()), secrets);
}

/// Every parser of the sign-in on one answer.
fn parse_everything(response: &HttpResponse, now_ms: u64) {
    if let Ok(endpoint) = parse_openid_configuration(response, ISSUER) {
        assert_eq!(check_url(&endpoint, UrlShape::Endpoint), Ok(()));
    }
    if let Ok(origin) = parse_cxone_configuration(response) {
        assert_eq!(check_url(&origin, UrlShape::Origin), Ok(()));
        assert!(!origin.ends_with('/'), "{origin}");
    }
    match parse_grant_answer(response, now_ms) {
        Ok(granted) => {
            assert!(!granted.token.access_token.is_empty());
            assert!(granted.token.expires_at_ms >= now_ms && granted.token.obtained_at_ms == now_ms);
            assert!(granted.refresh_expires_at_ms.is_none() || granted.refresh_token.is_some());
            if let Some(id_token) = &granted.id_token {
                if let Ok(tenant) = tenant_id_from_id_token(id_token.expose(), ISSUER, CLIENT_ID) {
                    assert!(!tenant.is_empty() && tenant.bytes().all(|b| b.is_ascii_graphic()), "{tenant:?}");
                }
            }
            let _ = format!("{granted:?}");
        }
        Err(error) => no_secret_in(&error),
    }
    let scrubbed = scrub_response(response, SECRETS);
    no_secret(&String::from_utf8_lossy(&scrubbed.body));
    for (_, value) in &scrubbed.headers {
        no_secret(value);
    }
    for grant in [Grant::RefreshToken, Grant::Password] {
        let error = grant_error(&scrubbed, grant);
        assert!(!error.code().is_empty());
        no_secret_in(&error);
    }
}

fn settings(issuer: &str) -> CxoneSettings {
    CxoneSettings::from_input(CxoneSettingsInput {
        issuer: Some(issuer.into()),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        access_key_id: Some(ACCESS_KEY_ID.into()),
        access_key_secret: Some(ACCESS_KEY_SECRET.into()),
        timeout_ms: Some(1_000),
    })
    .expect("the fuzz settings are valid")
}

fn previous(u: &mut Unstructured<'_>, settings: &CxoneSettings, now_ms: u64) -> Result<Option<CxoneSession>> {
    if u.ratio(1, 3)? {
        return Ok(None);
    }
    let url = |u: &mut Unstructured<'_>| -> Result<String> { Ok((*u.choose(URLS)?).to_string()) };
    Ok(Some(CxoneSession {
        token: TokenRecord { access_token: "old".into(), expires_at_ms: now_ms, scope: None, obtained_at_ms: 0 },
        refresh_token: if u.ratio(3, 4)? { Some(Secret::new(REFRESH_TOKEN)) } else { None },
        refresh_expires_at_ms: if u.arbitrary()? { Some(now_ms.saturating_add(u.int_in_range(0..=10_000u64)?).saturating_sub(5_000)) } else { None },
        issuer: if u.ratio(7, 8)? { settings.issuer.clone() } else { text(u)? },
        credentials_tag: if u.ratio(7, 8)? { credentials_tag(settings) } else { text(u)? },
        token_endpoint: if u.ratio(3, 4)? { "https://cxone.test/auth/token".into() } else { url(u)? },
        tenant_id: if u.ratio(3, 4)? { "tenant-1".into() } else { text(u)? },
        api_base_url: if u.ratio(3, 4)? { "https://api-na1.cxone.test".into() } else { url(u)? },
    }))
}

fn check(u: &mut Unstructured<'_>) -> Result<()> {
    let mut now_ms = u.int_in_range(0..=4_102_444_800_000u64)?;
    // The parsers alone, on one answer (every answer of the state machine below goes through
    // them too; this spends no bytes on steering it).
    if u.arbitrary()? {
        if let Ok(response) = answer(u)? {
            parse_everything(&response, now_ms);
        }
        let id_token = jwt(u)?;
        if let Err(error) = tenant_id_from_id_token(&id_token, ISSUER, CLIENT_ID) {
            no_secret_in(&error);
            // (The messages are fixed sentences: a short text may be a piece of one.)
            if id_token.len() >= 16 && id_token.contains('.') {
                assert!(!error.to_string().contains(&id_token), "the id_token in a message");
            }
        }
    }

    // The state machine.
    let issuer = if u.ratio(7, 8)? { ISSUER } else { "http://127.0.0.1:9797/" };
    let settings = settings(issuer);
    let previous = previous(u, &settings, now_ms)?;
    // The previous refresh token is the sign-in's to keep secret once it is offered (same
    // issuer, same credentials); before that it is just a text an upstream may say.
    let held_refresh = previous
        .as_ref()
        .is_some_and(|p| p.refresh_token.is_some() && p.issuer == settings.issuer && p.credentials_tag == credentials_tag(&settings));
    let sent_secrets: &[&str] = if held_refresh { SECRETS } else { &SECRETS[..3] };
    let basic = client_secret_basic(&settings);
    let issuer = settings.issuer.clone();
    let mut sign_in = CxoneSignIn::new(settings, previous);
    let policy = RetryPolicy { max_attempts: u.int_in_range(1..=4u32)?, ..RetryPolicy::default() };
    let mut governor = RetryGovernor::new(policy, u.arbitrary()?);
    let openid = format!("{issuer}/.well-known/openid-configuration");
    let cxone = format!("{issuer}/.well-known/cxone-configuration?tenantId=");
    for _ in 0..64 {
        match sign_in.poll(now_ms) {
            Step::Send(request) => {
                assert!(!request.needs_auth);
                // The URL is the upstream's choice (a token endpoint, a tenant id): the rest of
                // the request's Debug view must show no secret.
                let mut shown = request.clone();
                shown.url = String::new();
                no_secret_of(&format!("{shown:?}"), sent_secrets);
                match request.purpose {
                    RequestPurpose::Discovery => {
                        assert_eq!(request.method, Method::Get);
                        assert!(request.url == openid || request.url.starts_with(&cxone), "{}", request.url);
                        assert_eq!(request.body, None);
                    }
                    RequestPurpose::Token => {
                        assert_eq!(request.method, Method::Post);
                        assert_eq!(check_url(&request.url, UrlShape::Endpoint), Ok(()), "{}", request.url);
                        assert_eq!(request.header("authorization"), Some(basic.as_str()));
                        let body = String::from_utf8(request.body.clone().unwrap_or_default()).expect("form bodies are ASCII");
                        let refresh = "grant_type=refresh_token&refresh_token=fuzz-previous-refresh-token";
                        let password = "grant_type=password&username=fuzz-access-key-id&password=fuzz%2Faccess%2Bkey%26secret";
                        assert!(body == password || (held_refresh && body == refresh), "{body}");
                    }
                    other => panic!("a sign-in sent a {other:?} request"),
                }
                let result = if u.ratio(2, 3)? { Ok(fitting(u, &request)?) } else { answer(u)? };
                if let Ok(response) = &result {
                    parse_everything(response, now_ms);
                }
                now_ms = now_ms.saturating_add(u.int_in_range(0..=3_000u64)?);
                sign_in.handle_response(result, &mut governor, now_ms);
            }
            Step::WaitUntil(at) => {
                assert!(at > now_ms, "a wait for the past");
                now_ms = at;
            }
            Step::RefreshToken => panic!("a sign-in asked for a token refresh"),
            Step::Done(result) => {
                assert!(matches!(sign_in.poll(now_ms), Step::Done(Err(_))), "an ended sign-in went on");
                match result {
                    Ok(session) => {
                        // The fields the upstream names may be anything; the tokens never show.
                        let masked = CxoneSession {
                            issuer: "I".into(),
                            credentials_tag: "C".into(),
                            token_endpoint: "E".into(),
                            tenant_id: "T".into(),
                            api_base_url: "A".into(),
                            ..session.clone()
                        };
                        let shown = format!("{masked:?}");
                        no_secret_of(&shown, sent_secrets);
                        if session.token.access_token.starts_with("at-") {
                            assert!(!shown.contains(&session.token.access_token), "{shown}");
                        }
                        assert_eq!(check_url(&session.token_endpoint, UrlShape::Endpoint), Ok(()));
                        assert_eq!(check_url(&session.api_base_url, UrlShape::Origin), Ok(()));
                        assert!(!session.api_base_url.ends_with('/'));
                        assert!(!session.tenant_id.is_empty() && !session.token.access_token.is_empty());
                        assert_eq!(session.issuer, issuer);
                        let stored = serde_json::to_string(&session).expect("a session serialises");
                        assert_eq!(serde_json::from_str::<CxoneSession>(&stored).ok(), Some(session));
                    }
                    Err(error) => no_secret_in_of(&error, sent_secrets),
                }
                return Ok(());
            }
        }
        if u.is_empty() {
            // Out of answers: a caller gives up.
            sign_in.cancel();
        }
    }
    panic!("the sign-in did not end within 64 steps");
}

fuzz_target!(|data: &[u8]| {
    let _ = check(&mut Unstructured::new(data));
});
