//! Layer: domain logic (above state).
//! Finding a presented token, whatever its kind, and deciding whether it is still active.

use axum::http::{HeaderMap, header};

use crate::state::{AccessToken, AppState, RefreshToken, Store, alive};

/// A stored token and whether it is active right now.
#[derive(Debug)]
pub struct Live<'a, T> {
    pub record: &'a T,
    pub active: bool,
}

/// A token found in the store.
#[derive(Debug)]
pub enum Found<'a> {
    Access(Live<'a, AccessToken>),
    Refresh(Live<'a, RefreshToken>),
}

/// Look a token up among access and refresh tokens. The hint only orders the search
/// (RFC 7009 §2.1, RFC 7662 §2.1), unless the `trust-token-type-hint` fault is on.
pub fn find_token<'a>(st: &AppState, store: &'a Store, token: &str, hint: Option<&str>) -> Option<Found<'a>> {
    let now = st.clock.now();
    let now_ms = st.clock.now_ms();
    let delay = st.revocation_delay_ms();
    let access = || {
        store.access_tokens.get(token).map(|t| {
            let unexpired = t.exp > now || !st.policy.lookup.expired_tokens_inactive;
            let active = unexpired
                && alive(t.revoked_at_ms, now_ms, delay)
                && store.grant_alive(t.grant_id, now_ms, delay);
            Found::Access(Live { record: t, active })
        })
    };
    let refresh = || {
        store.refresh_tokens.get(token).map(|t| {
            let active = t.exp > now
                && !t.rotated
                && alive(t.revoked_at_ms, now_ms, delay)
                && store.grant_alive(t.grant_id, now_ms, delay);
            Found::Refresh(Live { record: t, active })
        })
    };
    match hint {
        Some("refresh_token") if !st.policy.lookup.hint_orders_search_only => refresh(),
        Some("access_token") if !st.policy.lookup.hint_orders_search_only => access(),
        Some("refresh_token") => refresh().or_else(access),
        _ => access().or_else(refresh),
    }
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1), never from the query.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}
