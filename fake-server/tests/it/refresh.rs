//! The refresh-token grant: rotation, reuse detection, scope rules and bindings
//! (TOK-23..29, RI-05).

use std::time::Duration;

use fake_server::FakeServer;

use crate::support::{
    API, Authz, CONFIDENTIAL, OTHER, PUBLIC, active, introspect, refresh, tokens, tokens_with,
};

#[tokio::test]
async fn rotates_a_public_clients_refresh_token_and_the_old_one_stops_working() {
    let server = FakeServer::start().await;
    let first = tokens(&server, PUBLIC).await;
    let rt1 = first.str("refresh_token");
    let second = refresh(&server, PUBLIC, rt1, &[]).await;
    second.assert_tokens();
    let rt2 = second.str("refresh_token");
    assert_ne!(rt1, rt2, "a new refresh token");
    assert_ne!(first.str("access_token"), second.str("access_token"));
    assert_eq!(second.str("scope"), "openid profile");
    refresh(&server, PUBLIC, rt2, &[]).await.assert_tokens();
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_grant() {
    let server = FakeServer::start().await;
    let first = tokens(&server, PUBLIC).await;
    let rt1 = first.str("refresh_token").to_string();
    let second = refresh(&server, PUBLIC, &rt1, &[]).await;
    let rt2 = second.str("refresh_token");
    let at2 = second.str("access_token");
    let reuse = refresh(&server, PUBLIC, &rt1, &[]).await;
    reuse.assert_error(400, "invalid_grant");
    assert!(reuse.str("error_description").contains("already used"));
    refresh(&server, PUBLIC, rt2, &[]).await.assert_error(400, "invalid_grant");
    assert!(!active(&server, at2).await, "the access token of the successor is revoked too");
    assert!(!active(&server, first.str("access_token")).await);
}

#[tokio::test]
async fn a_narrower_scope_is_allowed_and_reported() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL).set("scope", "openid profile projects:read");
    let first = tokens_with(&server, authz, CONFIDENTIAL).await;
    let narrow =
        refresh(&server, CONFIDENTIAL, first.str("refresh_token"), &[("scope", "projects:read")]).await;
    narrow.assert_tokens();
    assert_eq!(narrow.str("scope"), "projects:read");
    assert_eq!(introspect(&server, narrow.str("access_token")).await["scope"], "projects:read");
}

#[tokio::test]
async fn a_wider_scope_is_invalid_scope() {
    let server = FakeServer::start().await;
    let first = tokens(&server, CONFIDENTIAL).await;
    let rt = first.str("refresh_token");
    let wider = refresh(&server, CONFIDENTIAL, rt, &[("scope", "openid profile projects:write")]).await;
    wider.assert_error(400, "invalid_scope");
    // The refused request did not consume the refresh token.
    refresh(&server, CONFIDENTIAL, rt, &[]).await.assert_tokens();
}

#[tokio::test]
async fn the_new_refresh_token_keeps_the_full_scope_after_a_narrower_refresh() {
    let server = FakeServer::start().await;
    let first = tokens(&server, CONFIDENTIAL).await;
    let narrow = refresh(&server, CONFIDENTIAL, first.str("refresh_token"), &[("scope", "openid")]).await;
    assert_eq!(narrow.str("scope"), "openid");
    let full = refresh(&server, CONFIDENTIAL, narrow.str("refresh_token"), &[]).await;
    full.assert_tokens();
    assert_eq!(full.str("scope"), "openid profile");
    let rt_info = introspect(&server, full.str("refresh_token")).await;
    assert_eq!(rt_info["scope"], "openid profile");
}

#[tokio::test]
async fn a_refresh_token_is_bound_to_its_client() {
    let server = FakeServer::start().await;
    let first = tokens(&server, CONFIDENTIAL).await;
    let rt = first.str("refresh_token");
    refresh(&server, OTHER, rt, &[]).await.assert_error(400, "invalid_grant");
    refresh(&server, PUBLIC, rt, &[]).await.assert_error(400, "invalid_grant");
    refresh(&server, CONFIDENTIAL, rt, &[]).await.assert_tokens();
}

#[tokio::test]
async fn an_unknown_or_missing_refresh_token_is_refused() {
    let server = FakeServer::start().await;
    refresh(&server, CONFIDENTIAL, "ort_nothing", &[]).await.assert_error(400, "invalid_grant");
    let reply = crate::support::post(
        &server,
        "/token",
        crate::support::Auth::Basic(CONFIDENTIAL),
        &[("grant_type", "refresh_token")],
    )
    .await;
    reply.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    let server = FakeServer::builder().settings(|s| s.refresh_token_lifetime_secs = 600).start().await;
    let first = tokens(&server, CONFIDENTIAL).await;
    server.advance(Duration::from_secs(601));
    refresh(&server, CONFIDENTIAL, first.str("refresh_token"), &[]).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn the_refresh_keeps_the_resource_binding_and_refuses_a_resource_outside_the_grant() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL).set("resource", API);
    let first = tokens_with(&server, authz, CONFIDENTIAL).await;
    let rt = first.str("refresh_token");
    let again = refresh(&server, CONFIDENTIAL, rt, &[]).await;
    again.assert_tokens();
    assert_eq!(introspect(&server, again.str("access_token")).await["aud"], API);
    let mcp = server.url("/mcp");
    let outside = refresh(&server, CONFIDENTIAL, again.str("refresh_token"), &[("resource", &mcp)]).await;
    outside.assert_error(400, "invalid_target");
}
