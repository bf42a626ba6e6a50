//! The binary's contract: one stdout line with the URL, quiet stderr unless `--verbose`,
//! command-line knobs, clean exit on SIGTERM/SIGINT, exit code 2 on bad arguments.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

const BIN: &str = env!("CARGO_BIN_EXE_cxone-emulator");

struct Running {
    child: Child,
    url: String,
    stdout: BufReader<ChildStdout>,
}

async fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the binary");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line))
        .await
        .expect("the first line comes quickly")
        .expect("read");
    let url = line
        .strip_suffix('\n')
        .and_then(|l| l.strip_prefix("cxone-emulator listening on "))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .expect("loopback URL")
        .parse()
        .expect("port");
    assert_ne!(port, 0);
    Running { child, url, stdout }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args([name, &pid])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Waits for exit; returns the exit code, the rest of stdout and all of stderr.
async fn finish(mut running: Running) -> (Option<i32>, String, String) {
    let status = tokio::time::timeout(Duration::from_secs(10), running.child.wait())
        .await
        .expect("exits promptly")
        .expect("wait");
    let mut rest = String::new();
    running
        .stdout
        .read_to_string(&mut rest)
        .await
        .expect("stdout");
    let mut stderr = String::new();
    if let Some(mut err) = running.child.stderr.take() {
        err.read_to_string(&mut stderr).await.expect("stderr");
    }
    (status.code(), rest, stderr)
}

async fn token(url: &str, id: &str, secret: &str) -> reqwest::Response {
    client()
        .post(format!("{url}/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_id={id}&client_secret={secret}"
        ))
        .send()
        .await
        .expect("token")
}

#[tokio::test]
async fn prints_one_line_applies_options_and_stops_on_sigterm() {
    let running = spawn(&[
        "--port",
        "0",
        "--client-id",
        "cli-client",
        "--client-secret",
        "cli-secret",
        "--token-lifetime-secs",
        "7",
        "--rate-503",
        "1",
        "--seed",
        "3",
    ])
    .await;
    let http = client();
    let health = http
        .get(format!("{}/healthz", running.url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.text().await.expect("text"), "ok");
    assert_eq!(
        token(&running.url, "demo-client", "demo-secret")
            .await
            .status(),
        401
    );
    let response = token(&running.url, "cli-client", "cli-secret").await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["expires_in"], 7);
    let access = body["access_token"].as_str().expect("token").to_owned();
    let response = http
        .get(format!(
            "{}/api/v2/data-actions/lookup-customer",
            running.url
        ))
        .bearer_auth(&access)
        .send()
        .await
        .expect("definition");
    assert_eq!(
        response.status(),
        503,
        "--rate-503 1 faults every /api request"
    );
    let config: Value = http
        .get(format!("{}/_emulator/config", running.url))
        .send()
        .await
        .expect("config")
        .json()
        .await
        .expect("json");
    assert_eq!(config["seed"], 3);

    signal(&running.child, "-TERM");
    let (code, rest, stderr) = finish(running).await;
    assert_eq!(code, Some(0));
    assert_eq!(rest, "", "exactly one line on stdout");
    assert_eq!(stderr, "", "quiet by default");
}

#[tokio::test]
async fn verbose_logs_requests_without_secrets_and_stops_on_sigint() {
    let running = spawn(&[
        "--port=0",
        "--verbose",
        "--callback-signing-secret",
        "whsec_c2VjcmV0",
    ])
    .await;
    let response = token(&running.url, "demo-client", "demo-secret").await;
    let body: Value = response.json().await.expect("json");
    let access = body["access_token"].as_str().expect("token").to_owned();
    client()
        .post(format!(
            "{}/api/v2/data-actions/lookup-customer/invoke?debug=1",
            running.url
        ))
        .bearer_auth(&access)
        .json(&serde_json::json!({"inputs": {"customerId": "C"}}))
        .send()
        .await
        .expect("invoke");
    signal(&running.child, "-INT");
    let (code, rest, stderr) = finish(running).await;
    assert_eq!(code, Some(0));
    assert_eq!(rest, "");
    assert!(stderr.contains("POST /oauth2/token 200"), "{stderr}");
    assert!(
        stderr.contains("POST /api/v2/data-actions/lookup-customer/invoke 200"),
        "{stderr}"
    );
    for secret in [access.as_str(), "demo-secret", "c2VjcmV0", "debug=1"] {
        assert!(
            !stderr.contains(secret),
            "stderr leaks {secret:?}: {stderr}"
        );
    }
}

