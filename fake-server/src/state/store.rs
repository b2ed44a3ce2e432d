//! Layer: state. The records the store holds (clients, sessions, pending requests, codes,
//! grants, tokens) and the store itself, with its expiry sweep.
//!
//! A grant ties one user (or none, for `client_credentials`), one client, its scopes and its
//! resources together; codes, access and refresh tokens point at their grant, so revoking the
//! grant kills all of them at once.

use crate::redact::RedactedOption;
use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::capped::Capped;
use super::fastmap::{FastMap, shrink};
use super::shard::Sharded;
use crate::config::{ClientConfig, JwtAlg, Limits, TokenFormat};

/// A registered client.
#[derive(Clone)]
pub struct Client {
    pub id: String,
    pub secret: Option<String>,
    pub name: String,
    pub logo_uri: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub default_scopes: Vec<String>,
    pub grant_types: Vec<String>,
    pub consent: bool,
    pub token_format: Option<TokenFormat>,
    pub introspect_any: bool,
    /// Registered through RFC 7591 (consent can never be skipped for these).
    pub dynamic: bool,
    /// RFC 7591 metadata as registered, echoed by the management API.
    pub metadata: Map<String, Value>,
    pub registration_token: Option<String>,
    pub created_at: i64,
    /// Public keys registered for `private_key_jwt` (RFC 7591 `jwks`); such a client is
    /// confidential without a secret.
    pub jwks: Option<serde_json::Value>,
}

/// Secrets print as `[redacted]`.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("secret", &RedactedOption::of(&self.secret))
            .field("name", &self.name)
            .field("logo_uri", &self.logo_uri)
            .field("redirect_uris", &self.redirect_uris)
            .field("scopes", &self.scopes)
            .field("default_scopes", &self.default_scopes)
            .field("grant_types", &self.grant_types)
            .field("consent", &self.consent)
            .field("token_format", &self.token_format)
            .field("introspect_any", &self.introspect_any)
            .field("dynamic", &self.dynamic)
            .field("metadata", &self.metadata)
            .field("registration_token", &RedactedOption::of(&self.registration_token))
            .field("created_at", &self.created_at)
            .field("jwks", &self.jwks)
            .finish()
    }
}

impl Client {
    pub fn from_config(c: &ClientConfig) -> Client {
        Client {
            id: c.client_id.clone(),
            secret: c.client_secret.clone(),
            name: c.name.clone(),
            logo_uri: c.logo_uri.clone(),
            redirect_uris: c.redirect_uris.clone(),
            scopes: c.scopes.clone(),
            default_scopes: c.default_scopes.clone(),
            grant_types: c.grant_types.clone(),
            consent: c.consent,
            token_format: c.access_token_format,
            introspect_any: c.introspect_any,
            dynamic: false,
            metadata: serde_json::Map::new(),
            registration_token: None,
            created_at: 0,
            jwks: None,
        }
    }

    /// A client that introduced itself (RFC 7591 registration or a metadata document): no
    /// values yet, consent always shown.
    pub fn dynamic(id: String, created_at: i64) -> Client {
        Client {
            id,
            secret: None,
            name: String::new(),
            logo_uri: None,
            redirect_uris: Vec::new(),
            scopes: Vec::new(),
            default_scopes: Vec::new(),
            grant_types: Vec::new(),
            consent: true,
            token_format: None,
            introspect_any: false,
            dynamic: true,
            metadata: serde_json::Map::new(),
            registration_token: None,
            created_at,
            jwks: None,
        }
    }

    pub fn is_public(&self) -> bool {
        self.secret.is_none() && self.jwks.is_none()
    }

    /// The `id_token_signed_response_alg` the client registered (OIDC Registration §2), if any;
    /// validated when it was registered.
    pub fn id_token_alg(&self) -> Option<JwtAlg> {
        self.metadata.get("id_token_signed_response_alg").and_then(Value::as_str).and_then(|a| a.parse().ok())
    }

    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    /// Consent is skipped only by an explicit choice, and never for registered clients.
    pub fn needs_consent(&self) -> bool {
        self.consent || self.dynamic
    }
}

/// Metadata that passed validation, and the values the server acts on.
#[derive(Debug, Clone)]
pub struct Validated {
    /// What was registered: the client's members, defaults filled in. Echoed in responses.
    pub metadata: Map<String, Value>,
    pub name: Option<String>,
    pub logo_uri: Option<String>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `none`.
    pub auth_method: String,
    /// The public keys of a `private_key_jwt` client.
    pub jwks: Option<Value>,
    /// Scopes the client registered (it may ask for no others); empty when it named none.
    pub scopes: Vec<String>,
}

impl Validated {
    pub fn is_public(&self) -> bool {
        self.auth_method == "none"
    }

    /// Authenticates with a shared secret the server issues.
    pub fn uses_secret(&self) -> bool {
        self.auth_method.starts_with("client_secret_")
    }

