//! Layer: domain logic, HTTP middleware (above state, below routes).
//! CORS (WHATWG Fetch): public documents answer any origin with `*`; the API endpoints answer
//! the configured origins by reflection, on preflights and on every actual response, errors
//! included. The authorization endpoint gets none of this (it is navigated to, not fetched).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Which endpoint group a CORS layer guards; decides methods and headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Metadata, JWKS, protected-resource metadata: public GET documents.
    Public,
    Token,
    /// Revocation and introspection.
    Api,
    Userinfo,
    Registration,
    /// The demo MCP resource.
    Mcp,
}

const API_ALLOW_HEADERS: &str = "authorization, content-type, dpop, mcp-protocol-version";
const MCP_ALLOW_HEADERS: &str = "authorization, content-type, dpop, mcp-protocol-version, mcp-session-id, mcp-method, mcp-name, last-event-id";
/// What an MCP server written before 2026-07-28 (which added `mcp-method` and `mcp-name`) allows.
const MCP_OLD_ALLOW_HEADERS: &str =
    "authorization, content-type, dpop, mcp-protocol-version, mcp-session-id, last-event-id";

impl Kind {
    fn methods(self) -> &'static str {
        match self {
            Kind::Public => "GET, OPTIONS",
            Kind::Token | Kind::Api => "POST, OPTIONS",
            Kind::Userinfo => "GET, POST, OPTIONS",
            Kind::Registration => "GET, POST, PUT, DELETE, OPTIONS",
            Kind::Mcp => "GET, POST, DELETE, OPTIONS",
        }
    }

    fn allow_headers(self, faults_drop_authorization: bool, old_mcp: bool) -> &'static str {
        match self {
            Kind::Mcp if old_mcp => MCP_OLD_ALLOW_HEADERS,
            Kind::Mcp => MCP_ALLOW_HEADERS,
            _ if faults_drop_authorization => "content-type",
            _ => API_ALLOW_HEADERS,
        }
    }

    fn expose_headers(self, dpop_nonce: bool) -> &'static str {
        match (self, dpop_nonce) {
            (Kind::Mcp, true) => "WWW-Authenticate, Mcp-Session-Id, DPoP-Nonce",
            (Kind::Mcp, false) => "WWW-Authenticate, Mcp-Session-Id",
            (_, true) => "WWW-Authenticate, DPoP-Nonce",
            (_, false) => "WWW-Authenticate",
        }
    }
}

/// The middleware: `axum::middleware::from_fn_with_state((state, kind), cors)`.
pub async fn cors(State((st, kind)): State<(AppState, Kind)>, req: Request, next: Next) -> Response {
    let policy = &st.policy.cors;
    if matches!(kind, Kind::Public | Kind::Api | Kind::Userinfo) && !policy.beyond_token {
        return next.run(req).await;
    }
    let origin = req.headers().get(header::ORIGIN).cloned();
    let is_preflight = req.method() == Method::OPTIONS
        && origin.is_some()
        && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        if !policy.anonymous_preflight && kind != Kind::Public {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let mut resp = StatusCode::NO_CONTENT.into_response();
        let h = resp.headers_mut();
        if allow_origin(&st, kind, origin.as_ref(), h) {
            let drop_auth = !policy.allow_authorization_header;
            let methods = if kind == Kind::Registration && !policy.registration_methods_complete {
                "GET, POST, OPTIONS"
            } else {
                kind.methods()
            };
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(methods));
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(kind.allow_headers(drop_auth, !policy.current_mcp_headers)),
            );
            h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        }
        return resp;
    }
    let mut resp = next.run(req).await;
    let skip = (kind == Kind::Token && !policy.on_token)
        || (kind != Kind::Public && resp.status().is_client_error() && !policy.on_errors);
    if !skip
        && allow_origin(&st, kind, origin.as_ref(), resp.headers_mut())
        && kind != Kind::Public
        && policy.expose_www_authenticate
    {
        resp.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(kind.expose_headers(policy.expose_dpop_nonce)),
        );
    }
    resp
}

/// Add `Access-Control-Allow-Origin` (and `Vary`) when this origin may call; say whether it may.
fn allow_origin(st: &AppState, kind: Kind, origin: Option<&HeaderValue>, h: &mut HeaderMap) -> bool {
    let Some(origin) = origin else { return false };
    if kind == Kind::Public {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        return true;
    }
    let policy = &st.policy.cors;
    let allowed = !policy.configured_origins_only
        || st.settings.cors_origins.iter().any(|o| o == "*" || o.as_bytes() == origin.as_bytes());
    if !allowed {
        add_vary(h);
        return false;
    }
    if !policy.no_wildcard_with_credentials {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        return true;
    }
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    if policy.vary_origin {
        add_vary(h);
    }
    true
}

/// The response depends on `Origin` (Fetch §CORS protocol and HTTP caches).
fn add_vary(h: &mut HeaderMap) {
    h.append(header::VARY, HeaderValue::from_static("Origin"));
}
