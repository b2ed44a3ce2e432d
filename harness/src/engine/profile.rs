//! Target profiles (TOML): what a real deployment needs beyond its issuer URL, namely
//! pre-registered clients, a test user, the interaction profile, the protected resource, the
//! MCP version, features to skip, extra headers and options for spec conflicts.
//!
//! Layer: engine; imports `engine::interact`, `engine::origin`, `model::secret`; never the render
//! or commands layers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::interact::InteractionProfile;
use crate::model::secret::Secret;

/// A target profile.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// A label for reports.
    pub name: Option<String>,
    pub issuer: Option<String>,
    /// A built-in interaction profile name (`fake-server`, `node-oidc-provider`) or a file path.
    pub interaction: Option<String>,
    /// A session cookie (`name=value`) to use instead of logging in (the session driver).
    pub session_cookie: Option<Secret>,
    /// The protected resource (an MCP server URL).
    pub resource: Option<String>,
    /// The scopes a token needs at `resource` (space-separated), requested by the scenarios
    /// that must be let in.
    pub resource_scope: Option<String>,
    /// A second resource indicator the authorization server issues tokens for, to prove that
    /// `resource` refuses tokens meant for someone else (RFC 8707, MCP audience binding).
    pub other_resource: Option<String>,
    pub mcp_version: Option<String>,
    /// The initial access token (RFC 7591 §3) the server requires at its registration
    /// endpoint; every registration sends it unless a step names its own `token`.
    pub registration_token: Option<Secret>,
    /// Features (`feature:NAME`) or scenario ids to skip, with the reason shown.
    #[serde(default)]
    pub skip: Vec<String>,
    /// Client roles: `confidential`, `public`, `other`, ... as the suites name them.
    #[serde(default)]
    pub clients: BTreeMap<String, ClientProfile>,
    pub user: Option<UserProfile>,
    /// Headers added to every request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Choices between conflicting specifications (SPEC.md "Conflicts"), e.g. `client_auth`.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Origins the login and consent pages may live on besides the issuer's.
    #[serde(default)]
    pub interaction_origins: Vec<String>,
    /// Origins besides the issuer's that may receive the run's credentials (client secrets,
    /// the user's password, registration and issued tokens): an API host the metadata points
    /// to, say. `scheme://host:port`, or `scheme://host:*` for any port.
    #[serde(default)]
    pub trusted_origins: Vec<String>,
    /// The browser origin used for CORS checks.
    pub origin: Option<String>,
    /// Metadata members to assume when the server's own document lacks them, e.g. an
    /// introspection endpoint a vendor documents but does not advertise. The server's own
    /// values always win, and discovery checks still read the real document.
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Client roles the harness tried to register for this run and could not, with the
    /// server's answer (filled in at run time, never read from a file).
    #[serde(skip)]
    pub registration_failures: BTreeMap<String, String>,
    /// Clerk's Backend API, for the scenarios that verify tokens the way Clerk's SDKs do
    /// (`requires = ["clerk_api"]`).
    pub clerk: Option<ClerkApi>,
    /// The identity provider of enterprise-managed authorization (ID-JAG), when it is not the
    /// target itself: a profile of its own (`issuer`, `interaction`, `clients`, `user`, ...)
    /// that the target trusts to issue ID-JAGs. Steps with `at = "idp"` go there.
    pub idp: Option<Box<Profile>>,
    /// Start the bundled fake server as that identity provider, listening on this loopback
    /// address (`127.0.0.1:9410`; port 0 picks one), with the fake-server profile and keys of
    /// its own. The bundled target trusts it; another target must be told its issuer and JWKS,
    /// which the run prints.
    pub bundled_idp: Option<String>,
}

/// Where Clerk's backend SDKs verify OAuth access tokens: the Backend API URL and the
/// instance's secret key (`sk_test_…` / `sk_live_…`), sent as a Bearer token.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClerkApi {
    /// `https://api.clerk.com`, without the `/v1` version segment.
    pub api_url: String,
    pub secret_key: String,
}

impl std::fmt::Debug for ClerkApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClerkApi").field("api_url", &self.api_url).field("secret_key", &"[redacted]").finish()
    }
}

