//! `GET /`: a small page that says what this Worker is and links to the console (`/admin/`, its
//! static assets) and to `/openapi.json`. No script; a strict Content-Security-Policy.

use super::http::Answer;

/// The Content-Security-Policy of the page: nothing but its own stylesheet.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cxone-data-actions Worker</title>
<link rel="stylesheet" href="/admin/console.css">
</head>
<body>
<main class="home">
<h1>cxone-data-actions Worker</h1>
<p>An authenticated proxy for CXone data actions.</p>
<ul>
<li><a href="/admin/">Admin console</a>: browse, validate, invoke and watch data actions (sign in with an API key).</li>
<li><a href="/openapi.json">OpenAPI 3.1 description</a> of every route.</li>
<li><a href="/healthz">Health</a>: whether the Worker is configured.</li>
</ul>
<p>Every <code>/v1</code> route needs <code>Authorization: Bearer &lt;API key&gt;</code>.</p>
</main>
</body>
</html>
"#;

/// The page.
pub fn page() -> Answer {
    let headers = vec![
        ("content-type", "text/html; charset=utf-8".to_string()),
        ("cache-control", "no-cache".to_string()),
        ("content-security-policy", PAGE_CSP.to_string()),
        ("x-content-type-options", "nosniff".to_string()),
        ("referrer-policy", "no-referrer".to_string()),
    ];
    Answer::new(200, headers, PAGE.as_bytes().to_vec())
}
