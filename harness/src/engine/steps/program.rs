//! `run_client`: run the client program under test (`oauth-conformance client -- COMMAND`)
//! against a fresh bundled fake server that records every request, play its user on the pages
//! the client opens with `$BROWSER`, deliver the redirect back to the client (tampered with
//! when the scenario attacks the client), and return what the client sent for the scenario
//! to judge.
//!
//! `$BROWSER` is a small script the step writes: it appends the URL it is given to a file the
//! step watches, and exits at once, as a browser launcher does.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use fake_server::{ClientConfig, FakeServer, RecordedRequest, SignIn};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Ctx, StepError};

/// The client program and how long each scenario may let it run.
#[derive(Debug, Clone)]
pub struct ClientRun {
    pub command: Vec<String>,
    pub timeout: Duration,
}

/// The faults of the deliberately flawed client (interop/clients/flawed-client), which client
/// scenarios name in `killed_by`.
pub const FLAWED_CLIENT_FAULTS: &[&str] = &[
    "no-pkce",
    "plain-pkce",
    "ignore-state",
    "ignore-iss",
    "no-resource",
    "token-in-query",
    "retry-on-deny",
    "double-client-auth",
    "register-anyway",
    "ignore-challenge-scope",
    "no-application-type",
    "skip-resource-metadata",
    "append-well-known",
    "no-step-up",
    "no-prm-fallback",
    "stale-refresh-token",
    "no-scope-fallback",
    "trust-metadata-resource",
    "no-refresh-grant-type",
    "offline-access-unlisted",
    "scope-when-undefined",
    "endless-step-up",
    "token-follows-redirect",
    "keep-client-on-new-server",
    "register-despite-document",
    "document-unadvertised",
    "secret-in-body",
    "token-redirect-uri-differs",
];

/// The pre-registered client a scenario with `credentials = "preregistered"` hands over.
pub const PREREGISTERED_ID: &str = "conformance-client-under-test";
const PREREGISTERED_SECRET: &str = "client-under-test-secret";
/// The most output of the client kept in the result.
const MAX_OUTPUT: usize = 8 * 1024;

/// What the user does on the pages the client opens.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UserAction {
    #[default]
    Approve,
    Deny,
}

/// How the redirect back to the client is tampered with before it is delivered.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    /// A `state` the client never sent (cross-site request forgery, RFC 6749 §10.12).
    State,
    /// Another issuer's `iss` (a mix-up, RFC 9207 §2.4).
    Iss,
}

/// How the client gets its credentials.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Credentials {
    /// None given: the client registers (or uses a metadata document) itself.
    #[default]
    Dynamic,
    /// `OAUTH_CLIENT_ID` and `OAUTH_CLIENT_SECRET` of a confidential client registered with
    /// loopback redirect URIs (`http://127.0.0.1/callback`, `http://localhost/callback`, any port).
    Preregistered,
    /// `OAUTH_CLIENT_METADATA_URL`: the https URL of the client's own client ID metadata
    /// document, a public native client with the same loopback redirect URIs. The fake server
    /// knows the document without fetching it; the client may use the URL as its `client_id`
    /// where the authorization server supports such documents.
    MetadataDocument,
}

/// The client ID metadata document URL a client under test is given (`.example` never resolves).
pub const METADATA_DOCUMENT_URL: &str = "https://client-under-test.example/oauth-client.json";

/// The document behind [`METADATA_DOCUMENT_URL`].
fn metadata_document() -> Value {
    serde_json::json!({
        "client_id": METADATA_DOCUMENT_URL,
        "client_name": "Client under test",
        "redirect_uris": ["http://127.0.0.1/callback", "http://localhost/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
    })
}

/// Parameters of a client run.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RunClient {
    #[serde(default)]
    pub user: UserAction,
    pub tamper: Option<Tamper>,
    #[serde(default)]
    pub credentials: Credentials,
    /// How the fake server the client meets differs from the bundled default.
    #[serde(default)]
    pub server: ClientServer,
    /// The user goes through at most this many authorization requests: when the client opens
    /// one more, the run stops there, the client is stopped, and the result's `stopped` says
    /// so. A client caught in a loop is then judged on what it did instead of running into
    /// the time limit.
    pub max_authorizations: Option<usize>,
}

