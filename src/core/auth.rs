//! Caller authentication for the proxy: `Authorization: Bearer <key>` against a comma-separated
//! key list, compared in constant time (every key is compared, whatever matched first).

use super::callback::constant_time_eq;

/// The keys of a `PROXY_API_KEYS` value: comma-separated, blanks ignored.
pub fn parse_api_keys(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_string).collect()
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    let header = header?.trim();
    let (scheme, token) = header.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
        Some(token.trim())
    } else {
        None
    }
}

/// Whether the `Authorization` header carries one of `keys`.
pub fn api_key_matches(keys: &[String], authorization: Option<&str>) -> bool {
    let Some(presented) = bearer_token(authorization) else {
        return false;
    };
    keys.iter().fold(false, |matched, key| constant_time_eq(key.as_bytes(), presented.as_bytes()) | matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_bearer_headers() {
        let keys = parse_api_keys(" k1, ,k2 ");
        assert_eq!(keys, vec!["k1", "k2"]);
        assert!(api_key_matches(&keys, Some("Bearer k2")));
        assert!(api_key_matches(&keys, Some("bearer k1")));
        assert!(!api_key_matches(&keys, Some("Bearer k3")));
        assert!(!api_key_matches(&keys, Some("Basic k1")));
        assert!(!api_key_matches(&keys, Some("Bearer ")));
        assert!(!api_key_matches(&keys, None));
        assert!(!api_key_matches(&[], Some("Bearer k1")));
    }
}
