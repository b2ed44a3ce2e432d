//! Token revocation (RFC 7009): instant for opaque and JWT tokens, cascading from refresh
//! tokens, refused across clients, 200 for unknown tokens (REV-01..10, INT-10).

use fake_server::FakeServer;

use crate::support::{Auth, CONFIDENTIAL, JWT, OTHER, PUBLIC, active, post, refresh, tokens, userinfo};

#[tokio::test]
async fn a_revoked_opaque_access_token_is_dead_on_the_very_next_call() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let at = t.str("access_token");
    assert_eq!(userinfo(&server, at).await.status, 200);
    let reply = post(
        &server,
        "/revoke",
        Auth::Basic(CONFIDENTIAL),
        &[("token", at), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(!active(&server, at).await);
    assert_eq!(userinfo(&server, at).await.status, 401);
}

#[tokio::test]
async fn a_revoked_jwt_access_token_is_dead_on_the_very_next_call() {
    let server = FakeServer::start().await;
    let t = tokens(&server, JWT).await;
    let at = t.str("access_token");
    assert_eq!(at.split('.').count(), 3, "a JWT");
    assert!(active(&server, at).await);
    assert_eq!(post(&server, "/revoke", Auth::Basic(JWT), &[("token", at)]).await.status, 200);
    assert!(!active(&server, at).await);
    assert_eq!(userinfo(&server, at).await.status, 401);
}

#[tokio::test]
async fn revoking_an_access_token_leaves_its_refresh_token_usable() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    post(&server, "/revoke", Auth::Basic(CONFIDENTIAL), &[("token", t.str("access_token"))]).await;
    refresh(&server, CONFIDENTIAL, t.str("refresh_token"), &[]).await.assert_tokens();
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_the_access_tokens_of_its_grant() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let rt = t.str("refresh_token");
    let later = refresh(&server, CONFIDENTIAL, rt, &[]).await;
    let rt2 = later.str("refresh_token");
    assert_eq!(post(&server, "/revoke", Auth::Basic(CONFIDENTIAL), &[("token", rt2)]).await.status, 200);
    refresh(&server, CONFIDENTIAL, rt2, &[]).await.assert_error(400, "invalid_grant");
    assert!(!active(&server, t.str("access_token")).await);
    assert!(!active(&server, later.str("access_token")).await);
}

#[tokio::test]
async fn a_wrong_or_unknown_hint_still_finds_and_revokes_the_token() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let rt = t.str("refresh_token");
    let reply = post(
        &server,
        "/revoke",
        Auth::Basic(CONFIDENTIAL),
        &[("token", rt), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(!active(&server, rt).await);
    let t = tokens(&server, CONFIDENTIAL).await;
    let at = t.str("access_token");
    let reply =
        post(&server, "/revoke", Auth::Basic(CONFIDENTIAL), &[("token", at), ("token_type_hint", "foo")])
            .await;
    assert_eq!(reply.status, 200);
    assert!(!active(&server, at).await);
}

#[tokio::test]
async fn another_client_cannot_revoke_a_token_and_it_stays_active() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    for token in [t.str("access_token"), t.str("refresh_token")] {
        let reply = post(&server, "/revoke", Auth::Basic(OTHER), &[("token", token)]).await;
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert!(reply.json["error"].is_string());
        assert!(active(&server, token).await);
    }
}

#[tokio::test]
async fn an_unknown_or_already_revoked_token_answers_200() {
    let server = FakeServer::start().await;
    let reply = post(&server, "/revoke", Auth::Basic(CONFIDENTIAL), &[("token", "oat_never_issued")]).await;
    assert_eq!(reply.status, 200);
    let t = tokens(&server, CONFIDENTIAL).await;
    for _ in 0..2 {
        let reply =
            post(&server, "/revoke", Auth::Basic(CONFIDENTIAL), &[("token", t.str("refresh_token"))]).await;
        assert_eq!(reply.status, 200);
    }
}

#[tokio::test]
async fn a_public_client_revokes_its_own_tokens_with_client_id_alone() {
    let server = FakeServer::start().await;
    let t = tokens(&server, PUBLIC).await;
    let rt = t.str("refresh_token");
    assert_eq!(post(&server, "/revoke", Auth::Public(PUBLIC), &[("token", rt)]).await.status, 200);
    refresh(&server, PUBLIC, rt, &[]).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn revocation_requires_client_authentication() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let at = t.str("access_token");
    post(&server, "/revoke", Auth::Anonymous, &[("token", at)]).await.assert_error(401, "invalid_client");
    let form = [("token", at), ("client_id", CONFIDENTIAL.id)];
    post(&server, "/revoke", Auth::Anonymous, &form).await.assert_error(401, "invalid_client");
    assert!(active(&server, at).await);
}

#[tokio::test]
async fn a_missing_token_is_invalid_request() {
    let server = FakeServer::start().await;
    post(&server, "/revoke", Auth::Basic(CONFIDENTIAL), &[]).await.assert_error(400, "invalid_request");
}
