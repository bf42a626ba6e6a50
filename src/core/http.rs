//! HTTP as plain values: the core builds [`HttpRequest`]s and is handed [`HttpResponse`]s or a
//! [`TransportFailure`]. Nothing here performs I/O.

use serde::{Deserialize, Serialize};

/// The HTTP methods the upstream contract uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// What a request is for; drives retry rules and lets tests and logs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestPurpose {
    /// `POST /oauth2/token`.
    Token,
    /// `GET /api/v2/data-actions?pageSize=N&pageToken=T`.
    List,
    /// `GET /api/v2/data-actions/{id}`.
    Definition,
    /// `POST /api/v2/data-actions/{id}/invoke`: not idempotent, never blindly repeated.
    Invoke,
    /// `GET /api/v2/data-actions/{id}/invoke/{invokeId}`.
    Status,
    /// `DELETE /api/v2/data-actions/{id}/invoke/{invokeId}`.
    Cancel,
    /// A sign-in's discovery document (`GET {issuer}/.well-known/...`).
    Discovery,
}

/// One HTTP request, as a value. The driver adds the bearer token when `needs_auth` is set.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    /// What the request is for.
    pub purpose: RequestPurpose,
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Headers, in order (names in lower case).
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
    /// Per-request timeout the transport enforces.
    pub timeout_ms: u64,
    /// Whether the driver must add `Authorization: Bearer <token>`.
    pub needs_auth: bool,
}

impl std::fmt::Debug for HttpRequest {
    // The token request's body carries the client secret and the driver adds a bearer token to
    // headers: neither may reach a log, so Debug shows neither.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("purpose", &self.purpose)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("header_names", &header_names)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

impl HttpRequest {
    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Sets (or replaces) a header.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let lower = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != lower);
        self.headers.push((lower, value.into()));
    }

    /// Adds the bearer token.
    pub fn authorize(&mut self, access_token: &str) {
        self.set_header("authorization", format!("Bearer {access_token}"));
    }
}

/// Every response header the client reads (lower case): a transport may hand over only these,
/// which spares reading and copying the others on every request. A name read anywhere must be
/// listed here (debug builds check it in [`HttpResponse::header`]).
pub const READ_RESPONSE_HEADERS: [&str; 3] = ["etag", "location", "retry-after"];

/// The largest answer body the client takes, 8 MiB: a data action's answer, a definition or a
/// page of the action list is far smaller. A transport refuses a larger one before it is parsed:
/// unread when its `Content-Length` says so, else once read (src/transport/fetch.js says why it
/// does not stream-read); a Worker isolate has 128 MB in all, and an answer is parsed into a value
/// several times its size. The failure is [`TransportFailureKind::TooLarge`].
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// One HTTP response, as a value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers (any case; looked up case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with a JSON body (used by tests and shells).
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The value of a header, by case-insensitive name (one of [`READ_RESPONSE_HEADERS`]).
    pub fn header(&self, name: &str) -> Option<&str> {
        debug_assert!(
            READ_RESPONSE_HEADERS.iter().any(|read| read.eq_ignore_ascii_case(name)),
            "response header {name} is read but not in READ_RESPONSE_HEADERS"
        );
        find_header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Why a request produced no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportFailureKind {
    /// The per-request timeout elapsed.
    Timeout,
    /// The connection could not be made or broke.
    Network,
    /// The caller aborted the request.
    Aborted,
    /// The platform refused to carry the exchange, so nothing ran and trying again cannot help: a
    /// redirect (never followed), a header it cannot send.
    Refused,
    /// The upstream answered with a body larger than [`MAX_ANSWER_BYTES`], which was not read.
    /// The request did reach it (an invoke may have run), and the same request would get the same
    /// answer: never retried.
    TooLarge,
}

/// A request that produced no HTTP response. The message must not carry secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportFailure {
    /// What went wrong.
    pub kind: TransportFailureKind,
    /// A human-readable detail.
    pub message: String,
}

impl TransportFailure {
    /// A failure of the given kind.
    pub fn new(kind: TransportFailureKind, message: impl Into<String>) -> Self {
        TransportFailure { kind, message: message.into() }
    }
}

