//! Layer: routes. Routes beyond the core flows: dynamic registration (RFC 7591, RFC 7592), the demo MCP
//! resource with its metadata (RFC 9728), the operator view and token verification.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::common::{route, with_cors};
use super::{mcp, registration, resource};
use crate::config::RegistrationPolicy;
use crate::cors::Kind;
use crate::error::OAuthError;
use crate::state::AppState;

/// Endpoints under the issuer path.
pub fn endpoints(st: &AppState) -> Router<AppState> {
    let mut r = Router::new();
    if st.settings.registration != RegistrationPolicy::Off {
        let reg = route("/register", "POST, OPTIONS", post(registration::register)).merge(route(
            "/register/{client_id}",
            "GET, PUT, DELETE, OPTIONS",
            get(registration::read).put(registration::update).delete(registration::delete),
        ));
        r = r.merge(with_cors(st, Kind::Registration, reg));
    }
    let path = st.settings.mcp_path.clone();
    let mcp = with_cors(
        st,
        Kind::Mcp,
        route(&path, "GET, POST, DELETE, OPTIONS", get(mcp::mcp).post(mcp::mcp).delete(mcp::mcp)),
    )
    .layer(from_fn_with_state(st.clone(), preflight_fault));
    r.merge(mcp).merge(super::admin::router(st))
}

/// Endpoints at the origin root: the resource's RFC 9728 metadata.
pub fn root(st: &AppState) -> Router<AppState> {
    with_cors(st, Kind::Mcp, route(&resource::prm_path(st), "GET, OPTIONS", get(resource::metadata)))
}

/// The `mcp-preflight-requires-auth` fault: preflights meet the bearer check (CORS-12).
async fn preflight_fault(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS && !st.policy.resource.anonymous_preflight {
        return OAuthError::invalid_token("a bearer token is required", false, "")
            .with_status(StatusCode::UNAUTHORIZED)
            .into_response();
    }
    next.run(req).await
}
