//! Layer: bottom (depends on faults, variants and redact only).
//! Fixtures and settings: users, clients, scopes and server policy, read from TOML.
//!
//! The default fixtures (`fixtures/fake-server.toml`) are embedded so the binary and
//! `FakeServer::start()` work with no file at all.

mod builders;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::faults::Fault;
use crate::redact::{Redacted, RedactedOption};
use crate::variants::Variant;

/// The fixtures every server starts with unless told otherwise.
pub const DEFAULT_FIXTURES: &str = include_str!("../../../fixtures/fake-server.toml");

/// The signing key used when the fixtures name none. It is public on purpose: this server
/// exists for development and tests, never for production.
pub const DEFAULT_SIGNING_KEY_PEM: &str = include_str!("../../../fixtures/keys/fake-server-signing.pem");

/// The P-256 key for ES256 when the fixtures name none; public on purpose, as the RSA key.
pub const DEFAULT_ES256_KEY_PEM: &str = include_str!("../../../fixtures/keys/fake-server-signing-es256.pem");

/// The Ed25519 key for EdDSA when the fixtures name none; public on purpose, as the RSA key.
pub const DEFAULT_EDDSA_KEY_PEM: &str = include_str!("../../../fixtures/keys/fake-server-signing-eddsa.pem");

/// Everything a fake server is made of.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    #[serde(default)]
    pub server: Settings,
    #[serde(default, rename = "users")]
    pub users: Vec<UserConfig>,
    #[serde(default, rename = "clients")]
    pub clients: Vec<ClientConfig>,
    #[serde(default, rename = "scopes")]
    pub scopes: Vec<ScopeConfig>,
}

