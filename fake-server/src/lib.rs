//! An in-memory OAuth 2.1 authorization server for offline development and tests.
//!
//! It implements discovery (RFC 8414, OIDC Discovery), the authorization code flow with PKCE
//! S256, login and consent pages, refresh-token rotation, client credentials, introspection
//! (RFC 7662), revocation (RFC 7009), opaque or RFC 9068 JWT access tokens, userinfo and CORS
//! for browser clients, with users, clients and scopes from a fixtures file.
//!
//! Start one per test, like a mock server; it binds `127.0.0.1` on a free port, runs on its
//! own threads (so it works under `#[tokio::test]` and plain `#[test]` alike) and stops when
//! dropped:
//!
//! ```
//! # async fn demo() {
//! let server = fake_server::FakeServer::start().await;
//! let metadata = format!("{}/.well-known/oauth-authorization-server", server.issuer());
//! # let _ = metadata;
//! # }
//! ```
//!
//! `FakeServer::builder()` adds clients, users, scopes, settings, deliberate faults
//! ([`Fault`]) and legitimate variants ([`Variant`]), and [`FakeServer::advance`] moves the server's clock so codes and tokens expire.

// Layers, each depending only on those before it (no module imports from a later layer):
// bottom: config, faults, variants, clock, error, tokens, listen, form, extract
// policy: the per-endpoint decisions resolved once from faults and variants
// state: the shared state, store, feature caches and serialized documents
// domain logic: issue, lookup, uri_rules, assertion, client_metadata, cimd, cors
// pages, then routes, then this file (the library surface) and the binary.
pub mod config;
pub mod faults;
pub mod variants;

mod assertion;
mod cimd;
mod client_metadata;
mod client_report;
mod clock;
mod cors;
mod dpop;
mod error;
mod extract;
mod form;
mod idjag;
mod issue;
mod jws;
mod listen;
mod lookup;
mod pages;
mod policy;
mod redact;
mod routes;
mod sign_in;
mod state;
mod tokens;
mod uri_rules;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use client_report::{ATTACKER_ISSUER, ClientCheck, ClientReport, Forged, Verdict};
pub use config::{
    ClientConfig, Config, ConfigError, JwtAlg, Limits, RegistrationPolicy, ScopeConfig, Settings,
    TokenFormat, TrustedIdp, UnknownAlg, UserConfig,
};
pub use faults::{Fault, UnknownFault};
pub use sign_in::SignIn;
pub use state::RecordedRequest;
pub use variants::{UnknownVariant, Variant};

use state::{AppState, Inner};
use tokens::Signer;

/// A running fake authorization server. Dropping it stops it.
#[derive(Debug)]
pub struct FakeServer {
    state: AppState,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// The codes of callbacks `sign_in` delivered with a forged `state` or `iss`.
    forged: std::sync::Mutex<Vec<(String, Forged)>>,
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Key(#[from] tokens::KeyError),
}

impl FakeServer {
    /// Start a server with the default fixtures on `127.0.0.1` and a free port.
    ///
    /// # Panics
    /// If no port can be bound; use [`FakeServerBuilder::try_start`] to handle that.
    pub async fn start() -> FakeServer {
        FakeServer::builder().start().await
    }

    /// [`FakeServer::start`] for tests without an async runtime.
    pub fn start_blocking() -> FakeServer {
        FakeServer::builder().start_blocking()
    }

    /// A builder starting from the default fixtures.
    pub fn builder() -> FakeServerBuilder {
        FakeServerBuilder { config: Config::defaults(), bind: SocketAddr::from(([127, 0, 0, 1], 0)) }
    }

    /// The issuer identifier, e.g. `http://127.0.0.1:41234`.
    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }

    /// The issuer followed by `path`, e.g. `server.url("/token")`.
    pub fn url(&self, path: &str) -> String {
        self.state.url(path)
    }

