//! Getting the target ready: start the bundled fake server when there is no issuer, fill in
//! the profile, discover the metadata once, and register clients the profile lacks when the
//! server allows open registration.
//!
//! Layer: engine, at its top with [`crate::engine::run`]: it imports the agent, the profile,
//! the trust rules, the clean-up ledger and the steps' environment, and the result model.

use std::sync::Arc;
use std::time::Duration;

use fake_server::FakeServer;
use serde_json::{Value, json};

use crate::engine::agent::{Agent, Body, Limits, Request};
use crate::engine::browser::{self, Browser};
use crate::engine::cleanup::Ledger;
use crate::engine::interact::Driver;
use crate::engine::manual::Person;
use crate::engine::profile::{ClientProfile, Profile, interaction_profile};
use crate::engine::steps::{ClockHandle, Env, WellKnown, discover_url, string_list};
use crate::engine::trust::Trust;
use crate::model::outcome::{IdpTarget, Target};
use crate::model::secret::Secret;

/// The MCP specification version used when none is chosen.
pub const LATEST_MCP: &str = "2026-07-28";

/// Every MCP specification version `--mcp-version` accepts, oldest first.
pub const MCP_VERSIONS: &[&str] = &["2025-03-26", "2025-06-18", "2025-11-25", LATEST_MCP];

/// What names the target and how to reach it, validated (the command layer resolves it from
/// the command line and the profile file).
#[derive(Debug, Clone)]
pub struct TargetSettings {
    /// `None` starts the bundled fake server.
    pub issuer: Option<String>,
    /// The profile's TOML text (`{issuer}` is filled in once the issuer is known) and its label.
    pub profile_text: String,
    pub profile_label: Option<String>,
    pub resource: Option<String>,
    pub mcp_version: Option<String>,
    pub faults: Vec<fake_server::Fault>,
    /// Legitimate variants switched on in the bundled fake server.
    pub variants: Vec<fake_server::Variant>,
    /// A path for the bundled fake server's issuer (`/tenant`), to test path issuers.
    pub fake_issuer_path: Option<String>,
    /// An initial access token the bundled fake server requires to register.
    pub fake_registration_token: Option<String>,
    /// The interaction driver, over the interaction profile's.
    pub driver: Option<Driver>,
    /// The browser executable of the browser driver.
    pub browser: Option<std::path::PathBuf>,
    /// How long the manual driver waits for the person's answer.
    pub manual_timeout: Duration,
    /// The manual driver's person, when a library user brings one (else the terminal's).
    pub person: Option<Arc<crate::engine::manual::Person>>,
    /// The client program of `oauth-conformance client`.
    pub client: Option<Arc<crate::engine::steps::program::ClientRun>>,
    pub limits: Limits,
}

/// A target ready for scenarios. Keeps the embedded server alive while it lives.
#[derive(Debug)]
pub struct Prepared {
    pub env: Env,
    pub target: Target,
    pub server: Option<Arc<FakeServer>>,
    /// The bundled identity provider (`bundled_idp`), kept alive as long as the target.
    pub idp_server: Option<Arc<FakeServer>>,
}

/// The bundled server's profile names its admin key, which serves as the Clerk secret key,
/// as `{admin_key}`: filled in for the embedded server; with any other target the key is
/// unknown, so the Clerk API table is dropped and its scenarios are skipped.
fn fill_admin_key(profile: &mut Profile, server: Option<&FakeServer>) {
    let Some(clerk) = profile.clerk.as_mut() else { return };
    if clerk.secret_key.contains("{admin_key}") {
        match server {
            Some(s) => clerk.secret_key = clerk.secret_key.replace("{admin_key}", s.admin_key()),
            None => profile.clerk = None,
        }
    }
}

/// Why a target could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The bundled fake server did not start: our fault, not the user's.
    #[error("cannot start the bundled fake server: {0}")]
    Startup(String),
    /// The profile, or the interaction profile it names, does not fit the target.
    #[error("{0}")]
    Config(String),
}

/// The interaction driver a run will use: the command's, else the interaction profile's.
pub fn driver(settings: &TargetSettings) -> Driver {
    settings.driver.unwrap_or_else(|| {
        Profile::parse(&settings.profile_text, None)
            .ok()
            .and_then(|p| interaction_profile(p.interaction.as_deref().unwrap_or("fake-server")).ok())
            .map_or(Driver::Form, |i| i.driver)
    })
}