/// Server-wide policy.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// Public base URL (the issuer) when the server runs behind a proxy. Without it the issuer
    /// is `http://127.0.0.1:<port><issuer_path>`.
    pub issuer: Option<String>,
    /// Path the server is mounted under (RFC 8414 §3.1 path issuers), e.g. `/tenant`.
    pub issuer_path: String,
    /// Access-token format for clients that do not choose one.
    pub access_token_format: TokenFormat,
    /// Algorithm of JWT access tokens, and of ID tokens for fixture clients (a registered
    /// client's ID tokens follow its `id_token_signed_response_alg`, RS256 when it names none).
    pub jwt_alg: JwtAlg,
    pub code_lifetime_secs: u64,
    pub access_token_lifetime_secs: u64,
    pub refresh_token_lifetime_secs: u64,
    /// How long a started authorization (login and consent) may take.
    pub interaction_lifetime_secs: u64,
    pub session_lifetime_secs: u64,
    /// Origins allowed to call the token, revocation, introspection, userinfo and registration
    /// endpoints from a browser. `"*"` allows any origin.
    pub cors_origins: Vec<String>,
    /// Resource indicators (RFC 8707) the server issues tokens for, besides its own demo
    /// resource. Anything else gets `invalid_target`.
    pub resources: Vec<String>,
    /// Path of the built-in protected resource (an MCP endpoint), relative to the issuer.
    pub mcp_path: String,
    /// Dynamic client registration policy.
    pub registration: RegistrationPolicy,
    /// Initial access token required when `registration = "token"`.
    pub registration_token: Option<String>,
    /// Upper bound on dynamically registered clients.
    pub max_registered_clients: usize,
    /// Resolve `client_id` URLs as client ID metadata documents.
    pub cimd: bool,
    /// Allow `http://` loopback client ID metadata documents (offline development).
    pub allow_insecure_cimd: bool,
    /// Client ID metadata documents the server knows without fetching them, by their URL
    /// (`[server.client_metadata_documents."https://app.example/oauth-client.json"]`): a client
    /// whose document is not published yet, or lives on a host this machine cannot reach, signs
    /// in with its real `client_id` offline. Such a document is checked as a fetched one would
    /// be (its `client_id` equals its URL, `redirect_uris`, no shared secret) and is never
    /// fetched. Empty by default.
    pub client_metadata_documents: BTreeMap<String, serde_json::Value>,
    /// Bearer key for the admin API. A random one is generated when unset.
    pub admin_key: Option<String>,
    /// Deliberate protocol violations, for proving the harness can see them.
    pub faults: Vec<Fault>,
    /// Legitimate behaviours the specifications allow, for proving the harness accepts them.
    pub variants: Vec<Variant>,
    /// PEM (PKCS#8 or PKCS#1) RSA private key used for RS256 JWTs. The embedded key when unset.
    pub signing_key_pem: Option<String>,
    /// PEM (PKCS#8) P-256 private key used for ES256 JWTs. The embedded key when unset.
    pub es256_key_pem: Option<String>,
    /// PEM (PKCS#8) Ed25519 private key used for EdDSA JWTs. The embedded key when unset.
    pub eddsa_key_pem: Option<String>,
    /// Failed client authentications per client per minute before the token endpoint
    /// answers 429 (RFC 6749 §2.3.1 brute-force protection). 0 disables the limit.
    pub max_failed_client_auth_per_minute: u32,
    /// With an issuer path, also answer every endpoint at the origin root, where MCP
    /// 2025-03-26 clients look (they drop the path; SPEC MCP-AS-01).
    pub legacy_root_endpoints: bool,
    /// How long expired tokens stay known (and inactive) before the expiry sweep drops them:
    /// a token checked right after a test moved the clock past its expiry is still there.
    pub expired_token_retention_secs: u64,
    /// Scopes a token needs at the built-in MCP resource; also its metadata's `scopes_supported`
    /// and the default scopes of clients that register without naming any.
    pub mcp_scopes: Vec<String>,
    /// Scopes a `tools/call` needs at the built-in MCP resource besides `mcp_scopes`. A token
    /// without them may connect and list tools, and its calls get 403 `insufficient_scope`
    /// naming every scope a call needs: the runtime challenge MCP clients answer with a step-up
    /// authorization (MCP 2025-11-25 and later). Empty by default.
    pub mcp_tool_scopes: Vec<String>,
    /// Scopes clients may ask for and users may approve, but that no token gets: the user does
    /// not hold them. The code and tokens carry the rest, and the token response's `scope`
    /// says what was granted (RFC 6749 §3.3 lets a server issue less than was asked for; §5.1).
    /// With `mcp_tool_scopes`, a tool call stays refused whatever the client does. Empty by
    /// default.
    pub withheld_scopes: Vec<String>,
    /// The built-in MCP resource's 401 and 403 challenges name its metadata URL
    /// (`resource_metadata`, RFC 9728 §5.1). Off, they do not, and clients find the metadata at
    /// its well-known URL: RFC 9728 §5 makes the attribute optional, and MCP 2025-11-25 lets a
    /// server rely on the well-known URL alone. On by default.
    pub mcp_challenge_names_metadata: bool,
    /// The built-in MCP resource's 401 challenges name the scopes a token needs (`scope`,
    /// RFC 6750 §3). Off, they do not, and clients fall back to the resource metadata's
    /// `scopes_supported` (MCP 2025-11-25 scope selection). On by default.
    pub mcp_challenge_names_scope: bool,
    /// The `resource` the built-in MCP resource's metadata names instead of its own URL. For
    /// testing clients only: a document about another resource is one a client must not use
    /// (RFC 9728 §3.3), as when an attacker answers for the MCP server. Unset by default.
    pub mcp_metadata_resource: Option<String>,
    /// A `tools/call` that the built-in MCP resource would answer is answered `307 Temporary
    /// Redirect` to `<mcp_path>/moved` on the other loopback name (`localhost` for an issuer on
    /// `127.0.0.1` and the other way round): another origin, which answers 404. For testing
    /// clients only: one that follows must leave its access token behind (RFC 6750 §5.3), as
    /// fetch does on a cross-origin redirect. Off by default.
    pub mcp_redirect_tool_calls: bool,
    /// The issuer of another authorization server the built-in MCP resource moves to after the
    /// first request it accepts: from then on its metadata's `authorization_servers` names
    /// that issuer, and every request with a token gets 401 `invalid_token` (this server
    /// cannot check the other one's tokens). For testing clients only: MCP 2026-07-28 asks a
    /// client to register with the new server and never present the old one's credentials
    /// there (SEP-2352). Unset by default.
    pub mcp_moves_to: Option<String>,
    /// Requests the built-in MCP resource accepts with one access token before it revokes the
    /// token (0, the default: no limit). The next request with it gets 401 `invalid_token`, so
    /// a client's refresh path runs at once instead of after `access_token_lifetime_secs`.
    pub mcp_token_uses: u32,
    /// How long the token endpoint waits before it handles a request, in milliseconds (0, the
    /// default: not at all). A remote server takes tens to hundreds of milliseconds; with this,
    /// a client's concurrent token requests overlap as they would against one.
    pub token_latency_ms: u64,
    /// How long fetching a client ID metadata document may take, in milliseconds.
    pub cimd_timeout_ms: u64,
    /// Keep every request the server receives (method, path, query, selected headers, form
    /// or JSON body), for tests that judge what a client sent: `FakeServer::requests` and
    /// `GET /admin/api/requests`. Off by default: a load test should not pay for it.
    pub record_requests: bool,
    /// Bounds on what a client can make the server hold (`[server.limits]`).
    pub limits: Limits,
    /// Identity providers whose ID-JAGs the jwt-bearer grant redeems, besides this server
    /// itself (`[[server.id_jag_issuers]]`).
    pub id_jag_issuers: Vec<TrustedIdp>,
}

