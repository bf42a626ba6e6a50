//! The proxy's paged lists (`GET /v1/actions`, `GET /v1/invocations`): the `limit` and opaque
//! `cursor` query parameters, and the cursor of `/v1/actions`, which says where the next page
//! comes from (the upstream's list, or the actions this Worker has seen when the upstream cannot
//! list).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};

use crate::core::action_list::ActionSummary;
use crate::core::error::DataActionsError;

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
    fn the_page_body_names_its_source_and_the_next_cursor() {
        let actions = vec![ActionSummary { id: "a".into(), name: Some("A".into()), mode: None }];
        let next = ActionsCursor::Seen("2".into());
        let body = actions_page_body(&actions, Some(&next), ActionSource::Seen);
        assert_eq!(body, json!({"actions": [{"id": "a", "name": "A"}], "cursor": next.encode(), "source": "seen"}));
        let last = actions_page_body(&[], None, ActionSource::Upstream);
        assert_eq!(last, json!({"actions": [], "cursor": null, "source": "upstream"}));
    }
}
