//! The proxy's paged lists (`GET /v1/actions`, `GET /v1/invocations`): the `limit` and opaque
//! `cursor` query parameters, and the cursor of `/v1/actions`, which says where the next page
//! comes from (the upstream's list, or the actions this Worker has seen when the upstream cannot
//! list).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};

use crate::core::action_list::ActionSummary;
use crate::core::definition::check_action_id;
use crate::core::error::DataActionsError;
use crate::core::record::RecordStatus;

/// `limit` when none is given.
pub const DEFAULT_LIMIT: u32 = 25;
/// The largest `limit`.
pub const MAX_LIMIT: u32 = 100;
/// The longest `cursor` accepted.
pub const MAX_CURSOR_LEN: usize = 2048;

fn bad(message: impl Into<String>) -> DataActionsError {
    DataActionsError::BadInput { message: message.into() }
}

/// `?limit=N`: a whole number from 1 to [`MAX_LIMIT`]; absent means [`DEFAULT_LIMIT`].
pub fn parse_limit(value: Option<&str>) -> Result<u32, DataActionsError> {
    let Some(text) = value else { return Ok(DEFAULT_LIMIT) };
    match text.trim().parse::<u32>() {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(bad(format!("`limit` must be a whole number from 1 to {MAX_LIMIT}"))),
    }
}

/// The query of `GET /v1/invocations?cursor=&limit=&actionId=&status=`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationQuery {
    /// Records per page.
    pub limit: u32,
    /// Where the previous page ended (opaque to callers; whatever the store's listing gave).
    pub cursor: Option<String>,
    /// Only this action's records.
    pub action_id: Option<String>,
    /// Only records with this status.
    pub status: Option<RecordStatus>,
}

/// A query parameter that is given and not empty.
fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// Reads the history's query parameters: `limit` as [`parse_limit`], a `cursor` of at most
/// [`MAX_CURSOR_LEN`] characters (empty: the first page), an `actionId` that is an action id, a
/// `status` that is a record status (`pending`, `completed`, `failed`, `cancelled`, `timed_out`);
/// an empty filter is refused (it is a mistake, not "any").
pub fn parse_invocation_query(
    limit: Option<&str>,
    cursor: Option<&str>,
    action_id: Option<&str>,
    status: Option<&str>,
) -> Result<InvocationQuery, DataActionsError> {
    let cursor = match present(cursor) {
        Some(text) if text.len() > MAX_CURSOR_LEN || !text.bytes().all(|b| b.is_ascii_graphic()) => {
            return Err(bad("`cursor` is not one this Worker issued (start again without it)"))
        }
        other => other.map(str::to_string),
    };
    let action_id = match action_id {
        Some(id) => {
            check_action_id(id).map_err(|_| bad("`actionId` must be an action id (1 to 128 letters, digits, '_', '.' or '-')"))?;
            Some(id.to_string())
        }
        None => None,
    };
    let status = match status {
        Some(text) => Some(serde_json::from_value::<RecordStatus>(Value::String(text.to_string())).map_err(|_| {
            bad("`status` must be one of pending, completed, failed, cancelled, timed_out")
        })?),
        None => None,
    };
    Ok(InvocationQuery { limit: parse_limit(limit)?, cursor, action_id, status })
}

/// KV list calls one history request may make while filtering (a page with few matches is
/// followed by the next, up to this many).
pub const MAX_HISTORY_LIST_CALLS: usize = 5;

impl InvocationQuery {
    /// Whether a read copy with this KV metadata (`{status, actionId, createdAtMs}`) is listed.
    pub fn matches(&self, metadata: Option<&Value>) -> bool {
        let field = |name: &str| metadata.and_then(|m| m.get(name)).and_then(Value::as_str);
        self.action_id.as_deref().is_none_or(|wanted| field("actionId") == Some(wanted))
            && self.status.is_none_or(|wanted| field("status") == Some(wanted.as_str()))
    }
}

/// The body of a `/v1/invocations` page: `{invocations: [record...], cursor: string|null}`, the
/// records as `GET /v1/invocations/{id}` answers them (their public views).
pub fn invocations_page_body(records: Vec<Value>, next: Option<&str>) -> Value {
    json!({ "invocations": records, "cursor": next })
}

/// Where a page of `/v1/actions` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionSource {
    /// The upstream's own list.
    Upstream,
    /// The actions whose definitions this Worker has served (the upstream cannot list).
    Seen,
}

/// A position in `/v1/actions`, handed to callers as an opaque string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionsCursor {
    /// The upstream's page token.
    Upstream(String),
    /// The position in this Worker's list of seen actions.
    Seen(String),
}

impl ActionsCursor {
    /// The opaque form: unpadded base64url of `u:<token>` or `s:<position>`.
    pub fn encode(&self) -> String {
        let (tag, inner) = match self {
            ActionsCursor::Upstream(token) => ("u:", token),
            ActionsCursor::Seen(position) => ("s:", position),
        };
        URL_SAFE_NO_PAD.encode(format!("{tag}{inner}"))
    }

