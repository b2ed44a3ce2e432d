//! Protocol responses as snapshots: what a client sees, with volatile values (the port in
//! the issuer, tokens, timestamps, jti) redacted after their shape is checked.

use fake_server::FakeServer;
use insta::assert_json_snapshot;
use serde_json::Value;

use crate::support::{
    Auth, Authz, CONFIDENTIAL, Pkce, RESOURCE_SERVER, Reply, http, introspect, post, tokens, tokens_with,
};

/// insta settings replacing this server's issuer (which carries a random port) by `[issuer]`.
fn snapshot_settings(server: &FakeServer) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(server.issuer()), "[issuer]");
    settings.set_sort_maps(false);
    settings
}

fn regex_escape(s: &str) -> String {
    s.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// A redaction that checks an opaque credential's shape (prefix and ≥ 128 bits of base64url
/// randomness) before hiding it.
fn opaque(prefix: &'static str, label: &'static str) -> insta::internals::Redaction {
    insta::dynamic_redaction(move |value, path| {
        let s = value.as_str().unwrap_or_else(|| panic!("{path} is not a string"));
        let rest = s.strip_prefix(prefix).unwrap_or_else(|| panic!("{path} = {s} lacks prefix {prefix}"));
        assert!(rest.len() >= 22, "{path} is too short to carry 128 bits: {s}");
        assert!(rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{path}: {s}");
        label
    })
}

/// A redaction for a timestamp: checks that it is an integer near the server's clock.
fn timestamp() -> insta::internals::Redaction {
    insta::dynamic_redaction(|value, path| {
        let n = value.as_i64().unwrap_or_else(|| panic!("{path} is not an integer"));
        assert!(n > 1_600_000_000, "{path} = {n} is not seconds since the epoch");
        "[timestamp]"
    })
}

/// Token responses: tokens and the ID token replaced once their shape is checked.
fn token_settings(server: &FakeServer) -> insta::Settings {
    let mut s = snapshot_settings(server);
    s.add_redaction(".access_token", opaque("oat_", "[access token]"));
    s.add_redaction(".refresh_token", opaque("ort_", "[refresh token]"));
    s.add_redaction(
        ".id_token",
        insta::dynamic_redaction(|v, _| {
            assert_eq!(v.as_str().expect("string").split('.').count(), 3, "a compact JWS");
            "[id token]"
        }),
    );
    s
}

/// Error responses: the status goes into the snapshot with the body.
fn error_snapshot(reply: &Reply) -> Value {
    serde_json::json!({ "status": reply.status.as_u16(), "body": reply.json })
}

#[tokio::test]
async fn metadata() {
    let server = FakeServer::start().await;
    let doc = Reply::read(http().get(server.metadata_url()).send().await.unwrap()).await.json;
    snapshot_settings(&server).bind(|| assert_json_snapshot!("metadata", doc));
}

#[tokio::test]
async fn token_response_of_the_code_grant() {
    let server = FakeServer::start().await;
    let reply = tokens(&server, CONFIDENTIAL).await;
    token_settings(&server).bind(|| assert_json_snapshot!("token_response", reply.json));
}

#[tokio::test]
async fn token_response_of_the_client_credentials_grant() {
    let server = FakeServer::start().await;
    let form = [("grant_type", "client_credentials"), ("scope", "projects:read")];
    let reply = post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await;
    token_settings(&server).bind(|| assert_json_snapshot!("token_response_client_credentials", reply.json));
}

#[tokio::test]
async fn introspection_of_an_active_token() {
    let server = FakeServer::start().await;
    let t = tokens_with(&server, Authz::new(CONFIDENTIAL).set("resource", crate::support::API), CONFIDENTIAL)
        .await;
    let info = introspect(&server, t.str("access_token")).await;
    let mut s = snapshot_settings(&server);
    s.add_redaction(".iat", timestamp());
    s.add_redaction(".exp", timestamp());
    s.add_redaction(
        ".jti",
        insta::dynamic_redaction(|v, _| {
            assert!(v.as_str().is_some_and(|j| j.len() >= 22), "a random jti");
            "[jti]"
        }),
    );
    s.bind(|| assert_json_snapshot!("introspection_active", info));
}

#[tokio::test]
async fn introspection_of_an_inactive_token() {
    let server = FakeServer::start().await;
    let reply = post(&server, "/introspect", Auth::Basic(RESOURCE_SERVER), &[("token", "oat_unknown")]).await;
    snapshot_settings(&server).bind(|| assert_json_snapshot!("introspection_inactive", reply.json));
}

#[tokio::test]
async fn error_invalid_grant_for_a_wrong_verifier() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL);
    let code = crate::support::code_for(&server, &authz).await;
    let reply = crate::support::exchange(&server, CONFIDENTIAL, &code, &Pkce::new().verifier).await;
    snapshot_settings(&server).bind(|| assert_json_snapshot!("error_invalid_grant", error_snapshot(&reply)));
}

#[tokio::test]
async fn error_invalid_client_for_a_wrong_basic_secret() {
    let server = FakeServer::start().await;
    let resp = http()
        .post(server.url("/token"))
        .header("authorization", crate::support::basic(CONFIDENTIAL.id, "wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let reply = Reply::read(resp).await;
    let snap = serde_json::json!({
        "status": reply.status.as_u16(),
        "www-authenticate": reply.header("www-authenticate"),
        "body": reply.json,
    });
    snapshot_settings(&server).bind(|| assert_json_snapshot!("error_invalid_client", snap));
}

#[tokio::test]
async fn error_unsupported_grant_type() {
    let server = FakeServer::start().await;
    let reply = post(&server, "/token", Auth::Basic(CONFIDENTIAL), &[("grant_type", "password")]).await;
    snapshot_settings(&server)
        .bind(|| assert_json_snapshot!("error_unsupported_grant_type", error_snapshot(&reply)));
}

#[tokio::test]
async fn error_invalid_request_for_a_json_body() {
    let server = FakeServer::start().await;
    let resp = http()
        .post(server.url("/token"))
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"client_credentials"}"#)
        .send()
        .await
        .unwrap();
    let reply = Reply::read(resp).await;
    snapshot_settings(&server)
        .bind(|| assert_json_snapshot!("error_invalid_request_json_body", error_snapshot(&reply)));
}

#[tokio::test]
async fn error_redirect_for_an_unknown_scope() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL).set("scope", "openid nope");
    let resp = http().get(authz.url(&server)).send().await.unwrap();
    let location = url::Url::parse(&crate::support::location(&resp)).unwrap();
    let params: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let snap = serde_json::json!({
        "status": resp.status().as_u16(),
        "redirect_to": crate::support::without_query(&location),
        "params": params,
    });
    snapshot_settings(&server).bind(|| assert_json_snapshot!("error_redirect_invalid_scope", snap));
}