/// An identity provider trusted to issue ID-JAGs (draft-ietf-oauth-identity-assertion-authz-grant
/// §4.1): its issuer identifier and the public keys it signs with.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIdp {
    pub issuer: String,
    /// A JWK Set (RFC 7517 §5) of RS256, ES256 or EdDSA public keys.
    pub jwks: serde_json::Value,
}

/// Secrets print as `[redacted]`.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("issuer", &self.issuer)
            .field("issuer_path", &self.issuer_path)
            .field("access_token_format", &self.access_token_format)
            .field("jwt_alg", &self.jwt_alg)
            .field("code_lifetime_secs", &self.code_lifetime_secs)
            .field("access_token_lifetime_secs", &self.access_token_lifetime_secs)
            .field("refresh_token_lifetime_secs", &self.refresh_token_lifetime_secs)
            .field("interaction_lifetime_secs", &self.interaction_lifetime_secs)
            .field("session_lifetime_secs", &self.session_lifetime_secs)
            .field("cors_origins", &self.cors_origins)
            .field("resources", &self.resources)
            .field("mcp_path", &self.mcp_path)
            .field("registration", &self.registration)
            .field("registration_token", &RedactedOption::of(&self.registration_token))
            .field("max_registered_clients", &self.max_registered_clients)
            .field("cimd", &self.cimd)
            .field("allow_insecure_cimd", &self.allow_insecure_cimd)
            .field("client_metadata_documents", &self.client_metadata_documents.keys().collect::<Vec<_>>())
            .field("admin_key", &RedactedOption::of(&self.admin_key))
            .field("faults", &self.faults)
            .field("variants", &self.variants)
            .field("signing_key_pem", &RedactedOption::of(&self.signing_key_pem))
            .field("es256_key_pem", &RedactedOption::of(&self.es256_key_pem))
            .field("eddsa_key_pem", &RedactedOption::of(&self.eddsa_key_pem))
            .field("max_failed_client_auth_per_minute", &self.max_failed_client_auth_per_minute)
            .field("legacy_root_endpoints", &self.legacy_root_endpoints)
            .field("expired_token_retention_secs", &self.expired_token_retention_secs)
            .field("mcp_scopes", &self.mcp_scopes)
            .field("mcp_tool_scopes", &self.mcp_tool_scopes)
            .field("withheld_scopes", &self.withheld_scopes)
            .field("mcp_challenge_names_metadata", &self.mcp_challenge_names_metadata)
            .field("mcp_challenge_names_scope", &self.mcp_challenge_names_scope)
            .field("mcp_metadata_resource", &self.mcp_metadata_resource)
            .field("mcp_redirect_tool_calls", &self.mcp_redirect_tool_calls)
            .field("mcp_moves_to", &self.mcp_moves_to)
            .field("mcp_token_uses", &self.mcp_token_uses)
            .field("token_latency_ms", &self.token_latency_ms)
            .field("cimd_timeout_ms", &self.cimd_timeout_ms)
            .field("record_requests", &self.record_requests)
            .field("limits", &self.limits)
            .field("id_jag_issuers", &self.id_jag_issuers)
            .finish()
    }
}

