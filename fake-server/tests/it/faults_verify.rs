//! The faults of token verification (introspection, revocation, JWT access tokens, resource
//! indicators) and of the protected resource's metadata: each changes what the server does,
//! in the way its documentation says, and nothing when it is off.

use fake_server::{FakeServer, Fault};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    API, Auth, Authz, CONFIDENTIAL, JWT, OTHER, Reply, active, http, post, refresh, tokens, tokens_with,
};

async fn with(fault: Fault) -> FakeServer {
    FakeServer::builder().fault(fault).start().await
}

fn mcp_authz(server: &FakeServer, client: crate::support::Client) -> Authz {
    Authz::new(client).set("scope", "openid projects:read").set("resource", &server.url("/mcp"))
}

async fn call_mcp(server: &FakeServer, token: &str) -> StatusCode {
    let ping = json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" });
    http().post(server.url("/mcp")).bearer_auth(token).json(&ping).send().await.unwrap().status()
}

async fn prm(server: &FakeServer, path: &str) -> Reply {
    Reply::read(http().get(server.url(path)).send().await.unwrap()).await
}

const PRM: &str = "/.well-known/oauth-protected-resource/mcp";

#[tokio::test]
async fn introspection_bad_auth_inactive_answers_a_wrong_secret_with_an_inactive_token() {
    let s = with(Fault::IntrospectionBadAuthInactive).await;
    let wrong = crate::support::Client { secret: Some("wrong"), ..OTHER };
    let r = post(&s, "/introspect", Auth::Basic(wrong), &[("token", "x")]).await;
    assert_eq!((r.status, r.json.clone()), (StatusCode::OK, json!({ "active": false })));
    // No credentials at all are still refused: that is the anonymous-introspection fault.
    assert_eq!(post(&s, "/introspect", Auth::Anonymous, &[("token", "x")]).await.status, 401);
    let clean = FakeServer::start().await;
    post(&clean, "/introspect", Auth::Basic(wrong), &[("token", "x")])
        .await
        .assert_error(401, "invalid_client");
}

#[tokio::test]
async fn introspection_shows_other_clients_reveals_another_clients_token() {
    for (fault, expected) in [(Some(Fault::IntrospectionShowsOtherClients), true), (None, false)] {
        let s = match fault {
            Some(f) => with(f).await,
            None => FakeServer::start().await,
        };
        let at = tokens(&s, CONFIDENTIAL).await.str("access_token").to_string();
        let r = post(&s, "/introspect", Auth::Basic(OTHER), &[("token", &at)]).await;
        assert_eq!(r.json["active"], expected, "{fault:?}: {}", r.text);
    }
}

#[tokio::test]
async fn introspection_times_as_strings_sends_an_access_tokens_exp_and_iat_as_text() {
    let s = with(Fault::IntrospectionTimesAsStrings).await;
    let t = tokens(&s, OTHER).await;
    let r = post(&s, "/introspect", Auth::Basic(OTHER), &[("token", t.str("access_token"))]).await;
    assert!(r.json["exp"].is_string() && r.json["iat"].is_string(), "{}", r.text);
    let r = post(&s, "/introspect", Auth::Basic(OTHER), &[("token", t.str("refresh_token"))]).await;
    assert!(r.json["exp"].is_i64(), "refresh tokens keep numbers: {}", r.text);
}

#[tokio::test]
async fn introspect_unknown_is_400_concerns_unknown_tokens_only() {
    let s = with(Fault::IntrospectUnknownIs400).await;
    post(&s, "/introspect", Auth::Basic(OTHER), &[("token", "nope")])
        .await
        .assert_error(400, "invalid_request");
    let at = tokens(&s, OTHER).await.str("access_token").to_string();
    assert_eq!(post(&s, "/revoke", Auth::Basic(OTHER), &[("token", &at)]).await.status, 200);
    let r = post(&s, "/introspect", Auth::Basic(OTHER), &[("token", &at)]).await;
    assert_eq!((r.status, r.json), (StatusCode::OK, json!({ "active": false })));
}

#[tokio::test]
async fn anonymous_revocation_lets_anyone_revoke_any_token() {
    let s = with(Fault::AnonymousRevocation).await;
    let at = tokens(&s, OTHER).await.str("access_token").to_string();
    assert_eq!(post(&s, "/revoke", Auth::Anonymous, &[("token", &at)]).await.status, 200);
    assert!(!active(&s, &at).await);
    let clean = FakeServer::start().await;
    let at = tokens(&clean, OTHER).await.str("access_token").to_string();
    post(&clean, "/revoke", Auth::Anonymous, &[("token", &at)]).await.assert_error(401, "invalid_client");
    assert!(active(&clean, &at).await);
}

