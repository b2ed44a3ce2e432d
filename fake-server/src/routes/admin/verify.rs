//! `POST /oauth_applications/access_tokens/verify`, shaped like Clerk's Backend API so an app
//! using its SDK (`acceptsToken: 'oauth_token'`) can run against the fake server offline.
//!
//! The shape follows Clerk's backend SDK: an `IdPOAuthAccessToken` JSON object with
//! millisecond timestamps; 401 for a bad secret key and 404 for an unknown token, each with
//! Clerk's `{"errors": [{code, message, long_message}]}` body, which the SDK maps to
//! "invalid secret key" and "token invalid". A known token that was revoked or expired is
//! still described (200) with `revoked` / `expired` set, as those fields exist to say so.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::is_admin_key;
use crate::form::read_body;
use crate::issue::subject;
use crate::lookup::bearer_token;
use crate::state::{AppState, alive};

fn clerk_error(status: StatusCode, code: &str, message: &str, long: &str) -> Response {
    let body = json!({ "errors": [{ "code": code, "message": message, "long_message": long, "meta": {} }] });
    (status, axum::Json(body)).into_response()
}

/// POST `[/v1]/oauth_applications/access_tokens/verify`.
pub async fn verify(State(st): State<AppState>, req: Request) -> Response {
    if !bearer_token(req.headers()).is_some_and(|k| is_admin_key(&st, &k)) {
        return clerk_error(
            StatusCode::UNAUTHORIZED,
            "authentication_invalid",
            "Invalid secret key",
            "Send the fake server's admin key as the Bearer secret key.",
        );
    }
    let body = match read_body(req, &()).await {
        Ok(b) => b,
        Err(_) => {
            return clerk_error(StatusCode::PAYLOAD_TOO_LARGE, "request_body_invalid", "Body too large", "");
        }
    };
    let token = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("access_token").and_then(Value::as_str).map(str::to_string));
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return clerk_error(
            StatusCode::BAD_REQUEST,
            "form_param_missing",
            "access_token is missing",
            "Send a JSON body {\"access_token\": \"...\"}.",
        );
    };
    match describe(&st, &token) {
        Some(v) => axum::Json(v).into_response(),
        None => clerk_error(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "OAuth access token not found",
            "No access token issued by this server has this value.",
        ),
    }
}

/// The token object, or `None` when this server never issued the token.
fn describe(st: &AppState, token: &str) -> Option<Value> {
    let now = st.clock.now();
    let now_ms = st.clock.now_ms();
    let delay = st.revocation_delay_ms();
    let store = st.store();
    let t = store.access_tokens.get(token)?;
    let grant = store.grants.get(&t.grant_id);
    let reason = if !alive(t.revoked_at_ms, now_ms, delay) {
        Some("revoked")
    } else if grant.is_none_or(|g| !alive(g.revoked_at_ms, now_ms, delay)) {
        Some("grant_revoked")
    } else if !store.clients.contains_key(&t.client_id) {
        Some("client_deleted")
    } else {
        None
    };
    let revoked_at = t.revoked_at_ms.or_else(|| grant.and_then(|g| g.revoked_at_ms));
    let sub = t.username.as_deref().map_or_else(|| t.client_id.clone(), |u| subject(st, u));
    Some(json!({
        "object": "clerk_idp_oauth_access_token",
        "id": t.jti,
        "client_id": t.client_id,
        "type": "oauth:access_token",
        "subject": sub,
        "scopes": t.scopes,
        "aud": t.audience,
        "revoked": reason.is_some(),
        "revocation_reason": reason,
        "expired": t.exp <= now,
        "expiration": t.exp * 1000,
        "created_at": t.iat * 1000,
        "updated_at": revoked_at.filter(|_| reason.is_some()).unwrap_or(t.iat * 1000),
    }))
}
