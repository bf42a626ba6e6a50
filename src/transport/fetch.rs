//! A [`Transport`] over the global `fetch` (looked up on `globalThis` at each request, so it works
//! in Workers, Node 18+ and browsers alike) or over a fetch function the caller supplies.
//!
//! It carries one request: no retries, no status mapping (that is the core's). The exchange itself
//! is `fetch.js` beside this file, bound with wasm-bindgen: a request crosses the wasm boundary
//! once each way, and only the response headers the client reads ([`READ_RESPONSE_HEADERS`])
//! come back. It enforces the request's timeout with an `AbortController` and a timer that
//! covers the body too, and aborts when the caller's signal fires. Failure messages name the method
//! and URL, never headers or bodies (they carry the token and the client secret).

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::js_runtime::{AbortSignalHandle, MAX_TIMER_MS};
use crate::core::http::{is_sendable_header, redact_url, MAX_ANSWER_BYTES, READ_RESPONSE_HEADERS};
use crate::core::{HttpRequest, HttpResponse, TransportFailure, TransportFailureKind};
use crate::driver::{CancelSignal, Transport};

#[wasm_bindgen(module = "/src/transport/fetch.js")]
extern "C" {
    /// `{status, headers, body}` of a settled exchange.
    type FetchAnswer;
    #[wasm_bindgen(method, getter)]
    fn status(this: &FetchAnswer) -> f64;
    #[wasm_bindgen(method, getter)]
    fn headers(this: &FetchAnswer) -> String;
    #[wasm_bindgen(method, getter)]
    fn body(this: &FetchAnswer) -> Vec<u8>;

    /// `{kind, stage, detail}` of a failed exchange.
    type FetchFailure;
    #[wasm_bindgen(method, getter)]
    fn kind(this: &FetchFailure) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn stage(this: &FetchFailure) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn detail(this: &FetchFailure) -> Option<String>;

    #[wasm_bindgen(js_name = "sendRequest")]
    fn send_request_js(
        supplied_fetch: Option<&Function>,
        url: &str,
        method: &str,
        header_lines: &str,
        body: Option<&[u8]>,
        timeout_ms: f64,
        caller_signal: Option<&JsValue>,
        read_headers: &JsValue,
        max_answer_bytes: f64,
    ) -> Promise;
}

thread_local! {
    /// [`READ_RESPONSE_HEADERS`] as a JS array, made once.
    static READ_HEADERS: JsValue = READ_RESPONSE_HEADERS.iter().map(|name| JsValue::from_str(name)).collect::<js_sys::Array>().into();
}

/// The transport over `fetch`.
#[derive(Debug, Clone, Default)]
pub struct FetchTransport {
    fetch: Option<Function>,
}

impl FetchTransport {
    /// Sends through the global `fetch`.
    pub fn new() -> Self {
        FetchTransport { fetch: None }
    }

    /// Sends through `fetch` (called as `fetch(url, init)` with `this` undefined).
    pub fn with_fetch(fetch: Function) -> Self {
        FetchTransport { fetch: Some(fetch) }
    }

    /// Sends `request`; see [`Transport::send`].
    pub async fn send_request(
        &self,
        request: HttpRequest,
        signal: Option<&AbortSignalHandle>,
    ) -> Result<HttpResponse, TransportFailure> {
        let what = || format!("{} {}", request.method.as_str(), redact_url(&request.url));
        if signal.is_some_and(CancelSignal::is_cancelled) {
            return Err(TransportFailure::new(TransportFailureKind::Aborted, format!("{}: aborted before it was sent", what())));
        }
        // Checked here so that no platform's fetch quotes a bad value (a token, say) in its error.
        let header_lines = header_lines(&request.headers).ok_or_else(|| {
            TransportFailure::new(TransportFailureKind::Refused, format!("{}: a header holds a character HTTP does not allow", what()))
        })?;
        let pending = READ_HEADERS.with(|read_headers| {
            send_request_js(
                self.fetch.as_ref(),
                &request.url,
                request.method.as_str(),
                &header_lines,
                request.body.as_deref(),
                request.timeout_ms.clamp(1, MAX_TIMER_MS) as f64,
                signal.map(AbortSignalHandle::as_js),
                read_headers,
                MAX_ANSWER_BYTES as f64,
            )
        });
        match JsFuture::from(pending).await {
            Ok(answer) => {
                let answer: FetchAnswer = answer.unchecked_into();
                let status = answer.status();
                if !(100.0..=999.0).contains(&status) {
                    return Err(TransportFailure::new(TransportFailureKind::Network, format!("{}: not a Response", what())));
                }
                Ok(HttpResponse { status: status as u16, headers: parse_header_lines(&answer.headers()), body: answer.body() })
            }
            Err(failure) => {
                let failure: FetchFailure = failure.unchecked_into();
                let (kind, message) = match failure.kind().as_deref() {
                    Some("aborted") => (TransportFailureKind::Aborted, format!("{}: aborted by the caller", what())),
                    Some("timeout") => (TransportFailureKind::Timeout, format!("{}: no answer within {} ms", what(), request.timeout_ms)),
                    Some("too_large") => (
                        TransportFailureKind::TooLarge,
                        format!(
                            "{}: {}: {}",
                            what(),
                            failure.stage().unwrap_or_else(|| "the answer was not read".into()),
                            failure.detail().unwrap_or_default()
                        ),
                    ),
                    other => (
                        if other == Some("refused") { TransportFailureKind::Refused } else { TransportFailureKind::Network },
                        format!(
                            "{}: {}: {}",
                            what(),
                            failure.stage().unwrap_or_else(|| "request failed".into()),
                            failure.detail().unwrap_or_else(|| "unknown error".into())
                        ),
                    ),
                };
                Err(TransportFailure::new(kind, message))
            }
        }
    }
}

impl Transport<AbortSignalHandle> for FetchTransport {
    fn send(
        &self,
        request: HttpRequest,
        signal: Option<&AbortSignalHandle>,
    ) -> impl std::future::Future<Output = Result<HttpResponse, TransportFailure>> {
        self.send_request(request, signal)
    }
}

/// `name:value` lines joined with `\n`, or `None` when a header cannot be sent (`fetch` would
/// refuse it, and a line break would split a line here).
fn header_lines(headers: &[(String, String)]) -> Option<String> {
    let mut out = String::with_capacity(headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (name, value) in headers {
        if !is_sendable_header(name, value) {
            return None;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(name);
        out.push(':');
        out.push_str(value);
    }
    Some(out)
}

/// The answer's `name:value` lines as pairs.
fn parse_header_lines(lines: &str) -> Vec<(String, String)> {
    lines
        .split('\n')
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

