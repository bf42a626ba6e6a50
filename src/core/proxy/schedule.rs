//! When the proxy polls an invocation the upstream accepted (202). Callbacks are the fast path; polls
//! are the fallback that guarantees every accepted invocation reaches a terminal state, so they
//! start late: the core's one poll rule ([`crate::core::poll_schedule`]) with the Worker's
//! parameters ([`WORKER_POLL_SCHEDULE`]: 2 s at first, then a quarter of the time since the
//! record was created, at most one minute apart). Each invocation's Durable Object polls on its
//! alarm; nothing else polls.

use crate::core::poll_schedule::WORKER_POLL_SCHEDULE;

/// How long an invoke may take to answer before its object's alarm looks at it: a record whose
/// invoke is still unanswered then (the object restarted while it was in flight) has an unknown
/// outcome and is never invoked again.
pub const INVOKE_ANSWER_GRACE_MS: u64 = 60_000;

/// How long a duplicate of an idempotent request waits for the first one's invoke to be
/// answered before it is told 409 with `Retry-After`.
pub const IN_FLIGHT_WAIT_MS: u64 = 10_000;

/// How long an invocation's object keeps a finished record (and so its Idempotency-Key) before
/// it deletes its storage; the KV read copy expires then too.
pub const RECORD_RETENTION_MS: u64 = 7 * 86_400_000;

/// The delay before the Worker's next poll of a pending record, `elapsed_since_creation_ms` after
/// the record was created, for a uniform random `draw` (any 64 bits, e.g. from the platform's
/// random source): 2 s while the record is under 8 s old, then a quarter of its age (less up to
/// 10% of jitter), at most 60 s. The next poll is due at `now + worker_poll_delay_ms(now -
/// created_at, draw)`.
pub fn worker_poll_delay_ms(elapsed_since_creation_ms: u64, draw: u64) -> u64 {
    WORKER_POLL_SCHEDULE.wait_ms(elapsed_since_creation_ms, draw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_polls_after_two_seconds_then_a_quarter_of_the_age_at_most_a_minute_apart() {
        assert_eq!(worker_poll_delay_ms(0, 0), 2_000);
        assert_eq!(worker_poll_delay_ms(7_999, 0), 2_000);
        assert_eq!(worker_poll_delay_ms(40_000, 0), 10_000);
        assert_eq!(worker_poll_delay_ms(40_000, 1_000), 9_000, "jitter only shortens, by up to 10%");
        assert_eq!(worker_poll_delay_ms(3_600_000, 0), 60_000);
    }
}
