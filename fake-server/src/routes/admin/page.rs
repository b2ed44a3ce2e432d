//! Layer: routes. The Applications page and its sign-in. The operator signs in by posting the admin key
//! (never in a URL, where it would end up in logs and history); the server answers with an
//! HttpOnly, SameSite=Strict session cookie. Every POST carries a CSRF token bound to that
//! session; the sign-in form itself is protected by a double-submit cookie.

use crate::extract::Path;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use subtle::ConstantTimeEq;

use super::apps::{created_at, kind, set_consent, sorted};
use super::is_admin_key;
use crate::form::{Form, Params};
use crate::pages::{AppRow, ApplicationsView, admin_login_page, applications_page, error_page};
use crate::state::AdminSession;
use crate::state::AppState;
use crate::tokens::random_token;

const PAGE_SIZE: usize = 10;

fn https(st: &AppState) -> bool {
    st.issuer.starts_with("https://")
}

fn session_cookie(st: &AppState) -> &'static str {
    if https(st) { "__Host-fake_admin" } else { "fake_admin" }
}

fn login_cookie(st: &AppState) -> &'static str {
    if https(st) { "__Host-fake_admin_login" } else { "fake_admin_login" }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(st: &AppState, name: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
    let secure = if https(st) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .ok()
}

fn eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn see_other(to: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn refused(st: &AppState, status: StatusCode, desc: &str) -> Response {
    error_page(status, "invalid_request", desc, !st.policy.pages.refuse_framing).into_response()
}

/// The signed-in operator's session: (id, session).
fn session(st: &AppState, headers: &HeaderMap) -> Option<(String, AdminSession)> {
    let sid = cookie(headers, session_cookie(st))?;
    let now = st.clock.now();
    let found = st.features.admin_sessions().get(&sid).filter(|s| s.expires > now).cloned();
    found.map(|s| (sid, s))
}

/// GET `/admin`.
pub async fn home(State(st): State<AppState>) -> Response {
    see_other(&format!("{}/admin/applications", st.base_path))
}

/// GET `/admin/login`.
pub async fn login_form(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if session(&st, &headers).is_some() {
        return see_other(&format!("{}/admin/applications", st.base_path));
    }
    render_login(&st, None)
}

fn render_login(st: &AppState, error: Option<&str>) -> Response {
    let csrf = random_token("", 24);
    let action = format!("{}/admin/login", st.base_path);
    let mut resp = admin_login_page(&action, &csrf, error, !st.policy.pages.refuse_framing).into_response();
    if let Some(c) = set_cookie(st, login_cookie(st), &csrf, 900) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// POST `/admin/login` with `key` and `csrf`.
pub async fn login(State(st): State<AppState>, headers: HeaderMap, Form(p): Form) -> Response {
    let expected = cookie(&headers, login_cookie(&st)).unwrap_or_default();
    if expected.is_empty() || !eq(p.first("csrf").unwrap_or(""), &expected) {
        return refused(&st, StatusCode::FORBIDDEN, "the sign-in form has expired; reload it and try again");
    }
    if !is_admin_key(&st, p.first("key").unwrap_or("")) {
        return render_login(&st, Some("That is not the admin key."));
    }
    let sid = random_token("", 32);
    let lifetime = st.settings.session_lifetime_secs as i64;
    let session = AdminSession { csrf: random_token("", 24), expires: st.clock.now() + lifetime };
    st.features.admin_sessions().insert(sid.clone(), session);
    let mut resp = see_other(&format!("{}/admin/applications", st.base_path));
    let h = resp.headers_mut();
    for c in [set_cookie(&st, session_cookie(&st), &sid, lifetime), set_cookie(&st, login_cookie(&st), "", 0)]
        .into_iter()
        .flatten()
    {
        h.append(header::SET_COOKIE, c);
    }
    resp
}

/// POST `/admin/logout` with `csrf`.
pub async fn logout(State(st): State<AppState>, headers: HeaderMap, Form(p): Form) -> Response {
    if let Some((sid, s)) = session(&st, &headers)
        && eq(p.first("csrf").unwrap_or(""), &s.csrf)
    {
        st.features.admin_sessions().remove(&sid);
    }
    let mut resp = see_other(&format!("{}/admin/login", st.base_path));
    if let Some(c) = set_cookie(&st, session_cookie(&st), "", 0) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// GET `/admin/applications?page=N`: newest first, ten per page.
pub async fn applications(State(st): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let Some((_, s)) = session(&st, &headers) else {
        return see_other(&format!("{}/admin/login", st.base_path));
    };
    let Ok(apps) = sorted(&st, None) else {
        return refused(&st, StatusCode::INTERNAL_SERVER_ERROR, "cannot list applications");
    };
    let total = apps.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let q = Params::parse(q.unwrap_or_default().as_bytes());
    let page = q.first("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
    let rows = apps
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|c| AppRow {
            id: c.id.clone(),
            name: c.name.clone(),
            kind: kind(&st, c),
            public: c.is_public(),
            consent: c.needs_consent(),
            can_toggle: !c.dynamic,
            created_at: created_at(&st, c),
            redirect_uris: c.redirect_uris.clone(),
        })
        .collect();
    applications_page(&ApplicationsView {
        base: &st.base_path,
        csrf: &s.csrf,
        rows,
        page,
        pages,
        total,
        notice: None,
        frameable: !st.policy.pages.refuse_framing,
    })
    .into_response()
}

/// POST `/admin/applications/{id}/consent` with `csrf`, `consent=on|off` and `page`.
pub async fn toggle_consent(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(p): Form,
) -> Response {
    let Some((_, s)) = session(&st, &headers) else {
        return refused(&st, StatusCode::FORBIDDEN, "sign in first");
    };
    if !eq(p.first("csrf").unwrap_or(""), &s.csrf) {
        return refused(
            &st,
            StatusCode::FORBIDDEN,
            "the form's anti-forgery token is invalid; reload the page",
        );
    }
    let on = match p.first("consent") {
        Some("on") => true,
        Some("off") => false,
        _ => return refused(&st, StatusCode::BAD_REQUEST, "choose on or off"),
    };
    if let Err(e) = set_consent(&st, &id, on) {
        let status =
            if e.status == StatusCode::NOT_FOUND { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST };
        return refused(&st, status, &e.description);
    }
    let page = p.first("page").and_then(|n| n.parse::<usize>().ok()).unwrap_or(1);
    see_other(&format!("{}/admin/applications?page={page}", st.base_path))
}
