//! Layer: routes. The operator's view of access tokens and of time: `POST /admin/api/access_tokens/describe`
//! shows any token this server issued, revoked or expired ones included (the verification
//! endpoint refuses those), and `POST /admin/api/clock/advance` moves the server's clock from
//! outside the process, as `FakeServer::advance` does in Rust tests.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::require_admin;
use super::verify::{describe, token_in};
use crate::error::OAuthError;
use crate::form::read_body;
use crate::state::AppState;

/// The most one call may move the clock: ten years, far past any lifetime.
const MAX_ADVANCE_SECS: u64 = 10 * 366 * 86_400;

/// POST `/admin/api/access_tokens/describe` with `{"access_token": "..."}`.
pub async fn describe_token(State(st): State<AppState>, req: Request) -> Response {
    if let Err(e) = require_admin(&st, req.headers()) {
        return e.into_response();
    }
    let body = match read_body(req, &()).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let Some(token) = token_in(&body) else {
        return OAuthError::invalid_request("send a JSON body {\"access_token\": \"...\"}").into_response();
    };
    match describe(&st, &token) {
        Some(v) => axum::Json(v).into_response(),
        None => OAuthError::not_found("no access token issued by this server has this value").into_response(),
    }
}

/// POST `/admin/api/clock/advance` with `{"seconds": N}`: codes, tokens and sessions expire
/// as if that much time had passed. Answers the server's new time in seconds.
pub async fn advance_clock(State(st): State<AppState>, req: Request) -> Response {
    if let Err(e) = require_admin(&st, req.headers()) {
        return e.into_response();
    }
    let body = match read_body(req, &()).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let seconds = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v.get("seconds")?.as_u64());
    match seconds.filter(|s| *s <= MAX_ADVANCE_SECS) {
        Some(s) => {
            st.clock.advance(Duration::from_secs(s));
            (StatusCode::OK, axum::Json(json!({ "now": st.clock.now() }))).into_response()
        }
        None => OAuthError::invalid_request(format!(
            "send a JSON body {{\"seconds\": N}} with N a whole number from 0 to {MAX_ADVANCE_SECS}"
        ))
        .into_response(),
    }
}
