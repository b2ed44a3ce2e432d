//! Layer: routes. The admin API's view of the recorded requests (`record_requests`).

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// GET `/admin/api/requests`: every recorded request, oldest first (admin key required).
pub async fn list(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = super::require_admin(&st, &headers) {
        return e.into_response();
    }
    if !st.settings.record_requests {
        let e = crate::error::OAuthError::invalid_request(
            "recording is off: start the server with --record-requests",
        );
        return e.into_response();
    }
    let mut resp = axum::Json(st.journal.all()).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    resp
}

/// DELETE `/admin/api/requests`: forget what was recorded (admin key required).
pub async fn clear(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = super::require_admin(&st, &headers) {
        return e.into_response();
    }
    st.journal.clear();
    axum::http::StatusCode::NO_CONTENT.into_response()
}
