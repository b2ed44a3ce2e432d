//! Layer: routes. Token introspection (RFC 7662): authenticated callers only; inactive is `{"active": false}`.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::clientauth::authenticate;
use crate::error::OAuthError;
use crate::form::Form;
use crate::issue::subject;
use crate::lookup::{Found, find_token};
use crate::state::AppState;

/// POST `/introspect`.
pub async fn introspect(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    Form(p): Form,
) -> Response {
    match handle(&st, &headers, &p, q.as_deref()) {
        Ok(body) => {
            let mut resp = (StatusCode::OK, axum::Json(body)).into_response();
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => e.into_response(),
    }
}

fn handle(
    st: &AppState,
    headers: &HeaderMap,
    p: &crate::form::Params,
    q: Option<&str>,
) -> Result<Value, OAuthError> {
    let policy = &st.policy.introspection;
    let anonymous = !policy.require_client_auth
        && !headers.contains_key(header::AUTHORIZATION)
        && p.first("client_secret").is_none();
    let presented = headers.contains_key(header::AUTHORIZATION) || p.first("client_secret").is_some();
    let caller = match authenticate(st, headers, p, q) {
        _ if anonymous => None,
        Ok(c) => Some(c),
        // Some servers treat a caller they cannot authenticate like an unknown token.
        Err(e) if e.code == "invalid_client" && presented && !policy.bad_auth_is_error => {
            return Ok(json!({ "active": false }));
        }
        Err(e) => return Err(e),
    };
    if let Some(c) = &caller
        && c.client.is_public()
    {
        return Err(OAuthError::invalid_client("introspection needs a confidential client"));
    }
    let token = p.get("token")?.ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let hint = p.get("token_type_hint")?;
    let store = st.store();
    let found = find_token(st, &store, token, hint);
    let any_client = !policy.only_own_tokens;
    let visible = |owner: &str| {
        caller.as_ref().is_none_or(|c| any_client || c.client.introspect_any || c.client.id == owner)
    };
    // RFC 7662 §2.2: times are integers (seconds since the epoch); the fault bends those of
    // access tokens, which is what resource servers read.
    let time = |t: i64| if policy.times_as_numbers { json!(t) } else { json!(t.to_string()) };
    let unknown = found.is_none();
    let inactive = || {
        if unknown && !policy.unknown_is_inactive {
            return Err(OAuthError::invalid_request("unknown token"));
        }
        if !policy.inactive_is_bare {
            return Ok(
                json!({ "active": false, "token_type": "access_token", "error": "token is not active" }),
            );
        }
        Ok(json!({ "active": false }))
    };
    let active_flag = if policy.active_is_boolean { json!(true) } else { json!("true") };
    let mut body = match found {
        Some(Found::Access(t)) if t.active && visible(&t.record.client_id) => {
            let r = &t.record;
            let aud = if r.audience.len() == 1 { json!(r.audience[0]) } else { json!(r.audience) };
            let mut body = json!({
                "active": active_flag, "scope": r.scopes.join(" "), "client_id": r.client_id,
                "token_type": "Bearer", "exp": time(r.exp), "iat": time(r.iat), "aud": aud, "iss": st.issuer, "jti": r.jti,
            });
            if let Some(jkt) = &r.jkt {
                // RFC 9449 §6.2: the key binding, for the resource to check the proof against.
                body["token_type"] = json!("DPoP");
                if st.policy.dpop.confirm_key {
                    body["cnf"] = json!({ "jkt": jkt });
                }
            }
            match &r.username {
                Some(u) => {
                    body["sub"] = json!(subject(st, u));
                    body["username"] = json!(u);
                }
                None => body["sub"] = json!(r.client_id),
            }
            body
        }
        // RFC 7662 §2.2: a server may decline to describe a token (`refresh-not-introspectable`).
        Some(Found::Refresh(t))
            if t.active && visible(&t.record.client_id) && policy.describe_refresh_tokens =>
        {
            let grant = store.grants.get(&t.record.grant_id);
            let mut body = json!({
                "active": active_flag, "client_id": t.record.client_id, "token_type": "refresh_token",
                "exp": t.record.exp, "iat": t.record.iat, "iss": st.issuer,
                "scope": grant.map(|g| g.scopes.join(" ")).unwrap_or_default(),
            });
            if let Some(u) = grant.and_then(|g| g.username.as_deref()) {
                body["sub"] = json!(subject(st, u));
                body["username"] = json!(u);
            }
            body
        }
        _ => return inactive(),
    };
    if policy.minimal_response
        && let Value::Object(m) = &mut body
    {
        // RFC 7662 §2.2: only `active` is REQUIRED.
        for optional in ["exp", "iat", "nbf", "jti", "token_type", "iss"] {
            m.remove(optional);
        }
    }
    Ok(body)
}
