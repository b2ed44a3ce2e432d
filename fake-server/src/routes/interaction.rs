//! Layer: routes. The login and consent pages and their form posts. Every POST checks a CSRF token bound to
//! the pending request (and, for consent, to the browser session), and answers with 303.

use crate::extract::Path;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::authorize::{can_remember, consented_resource, deny, issue_code, resume};
use super::common::{Page, form_action, session_cookie_name, session_id};
use crate::form::{Form, Params};
use crate::pages::{ConsentView, LoginView, consent_page, error_page, login_page};
use crate::state::{AppState, AuthRequest, Client, Session};
use crate::tokens::random_token;

fn refused(st: &AppState, status: StatusCode, desc: &str) -> Response {
    error_page(status, "invalid_request", desc, !st.policy.pages.refuse_framing).into_response()
}

/// The `request` parameter of a page's query, parsed like every other OAuth input (a framework
/// extractor would answer a repeated or malformed one with a plain-text rejection).
fn request_param(st: &AppState, query: Option<&str>) -> Result<Option<String>, Response> {
    let params = Params::parse(query.unwrap_or("").as_bytes());
    match params.get("request") {
        Ok(id) => Ok(id.map(str::to_string)),
        Err(e) => Err(refused(st, StatusCode::BAD_REQUEST, &e.description)),
    }
}

fn pending(st: &AppState, id: Option<&str>) -> Result<(String, AuthRequest), Response> {
    let now = st.clock.now();
    let id = id.ok_or_else(|| refused(st, StatusCode::BAD_REQUEST, "the sign-in request is missing"))?;
    let req = st.store().requests.get(id).filter(|r| r.expires > now).cloned();
    match req {
        Some(r) => Ok((id.to_string(), r)),
        None => Err(refused(
            st,
            StatusCode::BAD_REQUEST,
            "this sign-in request has expired or is unknown; start again from the application",
        )),
    }
}

/// The anti-CSRF field of the login and consent forms (`_csrf_token` under `csrf-field-name`).
fn csrf_field(st: &AppState) -> &'static str {
    st.policy.interaction.csrf_field
}

fn eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn client_name(st: &AppState, client_id: &str) -> String {
    st.store().clients.get(client_id).map(|c| c.name.clone()).unwrap_or_default()
}

fn render_login(
    st: &AppState,
    id: &str,
    req: &AuthRequest,
    error: Option<&str>,
    username: Option<&str>,
) -> Response {
    let users: Vec<(&str, &str)> =
        st.users.iter().map(|u| (u.username.as_str(), u.password.as_str())).collect();
    let action = form_action(st, Page::Login, id);
    // A path, not a URL: the page names no host but the redirect URI's.
    let admin_url = format!("{}/admin", st.base_path);
    let name = client_name(st, &req.client_id);
    login_page(&LoginView {
        action: &action,
        request: id,
        csrf_field: csrf_field(st),
        csrf: &req.login_csrf,
        client_name: &name,
        error,
        demo_users: &users,
        cancel: st.policy.interaction.login_cancel,
        frameable: !st.policy.pages.refuse_framing,
        admin_url: &admin_url,
        identifier_first: st.policy.interaction.identifier_first.then_some(username),
    })
    .into_response()
}

/// The page's query with `request=ID` from its path, for the `other-paths` handlers (the
/// rest of the query is kept, as the pages at the usual paths see it).
fn request_query(id: &str, query: Option<String>) -> RawQuery {
    let mut q = form_urlencoded::Serializer::new(String::new()).append_pair("request", id).finish();
    if let Some(rest) = query.filter(|r| !r.is_empty()) {
        q.push('&');
        q.push_str(&rest);
    }
    RawQuery(Some(q))
}

/// GET `/u/login/{id}` (`other-paths`).
pub async fn login_form_at(st: State<AppState>, Path(id): Path<String>, RawQuery(q): RawQuery) -> Response {
    login_form(st, request_query(&id, q)).await
}

/// POST `/u/login/{id}` (`other-paths`): the path names the request.
pub async fn login_submit_at(st: State<AppState>, Path(id): Path<String>, Form(p): Form) -> Response {
    login_submit(st, Form(p.with("request", &id))).await
}

/// GET `/interaction/{id}/consent` (`other-paths`).
pub async fn consent_form_at(
    st: State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    consent_form(st, request_query(&id, q), headers).await
}

