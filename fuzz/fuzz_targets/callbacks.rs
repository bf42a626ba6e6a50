//! Completion callbacks: any body through the notification parser and the ledger, and Standard
//! Webhooks verification with any headers.
//!
//! Properties, besides "never panics":
//! - a notification answered once is a duplicate the second time, with the first answer; the
//!   answer is `SYNCED` exactly for `completed`, and its audit line is JSON naming the invocation;
//! - a signature made by `sign_webhook` verifies, and never verifies once one byte of the body,
//!   the signature, the timestamp or the id is changed;
//! - arbitrary headers never verify against a secret the fuzzer cannot see.
#![no_main]

mod common;

use arbitrary::{Result, Unstructured};
use cxone_data_actions::core::callback::{parse_notification_body, sign_webhook, verify_webhook, CallbackLedger, WebhookHeaders};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const KEYS: &[&str] = &["invokeId", "status", "outputs", "errors", "actionId", "latencyMs", "code", "message"];
const TOLERANCE_MS: u64 = 300_000;

fn notifications(u: &mut Unstructured<'_>) -> Result<()> {
    let body = if u.arbitrary()? {
        u.arbitrary::<&[u8]>()?.to_vec()
    } else {
        let mut object = common::object(u, 2, KEYS)?;
        object.insert("invokeId".into(), Value::String(common::text(u)?));
        object.insert("status".into(), Value::String(common::text(u)?));
        Value::Object(object).to_string().into_bytes()
    };
    let Ok(notification) = parse_notification_body(&body) else { return Ok(()) };
    assert!(!notification.invoke_id.is_empty() && !notification.status.is_empty());
    let mut ledger = CallbackLedger::new(u.int_in_range(1..=4usize)?);
    let now_ms = u.int_in_range(0..=4_102_444_800_000u64)?;
    let first = ledger.handle(&notification, now_ms);
    assert!(!first.duplicate);
    assert_eq!(first.callback_status == "SYNCED", notification.status == "completed");
    let audit: Value = serde_json::from_str(&first.audit_log).expect("the audit line is JSON");
    assert_eq!(audit["invokeId"], Value::String(notification.invoke_id.clone()));
    assert_eq!(audit["payloadHash"].as_str().map(str::len), Some(64));
    let again = ledger.handle(&notification, now_ms.saturating_add(1_000));
    assert!(again.duplicate);
    assert_eq!((&again.audit_log, &again.processed_at, &again.callback_status), (&first.audit_log, &first.processed_at, &first.callback_status));
    Ok(())
}

fn change_one_byte(u: &mut Unstructured<'_>, bytes: &[u8]) -> Result<Option<Vec<u8>>> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let mut changed = bytes.to_vec();
    let at = u.choose_index(changed.len())?;
    let by = u.int_in_range(1..=255u8)?;
    changed[at] = changed[at].wrapping_add(by);
    Ok(Some(changed))
}

fn webhooks(u: &mut Unstructured<'_>) -> Result<()> {
    let secret = if u.arbitrary()? { format!("whsec_{}", common::text(u)?) } else { common::text(u)? };
    let id = common::text(u)?;
    let sent_s = u.int_in_range(0..=4_102_444_800u64)?;
    let body = u.arbitrary::<&[u8]>()?.to_vec();
    let now_ms = sent_s.saturating_mul(1000).saturating_add(u.int_in_range(0..=TOLERANCE_MS)?);
    let timestamp = sent_s.to_string();

    // Whatever headers the fuzzer makes up, the verifier answers (and never panics).
    let made_up = (common::text(u)?, common::text(u)?, common::text(u)?);
    let headers = WebhookHeaders { id: Some(&made_up.0), timestamp: Some(&made_up.1), signature: Some(&made_up.2) };
    let _ = verify_webhook(&secret, headers, &body, now_ms, TOLERANCE_MS);

    let Ok(signature) = sign_webhook(&secret, &id, sent_s, &body) else { return Ok(()) };
    let headers = WebhookHeaders { id: Some(&id), timestamp: Some(&timestamp), signature: Some(&signature) };
    assert_eq!(verify_webhook(&secret, headers, &body, now_ms, TOLERANCE_MS), Ok(()), "a fresh signature does not verify");
    // Among other entries, it still verifies.
    let listed = format!("v1,AAAA {signature} v2,x");
    assert_eq!(verify_webhook(&secret, WebhookHeaders { signature: Some(&listed), ..headers }, &body, now_ms, TOLERANCE_MS), Ok(()));

    match u.int_in_range(0..=3u8)? {
        0 => {
            if let Some(changed) = change_one_byte(u, &body)? {
                assert!(verify_webhook(&secret, headers, &changed, now_ms, TOLERANCE_MS).is_err(), "verified with a body byte changed");
            }
        }
        1 => {
            if let Some(changed) = change_one_byte(u, signature.as_bytes())? {
                let changed = String::from_utf8_lossy(&changed).into_owned();
                let result = verify_webhook(&secret, WebhookHeaders { signature: Some(&changed), ..headers }, &body, now_ms, TOLERANCE_MS);
                assert!(result.is_err(), "verified with signature {changed:?} for {signature:?}");
            }
        }
        2 => {
            if let Some(changed) = change_one_byte(u, timestamp.as_bytes())? {
                let changed = String::from_utf8_lossy(&changed).into_owned();
                let result = verify_webhook(&secret, WebhookHeaders { timestamp: Some(&changed), ..headers }, &body, now_ms, TOLERANCE_MS);
                assert!(result.is_err(), "verified with timestamp {changed:?} for {timestamp:?}");
            }
        }
        _ => {
            if let Some(changed) = change_one_byte(u, id.as_bytes())? {
                let changed = String::from_utf8_lossy(&changed).into_owned();
                let result = verify_webhook(&secret, WebhookHeaders { id: Some(&changed), ..headers }, &body, now_ms, TOLERANCE_MS);
                assert!(result.is_err(), "verified with id {changed:?} for {id:?}");
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.arbitrary().unwrap_or(false) { notifications(&mut u) } else { webhooks(&mut u) };
});
