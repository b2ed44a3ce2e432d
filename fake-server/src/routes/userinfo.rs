//! Layer: routes. The OIDC userinfo endpoint: the claims a bearer token's scopes release.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::error::OAuthError;
use crate::issue::subject;
use crate::lookup::{Found, bearer_token, find_token};
use crate::state::AppState;

/// GET or POST `/userinfo` with `Authorization: Bearer`.
pub async fn userinfo(State(st): State<AppState>, headers: HeaderMap) -> Response {
    match handle(&st, &headers) {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

fn handle(st: &AppState, headers: &HeaderMap) -> Result<Value, OAuthError> {
    let token = bearer_token(headers)
        .ok_or_else(|| OAuthError::invalid_token("a bearer token is required", false, ""))?;
    let store = st.store();
    let t = match find_token(st, &store, &token, Some("access_token")) {
        Some(Found::Access(t))
            if t.active
                || (!st.policy.lookup.userinfo_honours_revocation && t.record.exp > st.clock.now()) =>
        {
            t
        }
        _ => {
            return Err(OAuthError::invalid_token(
                "the access token is invalid, expired or revoked",
                true,
                "",
            ));
        }
    };
    let Some(username) = t.record.username.clone() else {
        return Err(OAuthError::insufficient_scope("this token represents no user", r#", scope="openid""#));
    };
    if !t.record.scopes.iter().any(|s| s == "openid") {
        return Err(OAuthError::insufficient_scope(
            "the token lacks the openid scope",
            r#", scope="openid""#,
        ));
    }
    let scopes = t.record.scopes.clone();
    drop(store);
    let user = st.user(&username);
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(subject(st, &username)));
    for claim in scopes.iter().filter_map(|s| st.scope(s)).flat_map(|s| s.claims.iter()) {
        let value = match claim.as_str() {
            "name" => user.and_then(|u| u.name.clone()).map(Value::String),
            "preferred_username" => Some(json!(username)),
            "email" => user.and_then(|u| u.email.clone()).map(Value::String),
            "email_verified" => user.and_then(|u| u.email.as_ref()).map(|_| json!(true)),
            _ => None,
        };
        if let Some(v) = value {
            claims.insert(claim.clone(), v);
        }
    }
    let _ = header::AUTHORIZATION;
    Ok(Value::Object(claims))
}