    /// Copy the registered values onto a client record (its id and credentials stay).
    /// `scopes_if_none` are the default scopes of a client that named none
    /// (`Inner::scopes_for_unscoped_clients`).
    pub fn apply_to(self, scopes_if_none: Vec<String>, mut client: Client) -> Client {
        client.name = self.name.unwrap_or_else(|| "Unnamed application".to_string());
        client.logo_uri = self.logo_uri;
        client.redirect_uris = self.redirect_uris;
        client.grant_types = self.grant_types;
        client.default_scopes = if self.scopes.is_empty() { scopes_if_none } else { self.scopes.clone() };
        client.scopes = self.scopes;
        client.metadata = self.metadata;
        client.jwks = self.jwks;
        client
    }
}

/// A logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub username: String,
    pub auth_time: i64,
    pub expires: i64,
}

/// `prompt` values (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

/// An authorization request waiting for the user to log in and consent.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client_id: String,
    /// Where the response goes: the registered URI, with the request's port for loopback.
    pub redirect_uri: String,
    /// The request carried `redirect_uri` (so the token request must repeat it).
    pub redirect_uri_sent: bool,
    pub state: Option<String>,
    pub scopes: Vec<String>,
    pub resources: Vec<String>,
    pub challenge: Option<String>,
    pub method: Option<String>,
    pub nonce: Option<String>,
    /// The thumbprint of the DPoP key the code is to be bound to (RFC 9449 §10).
    pub dpop_jkt: Option<String>,
    pub prompt: Prompt,
    pub expires: i64,
    pub login_csrf: String,
    pub consent_csrf: String,
    /// Session that logged in or was found for this request; consent must come from it.
    pub session_id: Option<String>,
    /// The user authenticated during this request (satisfies `prompt=login`).
    pub fresh_login: bool,
    /// (error, description) to send instead of a code once the user has signed in
    /// (the `validate-after-login` variant).
    pub deferred_error: Option<(String, String)>,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub struct Code {
    pub client_id: String,
    pub redirect_uri: String,
    pub redirect_uri_sent: bool,
    pub challenge: Option<String>,
    pub method: Option<String>,
    pub scopes: Vec<String>,
    pub resources: Vec<String>,
    pub username: String,
    pub nonce: Option<String>,
    /// Only a proof of this key may redeem the code (RFC 9449 §10).
    pub dpop_jkt: Option<String>,
    pub auth_time: i64,
    pub expires: i64,
    /// Set at first redemption; a replay revokes this grant (RFC 6749 §4.1.2).
    pub grant_id: Option<u64>,
}

/// What a user (or a client, for `client_credentials`) granted.
#[derive(Debug, Clone)]
pub struct Grant {
    pub client_id: String,
    pub username: Option<String>,
    pub scopes: Vec<String>,
    pub resources: Vec<String>,
    pub auth_time: i64,
    pub revoked_at_ms: Option<i64>,
    /// Latest expiry of anything issued from it; the sweep drops it afterwards.
    pub expires: i64,
}

/// An access token (opaque or JWT), keyed by its full value.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub grant_id: u64,
    pub client_id: String,
    pub username: Option<String>,
    pub scopes: Vec<String>,
    pub audience: Vec<String>,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub revoked_at_ms: Option<i64>,
    /// The thumbprint of the DPoP key the token is bound to (RFC 9449 §6).
    pub jkt: Option<String>,
    /// Requests the built-in MCP resource has accepted with it (counted for `mcp_token_uses`).
    pub resource_uses: u32,
}

/// A refresh token, keyed by its value.
#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub grant_id: u64,
    pub client_id: String,
    pub iat: i64,
    pub exp: i64,
    /// Set when it was exchanged for a successor; presenting it again is reuse.
    pub rotated: bool,
    pub revoked_at_ms: Option<i64>,
    /// The DPoP key a public client's refresh token is bound to (RFC 9449 §5).
    pub jkt: Option<String>,
}

/// All mutable state.
#[derive(Debug, Default)]
pub struct Store {
    pub clients: FastMap<String, Arc<Client>>,
    /// Browser sessions, owned by their user; capped (the oldest goes first).
    pub sessions: Capped<Session>,
    /// Pending authorization requests, owned by their client; capped (the oldest goes first).
    pub requests: Capped<AuthRequest>,
    /// (username, client_id) → scopes the user approved.
    pub consents: FastMap<(String, String), BTreeSet<String>>,
    /// (session, client_id) → the scopes of the first code the session got for the client;
    /// kept only under the fault `reauthorization-keeps-old-scope`.
    pub first_scopes: FastMap<(String, String), Vec<String>>,
    pub codes: FastMap<String, Code>,
    pub grants: Sharded<u64, Grant>,
    pub access_tokens: Sharded<String, AccessToken>,
    pub refresh_tokens: Sharded<String, RefreshToken>,
    /// client_id → (minute, failed authentications in it).
    pub auth_failures: FastMap<String, (i64, u32)>,
    /// (client_id, jti) of client assertions already used → their `exp` (wall time).
    pub assertion_ids: FastMap<(String, String), i64>,
    /// Size of `assertion_ids` at which expired entries are dropped next (amortized pruning).
    pub assertion_prune_at: usize,
    /// (URL, jti) of DPoP proofs already seen → until when they would be accepted (wall time).
    pub dpop_jtis: FastMap<(String, String), i64>,
    /// Size of `dpop_jtis` at which expired entries are dropped next.
    pub dpop_prune_at: usize,
    next_grant: u64,
}

