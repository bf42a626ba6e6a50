//! Fault injection: added latency (fixed and jittered), random 429/503 answers, the shares of
//! callbacks dropped, duplicated or delayed, and the `rate-limited` action's scripted 429s with
//! both `Retry-After` forms, and the shape of sync invoke answers (padded, unsized). Every random
//! decision is drawn from the seedable fault RNG.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use http_body::Frame;
use serde::Serialize;

use crate::clock::http_date_after;
use crate::errors::{json_bytes_response, json_response, ApiError};
use crate::knobs::Knobs;
use crate::state::AppState;

/// A fault the knobs inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    TooManyRequests,
    Unavailable,
}

/// Which fault a uniform draw `u` in [0, 1) selects: [0, rate429) is a 429,
/// [rate429, rate429 + rate503) a 503.
pub fn select(knobs: &Knobs, u: f64) -> Option<Fault> {
    if u < knobs.rate_429 {
        Some(Fault::TooManyRequests)
    } else if u < knobs.rate_429 + knobs.rate_503 {
        Some(Fault::Unavailable)
    } else {
        None
    }
}

/// The jitter a uniform draw `u` in [0, 1) selects: 0..=`latencyJitterMs` ms.
pub fn jitter_ms(knobs: &Knobs, u: f64) -> u64 {
    let span = knobs.latency_jitter_ms.saturating_add(1) as f64;
    ((u * span) as u64).min(knobs.latency_jitter_ms)
}

/// Sleeps for the `latencyMs` knob plus a uniform 0..=`latencyJitterMs` ms (drawn only while
/// the jitter is set).
pub async fn delay(state: &AppState, knobs: &Knobs) {
    let jitter = if knobs.latency_jitter_ms > 0 {
        jitter_ms(knobs, state.fault_draw())
    } else {
        0
    };
    let total = knobs.latency_ms.saturating_add(jitter);
    if total > 0 {
        tokio::time::sleep(Duration::from_millis(total)).await;
    }
}

/// Whether something with probability `share` happens: never drawn for 0 (never) or 1 (always),
/// so a seeded sequence is disturbed only by the shares that are really random.
pub fn happens(state: &AppState, share: f64) -> bool {
    if share <= 0.0 {
        false
    } else if share >= 1.0 {
        true
    } else {
        state.fault_draw() < share
    }
}

/// What the knobs do to one callback, decided when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackFaults {
    /// Not sent at all.
    pub drop: bool,
    /// Waits `callbackDelayMs` first.
    pub delay: bool,
    /// Delivered twice.
    pub duplicate: bool,
}

/// Draws the faults of one callback: `callbackDrop` / `callbackDuplicate` apply to all,
/// `callbackDropRate` / `callbackDuplicateRate` to that share, `callbackDelayMs` to the share
/// `callbackDelayRate` (all by default).
pub fn callback_faults(state: &AppState, knobs: &Knobs) -> CallbackFaults {
    let drop = knobs.callback_drop || happens(state, knobs.callback_drop_rate);
    if drop {
        return CallbackFaults {
            drop,
            delay: false,
            duplicate: false,
        };
    }
    CallbackFaults {
        drop,
        delay: knobs.callback_delay_ms > 0 && happens(state, knobs.callback_delay_rate),
        duplicate: knobs.callback_duplicate || happens(state, knobs.callback_duplicate_rate),
    }
}

/// Decides whether this `/api` request gets a fault, counting it. The RNG is only drawn from
/// while a rate is set, so a seeded sequence is not disturbed by other traffic.
pub fn draw(state: &AppState, knobs: &Knobs) -> Option<Fault> {
    if knobs.rate_429 <= 0.0 && knobs.rate_503 <= 0.0 {
        return None;
    }
    let fault = select(knobs, state.fault_draw())?;
    match fault {
        Fault::TooManyRequests => state.stats.fault_429(),
        Fault::Unavailable => state.stats.fault_503(),
    }
    Some(fault)
}

