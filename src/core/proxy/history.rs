//! `GET /v1/invocations?cursor=&limit=&actionId=&status=`: the rules of the history listing. The
//! Worker lists the records' KV read copies (`inv:{id}`, whose ids sort newest first) page by
//! page with KV's own cursor, keeps those whose metadata matches the filters, and never answers
//! more than `limit`.

use serde_json::Value;

use crate::core::definition::check_action_id;
use crate::core::error::DataActionsError;
use crate::core::record::RecordStatus;

/// Records per page when `limit` is absent.
pub const DEFAULT_HISTORY_LIMIT: u64 = 20;
/// The largest `limit`.
pub const MAX_HISTORY_LIMIT: u64 = 100;
/// KV list calls one request may make while filtering (a page with few matches is followed by
/// the next, up to this many).
pub const MAX_HISTORY_LIST_CALLS: usize = 5;
/// Longest cursor accepted (KV's cursors are far shorter).
const MAX_CURSOR_LEN: usize = 1024;

/// A checked history query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    /// At most this many records.
    pub limit: u64,
    /// Where the previous page ended (opaque).
    pub cursor: Option<String>,
    /// Only this action's invocations.
    pub action_id: Option<String>,
    /// Only invocations in this status.
    pub status: Option<RecordStatus>,
}

fn bad(message: impl Into<String>) -> DataActionsError {
    DataActionsError::BadInput { message: message.into() }
}

/// Reads the query parameters (`param(name)` answers the first value of that name).
pub fn parse_history_query(param: impl Fn(&str) -> Option<String>) -> Result<HistoryQuery, DataActionsError> {
    let limit = match param("limit") {
        None => DEFAULT_HISTORY_LIMIT,
        Some(text) => match text.trim().parse::<u64>() {
            Ok(n) if (1..=MAX_HISTORY_LIMIT).contains(&n) => n,
            _ => return Err(bad(format!("`limit` must be a whole number from 1 to {MAX_HISTORY_LIMIT}"))),
        },
    };
    let cursor = param("cursor").filter(|c| !c.is_empty());
    if cursor.as_ref().is_some_and(|c| c.len() > MAX_CURSOR_LEN || !c.bytes().all(|b| b.is_ascii_graphic())) {
        return Err(bad("`cursor` is not a cursor this Worker gave out"));
    }
    let action_id = param("actionId").filter(|a| !a.is_empty());
    if let Some(action_id) = &action_id {
        check_action_id(action_id)?;
    }
    let status = match param("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(name) => Some(record_status(&name).ok_or_else(|| {
            bad(format!("`status` must be one of pending, completed, failed, cancelled, timed_out (not {:?})", name.chars().take(32).collect::<String>()))
        })?),
    };
    Ok(HistoryQuery { limit, cursor, action_id, status })
}

fn record_status(name: &str) -> Option<RecordStatus> {
    [RecordStatus::Pending, RecordStatus::Completed, RecordStatus::Failed, RecordStatus::Cancelled, RecordStatus::TimedOut]
        .into_iter()
        .find(|status| status.as_str() == name)
}

impl HistoryQuery {
    /// Whether a read copy with this KV metadata (`{status, actionId, createdAtMs}`) is listed.
    pub fn matches(&self, metadata: Option<&Value>) -> bool {
        let field = |name: &str| metadata.and_then(|m| m.get(name)).and_then(Value::as_str);
        self.action_id.as_deref().is_none_or(|wanted| field("actionId") == Some(wanted))
            && self.status.is_none_or(|wanted| field("status") == Some(wanted.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(pairs: &[(&str, &str)]) -> Result<HistoryQuery, DataActionsError> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse_history_query(|name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_bounds_and_filters() {
        assert_eq!(query(&[]).unwrap(), HistoryQuery { limit: 20, cursor: None, action_id: None, status: None });
        assert_eq!(query(&[("limit", "100")]).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten"] {
            assert_eq!(query(&[("limit", bad)]).unwrap_err().code(), "bad_input", "{bad}");
        }
        let q = query(&[("actionId", "export-report"), ("status", "timed_out"), ("cursor", "abc")]).unwrap();
        assert_eq!((q.action_id.as_deref(), q.status, q.cursor.as_deref()), (Some("export-report"), Some(RecordStatus::TimedOut), Some("abc")));
        assert_eq!(query(&[("status", "done")]).unwrap_err().code(), "bad_input");
        assert_eq!(query(&[("actionId", "a$b")]).unwrap_err().code(), "bad_input");
        assert_eq!(query(&[("cursor", "has space")]).unwrap_err().code(), "bad_input");
    }

    #[test]
    fn metadata_is_matched_against_the_filters() {
        let q = query(&[("actionId", "export-report"), ("status", "completed")]).unwrap();
        assert!(q.matches(Some(&json!({"actionId": "export-report", "status": "completed", "createdAtMs": 1}))));
        assert!(!q.matches(Some(&json!({"actionId": "export-report", "status": "pending"}))));
        assert!(!q.matches(Some(&json!({"actionId": "lookup-customer", "status": "completed"}))));
        assert!(!q.matches(None));
        assert!(query(&[]).unwrap().matches(None), "no filter lists everything");
    }
}
