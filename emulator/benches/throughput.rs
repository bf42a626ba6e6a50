//! Throughput of sync invokes against an in-process emulator.
//!
//! Starts the emulator on 127.0.0.1:0, obtains a token, then drives `lookup-customer` sync
//! invokes over keep-alive HTTP/1.1 connections (one request in flight per connection) until a
//! request count or a time limit is reached, and prints:
//!
//! `emulator sync invoke throughput: N req/s (C connections, M requests, p50 X ms, p99 Y ms)`
//!
//! Tunables (environment): `EMULATOR_BENCH_CONNECTIONS` (32), `EMULATOR_BENCH_REQUESTS`
//! (50000), `EMULATOR_BENCH_SECS` (5). Run with `cargo bench -p cxone-emulator`.
//! The client shares the machine with the server, so the figure is a lower bound.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn connect(addr: std::net::SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
}

async fn token(addr: std::net::SocketAddr) -> String {
    let mut sender = connect(addr).await;
    let request = Request::post("/oauth2/token")
        .header("host", addr.to_string())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(
            b"grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
        )))
        .expect("request");
    let response = sender.send_request(request).await.expect("token");
    assert_eq!(response.status(), StatusCode::OK);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
    json["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// Sends invokes on one connection until the shared budget or the deadline runs out;
/// returns the latencies in microseconds and the number of failures.
async fn worker(
    addr: std::net::SocketAddr,
    authorization: Arc<str>,
    issued: Arc<AtomicU64>,
    budget: u64,
    deadline: Instant,
) -> (Vec<u32>, u64) {
    let mut sender = connect(addr).await;
    let host = addr.to_string();
    let mut latencies = Vec::with_capacity(4096);
    let mut failures = 0;
    loop {
        let n = issued.fetch_add(1, Ordering::Relaxed);
        if n >= budget || Instant::now() >= deadline {
            break;
        }
        let body = format!(
            r#"{{"inputs":{{"customerId":"C-{}","maxResults":5}}}}"#,
            n % 1000
        );
        let request = Request::post("/api/v2/data-actions/lookup-customer/invoke")
            .header("host", host.as_str())
            .header("authorization", authorization.as_ref())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        if sender.ready().await.is_err() {
            failures += 1;
            sender = connect(addr).await;
            continue;
        }
        let started = Instant::now();
        match sender.send_request(request).await {
            Ok(response) => {
                let ok = response.status() == StatusCode::OK;
                let body = response.into_body().collect().await;
                if ok && body.is_ok() {
                    latencies
                        .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
                } else {
                    failures += 1;
                }
            }
            Err(_) => {
                failures += 1;
                sender = connect(addr).await;
            }
        }
    }
    (latencies, failures)
}

async fn run_phase(
    addr: std::net::SocketAddr,
    authorization: Arc<str>,
    connections: u64,
    budget: u64,
    limit: Duration,
) -> (Vec<u32>, u64, Duration) {
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + limit;
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(worker(
                addr,
                Arc::clone(&authorization),
                Arc::clone(&issued),
                budget,
                deadline,
            ))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (l, f) = task.await.expect("worker");
        latencies.extend(l);
        failures += f;
    }
    (latencies, failures, started.elapsed())
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[index]) / 1000.0
}

fn main() {
    // `cargo bench` passes `--bench` (and maybe a filter); this bench takes no arguments.
    let connections = env_or("EMULATOR_BENCH_CONNECTIONS", 32).max(1);
    let budget = env_or("EMULATOR_BENCH_REQUESTS", 50_000);
    let seconds = env_or("EMULATOR_BENCH_SECS", 5);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let server = cxone_emulator::start(cxone_emulator::Config { port: 0, ..Default::default() })
            .await
            .expect("emulator starts");
        let addr = server.addr();
        let authorization: Arc<str> = format!("Bearer {}", token(addr).await).into();

        // Warm-up: connections, allocator, caches.
        let (_, warm_failures, _) =
            run_phase(addr, Arc::clone(&authorization), connections, 2_000, Duration::from_secs(2)).await;
        assert_eq!(warm_failures, 0, "warm-up requests failed");

        let (mut latencies, failures, elapsed) =
            run_phase(addr, authorization, connections, budget, Duration::from_secs(seconds)).await;
        latencies.sort_unstable();
        let done = latencies.len() as u64;
        let rate = done as f64 / elapsed.as_secs_f64();
        println!(
            "emulator sync invoke throughput: {:.0} req/s ({connections} connections, {done} requests, p50 {:.2} ms, p99 {:.2} ms)",
            rate,
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
        );
        server.shutdown().await;
        if failures > 0 {
            eprintln!("{failures} requests failed");
            std::process::exit(1);
        }
    });
}