/// A pre-registered client.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientProfile {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// The redirect URI authorization requests use.
    pub redirect_uri: Option<String>,
    /// `client_secret_basic` (default for confidential clients), `client_secret_post` or `none`.
    pub auth_method: Option<String>,
    /// Every method the client may authenticate with, when the server allows more than the
    /// registered one; `[auth_method]` when unset (RFC 7591 §2: one method per client).
    pub auth_methods: Option<Vec<String>>,
    /// The grant types the client may use; unset means any the scenarios ask for.
    pub grant_types: Option<Vec<String>>,
    /// The scope requested when a scenario names none.
    pub scope: Option<String>,
    /// The client's display name, as the consent page should show it.
    pub name: Option<String>,
    /// The resource indicator (RFC 8707) this client's authorization and token requests send
    /// when a scenario names none (`resource = []` in a step sends none). For servers that
    /// choose the access token format per resource, such as a `jwt` client that gets JWTs
    /// only for one API.
    pub resource: Option<String>,
}

/// The test user who logs in.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserProfile {
    pub username: String,
    pub password: Secret,
}

/// The loopback socket address of `bundled_idp` (`127.0.0.1:9410`; port 0 picks one).
pub fn bundled_idp_address(text: &str) -> Result<std::net::SocketAddr, String> {
    text.parse::<std::net::SocketAddr>().ok().filter(|a| a.ip().is_loopback()).ok_or_else(|| {
        format!("`bundled_idp` must be a loopback address such as 127.0.0.1:9410, not `{text}`")
    })
}

/// Built-in target profiles, by name.
pub const BUILTIN_PROFILES: &[(&str, &str)] = &[
    ("fake-server", include_str!("../../../fixtures/profiles/fake-server.toml")),
    ("node-oidc-provider", include_str!("../../../fixtures/profiles/node-oidc-provider.toml")),
    ("clerk", include_str!("../../../fixtures/profiles/clerk.toml")),
    ("django-oauth-toolkit", include_str!("../../../fixtures/profiles/django-oauth-toolkit.toml")),
    ("glewlwyd", include_str!("../../../fixtures/profiles/glewlwyd.toml")),
];

/// The choice an option takes when the profile leaves it unset. An option without a default
/// here (`client_auth`) runs the scenarios of every choice, so a server must satisfy all of them.
/// `token_redirect_uri`: RFC 6749 §4.1.3 requires `redirect_uri` at the token endpoint when the
/// authorization request carried it, OAuth 2.1 §10.2 removed it; OAuth 2.1 is the default.
pub const OPTION_DEFAULTS: &[(&str, &str)] = &[("token_redirect_uri", "oauth2.1")];

/// Built-in interaction profiles, by name.
pub const BUILTIN_INTERACTIONS: &[(&str, &str)] = &[
    ("fake-server", include_str!("../../../fixtures/profiles/fake-server-ui.toml")),
    ("node-oidc-provider", include_str!("../../../fixtures/profiles/node-oidc-provider-ui.toml")),
    ("django-oauth-toolkit", include_str!("../../../fixtures/profiles/django-oauth-toolkit-ui.toml")),
    ("glewlwyd", include_str!("../../../fixtures/profiles/glewlwyd-ui.toml")),
];

impl Profile {
    /// Parse a profile; `{issuer}` in any string is replaced by `issuer` when given.
    pub fn parse(text: &str, issuer: Option<&str>) -> Result<Profile, String> {
        let text = match issuer {
            Some(i) => text.replace("{issuer}", i),
            None => text.to_string(),
        };
        let profile: Profile = toml::from_str(&text).map_err(|e| e.to_string().trim().to_string())?;
        crate::engine::origin::validate_origins(&profile.trusted_origins)?;
        if let Some(idp) = &profile.idp {
            if profile.bundled_idp.is_some() {
                return Err("`[idp]` and `bundled_idp` name two identity providers: keep one".into());
            }
            if idp.issuer.is_none() {
                return Err("`[idp]` needs the identity provider's `issuer`".into());
            }
            if idp.idp.is_some() || idp.bundled_idp.is_some() {
                return Err("`[idp]` cannot name an identity provider of its own".into());
            }
            crate::engine::origin::validate_origins(&idp.trusted_origins)?;
        }
        if let Some(addr) = &profile.bundled_idp {
            bundled_idp_address(addr)?;
        }
        Ok(profile)
    }

