//! The userinfo endpoint: claims by scope, bearer challenges otherwise (RFC 6750 §3).

use fake_server::FakeServer;
use serde_json::json;

use crate::support::{Auth, Authz, CONFIDENTIAL, Reply, http, post, tokens, tokens_with, userinfo};

#[tokio::test]
async fn returns_sub_and_the_claims_the_granted_scopes_release() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let reply = userinfo(&server, t.str("access_token")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json, json!({ "sub": "alice", "name": "Alice Example", "preferred_username": "alice" }));
    let authz = Authz::new(CONFIDENTIAL).set("scope", "openid email");
    let t = tokens_with(&server, authz, CONFIDENTIAL).await;
    let reply = userinfo(&server, t.str("access_token")).await;
    assert_eq!(reply.json, json!({ "sub": "alice", "email": "alice@example.test", "email_verified": true }));
}

#[tokio::test]
async fn answers_post_as_well_as_get() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let resp = http().post(server.url("/userinfo")).bearer_auth(t.str("access_token")).send().await.unwrap();
    assert_eq!(Reply::read(resp).await.json["sub"], "alice");
}

#[tokio::test]
async fn without_a_token_answers_401_with_a_bare_bearer_challenge() {
    let server = FakeServer::start().await;
    let reply = Reply::read(http().get(server.url("/userinfo")).send().await.unwrap()).await;
    assert_eq!(reply.status, 401);
    let challenge = reply.header("www-authenticate").expect("challenge");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(!challenge.contains("error="), "no error attribute without credentials: {challenge}");
}

#[tokio::test]
async fn a_bad_token_answers_401_with_invalid_token() {
    let server = FakeServer::start().await;
    let reply = userinfo(&server, "oat_not_a_token").await;
    assert_eq!(reply.status, 401);
    assert!(reply.header("www-authenticate").unwrap_or("").contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn a_refresh_token_is_not_accepted_as_a_bearer_token() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    assert_eq!(userinfo(&server, t.str("refresh_token")).await.status, 401);
}

#[tokio::test]
async fn a_token_in_the_query_string_is_not_accepted() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let url = format!("{}?access_token={}", server.url("/userinfo"), t.str("access_token"));
    assert_eq!(Reply::read(http().get(url).send().await.unwrap()).await.status, 401);
}

#[tokio::test]
async fn a_token_without_openid_or_without_a_user_is_insufficient_scope() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL).set("scope", "projects:read");
    let t = tokens_with(&server, authz, CONFIDENTIAL).await;
    let reply = userinfo(&server, t.str("access_token")).await;
    assert_eq!(reply.status, 403);
    assert!(reply.header("www-authenticate").unwrap_or("").contains("insufficient_scope"));
    let cc =
        post(&server, "/token", Auth::Basic(CONFIDENTIAL), &[("grant_type", "client_credentials")]).await;
    assert_eq!(userinfo(&server, cc.str("access_token")).await.status, 403);
}