/// Prepare the target, noting in `ledger` what the preparation creates on it.
pub async fn prepare(settings: &TargetSettings, ledger: Arc<Ledger>) -> Result<Prepared, PrepareError> {
    crate::install_crypto_provider();
    // The bundled identity provider starts first: the bundled target is told to trust it.
    let bundled_idp = match bundled_idp_address(&settings.profile_text)? {
        Some(addr) => Some(BundledIdp::start(addr, settings).await?),
        None => None,
    };
    let (issuer, server) = match &settings.issuer {
        Some(i) => (i.trim_end_matches('/').to_string(), None),
        None => {
            // The harness hosts client ID metadata documents on 127.0.0.1 (the `host` step);
            // the embedded server shares that loopback, which CIMD §6.5 allows it to fetch.
            let mut builder = FakeServer::builder().settings(|s| s.allow_insecure_cimd = true);
            for f in &settings.faults {
                builder = builder.fault(*f);
            }
            for v in &settings.variants {
                builder = builder.variant(*v);
            }
            if let Some(token) = settings.fake_registration_token.clone() {
                builder = builder.settings(|s| {
                    s.registration = fake_server::RegistrationPolicy::Token;
                    s.registration_token = Some(token);
                });
            }
            if let Some(idp) = &bundled_idp {
                let trusted = fake_server::TrustedIdp { issuer: idp.issuer.clone(), jwks: idp.jwks.clone() };
                builder = builder.settings(move |s| s.id_jag_issuers.push(trusted));
            }
            if let Some(path) = &settings.fake_issuer_path {
                // Under a path, also serve the origin-root endpoints MCP 2025-03-26 clients use.
                builder = builder.issuer_path(path).settings(|s| s.legacy_root_endpoints = true);
            }
            let server = builder.try_start().await.map_err(|e| PrepareError::Startup(e.to_string()))?;
            (server.issuer().to_string(), Some(Arc::new(server)))
        }
    };
    let mut profile = Profile::parse(&settings.profile_text, Some(&issuer)).map_err(PrepareError::Config)?;
    if settings.resource.is_some() {
        profile.resource = settings.resource.clone();
    }
    if settings.fake_registration_token.is_some() {
        profile.registration_token = settings.fake_registration_token.clone().map(Secret::from);
    }
    fill_admin_key(&mut profile, server.as_deref());
    let mcp_version =
        settings.mcp_version.clone().or(profile.mcp_version.clone()).unwrap_or_else(|| LATEST_MCP.into());
    let mut interaction = interaction_profile(profile.interaction.as_deref().unwrap_or("fake-server"))
        .map_err(PrepareError::Config)?;
    if let Some(d) = settings.driver {
        interaction.driver = d;
    }
    let person = match interaction.driver {
        Driver::Manual => Some(
            settings.person.clone().unwrap_or_else(|| Arc::new(Person::at_terminal(settings.manual_timeout))),
        ),
        _ => None,
    };
    let browser = match interaction.driver {
        Driver::Form | Driver::Manual => None,
        Driver::Browser => {
            let path = browser::find(settings.browser.as_deref())
                .map_err(|e| PrepareError::Config(e.to_string()))?;
            // A page load is several requests and a render: twice the per-request timeout.
            let launched = Browser::launch(&path, settings.limits.timeout * 2)
                .await
                .map_err(|e| PrepareError::Config(e.to_string()))?;
            Some(Arc::new(launched))
        }
    };
    let clock: Option<ClockHandle> = server.clone().map(|s| {
        let handle: ClockHandle = Arc::new(move |d| s.advance(d));
        handle
    });
    let idp_profile: Option<Profile> = match &bundled_idp {
        Some(idp) => Some(idp.profile.clone()),
        None => profile.idp.as_deref().cloned(),
    };
    let idp_issuer =
        idp_profile.as_ref().and_then(|p| p.issuer.clone()).map(|i| i.trim_end_matches('/').to_string());
    let trust =
        Arc::new(Trust::for_target(&issuer, &profile, idp_issuer.as_deref().zip(idp_profile.as_ref())));
    let (mut metadata, discovery_error) = discover(&issuer, settings, &trust).await;
    profile.fill_metadata(&mut metadata);
    let mut env = Env {
        issuer: issuer.clone(),
        metadata,
        profile,
        interaction,
        clock,
        embedded: server.is_some(),
        limits: settings.limits,
        mcp_version: mcp_version.clone(),
        ledger,
        trust,
        browser,
        person,
        client: settings.client.clone(),
        idp: None,
    };
    if let (Some(idp_issuer), Some(idp_profile)) = (idp_issuer.clone(), idp_profile) {
        let mut idp_metadata = match &bundled_idp {
            Some(idp) => idp.metadata.clone(),
            None => match discover(&idp_issuer, settings, &env.trust).await {
                (metadata, None) => metadata,
                (_, Some(e)) => {
                    return Err(PrepareError::Config(format!("the identity provider at {idp_issuer}: {e}")));
                }
            },
        };
        idp_profile.fill_metadata(&mut idp_metadata);
        let mut idp_interaction =
            interaction_profile(idp_profile.interaction.as_deref().unwrap_or("fake-server"))
                .map_err(PrepareError::Config)?;
        if let Some(d) = settings.driver {
            idp_interaction.driver = d;
        }
        if idp_interaction.driver != env.interaction.driver {
            return Err(PrepareError::Config(format!(
                "the identity provider's interaction profile uses the {:?} driver and the target's the {:?} driver; one run drives one kind",
                idp_interaction.driver, env.interaction.driver
            )));
        }
        env.idp = Some(Box::new(Env {
            issuer: idp_issuer,
            metadata: idp_metadata,
            profile: idp_profile,
            interaction: idp_interaction,
            clock: None,
            embedded: bundled_idp.is_some(),
            limits: settings.limits,
            mcp_version: mcp_version.clone(),
            ledger: env.ledger.clone(),
            trust: env.trust.clone(),
            browser: env.browser.clone(),
            person: env.person.clone(),
            client: None,
            idp: None,
        }));
    }
    if discovery_error.is_none() {
        register_missing_clients(&mut env).await;
    }
    let target = Target {
        issuer,
        embedded: server.is_some(),
        profile: settings.profile_label.clone(),
        mcp_version,
        client_run: settings.client.is_some(),
        faults: settings.faults.iter().map(|f| f.name().to_string()).collect(),
        variants: settings.variants.iter().map(|v| v.name().to_string()).collect(),
        discovery_error,
        idp: idp_issuer.map(|issuer| IdpTarget { issuer, bundled: bundled_idp.is_some() }),
    };
    Ok(Prepared { env, target, server, idp_server: bundled_idp.map(|b| b.server) })
}

