//! The genesys-cloud profile over real HTTP: the login service, actions with their contracts,
//! execute, the listing's paging, `ErrorBody` answers and the fault knobs.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use cxone_emulator::Profile;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::common::{basic, demo_basic, Emu};

const ACTIONS: &str = "/api/v2/integrations/actions";

async fn genesys() -> Emu {
    Emu::profile(Profile::GenesysCloud).await
}

async fn login(emu: &Emu, authorization: Option<&str>, form: &str) -> Response {
    emu.post_form(&emu.at("/oauth/token"), authorization, form)
        .await
}

/// A token of the demo client (the login answers 200).
async fn token(emu: &Emu) -> String {
    let response = login(emu, Some(&demo_basic()), "grant_type=client_credentials").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

async fn execute(emu: &Emu, id: &str, token: &str, body: Value) -> Response {
    emu.send(
        Method::POST,
        &format!("{ACTIONS}/{id}/execute"),
        Some(token),
        Some(&body),
    )
    .await
}

async fn get(emu: &Emu, path: &str, token: &str) -> Response {
    emu.send(Method::GET, path, Some(token), None).await
}

/// Checks the `ErrorBody` shape and returns it with its status.
async fn error_body(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let header = response
        .headers()
        .get("inin-correlation-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = response.json().await.expect("json ErrorBody");
    for field in ["message", "code", "messageWithParams", "contextId"] {
        assert!(body[field].is_string(), "{field} in {body}");
    }
    assert_eq!(body["status"], status, "{body}");
    assert!(body["messageParams"].is_object(), "{body}");
    assert!(body["details"].is_array(), "{body}");
    assert_eq!(body["errors"], json!([]), "{body}");
    assert_eq!(
        header.as_deref(),
        body["contextId"].as_str(),
        "the correlation header is the contextId"
    );
    (status, body)
}

#[tokio::test]
async fn login_takes_basic_client_credentials() {
    let emu = genesys().await;
    let response = login(&emu, Some(&demo_basic()), "grant_type=client_credentials").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));
    let keys: HashSet<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from(["access_token", "token_type", "expires_in"])
    );
    assert_eq!(emu.stats().await["requests"]["token"], 1);
}

