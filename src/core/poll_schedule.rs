//! When to poll an invocation the upstream accepted. Each wait is a fixed share of the time
//! already waited since the 202, never less than a floor (the first polls come quickly) nor more
//! than a cap, and shortened by a small random share so that invocations started together drift
//! apart. The end of a job is therefore seen at most `max(floor, share × its duration)` after it
//! ended (plus one round trip), while a long job costs a number of status requests that grows
//! with the logarithm of its duration.
//!
//! One rule for both users: direct mode (the driver, hence the npm package) with the client's
//! [`PollPolicy`], and the Worker's fallback polling (when no callback comes) with
//! [`WORKER_POLL_SCHEDULE`]. Pure: elapsed time and a random draw in, a wait out.

use super::config::PollPolicy;

/// The parameters of a poll schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSchedule {
    /// The shortest wait, before jitter.
    pub floor_ms: u64,
    /// The longest wait.
    pub cap_ms: u64,
    /// Each wait is this percent of the time elapsed since the upstream accepted the invocation.
    pub elapsed_percent: u64,
    /// Each wait is shortened by a random share of up to this percent (never lengthened, so the
    /// lag bound holds whatever the draw).
    pub jitter_percent: u64,
}

/// The draw's resolution: a draw is reduced to `0..=JITTER_STEPS`.
const JITTER_STEPS: u64 = 1_000;

impl PollSchedule {
    /// The wait before the next status request, `elapsed_ms` after the upstream accepted the
    /// invocation, for a uniform random `draw` (any 64 bits): `base - base × jitter% × u`, with
    /// `base = min(cap, max(floor, elapsed × elapsed%))` and `u` in `[0, 1]` taken from the draw.
    pub fn wait_ms(&self, elapsed_ms: u64, draw: u64) -> u64 {
        let base = part_of(elapsed_ms, self.elapsed_percent.min(100), 100).max(self.floor_ms).min(self.cap_ms);
        let u = draw % (JITTER_STEPS + 1);
        let cut = part_of(base, self.jitter_percent.min(100) * u, 100 * JITTER_STEPS);
        base.saturating_sub(cut)
    }

    /// The schedule of a direct-mode poll policy.
    pub fn of_policy(policy: &PollPolicy) -> PollSchedule {
        PollSchedule {
            floor_ms: policy.min_interval_ms,
            cap_ms: policy.max_interval_ms,
            elapsed_percent: policy.elapsed_percent,
            jitter_percent: policy.jitter_percent,
        }
    }
}

/// The Worker's fallback polling: callbacks are the fast path, so polls start after 2 s, and
/// they are at most a minute apart (the object's alarm then still looks in often enough); in
/// between the same share of the
/// elapsed time as direct mode.
pub const WORKER_POLL_SCHEDULE: PollSchedule = PollSchedule {
    floor_ms: 2_000,
    cap_ms: 60_000,
    elapsed_percent: 25,
    jitter_percent: 10,
};

