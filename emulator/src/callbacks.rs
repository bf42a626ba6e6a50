//! Callback delivery: Standard Webhooks signing, retries, and the drop / delay / duplicate
//! knobs (all or a share of callbacks, see [`faults::callback_faults`]). Deliveries run on their own tasks and never hold up an answer.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::http::{header, Request, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;

use crate::clock::unix_seconds;
use crate::faults;
use crate::invocations::{webhook_id, Attempt, CallbackJob, DeliveryState};
use crate::state::AppState;
use crate::stats::CallbackEvent;

/// Retries after a failed attempt (so at most 1 + RETRIES attempts per delivery).
pub const RETRIES: u32 = 3;
/// Wait before the first retry; doubled for each further one.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Limit of one attempt, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn http_client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_secs(2)));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector)
}

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("callback signing secret: the part after whsec_ is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("callback signing secret is empty")]
    Empty,
}

/// The HMAC key of a signing secret: base64-decoded after `whsec_`, else the raw bytes.
pub fn signing_key(secret: &str) -> Result<Vec<u8>, SigningError> {
    let key = match secret.strip_prefix("whsec_") {
        Some(encoded) => STANDARD.decode(encoded)?,
        None => secret.as_bytes().to_vec(),
    };
    if key.is_empty() {
        return Err(SigningError::Empty);
    }
    Ok(key)
}

/// `v1,<base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))>`.
pub fn sign(key: &[u8], msg_id: &str, timestamp: u64, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail; an empty signature would simply
    // not verify.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Starts delivering a callback on its own task.
pub fn spawn_delivery(state: Arc<AppState>, job: CallbackJob) {
    let epoch = state.epoch();
    tokio::spawn(deliver(state, job, epoch));
}

fn set_state(state: &AppState, invoke_id: &str, delivery: DeliveryState) {
    if let Some(target) = state
        .invocations()
        .get_mut(invoke_id)
        .and_then(|inv| inv.callback.as_mut())
    {
        target.state = delivery;
    }
}

async fn deliver(state: Arc<AppState>, job: CallbackJob, epoch: u64) {
    let knobs = state.knobs();
    let faults = faults::callback_faults(&state, &knobs);
    if faults.drop {
        state.stats.callback(CallbackEvent::Dropped);
        set_state(&state, &job.invoke_id, DeliveryState::Dropped);
        log(&state, &job, "dropped (callbackDrop / callbackDropRate)");
        return;
    }
    if faults.delay {
        tokio::time::sleep(Duration::from_millis(knobs.callback_delay_ms)).await;
    }
    let mut delivered = deliver_with_retries(&state, &job, epoch, false).await;
    if faults.duplicate && state.epoch() == epoch {
        state.stats.callback(CallbackEvent::Duplicated);
        delivered |= deliver_with_retries(&state, &job, epoch, true).await;
    }
    if state.epoch() == epoch {
        let last = if delivered {
            DeliveryState::Delivered
        } else {
            DeliveryState::Failed
        };
        set_state(&state, &job.invoke_id, last);
    }
}

enum AttemptResult {
    Delivered,
    Retry,
    GiveUp,
}

/// One delivery: up to 1 + [`RETRIES`] attempts. Returns whether the receiver took it.
async fn deliver_with_retries(
    state: &AppState,
    job: &CallbackJob,
    epoch: u64,
    duplicate: bool,
) -> bool {
    let msg_id = webhook_id(&job.invoke_id);
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=RETRIES + 1 {
        if state.epoch() != epoch {
            return false;
        }
        let now = SystemTime::now();
        let timestamp = unix_seconds(now);
        let mut request = Request::post(job.uri.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                header::USER_AGENT,
                concat!("cxone-emulator/", env!("CARGO_PKG_VERSION")),
            );
        let mut signed = None;
        if let Some(key) = state.settings.signing_key.as_deref() {
            request = request
                .header("webhook-id", msg_id.as_str())
                .header("webhook-timestamp", timestamp.to_string())
                .header(
                    "webhook-signature",
                    sign(key, &msg_id, timestamp, &job.body),
                );
            signed = Some(timestamp);
        }
        let result = match request.body(Full::new(job.body.clone())) {
            Ok(request) => {
                state.stats.callback(CallbackEvent::Sent);
                send(state, request).await
            }
            Err(e) => Err(format!("cannot build the request: {e}")),
        };
        let (outcome, http_status, error) = match result {
            Ok(status) if status.is_success() => {
                (AttemptResult::Delivered, Some(status.as_u16()), None)
            }
            Ok(status) if status.is_server_error() => {
                (AttemptResult::Retry, Some(status.as_u16()), None)
            }
            Ok(status) => (AttemptResult::GiveUp, Some(status.as_u16()), None),
            Err(error) => (AttemptResult::Retry, None, Some(error)),
        };
        if state.epoch() != epoch {
            return false;
        }
        if state.settings.verbose {
            let what = match (&http_status, &error) {
                (Some(code), _) => code.to_string(),
                (None, Some(e)) => e.clone(),
                (None, None) => String::new(),
            };
            log(
                state,
                job,
                &format!(
                    "attempt {attempt}{} -> {what}",
                    if duplicate { " (duplicate)" } else { "" }
                ),
            );
        }
        if let Some(target) = state
            .invocations()
            .get_mut(&job.invoke_id)
            .and_then(|inv| inv.callback.as_mut())
        {
            target.attempts.push(Attempt {
                attempt,
                duplicate,
                at: now,
                webhook_timestamp: signed,
                http_status,
                error,
            });
        }
        match outcome {
            AttemptResult::Delivered => {
                state.stats.callback(CallbackEvent::Delivered);
                return true;
            }
            AttemptResult::Retry if attempt <= RETRIES => {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            AttemptResult::Retry | AttemptResult::GiveUp => break,
        }
    }
    if state.epoch() == epoch {
        state.stats.callback(CallbackEvent::Failed);
    }
    false
}

/// Sends one request and reads (a bounded part of) the answer so the connection can be reused.
async fn send(state: &AppState, request: Request<Full<Bytes>>) -> Result<StatusCode, String> {
    let exchange = async {
        let response = state
            .http
            .request(request)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status();
        // The body is irrelevant; reading it only keeps the connection reusable.
        let _ = Limited::new(response.into_body(), 64 * 1024)
            .collect()
            .await;
        Ok(status)
    };
    match tokio::time::timeout(ATTEMPT_TIMEOUT, exchange).await {
        Ok(result) => result,
        Err(_) => Err(format!("timed out after {} s", ATTEMPT_TIMEOUT.as_secs())),
    }
}

fn log(state: &AppState, job: &CallbackJob, what: &str) {
    if state.settings.verbose {
        // Authority and path only: a query string could carry a secret.
        let host = job.uri.authority().map(|a| a.as_str()).unwrap_or("");
        eprintln!(
            "cxone-emulator: callback {} to http://{host}{}: {what}",
            job.invoke_id,
            job.uri.path()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_test_vector() {
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_or_default();
        assert_eq!(
            sign(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn raw_secrets_are_used_as_bytes() {
        assert_eq!(signing_key("plain").ok(), Some(b"plain".to_vec()));
        assert!(signing_key("whsec_!!!").is_err());
        assert!(signing_key("").is_err());
    }
}
