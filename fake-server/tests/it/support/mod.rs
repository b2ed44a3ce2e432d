//! What every test needs: the fixture clients, PKCE, authorization requests, calls to the
//! token, introspection and userinfo endpoints, and the checks of their answers.

mod browser;

pub use browser::{Browser, Decision, PageForm, location, pairs, param, query, without_query};

use std::sync::Once;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use fake_server::FakeServer;
use rand::RngCore;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

/// A fixture client from `fixtures/fake-server.toml`.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub id: &'static str,
    pub secret: Option<&'static str>,
    pub redirect_uri: &'static str,
}

/// Confidential; its secret needs form-encoding before Base64 (RFC 6749 §2.3.1).
pub const CONFIDENTIAL: Client = Client {
    id: "conformance-confidential",
    secret: Some("s3cr:t+/%val ue"),
    redirect_uri: "https://client.example.test/callback",
};
/// A second confidential client, to prove bindings to the first one.
pub const OTHER: Client = Client {
    id: "conformance-other",
    secret: Some("other-secret"),
    redirect_uri: "https://other.example.test/callback",
};
/// Public (PKCE only), with three redirect URIs, two of them loopback.
pub const PUBLIC: Client = Client {
    id: "conformance-public",
    secret: None,
    redirect_uri: "https://client.example.test/public/callback",
};
/// Confidential, issued RFC 9068 JWT access tokens.
pub const JWT: Client = Client {
    id: "conformance-jwt",
    secret: Some("jwt-secret"),
    redirect_uri: "https://client.example.test/callback",
};
/// Confidential, configured to skip the consent page.
pub const TRUSTED: Client = Client {
    id: "conformance-trusted",
    secret: Some("trusted-secret"),
    redirect_uri: "https://client.example.test/callback",
};
/// Confidential, whose registered redirect URI has its own query.
pub const QUERY: Client = Client {
    id: "conformance-query",
    secret: Some("query-secret"),
    redirect_uri: "https://client.example.test/cb?tenant=a",
};
/// A resource server that may introspect every client's tokens.
pub const RESOURCE_SERVER: Client = Client {
    id: "conformance-resource-server",
    secret: Some("rs-secret"),
    redirect_uri: "https://rs.example.test/callback",
};

/// Confidential, allowed only the client-credentials grant (no user, no redirect URI).
pub const MACHINE: Client = Client {
    id: "conformance-machine",
    secret: Some("machine-secret"),
    redirect_uri: "https://machine.example.test/unused",
};

/// The fixtures' known resource indicator besides the built-in MCP resource.
pub const API: &str = "https://api.example.test";

/// An HTTP client that never follows redirects and keeps cookies, like a browser tab the
/// test drives by hand.
pub fn http() -> reqwest::Client {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("an HTTP client")
}

/// A PKCE verifier and its S256 challenge (RFC 7636 §4.1, §4.2).
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Pkce {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Pkce::from_verifier(&URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn from_verifier(verifier: &str) -> Pkce {
        Pkce { verifier: verifier.to_string(), challenge: s256(verifier) }
    }
}

pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The parameters of one authorization request, in order, repeats allowed.
#[derive(Debug, Clone)]
pub struct Authz {
    pub params: Vec<(String, String)>,
    pub pkce: Pkce,
}

impl Authz {
    /// A valid request: code, S256 challenge, the client's redirect URI and a state.
    pub fn new(client: Client) -> Authz {
        let pkce = Pkce::new();
        let params = [
            ("response_type", "code"),
            ("client_id", client.id),
            ("redirect_uri", client.redirect_uri),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
            ("state", "st-123"),
        ];
        let params = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Authz { params, pkce }
    }

    /// Replace every value of `name` with `value`.
    pub fn set(mut self, name: &str, value: &str) -> Authz {
        self = self.remove(name);
        self.params.push((name.to_string(), value.to_string()));
        self
    }

    /// Add a value without touching existing ones.
    pub fn add(mut self, name: &str, value: &str) -> Authz {
        self.params.push((name.to_string(), value.to_string()));
        self
    }

    pub fn remove(mut self, name: &str) -> Authz {
        self.params.retain(|(k, _)| k != name);
        self
    }

    pub fn url(&self, server: &FakeServer) -> String {
        let mut url = Url::parse(&server.url("/authorize")).expect("authorize URL");
        url.query_pairs_mut().extend_pairs(&self.params);
        url.into()
    }
}

/// How a request authenticates its client.
#[derive(Debug, Clone, Copy)]
pub enum Auth {
    /// `client_secret_basic`, id and secret form-encoded before Base64 (RFC 6749 §2.3.1).
    Basic(Client),
    /// `client_secret_post`.
    Post(Client),
    /// `none`: `client_id` in the body only.
    Public(Client),
    /// No client identification at all.
    Anonymous,
}

impl Auth {
    /// The natural method for a client: Basic when it has a secret, else `none`.
    pub fn of(client: Client) -> Auth {
        if client.secret.is_some() { Auth::Basic(client) } else { Auth::Public(client) }
    }
}

/// `Authorization: Basic` exactly as RFC 6749 §2.3.1 asks.
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(id), enc(secret))))
}

