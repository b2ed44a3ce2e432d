//! Layer: routes. `POST /oauth_applications/access_tokens/verify`, shaped like Clerk's Backend API so an app
//! using its SDK (`acceptsToken: 'oauth_token'`) can run against the fake server offline.
//!
//! The shape follows Clerk's backend SDKs: an `IdPOAuthAccessToken` JSON object with
//! millisecond timestamps for a token that is valid now, and Clerk's
//! `{"errors": [{code, message, long_message, meta}]}` body otherwise. The SDKs judge by status
//! alone (`@clerk/backend` 3.25 maps 401 to "secret key invalid", 404 to "token invalid" and
//! anything else to "unexpected error"; `clerk-backend-api` 7.0 refuses every status but 200)
//! and never read `revoked` or `expired`, so a revoked or expired token must be a 404 like an
//! unknown one. The admin API keeps describing such tokens for operators (`describe`).

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

/// The token named by a JSON body: `access_token`, or `secret`, the older member that
/// `clerk-backend-api` still sends.
pub(super) fn token_in(body: &[u8]) -> Option<String> {
    let v = serde_json::from_slice::<Value>(body).ok()?;
    let t = ["access_token", "secret"].iter().find_map(|k| v.get(*k).and_then(Value::as_str))?;
    Some(t.to_string()).filter(|t| !t.is_empty())
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
    let Some(token) = token_in(&body) else {
        return clerk_error(
            StatusCode::BAD_REQUEST,
            "form_param_missing",
            "access_token is missing",
            "Send a JSON body {\"access_token\": \"...\"}.",
        );
    };
    let Some(v) = describe(&st, &token) else {
        return not_found("No access token issued by this server has this value.");
    };
    if !st.policy.resource.verify_reports_revocation {
        return axum::Json(v).into_response();
    }
    if v["revoked"] == true {
        // The reason stays in the operator's view (the admin API), not in the refusal.
        return not_found("This access token was revoked.");
    }
    if v["expired"] == true {
        return not_found("This access token has expired.");
    }
    axum::Json(v).into_response()
}

/// The answer for a token that cannot be used: the same status and code whatever the reason,
/// as Clerk's SDKs read only the status.
fn not_found(long: &str) -> Response {
    clerk_error(StatusCode::NOT_FOUND, "resource_not_found", "OAuth access token not found", long)
}

/// The token object, or `None` when this server never issued the token. Revoked and expired
/// tokens are described too, with `revoked` / `expired` set and the reason.
pub(super) fn describe(st: &AppState, token: &str) -> Option<Value> {
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
