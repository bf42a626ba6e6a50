//! `GET /api/v2/integrations/actions?pageSize=&pageNumber=`: an `ActionEntityListing` of the
//! catalogue in its order: `entities`, `pageSize`, `pageNumber`, `total`, `pageCount`,
//! `firstUri`, `selfUri`, `lastUri`, `previousUri` (not on the first page) and `nextUri` (not
//! on the last). `expand=contract` adds each action's contract.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::catalogue::Catalogue;
use crate::errors::{json_response, with_cache_control};
use crate::genesys::contract::{action_body, Expand};
use crate::genesys::errors::ErrorBody;
use crate::genesys::gate;
use crate::state::AppState;
use crate::stats::Route;

/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: usize = 25;
/// The largest page size.
pub const MAX_PAGE_SIZE: usize = 100;

const LIST_PATH: &str = "/api/v2/integrations/actions";

/// A list query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery {
    pub page_size: usize,
    pub page_number: usize,
    pub expand: Expand,
}

fn invalid_value(field: &str, value: &str, allowed: &str) -> ErrorBody {
    ErrorBody::with_params(
        StatusCode::BAD_REQUEST,
        "invalid.value",
        "Value [{value}] is not valid for field type [{field}]. Allowable values are: {allowed}",
        &[("value", value), ("field", field), ("allowed", allowed)],
    )
}

/// Reads the query: `pageSize` (1-100), `pageNumber` (1-), `expand` (`contract`); other
/// parameters are ignored, as the platform ignores what it does not know.
pub fn parse_query(query: Option<&str>) -> Result<ListQuery, ErrorBody> {
    let mut parsed = ListQuery {
        page_size: DEFAULT_PAGE_SIZE,
        page_number: 1,
        expand: Expand::default(),
    };
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "pageSize" => {
                parsed.page_size = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                    .ok_or_else(|| invalid_value("pageSize", &value, "1-100"))?;
            }
            "pageNumber" => {
                parsed.page_number = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| invalid_value("pageNumber", &value, "1 or more"))?;
            }
            "expand" => {
                for word in value.split(',') {
                    match word.trim() {
                        "contract" => parsed.expand.contract = true,
                        other => return Err(invalid_value("expand", other, "contract")),
                    }
                }
            }
            _ => {}
        }
    }
    Ok(parsed)
}

fn page_uri(size: usize, number: usize, expand: Expand) -> String {
    let expand = if expand.contract {
        "&expand=contract"
    } else {
        ""
    };
    format!("{LIST_PATH}?pageSize={size}&pageNumber={number}{expand}")
}

/// The `ActionEntityListing` of one page.
pub fn page(catalogue: &Catalogue, query: &ListQuery) -> Value {
    let ids: Vec<&str> = catalogue.ids().collect();
    let total = ids.len();
    let page_count = total.div_ceil(query.page_size).max(1);
    let start = (query.page_number - 1).saturating_mul(query.page_size);
    let entities: Vec<Value> = ids
        .iter()
        .skip(start)
        .take(query.page_size)
        .filter_map(|id| catalogue.get(id))
        .map(|action| action_body(action, query.expand))
        .collect();
    let uri = |n: usize| Value::String(page_uri(query.page_size, n, query.expand));
    let mut body = Map::new();
    body.insert("entities".into(), Value::Array(entities));
    body.insert("pageSize".into(), Value::from(query.page_size));
    body.insert("pageNumber".into(), Value::from(query.page_number));
    body.insert("total".into(), Value::from(total));
    body.insert("firstUri".into(), uri(1));
    body.insert("selfUri".into(), uri(query.page_number));
    if query.page_number < page_count {
        body.insert("nextUri".into(), uri(query.page_number + 1));
    }
    if query.page_number > 1 {
        body.insert(
            "previousUri".into(),
            uri((query.page_number - 1).min(page_count)),
        );
    }
    body.insert("lastUri".into(), uri(page_count));
    body.insert("pageCount".into(), Value::from(page_count));
    Value::Object(body)
}

/// `GET /api/v2/integrations/actions`.
pub async fn list(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    list_inner(&state, &uri, &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn list_inner(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, ErrorBody> {
    gate(state, Route::List, None, headers).await?;
    let query = parse_query(uri.query())?;
    Ok(with_cache_control(
        json_response(StatusCode::OK, &page(&state.catalogue, &query)),
        "no-cache",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked() {
        let q =
            parse_query(Some("pageSize=4&pageNumber=2&expand=contract&sortBy=name")).expect("ok");
        assert_eq!(
            (q.page_size, q.page_number, q.expand.contract),
            (4, 2, true)
        );
        for bad in [
            "pageSize=0",
            "pageSize=101",
            "pageSize=x",
            "pageNumber=0",
            "expand=config",
        ] {
            assert!(parse_query(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_walk_the_catalogue() {
        let catalogue = Catalogue::builtin();
        let all: Vec<String> = catalogue.ids().map(str::to_owned).collect();
        let mut seen = Vec::new();
        let mut number = 1;
        loop {
            let body = page(
                &catalogue,
                &ListQuery {
                    page_size: 4,
                    page_number: number,
                    expand: Expand::default(),
                },
            );
            assert_eq!(body["total"], all.len());
            assert_eq!(body["pageCount"], all.len().div_ceil(4));
            for e in body["entities"].as_array().expect("entities") {
                seen.push(e["id"].as_str().expect("id").to_owned());
                assert!(e.get("contract").is_none());
            }
            if body.get("nextUri").is_none() {
                break;
            }
            number += 1;
        }
        assert_eq!(seen, all);
    }
}
