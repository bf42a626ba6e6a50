//! The actions this Worker has served a definition of, for `GET /v1/actions` when the upstream
//! cannot list: one KV key per action, `action:{actionId}`, whose metadata is its summary
//! `{id, name?, mode?}` (so a list of keys is a page of summaries, without reading values). An
//! isolate writes an action's key once (again only when its summary changes), after answering.

use std::cell::RefCell;
use std::collections::HashMap;


use super::app::App;
use super::kv::StorageError;
use crate::core::action_list::ActionSummary;
use crate::core::definition::ActionDefinition;
use crate::core::json::to_text;

/// Prefix of the seen actions' keys.
pub const SEEN_PREFIX: &str = "action:";
/// How long an action stays listed after it was last recorded (KV expires the key).
const SEEN_TTL_S: u64 = 30 * 86_400;
/// Summaries an isolate remembers having written (beyond that it forgets the oldest half).
const REMEMBERED_MAX: usize = 1024;

thread_local! {
    static WRITTEN: RefCell<HashMap<String, ActionSummary>> = RefCell::new(HashMap::new());
}

/// `action:{id}`.
pub fn seen_key(action_id: &str) -> String {
    format!("{SEEN_PREFIX}{action_id}")
}

/// Records that a definition was served, unless this isolate already recorded the same summary.
pub async fn remember(app: App, definition: ActionDefinition) {
    let summary = ActionSummary::of_definition(&definition);
    let already = WRITTEN.with(|written| written.borrow().get(&summary.id) == Some(&summary));
    if already {
        return;
    }
    let metadata = serde_json::to_value(&summary).unwrap_or_default();
    match app.kv.put(&seen_key(&summary.id), &to_text(&metadata), SEEN_TTL_S, Some(&metadata)).await {
        Ok(()) => WRITTEN.with(|written| {
            let mut written = written.borrow_mut();
            if written.len() >= REMEMBERED_MAX {
                let drop: Vec<String> = written.keys().take(REMEMBERED_MAX / 2).cloned().collect();
                for id in drop {
                    written.remove(&id);
                }
            }
            written.insert(summary.id.clone(), summary);
        }),
        Err(error) => app.log.warn("seen actions: cannot record", serde_json::json!({ "actionId": summary.id, "error": error.0 })),
    }
}

/// A page of seen actions, in key order, and the KV cursor of the next page.
pub struct SeenPage {
    /// The summaries.
    pub actions: Vec<ActionSummary>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<String>,
}

/// Up to `limit` seen actions from `cursor` (a KV list cursor from the previous page).
pub async fn list(app: &App, cursor: Option<String>, limit: u32) -> Result<SeenPage, StorageError> {
    let (keys, next) = app.kv.list_page(SEEN_PREFIX, u64::from(limit), cursor).await?;
    let actions = keys
        .into_iter()
        .filter_map(|key| {
            let id = key.name.strip_prefix(SEEN_PREFIX)?.to_string();
            let summary = key.metadata.and_then(|m| serde_json::from_value::<ActionSummary>(m).ok());
            Some(summary.filter(|s| s.id == id).unwrap_or(ActionSummary { id, name: None, mode: None }))
        })
        .collect();
    Ok(SeenPage { actions, next })
}
