//! A driver for `oauth-conformance client`: an MCP client built on the Rust `oauth2` crate (v5)
//! the way the crate documents the authorization code flow with PKCE, so that the client
//! scenarios judge what the crate does: the S256 challenge and verifier
//! (`PkceCodeChallenge::new_random_sha256`), the random `state` (`CsrfToken::new_random`), the
//! authorization URL and the code exchange. The driver does what the crate leaves to the
//! application:
//!
//! - MCP discovery (the 401, RFC 9728 metadata naming the authorization server, RFC 8414
//!   metadata) and the `resource` parameter (`add_extra_param`);
//! - registration (RFC 7591, `application_type: native`) unless OAUTH_CLIENT_ID is set, or
//!   OAUTH_CLIENT_METADATA_URL is and the server supports client ID metadata documents;
//! - the loopback redirect URI, $BROWSER, and the `state` comparison the crate's examples make
//!   (the crate returns the `CsrfToken`; comparing it is the application's part). The crate has
//!   no notion of RFC 9207 `iss`, and its examples read only `code` and `state`: so does this
//!   driver.
//!
//! Exit codes: 0 the MCP server answered `initialize`; 1 the authorization server answered with
//! an error; 2 the callback carries another state; 4 anything else.
//!
//! `cargo run -p fake-server --example oauth2_client_driver` (under `oauth-conformance client`).

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A failure with the exit code it ends in.
struct Exit(i32, String);

fn fail(why: impl std::fmt::Display) -> Exit {
    Exit(4, why.to_string())
}

const MCP_PROTOCOL_VERSION: &str = "2025-11-25";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Err(Exit(code, why)) = run().await {
        eprintln!("oauth2 driver: {}", why.lines().next().unwrap_or_default());
        std::process::exit(code);
    }
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": MCP_PROTOCOL_VERSION, "capabilities": {},
        "clientInfo": {"name": "oauth2-driver", "version": "1"}}})
}