impl Store {
    pub(super) fn with_clients(clients: &[ClientConfig], limits: &Limits) -> Store {
        let mut store = Store {
            sessions: Capped::new(limits.max_sessions, limits.max_sessions_per_user),
            requests: Capped::new(limits.max_pending_authorizations, limits.max_pending_per_client),
            ..Store::default()
        };
        for c in clients {
            store.clients.insert(c.client_id.clone(), Arc::new(Client::from_config(c)));
        }
        store
    }

    pub fn new_grant(&mut self, grant: Grant) -> u64 {
        self.next_grant += 1;
        self.grants.insert(self.next_grant, grant);
        self.next_grant
    }

    /// Is this grant alive at `now_ms` (given the revocation delay)?
    pub fn grant_alive(&self, id: u64, now_ms: i64, delay_ms: i64) -> bool {
        match self.grants.get(&id) {
            Some(g) => alive(g.revoked_at_ms, now_ms, delay_ms) && self.clients.contains_key(&g.client_id),
            None => false,
        }
    }

    /// Revoke a grant and so everything issued from it.
    pub fn revoke_grant(&mut self, id: u64, now_ms: i64) {
        let mut user_client = None;
        if let Some(g) = self.grants.get_mut(&id) {
            g.revoked_at_ms.get_or_insert(now_ms);
            user_client = g.username.clone().map(|u| (u, g.client_id.clone()));
        }
        // The consent the user gave lives as long as the grant: after a revocation the next
        // authorization asks again (as revoking a token at Google withdraws the app's access).
        if let Some(key) = user_client {
            self.consents.remove(&key);
        }
    }

    /// Revoke every grant of a client (the client was deleted or its secret rotated).
    pub fn revoke_client_grants(&mut self, client_id: &str, now_ms: i64) {
        for g in self.grants.values_mut().filter(|g| g.client_id == client_id) {
            g.revoked_at_ms.get_or_insert(now_ms);
        }
    }

    /// Drop what has expired. Revoked grants stay until their tokens would have expired, so a
    /// revoked token keeps answering "inactive" rather than "unknown" (both are inactive).
    /// Tokens and grants are kept for an hour past their expiry, so what a token looks like
    /// just after it expired does not depend on when the sweep last ran.
    /// `keep_expired_access_tokens` is for the `expired-tokens-active` fault, under which an
    /// expired token must stay findable to be (wrongly) reported active.
    pub fn sweep(&mut self, now: i64, retention_secs: i64, keep_expired_access_tokens: bool) {
        let kept = now - retention_secs;
        self.codes.retain(|_, c| c.expires + 600 > now);
        self.requests.retain(|r| r.expires > now);
        self.sessions.retain(|s| s.expires > now);
        if !keep_expired_access_tokens {
            self.access_tokens.retain(|_, t| t.exp > kept);
            self.grants.retain(|_, g| g.expires > kept);
        }
        self.refresh_tokens.retain(|_, t| t.exp > kept);
        self.auth_failures.retain(|_, (minute, _)| *minute >= now / 60 - 1);
        let wall = crate::clock::wall_now();
        self.assertion_ids.retain(|_, exp| *exp + 60 > wall);
        self.dpop_jtis.retain(|_, until| *until > wall);
        self.access_tokens.shrink();
        self.refresh_tokens.shrink();
        shrink(&mut self.codes);
        self.grants.shrink();
        self.requests.shrink();
        self.sessions.shrink();
    }
}

#[cfg(test)]
const EXPIRED_KEPT_SECS: i64 = 120;

/// Not revoked, or revoked so recently that a delay still hides it.
pub fn alive(revoked_at_ms: Option<i64>, now_ms: i64, delay_ms: i64) -> bool {
    match revoked_at_ms {
        None => true,
        Some(at) => now_ms < at + delay_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(exp: i64) -> AccessToken {
        AccessToken {
            grant_id: 1,
            client_id: "c".into(),
            username: None,
            scopes: Vec::new(),
            audience: Vec::new(),
            jti: "j".into(),
            iat: exp - 60,
            exp,
            revoked_at_ms: None,
            resource_uses: 0,
            jkt: None,
        }
    }

    #[test]
    fn a_clients_secret_and_registration_token_print_redacted() {
        let mut client = Client::dynamic("c".into(), 0);
        client.secret = Some("client-secret-value".into());
        client.registration_token = Some("registration-token-value".into());
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("client-secret-value") && !shown.contains("registration-token-value"),
            "{shown}"
        );
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn the_sweep_keeps_just_expired_tokens_and_drops_old_ones() {
        let mut store = Store::default();
        store.access_tokens.insert("recent".into(), token(1_000));
        store.access_tokens.insert("old".into(), token(1_000 - 2 * EXPIRED_KEPT_SECS));
        store.sweep(1_060, EXPIRED_KEPT_SECS, false);
        assert!(store.access_tokens.contains_key("recent"), "expired a minute ago: still known, inactive");
        assert!(!store.access_tokens.contains_key("old"));
    }
}
