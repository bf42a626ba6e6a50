//! The whole invocation through the driver, against a scripted upstream on virtual time.

mod support;

use std::cell::RefCell;

use cxone_data_actions::core::{InvokeOptions, TransportFailure, TransportFailureKind};
use cxone_data_actions::driver::CallOptions;
use futures::executor::block_on;
use serde_json::json;
use support::*;

fn invoke_options() -> InvokeOptions {
    InvokeOptions::default()
}

#[test]
fn cold_sync_invoke_takes_three_requests_and_warm_one() {
    let (client, upstream, _clock) = client(json!({}));
    let result = block_on(client.invoke("lookup", &json!({"customerId": 42, "includeHistory": "yes"}), invoke_options(), CallOptions::default())).unwrap();
    assert_eq!(result.status, "completed");
    assert_eq!(result.invoke_id.as_deref(), Some("sync-1"));
    assert_eq!(result.outputs, json!({"tier": "gold", "openTickets": 3}).as_object().cloned().unwrap());
    assert_eq!(upstream.routes(), vec![
        "Get /api/v2/data-actions/lookup",
        "Post /oauth2/token",
        "Get /api/v2/data-actions/lookup",
        "Post /api/v2/data-actions/lookup/invoke",
    ][1..].to_vec());
    let sent = upstream.seen.borrow().last().cloned().unwrap();
    assert_eq!(sent.body, Some(json!({"inputs": {"customerId": "42", "includeHistory": true}, "context": {}})));
    assert_eq!(sent.authorization.as_deref(), Some("Bearer tok-1"));

    block_on(client.invoke("lookup", &json!({"customerId": "7"}), invoke_options(), CallOptions::default())).unwrap();
    assert_eq!(upstream.seen.borrow().len(), 4, "a warm sync invoke makes exactly one upstream request");
    let audit = result.audit.unwrap();
    assert_eq!(audit.event, "DATA_ACTION_INVOCATION");
    assert_eq!(audit.action_id, "lookup");
}

#[test]
fn async_invoke_polls_soon_then_backs_off_and_reports_each_status() {
    let (client, upstream, clock) = client(json!({}));
    let start = clock.now.get();
    upstream.queue("Get /api/v2/data-actions/job/invoke/job-1", vec![
        status(200, json!({"invokeId": "job-1", "status": "queued"})),
        status(200, json!({"invokeId": "job-1", "status": "running"})),
        status(200, json!({"invokeId": "job-1", "status": "running"})),
        status(200, json!({"invokeId": "job-1", "status": "completed", "outputs": {"rows": "12"}})),
    ]);
    let events = RefCell::new(Vec::new());
    let report = |e: &cxone_data_actions::core::StatusEvent| events.borrow_mut().push(e.status.clone());
    let result = block_on(client.invoke("job", &json!({"name": "r"}), invoke_options(), CallOptions { signal: None, on_status: Some(&report) })).unwrap();
    assert_eq!(result.status, "completed");
    assert_eq!(result.outputs["rows"], json!(12));
    assert_eq!(result.polls, 4);
    assert_eq!(*events.borrow(), vec!["queued", "running", "completed"]);
    let polls: Vec<u64> = upstream.seen.borrow().iter().filter(|s| s.path.contains("/invoke/")).map(|s| s.at_ms - start).collect();
    assert_eq!(polls[0], 100, "the first poll comes after a hundred ms, not seconds");
    for pair in polls.windows(2) {
        let gap = pair[1] - pair[0];
        assert!((90..=100).contains(&gap), "early polls come at the floor, less up to 10% of jitter: gap {gap}");
    }
    assert!(result.latency_ms >= polls[3]);
}

/// Status requests of one invocation of a job that runs `duration_ms`, as instants after the
/// invoke; the last one saw it completed.
fn polls_of_a_timed_job(duration_ms: u64, seed: u64) -> Vec<u64> {
    let (client, upstream, clock) = client_with_seed(json!({}), seed);
    block_on(client.get_action("job", None)).unwrap();
    upstream.timed_job(duration_ms);
    let start = clock.now.get();
    let result = block_on(client.invoke("job", &json!({"name": "r"}), invoke_options(), CallOptions::default())).unwrap();
    assert_eq!(result.status, "completed");
    let polls: Vec<u64> = upstream.seen.borrow().iter().filter(|s| s.path.contains("/invoke/")).map(|s| s.at_ms - start).collect();
    assert_eq!(result.polls as usize, polls.len());
    assert_eq!(result.latency_ms, polls.last().copied().unwrap_or_default());
    polls
}

