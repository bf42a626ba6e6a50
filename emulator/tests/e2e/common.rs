use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use cxone_emulator::{Config, Profile, RunningServer};
use reqwest::{Method, Response};
use serde_json::Value;
use tokio::sync::mpsc;

pub const READ: &str = "data-actions:read";
pub const EXECUTE: &str = "data-actions:execute";

/// An `Authorization: Basic base64(id:secret)` value.
pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// The demo OAuth client's `Authorization: Basic` value.
pub fn demo_basic() -> String {
    basic("demo-client", "demo-secret")
}

pub struct Emu {
    pub url: String,
    pub http: reqwest::Client,
    _server: RunningServer,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

impl Emu {
    pub async fn start() -> Emu {
        Emu::with(Config::default()).await
    }

    /// An emulator playing `profile`, otherwise with the defaults.
    pub async fn profile(profile: Profile) -> Emu {
        Emu::with(Config {
            profile,
            ..Config::default()
        })
        .await
    }

    pub async fn with(config: Config) -> Emu {
        let server = cxone_emulator::start(Config { port: 0, ..config })
            .await
            .expect("emulator starts");
        Emu {
            url: server.url().to_owned(),
            http: client(),
            _server: server,
        }
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// POSTs `form` (`application/x-www-form-urlencoded`) to the absolute `url`, with this
    /// `Authorization` header if one is given.
    pub async fn post_form(&self, url: &str, authorization: Option<&str>, form: &str) -> Response {
        let mut request = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned());
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send().await.expect("form request")
    }

    pub async fn token_response(&self, form: &str) -> Response {
        self.post_form(&self.at("/oauth2/token"), None, form).await
    }

    /// A token with the given scope parameter (`None`: no scope parameter).
    pub async fn token_with(&self, scope: Option<&str>) -> String {
        let mut form =
            "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret"
                .to_owned();
        if let Some(scope) = scope {
            form.push_str("&scope=");
            form.push_str(&scope.replace(' ', "+").replace(':', "%3A"));
        }
        let response = self.token_response(&form).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("token json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn token(&self) -> String {
        self.token_with(None).await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.http.request(method, self.at(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    pub async fn definition(&self, id: &str, token: &str) -> Response {
        self.send(
            Method::GET,
            &format!("/api/v2/data-actions/{id}"),
            Some(token),
            None,
        )
        .await
    }

    pub async fn invoke(&self, id: &str, token: &str, body: Value) -> Response {
        self.send(
            Method::POST,
            &format!("/api/v2/data-actions/{id}/invoke"),
            Some(token),
            Some(&body),
        )
        .await
    }

    pub async fn poll(&self, id: &str, invoke_id: &str, token: &str) -> Response {
        self.send(
            Method::GET,
            &format!("/api/v2/data-actions/{id}/invoke/{invoke_id}"),
            Some(token),
            None,
        )
        .await
    }

    pub async fn cancel(&self, id: &str, invoke_id: &str, token: &str) -> Response {
        self.send(
            Method::DELETE,
            &format!("/api/v2/data-actions/{id}/invoke/{invoke_id}"),
            Some(token),
            None,
        )
        .await
    }

    pub async fn set_config(&self, patch: Value) -> Response {
        self.send(Method::POST, "/_emulator/config", None, Some(&patch))
            .await
    }

    /// POSTs a JSON body to a control path.
    pub async fn set_config_at(&self, path: &str, body: Value) -> Response {
        self.send(Method::POST, path, None, Some(&body)).await
    }

    pub async fn configure(&self, patch: Value) {
        let response = self.set_config(patch).await;
        assert_eq!(
            response.status(),
            200,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }

    pub async fn control(&self, method: Method, path: &str) -> Value {
        let response = self.send(method, path, None, None).await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    pub async fn stats(&self) -> Value {
        self.control(Method::GET, "/_emulator/stats").await
    }

    pub async fn view(&self, invoke_id: &str) -> Value {
        self.control(Method::GET, &format!("/_emulator/invocations/{invoke_id}"))
            .await
    }

    /// Invokes an async action and returns its invokeId.
    pub async fn start_async(&self, id: &str, token: &str, body: Value) -> String {
        let response = self.invoke(id, token, body).await;
        assert_eq!(response.status(), 202);
        let body: Value = response.json().await.expect("json");
        body["invokeId"].as_str().expect("invokeId").to_owned()
    }

    /// Polls until the status is terminal (or 5 s pass) and returns the last body.
    pub async fn wait_terminal(&self, id: &str, invoke_id: &str, token: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let response = self.poll(id, invoke_id, token).await;
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.expect("json");
            let status = body["status"].as_str().unwrap_or("").to_owned();
            if ["completed", "failed", "cancelled"].contains(&status.as_str())
                || Instant::now() > deadline
            {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// The errors[] codes of an error body.
pub async fn error_codes(response: Response) -> Vec<String> {
    let body: Value = response.json().await.expect("json error body");
    body["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| e["code"].as_str().expect("code").to_owned())
        .collect()
}

/// One request received by the callback receiver.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("callback body is JSON")
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }
}

#[derive(Clone)]
struct ReceiverState {
    tx: mpsc::UnboundedSender<Received>,
    /// Statuses to answer, in order; 200 once they run out.
    script: Arc<Mutex<Vec<u16>>>,
    calls: Arc<AtomicUsize>,
    delay: Duration,
}

/// A tiny HTTP server that records callbacks.
pub struct Receiver {
    pub url: String,
    rx: mpsc::UnboundedReceiver<Received>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let _ = state.tx.send(Received {
        headers,
        body,
        at: Instant::now(),
    });
    let n = state.calls.fetch_add(1, Ordering::SeqCst);
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    let code = state
        .script
        .lock()
        .expect("lock")
        .get(n)
        .copied()
        .unwrap_or(200);
    StatusCode::from_u16(code).expect("status")
}

impl Receiver {
    pub async fn start() -> Receiver {
        Receiver::scripted(Vec::new(), Duration::ZERO).await
    }

    pub async fn scripted(statuses: Vec<u16>, delay: Duration) -> Receiver {
        let (tx, rx) = mpsc::unbounded_channel();
        let state = ReceiverState {
            tx,
            script: Arc::new(Mutex::new(statuses)),
            calls: Arc::new(AtomicUsize::new(0)),
            delay,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            rx,
            task,
        }
    }

    pub async fn next(&mut self, within: Duration) -> Option<Received> {
        tokio::time::timeout(within, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    pub async fn expect(&mut self) -> Received {
        self.next(Duration::from_secs(5))
            .await
            .expect("a callback arrives")
    }
}
