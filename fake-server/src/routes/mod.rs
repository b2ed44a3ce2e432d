//! The HTTP surface: one module per endpoint group, assembled by `router`, plus the helpers
//! they share (client lookup, scope and resource checks, the session cookie).

mod admin;
pub mod authorize;
mod checks;
mod clientauth;
mod extra;
pub mod interaction;
mod introspect;
mod mcp;
pub(crate) mod metadata;
pub use metadata::Documents;
mod registration;
mod resource;
mod revoke;
mod token;
mod userinfo;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

use crate::cors::{Kind, cors};
use crate::error::OAuthError;
use crate::faults::Fault;
use crate::form::MAX_BODY;
use crate::state::{AppState, Client};
use crate::variants::Variant;

/// The whole application for a given state; tests can drive it with `tower::ServiceExt`.
pub fn router(st: AppState) -> Router {
    let cors_for = |kind: Kind, r: Router<AppState>| r.layer(from_fn_with_state((st.clone(), kind), cors));
    // `allow` lists the methods for the 405 answer's `Allow` header (RFC 9110 §15.5.6);
    // OPTIONS is there wherever a CORS layer answers preflights.
    let route = |path: &str, allow: &'static str, m: MethodRouter<AppState>| {
        Router::new().route(path, m.fallback(move || async move { method_not_allowed(allow) }))
    };
    const GET_POST: &str = "GET, POST";
    const POST_CORS: &str = "POST, OPTIONS";
    const GET_CORS: &str = "GET, OPTIONS";

    let token_route = if st.fault(Fault::AcceptGetTokenRequest) {
        post(token::token).get(token::token)
    } else {
        post(token::token)
    };
    let pages = if st.variant(Variant::OtherPaths) {
        use interaction::{consent_form_at, consent_submit_at, login_form_at, login_submit_at};
        Router::new()
            .merge(route("/u/login/{id}", GET_POST, get(login_form_at).post(login_submit_at)))
            .merge(route("/interaction/{id}/consent", GET_POST, get(consent_form_at).post(consent_submit_at)))
    } else {
        Router::new()
            .merge(route("/login", GET_POST, get(interaction::login_form).post(interaction::login_submit)))
            .merge(route(
                "/consent",
                GET_POST,
                get(interaction::consent_form).post(interaction::consent_submit),
            ))
    };
    let endpoints = Router::new()
        .merge(route("/authorize", GET_POST, get(authorize::authorize).post(authorize::authorize)))
        .merge(pages)
        .merge(cors_for(Kind::Token, route("/token", POST_CORS, token_route)))
        .merge(cors_for(Kind::Api, route("/introspect", POST_CORS, post(introspect::introspect))))
        .merge(cors_for(Kind::Api, route("/revoke", POST_CORS, post(revoke::revoke))))
        .merge(cors_for(
            Kind::Userinfo,
            route("/userinfo", "GET, POST, OPTIONS", get(userinfo::userinfo).post(userinfo::userinfo)),
        ))
        .merge(cors_for(Kind::Public, route("/jwks", GET_CORS, get(metadata::jwks))));

    let base = st.base_path.clone();
    let endpoints = endpoints.merge(extra::endpoints(&st));
    let oauth_metadata_path = if st.fault(Fault::MetadataPathAppended) {
        format!("{base}/.well-known/oauth-authorization-server")
    } else {
        format!("/.well-known/oauth-authorization-server{base}")
    };
    let mut well_known = Router::new()
        .merge(route(&oauth_metadata_path, GET_CORS, get(metadata::oauth_metadata)))
        .merge(route(
            &format!("{base}/.well-known/openid-configuration"),
            GET_CORS,
            get(metadata::openid_configuration),
        ));
    if !base.is_empty() {
        // The path-inserted OIDC form that MCP clients also try (MCP-2025-11-25 discovery).
        well_known = well_known.merge(route(
            &format!("/.well-known/openid-configuration{base}"),
            GET_CORS,
            get(metadata::openid_configuration),
        ));
    }
    let well_known = cors_for(Kind::Public, well_known).merge(extra::root(&st));

    let app = match (base.is_empty(), st.settings.legacy_root_endpoints) {
        (true, _) => endpoints,
        (false, false) => Router::new().nest(&base, endpoints),
        (false, true) => Router::new().nest(&base, endpoints.clone()).merge(endpoints),
    };
    let body_timeout = std::time::Duration::from_millis(st.settings.limits.body_timeout_ms.max(1));
    app.merge(well_known)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(move |req, next| {
            crate::listen::body_deadline(body_timeout, req, next)
        }))
        .layer(axum::middleware::from_fn(limit_target))
        .with_state(st)
}

/// Longest request target (path and query) answered, in bytes. Longer ones get 414 with
/// `invalid_request`; hyper itself refuses targets over 64 KiB before any routing.
pub const MAX_TARGET: usize = 32 * 1024;

async fn limit_target(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if len > MAX_TARGET {
        return OAuthError::invalid_request(format!("the request target is longer than {MAX_TARGET} bytes"))
            .with_status(StatusCode::URI_TOO_LONG)
            .into_response();
    }
    next.run(req).await
}

async fn not_found() -> Response {
    OAuthError::not_found("no such endpoint").into_response()
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut resp = OAuthError::invalid_request(format!("HTTP method not allowed here; allowed: {allow}"))
        .with_status(StatusCode::METHOD_NOT_ALLOWED)
        .into_response();
    resp.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static(allow));
    resp
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

/// Scopes for a request: the default set when none is named; unknown or disallowed scopes are
/// an error (RFC 6749 §3.3) unless a fault drops them.
pub fn requested_scopes(st: &AppState, client: &Client, scope: Option<&str>) -> Result<Vec<String>, String> {
    let Some(scope) = scope else {
        return Ok(client.default_scopes.clone());
    };
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        let known = st.scope(s).is_some();
        let allowed = client.scopes.is_empty() || client.scopes.iter().any(|c| c == s);
        if !(known && allowed) {
            if st.fault(Fault::IgnoreUnknownScope) {
                continue;
            }
            return Err(if known {
                format!("scope `{s}` is not allowed for this client")
            } else {
                format!("scope `{s}` is unknown")
            });
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// Resource indicators (RFC 8707 §2): absolute URIs without fragment, served by this server.
pub fn check_resources(st: &AppState, resources: &[String]) -> Result<(), String> {
    if st.fault(Fault::IgnoreResource) {
        return Ok(());
    }
    for r in resources {
        match url::Url::parse(r) {
            Ok(u) if u.fragment().is_none() && r.contains("://") => {}
            _ => return Err(format!("resource `{r}` must be an absolute URI without a fragment")),
        }
        if !st.known_resource(r) {
            return Err(format!("resource `{r}` is not served by this authorization server"));
        }
    }
    Ok(())
}