/// Caps and timeouts that keep a misbehaving or hostile client from exhausting the server.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Limits {
    /// Pending authorization requests (started, not yet answered) in all; the oldest goes first.
    pub max_pending_authorizations: usize,
    /// Pending authorization requests of one client; its oldest goes first.
    pub max_pending_per_client: usize,
    /// Browser sessions in all; the oldest goes first.
    pub max_sessions: usize,
    /// Browser sessions of one user; the user's oldest goes first.
    pub max_sessions_per_user: usize,
    /// Open connections; past it, new connections wait in the listen backlog.
    pub max_connections: usize,
    /// Time a connection has to send a complete request head (also between two requests).
    pub header_read_timeout_ms: u64,
    /// Time a request body has to arrive in full.
    pub body_timeout_ms: u64,
    /// A connection with no bytes read or written for this long is closed.
    pub idle_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pending_authorizations: 4096,
            max_pending_per_client: 1024,
            max_sessions: 8192,
            max_sessions_per_user: 1024,
            max_connections: 512,
            header_read_timeout_ms: 30_000,
            body_timeout_ms: 30_000,
            idle_timeout_ms: 60_000,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            issuer: None,
            issuer_path: String::new(),
            access_token_format: TokenFormat::Opaque,
            jwt_alg: JwtAlg::Rs256,
            code_lifetime_secs: 60,
            access_token_lifetime_secs: 3600,
            refresh_token_lifetime_secs: 30 * 24 * 3600,
            interaction_lifetime_secs: 600,
            session_lifetime_secs: 12 * 3600,
            cors_origins: vec!["*".to_string()],
            resources: Vec::new(),
            mcp_path: "/mcp".to_string(),
            registration: RegistrationPolicy::Open,
            registration_token: None,
            max_registered_clients: 1000,
            cimd: true,
            allow_insecure_cimd: false,
            client_metadata_documents: BTreeMap::new(),
            admin_key: None,
            faults: Vec::new(),
            variants: Vec::new(),
            signing_key_pem: None,
            es256_key_pem: None,
            eddsa_key_pem: None,
            max_failed_client_auth_per_minute: 100,
            legacy_root_endpoints: false,
            expired_token_retention_secs: 120,
            mcp_scopes: vec!["projects:read".to_string()],
            mcp_tool_scopes: Vec::new(),
            withheld_scopes: Vec::new(),
            mcp_challenge_names_metadata: true,
            mcp_challenge_names_scope: true,
            mcp_metadata_resource: None,
            mcp_redirect_tool_calls: false,
            mcp_moves_to: None,
            mcp_token_uses: 0,
            token_latency_ms: 0,
            cimd_timeout_ms: 5000,
            record_requests: false,
            limits: Limits::default(),
            id_jag_issuers: Vec::new(),
        }
    }
}

/// Opaque (`oat_…`) or RFC 9068 JWT access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenFormat {
    Opaque,
    Jwt,
}

