//! The run-time knobs (fault injection and behaviour), their JSON form and validation.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::errors::ErrorItem;

/// Upper bound of every millisecond knob (10 minutes).
const MAX_MS: u64 = 600_000;
/// Upper bound of the token lifetime (one year).
const MAX_TOKEN_LIFETIME_SECS: u64 = 31_536_000;
/// Upper bound of `answerPaddingBytes` (64 MiB).
const MAX_PADDING_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Knobs {
    /// Delay added to every `/api` and `/oauth2` answer.
    pub latency_ms: u64,
    /// Share (0..1) of `/api` requests answered 429.
    #[serde(rename = "rate429")]
    pub rate_429: f64,
    /// Share (0..1) of `/api` requests answered 503.
    #[serde(rename = "rate503")]
    pub rate_503: f64,
    /// `Retry-After` seconds of injected 429s.
    pub retry_after_secs: u64,
    /// Lifetime of newly issued tokens.
    pub token_lifetime_secs: u64,
    /// How many invokes of `rate-limited` answer 429 before it succeeds.
    pub rate_limited_first: u64,
    /// Never send callbacks.
    pub callback_drop: bool,
    /// Delay before a callback is sent.
    pub callback_delay_ms: u64,
    /// Send every callback twice (same `webhook-id`).
    pub callback_duplicate: bool,
    /// Share (0..1) of callbacks dropped (besides `callbackDrop`, which drops them all).
    pub callback_drop_rate: f64,
    /// Share (0..1) of callbacks sent twice (besides `callbackDuplicate`).
    pub callback_duplicate_rate: f64,
    /// Share (0..1) of callbacks that wait `callbackDelayMs` (1: all of them).
    pub callback_delay_rate: f64,
    /// A uniform extra delay of 0..N ms on top of `latencyMs`, drawn per request.
    pub latency_jitter_ms: u64,
    /// Revoke every token after each N-th `/api` request (0: never).
    pub revoke_tokens_every: u64,
    /// Spaces appended to every successful sync invoke answer (after its JSON: still valid
    /// JSON), for clients' limits on what they read.
    pub answer_padding_bytes: u64,
    /// Sync invoke answers sent without `Content-Length` (chunked), as some upstreams answer.
    pub answer_chunked: bool,
    /// Seed of the fault RNG; `None` seeds from entropy.
    pub seed: Option<u64>,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            rate_429: 0.0,
            rate_503: 0.0,
            retry_after_secs: 1,
            token_lifetime_secs: 3600,
            rate_limited_first: 2,
            callback_drop: false,
            callback_delay_ms: 0,
            callback_duplicate: false,
            callback_drop_rate: 0.0,
            callback_duplicate_rate: 0.0,
            callback_delay_rate: 1.0,
            latency_jitter_ms: 0,
            revoke_tokens_every: 0,
            answer_padding_bytes: 0,
            answer_chunked: false,
            seed: None,
        }
    }
}

/// What applying a patch needs besides storing the new knobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PatchEffects {
    /// `seed` was given: restart the fault RNG.
    pub reseed: bool,
    /// `rateLimitedFirst` was given: restart the count of `rate-limited` invokes.
    pub restart_rate_limited: bool,
}

fn problem(field: &str, message: impl Into<String>) -> ErrorItem {
    ErrorItem::new("INVALID_CONFIG", format!("{field}: {}", message.into())).with_field(field)
}

fn int(field: &str, value: &Value, max: u64, problems: &mut Vec<ErrorItem>) -> Option<u64> {
    match value.as_u64() {
        Some(n) if n <= max => Some(n),
        _ => {
            problems.push(problem(
                field,
                format!("expected an integer from 0 to {max}"),
            ));
            None
        }
    }
}

fn share(field: &str, value: &Value, problems: &mut Vec<ErrorItem>) -> Option<f64> {
    match value.as_f64() {
        Some(x) if (0.0..=1.0).contains(&x) => Some(x),
        _ => {
            problems.push(problem(field, "expected a number from 0 to 1"));
            None
        }
    }
}

fn flag(field: &str, value: &Value, problems: &mut Vec<ErrorItem>) -> Option<bool> {
    let b = value.as_bool();
    if b.is_none() {
        problems.push(problem(field, "expected a boolean"));
    }
    b
}

