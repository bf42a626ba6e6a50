//! What the `cxone` sign-in needs to know: the issuer, the OAuth client and the access key, each
//! checked when the settings are built (an error names the field as callers spell it), and the
//! URL rule every address the sign-in talks to must pass: https, or http to a loopback host only.

use crate::core::config::{config_error, Secret};
use crate::core::error::DataActionsError;

/// The issuer when none is configured: CXone's global OpenID Connect issuer.
pub const DEFAULT_ISSUER: &str = "https://cxone.niceincontact.com";

/// The per-request timeout when none is configured (the client's default).
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// The settings as callers give them (config fields `issuer`, `clientId`, `clientSecret`,
/// `accessKeyId`, `accessKeySecret`, `timeoutMs`; the Worker's `CXONE_*` settings).
#[derive(Clone, Default)]
pub struct CxoneSettingsInput {
    /// The OpenID Connect issuer (default [`DEFAULT_ISSUER`]).
    pub issuer: Option<String>,
    /// The OAuth client id (from the application registration).
    pub client_id: Option<String>,
    /// The OAuth client secret.
    pub client_secret: Option<String>,
    /// The access key id of the API user (the password grant's `username`).
    pub access_key_id: Option<String>,
    /// The access key secret (the password grant's `password`).
    pub access_key_secret: Option<String>,
    /// Per-request timeout.
    pub timeout_ms: Option<u64>,
}

impl std::fmt::Debug for CxoneSettingsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |value: &Option<String>| value.as_ref().map(|_| "***");
        f.debug_struct("CxoneSettingsInput")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &hidden(&self.client_secret))
            .field("access_key_id", &hidden(&self.access_key_id))
            .field("access_key_secret", &hidden(&self.access_key_secret))
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// Checked settings. `Debug` shows no secret (each is a [`Secret`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CxoneSettings {
    /// The issuer, without a trailing slash.
    pub issuer: String,
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: Secret,
    /// The access key id. A secret too: with the access key secret it signs in as the API user.
    pub access_key_id: Secret,
    /// The access key secret.
    pub access_key_secret: Secret,
    /// Per-request timeout.
    pub request_timeout_ms: u64,
}

impl CxoneSettings {
    /// Checks every field; the first wrong one is named in the error (never with its value).
    pub fn from_input(input: CxoneSettingsInput) -> Result<CxoneSettings, DataActionsError> {
        let issuer = match non_empty(input.issuer.as_deref()) {
            None => DEFAULT_ISSUER.to_string(),
            Some(issuer) => {
                check_url(issuer, UrlShape::Issuer).map_err(|reason| config_error("issuer", reason))?;
                issuer.trim_end_matches('/').to_string()
            }
        };
        let required = |value: Option<&str>, field: &str| {
            non_empty(value).map(str::to_string).ok_or_else(|| config_error(field, "is required"))
        };
        let client_id = required(input.client_id.as_deref(), "clientId")?;
        let client_secret = required(input.client_secret.as_deref(), "clientSecret")?;
        let access_key_id = required(input.access_key_id.as_deref(), "accessKeyId")?;
        let access_key_secret = required(input.access_key_secret.as_deref(), "accessKeySecret")?;
        let request_timeout_ms = input.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(1..=600_000).contains(&request_timeout_ms) {
            return Err(config_error("timeoutMs", "must be between 1 and 600000"));
        }
        Ok(CxoneSettings {
            issuer,
            client_id,
            client_secret: Secret::new(client_secret),
            access_key_id: Secret::new(access_key_id),
            access_key_secret: Secret::new(access_key_secret),
            request_timeout_ms,
        })
    }

    /// The secret values, for scrubbing what an upstream echoes back.
    pub(crate) fn secrets(&self) -> [&str; 3] {
        [self.client_secret.expose(), self.access_key_id.expose(), self.access_key_secret.expose()]
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// What an address may carry besides its scheme and host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlShape {
    /// An OpenID Connect issuer: a path, but no query or fragment (OIDC Discovery §2).
    Issuer,
    /// A token endpoint: a path and a query, no fragment (RFC 6749 §3.2).
    Endpoint,
    /// An origin: scheme, host and port, at most a trailing `/` (the API host).
    Origin,
}

/// Checks an absolute URL: `https://`, or `http://` to a loopback host (`localhost`,
/// `127.0.0.0/8`, `[::1]`) so the emulator can stand in; a host; no user info, spaces or control
/// characters; and what `shape` allows. The reason is returned without the URL (it may be a
/// value an upstream sent).
pub fn check_url(url: &str, shape: UrlShape) -> Result<(), &'static str> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err("must be an absolute URL without spaces, control characters or backslashes");
    }
    let (secure, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => return Err("must start with https:// (http:// only for a loopback host)"),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err("must not carry user information");
    }
    let host = host_of(authority).ok_or("must name a host (and a numeric port, if any)")?;
    if !secure && !is_loopback(host) {
        return Err("must use https:// (http:// is allowed for a loopback host only)");
    }
    if tail.contains('#') {
        return Err("must not carry a fragment");
    }
    match shape {
        UrlShape::Issuer if tail.contains('?') => Err("must not carry a query"),
        UrlShape::Origin if !tail.is_empty() && tail != "/" => Err("must be an origin (scheme, host and port only)"),
        _ => Ok(()),
    }
}

