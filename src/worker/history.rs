//! `GET /v1/invocations?cursor=&limit=&actionId=&status=`: the last invocations, newest first,
//! from the records' KV read copies (their ids sort newest first; the filters are matched against
//! each copy's metadata, see `core::proxy::listing`). Answers `{invocations: [record ...],
//! cursor}`, each record as `GET /v1/invocations/{id}` shows it; `cursor` is `null` after the last
//! page. Pending copies are hints (their objects are the truth): open one to see it now.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use serde_json::Value;

use super::app::App;
use super::http::{json_response, query_param, Answer, ApiError, Incoming};
use super::store::{self, RECORD_PREFIX};
use crate::core::proxy::listing::{invocations_page_body, parse_invocation_query, MAX_HISTORY_LIST_CALLS};
use crate::core::record::InvocationRecord;

/// The page.
pub async fn list(app: &App, req: &Incoming) -> Result<Answer, ApiError> {
    let param = |name: &str| query_param(req, name);
    let query = parse_invocation_query(param("limit").as_deref(), param("cursor").as_deref(), param("actionId").as_deref(), param("status").as_deref())?;
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let mut ids: Vec<String> = Vec::new();
    let mut cursor = query.cursor.clone();
    for _ in 0..MAX_HISTORY_LIST_CALLS {
        let (keys, next) = app.kv.list_page(RECORD_PREFIX, u64::from(query.limit), cursor.clone()).await.map_err(|e| ApiError::storage(&e.0))?;
        let matching: Vec<String> = keys
            .into_iter()
            .filter(|key| query.matches(key.metadata.as_ref()))
            .filter_map(|key| key.name.strip_prefix(RECORD_PREFIX).map(str::to_string))
            .collect();
        if ids.len() + matching.len() > limit {
            // This page does not fit whole: the next request starts at it (KV's cursors mark pages).
            break;
        }
        ids.extend(matching);
        cursor = next;
        if cursor.is_none() || ids.len() == limit {
            break;
        }
    }
    let records = read_all(app, &ids).await;
    let invocations: Vec<Value> = records.into_iter().flatten().map(|record| record.public_view()).collect();
    Ok(json_response(200, &invocations_page_body(invocations, cursor.as_deref()), &[]))
}

type Read<'a> = Pin<Box<dyn Future<Output = Option<InvocationRecord>> + 'a>>;

/// Reads the copies concurrently, in order; one that is gone (expired) or cannot be decoded is
/// left out (the latter is logged).
async fn read_all(app: &App, ids: &[String]) -> Vec<Option<InvocationRecord>> {
    let mut reads: Vec<(usize, Read<'_>)> =
        ids.iter().enumerate().map(|(i, id)| (i, Box::pin(async move { store::read_copy(app, id).await.ok().flatten() }) as Read<'_>)).collect();
    let mut out: Vec<Option<InvocationRecord>> = vec![None; ids.len()];
    std::future::poll_fn(|cx| {
        reads.retain_mut(|(i, read)| match read.as_mut().poll(cx) {
            Poll::Ready(record) => {
                if let Some(slot) = out.get_mut(*i) {
                    *slot = record;
                }
                false
            }
            Poll::Pending => true,
        });
        if reads.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    out
}