impl Knobs {
    /// Checks the cross-field rules (each field's own range is checked when it is parsed).
    pub fn validate(&self) -> Result<(), Vec<ErrorItem>> {
        let mut problems = Vec::new();
        for (field, x) in [("rate429", self.rate_429), ("rate503", self.rate_503)] {
            if !(0.0..=1.0).contains(&x) {
                problems.push(problem(field, "expected a number from 0 to 1"));
            }
        }
        if problems.is_empty() && self.rate_429 + self.rate_503 > 1.0 {
            problems.push(problem("rate503", "rate429 + rate503 must not exceed 1"));
        }
        for (field, x) in [
            ("callbackDropRate", self.callback_drop_rate),
            ("callbackDuplicateRate", self.callback_duplicate_rate),
            ("callbackDelayRate", self.callback_delay_rate),
        ] {
            if !(0.0..=1.0).contains(&x) {
                problems.push(problem(field, "expected a number from 0 to 1"));
            }
        }
        for (field, ms) in [
            ("latencyMs", self.latency_ms),
            ("callbackDelayMs", self.callback_delay_ms),
            ("latencyJitterMs", self.latency_jitter_ms),
        ] {
            if ms > MAX_MS {
                problems.push(problem(
                    field,
                    format!("expected an integer from 0 to {MAX_MS}"),
                ));
            }
        }
        if self.token_lifetime_secs > MAX_TOKEN_LIFETIME_SECS {
            problems.push(problem(
                "tokenLifetimeSecs",
                format!("expected an integer from 0 to {MAX_TOKEN_LIFETIME_SECS}"),
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Merges a partial JSON object into these knobs. Unknown fields and wrong types are all
    /// reported (each naming its field); nothing changes unless the whole patch is valid.
    pub fn patched(
        &self,
        patch: &Map<String, Value>,
    ) -> Result<(Knobs, PatchEffects), Vec<ErrorItem>> {
        let mut next = *self;
        let mut effects = PatchEffects::default();
        let mut problems = Vec::new();
        for (field, value) in patch {
            let p = &mut problems;
            match field.as_str() {
                "latencyMs" => {
                    next.latency_ms = int(field, value, MAX_MS, p).unwrap_or(next.latency_ms)
                }
                "rate429" => next.rate_429 = share(field, value, p).unwrap_or(next.rate_429),
                "rate503" => next.rate_503 = share(field, value, p).unwrap_or(next.rate_503),
                "retryAfterSecs" => {
                    next.retry_after_secs =
                        int(field, value, 86_400, p).unwrap_or(next.retry_after_secs)
                }
                "tokenLifetimeSecs" => {
                    next.token_lifetime_secs = int(field, value, MAX_TOKEN_LIFETIME_SECS, p)
                        .unwrap_or(next.token_lifetime_secs)
                }
                "rateLimitedFirst" => {
                    next.rate_limited_first =
                        int(field, value, 1_000_000_000, p).unwrap_or(next.rate_limited_first);
                    effects.restart_rate_limited = true;
                }
                "callbackDrop" => {
                    next.callback_drop = flag(field, value, p).unwrap_or(next.callback_drop)
                }
                "callbackDelayMs" => {
                    next.callback_delay_ms =
                        int(field, value, MAX_MS, p).unwrap_or(next.callback_delay_ms)
                }
                "callbackDuplicate" => {
                    next.callback_duplicate =
                        flag(field, value, p).unwrap_or(next.callback_duplicate)
                }
                "callbackDropRate" => {
                    next.callback_drop_rate =
                        share(field, value, p).unwrap_or(next.callback_drop_rate)
                }
                "callbackDuplicateRate" => {
                    next.callback_duplicate_rate =
                        share(field, value, p).unwrap_or(next.callback_duplicate_rate)
                }
                "callbackDelayRate" => {
                    next.callback_delay_rate =
                        share(field, value, p).unwrap_or(next.callback_delay_rate)
                }
                "latencyJitterMs" => {
                    next.latency_jitter_ms =
                        int(field, value, MAX_MS, p).unwrap_or(next.latency_jitter_ms)
                }
                "revokeTokensEvery" => {
                    next.revoke_tokens_every =
                        int(field, value, 1_000_000_000, p).unwrap_or(next.revoke_tokens_every)
                }
                "answerPaddingBytes" => {
                    next.answer_padding_bytes = int(field, value, MAX_PADDING_BYTES, p)
                        .unwrap_or(next.answer_padding_bytes)
                }
                "answerChunked" => {
                    next.answer_chunked = flag(field, value, p).unwrap_or(next.answer_chunked)
                }
                "seed" => {
                    effects.reseed = true;
                    if value.is_null() {
                        next.seed = None;
                    } else if let Some(seed) = value.as_u64() {
                        next.seed = Some(seed);
                    } else {
                        p.push(problem(field, "expected a non-negative integer or null"));
                    }
                }
                other => p.push(problem(other, "unknown field")),
            }
        }
        if problems.is_empty() {
            next.validate()?;
            Ok((next, effects))
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn patch_merges_and_flags_effects() {
        let Ok((knobs, effects)) = Knobs::default().patched(&map(
            json!({"latencyMs": 5, "rate429": 0.25, "seed": 7, "rateLimitedFirst": 1}),
        )) else {
            panic!("rejected")
        };
        assert_eq!(knobs.latency_ms, 5);
        assert_eq!(knobs.rate_429, 0.25);
        assert_eq!(knobs.seed, Some(7));
        assert_eq!(knobs.rate_limited_first, 1);
        assert_eq!(knobs.token_lifetime_secs, 3600);
        assert_eq!(
            effects,
            PatchEffects {
                reseed: true,
                restart_rate_limited: true
            }
        );
    }

    #[test]
    fn patch_reports_every_bad_field() {
        let Err(problems) = Knobs::default().patched(&map(
            json!({"latencyMs": "5", "colour": 1, "rate503": 2, "callbackDrop": 1, "seed": -1}),
        )) else {
            panic!("accepted")
        };
        let mut fields: Vec<_> = problems.iter().filter_map(|p| p.field.clone()).collect();
        fields.sort();
        assert_eq!(
            fields,
            ["callbackDrop", "colour", "latencyMs", "rate503", "seed"]
        );
    }

    #[test]
    fn callback_shares_and_jitter_are_checked() {
        let Ok((knobs, _)) = Knobs::default().patched(&map(json!({
            "callbackDropRate": 0.3, "callbackDuplicateRate": 0.1, "callbackDelayRate": 0.1,
            "latencyJitterMs": 40, "revokeTokensEvery": 100
        }))) else {
            panic!("rejected")
        };
        assert_eq!(
            (
                knobs.callback_drop_rate,
                knobs.callback_duplicate_rate,
                knobs.callback_delay_rate
            ),
            (0.3, 0.1, 0.1)
        );
        assert_eq!(
            (knobs.latency_jitter_ms, knobs.revoke_tokens_every),
            (40, 100)
        );
        assert_eq!(
            Knobs::default().callback_delay_rate,
            1.0,
            "callbackDelayMs delays all by default"
        );
        let Err(problems) = Knobs::default().patched(&map(json!({
            "callbackDropRate": 1.5, "callbackDuplicateRate": -0.1, "callbackDelayRate": "x",
            "latencyJitterMs": 600_001, "revokeTokensEvery": -1
        }))) else {
            panic!("accepted")
        };
        let mut fields: Vec<_> = problems.iter().filter_map(|p| p.field.clone()).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "callbackDelayRate",
                "callbackDropRate",
                "callbackDuplicateRate",
                "latencyJitterMs",
                "revokeTokensEvery"
            ]
        );
    }

    #[test]
    fn rates_must_not_sum_over_one() {
        assert!(Knobs::default()
            .patched(&map(json!({"rate429": 0.6, "rate503": 0.6})))
            .is_err());
        assert!(Knobs::default()
            .patched(&map(json!({"rate429": 0.5, "rate503": 0.5})))
            .is_ok());
    }

    #[test]
    fn json_names_are_camel_case() {
        let value = serde_json::to_value(Knobs::default()).unwrap_or(Value::Null);
        let keys: Vec<&str> = value
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for key in [
            "latencyMs",
            "rate429",
            "rate503",
            "retryAfterSecs",
            "tokenLifetimeSecs",
            "rateLimitedFirst",
            "callbackDrop",
            "callbackDelayMs",
            "callbackDuplicate",
            "callbackDropRate",
            "callbackDuplicateRate",
            "callbackDelayRate",
            "latencyJitterMs",
            "revokeTokensEvery",
            "answerPaddingBytes",
            "answerChunked",
            "seed",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        assert_eq!(keys.len(), 17);
    }
}
