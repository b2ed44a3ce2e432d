//! Layer: routes. The authorization endpoint (RFC 6749 §4.1.1, OAuth 2.1 §4.1): validate, park the request,
//! and send the browser on to login and consent; `resume` decides each next step.

use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::checks;
use super::common::{Page, page_url, session_id};
use crate::form::{Params, read_body};
use crate::pages::error_page;
use crate::state::{AppState, AuthRequest, Client, Code, Store};
use crate::tokens::random_token;

/// GET or POST `/authorize`.
pub async fn authorize(State(st): State<AppState>, RawQuery(query): RawQuery, req: Request) -> Response {
    let headers = req.headers().clone();
    // Size limits first: nothing an unauthenticated request sends is kept unless it fits.
    let params = if req.method() == Method::POST {
        read_body(req, &()).await.and_then(|body| Params::parse_limited(&body))
    } else {
        Params::parse_limited(query.unwrap_or_default().as_bytes())
    };
    let params = match params {
        Ok(p) => p,
        Err(e) => return page_error(&st, "invalid_request", &e.description),
    };
    // A metadata-document client is fetched now, so the synchronous checks below find it.
    if let Err(e) = crate::cimd::prepare(&st, &params).await {
        let status = if e.status.is_server_error() { e.status } else { StatusCode::BAD_REQUEST };
        return error_page(status, e.code, &e.description, !st.policy.pages.refuse_framing).into_response();
    }
    let mut resp = match start(&st, &params, &headers) {
        Ok(r) | Err(r) => r,
    };
    if !st.policy.authorize.no_cors {
        resp.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    resp
}

fn page_error(st: &AppState, code: &str, description: &str) -> Response {
    error_page(StatusCode::BAD_REQUEST, code, description, !st.policy.pages.refuse_framing).into_response()
}

/// Where an error goes once the redirect URI is trusted.
struct Target {
    redirect_uri: String,
    state: Option<String>,
}

fn start(st: &AppState, p: &Params, headers: &HeaderMap) -> Result<Response, Response> {
    // 1. client_id and redirect_uri first: until both are trusted nothing may redirect.
    let policy = &st.policy.authorize;
    let (client, redirect_uri, sent) = trusted_redirect(st, p)?;
    let state = p.first("state").map(str::to_string);
    let state = state.or_else(|| (!policy.empty_params_are_absent && p.contains("state")).then(String::new));
    let target = Target { redirect_uri, state };
    let fail = |code: &str, desc: &str| {
        let stateless;
        let t = if policy.error_keeps_state {
            &target
        } else {
            stateless = Target { redirect_uri: target.redirect_uri.clone(), state: None };
            &stateless
        };
        Err(error_redirect(st, t, code, desc, StatusCode::FOUND))
    };

    // 2. The rest is reported to the client by redirect: at once, or after the user signed in
    //    under the `validate-after-login` variant.
    let checked = match checks::validate(st, p, &client) {
        Ok(c) => c,
        Err((code, desc)) if checks::defer(st, p) => {
            let state = target.state.clone().filter(|_| policy.error_keeps_state);
            let parked = Target { redirect_uri: target.redirect_uri.clone(), state };
            let checked = checks::Checked::lenient(st, p, &client, (code, desc));
            return Ok(park(st, p, headers, &client, parked, sent, checked));
        }
        Err((code, desc)) => return fail(code, &desc),
    };
    Ok(park(st, p, headers, &client, target, sent, checked))
}

/// Store a validated request and continue with login, consent or the code.
fn park(
    st: &AppState,
    p: &Params,
    headers: &HeaderMap,
    client: &Client,
    target: Target,
    sent: bool,
    checked: checks::Checked,
) -> Response {
    let now = st.clock.now();
    let id = random_token("", 24);
    let request = AuthRequest {
        client_id: client.id.clone(),
        redirect_uri: target.redirect_uri,
        redirect_uri_sent: sent,
        state: target.state,
        scopes: checked.scopes,
        resources: checked.resources,
        challenge: checked.challenge,
        method: checked.method,
        nonce: p.first("nonce").map(str::to_string),
        dpop_jkt: p.first("dpop_jkt").filter(|_| st.policy.dpop.offered).map(str::to_string),
        prompt: checked.prompt,
        expires: now + st.settings.interaction_lifetime_secs as i64,
        login_csrf: random_token("", 24),
        consent_csrf: random_token("", 24),
        session_id: None,
        fresh_login: false,
        deferred_error: checked.deferred_error,
    };
    st.store().requests.insert(id.clone(), &client.id, request);
    resume(st, &id, session_id(st, headers).as_deref(), StatusCode::FOUND)
}

/// Validate `client_id` and `redirect_uri`; an error here is a page, never a redirect.
fn trusted_redirect(st: &AppState, p: &Params) -> Result<(std::sync::Arc<Client>, String, bool), Response> {
    let policy = &st.policy.authorize;
    let bad = |code: &str, desc: &str, p: &Params| -> Response {
        if !policy.page_for_untrusted_redirect
            && let Some(uri) = p.first("redirect_uri")
        {
            let t = Target { redirect_uri: uri.to_string(), state: p.first("state").map(str::to_string) };
            return error_redirect(st, &t, code, desc, StatusCode::FOUND);
        }
        page_error(st, code, desc)
    };
    let client_id = match p.get("client_id") {
        Ok(Some(id)) => id,
        Ok(None) => return Err(bad("invalid_request", "client_id is required", p)),
        Err(e) => return Err(bad("invalid_request", &e.description, p)),
    };
    let Some(client) = super::common::find_client(st, client_id) else {
        return Err(bad("invalid_client", "unknown client_id", p));
    };
    let requested = match p.get("redirect_uri") {
        Ok(r) => r,
        Err(e) => return Err(bad("invalid_request", &e.description, p)),
    };
    let requested =
        requested.or_else(|| (!policy.empty_params_are_absent && p.contains("redirect_uri")).then_some(""));
    let single = client.redirect_uris.len() == 1 && policy.single_redirect_uri_is_default;
    match requested {
        Some(uri) => match client.redirect_uris.iter().find(|reg| redirect_matches(st, reg, uri)) {
            Some(reg) if !policy.redirect_to_requested_uri => Ok((client.clone(), reg.clone(), true)),
            Some(_) => Ok((client, uri.to_string(), true)),
            None if !policy.enforce_dynamic_redirect_uris && client.registration_token.is_some() => {
                Ok((client, uri.to_string(), true))
            }
            None => Err(bad("invalid_request", "redirect_uri is not registered for this client", p)),
        },
        None if single || !policy.require_redirect_uri_when_several => match client.redirect_uris.first() {
            Some(uri) => Ok((client.clone(), uri.clone(), false)),
            None => Err(bad("invalid_request", "this client has no redirect URI", p)),
        },
        None if client.redirect_uris.len() == 1 => Err(bad("invalid_request", "redirect_uri is required", p)),
        None => Err(bad("invalid_request", "redirect_uri is required: this client registered several", p)),
    }
}

/// Exact string comparison (RFC 3986 §6.2.1), except that loopback URIs match on any port
/// (RFC 8252 §7.3; `localhost` too, as MCP clients register it).
pub fn redirect_matches(st: &AppState, registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let matching = &st.policy.authorize.redirect_matching;
    if matching.prefix && requested.starts_with(registered) {
        return true;
    }
    if matching.case_and_slash_insensitive
        && registered.trim_end_matches('/').eq_ignore_ascii_case(requested.trim_end_matches('/'))
    {
        return true;
    }
    if matching.host_only && host_of(registered).is_some_and(|h| host_of(requested) == Some(h)) {
        return true;
    }
    if matching.substring {
        let pattern = registered.split_once("://").map_or(registered, |(_, rest)| rest);
        if requested.contains(pattern) {
            return true;
        }
    }
    matching.loopback_any_port && loopback_equal(registered, requested)
}

/// The host of a URL (only for host-only matching, a fault).
fn host_of(uri: &str) -> Option<String> {
    url::Url::parse(uri).ok().and_then(|u| u.host_str().map(str::to_string))
}

fn loopback_equal(registered: &str, requested: &str) -> bool {
    match (loopback_parts(registered), loopback_parts(requested)) {
        (Some((host_a, rest_a)), Some((host_b, rest_b))) => host_a == host_b && rest_a == rest_b,
        _ => false,
    }
}

/// `http://HOST[:PORT]REST` with a loopback HOST, split textually (no normalisation, so two
/// different strings never compare equal by accident): (HOST, REST).
fn loopback_parts(uri: &str) -> Option<(&str, &str)> {
    let after = uri.strip_prefix("http://")?;
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    if rest.contains('#') || authority.contains('@') {
        return None;
    }
    let host = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => {
            let port = &authority[i + 1..];
            if !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            &authority[..i]
        }
        _ => authority,
    };
    matches!(host, "127.0.0.1" | "[::1]" | "localhost").then_some((host, rest))
}

