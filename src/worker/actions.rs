//! `GET /v1/actions/{actionId}` (the definition, cached in the isolate by the driver) and
//! `POST /v1/actions/{actionId}/validate` (`{inputs}` -> `{valid: true, inputs}` coerced, or 422
//! listing every issue).

use serde_json::json;

use super::app::App;
use super::http::{json_response, read_body, Answer, ApiError, Incoming};
use super::platform::Context;
use super::seen_actions;
use crate::core::definition::check_action_id;
use crate::core::proxy::request::parse_validate_body;
use crate::core::validate::validate_inputs;

/// The definition; the action is recorded as seen after the answer (for `GET /v1/actions` when
/// the upstream cannot list).
pub async fn definition(app: &App, ctx: &Context, action_id: &str) -> Result<Answer, ApiError> {
    check_action_id(action_id)?;
    let definition = app.get_action(action_id).await?;
    let answer = json_response(200, &definition, &[]);
    ctx.wait_until(seen_actions::remember(app.clone(), definition));
    Ok(answer)
}

/// Validation and coercion of inputs, without invoking (the action is recorded as seen too).
pub async fn validate(app: &App, ctx: &Context, req: &Incoming, action_id: &str) -> Result<Answer, ApiError> {
    check_action_id(action_id)?;
    let body = read_body(req).await?;
    let inputs = parse_validate_body(&body)?;
    let definition = app.get_action(action_id).await?;
    let coerced = validate_inputs(&definition, &inputs);
    ctx.wait_until(seen_actions::remember(app.clone(), definition));
    let coerced = coerced?;
    Ok(json_response(200, &json!({ "valid": true, "inputs": coerced }), &[]))
}
