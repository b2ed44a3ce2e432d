//! Layer: routes. The `js-pages` variant: the login and consent pages as a single-page sign-in
//! app serves them. Asked for as HTML, a page is an empty shell with the script
//! (`/assets/sign-in.js`); asked for with `Accept: application/json`, it is its title and
//! markup as JSON; and a form posted that way is answered with the next URL
//! (`{"location": …}`) where a browser would get a 303. Everything else (the checks, the
//! CSRF tokens, the cookies, error pages) is the pages' own.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::pages::{SIGN_IN_SCRIPT, script_shell};
use crate::state::AppState;

/// Where the script is served, under the issuer.
pub const SCRIPT_PATH: &str = "/assets/sign-in.js";

/// The pages are the server's own and small; a body above this is answered as it was.
const MAX_PAGE: usize = 1 << 20;

/// GET `/assets/sign-in.js`.
pub async fn script() -> Response {
    let mut resp = SIGN_IN_SCRIPT.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"))
}

fn is_html(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html"))
}

/// The text between the first `open` and the last `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text.rfind(close)?;
    (start <= end).then(|| &text[start..end])
}

/// `value` as JSON with `status`, keeping the cookies `from` set.
fn json_answer(from: &HeaderMap, status: StatusCode, value: Value) -> Response {
    let mut out = (status, axum::Json(value)).into_response();
    let h = out.headers_mut();
    for cookie in from.get_all(header::SET_COOKIE) {
        h.append(header::SET_COOKIE, cookie.clone());
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// The middleware over the login and consent routes.
pub async fn scripted(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let json = wants_json(req.headers());
    let get = req.method() == Method::GET;
    let resp = next.run(req).await;
    if json && resp.status().is_redirection() {
        let location = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        return json_answer(resp.headers(), StatusCode::OK, json!({ "location": location }));
    }
    if json && is_html(&resp) {
        let status = resp.status();
        let (parts, body) = resp.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE).await else {
            return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
        };
        let text = String::from_utf8_lossy(&bytes);
        let page = json!({
            "title": between(&text, "<title>", "</title>").unwrap_or(""),
            "html": between(&text, "<body>", "</body>").unwrap_or(""),
        });
        return json_answer(&parts.headers, status, page);
    }
    if get && !json && is_html(&resp) && resp.status() == StatusCode::OK {
        let mut shell = script_shell(StatusCode::OK, &st.url(SCRIPT_PATH), !st.policy.pages.refuse_framing);
        for cookie in resp.headers().get_all(header::SET_COOKIE) {
            shell.headers_mut().append(header::SET_COOKIE, cookie.clone());
        }
        return shell;
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_markup_is_what_the_body_holds() {
        let page = "<html><head><title>Sign in</title></head><body><form id=\"f\"></form></body></html>";
        assert_eq!(between(page, "<body>", "</body>"), Some("<form id=\"f\"></form>"));
        assert_eq!(between(page, "<title>", "</title>"), Some("Sign in"));
        assert_eq!(between("no body", "<body>", "</body>"), None);
    }
}