    /// Where the RFC 8414 metadata document is served.
    pub fn metadata_url(&self) -> String {
        let origin = self.state.issuer.trim_end_matches(&self.state.base_path);
        format!("{origin}/.well-known/oauth-authorization-server{}", self.state.base_path)
    }

    /// The socket the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bearer key of the admin API.
    pub fn admin_key(&self) -> &str {
        &self.state.admin_key
    }

    /// The requests the server received, oldest first, when it records them
    /// ([`FakeServerBuilder::record_requests`]); empty otherwise.
    ///
    /// ```
    /// # async fn demo() {
    /// let server = fake_server::FakeServer::builder().record_requests().start().await;
    /// // ... run the client under test ...
    /// for r in server.requests().iter().filter(|r| r.path.ends_with("/token")) {
    ///     assert!(r.param("code_verifier").is_some() || r.param("grant_type") != Some("authorization_code"));
    /// }
    /// # }
    /// ```
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.journal.all()
    }

    /// Play the user for an authorization request on this server's own pages, as a browser
    /// would: sign in, approve (or deny) on the consent page, and stop at the redirect back to
    /// the client, whose URL (with `code` or `error`, `state` and `iss`) is returned, not
    /// loaded. Pages drawn by a script (the `js-pages` variant) are not read.
    ///
    /// ```
    /// # async fn demo(authorization_url: &str) {
    /// use fake_server::{FakeServer, SignIn};
    /// let server = FakeServer::start().await;
    /// let callback = server.sign_in(authorization_url, SignIn::approve()).await.unwrap();
    /// assert!(callback.contains("code="));
    /// # }
    /// ```
    pub async fn sign_in(&self, authorization_url: &str, how: SignIn) -> Result<String, String> {
        let user = match &how.username {
            Some(name) => self.state.users.iter().find(|u| &u.username == name),
            None => self.state.users.first(),
        };
        let username = how.username.clone().or_else(|| user.map(|u| u.username.clone()));
        let password = how.password.clone().or_else(|| user.map(|u| u.password.clone()));
        let (Some(username), Some(password)) = (username, password) else {
            return Err("no user to sign in as: the fixtures have none and none was given".into());
        };
        let callback =
            sign_in::sign_in(&self.state.issuer, (&username, &password), authorization_url, how.deny).await?;
        let Some(kind) = how.forge else { return Ok(callback) };
        if let Some(code) = client_report::code_of(&callback) {
            self.forged.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((code, kind));
        }
        Ok(kind.apply(&callback))
    }

    /// The client checks of `oauth-conformance client` (`suites/clients/`), judged from the
    /// requests this server recorded ([`FakeServerBuilder::record_requests`]): PKCE S256,
    /// `resource` naming the demo MCP server, no token in a URL, one authentication method per
    /// token request, and no redemption of a code that came back with a forged `state` or
    /// `iss` ([`SignIn::forge_state`], [`SignIn::forge_iss`]). What the test did not exercise
    /// is "not judged", never passed.
    ///
    /// ```
    /// # async fn demo() {
    /// use fake_server::{FakeServer, SignIn};
    /// let server = FakeServer::builder().record_requests().start().await;
    /// // ... the client under test signs in (server.sign_in(url, SignIn::approve()) plays
    /// // the user), redeems the code and calls server.url("/mcp") ...
    /// server.client_report().assert_conformant();
    /// # }
    /// ```
    pub fn client_report(&self) -> ClientReport {
        let requests = self.state.journal.all();
        let mcp_url = self.url("/mcp");
        let path_of = |u: &str| url::Url::parse(u).map(|u| u.path().trim_end_matches('/').to_string());
        let base = path_of(&self.state.issuer).unwrap_or_default();
        let mcp_path = path_of(&mcp_url).unwrap_or_default();
        let forged = self.forged.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let settings = &self.state.settings;
        // RFC 7591 §2: `client_secret_basic` unless the client registered another method.
        let basic_clients: Vec<String> = self
            .state
            .store()
            .clients
            .values()
            .filter(|c| {
                let method = c.metadata.get("token_endpoint_auth_method").and_then(|m| m.as_str());
                c.secret.is_some() && method.is_none_or(|m| m == "client_secret_basic")
            })
            .map(|c| c.id.clone())
            .collect();
        client_report::judge(&client_report::Inputs {
            requests: &requests,
            base: &base,
            mcp_url: &mcp_url,
            mcp_path: &mcp_path,
            forged: &forged,
            challenge_names_metadata: settings.mcp_challenge_names_metadata,
            challenge_names_scope: settings.mcp_challenge_names_scope,
            resource_scopes: &settings.mcp_scopes,
            offline_access_listed: self.state.scopes.iter().any(|s| s.name == "offline_access"),
            redirects_tool_calls: settings.mcp_redirect_tool_calls,
            documents: &settings.client_metadata_documents.keys().cloned().collect::<Vec<_>>(),
            documents_supported: settings.cimd,
            basic_clients: &basic_clients,
        })
    }

    /// Forget the recorded requests.
    pub fn clear_requests(&self) {
        self.state.journal.clear();
    }

    /// Move the server's clock forward (codes, tokens and sessions expire accordingly).
    pub fn advance(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Is this fault switched on?
    pub fn has_fault(&self, fault: Fault) -> bool {
        self.state.fault(fault)
    }

    /// Is this variant switched on?
    pub fn has_variant(&self, variant: Variant) -> bool {
        self.state.variant(variant)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Configures a [`FakeServer`] before it starts.
#[must_use]
#[derive(Debug, Clone)]
pub struct FakeServerBuilder {
    config: Config,
    bind: SocketAddr,
}

impl FakeServerBuilder {
    /// Replace all fixtures (users, clients, scopes, settings).
    pub fn fixtures(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Replace all fixtures with a TOML document in the `fixtures/fake-server.toml` format.
    pub fn fixtures_toml(self, text: &str) -> Result<Self, ConfigError> {
        Ok(self.fixtures(Config::from_toml(text)?))
    }

    /// Add (or replace, by `client_id`) a client.
    pub fn client(mut self, client: ClientConfig) -> Self {
        self.config.clients.retain(|c| c.client_id != client.client_id);
        self.config.clients.push(client);
        self
    }

    /// Add (or replace, by username) a user.
    pub fn user(mut self, user: UserConfig) -> Self {
        self.config.users.retain(|u| u.username != user.username);
        self.config.users.push(user);
        self
    }

    /// Add (or replace, by name) a scope.
    pub fn scope(mut self, scope: ScopeConfig) -> Self {
        self.config.scopes.retain(|s| s.name != scope.name);
        self.config.scopes.push(scope);
        self
    }

    /// Remove a scope by name: the server neither advertises it in `scopes_supported` nor
    /// grants it (a request for it is `invalid_scope`). Clients that may ask for it keep their
    /// other scopes. A client whose only scope it was still names it, and the server does not
    /// start (an empty list would allow every scope).
    pub fn without_scope(mut self, name: &str) -> Self {
        self.config.scopes.retain(|s| s.name != name);
        for c in &mut self.config.clients {
            c.default_scopes.retain(|s| s != name);
            if c.scopes.iter().any(|s| s != name) {
                c.scopes.retain(|s| s != name);
            }
        }
        self
    }

    /// Switch a deliberate fault on.
    pub fn fault(mut self, fault: Fault) -> Self {
        if !self.config.server.faults.contains(&fault) {
            self.config.server.faults.push(fault);
        }
        self
    }

    /// Switch a legitimate variant on; call it once per variant to combine several.
    ///
    /// ```
    /// # async fn demo() {
    /// use fake_server::{FakeServer, Variant};
    /// let server = FakeServer::builder()
    ///     .variant(Variant::ValidateAfterLogin)
    ///     .variant(Variant::LoginWith302)
    ///     .start()
    ///     .await;
    /// assert!(server.has_variant(Variant::LoginWith302));
    /// # }
    /// ```
    pub fn variant(mut self, variant: Variant) -> Self {
        if !self.config.server.variants.contains(&variant) {
            self.config.server.variants.push(variant);
        }
        self
    }

    /// Change any setting.
    pub fn settings(mut self, change: impl FnOnce(&mut Settings)) -> Self {
        change(&mut self.config.server);
        self
    }

    /// Know the client ID metadata document at `url` without fetching it (the setting
    /// `client_metadata_documents`): a client signs in with `client_id=url` offline.
    ///
    /// ```
    /// # async fn demo() {
    /// use fake_server::FakeServer;
    /// let url = "https://app.example/oauth-client.json";
    /// let server = FakeServer::builder()
    ///     .client_metadata_document(url, serde_json::json!({
    ///         "client_id": url,
    ///         "client_name": "My app",
    ///         "redirect_uris": ["http://127.0.0.1/callback"],
    ///         "token_endpoint_auth_method": "none",
    ///     }))
    ///     .start()
    ///     .await;
    /// # }
    /// ```
    pub fn client_metadata_document(self, url: impl Into<String>, document: serde_json::Value) -> Self {
        let url = url.into();
        self.settings(move |s| {
            s.client_metadata_documents.insert(url, document);
        })
    }

    /// Serve under a path, making the issuer `http://127.0.0.1:<port><path>` (RFC 8414 §3.1).
    pub fn issuer_path(self, path: &str) -> Self {
        let path = path.trim_end_matches('/').to_string();
        self.settings(|s| s.issuer_path = path)
    }

    /// Access-token format for clients that do not choose one.
    pub fn access_token_format(self, format: TokenFormat) -> Self {
        self.settings(|s| s.access_token_format = format)
    }

    /// Algorithm of JWT access tokens, and of ID tokens for clients that did not register one
    /// (RS256 unless set).
    pub fn jwt_alg(self, alg: JwtAlg) -> Self {
        self.settings(|s| s.jwt_alg = alg)
    }

    /// Record every request (method, path, query, selected headers, form or JSON body) for
    /// [`FakeServer::requests`] and `GET /admin/api/requests`.
    pub fn record_requests(self) -> Self {
        self.settings(|s| s.record_requests = true)
    }

    /// Listen on this address instead of `127.0.0.1:0`.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Start the server on its own threads.
    ///
    /// # Panics
    /// When the server cannot start (see [`FakeServerBuilder::try_start`]).
    pub async fn start(self) -> FakeServer {
        self.start_blocking()
    }

    /// Start the server, or say why it cannot.
    pub async fn try_start(self) -> Result<FakeServer, StartError> {
        self.try_start_blocking()
    }

    /// [`FakeServerBuilder::start`] without an async runtime.
    pub fn start_blocking(self) -> FakeServer {
        match self.try_start_blocking() {
            Ok(server) => server,
            Err(e) => panic!("the fake authorization server could not start: {e}"),
        }
    }

    /// [`FakeServerBuilder::try_start`] without an async runtime.
    pub fn try_start_blocking(self) -> Result<FakeServer, StartError> {
        let listener = std::net::TcpListener::bind(self.bind)
            .map_err(|source| StartError::Bind { addr: self.bind, source })?;
        listener.set_nonblocking(true).map_err(StartError::Runtime)?;
        let addr = listener.local_addr().map_err(StartError::Runtime)?;
        let state = build_state(self.config, addr)?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-server")
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let serve_state = state.clone();
        std::thread::Builder::new()
            .name("fake-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        let _ = serve(listener, serve_state, async move {
                            let _ = rx.await;
                        })
                        .await;
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(StartError::Runtime)?;
        Ok(FakeServer { state, addr, shutdown: Some(tx), forged: Default::default() })
    }
}

/// Build the shared state for a server listening on `addr`.
fn build_state(mut config: Config, addr: SocketAddr) -> Result<AppState, StartError> {
    config.validate()?;
    let issuer = match &config.server.issuer {
        Some(i) => i.trim_end_matches('/').to_string(),
        None => {
            let host =
                if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
            let host = if addr.is_ipv6() && !addr.ip().is_unspecified() { format!("[{host}]") } else { host };
            format!("http://{host}:{}{}", addr.port(), config.server.issuer_path)
        }
    };
    config.server.issuer = Some(issuer.clone());
    let s = &config.server;
    let signer = Signer::from_pems(
        s.signing_key_pem.as_deref().unwrap_or(config::DEFAULT_SIGNING_KEY_PEM),
        s.es256_key_pem.as_deref().unwrap_or(config::DEFAULT_ES256_KEY_PEM),
        s.eddsa_key_pem.as_deref().unwrap_or(config::DEFAULT_EDDSA_KEY_PEM),
    )?;
    let admin_key = config.server.admin_key.clone().unwrap_or_else(|| tokens::random_token("fsk_", 24));
    Ok(Arc::new(Inner::new(config, issuer, signer, admin_key)))
}

/// Serve until `shutdown` resolves, sweeping expired state in the background.
async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = state.clone();
    let sweep = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(15));
        loop {
            tick.tick().await;
            let now = sweeper.clock.now();
            let keep = !sweeper.policy.lookup.expired_tokens_inactive;
            let retention = sweeper.settings.expired_token_retention_secs as i64;
            sweeper.store().sweep(now, retention, keep);
        }
    });
    let limits = state.settings.limits.clone();
    let app = routes::router(state);
    let result = listen::serve(listener, app, &limits, shutdown).await;
    sweep.abort();
    result
}

