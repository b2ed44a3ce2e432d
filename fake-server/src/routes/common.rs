//! Layer: routes. Helpers every endpoint group shares: routes that answer other methods with
//! 405, CORS layering, client lookup, the browser session cookie and the URLs of the login and
//! consent pages.

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::cors::{Kind, cors};
use crate::error::OAuthError;
use crate::state::{AppState, Client};

/// A route whose other methods get 405 with `allow` in the `Allow` header (RFC 9110 §15.5.6).
pub fn route(path: &str, allow: &'static str, m: MethodRouter<AppState>) -> Router<AppState> {
    Router::new().route(path, m.fallback(move || async move { not_allowed(allow) }))
}

fn not_allowed(allow: &'static str) -> Response {
    let mut resp = OAuthError::invalid_request(format!("HTTP method not allowed here; allowed: {allow}"))
        .with_status(StatusCode::METHOD_NOT_ALLOWED)
        .into_response();
    resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    resp
}

pub fn with_cors(st: &AppState, kind: Kind, r: Router<AppState>) -> Router<AppState> {
    r.layer(from_fn_with_state((st.clone(), kind), cors))
}

/// A registered client by id.
pub fn find_client(st: &AppState, client_id: &str) -> Option<std::sync::Arc<Client>> {
    st.store().clients.get(client_id).cloned()
}

/// Name of the browser session cookie: `__Host-` prefixed when the issuer is https.
pub fn session_cookie_name(st: &AppState) -> &'static str {
    if st.issuer.starts_with("https://") { "__Host-fake_session" } else { "fake_session" }
}

/// The session id from the request's cookies, if any.
pub fn session_id(st: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = session_cookie_name(st);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The two pages of the flow.
#[derive(Debug, Clone, Copy)]
pub enum Page {
    Login,
    Consent,
}

/// Where the browser is sent for a page of pending request `id`: `/login?request=…` and
/// `/consent?request=…`, or `/u/login/{id}` and `/interaction/{id}/consent` under the
/// `other-paths` variant.
pub fn page_url(st: &AppState, page: Page, id: &str) -> String {
    let base = &st.base_path;
    match (page, st.policy.pages.other_paths) {
        (Page::Login, false) => format!("{base}/login?request={id}"),
        (Page::Consent, false) => format!("{base}/consent?request={id}"),
        (_, true) => form_action(st, page, id),
    }
}

/// Where a page's form posts (the request id travels in a hidden field as well).
pub fn form_action(st: &AppState, page: Page, id: &str) -> String {
    let base = &st.base_path;
    match (page, st.policy.pages.other_paths) {
        (Page::Login, false) => format!("{base}/login"),
        (Page::Consent, false) => format!("{base}/consent"),
        (Page::Login, true) => format!("{base}/u/login/{id}"),
        (Page::Consent, true) => format!("{base}/interaction/{id}/consent"),
    }
}
