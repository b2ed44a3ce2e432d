//! Layer: state (above config, faults, variants, clock, tokens and policy; below the domain
//! logic, pages and routes). The shared application state every handler sees: settings, the
//! policies resolved from faults and variants, the in-memory store behind one lock, the
//! feature caches and the serialized documents.
//!
//! Nothing here depends on the domain logic or the HTTP surface; they depend on this.

mod capped;
mod documents;
mod fastmap;
mod features;
mod journal;
mod shard;
mod store;

pub use documents::Documents;
pub use features::{AdminSession, CachedDocument, Features};
pub use journal::{Journal, RecordedRequest};
pub use store::{
    AccessToken, AuthRequest, Client, Code, Grant, Prompt, RefreshToken, Session, Store, Validated, alive,
};

use crate::redact::Redacted;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::clock::Clock;
use crate::config::{ClientConfig, Config, ScopeConfig, Settings, UserConfig};
use crate::faults::{Fault, Faults};
use crate::policy::Policies;
use crate::tokens::Signer;
use crate::variants::{Variant, Variants};

/// Shared, cheaply clonable application state.
pub type AppState = Arc<Inner>;

/// Everything the handlers share.
pub struct Inner {
    /// Issuer identifier, exactly as published in metadata.
    pub issuer: String,
    /// Path prefix of every endpoint (`""` or e.g. `/tenant`).
    pub base_path: String,
    pub settings: Settings,
    pub faults: Faults,
    pub variants: Variants,
    /// What each endpoint does, resolved from `faults` and `variants` (which never change
    /// while the server runs).
    pub policy: Policies,
    pub clock: Clock,
    pub signer: Signer,
    pub admin_key: String,
    /// The secret DPoP nonces are derived from (RFC 9449 §8: unpredictable).
    pub nonce_key: [u8; 32],
    pub scopes: Vec<ScopeConfig>,
    pub users: Vec<UserConfig>,
    /// Initial clients from the fixtures, kept to rebuild the store on reset.
    pub fixture_clients: Vec<ClientConfig>,
    /// Metadata-document cache, operator and MCP sessions.
    pub features: Features,
    /// The discovery documents and JWKS, serialized once: they never change while a server
    /// runs, and they are its most requested responses.
    pub documents: std::sync::OnceLock<Documents>,
    /// The requests received, when `record_requests` is on.
    pub journal: Journal,
    store: Mutex<Store>,
}

/// Secrets print as `[redacted]`.
impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("issuer", &self.issuer)
            .field("base_path", &self.base_path)
            .field("settings", &self.settings)
            .field("faults", &self.faults)
            .field("variants", &self.variants)
            .field("policy", &self.policy)
            .field("clock", &self.clock)
            .field("signer", &self.signer)
            .field("admin_key", &Redacted)
            .field("nonce_key", &Redacted)
            .field("scopes", &self.scopes)
            .field("users", &self.users)
            .field("fixture_clients", &self.fixture_clients)
            .field("features", &self.features)
            .field("documents", &self.documents)
            .field("journal", &self.journal)
            .field("store", &self.store)
            .finish()
    }
}

impl Inner {
    pub fn new(mut config: Config, issuer: String, signer: Signer, admin_key: String) -> Inner {
        let base_path =
            url::Url::parse(&issuer).map(|u| u.path().trim_end_matches('/').to_string()).unwrap_or_default();
        let faults = Faults::from_list(&config.server.faults);
        let variants = Variants::from_list(&config.server.variants);
        if variants.has(Variant::SingleGrantType) {
            for c in &mut config.clients {
                c.grant_types = crate::variants::one_grant_type(&c.grant_types);
            }
        }
        let policy = Policies::resolve(&faults, &variants);
        let store = Store::with_clients(&config.clients, &config.server.limits);
        let clock = Clock::default();
        let features = Features::new(clock.now());
        Inner {
            issuer,
            base_path,
            settings: config.server,
            faults,
            variants,
            policy,
            clock,
            signer,
            admin_key,
            nonce_key: rand::random(),
            scopes: config.scopes,
            users: config.users,
            fixture_clients: config.clients,
            features,
            documents: std::sync::OnceLock::new(),
            journal: Journal::default(),
            store: Mutex::new(store),
        }
    }

    pub fn fault(&self, f: Fault) -> bool {
        self.faults.has(f)
    }

    pub fn variant(&self, v: Variant) -> bool {
        self.variants.has(v)
    }

    /// The store, locked. A handler that panicked while holding the lock leaves data that is
    /// still consistent for our purposes, so poisoning is ignored.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `issuer` + `path`: the public URL of one of our endpoints.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    pub fn user(&self, username: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.username == username)
    }

    pub fn scope(&self, name: &str) -> Option<&ScopeConfig> {
        self.scopes.iter().find(|s| s.name == name)
    }

    /// Milliseconds a revocation waits before it takes effect (only under a fault).
    pub fn revocation_delay_ms(&self) -> i64 {
        self.policy.revocation.delay_ms
    }

    pub fn code_lifetime(&self) -> i64 {
        if self.policy.authorize.short_lived_codes { self.settings.code_lifetime_secs as i64 } else { 86_400 }
    }

    /// Where the metadata says a back-channel endpoint is: the issuer's origin, or a second
    /// host name under the `split-origin` variant.
    pub fn advertised_url(&self, path: &str) -> String {
        if self.policy.discovery.split_origin { self.second_origin(path) } else { self.url(path) }
    }

    /// `path` on the same listener reached through the other loopback name: `localhost` for an
    /// issuer on `127.0.0.1` and the other way round. Other issuers keep their own origin (a
    /// deployment behind a proxy would need a second public name, which the server cannot know).
    pub fn second_origin(&self, path: &str) -> String {
        let url = self.url(path);
        let Ok(mut u) = url::Url::parse(&url) else {
            return url;
        };
        let other = match u.host_str() {
            Some("127.0.0.1") => "localhost",
            Some("localhost") => "127.0.0.1",
            _ => return url,
        };
        if u.set_host(Some(other)).is_err() {
            return url;
        }
        u.into()
    }

    /// Default scopes of a registered client that named none: what the built-in resource
    /// needs, so the usual MCP client (which asks for nothing in particular) ends up with a
    /// usable token.
    pub fn scopes_for_unscoped_clients(&self) -> Vec<String> {
        self.settings.mcp_scopes.iter().filter(|s| self.scope(s).is_some()).cloned().collect()
    }

    /// The built-in protected resource's identifier.
    pub fn mcp_resource(&self) -> String {
        self.url(&self.settings.mcp_path)
    }

    /// Resource indicators this server issues tokens for.
    pub fn known_resource(&self, r: &str) -> bool {
        r == self.mcp_resource() || self.settings.resources.iter().any(|x| x == r)
    }

    /// Forget everything but the fixtures (admin "reset").
    pub fn reset(&self) {
        *self.store() = Store::with_clients(&self.fixture_clients, &self.settings.limits);
    }
}