/// [`draw`], answered in the seed's error shape.
pub fn inject(state: &AppState, knobs: &Knobs) -> Option<ApiError> {
    Some(match draw(state, knobs)? {
        Fault::TooManyRequests => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "too many requests, retry later",
        )
        .with_header(
            header::RETRY_AFTER,
            HeaderValue::from(knobs.retry_after_secs),
        ),
        Fault::Unavailable => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "the service is temporarily unavailable",
        ),
    })
}

/// The 429 of the `number`-th (1-based) throttled invoke of a `rate-limited` action: odd ones
/// say `Retry-After: 1`, even ones give an HTTP date one second (rounded up) ahead.
pub fn scripted_rate_limit(number: u64, now: SystemTime) -> ApiError {
    let retry_after = if number % 2 == 1 {
        HeaderValue::from_static("1")
    } else {
        HeaderValue::from_str(&http_date_after(now, 1)).unwrap_or(HeaderValue::from_static("1"))
    };
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        "the downstream CRM is throttling requests, retry later",
    )
    .with_header(header::RETRY_AFTER, retry_after)
}

/// A successful sync invoke answer as the knobs shape it: `answerPaddingBytes` spaces after the
/// JSON (still valid JSON), and with `answerChunked` no `Content-Length` (chunked).
pub fn shaped_answer<T: Serialize>(knobs: &Knobs, answer: &T) -> Response {
    if knobs.answer_padding_bytes == 0 && !knobs.answer_chunked {
        return json_response(StatusCode::OK, answer);
    }
    let mut bytes = match serde_json::to_vec(answer) {
        Ok(bytes) => bytes,
        Err(_) => return json_response(StatusCode::INTERNAL_SERVER_ERROR, "serialisation failed"),
    };
    let padding = usize::try_from(knobs.answer_padding_bytes).unwrap_or(usize::MAX);
    bytes.resize(bytes.len().saturating_add(padding), b' ');
    if knobs.answer_chunked {
        json_bytes_response(StatusCode::OK, Body::new(Unsized::new(bytes)))
    } else {
        json_bytes_response(StatusCode::OK, bytes)
    }
}

/// A body of unknown size (so hyper sends it chunked), in 64 KiB chunks.
struct Unsized {
    rest: Bytes,
}

impl Unsized {
    fn new(bytes: Vec<u8>) -> Self {
        Unsized { rest: Bytes::from(bytes) }
    }
}

impl http_body::Body for Unsized {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        let at = self.rest.len().min(64 * 1024);
        let chunk = self.rest.split_to(at);
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_map_to_faults() {
        let knobs = Knobs {
            rate_429: 0.2,
            rate_503: 0.3,
            ..Knobs::default()
        };
        assert_eq!(select(&knobs, 0.0), Some(Fault::TooManyRequests));
        assert_eq!(select(&knobs, 0.19), Some(Fault::TooManyRequests));
        assert_eq!(select(&knobs, 0.2), Some(Fault::Unavailable));
        assert_eq!(select(&knobs, 0.49), Some(Fault::Unavailable));
        assert_eq!(select(&knobs, 0.5), None);
        assert_eq!(select(&Knobs::default(), 0.0), None);
    }

    #[test]
    fn jitter_spans_zero_to_the_knob() {
        let knobs = Knobs {
            latency_jitter_ms: 50,
            ..Knobs::default()
        };
        assert_eq!(jitter_ms(&knobs, 0.0), 0);
        assert_eq!(jitter_ms(&knobs, 0.5), 25);
        assert_eq!(jitter_ms(&knobs, 0.999_999), 50);
        assert_eq!(jitter_ms(&Knobs::default(), 0.7), 0);
    }

    #[test]
    fn scripted_retry_after_alternates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(784_111_777_500);
        let first = scripted_rate_limit(1, now);
        let second = scripted_rate_limit(2, now);
        assert_eq!(first.headers[0].1, "1");
        assert_eq!(second.headers[0].1, "Sun, 06 Nov 1994 08:49:39 GMT");
        assert_eq!(first.status, StatusCode::TOO_MANY_REQUESTS);
    }
}
