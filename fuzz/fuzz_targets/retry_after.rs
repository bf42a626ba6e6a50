//! `Retry-After` in every form (delta-seconds, the three HTTP date formats, anything else), and
//! the backoff draws that use it.
//!
//! Properties, besides "never panics":
//! - delta-seconds read as that many seconds (saturating), an HTTP date as the time until it
//!   (0 once it has passed), whatever the white space around;
//! - full-jitter backoff stays within `[min(floor, cap), min(cap, base * 2^attempt)]`;
//! - the retry decision waits what `Retry-After` said, never more than the policy allows.
#![no_main]

mod common;

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::{Result, Unstructured};
use cxone_data_actions::core::retry::{full_jitter_backoff, parse_retry_after, Jitter, RetryDecision, RetryGovernor, RetryableFailure};
use cxone_data_actions::core::{HttpResponse, RequestPurpose, RetryPolicy};
use libfuzzer_sys::fuzz_target;

const PAD: &[&str] = &["", " ", "\t", "  "];

fn check(u: &mut Unstructured<'_>) -> Result<()> {
    let now_ms = u.int_in_range(0..=4_102_444_800_000u64)?;
    let pad = *u.choose(PAD)?;
    let (value, expected) = match u.int_in_range(0..=3u8)? {
        0 => {
            let seconds: u64 = u.arbitrary()?;
            (format!("{pad}{seconds}{pad}"), Some(seconds.saturating_mul(1000)))
        }
        1 => {
            let at_s = u.int_in_range(0..=253_402_300_799u64)?;
            let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(at_s));
            (format!("{pad}{date}{pad}"), Some(at_s.saturating_mul(1000).saturating_sub(now_ms)))
        }
        2 => (common::text(u)?, None),
        _ => (String::from_utf8_lossy(u.arbitrary::<&[u8]>()?).into_owned(), None),
    };
    let parsed = parse_retry_after(&value, now_ms);
    if let Some(expected) = expected {
        assert_eq!(parsed, Some(expected), "{value:?} at {now_ms}");
    }

    let base = u.int_in_range(0..=60_000u64)?;
    let cap = u.int_in_range(0..=600_000u64)?;
    let floor = u.int_in_range(0..=10_000u64)?;
    let attempt = u.arbitrary::<u32>()?;
    let mut jitter = Jitter::new(u.arbitrary()?);
    let delay = full_jitter_backoff(&mut jitter, base, cap, floor, attempt);
    let envelope = base.saturating_mul(1u64 << attempt.min(32)).min(cap);
    assert!(delay >= floor.min(cap) && delay <= envelope.max(floor.min(cap)), "{delay} outside [{floor}, {envelope}]");

    let policy = RetryPolicy { max_attempts: u.int_in_range(1..=20u32)?, ..RetryPolicy::default() };
    let max_retry_after_ms = policy.max_retry_after_ms;
    let mut governor = RetryGovernor::new(policy, u.arbitrary()?);
    let status = *u.choose(&[429u16, 502, 503, 504, 200, 500])?;
    let response = HttpResponse { status, headers: vec![("Retry-After".into(), value.clone())], body: Vec::new() };
    if let Some(failure) = RetryableFailure::from_response(&response, now_ms) {
        let purpose = *u.choose(&[RequestPurpose::Invoke, RequestPurpose::Status, RequestPurpose::Definition])?;
        match governor.decide(purpose, &failure, 1) {
            RetryDecision::RetryAfter(wait_ms) => {
                if let Some(said) = parsed {
                    assert_eq!(wait_ms, said, "{value:?}");
                }
                assert!(parsed.is_none() || wait_ms <= max_retry_after_ms);
            }
            RetryDecision::NotIdempotent => assert!(purpose == RequestPurpose::Invoke && status != 429),
            RetryDecision::RetryAfterTooLong => assert!(parsed.is_some_and(|ms| ms > max_retry_after_ms)),
            RetryDecision::AttemptsExhausted | RetryDecision::BudgetExhausted => {}
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = check(&mut Unstructured::new(data));
});
