//! `GET /healthz`: 200 `{status: "ok"}`, or 503 `{status: "misconfigured", problems: [...]}`
//! naming every missing or malformed setting. No authentication; nothing secret is shown.

use serde_json::json;

use super::http::{json_response, Answer};
use crate::core::proxy::settings::{ProxySettings, SettingProblem};

/// The health answer for the settings as read.
pub fn healthz(settings: &Result<ProxySettings, Vec<SettingProblem>>) -> Answer {
    match settings {
        Ok(_) => json_response(200, &json!({ "status": "ok" }), &[]),
        Err(problems) => json_response(503, &json!({ "status": "misconfigured", "problems": problems }), &[]),
    }
}