/// The fake server of a client scenario: conformant configurations a client must cope with.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientServer {
    /// The issuer has this path (RFC 8414 §3.1), e.g. `/tenant`; the MCP server is under it.
    pub issuer_path: Option<IssuerPath>,
    /// Scopes a `tools/call` needs at the MCP server besides the ones its 401 names: calls
    /// get 403 `insufficient_scope` until the client steps up.
    #[serde(default)]
    pub tool_scopes: Vec<String>,
    /// Scopes the authorization server lets the client ask for but grants to no token (the
    /// fake server's `withheld_scopes`): with a tool scope among them, every tool call stays
    /// refused with 403 `insufficient_scope`, however often the client steps up.
    #[serde(default)]
    pub withheld_scopes: Vec<String>,
    /// `false`: the MCP server's challenges name no `resource_metadata`, and the client has to
    /// find the protected-resource metadata at its well-known URL (MCP 2025-11-25).
    pub challenge_names_metadata: Option<bool>,
    /// `false`: the MCP server's 401 names no `scope`, and the client has to choose from the
    /// protected-resource metadata's `scopes_supported` (MCP 2025-11-25).
    pub challenge_names_scope: Option<bool>,
    /// Requests the MCP server accepts with one access token before it revokes it, so the
    /// client has to refresh (the fake server's `mcp_token_uses`).
    pub token_uses: Option<u32>,
    /// How long the token endpoint waits before it answers, in milliseconds, as a remote
    /// server would (the fake server's `token_latency_ms`): concurrent refreshes overlap.
    pub token_latency_ms: Option<u64>,
    /// The `resource` the MCP server's protected-resource metadata names instead of its URL:
    /// a document about another resource, which the client must not use (RFC 9728 §3.3).
    pub metadata_resource: Option<String>,
    /// The scopes a token needs at the MCP server, which its 401 and its metadata's
    /// `scopes_supported` name (the fake server's `mcp_scopes`); `[]`: none, so neither names
    /// a scope.
    pub scopes: Option<Vec<String>>,
    /// `false`: the authorization server does not support `offline_access`: its metadata's
    /// `scopes_supported` leaves it out and a request for it is `invalid_scope`.
    pub offline_access: Option<bool>,
    /// `true`: the MCP server answers a tool call with `307` to another origin (the fake
    /// server's `mcp_redirect_tool_calls`); the run's `moved` and `tokens_sent_elsewhere` show
    /// whether the client followed and what it took along.
    pub redirect_tool_calls: Option<bool>,
    /// `false`: the authorization server does not support client ID metadata documents: its
    /// metadata has no `client_id_metadata_document_supported` and a URL `client_id` is an
    /// unknown client (the fake server's `cimd`).
    pub client_id_metadata_documents: Option<bool>,
    /// `true`: a second fake server runs beside the first, and the MCP server moves to it
    /// after the first request it accepts (the fake server's `mcp_moves_to`): its metadata
    /// then names the new issuer and its old tokens get 401. The run's `new_server` tells
    /// what the client sent there.
    pub moves_to_new_server: Option<bool>,
}

impl ClientServer {
    /// Change the bundled defaults where the scenario says so (the issuer path is the
    /// builder's own).
    fn apply(self, s: &mut fake_server::config::Settings) {
        if !self.tool_scopes.is_empty() {
            s.mcp_tool_scopes = self.tool_scopes;
        }
        s.withheld_scopes = self.withheld_scopes;
        if let Some(scopes) = self.scopes {
            s.mcp_scopes = scopes;
        }
        if let Some(named) = self.challenge_names_metadata {
            s.mcp_challenge_names_metadata = named;
        }
        if let Some(named) = self.challenge_names_scope {
            s.mcp_challenge_names_scope = named;
        }
        if let Some(uses) = self.token_uses {
            s.mcp_token_uses = uses;
        }
        if let Some(ms) = self.token_latency_ms {
            s.token_latency_ms = ms;
        }
        if let Some(on) = self.redirect_tool_calls {
            s.mcp_redirect_tool_calls = on;
        }
        if self.metadata_resource.is_some() {
            s.mcp_metadata_resource = self.metadata_resource;
        }
        if let Some(on) = self.client_id_metadata_documents {
            s.cimd = on;
        }
    }
}