/// POST `/interaction/{id}/consent` (`other-paths`).
pub async fn consent_submit_at(
    st: State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(p): Form,
) -> Response {
    consent_submit(st, headers, Form(p.with("request", &id))).await
}

/// GET `/login?request=…`
pub async fn login_form(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let query = Params::parse(q.as_deref().unwrap_or("").as_bytes());
    if let Some(next) =
        query.first("next").filter(|n| !st.policy.interaction.ignore_next && HeaderValue::from_str(n).is_ok())
    {
        return axum::response::Redirect::to(next).into_response();
    }
    let id = match request_param(&st, q.as_deref()) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match pending(&st, id.as_deref()) {
        Ok((id, req)) => render_login(&st, &id, &req, None, None),
        Err(r) => r,
    }
}

/// POST `/login`: check the password, start a session, continue the flow with 303.
pub async fn login_submit(State(st): State<AppState>, Form(p): Form) -> Response {
    let (id, req) = match pending(&st, p.first("request")) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !eq(p.first(csrf_field(&st)).unwrap_or(""), &req.login_csrf) {
        return refused(
            &st,
            StatusCode::FORBIDDEN,
            "the form's anti-forgery token is invalid; reload the page",
        );
    }
    // RFC 9700 §4.12 rules out only 307 after a credential POST; 302 (the `login-302`
    // variant) is followed with a GET like 303.
    let status = st.policy.interaction.after_login;
    if p.first("action") == Some("cancel") {
        st.store().requests.remove(&id);
        // The 307 fault concerns the password POST only; a cancel keeps 303 under it.
        let status = if status == StatusCode::TEMPORARY_REDIRECT { StatusCode::SEE_OTHER } else { status };
        return deny(&st, &req, status);
    }
    let username = p.first("username").unwrap_or("");
    // Identifier-first: the username page's Next shows the password page for that name
    // (whether or not such a user exists, so the page does not tell).
    if st.policy.interaction.identifier_first && p.first("action") == Some("next") {
        let error = username.is_empty().then_some("Enter your username.");
        let shown = (!username.is_empty()).then_some(username);
        return render_login(&st, &id, &req, error, shown);
    }
    let password = p.first("password").unwrap_or("");
    let ok =
        st.user(username).is_some_and(|u| eq(&u.password, password) || !st.policy.interaction.check_password);
    if !ok {
        let again = (!username.is_empty()).then_some(username);
        return render_login(&st, &id, &req, Some("Wrong username or password."), again);
    }
    let now = st.clock.now();
    let sid = random_token("", 32);
    {
        let mut store = st.store();
        let expires = now + st.settings.session_lifetime_secs as i64;
        let session = Session { username: username.to_string(), auth_time: now, expires };
        store.sessions.insert(sid.clone(), username, session);
        if let Some(r) = store.requests.get_mut(&id) {
            r.fresh_login = true;
        }
    }
    let mut resp = resume(&st, &id, Some(&sid), status);
    let secure = if st.issuer.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{}={sid}; Path=/; HttpOnly; SameSite=Lax{secure}", session_cookie_name(&st));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The pending request, if this browser's session is the one that logged in for it.
fn owned(
    st: &AppState,
    id: Option<&str>,
    headers: &HeaderMap,
) -> Result<(String, AuthRequest, String), Response> {
    let (id, req) = pending(st, id)?;
    let sid = session_id(st, headers);
    let bound = match (&sid, &req.session_id) {
        (Some(a), Some(b)) => eq(a, b),
        _ => false,
    };
    if !bound && st.policy.interaction.consent_csrf {
        return Err(refused(
            st,
            StatusCode::FORBIDDEN,
            "this consent request belongs to another browser session",
        ));
    }
    let username = sid
        .as_deref()
        .or(req.session_id.as_deref())
        .and_then(|s| st.store().sessions.get(s).map(|s| s.username.clone()))
        .unwrap_or_default();
    Ok((id, req, username))
}

/// GET `/consent?request=…`
pub async fn consent_form(State(st): State<AppState>, RawQuery(q): RawQuery, headers: HeaderMap) -> Response {
    let query = Params::parse(q.as_deref().unwrap_or("").as_bytes());
    if !st.policy.interaction.approve_by_post_only && query.first("decision") == Some("approve") {
        return decide(&st, &headers, &query);
    }
    let id = match request_param(&st, q.as_deref()) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let (id, req, username) = match owned(&st, id.as_deref(), &headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(client) = st.store().clients.get(&req.client_id).map(|c| Client::clone(c)) else {
        return refused(&st, StatusCode::BAD_REQUEST, "this application no longer exists");
    };
    let redirect_host = url::Url::parse(&req.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| req.redirect_uri.clone());
    let hide = !st.policy.interaction.consent_shows_details;
    let redirect_host = if hide { String::new() } else { redirect_host };
    let loopback_only = client.redirect_uris.iter().all(|u| {
        url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(|h| matches!(h, "localhost" | "127.0.0.1" | "[::1]")))
            .unwrap_or(false)
    });
    // Metadata-document clients are identified by their URL; show whose host vouches for them
    // (http only happens for loopback documents in development mode).
    let url_id = client.id.starts_with("https://") || (client.dynamic && client.id.starts_with("http://"));
    let client_id_host = url_id
        .then(|| url::Url::parse(&client.id).ok().and_then(|u| u.host_str().map(str::to_string)))
        .flatten();
    let scopes: Vec<(&str, &str)> = req
        .scopes
        .iter()
        .map(|s| (s.as_str(), st.scope(s).map_or(s.as_str(), |d| d.description.as_str())))
        .collect();
    let action = form_action(&st, Page::Consent, &id);
    // A path, not a URL: the page names no host but the redirect URI's.
    let admin_url = format!("{}/admin", st.base_path);
    consent_page(&ConsentView {
        action: &action,
        request: &id,
        csrf_field: csrf_field(&st),
        csrf: &req.consent_csrf,
        client_name: if hide { &client.id } else { &client.name },
        client_id: &client.id,
        logo_uri: client.logo_uri.as_deref(),
        username: &username,
        redirect_host: &redirect_host,
        loopback_only,
        client_id_host: client_id_host.as_deref(),
        scopes,
        raw_name: !st.policy.interaction.escape_client_name,
        frameable: !st.policy.pages.refuse_framing,
        admin_url: &admin_url,
    })
    .into_response()
}

/// POST `/consent`: approve (possibly fewer scopes) or deny.
pub async fn consent_submit(State(st): State<AppState>, headers: HeaderMap, Form(p): Form) -> Response {
    decide(&st, &headers, &p)
}

/// The user's decision on a pending request, checked against its session and CSRF token.
fn decide(st: &AppState, headers: &HeaderMap, p: &Params) -> Response {
    let (id, req, username) = match owned(st, p.first("request"), headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !eq(p.first(csrf_field(st)).unwrap_or(""), &req.consent_csrf) && st.policy.interaction.consent_csrf {
        return refused(
            st,
            StatusCode::FORBIDDEN,
            "the form's anti-forgery token is invalid; reload the page",
        );
    }
    if req.deferred_error.is_some() && matches!(p.first("decision"), Some("approve" | "deny")) {
        // `validate-after-login`: whatever the user decides, the client gets the request's error.
        return issue_code(st, &mut st.store(), &id, &username, Vec::new(), StatusCode::SEE_OTHER);
    }
    match p.first("decision") {
        Some("approve") => {}
        Some("deny") => {
            st.store().requests.remove(&id);
            return deny(st, &req, StatusCode::SEE_OTHER);
        }
        _ => return refused(st, StatusCode::BAD_REQUEST, "choose Allow or Deny"),
    }
    let approved: Vec<String> = if st.policy.interaction.honour_partial_consent {
        let chosen: Vec<&str> = p.all("scope").collect();
        req.scopes.iter().filter(|s| chosen.contains(&s.as_str())).cloned().collect()
    } else {
        req.scopes.clone()
    };
    if approved.is_empty() && !req.scopes.is_empty() {
        st.store().requests.remove(&id);
        return deny(st, &req, StatusCode::SEE_OTHER);
    }
    let mut store = st.store();
    let client = store.clients.get(&req.client_id).map(|c| Client::clone(c));
    if let Some(client) = client.filter(|c| can_remember(st, c, &req.redirect_uri)) {
        let given = store.consents.entry((username.clone(), client.id)).or_default();
        given.extend(approved.iter().cloned());
        if st.policy.authorize.remember_consent_for_every_client {
            given.extend(req.resources.iter().map(|r| consented_resource(r)));
        }
    }
    issue_code(st, &mut store, &id, &username, approved, StatusCode::SEE_OTHER)
}