/// `floor(value × numerator / denominator)` for `numerator <= denominator`, without overflow and
/// without 128-bit division (which would add its routine to the wasm).
fn part_of(value: u64, numerator: u64, denominator: u64) -> u64 {
    let denominator = denominator.max(1);
    (value / denominator) * numerator + (value % denominator) * numerator / denominator
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The draw for `u = 1` (the largest cut) and for `u = 0` (none).
    const MOST: u64 = JITTER_STEPS;
    const NONE: u64 = 0;

    fn direct() -> PollSchedule {
        PollSchedule::of_policy(&PollPolicy::default())
    }

    /// Status requests at zero round-trip time: the instants (ms after the 202) of the polls made
    /// until one sees a job that ends at `ends_at_ms`, the first coming after `first_ms`.
    fn polls_until(schedule: &PollSchedule, first_ms: u64, ends_at_ms: u64, mut draw: impl FnMut() -> u64) -> Vec<u64> {
        let mut at = first_ms;
        let mut polls = vec![at];
        while at < ends_at_ms {
            at += schedule.wait_ms(at, draw());
            polls.push(at);
        }
        polls
    }

    /// SplitMix64, as the clients' jitter source.
    fn draws(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    #[test]
    fn waits_are_a_share_of_the_elapsed_time_between_floor_and_cap() {
        let s = direct();
        assert_eq!(s, PollSchedule { floor_ms: 100, cap_ms: 15_000, elapsed_percent: 25, jitter_percent: 10 });
        assert_eq!(s.wait_ms(0, NONE), 100, "the floor");
        assert_eq!(s.wait_ms(399, NONE), 100);
        assert_eq!(s.wait_ms(800, NONE), 200);
        assert_eq!(s.wait_ms(2_000, NONE), 500);
        assert_eq!(s.wait_ms(2_000, MOST), 450, "jitter shortens by up to 10%");
        assert_eq!(s.wait_ms(2_000, MOST / 2), 475);
        assert_eq!(s.wait_ms(60_000, NONE), 15_000, "the cap");
        assert_eq!(s.wait_ms(u64::MAX, u64::MAX), 15_000 - 15_000 * (u64::MAX % 1_001) / 10_000, "no overflow");
    }

    #[test]
    fn part_of_is_exact_and_does_not_overflow() {
        for (value, numerator, denominator) in [(0, 25, 100), (99, 25, 100), (12_345, 25, 100), (u64::MAX, 100, 100), (u64::MAX, 99_999, 100_000)] {
            let exact = u128::from(value) * u128::from(numerator) / u128::from(denominator);
            assert_eq!(u128::from(part_of(value, numerator, denominator)), exact, "{value} × {numerator} / {denominator}");
        }
    }

    #[test]
    fn jitter_stays_within_its_share_below_the_base() {
        let s = direct();
        let mut draw = draws(3);
        for elapsed in (0..80_000).step_by(97) {
            let base = (elapsed * 25 / 100).clamp(100, 15_000);
            for _ in 0..20 {
                let wait = s.wait_ms(elapsed, draw());
                assert!(wait <= base && wait >= base - base / 10, "{elapsed}: {wait} against {base}");
            }
        }
    }

    #[test]
    fn the_sequence_of_poll_times_without_and_with_the_largest_jitter() {
        let s = direct();
        let unjittered = polls_until(&s, 100, 10_000, || NONE);
        assert_eq!(unjittered, vec![
            100, 200, 300, 400, 500, 625, 781, 976, 1_220, 1_525, 1_906, 2_382, 2_977, 3_721, 4_651, 5_813, 7_266, 9_082, 11_352
        ]);
        let most = polls_until(&s, 100, 2_000, || MOST);
        assert_eq!(most, vec![100, 190, 280, 370, 460, 564, 691, 846, 1_036, 1_270, 1_556, 1_907, 2_336]);
    }

    #[test]
    fn the_end_is_seen_within_the_share_of_the_elapsed_time() {
        let s = direct();
        for seed in 0..20 {
            let mut draw = draws(seed);
            for ends_at in (1..20_000).step_by(37).chain((20_000..90_000).step_by(1_009)) {
                let polls = polls_until(&s, 100, ends_at, &mut draw);
                let seen_at = polls.last().copied().unwrap_or_default();
                let lag = seen_at - ends_at;
                let bound = (ends_at * 25 / 100).clamp(100, 15_000);
                assert!(lag <= bound, "a job ending at {ends_at} ms seen at {seen_at} ms (lag {lag}, bound {bound})");
            }
        }
    }

    #[test]
    fn a_sixty_second_job_takes_at_most_thirty_status_requests() {
        let s = direct();
        for seed in 0..200 {
            let count = polls_until(&s, 100, 60_000, draws(seed)).len();
            assert!(count <= 30, "seed {seed}: {count} status requests");
        }
        assert!(polls_until(&s, 100, 60_000, || MOST).len() <= 30, "the shortest waits every time");
    }

    #[test]
    fn the_workers_schedule_starts_at_two_seconds_and_caps_at_a_minute() {
        let s = WORKER_POLL_SCHEDULE;
        assert_eq!(s.wait_ms(0, NONE), 2_000);
        assert_eq!(s.wait_ms(7_999, NONE), 2_000);
        assert_eq!(s.wait_ms(20_000, NONE), 5_000);
        assert_eq!(s.wait_ms(600_000, NONE), 60_000);
        assert_eq!(s.wait_ms(600_000, MOST), 54_000);
        let polls = polls_until(&s, 2_000, 300_000, || NONE);
        assert_eq!(&polls[..8], &[2_000, 4_000, 6_000, 8_000, 10_000, 12_500, 15_625, 19_531]);
        assert_eq!(polls.len(), 21, "five minutes of a job with no callback: {polls:?}");
        assert_eq!(polls.iter().filter(|&&at| at <= 25_000).count(), 9, "in the 25 s after the 202");
    }
}
