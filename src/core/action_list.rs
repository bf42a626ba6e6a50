//! The upstream's list of actions: the request for one page
//! (`GET {base}/api/v2/data-actions?pageSize=N&pageToken=T`) and what its answer means: a page of
//! `{id, name, mode}` summaries, or an upstream that cannot list (it has no such route).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::definition::ActionDefinition;

/// The largest page the upstream serves.
pub const MAX_PAGE_SIZE: u32 = 100;
/// The longest page token this client passes on (tokens are opaque, but not unbounded).
pub const MAX_PAGE_TOKEN_LEN: usize = 1024;

/// One listed action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionSummary {
    /// The action id.
    pub id: String,
    /// Its display name, when the upstream gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `sync` or `async`, when the upstream says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

impl ActionSummary {
    /// The summary of a definition (its `name` and `mode` when they are strings).
    pub fn of_definition(definition: &ActionDefinition) -> Self {
        let text = |key: &str| definition.extra.get(key).and_then(Value::as_str).map(str::to_string);
        ActionSummary { id: definition.id.clone(), name: text("name"), mode: text("mode") }
    }
}

/// One page of the upstream's list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionPage {
    /// The actions on this page, in the upstream's order.
    pub actions: Vec<ActionSummary>,
    /// The token of the next page; `None` on the last one.
    pub next_page_token: Option<String>,
}

/// What a list request found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionList {
    /// A page.
    Page(ActionPage),
    /// The upstream has no list route (it answered 404, 405 or 501 there): it cannot list.
    Unsupported {
        /// The status it answered.
        status: u16,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::ClientConfig;
    use crate::core::http::{HttpResponse, RequestPurpose};
    use crate::core::profile::cxone_seed::{list_request, parse_list_response};
    use serde_json::json;

    fn config() -> ClientConfig {
        ClientConfig::from_json(r#"{"baseUrl":"http://h:1","clientId":"i","clientSecret":"s"}"#).unwrap()
    }

    #[test]
    fn the_request_carries_size_and_token_encoded() {
        let request = list_request(&config(), Some("next page/2"), 25).unwrap();
        assert_eq!(request.url, "http://h:1/api/v2/data-actions?pageSize=25&pageToken=next+page%2F2");
        assert_eq!(request.purpose, RequestPurpose::List);
        assert!(request.needs_auth);
        assert_eq!(list_request(&config(), None, 100).unwrap().url, "http://h:1/api/v2/data-actions?pageSize=100");
        for size in [0, 101] {
            assert_eq!(list_request(&config(), None, size).unwrap_err().code(), "bad_input");
        }
        assert_eq!(list_request(&config(), Some(""), 5).unwrap_err().code(), "bad_input");
        assert_eq!(list_request(&config(), Some(&"t".repeat(1025)), 5).unwrap_err().code(), "bad_input");
    }

    #[test]
    fn pages_are_read_and_unusable_entries_left_out() {
        let body = json!({"actions": [
            {"id": "lookup-customer", "name": "Lookup customer", "mode": "sync"},
            {"id": "bare"},
            {"id": "has space", "name": "x"},
            {"name": "no id"},
            "not an object"
        ], "nextPageToken": "export-report", "total": 9});
        let ActionList::Page(page) = parse_list_response(&HttpResponse::json(200, &body), 0).unwrap() else {
            panic!("a page")
        };
        let ids: Vec<&str> = page.actions.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["lookup-customer", "bare"]);
        assert_eq!(page.actions[0].mode.as_deref(), Some("sync"));
        assert_eq!(page.actions[1].name, None);
        assert_eq!(page.next_page_token.as_deref(), Some("export-report"));

        let last = parse_list_response(&HttpResponse::json(200, &json!({"actions": [], "nextPageToken": ""})), 0).unwrap();
        assert_eq!(last, ActionList::Page(ActionPage::default()));
    }

    #[test]
    fn no_list_route_means_the_upstream_cannot_list() {
        for status in [404, 405, 501] {
            let answer = HttpResponse::json(status, &json!({"errors": [{"code": "NOT_FOUND", "message": "no route"}]}));
            assert_eq!(parse_list_response(&answer, 0).unwrap(), ActionList::Unsupported { status });
        }
        let forbidden = HttpResponse::json(403, &json!({"errors": [{"code": "MISSING_SCOPE", "message": "token lacks scope data-actions:read"}]}));
        let error = parse_list_response(&forbidden, 0).unwrap_err();
        assert_eq!(error.code(), "forbidden");
        assert_eq!(error.details().missing_scope.as_deref(), Some("data-actions:read"));
        let garbage = HttpResponse { status: 200, headers: vec![], body: b"<html>".to_vec() };
        assert_eq!(parse_list_response(&garbage, 0).unwrap_err().code(), "upstream");
    }

    #[test]
    fn a_definition_summarises_to_id_name_and_mode() {
        let definition: ActionDefinition =
            serde_json::from_value(json!({"id": "a", "name": "A", "mode": "async", "inputs": [], "outputs": []})).unwrap();
        assert_eq!(
            ActionSummary::of_definition(&definition),
            ActionSummary { id: "a".into(), name: Some("A".into()), mode: Some("async".into()) }
        );
    }
}