#[test]
fn polls_see_the_end_within_a_quarter_of_the_jobs_duration() {
    for seed in 0..20 {
        for duration in [50, 300, 500, 1_000, 2_000, 3_700, 10_000, 30_000] {
            let polls = polls_of_a_timed_job(duration, seed);
            let lag = polls.last().copied().unwrap_or_default() - duration;
            let bound = (duration / 4).clamp(100, 15_000);
            assert!(lag <= bound, "seed {seed}: a {duration} ms job seen {lag} ms after its end (bound {bound}): {polls:?}");
            assert_eq!(polls[0], 100);
            for pair in polls.windows(2) {
                // Virtual requests take no time: the 202 came at 0, a poll's answer at its instant.
                let (elapsed, gap) = (pair[0], pair[1] - pair[0]);
                let base = (elapsed / 4).clamp(100, 15_000);
                assert!(gap <= base && gap >= base - base / 10, "seed {seed}: gap {gap} at {elapsed} ms");
            }
        }
    }
}

#[test]
fn a_sixty_second_job_takes_at_most_thirty_status_requests() {
    for seed in 0..20 {
        let polls = polls_of_a_timed_job(60_000, seed);
        assert!(polls.len() <= 30, "seed {seed}: {} status requests: {polls:?}", polls.len());
        assert!(polls.last().copied().unwrap_or_default() - 60_000 <= 15_000);
    }
}

#[test]
fn retry_after_on_the_202_delays_the_first_poll() {
    let (client, upstream, clock) = client(json!({}));
    block_on(client.get_action("job", None)).unwrap();
    let start = clock.now.get();
    upstream.queue("Post /api/v2/data-actions/job/invoke", vec![Ok(cxone_data_actions::core::HttpResponse::json(
        202,
        &json!({"invokeId": "job-1", "status": "queued"}),
    )
    .with_header("Retry-After", "2"))]);
    upstream.queue("Get /api/v2/data-actions/job/invoke/job-1", vec![status(200, json!({"invokeId": "job-1", "status": "completed", "outputs": {}}))]);
    let result = block_on(client.invoke("job", &json!({"name": "r"}), invoke_options(), CallOptions::default())).unwrap();
    assert_eq!(result.status, "completed");
    let polls: Vec<u64> = upstream.seen.borrow().iter().filter(|s| s.path.contains("/invoke/")).map(|s| s.at_ms - start).collect();
    assert_eq!(polls, vec![2_000]);
}

#[test]
fn retry_after_on_a_running_status_delays_the_next_poll() {
    let (client, upstream, clock) = client(json!({}));
    let start = clock.now.get();
    upstream.queue("Get /api/v2/data-actions/job/invoke/job-1", vec![
        Ok(cxone_data_actions::core::HttpResponse::json(200, &json!({"invokeId": "job-1", "status": "running"})).with_header("Retry-After", "3")),
        status(200, json!({"invokeId": "job-1", "status": "completed", "outputs": {}})),
    ]);
    let result = block_on(client.invoke("job", &json!({"name": "r"}), invoke_options(), CallOptions::default())).unwrap();
    assert_eq!(result.status, "completed");
    let polls: Vec<u64> = upstream.seen.borrow().iter().filter(|s| s.path.contains("/invoke/")).map(|s| s.at_ms - start).collect();
    assert_eq!(polls, vec![100, 3_100]);
}

