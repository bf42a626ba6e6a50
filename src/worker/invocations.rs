//! `GET /v1/invocations/{invocationId}[?wait=N]`: the record as callers see it. A finished read
//! copy in KV answers without waking the invocation's object; a pending or missing one asks the
//! object (the truth), which with `?wait=N` first waits (at most N seconds) for the end.


use super::app::App;
use super::http::{json_response, query_param, Answer, ApiError, Incoming};
use super::objects;
use super::store;
use crate::core::proxy::request::{check_invocation_id, parse_wait};

/// The record.
pub async fn get(app: &App, req: &Incoming, id: &str) -> Result<Answer, ApiError> {
    check_invocation_id(id)?;
    let wait_s = parse_wait(query_param(req, "wait").as_deref())?;
    if let Some(copy) = store::read_copy(app, id).await? {
        if copy.status.is_terminal() {
            return Ok(json_response(200, &copy.public_view(), &[]));
        }
    }
    let answer = objects::record(app, id, wait_s).await?;
    if answer.status_code() != 404 {
        return Ok(answer);
    }
    // No object: a sync invoke's record, whose copy may have been written meanwhile.
    match store::read_copy(app, id).await? {
        Some(copy) => Ok(json_response(200, &copy.public_view(), &[])),
        None => Err(ApiError::not_found(format!("no invocation {id}"))),
    }
}