/// An issuer path: `/` and at least one more character, no trailing `/`, no query or fragment.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(try_from = "String", into = "String")]
pub struct IssuerPath(String);

impl TryFrom<String> for IssuerPath {
    type Error = String;

    fn try_from(path: String) -> Result<IssuerPath, String> {
        let ok = path.len() > 1
            && path.starts_with('/')
            && !path.ends_with('/')
            && !path.contains(['?', '#', ' ', '\\'])
            && !path.contains("//");
        if ok {
            Ok(IssuerPath(path))
        } else {
            Err(format!("issuer_path `{path}` must be a path such as `/tenant`: a leading /, no trailing /"))
        }
    }
}

impl From<IssuerPath> for String {
    fn from(p: IssuerPath) -> String {
        p.0
    }
}

impl RunClient {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let Some(spec) = ctx.env.client.clone() else {
            return Err(StepError::Unmet(
                "a client scenario: it runs with `oauth-conformance client -- COMMAND`".into(),
            ));
        };
        let mut builder = FakeServer::builder().record_requests();
        if let Some(IssuerPath(path)) = &self.server.issuer_path {
            builder = builder.issuer_path(path);
        }
        if self.server.offline_access == Some(false) {
            builder = builder.without_scope("offline_access");
        }
        let server = self.server.clone();
        builder = builder.settings(move |s| server.apply(s));
        // The server the MCP server moves to issues tokens for it, so the first one's port
        // is chosen before either starts.
        let mut new_server = None;
        if self.server.moves_to_new_server == Some(true) {
            let port = free_port()?;
            let path = self.server.issuer_path.clone().map(String::from).unwrap_or_default();
            let mcp = format!("http://127.0.0.1:{port}{path}/mcp");
            let other = FakeServer::builder()
                .record_requests()
                .settings(move |s| s.resources = vec![mcp])
                .try_start()
                .await
                .map_err(|e| StepError::Prerequisite(format!("the second fake server did not start: {e}")))?;
            let issuer = other.issuer().to_string();
            builder =
                builder.bind(([127, 0, 0, 1], port).into()).settings(move |s| s.mcp_moves_to = Some(issuer));
            new_server = Some(other);
        }
        if self.credentials == Credentials::MetadataDocument {
            builder = builder.client_metadata_document(METADATA_DOCUMENT_URL, metadata_document());
        }
        if self.credentials == Credentials::Preregistered {
            builder = builder.client(ClientConfig::confidential(
                PREREGISTERED_ID,
                PREREGISTERED_SECRET,
                ["http://127.0.0.1/callback", "http://localhost/callback"],
            ));
        }
        let server = builder.try_start().await.map_err(|e| {
            StepError::Prerequisite(format!("the fake server for the client did not start: {e}"))
        })?;
        let dir = tempdir()?;
        let opened_file = dir.join("opened");
        let browser = write_opener(&dir, &opened_file)?;
        let mut command = tokio::process::Command::new(&spec.command[0]);
        command
            .args(&spec.command[1..])
            .env("OAUTH_ISSUER", server.issuer())
            .env("MCP_SERVER_URL", server.url("/mcp"))
            .env("BROWSER", &browser)
            .env_remove("OAUTH_CLIENT_ID")
            .env_remove("OAUTH_CLIENT_SECRET")
            .env_remove("OAUTH_CLIENT_METADATA_URL")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        // Its own process group, so that what it starts (a browser opener, a helper) is stopped
        // with it.
        #[cfg(unix)]
        command.process_group(0);
        if self.credentials == Credentials::Preregistered {
            command.env("OAUTH_CLIENT_ID", PREREGISTERED_ID).env("OAUTH_CLIENT_SECRET", PREREGISTERED_SECRET);
        }
        if self.credentials == Credentials::MetadataDocument {
            command.env("OAUTH_CLIENT_METADATA_URL", METADATA_DOCUMENT_URL);
        }
        let mut child = command.spawn().map_err(|e| {
            StepError::Prerequisite(format!("cannot start the client `{}`: {e}", spec.command[0]))
        })?;
        let group = child.id();
        let output = Output::default();
        let readers = output.collect(&mut child);
        let started = Instant::now();
        let mut opened: Vec<Value> = Vec::new();
        let mut seen = 0usize;
        let deliver = reqwest_client()?;
        let mut stopped = None;
        let mut abandoned = None;
        let status = loop {
            for url in read_opened(&opened_file).into_iter().skip(seen) {
                seen += 1;
                if self.max_authorizations.is_some_and(|max| seen > max) {
                    stopped = Some(format!(
                        "the client opened authorization page number {seen} and was stopped there"
                    ));
                    break;
                }
                let at = match &new_server {
                    Some(other) if url.starts_with(other.issuer()) => other,
                    _ => &server,
                };
                let played = self.play(at, &deliver, &url).await;
                // The server showed an error page: nothing will come back to the client, so
                // the user closes the page and the run ends here.
                if let Some(e) = played.get("error").and_then(Value::as_str) {
                    abandoned = Some(format!("the authorization server did not let the user sign in: {e}"));
                }
                opened.push(played);
                if abandoned.is_some() {
                    break;
                }
            }
            if stopped.is_some() || abandoned.is_some() {
                let _ = child.kill().await;
                break None;
            }
            if let Ok(Some(status)) = child.try_wait() {
                break Some(status);
            }
            if started.elapsed() > spec.timeout {
                let _ = child.kill().await;
                break None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        stop_group(group);
        // Whatever is left in the pipes comes at once; a descendant that escaped the group
        // could hold them open, so the wait is bounded.
        let _ = tokio::time::timeout(Duration::from_secs(2), readers).await;
        let output = output.text();
        let _ = std::fs::remove_dir_all(&dir);
        if status.is_none() && stopped.is_none() && abandoned.is_none() {
            return Err(StepError::Prerequisite(format!(
                "the client did not finish within {} s; its output:\n{}",
                spec.timeout.as_secs(),
                output
            )));
        }
        let requests = server.requests();
        let mut out = summary(&requests, server.issuer(), &server.url("/mcp"));
        out.insert("exit_code".into(), json!(status.and_then(|s| s.code())));
        out.insert("output".into(), json!(output));
        out.insert("opened".into(), Value::Array(opened));
        if let Some(why) = stopped {
            out.insert("stopped".into(), json!(why));
        }
        if let Some(why) = abandoned {
            out.insert("abandoned".into(), json!(why));
        }
        if let Some(other) = &new_server {
            out.insert("new_server".into(), moved_to(&requests, &other.requests(), other.issuer()));
        }
        Ok(Value::Object(out))
    }

    /// Play the user on `url`, then deliver the redirect to the client as its browser would.
    async fn play(&self, server: &FakeServer, http: &reqwest::Client, url: &str) -> Value {
        let how = match self.user {
            UserAction::Approve => SignIn::approve(),
            UserAction::Deny => SignIn::deny(),
        };
        let callback = match server.sign_in(url, how).await {
            Ok(c) => c,
            Err(e) => return json!({ "url": url, "error": e }),
        };
        let delivered = match self.tamper {
            Some(t) => tamper(&callback, t),
            None => callback.clone(),
        };
        let answer = http.get(&delivered).send().await;
        json!({
            "url": url,
            "callback": callback,
            "delivered": delivered,
            "status": answer.as_ref().ok().map(|r| r.status().as_u16()),
            "delivery_error": answer.err().map(|e| e.to_string()),
        })
    }
}

/// The callback with one parameter replaced.
fn tamper(callback: &str, how: Tamper) -> String {
    match how {
        Tamper::State => fake_server::Forged::State.apply(callback),
        Tamper::Iss => fake_server::Forged::Iss.apply(callback),
    }
}

/// What the client sent, arranged for judging: every request, then per endpoint the
/// parameters of each request (first values), and counts the scenarios compare.
fn summary(requests: &[RecordedRequest], issuer: &str, mcp: &str) -> Map<String, Value> {
    let base =
        url::Url::parse(issuer).map(|u| u.path().trim_end_matches('/').to_string()).unwrap_or_default();
    let origin = url::Url::parse(issuer).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
    let mcp_path = url::Url::parse(mcp).map(|u| u.path().to_string()).unwrap_or_default();
    let params = |r: &RecordedRequest| {
        let mut m: BTreeMap<String, Value> = BTreeMap::new();
        for (k, v) in r.query.iter().chain(&r.form) {
            m.entry(k.clone()).or_insert_with(|| json!(v));
        }
        let scheme = r.header("authorization").and_then(|a| a.split(' ').next()).map(str::to_string);
        m.insert("authorization_scheme".into(), json!(scheme));
        m.insert("method".into(), json!(r.method));
        json!(m)
    };
    let at = |path: &str| -> Vec<Value> {
        let full = format!("{base}{path}");
        requests.iter().filter(|r| r.path == full).map(params).collect()
    };
    let token = at("/token");
    let redemptions = token.iter().filter(|t| t["grant_type"] == "authorization_code").count();
    // Refresh requests, and those that present a refresh token an earlier one presented: once
    // used, a rotated refresh token is stale (RFC 6749 §6).
    let mut presented = std::collections::HashSet::new();
    let (mut refreshes, mut stale_refreshes) = (0usize, 0usize);
    for t in token.iter().filter(|t| t["grant_type"] == "refresh_token") {
        refreshes += 1;
        if let Some(rt) = t["refresh_token"].as_str()
            && !presented.insert(rt)
        {
            stale_refreshes += 1;
        }
    }
    let resource: Vec<Value> = requests.iter().filter(|r| r.path == mcp_path).map(params).collect();
    // JSON-RPC messages to the MCP server that call a tool (alone or in a batch).
    let calls_tool = |m: &Value| m.get("method").and_then(Value::as_str) == Some("tools/call");
    let tool_calls = requests
        .iter()
        .filter(|r| r.path == mcp_path)
        .filter(|r| match &r.json {
            Some(Value::Array(batch)) => batch.iter().any(calls_tool),
            Some(m) => calls_tool(m),
            None => false,
        })
        .count();
    // Requests that followed the MCP server's redirect to another origin, and those of them
    // that carried a token (a header or a query parameter).
    let moved: Vec<&RecordedRequest> =
        requests.iter().filter(|r| r.path == format!("{mcp_path}/moved")).collect();
    let sent_elsewhere = moved
        .iter()
        .filter(|r| r.header("authorization").is_some() || r.query.iter().any(|(k, _)| k == "access_token"))
        .count();
    let in_urls = requests
        .iter()
        .filter(|r| r.query.iter().any(|(k, _)| matches!(k.as_str(), "access_token" | "refresh_token")))
        .count();
    let registrations: Vec<Value> = requests
        .iter()
        .filter(|r| r.path == format!("{base}/register"))
        .filter_map(|r| r.json.clone())
        .collect();
    // The metadata documents the client fetched, in order: their kind and URL.
    let fetched: Vec<(&str, String)> = requests
        .iter()
        .filter(|r| r.method == "GET")
        .filter_map(|r| {
            let kind = match r.path.split("/.well-known/").nth(1)?.split('/').next()? {
                "oauth-protected-resource" => "protected-resource",
                "oauth-authorization-server" => "authorization-server",
                "openid-configuration" => "openid-configuration",
                _ => return None,
            };
            Some((kind, format!("{origin}{}", r.path)))
        })
        .collect();
    let discovery: Vec<Value> = fetched.iter().map(|(kind, _)| json!(kind)).collect();
    let urls = |resource: bool| -> Vec<Value> {
        fetched
            .iter()
            .filter(|(kind, _)| (*kind == "protected-resource") == resource)
            .map(|(_, u)| json!(u))
            .collect()
    };
    let mut out = Map::new();
    out.insert("origin".into(), json!(origin));
    out.insert("resource_metadata_urls".into(), Value::Array(urls(true)));
    out.insert("server_metadata_urls".into(), Value::Array(urls(false)));
    out.insert("discovery".into(), Value::Array(discovery));
    out.insert("mcp_server_url".into(), json!(mcp));
    out.insert("issuer".into(), json!(issuer));
    out.insert("authorize".into(), Value::Array(at("/authorize")));
    out.insert("token".into(), Value::Array(token));
    out.insert("code_redemptions".into(), json!(redemptions));
    out.insert("refreshes".into(), json!(refreshes));
    out.insert("stale_refreshes".into(), json!(stale_refreshes));
    out.insert("refresh_token_reused".into(), json!(stale_refreshes > 0));
    let (authorize_path, token_path) = (format!("{base}/authorize"), format!("{base}/token"));
    // Every value of a parameter (all of them, not only the first) in requests to these paths.
    let values = |paths: &[&str], name: &'static str| -> Vec<String> {
        requests
            .iter()
            .filter(|r| paths.contains(&r.path.as_str()))
            .flat_map(|r| r.query.iter().chain(&r.form))
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    // Every resource indicator the client sent to the authorization server, once each.
    let resources = values(&[&authorize_path, &token_path], "resource");
    out.insert("resources".into(), distinct(resources.iter().map(String::as_str)));
    // Every scope any authorization request asked for, once each.
    let scopes = values(&[&authorize_path], "scope");
    out.insert(
        "requested_scopes".into(),
        distinct(scopes.iter().flat_map(|s| s.split(' ')).filter(|w| !w.is_empty())),
    );
    out.insert("resource".into(), Value::Array(resource));
    out.insert("tool_calls".into(), json!(tool_calls));
    out.insert("moved".into(), json!(moved.len()));
    out.insert("tokens_sent_elsewhere".into(), json!(sent_elsewhere));
    out.insert("tokens_in_urls".into(), json!(in_urls));
    out.insert("registrations".into(), Value::Array(registrations));
    out.insert("requests".into(), serde_json::to_value(requests).unwrap_or(Value::Null));
    out
}

/// What the client sent to the authorization server the MCP server moved to: counts, and how
/// often it presented there a client id it had used with the first server (a client ID
/// metadata document's URL excepted: such ids are the same everywhere, SEP-2352).
fn moved_to(first: &[RecordedRequest], second: &[RecordedRequest], issuer: &str) -> Value {
    let base =
        url::Url::parse(issuer).map(|u| u.path().trim_end_matches('/').to_string()).unwrap_or_default();
    let client_id = |r: &RecordedRequest| -> Option<String> {
        if let Some(id) = r.param("client_id") {
            return Some(id.to_string());
        }
        crate::model::exchange::parse_basic(r.header("authorization")?).map(|(id, _)| id)
    };
    let flows = |requests: &[RecordedRequest]| -> Vec<String> {
        requests
            .iter()
            .filter(|r| r.path.ends_with("/authorize") || r.path.ends_with("/token"))
            .filter_map(client_id)
            .collect()
    };
    let old: std::collections::HashSet<String> =
        flows(first).into_iter().filter(|id| !id.starts_with("https://")).collect();
    let reused = flows(second).iter().filter(|id| old.contains(*id)).count();
    let registrations = second.iter().filter(|r| r.path == format!("{base}/register")).count();
    let authorizations = second.iter().filter(|r| r.path == format!("{base}/authorize")).count();
    json!({
        "issuer": issuer,
        "requests": second.len(),
        "registrations": registrations,
        "authorizations": authorizations,
        "old_client_ids": reused,
    })
}

/// A free port on the loopback interface, for a server started right after.
fn free_port() -> Result<u16, StepError> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| StepError::Prerequisite(format!("no free loopback port: {e}")))
}

