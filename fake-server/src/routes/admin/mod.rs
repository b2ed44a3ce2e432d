//! Layer: routes. The operator view: a JSON admin API under `/admin/api` (Bearer admin key), a
//! server-rendered Applications page under `/admin`, and a token verification endpoint
//! shaped like Clerk's Backend API (`/oauth_applications/access_tokens/verify`).

mod apps;
mod page;
mod requests;
mod tokens;
mod users;
mod verify;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::{delete, get, post};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::common::route;
use crate::error::OAuthError;
use crate::form::Params;
use crate::lookup::bearer_token;
use crate::state::AppState;

/// Every operator route, under the issuer path.
pub fn router(_st: &AppState) -> Router<AppState> {
    Router::new()
        .merge(route("/admin/api/applications", "GET, POST", get(apps::list).post(apps::create)))
        .merge(route(
            "/admin/api/applications/{id}",
            "GET, PATCH, DELETE",
            get(apps::read).patch(apps::update).delete(apps::remove),
        ))
        .merge(route("/admin/api/applications/{id}/rotate_secret", "POST", post(apps::rotate_secret)))
        .merge(route("/admin/api/users", "GET", get(users::list)))
        .merge(route(
            "/admin/api/users/{username}/grants",
            "GET, DELETE",
            get(users::grants).delete(users::revoke_all),
        ))
        .merge(route("/admin/api/users/{username}/grants/{grant}", "DELETE", delete(users::revoke)))
        .merge(route("/admin/api/reset", "POST", post(users::reset)))
        .merge(route("/admin/api/requests", "GET, DELETE", get(requests::list).delete(requests::clear)))
        .merge(route("/admin/api/access_tokens/describe", "POST", post(tokens::describe_token)))
        .merge(route("/admin/api/clock/advance", "POST", post(tokens::advance_clock)))
        .merge(route("/oauth_applications/access_tokens/verify", "POST", post(verify::verify)))
        // Clerk's SDKs put the API version in front of the path.
        .merge(route("/v1/oauth_applications/access_tokens/verify", "POST", post(verify::verify)))
        .merge(route("/admin", "GET", get(page::home)))
        .merge(route("/admin/login", "GET, POST", get(page::login_form).post(page::login)))
        .merge(route("/admin/logout", "POST", post(page::logout)))
        .merge(route("/admin/applications", "GET", get(page::applications)))
        .merge(route("/admin/applications/{id}/consent", "POST", post(page::toggle_consent)))
}

/// Is `given` the admin key? Constant time, so timing reveals nothing about the key.
pub fn is_admin_key(st: &AppState, given: &str) -> bool {
    bool::from(st.admin_key.as_bytes().ct_eq(given.as_bytes()))
}

/// The admin API's guard: `Authorization: Bearer <admin key>`, else 401.
pub fn require_admin(st: &AppState, headers: &HeaderMap) -> Result<(), OAuthError> {
    match bearer_token(headers) {
        Some(t) if is_admin_key(st, &t) => Ok(()),
        Some(_) => Err(OAuthError::invalid_token("the admin key is not valid", true, "")),
        None => {
            Err(OAuthError::invalid_token("the admin API needs the admin key as a Bearer token", false, ""))
        }
    }
}

/// `limit` and `offset` from a query, with Clerk's bounds (limit 1–500, default 10).
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: usize,
    pub offset: usize,
}

impl Page {
    pub fn from_query(q: &Params) -> Result<Page, OAuthError> {
        let number = |name: &str, default: usize| -> Result<usize, OAuthError> {
            match q.get(name)? {
                None => Ok(default),
                Some(v) => v.parse::<usize>().map_err(|_| {
                    OAuthError::invalid_request(format!("`{name}` must be a non-negative integer"))
                }),
            }
        };
        let limit = number("limit", 10)?;
        if !(1..=500).contains(&limit) {
            return Err(OAuthError::invalid_request("`limit` must be between 1 and 500"));
        }
        Ok(Page { limit, offset: number("offset", 0)? })
    }

    /// `{"data": [...this page...], "total_count": N}`.
    pub fn respond(self, items: Vec<Value>) -> Value {
        let total = items.len();
        let data: Vec<Value> = items.into_iter().skip(self.offset).take(self.limit).collect();
        json!({ "data": data, "total_count": total })
    }
}