/// A JWS algorithm the server signs JWTs with (RFC 7518 §3.1; RFC 8037 §3.1 for EdDSA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum JwtAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, the OpenID Connect default (OIDC Core §15.1).
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    #[serde(rename = "ES256")]
    Es256,
    /// Ed25519.
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl JwtAlg {
    /// Every algorithm, in the order the metadata and the JWKS list them.
    pub const ALL: [JwtAlg; 3] = [JwtAlg::Rs256, JwtAlg::Es256, JwtAlg::EdDsa];

    /// The `alg` value of a JOSE header.
    pub fn name(self) -> &'static str {
        match self {
            JwtAlg::Rs256 => "RS256",
            JwtAlg::Es256 => "ES256",
            JwtAlg::EdDsa => "EdDSA",
        }
    }
}

impl std::fmt::Display for JwtAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An `alg` this server does not sign with.
#[derive(Debug, thiserror::Error)]
#[error("unsupported JWT algorithm `{0}`; use RS256, ES256 or EdDSA")]
pub struct UnknownAlg(pub String);

impl std::str::FromStr for JwtAlg {
    type Err = UnknownAlg;

    /// Exact names only: JOSE `alg` values are case-sensitive (RFC 7515 §4.1.1).
    fn from_str(s: &str) -> Result<JwtAlg, UnknownAlg> {
        JwtAlg::ALL.into_iter().find(|a| a.name() == s).ok_or_else(|| UnknownAlg(s.to_string()))
    }
}

/// Who may use the registration endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationPolicy {
    /// Anyone (RFC 7591 open registration).
    Open,
    /// Only with the initial access token.
    Token,
    /// No registration endpoint at all.
    Off,
}

/// A test user who can log in on the login page.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UserConfig {
    pub username: String,
    pub password: String,
    /// Stable subject identifier; derived from the username when unset.
    pub sub: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Secrets print as `[redacted]`.
impl std::fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserConfig")
            .field("username", &self.username)
            .field("password", &Redacted)
            .field("sub", &self.sub)
            .field("name", &self.name)
            .field("email", &self.email)
            .finish()
    }
}

/// A pre-registered OAuth client.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ClientConfig {
    pub client_id: String,
    /// Absent for public clients.
    pub client_secret: Option<String>,
    pub name: String,
    pub logo_uri: Option<String>,
    pub redirect_uris: Vec<String>,
    /// Scopes the client may ask for; every known scope when empty.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Scopes granted when a request names none (RFC 6749 §3.3).
    #[serde(default)]
    pub default_scopes: Vec<String>,
    #[serde(default = "default_grant_types")]
    pub grant_types: Vec<String>,
    /// Show the consent page. Skipping it is an explicit, per-client choice.
    #[serde(default = "yes")]
    pub consent: bool,
    /// Access-token format for this client; the server default when unset.
    pub access_token_format: Option<TokenFormat>,
    /// May introspect tokens issued to other clients (a resource server).
    #[serde(default)]
    pub introspect_any: bool,
}

/// Secrets print as `[redacted]`.
impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &RedactedOption::of(&self.client_secret))
            .field("name", &self.name)
            .field("logo_uri", &self.logo_uri)
            .field("redirect_uris", &self.redirect_uris)
            .field("scopes", &self.scopes)
            .field("default_scopes", &self.default_scopes)
            .field("grant_types", &self.grant_types)
            .field("consent", &self.consent)
            .field("access_token_format", &self.access_token_format)
            .field("introspect_any", &self.introspect_any)
            .finish()
    }
}

fn default_grant_types() -> Vec<String> {
    vec!["authorization_code".into(), "refresh_token".into()]
}

fn yes() -> bool {
    true
}

/// A scope with the sentence the consent page shows for it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ScopeConfig {
    pub name: String,
    pub description: String,
    /// User claims this scope releases at the userinfo endpoint.
    #[serde(default)]
    pub claims: Vec<String>,
}

/// A fixtures file that could not be used, with the reason.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("fixtures are not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("fixtures are inconsistent: {0}")]
    Invalid(String),
}

impl Config {
    /// The embedded default fixtures.
    pub fn defaults() -> Config {
        // The embedded file is checked by a unit test, so this cannot fail at run time.
        Config::from_toml(DEFAULT_FIXTURES).unwrap_or_default()
    }

