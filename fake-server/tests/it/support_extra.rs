//! Helpers for the registration, metadata-document, MCP and operator tests: HTTP clients, a
//! browser that logs in and consents, PKCE, and snapshot settings that hide volatile values.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fake_server::FakeServer;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A client that follows no redirects and keeps no cookies, for API calls.
pub fn http() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

/// A client with a cookie jar, like a browser, that follows no redirects.
pub fn browser() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("browser client")
}

/// POST `/register` with a JSON body.
pub async fn register(server: &FakeServer, body: &Value) -> Response {
    http().post(server.url("/register")).json(body).send().await.expect("register")
}

/// Register and return the client information, asserting 201.
pub async fn register_ok(server: &FakeServer, body: &Value) -> Value {
    let resp = register(server, body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.expect("json")
}

/// A public MCP-style client with a loopback redirect URI.
pub fn public_client_metadata() -> Value {
    json!({
        "client_name": "Test MCP Client",
        "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "application_type": "native",
    })
}

/// (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let verifier = "v".repeat(20) + &"w".repeat(30);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The value of a hidden form field.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name} in {html}")) + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_string()
}

/// The `Location` of a redirect.
pub fn location(resp: &Response) -> String {
    resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// The authorization request of a flow.
#[derive(Debug, Clone)]
pub struct Flow<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: Option<&'a str>,
    pub resource: Option<&'a str>,
}

/// What `/authorize` answered before any login: the response itself.
pub async fn start(server: &FakeServer, b: &Client, f: &Flow<'_>) -> Response {
    let (_, challenge) = pkce();
    let mut q = vec![
        ("response_type", "code"),
        ("client_id", f.client_id),
        ("redirect_uri", f.redirect_uri),
        ("state", "st-1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if let Some(s) = f.scope {
        q.push(("scope", s));
    }
    if let Some(r) = f.resource {
        q.push(("resource", r));
    }
    b.get(server.url("/authorize")).query(&q).send().await.expect("authorize")
}

/// Log in as alice (when asked) and approve consent (when asked); the final redirect to the
/// client. Panics when the server shows anything else.
pub async fn authorize(server: &FakeServer, b: &Client, f: &Flow<'_>) -> (Response, bool) {
    let origin = format!("http://{}", server.addr());
    let resp = start(server, b, f).await;
    assert_eq!(resp.status(), StatusCode::FOUND, "authorize: {}", resp.text().await.unwrap_or_default());
    let mut next = location(&resp);
    let mut consented = false;
    for _ in 0..4 {
        if !next.contains("/login?") && !next.contains("/consent?") {
            break;
        }
        let url = if next.starts_with('/') { format!("{origin}{next}") } else { next.clone() };
        let page = b.get(&url).send().await.expect("page").text().await.expect("html");
        let request = hidden(&page, "request");
        let csrf = hidden(&page, "csrf");
        let form: Vec<(&str, String)> = if next.contains("/login?") {
            vec![
                ("request", request),
                ("csrf", csrf),
                ("username", "alice".into()),
                ("password", "alice-password".into()),
                ("action", "login".into()),
            ]
        } else {
            consented = true;
            let mut form = vec![("request", request), ("csrf", csrf), ("decision", "approve".to_string())];
            for s in f.scope.unwrap_or("").split(' ').filter(|s| !s.is_empty()) {
                form.push(("scope", s.to_string()));
            }
            // Default scopes are shown as checkboxes too; approve whatever the page lists.
            for piece in page.split("name=\"scope\" value=\"").skip(1) {
                let s = &piece[..piece.find('"').unwrap_or(0)];
                if !form.iter().any(|(k, v)| *k == "scope" && v == s) {
                    form.push(("scope", s.to_string()));
                }
            }
            form
        };
        let action = if next.contains("/login?") { "/login" } else { "/consent" };
        let resp = b.post(server.url(action)).form(&form).send().await.expect("submit");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{action}");
        next = location(&resp);
        if !next.contains("/login?") && !next.contains("/consent?") {
            return (resp, consented);
        }
    }
    (resp, consented)
}

/// Start a flow, log in as alice, and return the consent page's HTML.
pub async fn until_consent(server: &FakeServer, b: &Client, f: &Flow<'_>) -> String {
    let origin = format!("http://{}", server.addr());
    let resp = start(server, b, f).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let login = b.get(format!("{origin}{}", location(&resp))).send().await.unwrap().text().await.unwrap();
    let form = [
        ("request", hidden(&login, "request")),
        ("csrf", hidden(&login, "csrf")),
        ("username", "alice".to_string()),
        ("password", "alice-password".to_string()),
        ("action", "login".to_string()),
    ];
    let resp = b.post(server.url("/login")).form(&form).send().await.unwrap();
    let next = location(&resp);
    assert!(next.contains("/consent?"), "expected consent, got {next}");
    b.get(format!("{origin}{next}")).send().await.unwrap().text().await.unwrap()
}

/// The `code` query parameter of a redirect to the client.
pub fn code_of(resp: &Response) -> String {
    let loc = location(resp);
    let u = url::Url::parse(&loc).unwrap_or_else(|_| panic!("not a URL: {loc}"));
    u.query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {loc}"))
}

/// Exchange a code at the token endpoint as a public client (or with `secret` via Basic).
pub async fn exchange(server: &FakeServer, f: &Flow<'_>, code: &str, secret: Option<&str>) -> Response {
    let (verifier, _) = pkce();
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", f.redirect_uri),
        ("code_verifier", verifier.as_str()),
    ];
    if let Some(r) = f.resource {
        form.push(("resource", r));
    }
    let req = http().post(server.url("/token"));
    let req = match secret {
        // RFC 6749 §2.3.1: both parts are form-encoded before Base64.
        Some(s) => req.basic_auth(form_encode(f.client_id), Some(form_encode(s))),
        None => {
            form.push(("client_id", f.client_id));
            req
        }
    };
    req.form(&form).send().await.expect("token")
}

pub fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A complete flow ending in the token response JSON.
pub async fn tokens(server: &FakeServer, f: &Flow<'_>, secret: Option<&str>) -> Value {
    let b = browser();
    let (resp, _) = authorize(server, &b, f).await;
    let code = code_of(&resp);
    let resp = exchange(server, f, &code, secret).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.expect("token json")
}

/// Is the response JSON (by content type)?
pub fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Snapshot settings hiding ports, ids, secrets and timestamps.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    s.add_filter(r"dyn_[A-Za-z0-9_-]{22}", "[client_id]");
    s.add_filter(r"dcs_[A-Za-z0-9_-]{43}", "[client_secret]");
    s.add_filter(r"rat_[A-Za-z0-9_-]{43}", "[registration_access_token]");
    s.add_filter(r"oat_[A-Za-z0-9_-]{43}", "[access_token]");
    s.add_filter(r"app_[A-Za-z0-9_-]{16}", "[app_id]");
    s.add_filter(r"sec_[A-Za-z0-9_-]{43}", "[app_secret]");
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// An access token for alice through the confidential fixture client.
pub async fn alice_token(server: &FakeServer, scope: &str, resource: Option<&str>) -> String {
    let flow = Flow {
        client_id: "conformance-confidential",
        redirect_uri: "https://client.example.test/callback",
        scope: Some(scope),
        resource,
    };
    tokens(server, &flow, Some("s3cr:t+/%val ue")).await["access_token"].as_str().unwrap().to_string()
}