/// The target as the settings name it, for a run interrupted before it was prepared.
pub fn describe(settings: &TargetSettings) -> Target {
    Target {
        issuer: settings.issuer.clone().unwrap_or_else(|| "(the bundled fake server, not started)".into()),
        embedded: settings.issuer.is_none(),
        profile: settings.profile_label.clone(),
        mcp_version: settings.mcp_version.clone().unwrap_or_else(|| LATEST_MCP.into()),
        client_run: settings.client.is_some(),
        faults: settings.faults.iter().map(|f| f.name().to_string()).collect(),
        variants: settings.variants.iter().map(|v| v.name().to_string()).collect(),
        discovery_error: None,
        idp: None,
    }
}

/// The loopback address the profile's `bundled_idp` names, read before the profile itself
/// (which needs the target's issuer).
fn bundled_idp_address(profile_text: &str) -> Result<Option<std::net::SocketAddr>, PrepareError> {
    let table: toml::Table = match toml::from_str(profile_text) {
        Ok(t) => t,
        // The full parse reports what is wrong with the file.
        Err(_) => return Ok(None),
    };
    match table.get("bundled_idp") {
        None => Ok(None),
        Some(toml::Value::String(text)) => {
            crate::engine::profile::bundled_idp_address(text).map(Some).map_err(PrepareError::Config)
        }
        Some(other) => Err(PrepareError::Config(format!("`bundled_idp` must be a string, not {other}"))),
    }
}

/// The signing keys of the bundled identity provider: fixed, public, and not the bundled
/// target's, so a target that checks an ID-JAG with its own keys is caught.
const IDP_RSA_PEM: &str = include_str!("../../../fixtures/keys/bundled-idp-signing.pem");
const IDP_ES256_PEM: &str = include_str!("../../../fixtures/keys/bundled-idp-signing-es256.pem");
const IDP_EDDSA_PEM: &str = include_str!("../../../fixtures/keys/bundled-idp-signing-eddsa.pem");