    /// Reads a cursor this Worker issued; anything else is `bad_input`.
    pub fn decode(text: &str) -> Result<ActionsCursor, DataActionsError> {
        let not_ours = || bad("`cursor` is not one this Worker issued (start again without it)");
        if text.is_empty() || text.len() > MAX_CURSOR_LEN {
            return Err(not_ours());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| not_ours())?;
        let decoded = String::from_utf8(bytes).map_err(|_| not_ours())?;
        match decoded.split_at_checked(2) {
            Some(("u:", token)) if !token.is_empty() => Ok(ActionsCursor::Upstream(token.to_string())),
            Some(("s:", position)) if !position.is_empty() => Ok(ActionsCursor::Seen(position.to_string())),
            _ => Err(not_ours()),
        }
    }
}

/// The body of a `/v1/actions` page: `{actions: [{id, name?, mode?}], cursor: string|null, source}`.
pub fn actions_page_body(actions: &[ActionSummary], next: Option<&ActionsCursor>, source: ActionSource) -> Value {
    json!({
        "actions": actions,
        "cursor": next.map(ActionsCursor::encode),
        "source": source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_whole_numbers_up_to_the_maximum() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("1")).unwrap(), 1);
        assert_eq!(parse_limit(Some(" 100 ")).unwrap(), 100);
        for bad in ["0", "101", "-1", "2.5", "x", ""] {
            assert_eq!(parse_limit(Some(bad)).unwrap_err().code(), "bad_input", "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        for cursor in [ActionsCursor::Upstream("export-report".into()), ActionsCursor::Seen("kv/cursor+=".into())] {
            let text = cursor.encode();
            assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
            assert_eq!(ActionsCursor::decode(&text).unwrap(), cursor);
        }
        let foreign = [
            String::new(),
            "export-report".into(),
            URL_SAFE_NO_PAD.encode("x:abc"),
            URL_SAFE_NO_PAD.encode("u:"),
            URL_SAFE_NO_PAD.encode([0xff, 0xfe]),
            "A".repeat(MAX_CURSOR_LEN + 1),
        ];
        for text in foreign {
            assert_eq!(ActionsCursor::decode(&text).unwrap_err().code(), "bad_input", "{text}");
        }
    }

    #[test]
    fn history_metadata_is_matched_against_the_filters() {
        let q = parse_invocation_query(None, None, Some("export-report"), Some("completed")).unwrap();
        assert!(q.matches(Some(&json!({"actionId": "export-report", "status": "completed", "createdAtMs": 1}))));
        assert!(!q.matches(Some(&json!({"actionId": "export-report", "status": "pending"}))));
        assert!(!q.matches(Some(&json!({"actionId": "lookup-customer", "status": "completed"}))));
        assert!(!q.matches(None));
        assert!(parse_invocation_query(None, None, None, None).unwrap().matches(None), "no filter lists everything");
        assert!(parse_invocation_query(None, Some("has space"), None, None).is_err());
    }

    #[test]
    fn history_queries_are_checked() {
        let all = parse_invocation_query(None, None, None, None).unwrap();
        assert_eq!(all, InvocationQuery { limit: DEFAULT_LIMIT, cursor: None, action_id: None, status: None });
        let some = parse_invocation_query(Some("10"), Some("c1"), Some("export-report"), Some("timed_out")).unwrap();
        assert_eq!(
            some,
            InvocationQuery { limit: 10, cursor: Some("c1".into()), action_id: Some("export-report".into()), status: Some(RecordStatus::TimedOut) }
        );
        assert_eq!(parse_invocation_query(None, Some(""), None, None).unwrap(), all, "an empty cursor is the first page");
        assert!(parse_invocation_query(Some(""), None, None, None).is_err(), "an empty limit is refused");
        assert!(parse_invocation_query(None, None, Some(""), None).is_err(), "an empty filter is refused");
        assert!(parse_invocation_query(None, None, None, Some("")).is_err());
        for (limit, cursor, action, status) in [
            (Some("0"), None, None, None),
            (None, Some("x".repeat(MAX_CURSOR_LEN + 1)), None, None),
            (None, None, Some("a/b".to_string()), None),
            (None, None, None, Some("done".to_string())),
            (None, None, None, Some("Pending".to_string())),
        ] {
            let error = parse_invocation_query(limit, cursor.as_deref(), action.as_deref(), status.as_deref()).unwrap_err();
            assert_eq!(error.code(), "bad_input", "{limit:?} {cursor:?} {action:?} {status:?}");
        }
        assert_eq!(invocations_page_body(vec![json!({"invocationId": "dai_1"})], None), json!({"invocations": [{"invocationId": "dai_1"}], "cursor": null}));
    }

    #[test]
    fn the_page_body_names_its_source_and_the_next_cursor() {
        let actions = vec![ActionSummary { id: "a".into(), name: Some("A".into()), mode: None }];
        let next = ActionsCursor::Seen("2".into());
        let body = actions_page_body(&actions, Some(&next), ActionSource::Seen);
        assert_eq!(body, json!({"actions": [{"id": "a", "name": "A"}], "cursor": next.encode(), "source": "seen"}));
        let last = actions_page_body(&[], None, ActionSource::Upstream);
        assert_eq!(last, json!({"actions": [], "cursor": null, "source": "upstream"}));
    }
}
