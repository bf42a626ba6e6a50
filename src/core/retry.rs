//! Retry rules: which failures are retried, how long to wait (`Retry-After` in both forms, or
//! exponential backoff with full jitter), and a budget that stops retry storms. Randomness comes
//! from a seeded generator, so tests are deterministic.

use super::config::RetryPolicy;
use super::http::{HttpResponse, RequestPurpose, TransportFailure, TransportFailureKind};

/// A small seeded pseudo-random generator (SplitMix64): jitter needs no cryptographic quality.
#[derive(Debug, Clone)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    /// A generator from a seed (the shells seed it from the platform's random source).
    pub fn new(seed: u64) -> Self {
        Jitter { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in `[0, max]`.
    pub fn up_to(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            return self.next_u64();
        }
        self.next_u64() % (max + 1)
    }
}

/// Exponential backoff with full jitter: a draw in `[0, min(cap, base * 2^attempt)]`, at least `floor`.
pub fn full_jitter_backoff(jitter: &mut Jitter, base_ms: u64, cap_ms: u64, floor_ms: u64, attempt: u32) -> u64 {
    let exponential = base_ms.saturating_mul(1u64 << attempt.min(32));
    jitter.up_to(exponential.min(cap_ms)).max(floor_ms.min(cap_ms))
}

/// `Retry-After` as milliseconds from `now_ms`: delta-seconds or an HTTP date. A date in the past
/// means "now"; anything unreadable is `None`.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    let when_ms = when.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    let when_ms = u64::try_from(when_ms).ok()?;
    Some(when_ms.saturating_sub(now_ms))
}

/// A token bucket shared by every call of a client: retries spend from it, successes refill it.
/// When it runs dry, failures are returned at once instead of multiplying load on an upstream
/// that is already failing.
#[derive(Debug, Clone)]
pub struct RetryBudget {
    capacity: u32,
    available: u32,
}

impl RetryBudget {
    /// A full bucket.
    pub fn new(capacity: u32) -> Self {
        RetryBudget { capacity, available: capacity }
    }

    /// Spends `cost` if the bucket holds it.
    pub fn try_spend(&mut self, cost: u32) -> bool {
        if self.available >= cost {
            self.available -= cost;
            true
        } else {
            false
        }
    }

    /// A success puts one back.
    pub fn refill_one(&mut self) {
        self.available = self.available.saturating_add(1).min(self.capacity);
    }

    /// What is left.
    pub fn available(&self) -> u32 {
        self.available
    }
}

/// The retry policy with its budget and its random source: one per client.
#[derive(Debug, Clone)]
pub struct RetryGovernor {
    /// The policy.
    pub policy: RetryPolicy,
    /// The shared budget.
    pub budget: RetryBudget,
    /// Jitter source (also used for poll intervals).
    pub jitter: Jitter,
}

impl RetryGovernor {
    /// A governor with a full budget.
    pub fn new(policy: RetryPolicy, seed: u64) -> Self {
        let budget = RetryBudget::new(policy.budget_capacity);
        RetryGovernor { policy, budget, jitter: Jitter::new(seed) }
    }
}

/// How a failed attempt is classified for retrying.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryableFailure {
    /// 429: the upstream refused before doing anything, so even an invoke may be repeated.
    RateLimited {
        /// `Retry-After`, in milliseconds.
        retry_after_ms: Option<u64>,
    },
    /// 502, 503 or 504: retried for idempotent requests only.
    Unavailable {
        /// `Retry-After`, in milliseconds, if the upstream sent one.
        retry_after_ms: Option<u64>,
    },
    /// No response at all: retried for idempotent requests only.
    Transport(TransportFailureKind),
}

impl RetryableFailure {
    /// Classifies a response; `None` for answers that are not retried.
    pub fn from_response(response: &HttpResponse, now_ms: u64) -> Option<Self> {
        let retry_after_ms = response.header("retry-after").and_then(|v| parse_retry_after(v, now_ms));
        match response.status {
            429 => Some(RetryableFailure::RateLimited { retry_after_ms }),
            502..=504 => Some(RetryableFailure::Unavailable { retry_after_ms }),
            _ => None,
        }
    }

    /// Classifies a transport failure; an abort, a refusal or a too-large answer is never retried.
    pub fn from_transport(failure: &TransportFailure) -> Option<Self> {
        match failure.kind {
            TransportFailureKind::Aborted | TransportFailureKind::Refused | TransportFailureKind::TooLarge => None,
            kind => Some(RetryableFailure::Transport(kind)),
        }
    }
}

/// The answer to "try again?" (smithy's `ShouldAttempt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Send again after this many milliseconds.
    RetryAfter(u64),
    /// The policy's attempts are used up.
    AttemptsExhausted,
    /// The client-wide retry budget is empty.
    BudgetExhausted,
    /// The upstream asks for a longer wait than the policy allows.
    RetryAfterTooLong,
    /// Repeating this request could run the action twice.
    NotIdempotent,
}

/// Whether requests of this purpose may be repeated after a failure whose outcome is unknown.
pub fn is_idempotent(purpose: RequestPurpose) -> bool {
    !matches!(purpose, RequestPurpose::Invoke)
}