/// The next step of a pending request: login, consent, or the code. `status` is the redirect
/// status to use (303 after a form POST, 302 otherwise).
pub fn resume(st: &AppState, id: &str, session: Option<&str>, status: StatusCode) -> Response {
    let now = st.clock.now();
    let mut store = st.store();
    let Some(req) = store.requests.get(id).filter(|r| r.expires > now).cloned() else {
        drop(store);
        return page_error(
            st,
            "invalid_request",
            "this sign-in request has expired or is unknown; start again from the application",
        );
    };
    let target = Target { redirect_uri: req.redirect_uri.clone(), state: req.state.clone() };
    let user = session.and_then(|sid| {
        store.sessions.get(sid).filter(|s| s.expires > now).map(|s| (sid, s.username.clone()))
    });
    let needs_login = match &user {
        None => true,
        Some(_) => req.prompt.login && !req.fresh_login && st.policy.authorize.honour_prompt_login,
    };
    if needs_login {
        if req.prompt.none {
            store.requests.remove(id);
            drop(store);
            return error_redirect(st, &target, "login_required", "the user is not signed in", status);
        }
        drop(store);
        return Redirect::to(&page_url(st, Page::Login, id)).into_response_with(status);
    }
    let (sid, username) = user.unwrap_or_default();
    if let Some(r) = store.requests.get_mut(id) {
        r.session_id = Some(sid.to_string());
    }
    let Some(client) = store.clients.get(&req.client_id).map(|c| Client::clone(c)) else {
        store.requests.remove(id);
        drop(store);
        return page_error(st, "invalid_client", "this application no longer exists");
    };
    // `prompt=consent` asks even a client configured to skip consent (OIDC Core §3.1.2.1).
    if (client.needs_consent() || req.prompt.consent) && st.policy.authorize.ask_consent {
        let remembered = can_remember(st, &client, &req.redirect_uri)
            && store.consents.get(&(username.clone(), client.id.clone())).is_some_and(|given| {
                req.scopes.iter().all(|s| given.contains(s))
                    && (!st.policy.authorize.remember_consent_for_every_client
                        || req.resources.iter().all(|r| given.contains(&consented_resource(r))))
            });
        if !remembered || req.prompt.consent {
            if req.prompt.none {
                store.requests.remove(id);
                drop(store);
                return error_redirect(
                    st,
                    &target,
                    "consent_required",
                    "the user has not approved this application",
                    status,
                );
            }
            drop(store);
            return Redirect::to(&page_url(st, Page::Consent, id)).into_response_with(status);
        }
    }
    let scopes = req.scopes.clone();
    issue_code(st, &mut store, id, &username, scopes, status)
}

