//! The operator view.

use axum::Router;

use crate::state::AppState;

pub fn router(_st: &AppState) -> Router<AppState> {
    Router::new()
}
