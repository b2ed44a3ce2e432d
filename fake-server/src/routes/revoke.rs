//! Layer: routes. Token revocation (RFC 7009): instant, cascading from refresh tokens to their grant, 200 for
//! tokens that are unknown or already dead, and never across clients.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::clientauth::authenticate;
use crate::error::OAuthError;
use crate::form::{Form, Params};
use crate::lookup::{Found, find_token};
use crate::state::AppState;

/// POST `/revoke`.
pub async fn revoke(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    Form(p): Form,
) -> Response {
    match handle(&st, &headers, &p, q.as_deref()) {
        Ok(()) => {
            let mut resp = StatusCode::OK.into_response();
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => e.into_response(),
    }
}

fn handle(st: &AppState, headers: &HeaderMap, p: &Params, q: Option<&str>) -> Result<(), OAuthError> {
    let policy = &st.policy.revocation;
    let anonymous = !policy.require_client_auth
        && !headers.contains_key(header::AUTHORIZATION)
        && p.first("client_secret").is_none()
        && p.first("client_id").is_none();
    let caller = if anonymous { None } else { Some(authenticate(st, headers, p, q)?) };
    let token = p.get("token")?.ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let hint = p.get("token_type_hint")?;
    let now_ms = st.clock.now_ms();
    let mut store = st.store();
    let (owner, grant_id, is_refresh) = match find_token(st, &store, token, hint) {
        Some(Found::Access(t)) => (t.record.client_id.clone(), t.record.grant_id, false),
        Some(Found::Refresh(t)) => (t.record.client_id.clone(), t.record.grant_id, true),
        None if !policy.unknown_token_is_ok => {
            return Err(OAuthError::invalid_request("unknown token"));
        }
        None => return Ok(()),
    };
    if caller.as_ref().is_some_and(|c| c.client.id != owner) && policy.only_own_tokens {
        // RFC 7009 §2.1: the request is refused when the token belongs to another client.
        return Err(OAuthError::unauthorized_client("the token was issued to another client"));
    }
    if is_refresh {
        if !policy.refresh_revokes_grant {
            if let Some(rt) = store.refresh_tokens.get_mut(token) {
                rt.revoked_at_ms.get_or_insert(now_ms);
            }
        } else {
            store.revoke_grant(grant_id, now_ms);
        }
    } else if let Some(at) = store.access_tokens.get_mut(token) {
        at.revoked_at_ms.get_or_insert(now_ms);
    }
    Ok(())
}
