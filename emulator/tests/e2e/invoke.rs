use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use crate::common::{error_codes, Emu};

fn ticket_inputs() -> Value {
    json!({
        "subject": "Printer on fire", "body": "Again.", "priority": 2, "severity": 3.5,
        "urgent": true, "tags": ["hardware"], "customer": {"id": "C-1"},
        "channel": "email", "dueInDays": 3, "notify": false,
    })
}

fn parse_rfc3339(text: &str) -> SystemTime {
    // Only the emulator's own format: YYYY-MM-DDTHH:MM:SS.mmmZ.
    assert_eq!(text.len(), 24, "{text}");
    assert!(text.ends_with('Z') && &text[10..11] == "T", "{text}");
    let n = |range: std::ops::Range<usize>| text[range].parse::<u64>().expect("digits");
    let (y, mo, d) = (n(0..4), n(5..7), n(8..10));
    let (h, mi, s, ms) = (n(11..13), n(14..16), n(17..19), n(20..23));
    // Days from civil (Howard Hinnant), independent of the emulator's formatter.
    let y = if mo <= 2 { y - 1 } else { y } as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days as u64 * 86_400 + h * 3600 + mi * 60 + s;
    SystemTime::UNIX_EPOCH + Duration::from_millis(secs * 1000 + ms)
}

#[tokio::test]
async fn every_input_problem_is_reported_at_once() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let response = emu
        .invoke(
            "lookup-customer",
            &token,
            json!({"inputs": {"maxResults": "10", "includeHistory": "yes", "bogus": 1, "another": null}}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    let problems: Vec<(String, String)> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
            (
                e["code"].as_str().expect("code").to_owned(),
                e["parameter"].as_str().expect("parameter").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("MISSING_REQUIRED", "customerId"),
        ("TYPE_MISMATCH", "includeHistory"),
        ("TYPE_MISMATCH", "maxResults"),
        ("UNKNOWN_PARAMETER", "another"),
        ("UNKNOWN_PARAMETER", "bogus"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(c, p)| (c.to_string(), p.to_string()))
        .collect();
    assert_eq!(problems, expected);
}

#[tokio::test]
async fn types_are_checked_strictly_without_coercion() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let response = emu
        .invoke("create-ticket", &token, json!({"inputs": ticket_inputs()}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["outputs"]["priority"], 2);
    assert_eq!(body["outputs"]["accepted"], true);
    assert!(body["outputs"]["ticketId"]
        .as_str()
        .is_some_and(|t| t.starts_with("TCK-")));

    // An integer with no fractional part written as 2.0 is still an integer.
    let mut inputs = ticket_inputs();
    inputs["priority"] = json!(2.0);
    assert_eq!(
        emu.invoke("create-ticket", &token, json!({"inputs": inputs}))
            .await
            .status(),
        200
    );

    let wrong = json!({
        "subject": 1, "body": null, "priority": "2", "severity": "3.5", "urgent": "true",
        "tags": "hardware", "customer": ["C-1"], "channel": false, "dueInDays": 1.5, "notify": 0,
    });
    let response = emu
        .invoke("create-ticket", &token, json!({"inputs": wrong}))
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 10, "{body}");
    assert!(errors.iter().all(|e| e["code"] == "TYPE_MISMATCH"));
    let parameters: Vec<&str> = errors
        .iter()
        .map(|e| e["parameter"].as_str().expect("parameter"))
        .collect();
    assert_eq!(
        parameters,
        [
            "subject",
            "body",
            "priority",
            "severity",
            "urgent",
            "tags",
            "customer",
            "channel",
            "dueInDays",
            "notify"
        ]
    );

    // Nothing at all: the seven required ones are missing.
    let response = emu.invoke("create-ticket", &token, json!({})).await;
    assert_eq!(response.status(), 422);
    assert_eq!(error_codes(response).await, vec!["MISSING_REQUIRED"; 7]);
}

#[tokio::test]
async fn malformed_bodies_are_bad_requests() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    for body in [
        "{\"inputs\":",
        "[]",
        "\"text\"",
        "{\"inputs\":[1]}",
        "{\"inputs\":{},\"extra\":1}",
        "",
    ] {
        let response = emu
            .http
            .post(emu.at("/api/v2/data-actions/lookup-customer/invoke"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 400, "{body:?}");
        assert_eq!(error_codes(response).await, ["BAD_REQUEST"], "{body:?}");
    }
    let response = emu
        .http
        .post(emu.at("/api/v2/data-actions/lookup-customer/invoke"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{\"inputs\":{\"customerId\":\"C\"}}")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 415);
    let response = emu
        .invoke(
            "lookup-customer",
            &token,
            json!({"inputs": {"customerId": "C"}, "callbackUrl": "https://x.test/"}),
        )
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn sync_invoke_answers_deterministic_outputs() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let response = emu
            .invoke("lookup-customer", &token, json!({"inputs": {"customerId": "C-42", "maxResults": 5}, "context": {"contactId": "x"}}))
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["status"], "completed");
        let outputs = &body["outputs"];
        assert_eq!(outputs["customerId"], "C-42");
        assert_eq!(outputs["name"], "Customer C-42");
        assert!(["bronze", "silver", "gold", "platinum"]
            .contains(&outputs["tier"].as_str().expect("tier")));
        assert!(outputs["balance"].is_number());
        assert!(outputs["openTickets"].is_u64());
        assert!(outputs["vip"].is_boolean());
        seen.push(body);
    }
    assert_eq!(seen[0]["outputs"], seen[1]["outputs"]);
    assert_ne!(seen[0]["invokeId"], seen[1]["invokeId"]);
    // A sync invocation can be polled afterwards, and is completed.
    let invoke_id = seen[0]["invokeId"].as_str().expect("id");
    let body: Value = emu
        .poll("lookup-customer", invoke_id, &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["outputs"], seen[0]["outputs"]);
}

