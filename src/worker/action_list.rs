//! `GET /v1/actions?cursor=&limit=`: the upstream's list of actions, a page at a time, through the
//! driver (`{actions: [{id, name, mode}], cursor, source: "upstream"}`); when the upstream cannot
//! list (no such route there), the actions this Worker has served definitions of
//! (`source: "seen"`, see [`super::seen_actions`]).

use serde_json::json;

use super::app::App;
use super::http::{json_response, query_param, Answer, ApiError, Incoming};
use super::seen_actions;
use super::token;
use crate::core::action_list::ActionList;
use crate::core::proxy::listing::{actions_page_body, parse_limit, ActionSource, ActionsCursor};

/// One page.
pub async fn list(app: &App, req: &Incoming) -> Result<Answer, ApiError> {
    let limit = parse_limit(query_param(req, "limit").as_deref())?;
    let cursor = query_param(req, "cursor").map(|text| ActionsCursor::decode(&text)).transpose()?;
    let page_token = match cursor {
        Some(ActionsCursor::Seen(position)) => return seen(app, Some(position), limit).await,
        Some(ActionsCursor::Upstream(token)) => Some(token),
        None => None,
    };
    token::ensure(app).await?;
    let answer = app.client().list_actions(page_token.as_deref(), limit, None).await;
    token::store_if_changed(app).await;
    match answer? {
        ActionList::Page(page) => {
            let next = page.next_page_token.map(ActionsCursor::Upstream);
            Ok(json_response(200, &actions_page_body(&page.actions, next.as_ref(), ActionSource::Upstream), &[]))
        }
        ActionList::Unsupported { status } => {
            app.log.annotate("actionListUpstreamStatus", json!(status));
            seen(app, None, limit).await
        }
    }
}

async fn seen(app: &App, position: Option<String>, limit: u32) -> Result<Answer, ApiError> {
    let page = seen_actions::list(app, position, limit).await.map_err(|e| ApiError::storage(&e.0))?;
    app.log.annotate("actionListSource", json!("seen"));
    let next = page.next.map(ActionsCursor::Seen);
    Ok(json_response(200, &actions_page_body(&page.actions, next.as_ref(), ActionSource::Seen), &[]))
}