/// A response read to the end: status, headers and the body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub async fn read(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, text, json }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ASCII header"))
    }

    /// A JSON string member.
    pub fn str(&self, member: &str) -> &str {
        self.json[member].as_str().unwrap_or_else(|| panic!("no string `{member}` in {}", self.text))
    }

    /// An RFC 6749 §5.2 error: this status, this code, a description, JSON, no caching.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "status of {}", self.text);
        assert_eq!(self.json["error"], code, "error code in {}", self.text);
        let desc = self.json["error_description"].as_str().unwrap_or("");
        assert!(!desc.is_empty(), "an error_description in {}", self.text);
        let content_type = self.header("content-type").unwrap_or("");
        assert!(content_type.starts_with("application/json"), "content type {content_type}");
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }

    /// A 200 token response (RFC 6749 §5.1).
    #[track_caller]
    pub fn assert_tokens(&self) {
        assert_eq!(self.status, StatusCode::OK, "token response {}", self.text);
        assert_eq!(self.json["token_type"], "Bearer");
        assert!(self.json["access_token"].is_string(), "{}", self.text);
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }
}

/// POST a form to one of the server's endpoints with the given client authentication.
pub async fn post(server: &FakeServer, path: &str, auth: Auth, form: &[(&str, &str)]) -> Reply {
    let mut form = pairs(form);
    let mut req = http().post(server.url(path));
    match auth {
        Auth::Basic(c) => req = req.header(header::AUTHORIZATION, basic(c.id, c.secret.expect("a secret"))),
        Auth::Post(c) => {
            form.push(("client_id".into(), c.id.into()));
            form.push(("client_secret".into(), c.secret.expect("a secret").into()));
        }
        Auth::Public(c) => form.push(("client_id".into(), c.id.into())),
        Auth::Anonymous => {}
    }
    Reply::read(req.form(&form).send().await.expect("POST")).await
}

/// Log in as alice, approve, and return the code the client receives.
pub async fn code_for(server: &FakeServer, authz: &Authz) -> String {
    let callback = Browser::new(server).authorize(server, authz, "alice", Decision::Approve).await;
    param(&callback, "code")
}

/// Exchange a code at the token endpoint.
pub async fn exchange(server: &FakeServer, client: Client, code: &str, verifier: &str) -> Reply {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", client.redirect_uri),
        ("code_verifier", verifier),
    ];
    post(server, "/token", Auth::of(client), &form).await
}

/// A full authorization-code grant for `client` as alice: the token response.
pub async fn tokens(server: &FakeServer, client: Client) -> Reply {
    tokens_with(server, Authz::new(client), client).await
}

/// `tokens` with a customised request.
pub async fn tokens_with(server: &FakeServer, authz: Authz, client: Client) -> Reply {
    let code = code_for(server, &authz).await;
    let reply = exchange(server, client, &code, &authz.pkce.verifier).await;
    reply.assert_tokens();
    reply
}

/// Refresh with the client's natural authentication.
pub async fn refresh(
    server: &FakeServer,
    client: Client,
    refresh_token: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
    form.extend_from_slice(extra);
    post(server, "/token", Auth::of(client), &form).await
}

/// Introspect as the resource server (allowed to see every client's tokens).
pub async fn introspect(server: &FakeServer, token: &str) -> Value {
    let reply = post(server, "/introspect", Auth::Basic(RESOURCE_SERVER), &[("token", token)]).await;
    assert_eq!(reply.status, StatusCode::OK, "introspection: {}", reply.text);
    reply.json
}

/// Is this token active according to introspection?
pub async fn active(server: &FakeServer, token: &str) -> bool {
    match introspect(server, token).await["active"] {
        Value::Bool(b) => b,
        ref other => panic!("`active` must be a JSON boolean, got {other}"),
    }
}

/// Call userinfo with a bearer token.
pub async fn userinfo(server: &FakeServer, token: &str) -> Reply {
    let resp = http().get(server.url("/userinfo")).bearer_auth(token).send().await.expect("GET");
    Reply::read(resp).await
}
