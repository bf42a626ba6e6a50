//! The two discovery documents: OpenID Connect's (`{issuer}/.well-known/openid-configuration`,
//! which names the token endpoint) and CXone's (`{issuer}/.well-known/cxone-configuration?tenantId=…`,
//! which names the tenant's API host).

use serde_json::Value;

use super::settings::{check_url, CxoneSettings, UrlShape};
use super::errors::{first_upstream_error, malformed as malformed_error, upstream};
use crate::core::error::DataActionsError;
use crate::core::http::{form_encode, redact_url, HttpRequest, HttpResponse, Method, RequestPurpose};

/// The path of OpenID Connect's discovery document below the issuer (OIDC Discovery §4).
pub const OPENID_CONFIGURATION_PATH: &str = "/.well-known/openid-configuration";

/// The path of CXone's discovery document below the issuer.
pub const CXONE_CONFIGURATION_PATH: &str = "/.well-known/cxone-configuration";

fn discovery_get(settings: &CxoneSettings, url: String) -> HttpRequest {
    HttpRequest {
        purpose: RequestPurpose::Discovery,
        method: Method::Get,
        url,
        headers: vec![("accept".into(), "application/json".into())],
        body: None,
        timeout_ms: settings.request_timeout_ms,
        needs_auth: false,
    }
}

/// `GET {issuer}/.well-known/openid-configuration`.
pub fn openid_configuration_request(settings: &CxoneSettings) -> HttpRequest {
    discovery_get(settings, format!("{}{OPENID_CONFIGURATION_PATH}", settings.issuer))
}

/// `GET {issuer}/.well-known/cxone-configuration?tenantId={tenantId}` (form-encoded).
pub fn cxone_configuration_request(settings: &CxoneSettings, tenant_id: &str) -> HttpRequest {
    let query = form_encode(&[("tenantId", tenant_id)]);
    discovery_get(settings, format!("{}{CXONE_CONFIGURATION_PATH}?{query}", settings.issuer))
}

/// The token endpoint named by an OpenID configuration answer. The document's `issuer` must be
/// the configured one (OIDC Discovery §4.3: otherwise its contents must not be used), and the
/// endpoint must be https (or http to a loopback host).
pub fn parse_openid_configuration(response: &HttpResponse, issuer: &str) -> Result<String, DataActionsError> {
    let document = document(response, "the OpenID configuration")?;
    let named_issuer = document.get("issuer").and_then(Value::as_str);
    match named_issuer {
        None => return Err(malformed(response, "the OpenID configuration lacks `issuer`")),
        Some(named) if named.trim_end_matches('/') != issuer.trim_end_matches('/') => {
            return Err(malformed(response, "the OpenID configuration names another issuer than the one configured"));
        }
        Some(_) => {}
    }
    let Some(endpoint) = document.get("token_endpoint").and_then(Value::as_str) else {
        return Err(malformed(response, "the OpenID configuration lacks `token_endpoint`"));
    };
    check_url(endpoint, UrlShape::Endpoint)
        .map_err(|reason| malformed(response, &format!("the OpenID configuration's `token_endpoint` {reason}")))?;
    Ok(endpoint.to_string())
}

/// The API origin named by a cxone-configuration answer (`api_endpoint`), without a trailing
/// slash. It must be an https origin (or http to a loopback host).
pub fn parse_cxone_configuration(response: &HttpResponse) -> Result<String, DataActionsError> {
    let document = document(response, "the cxone-configuration")?;
    let Some(endpoint) = document.get("api_endpoint").and_then(Value::as_str) else {
        return Err(malformed(response, "the cxone-configuration lacks `api_endpoint`"));
    };
    check_url(endpoint, UrlShape::Origin)
        .map_err(|reason| malformed(response, &format!("the cxone-configuration's `api_endpoint` {reason}")))?;
    Ok(endpoint.trim_end_matches('/').to_string())
}

/// A 2xx answer's JSON object, or the error the answer amounts to.
fn document(response: &HttpResponse, what: &str) -> Result<serde_json::Map<String, Value>, DataActionsError> {
    if !response.is_success() {
        return Err(refused(response, what));
    }
    match serde_json::from_slice::<Value>(&response.body) {
        Ok(Value::Object(document)) => Ok(document),
        _ => Err(malformed(response, &format!("{what} is not a JSON object"))),
    }
}

/// A discovery document that could not be had: an upstream error, never an authorisation one
/// (nothing was authenticated); 5xx may go better later.
fn refused(response: &HttpResponse, what: &str) -> DataActionsError {
    let first = first_upstream_error(&response.body);
    let status = response.status;
    let detail = match status {
        300..=399 => format!(
            ": a redirect{}, which this client does not follow (check the issuer)",
            response.header("location").map(|to| format!(" to {}", redact_url(to))).unwrap_or_default()
        ),
        _ => first.as_ref().map(|e| format!(": {}", e.message)).unwrap_or_default(),
    };
    upstream(status, first.map(|e| e.code), format!("HTTP {status} for {what}{detail}"), (500..=599).contains(&status))
}

fn malformed(response: &HttpResponse, message: &str) -> DataActionsError {
    malformed_error(response.status, message.to_string())
}
