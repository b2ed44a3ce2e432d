//! Variants of the token, introspection and resource endpoints: refresh tokens not
//! introspectable, minimal introspection, redirect_uri required, sliding refresh expiry, no
//! resource indicators.

use fake_server::{FakeServer, Variant};

use crate::support::{Auth, CONFIDENTIAL, RESOURCE_SERVER, post, tokens};

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