#[tokio::test]
async fn resource_ignores_jwt_revocation_serves_a_revoked_jwt_but_not_a_revoked_opaque_token() {
    let s = with(Fault::ResourceIgnoresJwtRevocation).await;
    for (client, still_served) in [(JWT, true), (OTHER, false)] {
        let at = tokens_with(&s, mcp_authz(&s, client), client).await.str("access_token").to_string();
        assert_eq!(call_mcp(&s, &at).await, StatusCode::OK);
        assert_eq!(post(&s, "/revoke", Auth::Basic(client), &[("token", &at)]).await.status, 200);
        assert!(!active(&s, &at).await, "introspection still sees the revocation");
        let expected = if still_served { StatusCode::OK } else { StatusCode::UNAUTHORIZED };
        assert_eq!(call_mcp(&s, &at).await, expected, "{}", client.id);
    }
}

#[tokio::test]
async fn jwt_scp_instead_of_scope_moves_the_scopes_into_an_array() {
    let s = with(Fault::JwtScpInsteadOfScope).await;
    let at = tokens(&s, JWT).await.str("access_token").to_string();
    let payload = at.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap(),
    )
    .unwrap();
    assert!(claims.get("scope").is_none() && claims["scp"].is_array(), "{claims}");
}

#[tokio::test]
async fn refresh_rejects_resource_refuses_a_resource_on_refresh_only() {
    let s = with(Fault::RefreshRejectsResource).await;
    let t = tokens_with(&s, Authz::new(OTHER).set("resource", API), OTHER).await;
    let rt = t.str("refresh_token").to_string();
    refresh(&s, OTHER, &rt, &[("resource", API)]).await.assert_error(400, "invalid_target");
    refresh(&s, OTHER, &rt, &[]).await.assert_tokens();
}

#[tokio::test]
async fn prm_path_appended_moves_the_metadata_after_the_resource_path() {
    let s = with(Fault::PrmPathAppended).await;
    assert_eq!(prm(&s, PRM).await.status, StatusCode::NOT_FOUND);
    let appended = "/mcp/.well-known/oauth-protected-resource";
    assert_eq!(prm(&s, appended).await.json["resource"], s.url("/mcp"));
    let resp = http().post(s.url("/mcp")).json(&json!({})).send().await.unwrap();
    let challenge = resp.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.contains(&format!("resource_metadata=\"{}\"", s.url(appended))), "{challenge}");
}

#[tokio::test]
async fn prm_faults_take_members_out_or_add_offline_access() {
    let doc = prm(&with(Fault::PrmNoAuthorizationServers).await, PRM).await.json;
    assert!(doc.get("authorization_servers").is_none() && doc["resource"].is_string(), "{doc}");
    let doc = prm(&with(Fault::PrmNoScopesSupported).await, PRM).await.json;
    assert!(doc.get("scopes_supported").is_none(), "{doc}");
    let doc = prm(&with(Fault::PrmOfflineAccessScope).await, PRM).await.json;
    assert_eq!(doc["scopes_supported"], json!(["projects:read", "offline_access"]));
    let doc = prm(&FakeServer::start().await, PRM).await.json;
    assert_eq!(doc["scopes_supported"], json!(["projects:read"]));
    assert_eq!(doc["authorization_servers"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn mcp_no_scope_in_challenge_drops_scope_from_the_401_only() {
    let s = with(Fault::McpNoScopeInChallenge).await;
    let resp = http().post(s.url("/mcp")).json(&json!({})).send().await.unwrap();
    let challenge = resp.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("resource_metadata=") && !challenge.contains("scope="), "{challenge}");
}

#[tokio::test]
async fn mcp_cors_old_headers_leaves_out_the_2026_headers() {
    for (fault, has_new) in [(Some(Fault::McpCorsOldHeaders), false), (None, true)] {
        let s = match fault {
            Some(f) => with(f).await,
            None => FakeServer::start().await,
        };
        let resp = http()
            .request(Method::OPTIONS, s.url("/mcp"))
            .header("origin", "https://app.example.test")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        let allowed = resp.headers()["access-control-allow-headers"].to_str().unwrap().to_string();
        assert!(allowed.contains("mcp-session-id"), "{allowed}");
        assert_eq!(allowed.contains("mcp-method") && allowed.contains("mcp-name"), has_new, "{allowed}");
    }
}