    /// A built-in profile by name.
    pub fn builtin(name: &str, issuer: Option<&str>) -> Option<Result<Profile, String>> {
        BUILTIN_PROFILES.iter().find(|(n, _)| *n == name).map(|(_, text)| Profile::parse(text, issuer))
    }

    /// Does the profile define client `ROLE`, or with `ROLE.FIELD`, that client's `FIELD`?
    pub fn has_client(&self, spec: &str) -> bool {
        let (role, field) = match spec.split_once('.') {
            Some((r, f)) => (r, Some(f)),
            None => (spec, None),
        };
        let Some(client) = self.clients.get(role) else { return false };
        match field {
            None => true,
            Some(f) => serde_json::to_value(client)
                .ok()
                .and_then(|v| v.get(f).cloned())
                .is_some_and(|v| !v.is_null()),
        }
    }

    /// Add the profile's `metadata` members the discovered document lacks.
    pub fn fill_metadata(&self, metadata: &mut serde_json::Value) {
        let serde_json::Value::Object(doc) = metadata else { return };
        for (k, v) in &self.metadata {
            if doc.get(k).is_none_or(serde_json::Value::is_null) {
                doc.insert(k.clone(), v.clone());
            }
        }
    }

    /// The profile's choice for a spec-conflict option, or its default (`OPTION_DEFAULTS`).
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .get(key)
            .map(String::as_str)
            .or_else(|| OPTION_DEFAULTS.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
    }

    /// Is a feature or scenario id listed under `skip`?
    pub fn skips(&self, what: &str) -> bool {
        self.skip.iter().any(|s| s == what)
    }
}

