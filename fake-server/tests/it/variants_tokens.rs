//! Variants of the token, introspection and resource endpoints: refresh tokens not
//! introspectable, minimal introspection, redirect_uri required, sliding refresh expiry, no
//! resource indicators.

use std::time::Duration;

use fake_server::{FakeServer, Variant};

use crate::support::{
    Auth, Authz, CONFIDENTIAL, RESOURCE_SERVER, code_for, exchange, post, refresh, tokens, tokens_with,
};

/// Introspection as the resource server, the whole JSON answer.
async fn described(server: &FakeServer, token: &str) -> serde_json::Value {
    let reply = post(server, "/introspect", Auth::Basic(RESOURCE_SERVER), &[("token", token)]).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    reply.json
}

#[tokio::test]
async fn refresh_tokens_are_inactive_to_introspection_under_refresh_not_introspectable() {
    let server = FakeServer::builder().variant(Variant::RefreshNotIntrospectable).start().await;
    let issued = tokens(&server, CONFIDENTIAL).await;
    assert_eq!(described(&server, issued.str("refresh_token")).await, serde_json::json!({ "active": false }));
    assert_eq!(described(&server, issued.str("access_token")).await["active"], true);
    crate::support::refresh(&server, CONFIDENTIAL, issued.str("refresh_token"), &[]).await.assert_tokens();

    let default = FakeServer::start().await;
    let issued = tokens(&default, CONFIDENTIAL).await;
    assert_eq!(described(&default, issued.str("refresh_token")).await["active"], true);
}

#[tokio::test]
async fn active_answers_leave_out_the_optional_members_under_introspection_minimal() {
    let server = FakeServer::builder().variant(Variant::IntrospectionMinimal).start().await;
    let issued = tokens(&server, CONFIDENTIAL).await;
    for token in [issued.str("access_token"), issued.str("refresh_token")] {
        let info = described(&server, token).await;
        assert_eq!(info["active"], true, "{info}");
        for gone in ["exp", "iat", "nbf", "jti", "token_type", "iss"] {
            assert!(info.get(gone).is_none(), "{gone} in {info}");
        }
        for kept in ["scope", "client_id", "sub", "username"] {
            assert!(info.get(kept).is_some(), "{kept} missing from {info}");
        }
    }
    assert!(described(&server, issued.str("access_token")).await.get("aud").is_some());

    let default = FakeServer::start().await;
    let info = described(&default, tokens(&default, CONFIDENTIAL).await.str("access_token")).await;
    for member in ["exp", "iat", "jti", "token_type", "iss"] {
        assert!(info.get(member).is_some(), "{member} missing by default from {info}");
    }
}

/// A code for CONFIDENTIAL from a request that named its redirect URI, exchanged without it.
async fn exchange_without_redirect_uri(server: &FakeServer, authz: &Authz) -> crate::support::Reply {
    let code = code_for(server, authz).await;
    let form =
        [("grant_type", "authorization_code"), ("code", &code), ("code_verifier", &authz.pkce.verifier)];
    post(server, "/token", Auth::Basic(CONFIDENTIAL), &form).await
}

#[tokio::test]
async fn the_token_request_must_repeat_redirect_uri_under_token_redirect_uri_required() {
    let server = FakeServer::builder().variant(Variant::TokenRedirectUriRequired).start().await;
    let authz = Authz::new(CONFIDENTIAL);
    exchange_without_redirect_uri(&server, &authz).await.assert_error(400, "invalid_grant");
    let code = code_for(&server, &authz).await;
    exchange(&server, CONFIDENTIAL, &code, &authz.pkce.verifier).await.assert_tokens();
    // A request that left redirect_uri out needs none at the token endpoint.
    let without = Authz::new(CONFIDENTIAL).remove("redirect_uri");
    exchange_without_redirect_uri(&server, &without).await.assert_tokens();

    let default = FakeServer::start().await;
    exchange_without_redirect_uri(&default, &authz).await.assert_tokens();
}

/// Refresh after `later`, and the `exp` of the first and of the successor refresh token.
async fn expiries_across_a_rotation(server: &FakeServer, later: Duration) -> (i64, i64) {
    let issued = tokens(server, CONFIDENTIAL).await;
    let first = described(server, issued.str("refresh_token")).await["exp"].as_i64().unwrap();
    server.advance(later);
    let rotated = refresh(server, CONFIDENTIAL, issued.str("refresh_token"), &[]).await;
    rotated.assert_tokens();
    let successor = described(server, rotated.str("refresh_token")).await["exp"].as_i64().unwrap();
    (first, successor)
}

#[tokio::test]
async fn a_rotated_refresh_token_lives_a_full_lifetime_under_sliding_refresh() {
    let day = Duration::from_secs(24 * 3600);
    let server = FakeServer::builder().variant(Variant::SlidingRefresh).start().await;
    let (first, successor) = expiries_across_a_rotation(&server, day).await;
    assert!((successor - first - 86_400).abs() <= 2, "slides by the elapsed day: {first} -> {successor}");

    let default = FakeServer::start().await;
    let (first, successor) = expiries_across_a_rotation(&default, day).await;
    assert_eq!(successor, first, "by default the successor inherits the expiry");
}

/// POST an MCP `initialize` to the demo resource with a bearer token: the status.
async fn mcp_status(server: &FakeServer, token: &str) -> u16 {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } },
    });
    let req = crate::support::http().post(server.url("/mcp")).bearer_auth(token);
    let req = req.header("accept", "application/json, text/event-stream").json(&body);
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn resource_is_ignored_everywhere_under_no_resource_indicators() {
    let server = FakeServer::builder().variant(Variant::NoResourceIndicators).start().await;
    let unknown = "https://unknown.example.test/api";
    let authz = Authz::new(CONFIDENTIAL).set("scope", "projects:read").set("resource", unknown);
    let issued = tokens_with(&server, authz, CONFIDENTIAL).await;
    let info = described(&server, issued.str("access_token")).await;
    assert_eq!(info["aud"], CONFIDENTIAL.id, "no resource audience: {info}");
    assert_eq!(mcp_status(&server, issued.str("access_token")).await, 200, "any live token is accepted");
    let narrowed =
        refresh(&server, CONFIDENTIAL, issued.str("refresh_token"), &[("resource", unknown)]).await;
    narrowed.assert_tokens();
    assert_eq!(described(&server, narrowed.str("access_token")).await["aud"], CONFIDENTIAL.id);
    let form = [("grant_type", "client_credentials"), ("resource", unknown)];
    let machine = post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await;
    machine.assert_tokens();
    assert_eq!(described(&server, machine.str("access_token")).await["aud"], CONFIDENTIAL.id);

    let default = FakeServer::start().await;
    post(&default, "/token", Auth::Basic(CONFIDENTIAL), &form).await.assert_error(400, "invalid_target");
    let plain =
        tokens_with(&default, Authz::new(CONFIDENTIAL).set("scope", "projects:read"), CONFIDENTIAL).await;
    assert_eq!(mcp_status(&default, plain.str("access_token")).await, 401, "a token for no resource");
}
