//! CORS for the browser origins listed in `ALLOWED_ORIGINS` (exact match), and nothing else.

/// Methods a preflight allows.
pub const ALLOW_METHODS: &str = "GET, POST, OPTIONS";
/// Request headers a preflight allows.
pub const ALLOW_HEADERS: &str = "Authorization, Content-Type, Idempotency-Key";
/// Response headers a browser may read besides the simple ones: where a pending invocation is
/// (`Location`), when to come back (`Retry-After`), the request id to quote in a report, and the
/// marker of an answer replayed for a repeated `Idempotency-Key`.
pub const EXPOSE_HEADERS: &str = "Location, Retry-After, x-request-id, idempotent-replayed";
/// How long a browser may cache a preflight, in seconds.
pub const MAX_AGE_S: &str = "600";

/// The origin to echo in `Access-Control-Allow-Origin`, when `origin` is one of `allowed`.
pub fn allowed_origin<'a>(allowed: &[String], origin: Option<&'a str>) -> Option<&'a str> {
    let origin = origin?;
    allowed.iter().any(|candidate| candidate == origin).then_some(origin)
}

/// The CORS headers of an answer to `origin` (already checked); a preflight also names the
/// methods and headers it allows.
pub fn cors_headers(origin: &str, preflight: bool) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("access-control-allow-origin", origin.to_string()),
        ("access-control-expose-headers", EXPOSE_HEADERS.to_string()),
    ];
    if preflight {
        headers.push(("access-control-allow-methods", ALLOW_METHODS.to_string()));
        headers.push(("access-control-allow-headers", ALLOW_HEADERS.to_string()));
        headers.push(("access-control-max-age", MAX_AGE_S.to_string()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_origins_match_exactly() {
        let allowed = vec!["https://app.example".to_string(), "http://localhost:8788".to_string()];
        assert_eq!(allowed_origin(&allowed, Some("https://app.example")), Some("https://app.example"));
        assert_eq!(allowed_origin(&allowed, Some("https://app.example.evil")), None);
        assert_eq!(allowed_origin(&allowed, Some("http://app.example")), None);
        assert_eq!(allowed_origin(&allowed, None), None);
        assert_eq!(allowed_origin(&[], Some("https://app.example")), None);
        let preflight = cors_headers("https://app.example", true);
        assert!(preflight.iter().any(|(k, v)| *k == "access-control-allow-headers" && v.contains("Idempotency-Key")));
        let simple = cors_headers("https://app.example", false);
        assert_eq!(simple.len(), 2);
        let exposed = simple.iter().find(|(k, _)| *k == "access-control-expose-headers").map(|(_, v)| v.to_ascii_lowercase());
        for name in ["location", "retry-after", "x-request-id", "idempotent-replayed"] {
            assert!(exposed.as_deref().is_some_and(|v| v.split(", ").any(|n| n == name)), "{name} is exposed");
        }
    }
}