/// Load an interaction profile: a built-in name or a file.
pub fn interaction_profile(name_or_path: &str) -> Result<InteractionProfile, String> {
    let text = match BUILTIN_INTERACTIONS.iter().find(|(n, _)| *n == name_or_path) {
        Some((_, t)) => t.to_string(),
        None => std::fs::read_to_string(name_or_path).map_err(|e| {
            let names: Vec<&str> = BUILTIN_INTERACTIONS.iter().map(|(n, _)| *n).collect();
            format!(
                "interaction profile `{name_or_path}` is neither built in ({}) nor a readable file: {e}",
                names.join(", ")
            )
        })?,
    };
    let profile: InteractionProfile = toml::from_str(&text)
        .map_err(|e| format!("interaction profile `{name_or_path}`: {}", e.to_string().trim()))?;
    profile.validate().map_err(|e| format!("interaction profile `{name_or_path}`: {e}"))?;
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_parse_and_name_their_interaction_profiles() {
        for (name, _) in BUILTIN_PROFILES {
            let p = Profile::builtin(name, Some("http://127.0.0.1:1")).unwrap().unwrap();
            let ui = p.interaction.as_deref().unwrap_or("fake-server");
            interaction_profile(ui).unwrap();
            assert!(p.clients.contains_key("confidential"), "{name}");
        }
    }

    #[test]
    fn a_client_requirement_may_name_a_field_of_the_client() {
        let p = Profile::parse("[clients.public]\nclient_id = \"p\"\nname = \"P\"\n", None).unwrap();
        assert!(p.has_client("public") && p.has_client("public.name"));
        assert!(!p.has_client("public.client_secret") && !p.has_client("other"));
    }

    #[test]
    fn profile_metadata_fills_only_what_the_server_leaves_out() {
        let p = Profile::parse(
            "[metadata]\nintrospection_endpoint = \"{issuer}/oauth/token_info\"\ntoken_endpoint = \"x\"\n",
            Some("https://h"),
        )
        .unwrap();
        let mut doc = serde_json::json!({"token_endpoint": "https://h/token"});
        p.fill_metadata(&mut doc);
        assert_eq!(doc["introspection_endpoint"], "https://h/oauth/token_info");
        assert_eq!(doc["token_endpoint"], "https://h/token");
        let mut missing = serde_json::Value::Null;
        p.fill_metadata(&mut missing);
        assert!(missing.is_null(), "no document, nothing to fill");
    }

    #[test]
    fn an_identity_provider_is_one_profile_with_an_issuer_or_the_bundled_server_on_loopback() {
        let p = Profile::parse(
            "[idp]\nissuer = \"https://idp.example\"\n[idp.user]\nusername = \"u\"\npassword = \"pw\"\n",
            None,
        )
        .unwrap();
        assert_eq!(p.idp.as_ref().and_then(|i| i.issuer.as_deref()), Some("https://idp.example"));
        assert!(p.idp.as_ref().is_some_and(|i| i.user.is_some()));
        assert!(Profile::parse("bundled_idp = \"127.0.0.1:9410\"\n", None).is_ok());
        let refused = [
            ("[idp]\nname = \"x\"\n", "needs the identity provider's `issuer`"),
            ("bundled_idp = \"0.0.0.0:9410\"\n", "loopback"),
            ("bundled_idp = \"localhost\"\n", "loopback"),
            ("bundled_idp = \"127.0.0.1:0\"\n[idp]\nissuer = \"https://i\"\n", "keep one"),
            ("[idp]\nissuer = \"https://i\"\n[idp.idp]\nissuer = \"https://j\"\n", "of its own"),
        ];
        for (text, why) in refused {
            let e = Profile::parse(text, None).expect_err(text);
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn an_unset_option_takes_its_default_and_a_set_one_wins() {
        let unset = Profile::parse("", None).unwrap();
        assert_eq!(unset.option("token_redirect_uri"), Some("oauth2.1"));
        assert_eq!(unset.option("client_auth"), None, "no default: every choice runs");
        let set = Profile::parse("[options]\ntoken_redirect_uri = \"rfc6749\"\n", None).unwrap();
        assert_eq!(set.option("token_redirect_uri"), Some("rfc6749"));
    }

    #[test]
    fn debug_output_of_a_profile_holds_no_secret() {
        let text = format!(
            "registration_token = \"iat-42\"\nsession_cookie = \"sid=cookie-7\"\n{}",
            BUILTIN_PROFILES[0].1
        );
        let p = Profile::parse(&text, Some("http://h:1")).unwrap();
        let shown = format!("{p:?}");
        assert!(shown.contains("conformance-confidential"), "ids stay readable: {shown}");
        for secret in ["s3cr:t+/%val ue", "alice-password", "other-secret", "iat-42", "cookie-7"] {
            assert!(!shown.contains(secret), "`{secret}` printed: {shown}");
        }
        assert_eq!(
            p.clients["confidential"].client_secret.as_ref().map(Secret::expose),
            Some("s3cr:t+/%val ue")
        );
    }

    #[test]
    fn a_clerk_api_table_is_read_and_its_secret_key_never_printed() {
        let p = Profile::parse(
            "[clerk]\napi_url = \"{issuer}\"\nsecret_key = \"sk_test_x\"\n",
            Some("http://h:1"),
        )
        .unwrap();
        let clerk = p.clerk.expect("a [clerk] table");
        assert_eq!((clerk.api_url.as_str(), clerk.secret_key.as_str()), ("http://h:1", "sk_test_x"));
        assert!(!format!("{clerk:?}").contains("sk_test_x"));
        assert!(Profile::parse("[clerk]\napi_url = \"x\"\n", None).is_err(), "the secret key is required");
    }

    #[test]
    fn trusted_origins_are_read_and_a_value_that_is_no_origin_is_refused() {
        let p = Profile::parse("trusted_origins = [\"https://api.example\", \"http://localhost:*\"]", None)
            .unwrap();
        assert_eq!(p.trusted_origins.len(), 2);
        let e = Profile::parse("trusted_origins = [\"https://api.example/v1\"]", None).unwrap_err();
        assert!(e.contains("trusted_origins") && e.contains("https://api.example/v1"), "{e}");
    }

    #[test]
    fn the_issuer_placeholder_is_filled_in() {
        let p = Profile::parse("resource = \"{issuer}/mcp\"", Some("http://h:1")).unwrap();
        assert_eq!(p.resource.as_deref(), Some("http://h:1/mcp"));
    }
}