/// The host of an authority (`host`, `host:port`, `[v6]`, `[v6]:port`), if well formed.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (inside, after) = bracketed.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (inside, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b))
        && (authority.starts_with('[') || !host.contains(':'));
    (port_ok && host_ok).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "::1" {
        return true;
    }
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(address) => address.is_loopback(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CxoneSettingsInput {
        CxoneSettingsInput {
            issuer: None,
            client_id: Some("client-1".into()),
            client_secret: Some("cl13nt-s3cret".into()),
            access_key_id: Some("AK-ID-VALUE".into()),
            access_key_secret: Some("ak-s3cret-value".into()),
            timeout_ms: None,
        }
    }

    #[test]
    fn defaults_and_a_trimmed_issuer() {
        let settings = CxoneSettings::from_input(input()).unwrap();
        assert_eq!((settings.issuer.as_str(), settings.request_timeout_ms), (DEFAULT_ISSUER, 30_000));
        let mut loopback = input();
        loopback.issuer = Some("http://127.0.0.1:9797/".into());
        assert_eq!(CxoneSettings::from_input(loopback).unwrap().issuer, "http://127.0.0.1:9797");
    }

    #[test]
    fn errors_name_the_field_and_never_the_value() {
        for (field, change) in [
            ("clientId", (|i: &mut CxoneSettingsInput| i.client_id = None) as fn(&mut CxoneSettingsInput)),
            ("clientSecret", |i| i.client_secret = Some("  ".into())),
            ("accessKeyId", |i| i.access_key_id = None),
            ("accessKeySecret", |i| i.access_key_secret = None),
            ("issuer", |i| i.issuer = Some("http://cxone.example".into())),
            ("issuer", |i| i.issuer = Some("https://cxone.example?x=1".into())),
            ("timeoutMs", |i| i.timeout_ms = Some(0)),
        ] {
            let mut bad = input();
            change(&mut bad);
            let err = CxoneSettings::from_input(bad).unwrap_err();
            assert!(matches!(&err, DataActionsError::Config { field: named, .. } if named == field), "{err}");
        }
        let shown = format!("{:?} {:?}", input(), CxoneSettings::from_input(input()).unwrap());
        for secret in ["cl13nt-s3cret", "AK-ID-VALUE", "ak-s3cret-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn urls_are_https_or_loopback_http() {
        for good in [
            "https://cxone.niceincontact.com",
            "https://auth.example:8443/oauth2/token?x=1",
            "http://localhost:9797/auth/token",
            "http://127.0.0.1:1/a",
            "http://127.8.9.10/",
            "http://[::1]:9797/t",
        ] {
            assert_eq!(check_url(good, UrlShape::Endpoint), Ok(()), "{good}");
        }
        for bad in [
            "http://cxone.example/token",
            "http://127.0.0.1.evil.example/",
            "http://localhost@evil.example/",
            "https://user:pw@host.example/",
            "ftp://host.example",
            "https://",
            "https://host.example:port/",
            "https://host.example:123456/",
            "https://ho st.example/",
            "https://host.example/a#frag",
            "https://[::1/",
            "http://10.0.0.1/",
            "https://a:b:c/",
            "//host.example",
        ] {
            assert!(check_url(bad, UrlShape::Endpoint).is_err(), "{bad}");
        }
        assert!(check_url("https://api-na1.niceincontact.com/", UrlShape::Origin).is_ok());
        assert!(check_url("https://api-na1.niceincontact.com/inContactAPI", UrlShape::Origin).is_err());
        assert!(check_url("https://api-na1.niceincontact.com?x", UrlShape::Origin).is_err());
        assert!(check_url("https://cxone.example/tenant-a", UrlShape::Issuer).is_ok());
    }
}