    /// Parse and validate a fixtures file.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Reject fixtures the server could not honour.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        let mut seen = BTreeMap::new();
        for client in &self.clients {
            if seen.insert(client.client_id.as_str(), ()).is_some() {
                return invalid(format!("client `{}` is defined twice", client.client_id));
            }
            for uri in &client.redirect_uris {
                match url::Url::parse(uri) {
                    Ok(u) if u.fragment().is_none() => {}
                    _ => {
                        return invalid(format!(
                            "client `{}`: redirect URI `{uri}` must be absolute and have no fragment",
                            client.client_id
                        ));
                    }
                }
            }
            for scope in client.scopes.iter().chain(&client.default_scopes) {
                if !self.scopes.iter().any(|s| &s.name == scope) {
                    return invalid(format!("client `{}` names unknown scope `{scope}`", client.client_id));
                }
            }
        }
        let mut users = BTreeMap::new();
        for user in &self.users {
            if users.insert(user.username.as_str(), ()).is_some() {
                return invalid(format!("user `{}` is defined twice", user.username));
            }
        }
        let path = &self.server.issuer_path;
        if !path.is_empty() && (!path.starts_with('/') || path.ends_with('/')) {
            return invalid(format!("issuer_path `{path}` must start with `/` and not end with one"));
        }
        for (url, document) in &self.server.client_metadata_documents {
            if !url::Url::parse(url).is_ok_and(|u| u.scheme() == "https" || u.scheme() == "http") {
                return invalid(format!(
                    "client metadata document `{url}`: its key must be the document's URL"
                ));
            }
            if !document.is_object() {
                return invalid(format!(
                    "client metadata document `{url}` must be a JSON object (a TOML table)"
                ));
            }
        }
        if let Some(issuer) = &self.server.issuer {
            match url::Url::parse(issuer) {
                Ok(u) if u.query().is_none() && u.fragment().is_none() => {}
                _ => {
                    return invalid(format!(
                        "issuer `{issuer}` must be an absolute URL without query or fragment"
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_the_configuration_print_redacted_under_debug() {
        let client = ClientConfig::confidential("web", "client-secret-value", ["https://app.example/cb"]);
        let user = UserConfig::new("alice", "alice-password-value");
        let settings = Settings {
            admin_key: Some("admin-key-value".into()),
            registration_token: Some("initial-token-value".into()),
            ..Settings::default()
        };
        let shown = format!(
            "{client:?} {user:?} {settings:?} {:?}",
            Config { clients: vec![client.clone()], ..Config::default() }
        );
        for secret in
            ["client-secret-value", "alice-password-value", "admin-key-value", "initial-token-value"]
        {
            assert!(!shown.contains(secret), "{secret} shows in {shown}");
        }
        assert!(shown.contains("client_secret: Some([redacted])"), "{shown}");
        assert!(shown.contains("client_id: \"web\""), "the rest still shows: {shown}");
    }

    #[test]
    fn redacting_debug_leaves_the_fixtures_format_alone() {
        let client = ClientConfig::confidential("web", "s", ["https://app.example/cb"]);
        let text = toml::to_string(&client).expect("serialize");
        assert!(text.contains("client_secret = \"s\""), "{text}");
    }

    #[test]
    fn embedded_fixtures_parse_and_validate() {
        let config = Config::from_toml(DEFAULT_FIXTURES).expect("default fixtures");
        assert!(config.users.iter().any(|u| u.username == "alice"));
        assert!(config.scopes.iter().any(|s| s.name == "projects:read"));
    }

    #[test]
    fn rejects_a_client_with_a_fragment_redirect_uri() {
        let text = r#"
            [[clients]]
            client_id = "x"
            name = "X"
            redirect_uris = ["https://a.example/cb#frag"]
        "#;
        let err = Config::from_toml(text).unwrap_err().to_string();
        assert!(err.contains("no fragment"), "{err}");
    }
}