#[tokio::test]
async fn login_errors_are_the_login_services() {
    let emu = genesys().await;
    let good = demo_basic();
    for (authorization, form, status, error) in [
        (
            Some(basic("someone", "demo-secret")),
            "grant_type=client_credentials",
            400,
            "invalid_client",
        ),
        (
            Some(basic("demo-client", "wrong")),
            "grant_type=client_credentials",
            401,
            "invalid_client",
        ),
        (
            None,
            "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
            401,
            "invalid_client",
        ),
        (Some(good.clone()), "", 400, "invalid_request"),
        (
            Some(good.clone()),
            "grant_type=password",
            400,
            "unsupported_grant_type",
        ),
    ] {
        let response = login(&emu, authorization.as_deref(), form).await;
        assert_eq!(response.status(), status, "{form}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"], error, "{form}: {body}");
        assert!(body["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(body["description"], body["error_description"]);
        assert!(!body.to_string().contains("demo-secret"));
    }
    // A token of the seed's endpoint does not exist here.
    let response = emu
        .token_response(
            "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
        )
        .await;
    let (status, body) = error_body(response).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not.found")));
}

#[tokio::test]
async fn an_action_has_its_contract_when_expanded() {
    let emu = genesys().await;
    let token = token(&emu).await;
    let response = get(
        &emu,
        &format!("{ACTIONS}/lookup-customer?expand=contract&flatten=false"),
        &token,
    )
    .await;
    assert_eq!(response.status(), 200);
    let action: Value = response.json().await.expect("json");
    assert_eq!(action["id"], "lookup-customer");
    assert_eq!(action["name"], "Lookup customer");
    assert!(action["category"].is_string() && action["integrationId"].is_string());
    assert_eq!(action["secure"], false);
    assert_eq!(action["version"], 1);
    assert_eq!(action["selfUri"], format!("{ACTIONS}/lookup-customer"));
    assert!(action.get("config").is_none(), "config needs includeConfig");
    let input = &action["contract"]["input"]["inputSchema"];
    assert_eq!(input["type"], "object");
    assert_eq!(input["required"], json!(["customerId"]));
    assert_eq!(input["additionalProperties"], false);
    assert_eq!(
        input["properties"]["customerId"]["type"], "string",
        "{input}"
    );
    assert_eq!(input["properties"]["includeHistory"]["type"], "boolean");
    assert_eq!(input["properties"]["maxResults"]["type"], "integer");
    let output = &action["contract"]["output"]["successSchema"];
    assert_eq!(output["type"], "object");
    for (name, ty) in [
        ("customerId", "string"),
        ("balance", "number"),
        ("openTickets", "integer"),
        ("vip", "boolean"),
    ] {
        assert_eq!(output["properties"][name]["type"], ty, "{name}");
    }

    let plain: Value = get(&emu, &format!("{ACTIONS}/lookup-customer"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert!(plain.get("contract").is_none(), "{plain}");
    let with_config: Value = get(
        &emu,
        &format!("{ACTIONS}/export-report?includeConfig=true"),
        &token,
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(with_config["config"]["timeoutSeconds"], 2);
    assert!(with_config["config"]["request"]["requestUrlTemplate"].is_string());
    assert!(with_config["config"]["response"].is_object());
    assert_eq!(
        emu.stats().await["byAction"]["lookup-customer"]["definition"],
        2
    );
}

#[tokio::test]
async fn errors_are_error_bodies_with_fresh_context_ids() {
    let emu = genesys().await;
    let token = token(&emu).await;
    let (status, first) = error_body(get(&emu, &format!("{ACTIONS}/no-such"), &token).await).await;
    assert_eq!(status, 404);
    assert_eq!(first["code"], "not.found");
    assert_eq!(first["entityId"], "no-such");
    let (_, second) = error_body(get(&emu, &format!("{ACTIONS}/no-such"), &token).await).await;
    assert_ne!(first["contextId"], second["contextId"]);
    let (status, _) = error_body(execute(&emu, "no-such", &token, json!({})).await).await;
    assert_eq!(status, 404);

    let (status, body) =
        error_body(get(&emu, &format!("{ACTIONS}/restricted"), &token).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("missing.permissions"))
    );

    let (status, body) = error_body(emu.send(Method::GET, ACTIONS, None, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("authentication.required"))
    );
    let (status, body) = error_body(
        emu.send(Method::GET, ACTIONS, Some("not-a-token"), None)
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("bad.credentials"))
    );
    emu.control(Method::POST, "/_emulator/revoke-tokens").await;
    let (status, _) = error_body(get(&emu, ACTIONS, &token).await).await;
    assert_eq!(status, 401, "a revoked token is refused");

    let (status, body) = error_body(emu.send(Method::DELETE, ACTIONS, None, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (405, Some("method.not.allowed"))
    );
    let (status, _) = error_body(
        emu.send(Method::GET, "/api/v2/data-actions", None, None)
            .await,
    )
    .await;
    assert_eq!(status, 404, "the seed's routes are not served");
}

#[tokio::test]
async fn execute_takes_the_inputs_and_answers_the_success_object() {
    let emu = genesys().await;
    let token = token(&emu).await;
    let response = execute(
        &emu,
        "lookup-customer",
        &token,
        json!({"customerId": "C-42", "maxResults": 3}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let outputs: Value = response.json().await.expect("json");
    assert_eq!(outputs["customerId"], "C-42");
    assert_eq!(outputs["name"], "Customer C-42");
    let contract: Value = get(
        &emu,
        &format!("{ACTIONS}/lookup-customer?expand=contract"),
        &token,
    )
    .await
    .json()
    .await
    .expect("json");
    let properties = contract["contract"]["output"]["successSchema"]["properties"]
        .as_object()
        .expect("properties");
    let object = outputs.as_object().expect("object");
    assert_eq!(object.len(), properties.len());
    for (name, schema) in properties {
        let value = &object[name];
        let ok = match schema["type"].as_str() {
            Some("string") => value.is_string(),
            Some("number") => value.is_number(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("boolean") => value.is_boolean(),
            other => panic!("unexpected type {other:?}"),
        };
        assert!(ok, "{name} = {value} is not {}", schema["type"]);
    }
    // The emulator recorded what it was given.
    let listed = emu.control(Method::GET, "/_emulator/invocations").await;
    assert_eq!(listed["count"], 1);
    assert_eq!(
        listed["invocations"][0]["actionId"], "lookup-customer",
        "{listed}"
    );
    assert_eq!(emu.stats().await["requests"]["invoke"], 1);
}

#[tokio::test]
async fn execute_checks_inputs_against_the_schema() {
    let emu = genesys().await;
    let token = token(&emu).await;
    let (status, body) = error_body(
        execute(
            &emu,
            "lookup-customer",
            &token,
            json!({"maxResults": "10", "zeta": 1, "includeHistory": true}),
        )
        .await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad.request")));
    let details: Vec<(String, String)> = body["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            (
                d["errorCode"].as_str().expect("errorCode").to_owned(),
                d["fieldName"].as_str().expect("fieldName").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        details,
        [
            (
                "missing.required.property".to_owned(),
                "customerId".to_owned()
            ),
            ("invalid.type".to_owned(), "maxResults".to_owned()),
            ("additional.property".to_owned(), "zeta".to_owned()),
        ]
    );
    assert!(body["messageParams"]["issues"].is_string());
    for bad in [json!([1]), json!("x"), json!(null)] {
        let (status, body) = error_body(execute(&emu, "lookup-customer", &token, bad).await).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("bad.request")));
    }
    // The seed's envelope is not what this upstream takes.
    let (status, _) = error_body(
        execute(
            &emu,
            "lookup-customer",
            &token,
            json!({"inputs": {"customerId": "C1"}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    let response = emu
        .http
        .post(emu.at(&format!("{ACTIONS}/lookup-customer/execute")))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(r#"{"customerId":"C1"}"#)
        .send()
        .await
        .expect("send");
    let (status, _) = error_body(response).await;
    assert_eq!(status, 415);
    assert_eq!(
        emu.control(Method::GET, "/_emulator/invocations").await["count"],
        0,
        "nothing ran"
    );
}

#[tokio::test]
async fn a_failing_remote_endpoint_is_a_500_error_body() {
    let emu = genesys().await;
    let token = token(&emu).await;
    let (status, body) =
        error_body(execute(&emu, "sync-fails", &token, json!({"customerId": "C1"})).await).await;
    assert_eq!(status, 500);
    assert_eq!(body["code"], "internal.server.error");
    assert_eq!(body["details"][0]["errorCode"], "ACTION.REMOTE_ENDPOINT");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("CRM returned 500")));
}

#[tokio::test]
async fn an_execute_past_its_timeout_is_a_504() {
    let emu = genesys().await;
    let token = token(&emu).await;
    let started = Instant::now();
    let (status, body) = error_body(execute(&emu, "never-finishes", &token, json!({})).await).await;
    let took = started.elapsed();
    assert_eq!(
        (status, body["code"].as_str()),
        (504, Some("request.timeout"))
    );
    assert_eq!(body["messageParams"]["timeoutSeconds"], "1");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "answered at the 1 s timeout, after {took:?}"
    );
    // export-report's timeout is 2 s: 50 ms completes, 2.5 s does not.
    let response = execute(
        &emu,
        "export-report",
        &token,
        json!({"reportName": "r", "durationMs": 50}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let outputs: Value = response.json().await.expect("json");
    assert!(outputs["rowCount"].is_u64() && outputs["url"].is_string());
    let started = Instant::now();
    let (status, _) = error_body(
        execute(
            &emu,
            "export-report",
            &token,
            json!({"reportName": "r", "durationMs": 2500}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 504);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_millis(2400),
        "{took:?}"
    );
}

#[tokio::test]
async fn the_listing_pages_with_uris() {
    let emu = genesys().await;
    let token = token(&emu).await;
    let all: Vec<String> = emu.control(Method::GET, "/_emulator/catalogue").await["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a["definition"]["id"].as_str().expect("id").to_owned())
        .collect();
    let mut seen = Vec::new();
    let mut path = format!("{ACTIONS}?pageSize=4&pageNumber=1");
    let mut pages = 0;
    loop {
        let response = get(&emu, &path, &token).await;
        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.expect("json");
        pages += 1;
        assert_eq!(page["pageSize"], 4);
        assert_eq!(page["pageNumber"], pages);
        assert_eq!(page["total"], all.len());
        assert_eq!(page["pageCount"], all.len().div_ceil(4));
        assert_eq!(
            page["firstUri"],
            format!("{ACTIONS}?pageSize=4&pageNumber=1")
        );
        assert_eq!(page["selfUri"], path);
        assert_eq!(
            page["lastUri"],
            format!("{ACTIONS}?pageSize=4&pageNumber={}", all.len().div_ceil(4))
        );
        for entity in page["entities"].as_array().expect("entities") {
            assert!(entity["name"].is_string() && entity["selfUri"].is_string());
            seen.push(entity["id"].as_str().expect("id").to_owned());
        }
        match page.get("nextUri").and_then(Value::as_str) {
            Some(next) => path = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, all);
    assert_eq!(pages, all.len().div_ceil(4));

    let page: Value = get(&emu, &format!("{ACTIONS}?expand=contract"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["pageSize"], 25);
    assert!(page.get("nextUri").is_none());
    assert!(page["entities"][0]["contract"]["input"]["inputSchema"].is_object());
    let beyond: Value = get(&emu, &format!("{ACTIONS}?pageSize=4&pageNumber=9"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(beyond["entities"], json!([]));
    assert!(beyond.get("nextUri").is_none());
    for bad in ["pageSize=0", "pageSize=101", "pageNumber=0", "pageSize=x"] {
        let (status, body) = error_body(get(&emu, &format!("{ACTIONS}?{bad}"), &token).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid.value")),
            "{bad}"
        );
    }
    assert_eq!(emu.stats().await["requests"]["list"], pages + 6);
}

#[tokio::test]
async fn fault_knobs_answer_error_bodies() {
    let emu = genesys().await;
    let token = token(&emu).await;
    emu.configure(json!({"rate429": 1.0, "retryAfterSecs": 7}))
        .await;
    let response = get(&emu, ACTIONS, &token).await;
    assert_eq!(response.headers()["retry-after"], "7");
    let (status, body) = error_body(response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too.many.requests"))
    );
    assert_eq!(body["messageParams"]["retryAfter"], "7");
    emu.configure(json!({"rate429": 0.0, "rate503": 1.0})).await;
    let (status, body) =
        error_body(execute(&emu, "lookup-customer", &token, json!({"customerId": "C1"})).await)
            .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("service.unavailable"))
    );
    let stats = emu.stats().await;
    assert_eq!(
        (
            stats["faults"]["429"].as_u64(),
            stats["faults"]["503"].as_u64()
        ),
        (Some(1), Some(1))
    );
    // The login service is never faulted, but it is delayed.
    emu.configure(json!({"rate503": 0.0, "latencyMs": 150}))
        .await;
    let started = Instant::now();
    self::token(&emu).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn the_login_service_fails_on_demand() {
    let emu = genesys().await;
    emu.configure(json!({"retryAfterSecs": 3})).await;
    let set = emu
        .set_config_at(
            "/_emulator/signin-faults",
            json!({"failNext": 2, "status": 429}),
        )
        .await;
    assert_eq!(set.status(), 200);
    let good = demo_basic();
    for _ in 0..2 {
        let response = login(&emu, Some(&good), "grant_type=client_credentials").await;
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "3");
        let body: Value = response.json().await.expect("json");
        assert!(body["error"].is_string() && body["description"].is_string());
    }
    token(&emu).await;
    assert_eq!(emu.stats().await["requests"]["token"], 3);
}

#[tokio::test]
async fn the_rate_limited_action_throttles_then_answers() {
    let emu = genesys().await;
    let token = token(&emu).await;
    let first = execute(&emu, "rate-limited", &token, json!({"customerId": "C1"})).await;
    assert_eq!(first.headers()["retry-after"], "1");
    let (status, body) = error_body(first).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too.many.requests"))
    );
    let second = execute(&emu, "rate-limited", &token, json!({"customerId": "C1"})).await;
    assert_eq!(second.status(), 429);
    let date = second.headers()["retry-after"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(httpdate::parse_http_date(&date).is_ok(), "{date}");
    let third = execute(&emu, "rate-limited", &token, json!({"customerId": "C1"})).await;
    assert_eq!(third.status(), 200);
}
