use serde_json::{json, Value};

use crate::common::{error_codes, Emu};

#[tokio::test]
async fn definitions_describe_the_builtin_catalogue() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let expected = [
        ("lookup-customer", "sync", 3, 6),
        ("create-ticket", "sync", 10, 3),
        ("export-report", "async", 2, 2),
        ("sync-fails", "sync", 1, 6),
        ("async-fails", "async", 1, 2),
        ("async-cancelled", "async", 1, 2),
        ("never-finishes", "async", 1, 2),
        ("rate-limited", "sync", 3, 6),
    ];
    for (id, mode, inputs, outputs) in expected {
        let response = emu.definition(id, &token).await;
        assert_eq!(response.status(), 200, "{id}");
        assert_eq!(response.headers()["etag"], format!("\"v1-{id}\""), "{id}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["id"], id);
        assert_eq!(body["mode"], mode, "{id}");
        assert!(
            body["name"].is_string() && body["description"].is_string(),
            "{id}"
        );
        assert_eq!(
            body["inputs"].as_array().map(Vec::len),
            Some(inputs),
            "{id}"
        );
        assert_eq!(
            body["outputs"].as_array().map(Vec::len),
            Some(outputs),
            "{id}"
        );
        let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
        assert_eq!(
            keys.len(),
            6,
            "{id}: only the documented fields, got {keys:?}"
        );
    }
}

#[tokio::test]
async fn lookup_customer_definition_is_exact() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let body: Value = emu
        .definition("lookup-customer", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        body["inputs"],
        json!([
            {"name": "customerId", "type": "string", "required": true},
            {"name": "includeHistory", "type": "boolean", "required": false},
            {"name": "maxResults", "type": "integer", "required": false},
        ])
    );
    assert_eq!(
        body["outputs"],
        json!([
            {"name": "customerId", "type": "string"},
            {"name": "name", "type": "string"},
            {"name": "tier", "type": "string"},
            {"name": "balance", "type": "number"},
            {"name": "openTickets", "type": "integer"},
            {"name": "vip", "type": "boolean"},
        ])
    );
    let ticket: Value = emu
        .definition("create-ticket", &token)
        .await
        .json()
        .await
        .expect("json");
    let required: Vec<bool> = ticket["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| i["required"] == true)
        .collect();
    assert_eq!(
        required,
        [true, true, true, true, true, true, true, false, false, false]
    );
}

#[tokio::test]
async fn if_none_match_answers_304() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let first = emu.definition("export-report", &token).await;
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    for header in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
        "*".to_owned(),
    ] {
        let response = emu
            .http
            .get(emu.at("/api/v2/data-actions/export-report"))
            .bearer_auth(&token)
            .header("if-none-match", &header)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 304, "If-None-Match: {header}");
        assert_eq!(response.headers()["etag"], etag.as_str());
        assert!(response.bytes().await.expect("body").is_empty());
    }
    let response = emu
        .http
        .get(emu.at("/api/v2/data-actions/export-report"))
        .bearer_auth(&token)
        .header("if-none-match", "\"v0-export-report\"")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    // The ETag of another action does not match.
    let response = emu
        .http
        .get(emu.at("/api/v2/data-actions/lookup-customer"))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn unknown_actions_and_routes_are_404() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let response = emu.definition("no-such-action", &token).await;
    assert_eq!(response.status(), 404);
    assert_eq!(error_codes(response).await, ["NOT_FOUND"]);
    let response = emu
        .invoke("no-such-action", &token, json!({"inputs": {}}))
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(error_codes(response).await, ["NOT_FOUND"]);
    let response = emu
        .send(
            reqwest::Method::GET,
            "/api/v2/elsewhere",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(error_codes(response).await, ["NOT_FOUND"]);
    let response = emu
        .send(
            reqwest::Method::PUT,
            "/api/v2/data-actions/lookup-customer",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(response.status(), 405);
    assert_eq!(error_codes(response).await, ["METHOD_NOT_ALLOWED"]);
}