/// The strings in their first order, each once, as a JSON array.
fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    let mut seen: Vec<&str> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    json!(seen)
}

fn tempdir() -> Result<std::path::PathBuf, StepError> {
    let dir = std::env::temp_dir()
        .join(format!("oauth-conformance-client-{}", crate::engine::template::random_text(12)));
    std::fs::create_dir_all(&dir)
        .map_err(|e| StepError::Prerequisite(format!("cannot make a temporary directory: {e}")))?;
    Ok(dir)
}

/// The `$BROWSER` script: append the URL to `file`, exit at once.
fn write_opener(dir: &Path, file: &Path) -> Result<std::path::PathBuf, StepError> {
    let script = dir.join("open-url");
    let quoted = file.display().to_string().replace('\'', r"'\''");
    let text = format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{quoted}'\n");
    let failed = |e: std::io::Error| StepError::Prerequisite(format!("cannot write the browser opener: {e}"));
    std::fs::write(&script, text).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).map_err(failed)?;
    }
    Ok(script)
}

fn read_opened(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .map(|t| t.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

/// The client's stdout and stderr as they arrive, readable at any time.
#[derive(Debug, Clone, Default)]
struct Output(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Output {
    /// Read both pipes to their end in the background.
    fn collect(&self, child: &mut tokio::process::Child) -> tokio::task::JoinHandle<()> {
        use tokio::io::AsyncReadExt;
        let out: Option<Box<dyn tokio::io::AsyncRead + Send + Unpin>> =
            child.stdout.take().map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>);
        let err: Option<Box<dyn tokio::io::AsyncRead + Send + Unpin>> =
            child.stderr.take().map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>);
        let sink = self.0.clone();
        tokio::spawn(async move {
            let pump = |mut r: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
                        sink: std::sync::Arc<std::sync::Mutex<Vec<u8>>>| async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = r.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut s) = sink.lock() {
                        s.extend_from_slice(&buf[..n]);
                        // Only the end is kept.
                        if s.len() > 4 * MAX_OUTPUT {
                            let cut = s.len() - MAX_OUTPUT;
                            s.drain(..cut);
                        }
                    }
                }
            };
            let a = out.map(|r| pump(r, sink.clone()));
            let b = err.map(|r| pump(r, sink.clone()));
            tokio::join!(
                async {
                    if let Some(a) = a {
                        a.await
                    }
                },
                async {
                    if let Some(b) = b {
                        b.await
                    }
                }
            );
        })
    }

    /// What arrived, its last `MAX_OUTPUT` bytes.
    fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if text.len() <= MAX_OUTPUT {
            return text;
        }
        let cut = text.len() - MAX_OUTPUT;
        let cut = (cut..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
        format!("…{}", &text[cut..])
    }
}

