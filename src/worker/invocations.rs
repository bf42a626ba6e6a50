//! `GET /v1/invocations/{invocationId}[?wait=N]`: the record as callers see it. A pending record
//! whose poll is due is polled first; with `?wait=N` the answer waits (at most N seconds) for the
//! invocation to end.

use worker::{Request, Response};

use super::app::App;
use super::follow;
use super::http::{json_response, query_param, ApiError};
use crate::core::proxy::request::{check_invocation_id, parse_wait};

/// The record.
pub async fn get(app: &App, req: &Request, id: &str) -> Result<Response, ApiError> {
    check_invocation_id(id)?;
    let wait_s = parse_wait(query_param(req, "wait").as_deref())?;
    let Some(advanced) = follow::advance(app, id, 0).await? else {
        return Err(ApiError::not_found(format!("no invocation {id}")));
    };
    let mut record = advanced.record;
    if !record.status.is_terminal() && wait_s > 0 {
        let until = app.now().saturating_add(wait_s.saturating_mul(1000));
        record = follow::wait_for_end(app, id, record, until).await?;
    }
    Ok(json_response(200, &record.public_view(), &[]))
}
