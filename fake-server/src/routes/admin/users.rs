//! Layer: routes. Users and their grants in the admin API (OAuth 2.1 §7.9: users and operators can see and
//! revoke what they granted), and resetting all state.

use crate::extract::Path;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Page, require_admin};
use crate::error::OAuthError;
use crate::form::Params;
use crate::issue::subject;
use crate::state::AppState;

/// GET `/admin/api/users?limit&offset`.
pub async fn list(State(st): State<AppState>, RawQuery(q): RawQuery, headers: HeaderMap) -> Response {
    let run = || -> Result<Value, OAuthError> {
        require_admin(&st, &headers)?;
        let page = Page::from_query(&Params::parse(q.unwrap_or_default().as_bytes()))?;
        let users = st
            .users
            .iter()
            .map(|u| {
                json!({
                    "object": "user", "id": subject(&st, &u.username), "username": u.username,
                    "name": u.name, "email": u.email,
                })
            })
            .collect();
        Ok(page.respond(users))
    };
    match run() {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The live grants of a user, oldest first: (grant id, JSON).
fn live_grants(st: &AppState, username: &str) -> Vec<(u64, Value)> {
    let now = st.clock.now();
    let now_ms = st.clock.now_ms();
    let delay = st.revocation_delay_ms();
    let store = st.store();
    let mut out: Vec<(u64, Value)> = store
        .grants
        .iter()
        .filter(|(id, g)| {
            g.username.as_deref() == Some(username)
                && g.expires > now
                && store.grant_alive(**id, now_ms, delay)
        })
        .map(|(id, g)| {
            let client_name = store.clients.get(&g.client_id).map(|c| c.name.clone());
            let v = json!({
                "object": "grant", "id": id.to_string(), "client_id": g.client_id, "client_name": client_name,
                "scopes": g.scopes, "resources": g.resources, "authenticated_at": g.auth_time,
                "expires_at": g.expires,
            });
            (*id, v)
        })
        .collect();
    out.sort_by_key(|(id, _)| *id);
    out
}

fn known_user(st: &AppState, username: &str) -> Result<(), OAuthError> {
    st.user(username).map(|_| ()).ok_or_else(|| OAuthError::not_found("no such user"))
}

/// GET `/admin/api/users/{username}/grants?limit&offset`.
pub async fn grants(
    State(st): State<AppState>,
    Path(username): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let run = || -> Result<Value, OAuthError> {
        require_admin(&st, &headers)?;
        known_user(&st, &username)?;
        let page = Page::from_query(&Params::parse(q.unwrap_or_default().as_bytes()))?;
        Ok(page.respond(live_grants(&st, &username).into_iter().map(|(_, v)| v).collect()))
    };
    match run() {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Revoke grants of `username` (all, or the one with `only`), and forget the consents behind
/// them, so the next authorization asks the user again. Returns how many were revoked.
fn revoke_grants(st: &AppState, username: &str, only: Option<u64>) -> usize {
    let now_ms = st.clock.now_ms();
    let ids: Vec<u64> = live_grants(st, username)
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| only.is_none_or(|o| o == *id))
        .collect();
    let mut store = st.store();
    for id in &ids {
        let client = store.grants.get(id).map(|g| g.client_id.clone());
        store.revoke_grant(*id, now_ms);
        if let Some(client) = client {
            store.consents.remove(&(username.to_string(), client));
        }
    }
    ids.len()
}

/// DELETE `/admin/api/users/{username}/grants/{grant}`.
pub async fn revoke(
    State(st): State<AppState>,
    Path((username, grant)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let run = || -> Result<(), OAuthError> {
        require_admin(&st, &headers)?;
        known_user(&st, &username)?;
        let id = grant.parse::<u64>().map_err(|_| OAuthError::not_found("no such grant"))?;
        if revoke_grants(&st, &username, Some(id)) == 0 {
            return Err(OAuthError::not_found("no such live grant for this user"));
        }
        Ok(())
    };
    match run() {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// DELETE `/admin/api/users/{username}/grants`: every grant of the user.
pub async fn revoke_all(
    State(st): State<AppState>,
    Path(username): Path<String>,
    headers: HeaderMap,
) -> Response {
    let run = || -> Result<(), OAuthError> {
        require_admin(&st, &headers)?;
        known_user(&st, &username)?;
        revoke_grants(&st, &username, None);
        Ok(())
    };
    match run() {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// POST `/admin/api/reset`: back to the fixtures (clients, no sessions, no tokens, no cached
/// metadata documents).
pub async fn reset(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = require_admin(&st, &headers) {
        return e.into_response();
    }
    st.reset();
    st.features.reset();
    StatusCode::NO_CONTENT.into_response()
}