/// Stop whatever is left of the client's process group.
fn stop_group(group: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = group {
        let _ = std::process::Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pid}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = group;
}

fn reqwest_client() -> Result<reqwest::Client, StepError> {
    let mut builder = reqwest::Client::builder();
    if let Some(tls) = crate::engine::agent::shared_tls() {
        builder = builder.tls_backend_preconfigured(tls);
    }
    builder
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| StepError::Prerequisite(format!("cannot build the HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::{IssuerPath, RunClient};

    #[test]
    fn a_client_scenario_server_takes_only_a_real_issuer_path() {
        let parse = |t: &str| toml::from_str::<RunClient>(t);
        let ok = parse(
            "server = { issuer_path = \"/tenant\", tool_scopes = [\"profile\"], challenge_names_metadata = false, challenge_names_scope = false, token_uses = 1, token_latency_ms = 5, metadata_resource = \"https://attacker.example.test/mcp\" }",
        )
        .unwrap();
        assert_eq!(ok.server.challenge_names_metadata, Some(false));
        assert_eq!(ok.server.challenge_names_scope, Some(false));
        assert_eq!(ok.server.token_uses, Some(1));
        assert_eq!(ok.server.token_latency_ms, Some(5));
        assert_eq!(ok.server.metadata_resource.as_deref(), Some("https://attacker.example.test/mcp"));
        assert_eq!(ok.server.issuer_path, Some(IssuerPath("/tenant".into())));
        assert_eq!(ok.server.tool_scopes, ["profile"]);
        for bad in ["tenant", "/", "/tenant/", "/a//b", "/t?x=1", "/t#f", ""] {
            let err = parse(&format!("server = {{ issuer_path = \"{bad}\" }}")).unwrap_err().to_string();
            assert!(err.contains("must be a path such as `/tenant`"), "{bad}: {err}");
        }
        assert!(parse("server = { issuer = \"/x\" }").is_err(), "unknown keys are refused");
    }
}