#[tokio::test]
async fn sync_failure_answers_500() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let response = emu
        .invoke("sync-fails", &token, json!({"inputs": {"customerId": "C"}}))
        .await;
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"errors": [{"code": "DOWNSTREAM_ERROR", "message": "CRM returned 500"}]})
    );
}

#[tokio::test]
async fn async_invocation_goes_queued_running_completed() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let sent = Instant::now();
    let response = emu
        .invoke(
            "export-report",
            &token,
            json!({"inputs": {"reportName": "q3", "durationMs": 800}}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let invoke_id = {
        let location = response.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["status"], "queued");
        let invoke_id = body["invokeId"].as_str().expect("id").to_owned();
        assert_eq!(
            location,
            format!("/api/v2/data-actions/export-report/invoke/{invoke_id}")
        );
        invoke_id
    };
    let first: Value = emu
        .poll("export-report", &invoke_id, &token)
        .await
        .json()
        .await
        .expect("json");
    if sent.elapsed() < Duration::from_millis(70) {
        assert_eq!(
            first["status"], "queued",
            "queued for the first 80 ms (10% of 800 ms)"
        );
    }
    assert!(first.get("outputs").is_none());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let running: Value = emu
        .poll("export-report", &invoke_id, &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(running["status"], "running");
    assert!(running.get("outputs").is_none());
    let done = emu.wait_terminal("export-report", &invoke_id, &token).await;
    assert!(sent.elapsed() >= Duration::from_millis(800));
    assert_eq!(done["status"], "completed");
    assert_eq!(done["invokeId"], invoke_id.as_str());
    assert_eq!(done["actionId"], "export-report");
    assert!(done["outputs"]["rowCount"].is_u64());
    assert!(done["outputs"]["url"]
        .as_str()
        .is_some_and(|u| u.contains(&invoke_id)));
    assert!(done.get("errors").is_none());
    let created = parse_rfc3339(done["createdAt"].as_str().expect("createdAt"));
    let updated = parse_rfc3339(done["updatedAt"].as_str().expect("updatedAt"));
    let took = updated
        .duration_since(created)
        .expect("updated after created");
    assert!(
        took >= Duration::from_millis(799) && took <= Duration::from_millis(801),
        "{took:?}"
    );
    let now = SystemTime::now();
    assert!(now.duration_since(created).expect("created in the past") < Duration::from_secs(10));
}

#[tokio::test]
async fn async_failure_and_downstream_cancellation() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let failing = emu
        .start_async(
            "async-fails",
            &token,
            json!({"inputs": {"reportName": "x"}}),
        )
        .await;
    let cancelled = emu
        .start_async("async-cancelled", &token, json!({"inputs": {}}))
        .await;
    let failed = emu.wait_terminal("async-fails", &failing, &token).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["errors"][0]["code"], "EXECUTION_FAILED");
    assert!(failed.get("outputs").is_none());
    let cancelled = emu
        .wait_terminal("async-cancelled", &cancelled, &token)
        .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled.get("outputs").is_none());
    let took = parse_rfc3339(cancelled["updatedAt"].as_str().expect("updatedAt"))
        .duration_since(parse_rfc3339(
            cancelled["createdAt"].as_str().expect("createdAt"),
        ))
        .expect("ordered");
    assert_eq!(took, Duration::from_millis(300));
}

