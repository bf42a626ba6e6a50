use reqwest::Method;
use serde_json::{json, Value};

use cxone_emulator::{Catalogue, Config};

use crate::common::{error_codes, Emu, EXECUTE};

async fn list(emu: &Emu, query: &str, token: Option<&str>) -> reqwest::Response {
    emu.send(
        Method::GET,
        &format!("/api/v2/data-actions{query}"),
        token,
        None,
    )
    .await
}

async fn list_json(emu: &Emu, query: &str, token: &str) -> Value {
    let response = list(emu, query, Some(token)).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.expect("json")
}

#[tokio::test]
async fn the_first_page_lists_the_builtins_with_id_name_and_mode() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let page = list_json(&emu, "", &token).await;
    let ids: Vec<&str> = page["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "lookup-customer",
            "create-ticket",
            "export-report",
            "sync-fails",
            "async-fails",
            "async-cancelled",
            "never-finishes",
            "rate-limited",
            "restricted"
        ]
    );
    assert_eq!(page["total"], 9);
    assert!(page.get("nextPageToken").is_none(), "{page}");
    assert_eq!(
        page["actions"][0],
        json!({"id": "lookup-customer", "name": "Lookup customer", "mode": "sync"})
    );
    assert_eq!(page["actions"][2]["mode"], "async");
    // Only the three documented fields per entry.
    for action in page["actions"].as_array().expect("actions") {
        assert_eq!(action.as_object().map(|o| o.len()), Some(3), "{action}");
    }
}

#[tokio::test]
async fn pages_follow_the_token_until_the_end() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    let mut seen: Vec<String> = Vec::new();
    let mut query = "?pageSize=4".to_owned();
    let mut pages = 0;
    loop {
        let page = list_json(&emu, &query, &token).await;
        pages += 1;
        let actions = page["actions"].as_array().expect("actions");
        assert!(actions.len() <= 4);
        seen.extend(
            actions
                .iter()
                .filter_map(|a| a["id"].as_str().map(str::to_owned)),
        );
        match page["nextPageToken"].as_str() {
            Some(next) => query = format!("?pageSize=4&pageToken={next}"),
            None => break,
        }
    }
    assert_eq!(pages, 3, "9 actions in pages of 4");
    assert_eq!(seen.len(), 9);
    assert_eq!(seen.first().map(String::as_str), Some("lookup-customer"));
    assert_eq!(seen.last().map(String::as_str), Some("restricted"));
    let stats = emu.stats().await;
    assert_eq!(stats["requests"]["list"], 3);
}

#[tokio::test]
async fn bad_queries_are_400_naming_the_parameter() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    for (query, names) in [
        ("?pageSize=0", "pageSize"),
        ("?pageSize=101", "pageSize"),
        ("?pageSize=ten", "pageSize"),
        ("?pageToken=not-an-action", "pageToken"),
        ("?limit=5", "limit"),
    ] {
        let response = list(&emu, query, Some(&token)).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["errors"][0]["code"], "BAD_REQUEST", "{query}");
        let message = body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains(names), "{query}: {message}");
    }
}

#[tokio::test]
async fn listing_needs_a_token_with_the_read_scope() {
    let emu = Emu::start().await;
    let response = list(&emu, "", None).await;
    assert_eq!(response.status(), 401);
    let execute_only = emu.token_with(Some(EXECUTE)).await;
    let response = list(&emu, "", Some(&execute_only)).await;
    assert_eq!(response.status(), 403);
    assert_eq!(error_codes(response).await, ["MISSING_SCOPE"]);
    let response = emu
        .send(
            Method::POST,
            "/api/v2/data-actions",
            Some(&execute_only),
            None,
        )
        .await;
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn a_catalogue_file_changes_the_list() {
    let catalogue = Catalogue::empty()
        .extend_from_json(
            r#"{"replaceBuiltins": true, "actions": [
                {"id": "only-one", "name": "Only one", "description": "d", "mode": "async",
                 "script": {"durationMs": 10, "outcome": "completed"}}]}"#,
        )
        .expect("catalogue");
    let emu = Emu::with(Config {
        catalogue,
        ..Config::default()
    })
    .await;
    let token = emu.token().await;
    let page = list_json(&emu, "?pageSize=1", &token).await;
    assert_eq!(
        page,
        json!({"actions": [{"id": "only-one", "name": "Only one", "mode": "async"}], "total": 1})
    );
}

#[tokio::test]
async fn injected_faults_apply_to_the_list_too() {
    let emu = Emu::start().await;
    let token = emu.token().await;
    emu.configure(json!({"rate503": 1.0})).await;
    let response = list(&emu, "", Some(&token)).await;
    assert_eq!(response.status(), 503);
}