#[test]
fn rate_limits_are_waited_out_in_both_retry_after_forms() {
    let (client, upstream, clock) = client(json!({}));
    block_on(client.get_action("lookup", None)).unwrap();
    let t0 = clock.now.get();
    let date = httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_millis(t0 + 1_000 + 3_000));
    upstream.queue("Post /api/v2/data-actions/lookup/invoke", vec![
        Ok(cxone_data_actions::core::HttpResponse::json(429, &json!({"errors": [{"code": "RATE_LIMITED", "message": "slow"}]})).with_header("Retry-After", "1")),
        Ok(cxone_data_actions::core::HttpResponse::json(429, &json!({})).with_header("Retry-After", &date)),
    ]);
    let result = block_on(client.invoke("lookup", &json!({"customerId": "1"}), invoke_options(), CallOptions::default())).unwrap();
    assert_eq!(result.status, "completed");
    let invokes: Vec<u64> = upstream.seen.borrow().iter().filter(|s| s.path.ends_with("/invoke")).map(|s| s.at_ms - t0).collect();
    assert_eq!(invokes.len(), 3);
    assert_eq!(invokes[1] - invokes[0], 1_000);
    assert!((2_000..=3_000).contains(&(invokes[2] - invokes[1])), "{invokes:?}");
}

#[test]
fn endless_429s_end_as_rate_limited_after_the_attempts() {
    let (client, upstream, _clock) = client(json!({"retry": {"maxAttempts": 3}}));
    let limited = || Ok(cxone_data_actions::core::HttpResponse::json(429, &json!({"errors": [{"code": "RATE_LIMITED", "message": "slow down"}]})).with_header("Retry-After", "2"));
    upstream.queue("Post /api/v2/data-actions/lookup/invoke", vec![limited(), limited(), limited(), limited()]);
    let err = block_on(client.invoke("lookup", &json!({"customerId": "1"}), invoke_options(), CallOptions::default())).unwrap_err();
    assert_eq!(err.code(), "rate_limited");
    assert!(err.retryable());
    assert_eq!(err.details().retry_after_ms, Some(2_000));
    assert_eq!(upstream.count("Post /api/v2/data-actions/lookup/invoke"), 3);
}

#[test]
fn a_refused_exchange_is_not_retried_and_not_retryable() {
    let (client, upstream, _clock) = client(json!({}));
    upstream.queue("Get /api/v2/data-actions/lookup", vec![Err(TransportFailure::new(TransportFailureKind::Refused, "unexpected redirect"))]);
    let err = block_on(client.get_action("lookup", None)).unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("transport", false));
    assert_eq!(upstream.count("Get /api/v2/data-actions/lookup"), 1, "an idempotent GET is not retried either");

    block_on(client.get_action("lookup", None)).unwrap();
    upstream.queue("Post /api/v2/data-actions/lookup/invoke", vec![Err(TransportFailure::new(TransportFailureKind::Refused, "unexpected redirect"))]);
    let err = block_on(client.invoke("lookup", &json!({"customerId": "1"}), invoke_options(), CallOptions::default())).unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("transport", false));
    assert!(!err.to_string().contains("may have run upstream"), "refused before anything ran: {err}");
    assert_eq!(upstream.count("Post /api/v2/data-actions/lookup/invoke"), 1);
}

#[test]
fn an_answer_too_large_to_read_is_not_retried_and_an_invoke_may_have_run() {
    let (client, upstream, _clock) = client(json!({}));
    let too_large = || Err(TransportFailure::new(TransportFailureKind::TooLarge, "GET x: the answer's body is 9000000 bytes"));
    upstream.queue("Get /api/v2/data-actions/lookup", vec![too_large()]);
    let err = block_on(client.get_action("lookup", None)).unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("transport", false));
    assert_eq!(upstream.count("Get /api/v2/data-actions/lookup"), 1, "the same GET would get the same answer");

    block_on(client.get_action("lookup", None)).unwrap();
    upstream.queue("Post /api/v2/data-actions/lookup/invoke", vec![too_large()]);
    let err = block_on(client.invoke("lookup", &json!({"customerId": "1"}), invoke_options(), CallOptions::default())).unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("transport", false));
    assert!(err.to_string().contains("may have run upstream"), "the invoke reached the upstream: {err}");
    assert_eq!(upstream.count("Post /api/v2/data-actions/lookup/invoke"), 1);
}

