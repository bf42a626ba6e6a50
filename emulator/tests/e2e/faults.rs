use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{error_codes, Emu};

/// Statuses of `n` definition requests.
async fn pattern(emu: &Emu, token: &str, n: usize) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(n);
    for _ in 0..n {
        let response = emu.definition("lookup-customer", token).await;
        let status = response.status().as_u16();
        if status == 429 {
            assert_eq!(response.headers()["retry-after"], "7");
            assert_eq!(error_codes(response).await, ["RATE_LIMITED"]);
        }
        statuses.push(status);
    }
    statuses
}

#[tokio::test]
async fn rate_429_is_random_but_reproducible_with_a_seed() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    emu.configure(json!({"rate429": 0.5, "seed": 42, "retryAfterSecs": 7}))
        .await;
    let first = pattern(&emu, &token, 40).await;
    let throttled = first.iter().filter(|&&s| s == 429).count();
    assert!(
        (8..=32).contains(&throttled),
        "about half are 429: {first:?}"
    );
    assert!(first.iter().all(|&s| s == 429 || s == 200), "{first:?}");
    let stats = emu.stats().await;
    assert_eq!(stats["faults"]["429"], throttled as u64);
    assert_eq!(
        stats["requests"]["definition"], 40,
        "faulted requests are counted too"
    );

    // Setting the same seed again replays the same sequence.
    emu.configure(json!({"seed": 42})).await;
    assert_eq!(pattern(&emu, &token, 40).await, first);
    // Another seed gives another sequence.
    emu.configure(json!({"seed": 7})).await;
    assert_ne!(pattern(&emu, &token, 40).await, first);

    // The token endpoint and the control API are never faulted.
    emu.configure(json!({"rate429": 1.0})).await;
    assert_eq!(
        emu.token_response(
            "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret"
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        emu.send(Method::GET, "/healthz", None, None).await.status(),
        200
    );
    assert_eq!(
        emu.definition("lookup-customer", &token).await.status(),
        429
    );
}

#[tokio::test]
async fn rate_503_answers_service_unavailable() {
    let emu = Emu::with(cxone_emulator::Config {
        knobs: cxone_emulator::Knobs {
            rate_503: 1.0,
            seed: Some(1),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let token = emu.token().await;
    for response in [
        emu.definition("lookup-customer", &token).await,
        emu.invoke(
            "lookup-customer",
            &token,
            json!({"inputs": {"customerId": "C"}}),
        )
        .await,
        emu.poll("export-report", "inv_x", &token).await,
    ] {
        assert_eq!(response.status(), 503);
        assert_eq!(error_codes(response).await, ["SERVICE_UNAVAILABLE"]);
    }
    // Faults come before authentication, like a gateway's.
    assert_eq!(
        emu.definition("lookup-customer", "bogus").await.status(),
        503
    );
    let stats = emu.stats().await;
    assert_eq!(stats["faults"]["503"], 4);
    assert_eq!(stats["faults"]["429"], 0);
    emu.configure(json!({"rate503": 0.0})).await;
    assert_eq!(
        emu.definition("lookup-customer", &token).await.status(),
        200
    );
}

#[tokio::test]
async fn mixed_rates_split_by_share() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    emu.configure(json!({"rate429": 0.3, "rate503": 0.3, "seed": 5}))
        .await;
    let mut counts = std::collections::HashMap::new();
    for _ in 0..100 {
        *counts
            .entry(
                emu.definition("lookup-customer", &token)
                    .await
                    .status()
                    .as_u16(),
            )
            .or_insert(0) += 1;
    }
    for status in [200, 429, 503] {
        let n = counts.get(&status).copied().unwrap_or(0);
        assert!((12..=55).contains(&n), "{status}: {n} of 100 ({counts:?})");
    }
}

#[tokio::test]
async fn latency_is_added_to_api_and_oauth_answers() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    emu.configure(json!({"latencyMs": 300})).await;
    let timed = |started: Instant| started.elapsed();
    let started = Instant::now();
    assert_eq!(
        emu.definition("lookup-customer", &token).await.status(),
        200
    );
    assert!(timed(started) >= Duration::from_millis(300));
    let started = Instant::now();
    emu.token().await;
    assert!(timed(started) >= Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(
        emu.definition("lookup-customer", "bad-token")
            .await
            .status(),
        401
    );
    assert!(
        timed(started) >= Duration::from_millis(300),
        "errors are delayed too"
    );
    let started = Instant::now();
    assert_eq!(
        emu.send(Method::GET, "/healthz", None, None).await.status(),
        200
    );
    assert!(
        timed(started) < Duration::from_millis(250),
        "the control API is not delayed"
    );
    emu.configure(json!({"latencyMs": 0})).await;
    let started = Instant::now();
    assert_eq!(
        emu.definition("lookup-customer", &token).await.status(),
        200
    );
    assert!(timed(started) < Duration::from_millis(250));
}

#[tokio::test]
async fn config_is_merged_and_validated() {
    let emu = Emu::start().await;
    let initial: Value = emu.control(Method::GET, "/_emulator/config").await;
    assert_eq!(
        initial,
        json!({
            "latencyMs": 0, "rate429": 0.0, "rate503": 0.0, "retryAfterSecs": 1, "tokenLifetimeSecs": 3600,
            "rateLimitedFirst": 2, "callbackDrop": false, "callbackDelayMs": 0, "callbackDuplicate": false,
            "callbackDropRate": 0.0, "callbackDuplicateRate": 0.0, "callbackDelayRate": 1.0,
            "latencyJitterMs": 0, "revokeTokensEvery": 0, "answerPaddingBytes": 0, "answerChunked": false,
            "seed": null,
        })
    );
    let response = emu
        .set_config(json!({"callbackDrop": true, "latencyMs": 5}))
        .await;
    assert_eq!(response.status(), 200);
    let merged: Value = response.json().await.expect("json");
    assert_eq!(merged["callbackDrop"], true);
    assert_eq!(merged["latencyMs"], 5);
    assert_eq!(merged["tokenLifetimeSecs"], 3600);
    assert_eq!(emu.control(Method::GET, "/_emulator/config").await, merged);

    let bad = [
        (json!({"latencyMs": "5"}), vec!["latencyMs"]),
        (json!({"colour": "red"}), vec!["colour"]),
        (
            json!({"rate429": 1.5, "callbackDuplicate": "yes"}),
            vec!["callbackDuplicate", "rate429"],
        ),
        (json!({"rate429": 0.8, "rate503": 0.8}), vec!["rate503"]),
        (json!({"seed": "abc"}), vec!["seed"]),
        (json!({"retryAfterSecs": -1}), vec!["retryAfterSecs"]),
        (json!({"tokenLifetimeSecs": 1.5}), vec!["tokenLifetimeSecs"]),
        (
            json!({"callbackDropRate": 2, "latencyJitterMs": -5}),
            vec!["callbackDropRate", "latencyJitterMs"],
        ),
    ];
    for (patch, fields) in bad {
        let response = emu.set_config(patch.clone()).await;
        assert_eq!(response.status(), 400, "{patch}");
        let body: Value = response.json().await.expect("json");
        let mut named: Vec<String> = body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                let field = e["field"].as_str().expect("field").to_owned();
                assert!(
                    e["message"].as_str().expect("message").contains(&field),
                    "{e}"
                );
                field
            })
            .collect();
        named.sort();
        assert_eq!(named, fields, "{patch}");
    }
    for raw in ["[1]", "not json"] {
        let response = emu
            .http
            .post(emu.at("/_emulator/config"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 400, "{raw}");
    }
    // Nothing changed by the rejected patches.
    assert_eq!(emu.control(Method::GET, "/_emulator/config").await, merged);
}

#[tokio::test]
async fn latency_jitter_draws_from_the_seeded_rng() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    emu.configure(json!({"rate429": 0.5, "seed": 42, "retryAfterSecs": 7}))
        .await;
    let plain = pattern(&emu, &token, 30).await;
    // The jitter is drawn from the same RNG: the fault pattern moves, and is reproducible.
    emu.configure(json!({"latencyJitterMs": 5, "seed": 42}))
        .await;
    let jittered = pattern(&emu, &token, 30).await;
    assert_ne!(jittered, plain);
    emu.configure(json!({"seed": 42})).await;
    assert_eq!(pattern(&emu, &token, 30).await, jittered);
    let config = emu.control(Method::GET, "/_emulator/config").await;
    assert_eq!(config["latencyJitterMs"], 5);
}