/// `application/x-www-form-urlencoded` encoding of key/value pairs.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_form_component(key, &mut out);
        out.push('=');
        encode_form_component(value, &mut out);
    }
    out
}

/// One `application/x-www-form-urlencoded` component (what [`form_encode`] does to each key and
/// value): OAuth's `client_secret_basic` encodes the client id and secret so before base64.
pub fn form_encode_component(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    encode_form_component(input, &mut out);
    out
}

fn encode_form_component(input: &str, out: &mut String) {
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(byte as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
}

/// A URL fit for messages and logs: without its query and fragment, and without the `user:pass@`
/// of its authority (either may carry what nobody meant to log).
pub fn redact_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    let (scheme, rest) = match without_query.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, without_query),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    match scheme {
        Some(scheme) => format!("{scheme}://{host}{path}"),
        None => format!("{host}{path}"),
    }
}

/// Whether `name: value` can be sent as an HTTP header by every platform's `fetch`: a token
/// name, and a value without control characters (tab aside) or characters above U+00FF.
pub fn is_sendable_header(name: &str, value: &str) -> bool {
    let name_ok = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    let value_ok = if value.is_ascii() {
        value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    } else {
        value.chars().all(|c| c == '\t' || (c >= ' ' && c != '\u{7f}' && u32::from(c) <= 0xff))
    };
    name_ok && value_ok
}

/// Whether `segment`, once percent-encoded, is a path segment of its own: not empty and not made
/// of dots alone (`.` and `..` are dot segments that URL parsers resolve, spelt `%2e` too).
pub fn is_plain_path_segment(segment: &str) -> bool {
    !segment.is_empty() && !segment.bytes().all(|b| b == b'.')
}

/// Percent-encodes one URL path segment (RFC 3986 unreserved characters pass through).
pub fn encode_path_segment(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_reserved_characters() {
        let encoded = form_encode(&[("scope", "data-actions:read data-actions:execute"), ("k", "a&b=c")]);
        assert_eq!(encoded, "scope=data-actions%3Aread+data-actions%3Aexecute&k=a%26b%3Dc");
    }

    #[test]
    fn urls_lose_query_fragment_and_credentials_in_messages() {
        assert_eq!(redact_url("https://user:pa%40ss@host.example:8443/a/b?sig=1#x"), "https://host.example:8443/a/b");
        assert_eq!(redact_url("https://host.example/a@b?c@d"), "https://host.example/a@b");
        assert_eq!(redact_url("/relative/path?q=1"), "/relative/path");
        assert_eq!(redact_url("http://h"), "http://h");
    }

    #[test]
    fn only_headers_every_fetch_accepts_are_sendable() {
        assert!(is_sendable_header("authorization", "Bearer abc.DEF-_~+/="));
        assert!(is_sendable_header("if-none-match", "W/\"x\ty\u{e9}\""));
        for value in ["a\nb", "a\rb", "a\0b", "a\u{7f}", "a\u{100}", "\u{1F600}"] {
            assert!(!is_sendable_header("x", value), "{value:?}");
        }
        for name in ["", "a b", "a:b", "a\nb", "\u{e9}"] {
            assert!(!is_sendable_header(name, "v"), "{name:?}");
        }
    }

    #[test]
    fn dot_segments_and_empty_ones_are_not_plain() {
        for bad in ["", ".", "..", "...."] {
            assert!(!is_plain_path_segment(bad), "{bad:?}");
        }
        for good in ["a", ".a", "a..", "%2e", "..a"] {
            assert!(is_plain_path_segment(good), "{good:?}");
        }
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(encode_path_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_path_segment("inv-1.2_x~"), "inv-1.2_x~");
    }

    #[test]
    fn debug_hides_headers_values_and_body() {
        let mut request = HttpRequest {
            purpose: RequestPurpose::Token,
            method: Method::Post,
            url: "http://x/oauth2/token".into(),
            headers: vec![],
            body: Some(b"client_secret=hunter2".to_vec()),
            timeout_ms: 1,
            needs_auth: false,
        };
        request.authorize("tok-abc");
        let shown = format!("{request:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("tok-abc"), "{shown}");
        assert_eq!(request.header("Authorization"), Some("Bearer tok-abc"));
    }
}
