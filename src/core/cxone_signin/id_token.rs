//! The tenant id, read from the `tenantId` claim of the id_token the token endpoint answered.
//!
//! The JWT's signature is not verified. OpenID Connect Core 1.0 §3.1.3.7 (step 6) allows a client
//! to rely on TLS instead when it received the id_token directly from the token endpoint over
//! TLS, which is the only place this one comes from; the endpoint itself must be https (loopback
//! http aside, for the emulator: see `check_url`). The claims that guard against a token meant for
//! someone else are still checked when present: `iss` must be the issuer (step 2) and `aud` must
//! name the client (step 3).

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};
use serde_json::Value;

use super::errors::malformed as malformed_error;
use crate::core::error::DataActionsError;

/// The longest tenant id accepted (CXone's are GUID-like; this only bounds what is stored).
pub const MAX_TENANT_ID_LEN: usize = 128;

/// JWS compact serialisation uses base64url without padding (RFC 7515 §2); padded input is
/// accepted too, since it says the same.
const BASE64URL: GeneralPurpose =
    GeneralPurpose::new(&alphabet::URL_SAFE, GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent));

/// The `tenantId` claim of `id_token`, after checking `iss` (against `issuer`) and `aud`
/// (against `client_id`) where the token carries them.
pub fn tenant_id_from_id_token(id_token: &str, issuer: &str, client_id: &str) -> Result<String, DataActionsError> {
    let mut parts = id_token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(malformed("is not a JWT (three base64url parts separated by dots)"));
    };
    let bytes = BASE64URL.decode(payload).map_err(|_| malformed("has a payload that is not base64url"))?;
    let claims: Value = serde_json::from_slice(&bytes).map_err(|_| malformed("has a payload that is not JSON"))?;
    let Some(claims) = claims.as_object() else {
        return Err(malformed("has a payload that is not a JSON object"));
    };
    if let Some(iss) = claims.get("iss") {
        if iss.as_str().map(|i| i.trim_end_matches('/')) != Some(issuer.trim_end_matches('/')) {
            return Err(malformed("was issued by another issuer (`iss`) than the one configured"));
        }
    }
    if let Some(aud) = claims.get("aud") {
        let names_client = match aud {
            Value::String(one) => one == client_id,
            Value::Array(many) => many.iter().any(|a| a.as_str() == Some(client_id)),
            _ => false,
        };
        if !names_client {
            return Err(malformed("is meant for another client (`aud` does not name the client id)"));
        }
    }
    let tenant_id = match claims.get("tenantId") {
        Some(Value::String(id)) => id,
        Some(_) => return Err(malformed("has a `tenantId` claim that is not a string")),
        None => return Err(malformed("lacks the `tenantId` claim")),
    };
    let printable = tenant_id.bytes().all(|b| b.is_ascii_graphic());
    if tenant_id.is_empty() || tenant_id.len() > MAX_TENANT_ID_LEN || !printable {
        return Err(malformed("has a `tenantId` claim that is empty, too long or not printable ASCII"));
    }
    Ok(tenant_id.clone())
}

/// The message names the defect, never the token.
fn malformed(defect: &str) -> DataActionsError {
    malformed_error(200, format!("the token endpoint's id_token {defect}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwt(claims: &Value) -> String {
        let encode = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", encode(&json!({"alg": "RS256", "typ": "JWT"})), encode(claims))
    }

    const ISSUER: &str = "https://cxone.niceincontact.com";

    #[test]
    fn the_tenant_comes_from_the_claim() {
        let token = jwt(&json!({"iss": ISSUER, "aud": "client-1", "sub": "user:1", "tenantId": "11eb0000-aaaa-bbbb-cccc-0242ac110002"}));
        assert_eq!(tenant_id_from_id_token(&token, ISSUER, "client-1").unwrap(), "11eb0000-aaaa-bbbb-cccc-0242ac110002");
        // `aud` as a list, `iss` with a trailing slash, no `iss`/`aud` at all.
        let token = jwt(&json!({"iss": format!("{ISSUER}/"), "aud": ["x", "client-1"], "tenantId": "t"}));
        assert_eq!(tenant_id_from_id_token(&token, ISSUER, "client-1").unwrap(), "t");
        assert_eq!(tenant_id_from_id_token(&jwt(&json!({"tenantId": "t"})), ISSUER, "client-1").unwrap(), "t");
        // Padded base64url says the same.
        let claims = base64::engine::general_purpose::URL_SAFE.encode(json!({"tenantId": "t1"}).to_string());
        assert_eq!(tenant_id_from_id_token(&format!("e30.{claims}.x"), ISSUER, "c").unwrap(), "t1");
    }

    #[test]
    fn every_defect_is_a_typed_error_without_the_token() {
        let payload = |raw: &[u8]| format!("e30.{}.sig", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw));
        for (token, says) in [
            ("not-a-jwt".to_string(), "is not a JWT"),
            ("a.b.c.d".to_string(), "is not a JWT"),
            ("e30.***.sig".to_string(), "not base64url"),
            (payload(b"{nope"), "not JSON"),
            (payload(b"[1]"), "not a JSON object"),
            (jwt(&json!({"sub": "u"})), "lacks the `tenantId` claim"),
            (jwt(&json!({"tenantId": 7})), "not a string"),
            (jwt(&json!({"tenantId": ""})), "empty"),
            (jwt(&json!({"tenantId": "a b"})), "printable"),
            (jwt(&json!({"tenantId": "x".repeat(129)})), "too long"),
            (jwt(&json!({"tenantId": "t", "iss": "https://evil.example"})), "another issuer"),
            (jwt(&json!({"tenantId": "t", "aud": "other"})), "another client"),
            (jwt(&json!({"tenantId": "t", "aud": 5})), "another client"),
        ] {
            let err = tenant_id_from_id_token(&token, ISSUER, "client-1").unwrap_err();
            assert_eq!((err.code(), err.status()), ("upstream", Some(200)), "{err}");
            assert!(err.to_string().contains(says), "{token}: {err}");
            assert!(!err.to_string().contains(&token), "{err}");
        }
    }
}