/// The bundled fake server started as the identity provider of enterprise-managed
/// authorization, with its profile and the JWK Set a target must trust.
struct BundledIdp {
    server: Arc<FakeServer>,
    issuer: String,
    metadata: Value,
    jwks: Value,
    profile: Profile,
}

impl BundledIdp {
    async fn start(
        addr: std::net::SocketAddr,
        settings: &TargetSettings,
    ) -> Result<BundledIdp, PrepareError> {
        let server = FakeServer::builder()
            .bind(addr)
            .settings(|s| {
                s.signing_key_pem = Some(IDP_RSA_PEM.to_string());
                s.es256_key_pem = Some(IDP_ES256_PEM.to_string());
                s.eddsa_key_pem = Some(IDP_EDDSA_PEM.to_string());
            })
            .try_start()
            .await
            .map_err(|e| PrepareError::Startup(format!("the identity provider on {addr}: {e}")))?;
        let issuer = server.issuer().to_string();
        let mut profile = Profile::builtin("fake-server", Some(&issuer))
            .unwrap_or_else(|| Err("no built-in fake-server profile".into()))
            .map_err(PrepareError::Config)?;
        let trust = Arc::new(Trust::open());
        let (metadata, error) = discover(&issuer, settings, &trust).await;
        if let Some(e) = error {
            return Err(PrepareError::Startup(format!("the bundled identity provider: {e}")));
        }
        let jwks_uri = metadata.get("jwks_uri").and_then(Value::as_str).unwrap_or_default().to_string();
        let mut agent = Agent::new(settings.limits, Vec::new()).map_err(PrepareError::Startup)?;
        let jwks = match agent.send(Request::get(jwks_uri.clone())).await {
            Ok(resp) if resp.status == 200 => resp.json(),
            _ => None,
        }
        .ok_or_else(|| {
            PrepareError::Startup(format!("the bundled identity provider's JWKS at `{jwks_uri}`"))
        })?;
        profile.issuer = Some(issuer.clone());
        Ok(BundledIdp { server: Arc::new(server), issuer, metadata, jwks, profile })
    }
}

/// The metadata document, from the RFC 8414 location or one of the OpenID forms.
async fn discover(issuer: &str, settings: &TargetSettings, trust: &Arc<Trust>) -> (Value, Option<String>) {
    let mut agent = match Agent::new(settings.limits, Vec::new()) {
        Ok(a) => a.with_trust(trust.clone()),
        Err(e) => return (Value::Null, Some(e)),
    };
    let mut problems = Vec::new();
    let mut tried: Vec<String> = Vec::new();
    for form in WellKnown::AUTO {
        let Ok(url) = discover_url(issuer, form) else { continue };
        if tried.contains(&url) {
            continue;
        }
        tried.push(url.clone());
        match agent.send(Request::get(url.clone())).await {
            Ok(resp) if resp.status == 200 => match resp.json() {
                Some(v @ Value::Object(_)) => return (v, None),
                _ => problems.push(format!("{url}: answered 200 but not a JSON object")),
            },
            Ok(resp) => problems.push(format!("{url}: status {}", resp.status)),
            Err(e) => {
                problems.push(e.to_string());
                // An unreachable server will not answer the other forms either.
                break;
            }
        }
    }
    (Value::Null, Some(format!("no metadata document: {}", problems.join("; "))))
}

/// A client the harness registers for one or more roles.
struct Wanted {
    roles: &'static [&'static str],
    method: &'static str,
    redirects: Vec<&'static str>,
    grants: &'static [&'static str],
}