#[test]
fn the_invoke_post_is_never_repeated_after_an_unknown_outcome() {
    let (client, upstream, _clock) = client(json!({}));
    upstream.queue("Post /api/v2/data-actions/lookup/invoke", vec![
        Err(TransportFailure::new(TransportFailureKind::Timeout, "timed out")),
        status(503, json!({"errors": [{"code": "SERVICE_UNAVAILABLE", "message": "busy"}]})),
    ]);
    let err = block_on(client.invoke("lookup", &json!({"customerId": "1"}), invoke_options(), CallOptions::default())).unwrap_err();
    assert_eq!(err.code(), "transport");
    assert!(!err.retryable(), "an outcome-unknown invoke must not be advertised as safe to retry");
    assert!(err.to_string().contains("not repeated"), "{err}");
    let err = block_on(client.invoke("lookup", &json!({"customerId": "1"}), invoke_options(), CallOptions::default())).unwrap_err();
    assert_eq!((err.code(), err.status()), ("upstream", Some(503)));
    assert_eq!(upstream.count("Post /api/v2/data-actions/lookup/invoke"), 2, "one POST per call");
}

#[test]
fn idempotent_requests_are_retried_through_transient_failures() {
    let (client, upstream, _clock) = client(json!({}));
    upstream.queue("Get /api/v2/data-actions/lookup", vec![
        Err(TransportFailure::new(TransportFailureKind::Network, "connection reset")),
        status(502, json!({})),
        status(504, json!({})),
    ]);
    let definition = block_on(client.get_action("lookup", None)).unwrap();
    assert_eq!(definition.inputs.len(), 3);
    assert_eq!(upstream.count("Get /api/v2/data-actions/lookup"), 4);
}

