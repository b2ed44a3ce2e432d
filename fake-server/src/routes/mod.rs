//! Layer: routes (above pages and the domain logic; only `lib` is above). The HTTP surface:
//! one module per endpoint group, assembled by `router`. The helpers they share live in
//! `common` (routing, client lookup, the session cookie, page URLs) and `checks`
//! (authorization request, scope and resource checks).

mod admin;
mod authorize;
mod checks;
mod clientauth;
mod common;
mod extra;
mod idjag;
mod interaction;
mod introspect;
mod journal;
mod mcp;
mod metadata;
mod registration;
mod resource;
mod revoke;
mod scripted;
mod token;
mod userinfo;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::cors::{Kind, cors};
use crate::error::OAuthError;
use crate::form::MAX_BODY;
use crate::state::AppState;
use common::route;

/// The whole application for a given state; tests can drive it with `tower::ServiceExt`.
pub fn router(st: AppState) -> Router {
    let cors_for = |kind: Kind, r: Router<AppState>| r.layer(from_fn_with_state((st.clone(), kind), cors));
    // `allow` lists the methods for the 405 answer's `Allow` header (RFC 9110 §15.5.6);
    // OPTIONS is there wherever a CORS layer answers preflights.
    const GET_POST: &str = "GET, POST";
    const POST_CORS: &str = "POST, OPTIONS";
    const GET_CORS: &str = "GET, OPTIONS";

    let token_route =
        if st.policy.token.post_only { post(token::token) } else { post(token::token).get(token::token) };
    let pages = if st.policy.pages.other_paths {
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
    // Under `js-pages` a script draws the pages (served beside them) and posts their forms.
    let pages = if st.policy.pages.script_rendered {
        pages
            .merge(route(scripted::SCRIPT_PATH, "GET", get(scripted::script)))
            .layer(from_fn_with_state(st.clone(), scripted::scripted))
    } else {
        pages
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
    let oauth_metadata_path = if st.policy.discovery.well_known_inserted {
        format!("/.well-known/oauth-authorization-server{base}")
    } else {
        format!("{base}/.well-known/oauth-authorization-server")
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
        .layer(from_fn_with_state(st.clone(), journal::record))
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