impl RetryGovernor {
    /// Decides about attempt number `attempts_made` (1 for the first request) that failed so.
    pub fn decide(&mut self, purpose: RequestPurpose, failure: &RetryableFailure, attempts_made: u32) -> RetryDecision {
        let retry_after_ms = match failure {
            RetryableFailure::RateLimited { retry_after_ms } => *retry_after_ms,
            RetryableFailure::Unavailable { .. } | RetryableFailure::Transport(_) if !is_idempotent(purpose) => {
                return RetryDecision::NotIdempotent;
            }
            RetryableFailure::Unavailable { retry_after_ms } => *retry_after_ms,
            RetryableFailure::Transport(_) => None,
        };
        if attempts_made >= self.policy.max_attempts {
            return RetryDecision::AttemptsExhausted;
        }
        if retry_after_ms.is_some_and(|ms| ms > self.policy.max_retry_after_ms) {
            return RetryDecision::RetryAfterTooLong;
        }
        let cost = match failure {
            RetryableFailure::Transport(TransportFailureKind::Timeout) => self.policy.timeout_retry_cost,
            _ => self.policy.retry_cost,
        };
        if !self.budget.try_spend(cost) {
            return RetryDecision::BudgetExhausted;
        }
        let delay = retry_after_ms.unwrap_or_else(|| {
            full_jitter_backoff(
                &mut self.jitter,
                self.policy.base_delay_ms,
                self.policy.max_delay_ms,
                self.policy.base_delay_ms / 4,
                attempts_made.saturating_sub(1),
            )
        });
        RetryDecision::RetryAfter(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_both_forms() {
        assert_eq!(parse_retry_after("2", 0), Some(2_000));
        // Tue, 24 Nov 2026 12:00:10 GMT is 1795521610 s after the epoch.
        let now_ms = 1_795_521_600_000;
        assert_eq!(parse_retry_after("Tue, 24 Nov 2026 12:00:10 GMT", now_ms), Some(10_000));
        assert_eq!(parse_retry_after("Tue, 24 Nov 2026 11:00:00 GMT", now_ms), Some(0));
        assert_eq!(parse_retry_after("soon", now_ms), None);
    }

    #[test]
    fn a_full_budget_of_any_size_refills_without_overflow() {
        let mut budget = RetryBudget::new(u32::MAX);
        budget.refill_one();
        assert_eq!(budget.available(), u32::MAX);
        assert!(budget.try_spend(u32::MAX));
        budget.refill_one();
        assert_eq!(budget.available(), 1);
    }

    #[test]
    fn full_jitter_stays_within_the_exponential_envelope() {
        let mut jitter = Jitter::new(7);
        for attempt in 0..12 {
            for _ in 0..200 {
                let d = full_jitter_backoff(&mut jitter, 100, 5_000, 10, attempt);
                let envelope = (100u64 << attempt).min(5_000);
                assert!((10..=envelope).contains(&d), "attempt {attempt}: {d}");
            }
        }
    }

    #[test]
    fn invoke_is_only_retried_on_429() {
        let mut governor = RetryGovernor::new(RetryPolicy::default(), 1);
        let unavailable = RetryableFailure::Unavailable { retry_after_ms: None };
        assert_eq!(governor.decide(RequestPurpose::Invoke, &unavailable, 1), RetryDecision::NotIdempotent);
        let timeout = RetryableFailure::Transport(TransportFailureKind::Timeout);
        assert_eq!(governor.decide(RequestPurpose::Invoke, &timeout, 1), RetryDecision::NotIdempotent);
        let limited = RetryableFailure::RateLimited { retry_after_ms: Some(1_000) };
        assert_eq!(governor.decide(RequestPurpose::Invoke, &limited, 1), RetryDecision::RetryAfter(1_000));
        assert!(matches!(governor.decide(RequestPurpose::Status, &unavailable, 1), RetryDecision::RetryAfter(_)));
    }

    #[test]
    fn attempts_retry_after_and_budget_bound_retries() {
        let policy = RetryPolicy { max_attempts: 3, budget_capacity: 12, retry_cost: 5, ..RetryPolicy::default() };
        let mut governor = RetryGovernor::new(policy, 1);
        let limited = RetryableFailure::RateLimited { retry_after_ms: None };
        assert_eq!(governor.decide(RequestPurpose::Status, &limited, 3), RetryDecision::AttemptsExhausted);
        let long = RetryableFailure::RateLimited { retry_after_ms: Some(3_600_000) };
        assert_eq!(governor.decide(RequestPurpose::Status, &long, 1), RetryDecision::RetryAfterTooLong);
        assert!(matches!(governor.decide(RequestPurpose::Status, &limited, 1), RetryDecision::RetryAfter(_)));
        assert!(matches!(governor.decide(RequestPurpose::Status, &limited, 1), RetryDecision::RetryAfter(_)));
        assert_eq!(governor.decide(RequestPurpose::Status, &limited, 1), RetryDecision::BudgetExhausted);
        governor.budget.refill_one();
        governor.budget.refill_one();
        governor.budget.refill_one();
        assert!(matches!(governor.decide(RequestPurpose::Status, &limited, 1), RetryDecision::RetryAfter(_)));
    }
}