#[tokio::test]
async fn tokens_are_revoked_every_n_api_requests() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    emu.configure(json!({"revokeTokensEvery": 3})).await;
    let first: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(
                emu.definition("lookup-customer", &token)
                    .await
                    .status()
                    .as_u16(),
            );
        }
        statuses
    };
    assert_eq!(
        first,
        [200, 200, 401],
        "the third request revokes the token it carries"
    );
    let refused = emu.definition("lookup-customer", &token).await;
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.expect("json");
    assert!(body.to_string().contains("revoked"), "{body}");
    // A new token lives until the next multiple of 3 (request 6).
    let fresh = emu.token().await;
    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(
                emu.definition("lookup-customer", &fresh)
                    .await
                    .status()
                    .as_u16(),
            );
        }
        statuses
    };
    assert_eq!(statuses, [200, 401, 401]);
    // The token endpoint does not count.
    emu.configure(json!({"revokeTokensEvery": 0})).await;
    let last = emu.token().await;
    assert_eq!(emu.definition("lookup-customer", &last).await.status(), 200);
}

#[tokio::test]
async fn sync_answers_are_padded_and_sent_chunked_as_the_knobs_say() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let body = json!({"inputs": {"customerId": "C-1"}});
    let plain = emu.invoke("lookup-customer", &token, body.clone()).await;
    assert_eq!(plain.status(), 200);
    let plain_len = plain.bytes().await.expect("body").len();

    emu.configure(json!({"answerPaddingBytes": 100_000})).await;
    let padded = emu.invoke("lookup-customer", &token, body.clone()).await;
    assert_eq!(padded.content_length(), Some((plain_len + 100_000) as u64));
    let text = padded.text().await.expect("body");
    assert_eq!(text.len(), plain_len + 100_000);
    let value: Value = serde_json::from_str(&text).expect("still JSON");
    assert_eq!(value["outputs"]["customerId"], "C-1");

    emu.configure(json!({"answerChunked": true})).await;
    let chunked = emu.invoke("lookup-customer", &token, body).await;
    assert_eq!(chunked.status(), 200);
    assert_eq!(chunked.headers().get("content-length"), None);
    assert_eq!(chunked.headers().get("transfer-encoding").map(|v| v.to_str().unwrap_or_default()), Some("chunked"));
    assert_eq!(chunked.bytes().await.expect("body").len(), plain_len + 100_000);
}
