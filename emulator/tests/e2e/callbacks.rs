use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::common::{Emu, Received, Receiver};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn signed_emu(secret: &str) -> Emu {
    Emu::with(cxone_emulator::Config {
        callback_signing_secret: Some(secret.to_owned()),
        ..Default::default()
    })
    .await
}

/// Verifies a Standard Webhooks signature independently of the emulator's code.
fn verify(received: &Received, key: &[u8]) {
    let id = received.header("webhook-id");
    let timestamp = received.header("webhook-timestamp");
    let signature = received.header("webhook-signature");
    let ts: u64 = timestamp.parse().expect("timestamp is unix seconds");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(
        ts <= now + 1 && now <= ts + 10,
        "timestamp {ts} vs now {now}"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&received.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(signature, expected, "signature of {id}");
}

fn whsec_key() -> Vec<u8> {
    STANDARD.decode(&SECRET["whsec_".len()..]).expect("base64")
}

fn callback_body(inputs: Value, url: &str) -> Value {
    json!({"inputs": inputs, "callbackUrl": url})
}

#[tokio::test]
async fn sync_callback_is_signed_and_complete() {
    let emu = signed_emu(SECRET).await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    let response = emu
        .invoke(
            "lookup-customer",
            &token,
            callback_body(json!({"customerId": "C-9"}), &receiver.url),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("json");
    let invoke_id = answer["invokeId"].as_str().expect("id");

    let received = receiver.expect().await;
    assert_eq!(received.header("content-type"), "application/json");
    assert_eq!(received.header("webhook-id"), format!("msg_{invoke_id}"));
    verify(&received, &whsec_key());
    let body = received.json();
    assert_eq!(body["invokeId"], invoke_id);
    assert_eq!(body["actionId"], "lookup-customer");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["outputs"], answer["outputs"]);
    assert!(body["latencyMs"].is_u64());
    assert!(body["completedAt"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert!(body.get("errors").is_none());
    assert!(
        receiver.next(Duration::from_millis(300)).await.is_none(),
        "exactly one delivery"
    );

    tokio::time::sleep(Duration::from_millis(50)).await;
    let stats = emu.stats().await;
    assert_eq!(
        stats["callbacks"],
        json!({"sent": 1, "delivered": 1, "failed": 0, "dropped": 0, "duplicated": 0})
    );
    let view = emu.view(invoke_id).await;
    assert_eq!(view["callbackUrl"], receiver.url.as_str());
    assert_eq!(view["callback"]["state"], "delivered");
    assert_eq!(view["callback"]["attempts"][0]["httpStatus"], 200);
    assert_eq!(view["inputs"], json!({"customerId": "C-9"}));
}

#[tokio::test]
async fn raw_secrets_sign_with_their_bytes() {
    let emu = signed_emu("plain-text-secret").await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    emu.invoke(
        "lookup-customer",
        &token,
        callback_body(json!({"customerId": "C"}), &receiver.url),
    )
    .await;
    verify(&receiver.expect().await, b"plain-text-secret");
}

#[tokio::test]
async fn unsigned_without_a_secret() {
    let emu = Emu::start().await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    emu.invoke(
        "lookup-customer",
        &token,
        callback_body(json!({"customerId": "C"}), &receiver.url),
    )
    .await;
    let received = receiver.expect().await;
    assert!(received.headers.get("webhook-signature").is_none());
    assert_eq!(received.json()["status"], "completed");
}

#[tokio::test]
async fn async_callbacks_arrive_when_terminal() {
    let emu = signed_emu(SECRET).await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    let started = Instant::now();
    let done = emu
        .start_async(
            "export-report",
            &token,
            callback_body(json!({"reportName": "r", "durationMs": 300}), &receiver.url),
        )
        .await;
    let failed = emu
        .start_async(
            "async-fails",
            &token,
            callback_body(json!({}), &receiver.url),
        )
        .await;
    let mut bodies = vec![receiver.expect().await, receiver.expect().await];
    assert!(started.elapsed() >= Duration::from_millis(300));
    bodies.sort_by_key(|r| r.json()["actionId"].as_str().map(str::to_owned));
    for received in &bodies {
        verify(received, &whsec_key());
    }
    let failed_body = bodies[0].json();
    assert_eq!(failed_body["invokeId"], failed.as_str());
    assert_eq!(failed_body["status"], "failed");
    assert_eq!(failed_body["errors"][0]["code"], "EXECUTION_FAILED");
    assert!(failed_body.get("outputs").is_none());
    let done_body = bodies[1].json();
    assert_eq!(done_body["invokeId"], done.as_str());
    assert_eq!(done_body["status"], "completed");
    assert!(done_body["outputs"]["rowCount"].is_u64());
    let latency = done_body["latencyMs"].as_u64().expect("latency");
    assert!((300..=400).contains(&latency), "latencyMs {latency}");
}

#[tokio::test]
async fn cancelling_sends_a_cancelled_callback() {
    let emu = Emu::start().await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    let invoke_id = emu
        .start_async(
            "never-finishes",
            &token,
            callback_body(json!({}), &receiver.url),
        )
        .await;
    assert!(
        receiver.next(Duration::from_millis(300)).await.is_none(),
        "nothing while running"
    );
    assert_eq!(
        emu.cancel("never-finishes", &invoke_id, &token)
            .await
            .status(),
        200
    );
    let body = receiver.expect().await.json();
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["invokeId"], invoke_id.as_str());
}

#[tokio::test]
async fn callback_delivery_does_not_block_the_answer() {
    let emu = Emu::start().await;
    let mut receiver = Receiver::scripted(Vec::new(), Duration::from_millis(1500)).await;
    let token = emu.token().await;
    let started = Instant::now();
    let response = emu
        .invoke(
            "lookup-customer",
            &token,
            callback_body(json!({"customerId": "C"}), &receiver.url),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "answered in {:?}",
        started.elapsed()
    );
    receiver.expect().await;
}

#[tokio::test]
async fn dropped_callbacks_are_never_sent() {
    let emu = Emu::start().await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    emu.configure(json!({"callbackDrop": true})).await;
    let answer: Value = emu
        .invoke(
            "lookup-customer",
            &token,
            callback_body(json!({"customerId": "C"}), &receiver.url),
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(receiver.next(Duration::from_millis(500)).await.is_none());
    let stats = emu.stats().await;
    assert_eq!(stats["callbacks"]["dropped"], 1);
    assert_eq!(stats["callbacks"]["sent"], 0);
    let view = emu.view(answer["invokeId"].as_str().expect("id")).await;
    assert_eq!(view["callback"]["state"], "dropped");
}

#[tokio::test]
async fn delayed_callbacks_wait() {
    let emu = Emu::start().await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    emu.configure(json!({"callbackDelayMs": 400})).await;
    let started = Instant::now();
    emu.invoke(
        "lookup-customer",
        &token,
        callback_body(json!({"customerId": "C"}), &receiver.url),
    )
    .await;
    let received = receiver.expect().await;
    let waited = received.at.duration_since(started);
    assert!(
        waited >= Duration::from_millis(400),
        "arrived after {waited:?}"
    );
}

#[tokio::test]
async fn duplicated_callbacks_reuse_the_webhook_id() {
    let emu = signed_emu(SECRET).await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    emu.configure(json!({"callbackDuplicate": true})).await;
    emu.invoke(
        "lookup-customer",
        &token,
        callback_body(json!({"customerId": "C"}), &receiver.url),
    )
    .await;
    let first = receiver.expect().await;
    let second = receiver.expect().await;
    assert_eq!(first.header("webhook-id"), second.header("webhook-id"));
    assert!(first.header("webhook-id").starts_with("msg_inv_"));
    assert_eq!(first.body, second.body);
    verify(&first, &whsec_key());
    verify(&second, &whsec_key());
    assert!(
        receiver.next(Duration::from_millis(300)).await.is_none(),
        "exactly two"
    );
    let stats = emu.stats().await;
    assert_eq!(
        stats["callbacks"],
        json!({"sent": 2, "delivered": 2, "failed": 0, "dropped": 0, "duplicated": 1})
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried() {
    let emu = signed_emu(SECRET).await;
    let mut receiver = Receiver::scripted(vec![500, 503, 200], Duration::ZERO).await;
    let token = emu.token().await;
    let answer: Value = emu
        .invoke(
            "lookup-customer",
            &token,
            callback_body(json!({"customerId": "C"}), &receiver.url),
        )
        .await
        .json()
        .await
        .expect("json");
    let attempts = [
        receiver.expect().await,
        receiver.expect().await,
        receiver.expect().await,
    ];
    let ids: Vec<String> = attempts.iter().map(|a| a.header("webhook-id")).collect();
    assert!(
        ids.iter().all(|id| id == &ids[0]),
        "retries keep the webhook-id"
    );
    for attempt in &attempts {
        verify(attempt, &whsec_key());
    }
    assert!(receiver.next(Duration::from_millis(500)).await.is_none());
    let stats = emu.stats().await;
    assert_eq!(stats["callbacks"]["sent"], 3);
    assert_eq!(stats["callbacks"]["delivered"], 1);
    assert_eq!(stats["callbacks"]["failed"], 0);
    let view = emu.view(answer["invokeId"].as_str().expect("id")).await;
    let codes: Vec<u64> = view["callback"]["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["httpStatus"].as_u64().expect("status"))
        .collect();
    assert_eq!(codes, [500, 503, 200]);
    assert_eq!(view["callback"]["state"], "delivered");
}

#[tokio::test]
async fn deliveries_give_up_after_three_retries() {
    let emu = Emu::start().await;
    let mut receiver = Receiver::scripted(vec![500; 10], Duration::ZERO).await;
    let token = emu.token().await;
    let answer: Value = emu
        .invoke(
            "lookup-customer",
            &token,
            callback_body(json!({"customerId": "C"}), &receiver.url),
        )
        .await
        .json()
        .await
        .expect("json");
    for _ in 0..4 {
        receiver.expect().await;
    }
    assert!(
        receiver.next(Duration::from_millis(1000)).await.is_none(),
        "1 attempt + 3 retries"
    );
    let view = emu.view(answer["invokeId"].as_str().expect("id")).await;
    assert_eq!(view["callback"]["state"], "failed");
    assert_eq!(
        view["callback"]["attempts"].as_array().map(Vec::len),
        Some(4)
    );
    let stats = emu.stats().await;
    assert_eq!(stats["callbacks"]["failed"], 1);
    assert_eq!(stats["callbacks"]["sent"], 4);

    // A 4xx is not retried.
    let mut refusing = Receiver::scripted(vec![400], Duration::ZERO).await;
    emu.invoke(
        "lookup-customer",
        &token,
        callback_body(json!({"customerId": "C"}), &refusing.url),
    )
    .await;
    refusing.expect().await;
    assert!(refusing.next(Duration::from_millis(500)).await.is_none());
}

#[tokio::test]
async fn connection_errors_are_retried_then_failed() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    // A port nobody listens on: bind, note it, close.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    let answer: Value = emu
        .invoke(
            "lookup-customer",
            &token,
            callback_body(json!({"customerId": "C"}), &url),
        )
        .await
        .json()
        .await
        .expect("json");
    let invoke_id = answer["invokeId"].as_str().expect("id");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let view = emu.view(invoke_id).await;
        if view["callback"]["state"] == "failed" {
            let attempts = view["callback"]["attempts"]
                .as_array()
                .expect("attempts")
                .clone();
            assert_eq!(attempts.len(), 4);
            assert!(attempts
                .iter()
                .all(|a| a["httpStatus"].is_null() && a["error"].is_string()));
            break;
        }
        assert!(Instant::now() < deadline, "still {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sync_failures_call_back_with_errors() {
    let emu = Emu::start().await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    let response = emu
        .invoke(
            "sync-fails",
            &token,
            callback_body(json!({"customerId": "C"}), &receiver.url),
        )
        .await;
    assert_eq!(response.status(), 500);
    let received = receiver.expect().await;
    assert!(received.header("user-agent").starts_with("cxone-emulator/"));
    let body = received.json();
    assert_eq!(body["actionId"], "sync-fails");
    assert_eq!(body["status"], "failed");
    assert_eq!(
        body["errors"],
        json!([{"code": "DOWNSTREAM_ERROR", "message": "CRM returned 500"}])
    );
    assert!(body.get("outputs").is_none());
    assert!(body["invokeId"]
        .as_str()
        .is_some_and(|id| id.starts_with("inv_")));
}

/// Sends `n` sync invokes that ask for a callback to `url`; returns their invokeIds.
async fn invoke_with_callbacks(emu: &Emu, token: &str, url: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let answer: Value = emu
            .invoke(
                "lookup-customer",
                token,
                callback_body(json!({"customerId": format!("C{i}")}), url),
            )
            .await
            .json()
            .await
            .expect("json");
        ids.push(answer["invokeId"].as_str().expect("invokeId").to_owned());
    }
    ids
}

/// Waits until every one of `ids` has left the `pending` delivery state (or 10 s pass).
async fn settled_states(emu: &Emu, ids: &[String], allow_pending: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut states = Vec::with_capacity(ids.len());
        for id in ids {
            states.push(
                emu.view(id).await["callback"]["state"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            );
        }
        let pending = states.iter().filter(|s| *s == "pending").count();
        if pending <= allow_pending || Instant::now() > deadline {
            return states;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_share_of_callbacks_is_dropped_reproducibly() {
    let emu = Emu::start().await;
    let receiver = Receiver::start().await;
    let token = emu.token().await;
    emu.configure(json!({"callbackDropRate": 0.5, "seed": 11}))
        .await;
    let ids = invoke_with_callbacks(&emu, &token, &receiver.url, 40).await;
    let states = settled_states(&emu, &ids, 0).await;
    let dropped = states.iter().filter(|s| *s == "dropped").count();
    let delivered = states.iter().filter(|s| *s == "delivered").count();
    assert_eq!(dropped + delivered, 40, "{states:?}");
    assert!(
        (8..=32).contains(&dropped),
        "about half dropped: {states:?}"
    );
    let stats = emu.stats().await;
    assert_eq!(stats["callbacks"]["dropped"], dropped as u64);
    assert_eq!(stats["callbacks"]["delivered"], delivered as u64);

    // The same seed drops the same ones again.
    emu.configure(json!({"seed": 11})).await;
    let again = invoke_with_callbacks(&emu, &token, &receiver.url, 40).await;
    assert_eq!(settled_states(&emu, &again, 0).await, states);

    // `callbackDrop` still drops every one, whatever the share.
    emu.configure(json!({"callbackDrop": true, "callbackDropRate": 0.0}))
        .await;
    let all = invoke_with_callbacks(&emu, &token, &receiver.url, 5).await;
    assert!(settled_states(&emu, &all, 0)
        .await
        .iter()
        .all(|s| s == "dropped"));
}

#[tokio::test]
async fn a_share_of_callbacks_is_sent_twice() {
    let emu = signed_emu(SECRET).await;
    let mut receiver = Receiver::start().await;
    let token = emu.token().await;
    emu.configure(json!({"callbackDuplicateRate": 0.5, "seed": 5}))
        .await;
    let ids = invoke_with_callbacks(&emu, &token, &receiver.url, 40).await;
    settled_states(&emu, &ids, 0).await;
    let mut twice = 0;
    for id in &ids {
        let attempts = emu.view(id).await["callback"]["attempts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let duplicates = attempts.iter().filter(|a| a["duplicate"] == true).count();
        assert!(
            attempts.len() == 1 + duplicates && duplicates <= 1,
            "{attempts:?}"
        );
        twice += duplicates;
    }
    assert!((8..=32).contains(&twice), "about half sent twice: {twice}");
    let stats = emu.stats().await;
    assert_eq!(stats["callbacks"]["duplicated"], twice as u64);
    assert_eq!(stats["callbacks"]["delivered"], (40 + twice) as u64);
    let mut received = 0;
    while let Some(callback) = receiver.next(Duration::from_millis(300)).await {
        verify(&callback, &whsec_key());
        received += 1;
    }
    assert_eq!(received, 40 + twice);
}

#[tokio::test]
async fn a_share_of_callbacks_is_delayed() {
    let emu = Emu::start().await;
    let receiver = Receiver::start().await;
    let token = emu.token().await;
    // A delay far longer than the test: the delayed ones are still pending (with no attempt)
    // once the others are delivered.
    emu.configure(json!({"callbackDelayRate": 0.5, "callbackDelayMs": 600_000, "seed": 3}))
        .await;
    let ids = invoke_with_callbacks(&emu, &token, &receiver.url, 40).await;
    // Until the count of deliveries stops moving.
    let mut delivered = u64::MAX;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = emu.stats().await["callbacks"]["delivered"]
            .as_u64()
            .unwrap_or(0);
        if now == delivered || Instant::now() > deadline {
            break;
        }
        delivered = now;
    }
    let states = settled_states(&emu, &ids, 40).await;
    let pending = states.iter().filter(|s| *s == "pending").count();
    assert_eq!(pending as u64 + delivered, 40, "{states:?}");
    assert!(
        (8..=32).contains(&pending),
        "about half delayed: {states:?}"
    );
    for id in &ids {
        let view = emu.view(id).await;
        if view["callback"]["state"] == "pending" {
            assert_eq!(
                view["callback"]["attempts"],
                json!([]),
                "a delayed one is not sent yet"
            );
        }
    }
}
