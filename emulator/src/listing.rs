//! `GET /api/v2/data-actions?pageSize=N&pageToken=T`: the catalogue, one page at a time, in
//! catalogue order. Each entry is `{id, name, mode}`; `nextPageToken` is present while more
//! actions follow. The token is opaque to clients (it is the id of the next page's first action,
//! so a page stays right when the catalogue is the same). Restricted actions are listed too:
//! their definition and invoke still answer 403.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::catalogue::{Catalogue, Mode};
use crate::errors::{json_response, with_cache_control, ApiError};
use crate::state::{AppState, SCOPE_READ};
use crate::stats::Route;

/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: usize = 25;
/// The largest page size.
pub const MAX_PAGE_SIZE: usize = 100;

/// One listed action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub mode: Mode,
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<'a> {
    pub actions: Vec<Summary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<&'a str>,
    pub total: usize,
}

/// The query of a list request: page size and token, each at most once, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub page_size: usize,
    pub page_token: Option<String>,
}

/// Reads the query string (`None` when there is none).
pub fn parse_query(query: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut page_size: Option<usize> = None;
    let mut page_token: Option<String> = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "pageSize" => {
                if page_size.is_some() {
                    return Err(ApiError::bad_request("pageSize is given more than once"));
                }
                let size = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "pageSize must be an integer from 1 to {MAX_PAGE_SIZE}, got {value:?}"
                        ))
                    })?;
                page_size = Some(size);
            }
            "pageToken" => {
                if page_token.is_some() {
                    return Err(ApiError::bad_request("pageToken is given more than once"));
                }
                page_token = Some(value.into_owned());
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {other:?} (expected pageSize, pageToken)"
                )))
            }
        }
    }
    Ok(ListQuery {
        page_size: page_size.unwrap_or(DEFAULT_PAGE_SIZE),
        page_token,
    })
}

/// The page `query` asks for; a token that names no action is a 400.
pub fn page<'a>(catalogue: &'a Catalogue, query: &ListQuery) -> Result<Page<'a>, ApiError> {
    let ids: Vec<&str> = catalogue.ids().collect();
    let start = match query.page_token.as_deref() {
        None => 0,
        Some(token) => ids.iter().position(|id| *id == token).ok_or_else(|| {
            ApiError::bad_request(
                "pageToken is not one this server issued (start again without it)",
            )
        })?,
    };
    let end = start.saturating_add(query.page_size).min(ids.len());
    let actions = ids
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .filter_map(|id| catalogue.get(id))
        .map(|action| Summary {
            id: &action.id,
            name: &action.name,
            mode: action.mode,
        })
        .collect();
    Ok(Page {
        actions,
        next_page_token: ids.get(end).copied(),
        total: ids.len(),
    })
}

/// `GET /api/v2/data-actions`: needs `data-actions:read`.
pub async fn list(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    list_inner(&state, &uri, &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn list_inner(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let scopes = crate::routes::gate(state, Route::List, None, headers).await?;
    if !scopes.read {
        return Err(ApiError::missing_scope(SCOPE_READ));
    }
    let query = parse_query(uri.query())?;
    let page = page(&state.catalogue, &query)?;
    Ok(with_cache_control(
        json_response(StatusCode::OK, &page),
        "no-cache",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked() {
        assert_eq!(
            parse_query(None).ok(),
            Some(ListQuery {
                page_size: DEFAULT_PAGE_SIZE,
                page_token: None
            })
        );
        let query = parse_query(Some("pageSize=3&pageToken=export-report")).ok();
        assert_eq!(
            query,
            Some(ListQuery {
                page_size: 3,
                page_token: Some("export-report".into())
            })
        );
        for bad in [
            "pageSize=0",
            "pageSize=101",
            "pageSize=x",
            "pageSize=-1",
            "pageSize=2&pageSize=3",
            "pageToken=a&pageToken=b",
            "limit=3",
        ] {
            assert!(parse_query(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_walk_the_catalogue_in_order() {
        let catalogue = Catalogue::builtin();
        let all: Vec<&str> = catalogue.ids().collect();
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let query = ListQuery {
                page_size: 4,
                page_token: token.clone(),
            };
            let page = page(&catalogue, &query).expect("page");
            assert!(page.actions.len() <= 4);
            assert_eq!(page.total, all.len());
            seen.extend(page.actions.iter().map(|a| a.id));
            match page.next_page_token {
                Some(next) => token = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, all);
        let unknown = ListQuery {
            page_size: 4,
            page_token: Some("no-such-action".into()),
        };
        assert_eq!(
            page(&catalogue, &unknown).map(|_| ()).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn an_empty_catalogue_has_one_empty_page() {
        let catalogue = Catalogue::empty();
        let query = ListQuery {
            page_size: 10,
            page_token: None,
        };
        let page = page(&catalogue, &query).expect("page");
        assert!(page.actions.is_empty() && page.next_page_token.is_none() && page.total == 0);
    }
}