/// Remember consent only when the client's identity is assured (RFC 6749 §10.2; BBA §6.3.3.2):
/// a confidential client, or a public one whose redirect URI is https. Clients that
/// registered themselves or came from a metadata document are asked every time, except under
/// the `remembered-consent` variant, which remembers every client.
pub fn can_remember(st: &AppState, client: &Client, redirect_uri: &str) -> bool {
    st.policy.authorize.remember_consent_for_every_client
        || (!client.dynamic && (!client.is_public() || redirect_uri.starts_with("https://")))
}

/// How an approved resource is kept among a consent's scopes under `remembered-consent`: a
/// leading space, which no scope token can contain (RFC 6749 §3.3), keeps the two apart.
pub fn consented_resource(resource: &str) -> String {
    format!(" {resource}")
}

/// Turn the pending request into a code and send it to the client.
pub fn issue_code(
    st: &AppState,
    store: &mut Store,
    id: &str,
    username: &str,
    scopes: Vec<String>,
    status: StatusCode,
) -> Response {
    let Some(req) = store.requests.remove(id) else {
        return page_error(st, "invalid_request", "this sign-in request has expired or is unknown");
    };
    if let Some((code, desc)) = &req.deferred_error {
        // `validate-after-login`: the user has signed in (and consented); now the error.
        let target = Target { redirect_uri: req.redirect_uri.clone(), state: req.state.clone() };
        return error_redirect(st, &target, code, desc, status);
    }
    let policy = &st.policy.authorize;
    let now = st.clock.now();
    let auth_time =
        req.session_id.as_deref().and_then(|sid| store.sessions.get(sid)).map_or(now, |s| s.auth_time);
    let mut scopes = scopes;
    if !policy.scopes_from_this_request
        && let Some(sid) = req.session_id.clone()
    {
        // The fault: the session's first grant to the client is what it keeps getting.
        scopes = store.first_scopes.entry((sid, req.client_id.clone())).or_insert(scopes).clone();
    }
    // What the user does not hold is not granted, whatever was asked for or approved.
    scopes.retain(|s| !st.settings.withheld_scopes.contains(s));
    let mut code = random_token("", policy.code_bytes);
    if let Some(challenge) = req.challenge.as_deref().filter(|_| !policy.opaque_codes) {
        code = format!("{code}.{challenge}");
    }
    store.codes.insert(
        code.clone(),
        Code {
            client_id: req.client_id,
            redirect_uri: req.redirect_uri.clone(),
            redirect_uri_sent: req.redirect_uri_sent,
            challenge: req.challenge,
            method: req.method,
            scopes,
            resources: req.resources,
            username: username.to_string(),
            nonce: req.nonce,
            dpop_jkt: req.dpop_jkt,
            auth_time,
            expires: now + st.code_lifetime(),
            grant_id: None,
        },
    );
    let mut params = vec![("code", code)];
    match req.state {
        Some(s) if policy.echo_state => params.push(("state", s)),
        None if !policy.omit_absent_state => params.push(("state", "undefined".into())),
        _ => {}
    }
    if policy.send_iss {
        params.push(("iss", st.issuer.clone()));
    }
    let mut target = req.redirect_uri.clone();
    if !policy.redirect_uri_verbatim
        && let Ok(mut u) = url::Url::parse(&target)
    {
        let path = format!("{}/", u.path());
        u.set_path(&path);
        target = u.into();
    }
    redirect_with(st, &target, &params, status)
}

