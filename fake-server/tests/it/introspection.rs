//! Token introspection (RFC 7662): authenticated callers, exactly `{"active": false}` for
//! anything inactive, the full set of members for active tokens (INT-01..10).

use std::time::Duration;

use fake_server::FakeServer;
use serde_json::json;

use crate::support::{Auth, CONFIDENTIAL, JWT, OTHER, PUBLIC, RESOURCE_SERVER, introspect, post, tokens};

#[tokio::test]
async fn an_active_access_token_has_every_member_with_the_right_values() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let info = introspect(&server, t.str("access_token")).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["scope"], "openid profile");
    assert_eq!(info["client_id"], CONFIDENTIAL.id);
    assert_eq!(info["sub"], "alice");
    assert_eq!(info["username"], "alice");
    assert_eq!(info["token_type"], "Bearer");
    assert_eq!(info["iss"], server.issuer());
    assert_eq!(info["aud"], CONFIDENTIAL.id);
    assert!(info["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let (iat, exp) = (info["iat"].as_i64().expect("iat"), info["exp"].as_i64().expect("exp"));
    assert_eq!(exp - iat, 3600);
}

#[tokio::test]
async fn the_owning_client_may_introspect_its_own_token_and_nobody_elses() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let token = t.str("access_token");
    let own = post(&server, "/introspect", Auth::Basic(CONFIDENTIAL), &[("token", token)]).await;
    assert_eq!(own.json["active"], true);
    let other = post(&server, "/introspect", Auth::Basic(OTHER), &[("token", token)]).await;
    assert_eq!(other.status, 200);
    assert_eq!(other.json, json!({ "active": false }));
}

#[tokio::test]
async fn an_unknown_token_is_exactly_active_false() {
    let server = FakeServer::start().await;
    let reply = post(&server, "/introspect", Auth::Basic(RESOURCE_SERVER), &[("token", "oat_garbage")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json, json!({ "active": false }));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn an_expired_token_is_exactly_active_false() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    server.advance(Duration::from_secs(3601));
    assert_eq!(introspect(&server, t.str("access_token")).await, json!({ "active": false }));
}

#[tokio::test]
async fn a_refresh_token_is_found_whatever_the_hint() {
    let server = FakeServer::start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let rt = t.str("refresh_token");
    for hint in ["access_token", "refresh_token", "bogus"] {
        let form = [("token", rt), ("token_type_hint", hint)];
        let reply = post(&server, "/introspect", Auth::Basic(RESOURCE_SERVER), &form).await;
        assert_eq!(reply.json["active"], true, "hint {hint}: {}", reply.text);
        assert_eq!(reply.json["token_type"], "refresh_token");
        assert_eq!(reply.json["client_id"], CONFIDENTIAL.id);
    }
}

#[tokio::test]
async fn jwt_access_tokens_introspect_like_opaque_ones() {
    let server = FakeServer::start().await;
    let t = tokens(&server, JWT).await;
    let info = introspect(&server, t.str("access_token")).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], JWT.id);
    assert_eq!(info["sub"], "alice");
}

#[tokio::test]
async fn an_anonymous_caller_is_refused() {
    let server = FakeServer::start().await;
    let reply = post(&server, "/introspect", Auth::Anonymous, &[("token", "oat_x")]).await;
    reply.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn a_public_client_or_a_wrong_secret_is_refused_with_401() {
    let server = FakeServer::start().await;
    post(&server, "/introspect", Auth::Public(PUBLIC), &[("token", "oat_x")])
        .await
        .assert_error(401, "invalid_client");
    let form = [("token", "oat_x"), ("client_id", RESOURCE_SERVER.id), ("client_secret", "wrong")];
    post(&server, "/introspect", Auth::Anonymous, &form).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn a_missing_token_is_invalid_request() {
    let server = FakeServer::start().await;
    post(&server, "/introspect", Auth::Basic(RESOURCE_SERVER), &[])
        .await
        .assert_error(400, "invalid_request");
}
