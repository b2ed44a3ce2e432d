//! The client-credentials grant (RFC 6749 §4.4; OAuth 2.1 §4.2; TOK-20, TOK-21).

use fake_server::FakeServer;

use crate::support::{API, Auth, CONFIDENTIAL, PUBLIC, QUERY, introspect, post};

#[tokio::test]
async fn a_confidential_client_gets_an_access_token_for_itself_without_a_refresh_token() {
    let server = FakeServer::start().await;
    let form = [("grant_type", "client_credentials"), ("scope", "projects:read")];
    let reply = post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await;
    reply.assert_tokens();
    assert!(reply.json.get("refresh_token").is_none(), "{}", reply.text);
    assert!(reply.json.get("id_token").is_none(), "{}", reply.text);
    assert_eq!(reply.str("scope"), "projects:read");
    let info = introspect(&server, reply.str("access_token")).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], CONFIDENTIAL.id, "the client acts for itself");
    assert_eq!(info["client_id"], CONFIDENTIAL.id);
    assert!(info.get("username").is_none(), "{info}");
}

#[tokio::test]
async fn works_with_client_secret_post_too() {
    let server = FakeServer::start().await;
    post(&server, "/token", Auth::Post(CONFIDENTIAL), &[("grant_type", "client_credentials")])
        .await
        .assert_tokens();
}

#[tokio::test]
async fn the_audience_is_the_requested_resource() {
    let server = FakeServer::start().await;
    let form = [("grant_type", "client_credentials"), ("resource", API)];
    let reply = post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await;
    reply.assert_tokens();
    assert_eq!(introspect(&server, reply.str("access_token")).await["aud"], API);
    let form = [("grant_type", "client_credentials"), ("resource", "https://unknown.example.test")];
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await.assert_error(400, "invalid_target");
}

#[tokio::test]
async fn a_public_client_is_refused() {
    let server = FakeServer::start().await;
    let reply = post(&server, "/token", Auth::Public(PUBLIC), &[("grant_type", "client_credentials")]).await;
    reply.assert_error(400, "unauthorized_client");
}

#[tokio::test]
async fn a_client_not_registered_for_the_grant_is_unauthorized_client() {
    let server = FakeServer::start().await;
    let reply = post(&server, "/token", Auth::Basic(QUERY), &[("grant_type", "client_credentials")]).await;
    reply.assert_error(400, "unauthorized_client");
}

#[tokio::test]
async fn an_unknown_scope_is_invalid_scope() {
    let server = FakeServer::start().await;
    let form = [("grant_type", "client_credentials"), ("scope", "projects:read admin")];
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await.assert_error(400, "invalid_scope");
}
