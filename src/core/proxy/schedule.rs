//! When the proxy polls an invocation the upstream accepted (202). Callbacks are the fast path; polls
//! are the fallback that guarantees every accepted invocation reaches a terminal state, so they
//! start late and back off: 2 s, 4 s, 8 s ... at most one minute apart. Each invocation's Durable
//! Object polls on its alarm; nothing else polls.

/// Delay of the first poll after the upstream accepted an invocation.
pub const FIRST_POLL_DELAY_MS: u64 = 2_000;

/// The longest wait between two polls.
pub const MAX_POLL_INTERVAL_MS: u64 = 60_000;

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

/// The delay before the next poll, after `polls_done` polls: 2 s, 4 s, 8 s ... capped at a minute.
pub fn poll_delay_ms(polls_done: u32) -> u64 {
    let doubled = FIRST_POLL_DELAY_MS.checked_shl(polls_done.min(16)).unwrap_or(MAX_POLL_INTERVAL_MS);
    doubled.min(MAX_POLL_INTERVAL_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_back_off_to_a_minute() {
        let delays: Vec<u64> = (0..7).map(poll_delay_ms).collect();
        assert_eq!(delays, vec![2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
        assert_eq!(poll_delay_ms(u32::MAX), MAX_POLL_INTERVAL_MS);
    }
}
