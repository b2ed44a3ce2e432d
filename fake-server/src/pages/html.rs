//! Layer: pages. The page frame every page shares: escaping, the style, the security
//! headers and the error page.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Escape text for HTML element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Registration refuses these in names; anything that still carries one (fixtures,
            // error messages quoting a request) shows a visible replacement instead of letting
            // a bidi override or a zero-width character disguise the text.
            c if c.is_control() || crate::uri_rules::is_invisible(c) => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
    out
}

/// A logo URL is shown only when it is an absolute http(s) URL.
pub fn safe_image_url(s: &str) -> Option<&str> {
    let u = url::Url::parse(s).ok()?;
    matches!(u.scheme(), "http" | "https").then_some(s)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1d2433}\
h1{font-size:1.4rem}form{display:grid;gap:.8rem}label{display:grid;gap:.25rem}\
input[type=text],input[type=password]{padding:.5rem;font-size:1rem}\
button{padding:.6rem 1rem;font-size:1rem;border-radius:.4rem;border:1px solid #8a93a6;background:#fff;cursor:pointer}\
button.primary{background:#2451c9;color:#fff;border-color:#2451c9}.row{display:flex;gap:.6rem}\
.logo{width:64px;height:64px;object-fit:contain;border-radius:.5rem}.muted{color:#5b6475;font-size:.9rem}\
.warn{background:#fff4d6;padding:.6rem;border-radius:.4rem}.error{color:#b3261e}\
ul.scopes{list-style:none;padding:0;margin:0;display:grid;gap:.4rem}\
ul.scopes li{border:1px solid #dde2ea;border-radius:.4rem;padding:.5rem .6rem}\
ul.scopes label{display:flex;align-items:center;gap:.5rem;flex-wrap:wrap}ul.scopes code{margin-left:auto}\
code{background:#eef1f6;padding:0 .2rem}";

/// A complete HTML page with the security headers every page of the flow needs.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub title: String,
    pub body: String,
    /// Leave out the anti-framing headers (the `frameable-pages` fault).
    pub frameable: bool,
}

impl Page {
    pub fn new(status: StatusCode, title: &str, body: String, frameable: bool) -> Page {
        Page { status, title: title.to_string(), body, frameable }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        framed(self.status, &self.title, &self.body, self.frameable, false)
    }
}

/// A complete HTML page with the security headers every page of the flow needs; `scripts`
/// lets scripts come from and talk to this server (the `js-pages` shell), and nothing else.
fn framed(status: StatusCode, title: &str, body: &str, frameable: bool, scripts: bool) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title),
    );
    let mut resp = (status, html).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !frameable {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    let csp = match (scripts, frameable) {
        (false, true) => "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:",
        (false, false) => {
            "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:; frame-ancestors 'none'"
        }
        (true, true) => {
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src https: http:"
        }
        (true, false) => {
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src https: http:; frame-ancestors 'none'"
        }
    };
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    resp
}

/// The line under the login and consent pages that says where what they show is configured:
/// the fixtures file, and the admin page (a path on this server: the consent page names no
/// host but the one its answer goes to).
pub fn setup_note(admin_url: &str) -> String {
    format!(
        "<p class=\"muted\" id=\"setup-note\">This is oauth-fake-server, for development. Its users, \
         clients and scopes come from its fixtures file (<code>--fixtures FILE</code>; \
         <code>oauth-fake-server --print-fixtures</code> lists them); applications and whether \
         they ask for consent can also be changed on this server at <code>{}</code>.</p>",
        escape(admin_url)
    )
}

/// The script that draws the sign-in pages of the `js-pages` variant.
pub const SIGN_IN_SCRIPT: &str = include_str!("assets/sign-in.js");

/// The page a script fills in (the `js-pages` variant): the frame every page has, an empty
/// `#app` and the script, with a policy that lets scripts come from and talk to this server
/// only.
pub fn script_shell(status: StatusCode, script_url: &str, frameable: bool) -> Response {
    let body = format!(
        "<div id=\"app\"><noscript>This sign-in page needs JavaScript.</noscript></div>\
         <script src=\"{}\"></script>",
        escape(script_url)
    );
    framed(status, "Sign in", &body, frameable, true)
}

/// The page a user sees when a request cannot be sent back to the client (RFC 6749 §4.1.2.1:
/// never redirect to an unverified URI).
pub fn error_page(status: StatusCode, error: &str, description: &str, frameable: bool) -> Page {
    let body = format!(
        "<h1>This request cannot continue</h1>\
         <p class=\"error\" id=\"error\" data-error=\"{code}\"><code>{code}</code>: {desc}</p>\
         <p class=\"muted\">The application that sent you here made a request this server \
         refuses. You can close this page.</p>",
        code = escape(error),
        desc = escape(description)
    );
    Page::new(status, "Request refused", body, frameable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_shows_bidi_controls_and_invisible_characters_as_replacements() {
        assert_eq!(escape("Good\u{202E}gpj.exe\u{200B}\n"), "Good\u{FFFD}gpj.exe\u{FFFD}\u{FFFD}");
        assert_eq!(escape("Café Ünïcode"), "Café Ünïcode");
    }

    #[test]
    fn escaping_neutralises_markup_and_attribute_breakouts() {
        assert_eq!(
            escape(r#"<img src=x onerror="a">'&"#),
            "&lt;img src=x onerror=&quot;a&quot;&gt;&#39;&amp;"
        );
    }

    #[test]
    fn only_http_and_https_logos_are_shown() {
        assert!(safe_image_url("https://a.example/l.png").is_some());
        assert!(safe_image_url("javascript:alert(1)").is_none());
        assert!(safe_image_url("data:image/png;base64,AAAA").is_none());
        assert!(safe_image_url("/relative.png").is_none());
    }

    #[test]
    fn scope_rows_keep_checkbox_description_and_name_on_one_line() {
        // `label{display:grid}` is for the stacked login fields; on the consent page it put
        // each checkbox, description and scope name on its own full-width row.
        assert!(STYLE.contains("ul.scopes label{display:flex"));
        assert!(
            STYLE.find("label{display:grid") < STYLE.find("ul.scopes label{"),
            "the override must come later"
        );
    }

    #[test]
    fn pages_refuse_framing_unless_the_fault_is_on() {
        let resp = error_page(StatusCode::BAD_REQUEST, "x", "y", false).into_response();
        assert_eq!(resp.headers()[header::X_FRAME_OPTIONS], "DENY");
        let csp = resp.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"));
        let resp = error_page(StatusCode::BAD_REQUEST, "x", "y", true).into_response();
        assert!(resp.headers().get(header::X_FRAME_OPTIONS).is_none());
    }
}