/// An error for the client, by redirect, with `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207).
fn error_redirect(st: &AppState, t: &Target, code: &str, desc: &str, status: StatusCode) -> Response {
    let policy = &st.policy.authorize;
    let desc = if policy.sanitize_error_description { error_text(desc) } else { desc.to_string() };
    let mut params = vec![("error", code.to_string()), ("error_description", desc)];
    if let Some(s) = &t.state {
        params.push(("state", s.clone()));
    }
    if policy.send_iss {
        params.push(("iss", st.issuer.clone()));
    }
    redirect_with(st, &t.redirect_uri, &params, status)
}

/// `error_description` may only hold %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §4.1.2.1), but
/// descriptions quote request values: replace what falls outside.
fn error_text(desc: &str) -> String {
    desc.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            ' ' | '!' | '#'..='[' | ']'..='~' => c,
            _ => '?',
        })
        .collect()
}

/// The user refused (login cancelled or consent denied): `access_denied` to the client.
pub fn deny(st: &AppState, req: &AuthRequest, status: StatusCode) -> Response {
    let policy = &st.policy.authorize;
    if !policy.deny_redirects_to_client {
        return error_page(
            StatusCode::OK,
            "access_denied",
            "You denied access.",
            !st.policy.pages.refuse_framing,
        )
        .into_response();
    }
    if req.state.is_none() && !policy.deny_without_state {
        return crate::error::OAuthError::server_error("no state to return").into_response();
    }
    let state = req.state.clone().filter(|_| policy.deny_keeps_state);
    let mut params = vec![
        ("error", "access_denied".to_string()),
        ("error_description", "the user denied the request".to_string()),
    ];
    if let Some(s) = state {
        params.push(("state", s));
    }
    if policy.send_iss {
        params.push(("iss", st.issuer.clone()));
    }
    if !policy.deny_only_defined_params {
        params.push(("session_state", random_token("", 8)));
    }
    redirect_with(st, &req.redirect_uri, &params, status)
}