/// What the binary needs to run a server on a listener it bound itself.
pub mod run {
    use super::*;

    /// A configured server that has not started serving yet.
    #[derive(Debug)]
    pub struct Prepared {
        state: AppState,
        listener: tokio::net::TcpListener,
    }

    impl Prepared {
        /// Bind `addr` and build the state from `config`.
        pub async fn bind(config: Config, addr: SocketAddr) -> Result<Prepared, StartError> {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { addr, source })?;
            let local = listener.local_addr().map_err(StartError::Runtime)?;
            let state = build_state(config, local)?;
            Ok(Prepared { state, listener })
        }

        pub fn issuer(&self) -> &str {
            &self.state.issuer
        }

        pub fn admin_key(&self) -> &str {
            &self.state.admin_key
        }

        pub fn metadata_url(&self) -> String {
            let origin = self.state.issuer.trim_end_matches(&self.state.base_path);
            format!("{origin}/.well-known/oauth-authorization-server{}", self.state.base_path)
        }

        /// The demo MCP resource (a protected resource).
        pub fn mcp_url(&self) -> String {
            self.state.mcp_resource()
        }

        /// The RFC 9728 metadata of the demo MCP resource.
        pub fn prm_url(&self) -> String {
            let origin = self.state.issuer.trim_end_matches(&self.state.base_path);
            format!(
                "{origin}/.well-known/oauth-protected-resource{}{}",
                self.state.base_path, self.state.settings.mcp_path
            )
        }

        pub fn users(&self) -> &[UserConfig] {
            &self.state.users
        }

        pub fn clients(&self) -> &[ClientConfig] {
            &self.state.fixture_clients
        }

        pub fn faults(&self) -> Vec<Fault> {
            Fault::ALL.iter().copied().filter(|f| self.state.fault(*f)).collect()
        }

        pub fn variants(&self) -> Vec<Variant> {
            Variant::ALL.iter().copied().filter(|v| self.state.variant(*v)).collect()
        }

        /// Serve until `shutdown` resolves.
        pub async fn serve(
            self,
            shutdown: impl std::future::Future<Output = ()> + Send + 'static,
        ) -> std::io::Result<()> {
            serve(self.listener, self.state, shutdown).await
        }
    }
}