/// The crate's `AsyncHttpClient`, with reqwest.
fn send(
    http: &reqwest::Client,
) -> impl Fn(HttpRequest) -> std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, reqwest::Error>>>> {
    let http = http.clone();
    move |req: HttpRequest| {
        let http = http.clone();
        let (parts, body) = req.into_parts();
        Box::pin(async move {
            let resp = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let mut out = oauth2::http::Response::builder().status(resp.status());
            if let Some(headers) = out.headers_mut() {
                headers.extend(resp.headers().clone());
            }
            let body = resp.bytes().await?.to_vec();
            Ok(out.body(body).unwrap_or_default())
        })
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, Exit> {
    let resp = http.get(url).send().await.map_err(|e| fail(format!("GET {url}: {e}")))?;
    if !resp.status().is_success() {
        return Err(fail(format!("GET {url}: {}", resp.status())));
    }
    resp.json().await.map_err(|e| fail(format!("GET {url}: {e}")))
}

/// Accept one request on the listener and return its path and query (`/callback?...`).
async fn next_callback(listener: &tokio::net::TcpListener) -> Result<String, Exit> {
    let accept = tokio::time::timeout(Duration::from_secs(30), listener.accept());
    let (mut socket, _) = accept.await.map_err(|_| fail("no callback in time"))?.map_err(fail)?;
    let mut buf = vec![0u8; 16 * 1024];
    let n = socket.read(&mut buf).await.map_err(fail)?;
    let head = String::from_utf8_lossy(&buf[..n]);
    let target = head.split_whitespace().nth(1).unwrap_or_default().to_string();
    let _ = socket
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nYou can close this window.\n")
        .await;
    Ok(target)
}

async fn run() -> Result<(), Exit> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (Some(mcp), Some(browser)) = (env("MCP_SERVER_URL"), env("BROWSER")) else {
        return Err(fail("MCP_SERVER_URL and BROWSER must be set"));
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(fail)?;

    // MCP discovery: the unauthenticated request's challenge, the resource metadata, the server.
    let first = http
        .post(&mcp)
        .json(&initialize())
        .header("accept", "application/json, text/event-stream")
        .send()
        .await
        .map_err(fail)?;
    if first.status() != 401 {
        return Err(fail(format!("the MCP server answered {} without a token", first.status())));
    }
    let challenge =
        first.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let quoted = |name: &str| {
        let key = format!("{name}=\"");
        challenge.find(&key).and_then(|at| challenge[at + key.len()..].split('"').next().map(str::to_string))
    };
    let mcp_url = url::Url::parse(&mcp).map_err(fail)?;
    let prm_url = quoted("resource_metadata").unwrap_or_else(|| {
        format!(
            "{}/.well-known/oauth-protected-resource{}",
            mcp_url.origin().ascii_serialization(),
            mcp_url.path()
        )
    });
    let prm = get_json(&http, &prm_url).await?;
    if prm["resource"].as_str() != Some(mcp.as_str()) {
        return Err(fail("the protected-resource metadata is about another resource"));
    }
    let issuer = prm["authorization_servers"][0]
        .as_str()
        .map(str::to_string)
        .or(env("OAUTH_ISSUER"))
        .ok_or_else(|| fail("no authorization server"))?;
    let issuer_url = url::Url::parse(&issuer).map_err(fail)?;
    let path = issuer_url.path().trim_end_matches('/');
    let meta = get_json(
        &http,
        &format!(
            "{}/.well-known/oauth-authorization-server{path}",
            issuer_url.origin().ascii_serialization()
        ),
    )
    .await?;
    if meta["issuer"].as_str() != Some(issuer.as_str()) {
        return Err(fail("the authorization server metadata names another issuer"));
    }
    let endpoint =
        |name: &str| meta[name].as_str().map(str::to_string).ok_or_else(|| fail(format!("no {name}")));

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.map_err(fail)?;
    let redirect_uri = format!("http://127.0.0.1:{}/callback", listener.local_addr().map_err(fail)?.port());
    // The application chooses how the client is identified (MCP 2025-11-25 order): the given
    // client id, else its client ID metadata document where the server supports them, else a
    // registration.
    let document = env("OAUTH_CLIENT_METADATA_URL")
        .filter(|_| meta["client_id_metadata_document_supported"].as_bool() == Some(true));
    let (client_id, client_secret) = match (env("OAUTH_CLIENT_ID"), document) {
        (Some(id), _) => (id, env("OAUTH_CLIENT_SECRET")),
        (None, Some(url)) => (url, None),
        (None, None) => {
            let body = json!({"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
                "application_type": "native", "client_name": "oauth-conformance driver: oauth2 crate"});
            let resp =
                http.post(endpoint("registration_endpoint")?).json(&body).send().await.map_err(fail)?;
            let registered: Value = resp.json().await.map_err(fail)?;
            let id =
                registered["client_id"].as_str().ok_or_else(|| fail("the registration has no client_id"))?;
            (id.to_string(), None)
        }
    };
    let mut client = BasicClient::new(ClientId::new(client_id))
        .set_auth_uri(AuthUrl::new(endpoint("authorization_endpoint")?).map_err(fail)?)
        .set_token_uri(TokenUrl::new(endpoint("token_endpoint")?).map_err(fail)?)
        .set_redirect_uri(RedirectUrl::new(redirect_uri).map_err(fail)?);
    if let Some(secret) = client_secret {
        client = client.set_client_secret(ClientSecret::new(secret));
    }

    let resource = prm["resource"].as_str().unwrap_or_default().to_string();
    let scopes: Vec<String> = match quoted("scope") {
        Some(s) => s.split(' ').map(str::to_string).collect(),
        None => prm["scopes_supported"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(scopes.into_iter().map(Scope::new))
        .add_extra_param("resource", &resource)
        .set_pkce_challenge(challenge)
        .url();
    std::process::Command::new(&browser)
        .arg(url.as_str())
        .spawn()
        .map_err(|e| fail(format!("BROWSER: {e}")))?;

    let target = next_callback(&listener).await?;
    let callback = url::Url::parse(&format!("http://127.0.0.1{target}")).map_err(fail)?;
    let param = |name: &str| callback.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    if let Some(error) = param("error") {
        return Err(Exit(1, format!("the authorization server answered {error}")));
    }
    if param("state").as_deref() != Some(state.secret().as_str()) {
        return Err(Exit(2, "the callback carries another state".into()));
    }
    let code = param("code").ok_or_else(|| fail("the callback has no code"))?;
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .add_extra_param("resource", &resource)
        .request_async(&send(&http))
        .await
        .map_err(|e| fail(format!("the token request failed: {e}")))?;

    let answer = http
        .post(&mcp)
        .bearer_auth(token.access_token().secret())
        .header("accept", "application/json, text/event-stream")
        .json(&initialize())
        .send()
        .await
        .map_err(fail)?;
    if answer.status() != 200 {
        return Err(fail(format!("the MCP server answered {} with the token", answer.status())));
    }
    println!("{}", answer.text().await.unwrap_or_default().chars().take(200).collect::<String>());
    Ok(())
}
