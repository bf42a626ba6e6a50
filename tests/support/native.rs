//! A blocking native transport (ureq) and the real clock, for tests against the real emulator.
#![allow(dead_code)]

use std::future::Future;
use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cxone_data_actions::core::{HttpRequest, HttpResponse, TransportFailure, TransportFailureKind};
use cxone_data_actions::driver::{Runtime, Transport};

use super::Flag;

pub struct UreqTransport {
    agent: ureq::Agent,
}

impl Default for UreqTransport {
    fn default() -> Self {
        // Like the fetch transport: redirects come back as answers, not followed.
        UreqTransport { agent: ureq::AgentBuilder::new().redirects(0).build() }
    }
}

impl Transport<Flag> for UreqTransport {
    fn send(&self, request: HttpRequest, _signal: Option<&Flag>) -> impl Future<Output = Result<HttpResponse, TransportFailure>> {
        let mut call = self
            .agent
            .request(request.method.as_str(), &request.url)
            .timeout(Duration::from_millis(request.timeout_ms));
        for (name, value) in &request.headers {
            call = call.set(name, value);
        }
        let outcome = match &request.body {
            Some(body) => call.send_bytes(body),
            None => call.call(),
        };
        let result = match outcome {
            Ok(response) | Err(ureq::Error::Status(_, response)) => {
                let status = response.status();
                let headers = response
                    .headers_names()
                    .into_iter()
                    .filter_map(|name| response.header(&name).map(|v| (name.clone(), v.to_string())))
                    .collect();
                let mut body = Vec::new();
                match response.into_reader().read_to_end(&mut body) {
                    Ok(_) => Ok(HttpResponse { status, headers, body }),
                    Err(e) => Err(TransportFailure::new(TransportFailureKind::Network, e.to_string())),
                }
            }
            Err(ureq::Error::Transport(t)) => {
                let text = t.to_string();
                let kind = if text.contains("timed out") { TransportFailureKind::Timeout } else { TransportFailureKind::Network };
                Err(TransportFailure::new(kind, text))
            }
        };
        async move { result }
    }
}

#[derive(Clone, Copy, Default)]
pub struct SystemClock;

impl Runtime for SystemClock {
    type Signal = Flag;
    fn now_ms(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }
    fn sleep(&self, ms: u64, signal: Option<&Flag>) -> impl Future<Output = ()> {
        let deadline = std::time::Instant::now() + Duration::from_millis(ms);
        while std::time::Instant::now() < deadline {
            if signal.is_some_and(|s| s.0.get()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5).min(deadline - std::time::Instant::now()));
        }
        async {}
    }
}

/// Starts an emulator playing `profile` on its own runtime thread; answers its origin.
pub fn start_emulator(profile: cxone_emulator::Profile) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let config = cxone_emulator::Config { port: 0, profile, ..cxone_emulator::Config::default() };
            let server = cxone_emulator::start(config).await.expect("emulator starts");
            tx.send(server.url().trim_end_matches('/').to_string()).expect("send url");
            std::future::pending::<()>().await;
            drop(server);
        });
    });
    rx.recv_timeout(Duration::from_secs(10)).expect("emulator url")
}