#[tokio::test]
async fn catalogue_files_are_loaded_or_rejected() {
    let dir = std::env::temp_dir();
    let good = dir.join(format!(
        "cxone-emulator-test-{}-good.json",
        std::process::id()
    ));
    let bad = dir.join(format!(
        "cxone-emulator-test-{}-bad.json",
        std::process::id()
    ));
    std::fs::write(&good, r#"[{"id":"from-file","mode":"sync","outputs":[{"name":"x","type":"integer"}],"script":{"outputs":{"x":7}}}]"#)
        .expect("write");
    std::fs::write(&bad, r#"[{"id":"from-file"}]"#).expect("write");

    let running = spawn(&[
        "--port",
        "0",
        "--catalogue",
        good.to_str().expect("utf-8 path"),
    ])
    .await;
    let body: Value = token(&running.url, "demo-client", "demo-secret")
        .await
        .json()
        .await
        .expect("json");
    let access = body["access_token"].as_str().expect("token").to_owned();
    let response = client()
        .post(format!(
            "{}/api/v2/data-actions/from-file/invoke",
            running.url
        ))
        .bearer_auth(&access)
        .json(&serde_json::json!({"inputs": {}}))
        .send()
        .await
        .expect("invoke");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["outputs"]["x"], 7);
    signal(&running.child, "-TERM");
    assert_eq!(finish(running).await.0, Some(0));

    let output = Command::new(BIN)
        .args(["--port", "0", "--catalogue"])
        .arg(&bad)
        .output()
        .await
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("from-file"));
    let _ = std::fs::remove_file(good);
    let _ = std::fs::remove_file(bad);
}

#[tokio::test]
async fn bad_arguments_and_busy_ports_fail() {
    for args in [
        &["--port", "x"][..],
        &["--rate-429", "2"],
        &["--nope"],
        &["--callback-signing-secret"],
    ] {
        let output = Command::new(BIN).args(args).output().await.expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("USAGE"),
            "{args:?}"
        );
    }
    let output = Command::new(BIN).arg("--help").output().await.expect("run");
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("--rate-503"));

    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port().to_string();
    let output = Command::new(BIN)
        .args(["--port", &port])
        .output()
        .await
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot listen"));

    let output = Command::new(BIN)
        .args(["--port", "0", "--callback-signing-secret", "whsec_***"])
        .output()
        .await
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test]
async fn the_profile_flag_picks_the_upstream() {
    let output = Command::new(BIN)
        .args(["--profile", "genesys"])
        .output()
        .await
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown profile"));

    let running = spawn(&[
        "--port",
        "0",
        "--profile",
        "genesys-cloud",
        "--client-id",
        "g-id",
        "--client-secret",
        "g-secret",
    ])
    .await;
    let http = client();
    let response = http
        .post(format!("{}/oauth/token", running.url))
        .basic_auth("g-id", Some("g-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "bearer");
    signal(&running.child, "-TERM");
    let (code, _, _) = finish(running).await;
    assert_eq!(code, Some(0));

    let running = spawn(&[
        "--port=0",
        "--profile=cxone",
        "--tenant-id",
        "t-cli",
        "--access-key-id",
        "ak",
        "--access-key-secret",
        "cli-access-key-secret",
        "--verbose",
    ])
    .await;
    let response = http
        .post(format!("{}/auth/token", running.url))
        .basic_auth("demo-client", Some("demo-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password&username=ak&password=cli-access-key-secret")
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), 200);
    let config: Value = http
        .get(format!(
            "{}/.well-known/cxone-configuration?tenantId=t-cli",
            running.url
        ))
        .send()
        .await
        .expect("configuration")
        .json()
        .await
        .expect("json");
    assert_eq!(config["api_endpoint"], running.url.as_str());
    signal(&running.child, "-TERM");
    let (code, _, stderr) = finish(running).await;
    assert_eq!(code, Some(0));
    assert!(stderr.contains("POST /auth/token 200"), "{stderr:?}");
    assert!(
        !stderr.contains("cli-access-key-secret"),
        "no secret in the logs: {stderr:?}"
    );
}