#[test]
fn a_401_mid_poll_refreshes_the_token_once_and_polling_goes_on() {
    let (client, upstream, _clock) = client(json!({}));
    upstream.queue("Get /api/v2/data-actions/job/invoke/job-1", vec![
        status(200, json!({"invokeId": "job-1", "status": "running"})),
        status(401, json!({"errors": [{"code": "UNAUTHORIZED", "message": "token revoked"}]})),
        status(200, json!({"invokeId": "job-1", "status": "completed", "outputs": {}})),
    ]);
    let result = block_on(client.invoke("job", &json!({"name": "r"}), invoke_options(), CallOptions::default())).unwrap();
    assert_eq!(result.status, "completed");
    assert_eq!(upstream.count("Post /oauth2/token"), 2);
    let auth: Vec<String> = upstream.seen.borrow().iter().filter(|s| s.path.contains("/invoke/")).filter_map(|s| s.authorization.clone()).collect();
    assert_eq!(auth, vec!["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
}

#[test]
fn a_second_401_is_unauthorized() {
    let (client, upstream, _clock) = client(json!({}));
    let rejected = || status(401, json!({"errors": [{"code": "UNAUTHORIZED", "message": "nope"}]}));
    upstream.queue("Get /api/v2/data-actions/lookup", vec![rejected(), rejected()]);
    let err = block_on(client.get_action("lookup", None)).unwrap_err();
    assert_eq!((err.code(), err.status()), ("unauthorized", Some(401)));
    assert_eq!(upstream.count("Post /oauth2/token"), 2);
}

#[test]
fn tokens_are_reused_then_refreshed_sixty_seconds_before_expiry() {
    let (client, upstream, clock) = client(json!({"definitionTtlMs": 1}));
    block_on(client.get_action("lookup", None)).unwrap();
    clock.advance(3_600_000 - 60_001);
    block_on(client.get_action("lookup", None)).unwrap();
    assert_eq!(upstream.count("Post /oauth2/token"), 1);
    clock.advance(1);
    block_on(client.get_action("lookup", None)).unwrap();
    assert_eq!(upstream.count("Post /oauth2/token"), 2);
}

#[test]
fn concurrent_callers_share_one_token_refresh() {
    let (client, upstream, _clock) = client(json!({}));
    let (a, b, c) = block_on(async {
        futures::join!(client.get_action("lookup", None), client.get_action("job", None), client.token(None))
    });
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert_eq!(upstream.count("Post /oauth2/token"), 1);
}

#[test]
fn concurrent_callers_share_a_failed_token_refresh() {
    let (client, upstream, _clock) = client(json!({}));
    upstream.queue("Post /oauth2/token", vec![status(401, json!({"error": "invalid_client", "error_description": "bad secret"}))]);
    let (a, b, c) = block_on(async { futures::join!(client.token(None), client.token(None), client.get_action("lookup", None)) });
    for outcome in [a.map(|_| ()), b.map(|_| ()), c.map(|_| ())] {
        assert_eq!(outcome.unwrap_err().code(), "unauthorized");
    }
    assert_eq!(upstream.count("Post /oauth2/token"), 1, "the waiters got the refresher's error");
}

#[test]
fn definitions_are_cached_then_revalidated_with_the_etag() {
    let (client, upstream, clock) = client(json!({"definitionTtlMs": 10_000}));
    block_on(client.get_action("lookup", None)).unwrap();
    block_on(client.get_action("lookup", None)).unwrap();
    assert_eq!(upstream.count("Get /api/v2/data-actions/lookup"), 1);
    clock.advance(10_000);
    upstream.queue("Get /api/v2/data-actions/lookup", vec![status(304, json!(null))]);
    let definition = block_on(client.get_action("lookup", None)).unwrap();
    assert_eq!(definition.id, "lookup");
    let last = upstream.seen.borrow().last().cloned().unwrap();
    assert_eq!(last.if_none_match.as_deref(), Some("\"v1\""));
}

#[test]
fn polling_ends_in_a_timeout_that_carries_the_invoke_id() {
    let (client, upstream, clock) = client(json!({}));
    let start = clock.now.get();
    let options = InvokeOptions { max_poll_ms: Some(10_000), ..InvokeOptions::default() };
    let running: Vec<_> = (0..100).map(|_| status(200, json!({"invokeId": "job-1", "status": "running"}))).collect();
    upstream.queue("Get /api/v2/data-actions/job/invoke/job-1", running);
    let err = block_on(client.invoke("job", &json!({"name": "r"}), options, CallOptions::default())).unwrap_err();
    assert_eq!(err.code(), "timeout");
    assert_eq!(err.invoke_id(), Some("job-1"));
    let elapsed = clock.now.get() - start;
    assert!((10_000..=10_100).contains(&elapsed), "ended at {elapsed} ms");
    let last_poll = upstream.seen.borrow().last().map(|s| s.at_ms - start).unwrap();
    assert_eq!(last_poll, 10_000, "the last poll happens at the deadline");
}

#[test]
fn a_cancelled_signal_stops_polling() {
    let (client, upstream, _clock) = client(json!({}));
    let flag = Flag::default();
    let cancel_after_two = {
        let flag = flag.clone();
        let polls = std::cell::Cell::new(0);
        move |_: &cxone_data_actions::core::StatusEvent| {
            polls.set(polls.get() + 1);
            if polls.get() == 2 {
                flag.0.set(true);
            }
        }
    };
    upstream.queue("Get /api/v2/data-actions/job/invoke/job-1", vec![
        status(200, json!({"invokeId": "job-1", "status": "running"})),
        status(200, json!({"invokeId": "job-1", "status": "running"})),
    ]);
    let err = block_on(client.invoke("job", &json!({"name": "r"}), invoke_options(), CallOptions { signal: Some(&flag), on_status: Some(&cancel_after_two) })).unwrap_err();
    assert_eq!(err.code(), "cancelled");
    assert_eq!(err.invoke_id(), Some("job-1"));
    assert_eq!(upstream.count("Get /api/v2/data-actions/job/invoke/"), 1);
}

#[test]
fn failed_and_cancelled_async_results_map_to_errors() {
    let (client, upstream, _clock) = client(json!({}));
    upstream.queue("Get /api/v2/data-actions/job/invoke/job-1", vec![
        status(200, json!({"invokeId": "job-1", "status": "failed", "errors": [{"code": "EXECUTION_FAILED", "message": "CRM down"}]})),
    ]);
    let result = block_on(client.invoke("job", &json!({"name": "r"}), invoke_options(), CallOptions::default())).unwrap();
    assert_eq!(result.status, "failed");
    assert_eq!(result.audit.as_ref().map(|a| a.status.as_str()), Some("failed"));
    let err = result.into_completed().unwrap_err();
    assert_eq!((err.code(), err.upstream_code(), err.invoke_id()), ("execution_failed", Some("EXECUTION_FAILED"), Some("job-1")));
}

#[test]
fn upstream_statuses_map_to_typed_errors() {
    let (client, upstream, _clock) = client(json!({}));
    upstream.queue("Get /api/v2/data-actions/lookup", vec![
        status(403, json!({"errors": [{"code": "MISSING_SCOPE", "message": "token lacks scope data-actions:read"}]})),
        status(403, json!({"errors": [{"code": "FORBIDDEN", "message": "requires role DataActionsAdmin"}]})),
        status(404, json!({"errors": [{"code": "NOT_FOUND", "message": "no action lookup"}]})),
    ]);
    let scope = block_on(client.get_action("lookup", None)).unwrap_err();
    assert_eq!(scope.details().missing_scope.as_deref(), Some("data-actions:read"));
    let role = block_on(client.get_action("lookup", None)).unwrap_err();
    assert_eq!(role.code(), "forbidden");
    assert!(role.to_string().contains("DataActionsAdmin") && role.details().missing_scope.is_none());
    assert_eq!(block_on(client.get_action("lookup", None)).unwrap_err().code(), "not_found");
    assert_eq!(block_on(client.get_action("../etc", None)).unwrap_err().code(), "bad_input");

    upstream.queue("Post /api/v2/data-actions/lookup/invoke", vec![
        status(422, json!({"errors": [{"code": "TYPE_MISMATCH", "message": "bad", "parameter": "customerId"}]})),
        status(500, json!({"errors": [{"code": "DOWNSTREAM_ERROR", "message": "CRM returned 500"}]})),
    ]);
    let invalid = block_on(client.invoke("lookup", &json!({"customerId": "1"}), invoke_options(), CallOptions::default())).unwrap_err();
    assert_eq!((invalid.code(), invalid.status(), invalid.issues()[0].parameter.as_str()), ("validation", Some(422), "customerId"));
    let failed = block_on(client.invoke("lookup", &json!({"customerId": "1"}), invoke_options(), CallOptions::default())).unwrap_err();
    assert_eq!((failed.code(), failed.upstream_code()), ("execution_failed", Some("DOWNSTREAM_ERROR")));
}

#[test]
fn a_redirect_is_an_error_naming_it_and_the_post_is_not_repeated() {
    let (client, upstream, _clock) = client(json!({}));
    block_on(client.get_action("lookup", None)).unwrap();
    let mut moved = status(307, json!({})).unwrap();
    moved.headers.push(("location".into(), "https://elsewhere.example/api/v2/data-actions/lookup/invoke?sig=secret".into()));
    upstream.queue("Post /api/v2/data-actions/lookup/invoke", vec![Ok(moved)]);
    let err = block_on(client.invoke("lookup", &json!({"customerId": "1"}), invoke_options(), CallOptions::default())).unwrap_err();
    assert_eq!((err.code(), err.status(), err.retryable()), ("upstream", Some(307), false));
    let message = err.to_string();
    assert!(message.contains("redirect to https://elsewhere.example/api/v2/data-actions/lookup/invoke"), "{message}");
    assert!(message.contains("does not follow") && !message.contains("secret"), "{message}");
    assert_eq!(upstream.count("Post /api/v2/data-actions/lookup/invoke"), 1);
}

#[test]
fn local_validation_lists_every_problem_and_sends_nothing() {
    let (client, upstream, _clock) = client(json!({}));
    block_on(client.get_action("lookup", None)).unwrap();
    let before = upstream.seen.borrow().len();
    let err = block_on(client.invoke("lookup", &json!({"maxResults": "4.5", "includeHistory": "perhaps", "colour": "red"}), invoke_options(), CallOptions::default())).unwrap_err();
    let params: Vec<&str> = err.issues().iter().map(|i| i.parameter.as_str()).collect();
    assert_eq!(params, vec!["customerId", "colour", "includeHistory", "maxResults"]);
    assert_eq!(upstream.seen.borrow().len(), before);
}

#[test]
fn the_retry_budget_stops_a_storm() {
    let (client, upstream, _clock) = client(json!({"retry": {"budgetCapacity": 20, "retryCost": 5, "maxAttempts": 10}}));
    block_on(client.token(None)).unwrap();
    let unavailable: Vec<_> = (0..50).map(|_| status(503, json!({}))).collect();
    upstream.queue("Get /api/v2/data-actions/lookup", unavailable);
    let err = block_on(client.get_action("lookup", None)).unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(upstream.count("Get /api/v2/data-actions/lookup"), 5, "four retries drain a budget of 20");
    let err = block_on(client.get_action("lookup", None)).unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(upstream.count("Get /api/v2/data-actions/lookup"), 6, "an empty budget means no retry");
}

#[test]
fn bad_credentials_are_unauthorized_and_the_secret_never_leaks() {
    let (client, upstream, _clock) = client(json!({}));
    upstream.queue("Post /oauth2/token", vec![status(401, json!({"error": "invalid_client", "error_description": "unknown client"}))]);
    let err = block_on(client.get_action("lookup", None)).unwrap_err();
    assert_eq!((err.code(), err.upstream_code()), ("unauthorized", Some("invalid_client")));
    let shown = format!("{err} {err:?} {:?}", err.details());
    assert!(!shown.contains("demo-secret-value"), "{shown}");
}

#[test]
fn the_audit_hash_does_not_depend_on_input_key_order() {
    let (client, _upstream, _clock) = client(json!({}));
    let a: serde_json::Value = serde_json::from_str(r#"{"customerId":"1","includeHistory":true,"maxResults":3}"#).unwrap();
    let b: serde_json::Value = serde_json::from_str(r#"{"maxResults":3,"includeHistory":true,"customerId":"1"}"#).unwrap();
    let first = block_on(client.invoke("lookup", &a, invoke_options(), CallOptions::default())).unwrap();
    let second = block_on(client.invoke("lookup", &b, invoke_options(), CallOptions::default())).unwrap();
    assert_eq!(first.audit.unwrap().payload_hash, second.audit.unwrap().payload_hash);
}

#[test]
fn the_audit_hash_is_the_rfc_8785_hash_anyone_recomputes() {
    let (client, _upstream, _clock) = client(json!({}));
    let result = block_on(client.invoke("lookup", &json!({"includeHistory": "yes", "customerId": 42}), invoke_options(), CallOptions::default())).unwrap();
    // sha256 of the JCS form of {"inputs": {"customerId": "42", "includeHistory": true}, "context": {}},
    // computed with Python's rfc8785 package (README, "Verifying an audit line's payloadHash").
    assert_eq!(result.audit.unwrap().payload_hash, "6936ec4682a022b830b72c484f5184c230da5c3927be5905a713667802569366");
}

#[test]
fn callbacks_answer_synced_or_processed_and_duplicates_change_nothing() {
    let (client, _upstream, clock) = client(json!({}));
    let first = client.handle_callback(json!({"invokeId": "job-1", "status": "completed", "outputs": {"rows": 1}})).unwrap();
    clock.advance(5_000);
    let again = client.handle_callback(json!({"invokeId": "job-1", "status": "completed", "outputs": {"rows": 1}})).unwrap();
    assert_eq!(first.callback_status, "SYNCED");
    assert!(again.duplicate);
    assert_eq!((again.processed_at, again.audit_log), (first.processed_at, first.audit_log));
    let failed = client.handle_callback(json!({"invokeId": "job-2", "status": "failed"})).unwrap();
    assert_eq!(failed.callback_status, "PROCESSED");
    assert_eq!(client.handle_callback(json!({"status": "failed"})).unwrap_err().code(), "bad_input");
}

#[test]
fn dot_segment_action_ids_send_nothing_and_no_token() {
    let (client, upstream, _clock) = client(json!({}));
    for id in ["..", ".", "...", "a/b", "%2e%2e"] {
        let err = block_on(client.get_action(id, None)).unwrap_err();
        assert_eq!(err.code(), "bad_input", "{id}");
        let err = block_on(client.invoke(id, &json!({}), invoke_options(), CallOptions::default())).unwrap_err();
        assert_eq!(err.code(), "bad_input", "{id}");
        assert_eq!(block_on(client.get_invocation(id, "inv-1", None)).unwrap_err().code(), "bad_input", "{id}");
    }
    assert!(upstream.seen.borrow().is_empty(), "{:?}", upstream.routes());
}

#[test]
fn the_invoke_url_is_never_built_from_an_unchecked_upstream_id() {
    let (client, upstream, _clock) = client(json!({}));
    // The upstream answers a definition whose own id is a dot segment, then one for another action.
    upstream.queue("Get /api/v2/data-actions/lookup", vec![
        status(200, json!({"id": "..", "inputs": []})),
        status(200, json!({"id": "job", "inputs": []})),
    ]);
    for _ in 0..2 {
        let err = block_on(client.invoke("lookup", &json!({}), invoke_options(), CallOptions::default())).unwrap_err();
        assert_eq!((err.code(), err.retryable()), ("upstream", false), "{err}");
    }
    assert_eq!(upstream.routes(), vec!["Post /oauth2/token", "Get /api/v2/data-actions/lookup", "Get /api/v2/data-actions/lookup"]);
}

#[test]
fn a_short_lived_token_is_reused_for_three_quarters_of_its_lifetime() {
    let (client, upstream, clock) = client(json!({"definitionTtlMs": 1}));
    upstream.queue("Post /oauth2/token", vec![
        status(200, json!({"access_token": "short-1", "expires_in": 60})),
        status(200, json!({"access_token": "short-2", "expires_in": 60})),
    ]);
    for _ in 0..5 {
        block_on(client.get_action("lookup", None)).unwrap();
        clock.advance(1_000);
    }
    assert_eq!(upstream.count("Post /oauth2/token"), 1, "not refreshed on every call");
    clock.advance(45_000 - 5_000);
    block_on(client.get_action("lookup", None)).unwrap();
    assert_eq!(upstream.count("Post /oauth2/token"), 2, "refreshed 15 s before the 60 s token expires");
}

#[test]
fn a_running_notification_then_the_completed_one_are_two_notifications() {
    let (client, _upstream, _clock) = client(json!({}));
    let running = client.handle_callback(json!({"invokeId": "job-9", "status": "running"})).unwrap();
    let completed = client.handle_callback(json!({"invokeId": "job-9", "status": "completed", "outputs": {"rows": 1}})).unwrap();
    assert!(!running.duplicate && !completed.duplicate);
    assert_eq!((running.callback_status.as_str(), completed.callback_status.as_str()), ("PROCESSED", "SYNCED"));
    assert!(client.handle_callback(json!({"invokeId": "job-9", "status": "completed", "outputs": {"rows": 1}})).unwrap().duplicate);
}

#[test]
fn an_invoke_id_that_is_a_dot_segment_is_never_polled() {
    let (client, upstream, _clock) = client(json!({}));
    for id in ["..", "."] {
        assert_eq!(block_on(client.get_invocation("job", id, None)).unwrap_err().code(), "bad_input", "{id}");
    }
    upstream.queue("Post /api/v2/data-actions/job/invoke", vec![status(202, json!({"invokeId": "..", "status": "queued"}))]);
    let err = block_on(client.invoke("job", &json!({"name": "r"}), invoke_options(), CallOptions::default())).unwrap_err();
    assert_eq!((err.code(), err.invoke_id(), err.retryable()), ("upstream", Some(".."), false), "{err}");
    assert_eq!(upstream.routes(), vec!["Post /oauth2/token", "Get /api/v2/data-actions/job", "Post /api/v2/data-actions/job/invoke"]);
}

#[test]
fn polling_keeps_the_invoke_id_of_the_invoke_answer() {
    let (client, upstream, _clock) = client(json!({}));
    upstream.queue("Get /api/v2/data-actions/job/invoke/job-1", vec![
        status(200, json!({"invokeId": "..", "status": "running"})),
        status(200, json!({"invokeId": "job-1", "status": "completed"})),
    ]);
    let result = block_on(client.invoke("job", &json!({"name": "r"}), invoke_options(), CallOptions::default())).unwrap();
    assert_eq!((result.status.as_str(), result.invoke_id.as_deref(), result.polls), ("completed", Some("job-1"), 2));
    assert_eq!(upstream.count("Get /api/v2/data-actions/job/invoke/job-1"), 2);
}