/// With `--issuer` alone, register the client roles the suites use that open registration
/// can make (RFC 7591), so a bare URL is enough for servers that allow it: `confidential` and
/// `other` (with client credentials where the server offers that grant), `machine` (client
/// credentials only), `public`, `query` (a redirect URI with a query) and `multi` / `localhost`
/// (one public client with a 127.0.0.1 and a localhost redirect URI), all with `openid profile`
/// (as far as the server lists them) as their default scope. The grant types and method the
/// server registered (it may replace what was asked, RFC 7591 §2) are what the profile keeps;
/// a registration the server refuses is remembered as the reason the role is missing.
async fn register_missing_clients(env: &mut Env) {
    let Some(endpoint) =
        env.metadata.get("registration_endpoint").and_then(Value::as_str).map(str::to_string)
    else {
        return;
    };
    let Ok(agent) = Agent::new(env.limits, Vec::new()) else { return };
    let mut agent = agent.noting(env.ledger.clone()).with_trust(env.trust.clone());
    let supports = |member: &str, value: &str| {
        env.metadata.get(member).and_then(Value::as_array).is_some_and(|a| a.iter().any(|v| v == value))
    };
    let client_credentials = supports("grant_types_supported", "client_credentials");
    const CODE: &[&str] = &["authorization_code", "refresh_token"];
    const ALL: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];
    let confidential_grants = if client_credentials { ALL } else { CODE };
    let role = |roles: &'static [&'static str], method, redirects: &[&'static str], grants| Wanted {
        roles,
        method,
        redirects: redirects.to_vec(),
        grants,
    };
    let mut wanted = vec![
        role(
            &["confidential"],
            "client_secret_basic",
            &["https://client.example.test/callback"],
            confidential_grants,
        ),
        role(
            &["other"],
            "client_secret_basic",
            &["https://other.example.test/callback"],
            confidential_grants,
        ),
        role(&["public"], "none", &["http://127.0.0.1/callback"], CODE),
        role(&["query"], "client_secret_basic", &["https://client.example.test/cb?tenant=a"], CODE),
        role(
            &["multi", "localhost"],
            "none",
            &["http://127.0.0.1/callback", "http://localhost/callback"],
            CODE,
        ),
    ];
    if client_credentials {
        wanted.push(role(&["machine"], "client_secret_basic", &[], &["client_credentials"]));
    }
    // The scope a scenario's requests carry when it names none, as a profile's clients have.
    let scope =
        ["openid", "profile"].iter().filter(|s| supports("scopes_supported", s)).copied().collect::<Vec<_>>();
    let scope = (!scope.is_empty()).then(|| scope.join(" "));
    for Wanted { roles, method, redirects, grants } in wanted {
        if roles.iter().all(|r| env.profile.clients.contains_key(*r)) {
            continue;
        }
        let name = format!("oauth-conformance {}", roles[0]);
        let mut body = json!({
            "client_name": name,
            "token_endpoint_auth_method": method,
            "grant_types": grants,
            "application_type": if method == "none" { "native" } else { "web" },
        });
        if !redirects.is_empty() {
            body["redirect_uris"] = json!(redirects);
            body["response_types"] = json!(["code"]);
        } else {
            body["response_types"] = json!([]);
        }
        let headers = match &env.profile.registration_token {
            Some(t) => vec![("authorization".to_string(), format!("Bearer {}", t.expose()))],
            None => Vec::new(),
        };
        let req =
            Request { method: reqwest::Method::POST, url: endpoint.clone(), headers, body: Body::Json(body) };
        let resp = match agent.send(req).await {
            Ok(resp) => resp,
            Err(e) => {
                for role in roles {
                    let why = format!("registering a `{role}` client failed: {e}");
                    env.profile.registration_failures.insert(role.to_string(), why);
                }
                continue;
            }
        };
        let reg = resp.json().filter(|_| resp.status == 201 || resp.status == 200);
        let Some((reg, id)) = reg.and_then(|r| {
            let id = r.get("client_id").and_then(Value::as_str)?.to_string();
            Some((r, id))
        }) else {
            let error = resp.json().and_then(|j| j.get("error").and_then(Value::as_str).map(str::to_string));
            let why = match error {
                Some(e) => format!("status {}, error `{e}`", resp.status),
                None => format!("status {}", resp.status),
            };
            for role in roles {
                env.profile.registration_failures.insert(
                    role.to_string(),
                    format!("registering a `{role}` client at {endpoint} failed: {why}"),
                );
            }
            continue;
        };
        let registered_method =
            reg.get("token_endpoint_auth_method").and_then(Value::as_str).unwrap_or(method).to_string();
        for (i, role) in roles.iter().enumerate() {
            if env.profile.clients.contains_key(*role) {
                continue;
            }
            env.profile.clients.insert(
                role.to_string(),
                ClientProfile {
                    client_id: id.clone(),
                    client_secret: reg.get("client_secret").and_then(Value::as_str).map(Secret::from),
                    redirect_uri: redirects.get(i).or(redirects.first()).map(|r| r.to_string()),
                    auth_method: Some(registered_method.clone()),
                    auth_methods: None,
                    grant_types: string_list(&reg, "grant_types")
                        .or_else(|| Some(grants.iter().map(|g| g.to_string()).collect())),
                    scope: scope.clone(),
                    name: Some(name.clone()),
                    resource: None,
                },
            );
        }
    }
}