/// Append response parameters to the redirect URI, keeping its own query (RFC 6749 §3.1.2).
/// The URI is used exactly as registered, never re-serialized: registration admits only
/// RFC 3986 characters, so the string a client registered is the one its users are sent to.
fn redirect_with(
    st: &AppState,
    redirect_uri: &str,
    params: &[(&str, String)],
    status: StatusCode,
) -> Response {
    let (mut base, fragment) = match redirect_uri.split_once('#') {
        Some((b, f)) => (b.to_string(), Some(f)),
        None => (redirect_uri.to_string(), None),
    };
    if !st.policy.authorize.keep_registered_query
        && let Some(i) = base.find('?')
    {
        base.truncate(i);
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let separator = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with(['?', '&']) => "",
        Some(_) => "&",
    };
    let mut target = format!("{base}{separator}{}", query.finish());
    if let Some(f) = fragment {
        target.push('#');
        target.push_str(f);
    }
    match HeaderValue::from_str(&target) {
        Ok(location) => {
            let mut resp = status.into_response();
            resp.headers_mut().insert(header::LOCATION, location);
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(_) => page_error(st, "invalid_request", "redirect_uri cannot be sent in a Location header"),
    }
}

/// A redirect with the status of our choosing (axum's `Redirect` fixes it per constructor).
trait WithStatus {
    fn into_response_with(self, status: StatusCode) -> Response;
}

impl WithStatus for Redirect {
    fn into_response_with(self, status: StatusCode) -> Response {
        let mut resp = self.into_response();
        *resp.status_mut() = status;
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::{error_text, loopback_equal};

    #[test]
    fn error_descriptions_keep_only_the_allowed_characters() {
        assert_eq!(error_text("response_type `a\"b\\c\u{e9}\n` is not"), "response_type `a'b/c??` is not");
        assert!(error_text("plain text, ok: [x] {y} ~").chars().all(|c| c != '?'));
    }

    #[test]
    fn loopback_redirects_match_on_any_port_and_nothing_else() {
        assert!(loopback_equal("http://127.0.0.1/callback", "http://127.0.0.1:51004/callback"));
        assert!(loopback_equal("http://[::1]:80/cb", "http://[::1]:9000/cb"));
        assert!(loopback_equal("http://localhost/cb", "http://localhost:3000/cb"));
        assert!(!loopback_equal("http://127.0.0.1/callback", "http://127.0.0.1:5000/callback/x"));
        assert!(!loopback_equal("http://127.0.0.1/cb", "http://localhost:5000/cb"));
        assert!(!loopback_equal("https://127.0.0.1/cb", "https://127.0.0.1:5000/cb"));
        assert!(!loopback_equal("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb?x=1"));
        assert!(!loopback_equal("http://example.com/cb", "http://example.com:81/cb"));
    }
}
