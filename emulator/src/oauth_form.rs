//! The parts of an OAuth 2.0 token request every profile reads the same way: the
//! `application/x-www-form-urlencoded` body and HTTP Basic client authentication
//! (RFC 6749 §2.3.1). Each profile words its own error answers.

use std::collections::HashMap;

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Why a token request's body cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormProblem {
    #[error("Content-Type must be application/x-www-form-urlencoded")]
    ContentType,
    #[error("the body is not valid UTF-8")]
    NotUtf8,
    #[error("parameter {0} is repeated")]
    Repeated(String),
}

/// Whether the request says its body is a form.
pub fn is_form(headers: &HeaderMap) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// The `known` parameters of a form body (others are ignored, RFC 6749 §3.2); a repeated
/// known parameter is a problem.
pub fn fields(
    headers: &HeaderMap,
    body: &[u8],
    known: &[&'static str],
) -> Result<HashMap<&'static str, String>, FormProblem> {
    if !is_form(headers) {
        return Err(FormProblem::ContentType);
    }
    if std::str::from_utf8(body).is_err() {
        return Err(FormProblem::NotUtf8);
    }
    let mut found = HashMap::new();
    for (key, value) in form_urlencoded::parse(body) {
        let Some(name) = known.iter().copied().find(|k| *k == key.as_ref()) else {
            continue;
        };
        if found.insert(name, value.into_owned()).is_some() {
            return Err(FormProblem::Repeated(name.to_owned()));
        }
    }
    Ok(found)
}

/// The (id, secret) of an `Authorization: Basic` header: `Ok(None)` when there is no such
/// header, `Err(())` when it is there but malformed (or another scheme).
#[allow(clippy::result_unit_err)]
pub fn basic(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ())?;
    let (scheme, encoded) = text.trim().split_once(' ').ok_or(())?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| ())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = decoded.split_once(':').ok_or(())?;
    // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    let unescape = |s: &str| -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn form_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers
    }

    #[test]
    fn known_fields_are_read_once() {
        let headers = form_headers();
        let ok = fields(
            &headers,
            b"grant_type=password&username=a%2Bb&x=1",
            &["grant_type", "username"],
        );
        let ok = ok.expect("read");
        assert_eq!(ok["username"], "a+b");
        assert_eq!(ok.len(), 2);
        assert_eq!(
            fields(&headers, b"grant_type=a&grant_type=b", &["grant_type"]),
            Err(FormProblem::Repeated("grant_type".into()))
        );
        assert_eq!(
            fields(&HeaderMap::new(), b"grant_type=a", &["grant_type"]),
            Err(FormProblem::ContentType)
        );
    }

    #[test]
    fn basic_is_decoded_and_unescaped() {
        let mut headers = HeaderMap::new();
        assert_eq!(basic(&headers), Ok(None));
        let encoded = STANDARD.encode("my%3Aid:s%25cret");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).expect("header"),
        );
        assert_eq!(basic(&headers), Ok(Some(("my:id".into(), "s%cret".into()))));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic(&headers), Err(()));
    }
}
