//! When the proxy polls an invocation the upstream accepted (202). Callbacks are the fast path; polls
//! are the fallback that guarantees every accepted invocation reaches a terminal state, so they
//! start late: the core's one poll rule ([`crate::core::poll_schedule`]) with the Worker's
//! parameters ([`WORKER_POLL_SCHEDULE`]: 2 s at first, then a quarter of the time since the
//! record was created, at most one minute apart, the Cron Trigger's period).

use crate::core::poll_schedule::WORKER_POLL_SCHEDULE;

/// Delay of the first poll of the old doubling schedule ([`poll_delay_ms`]).
pub const FIRST_POLL_DELAY_MS: u64 = 2_000;

/// The longest wait between two polls of the old doubling schedule ([`poll_delay_ms`]).
pub const MAX_POLL_INTERVAL_MS: u64 = 60_000;

/// How long the Worker keeps following an invocation in the background after answering 202
/// (`ctx.waitUntil` lasts about 30 s after the response); the Cron Trigger takes over afterwards.
pub const FOLLOW_UP_BUDGET_MS: u64 = 25_000;

/// Pending invocations looked at per Cron Trigger run, at most.
pub const CRON_MAX_RECORDS: usize = 50;

/// Keys listed per Cron Trigger run, at most (one KV list call).
pub const CRON_LIST_LIMIT: u64 = 1_000;

/// Wall time one Cron Trigger run may spend polling.
pub const CRON_BUDGET_MS: u64 = 20_000;

/// The Cron Trigger fires about once a minute: a record due before the next run is polled now
/// rather than up to a minute late.
pub const CRON_LOOKAHEAD_MS: u64 = 60_000;

/// The delay before the Worker's next poll of a pending record, `elapsed_since_creation_ms` after
/// the record was created, for a uniform random `draw` (any 64 bits, e.g. from the platform's
/// random source): 2 s while the record is under 8 s old, then a quarter of its age (less up to
/// 10% of jitter), at most 60 s. The next poll is due at `now + worker_poll_delay_ms(now -
/// created_at, draw)`.
pub fn worker_poll_delay_ms(elapsed_since_creation_ms: u64, draw: u64) -> u64 {
    WORKER_POLL_SCHEDULE.wait_ms(elapsed_since_creation_ms, draw)
}

/// THE OLD SCHEDULE, kept only until `record.rs` calls [`worker_poll_delay_ms`]; delete it then
/// (with [`FIRST_POLL_DELAY_MS`] and [`MAX_POLL_INTERVAL_MS`]).
/// The delay before the next poll, after `polls_done` polls: 2 s, 4 s, 8 s ... capped at a minute.
pub fn poll_delay_ms(polls_done: u32) -> u64 {
    let doubled = FIRST_POLL_DELAY_MS.checked_shl(polls_done.min(16)).unwrap_or(MAX_POLL_INTERVAL_MS);
    doubled.min(MAX_POLL_INTERVAL_MS)
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

    #[test]
    fn polls_back_off_to_a_minute() {
        let delays: Vec<u64> = (0..7).map(poll_delay_ms).collect();
        assert_eq!(delays, vec![2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
        assert_eq!(poll_delay_ms(u32::MAX), MAX_POLL_INTERVAL_MS);
    }
}