#[tokio::test]
async fn never_finishes_runs_until_cancelled() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let invoke_id = emu
        .start_async("never-finishes", &token, json!({"inputs": {}}))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let body: Value = emu
        .poll("never-finishes", &invoke_id, &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["status"], "running");

    let response = emu.cancel("never-finishes", &invoke_id, &token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["invokeId"], invoke_id.as_str());
    let body: Value = emu
        .poll("never-finishes", &invoke_id, &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["status"], "cancelled");

    let response = emu.cancel("never-finishes", &invoke_id, &token).await;
    assert_eq!(response.status(), 409);
    assert_eq!(error_codes(response).await, ["ALREADY_TERMINAL"]);
}

#[tokio::test]
async fn cancelling_running_export_and_terminal_ones() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let invoke_id = emu
        .start_async(
            "export-report",
            &token,
            json!({"inputs": {"reportName": "r", "durationMs": 400}}),
        )
        .await;
    assert_eq!(
        emu.cancel("export-report", &invoke_id, &token)
            .await
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let body: Value = emu
        .poll("export-report", &invoke_id, &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        body["status"], "cancelled",
        "a cancelled invocation does not complete later"
    );

    let sync: Value = emu
        .invoke(
            "lookup-customer",
            &token,
            json!({"inputs": {"customerId": "C"}}),
        )
        .await
        .json()
        .await
        .expect("json");
    let response = emu
        .cancel(
            "lookup-customer",
            sync["invokeId"].as_str().expect("id"),
            &token,
        )
        .await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "ALREADY_TERMINAL");
    assert!(body["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("completed"));
}

#[tokio::test]
async fn unknown_or_foreign_invocations_are_404() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let invoke_id = emu
        .start_async(
            "export-report",
            &token,
            json!({"inputs": {"reportName": "r"}}),
        )
        .await;
    for (action, id) in [
        ("export-report", "inv_nope"),
        ("async-fails", invoke_id.as_str()),
        ("nope", invoke_id.as_str()),
    ] {
        let response = emu.poll(action, id, &token).await;
        assert_eq!(response.status(), 404, "{action}/{id}");
        assert_eq!(error_codes(response).await, ["NOT_FOUND"]);
        assert_eq!(
            emu.cancel(action, id, &token).await.status(),
            404,
            "{action}/{id}"
        );
    }
    assert_eq!(
        emu.poll("export-report", &invoke_id, &token).await.status(),
        200
    );
}

#[tokio::test]
async fn rate_limited_answers_429_with_both_retry_after_forms() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let body = json!({"inputs": {"customerId": "C-7"}});

    let first = emu.invoke("rate-limited", &token, body.clone()).await;
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "1");
    assert_eq!(error_codes(first).await, ["RATE_LIMITED"]);

    let second = emu.invoke("rate-limited", &token, body.clone()).await;
    assert_eq!(second.status(), 429);
    let date = second.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        date.ends_with(" GMT") && date.len() == 29,
        "IMF-fixdate: {date:?}"
    );
    let when = httpdate::parse_http_date(&date).expect("an HTTP date");
    let now = SystemTime::now();
    let ahead = when
        .duration_since(now - Duration::from_millis(50))
        .expect("in the future");
    assert!(
        ahead >= Duration::from_millis(950) && ahead <= Duration::from_millis(2100),
        "{ahead:?}"
    );

    let third = emu.invoke("rate-limited", &token, body.clone()).await;
    assert_eq!(third.status(), 200);
    let third: Value = third.json().await.expect("json");
    assert_eq!(third["outputs"]["name"], "Customer C-7");

    // The knob restarts the count.
    emu.configure(json!({"rateLimitedFirst": 3})).await;
    let statuses = [
        emu.invoke("rate-limited", &token, body.clone())
            .await
            .status()
            .as_u16(),
        emu.invoke("rate-limited", &token, body.clone())
            .await
            .status()
            .as_u16(),
        emu.invoke("rate-limited", &token, body.clone())
            .await
            .status()
            .as_u16(),
        emu.invoke("rate-limited", &token, body.clone())
            .await
            .status()
            .as_u16(),
    ];
    assert_eq!(statuses, [429, 429, 429, 200]);
    // Invalid inputs are rejected before the throttle and do not use it up.
    emu.configure(json!({"rateLimitedFirst": 1})).await;
    assert_eq!(
        emu.invoke("rate-limited", &token, json!({"inputs": {}}))
            .await
            .status(),
        422
    );
    assert_eq!(
        emu.invoke("rate-limited", &token, body.clone())
            .await
            .status(),
        429
    );
    assert_eq!(emu.invoke("rate-limited", &token, body).await.status(), 200);
}
