//! The protected MCP resource: RFC 9728 metadata, bearer challenges, audience and scope
//! checks, CORS, and the Streamable HTTP JSON-RPC subset (SPEC A.2, H.3, I.2, CORS-11/12).

use fake_server::{FakeServer, TokenFormat};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support_extra::*;

/// A token for alice through the confidential fixture client.
async fn token(server: &FakeServer, scope: &str, resource: Option<&str>) -> String {
    alice_token(server, scope, resource).await
}

fn rpc(id: i64, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

fn initialize() -> Value {
    rpc(
        1,
        "initialize",
        json!({ "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } }),
    )
}

async fn post(server: &FakeServer, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = http().post(server.url("/mcp")).header("accept", "application/json, text/event-stream");
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.json(body).send().await.unwrap()
}

fn challenge(resp: &reqwest::Response) -> String {
    resp.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn protected_resource_metadata_names_the_resource_exactly() {
    let server = FakeServer::start().await;
    let url = format!("http://{}/.well-known/oauth-protected-resource/mcp", server.addr());
    let resp = http().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(is_json(&resp));
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["resource"], server.url("/mcp"));
    assert_eq!(doc["authorization_servers"], json!([server.issuer()]));
    snapshot_settings().bind(|| insta::assert_json_snapshot!("prm_document", doc));
}

#[tokio::test]
async fn under_an_issuer_path_the_metadata_inserts_the_well_known_segment_first() {
    let server = FakeServer::builder().issuer_path("/tenant").start().await;
    let url = format!("http://{}/.well-known/oauth-protected-resource/tenant/mcp", server.addr());
    let doc: Value = http().get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["resource"], format!("http://{}/tenant/mcp", server.addr()));
    let resp = post(&server, None, &initialize()).await;
    assert!(challenge(&resp).contains(&format!("resource_metadata=\"{url}\"")));
}

#[tokio::test]
async fn no_token_gets_a_bare_challenge_pointing_at_the_metadata() {
    let server = FakeServer::start().await;
    let resp = post(&server, None, &initialize()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let c = challenge(&resp);
    assert!(!c.contains("error="), "{c}");
    let prm = format!("http://{}/.well-known/oauth-protected-resource/mcp", server.addr());
    assert!(c.contains(&format!("resource_metadata=\"{prm}\"")), "{c}");
    assert!(c.contains("scope=\"projects:read\""), "{c}");
    snapshot_settings().bind(|| insta::assert_snapshot!("mcp_401_no_token", c));
    assert_eq!(http().get(&prm).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_server_that_relies_on_the_well_known_url_names_no_metadata_in_its_challenges() {
    let server = FakeServer::builder()
        .settings(|s| {
            s.mcp_challenge_names_metadata = false;
            s.mcp_tool_scopes = vec!["profile".into()];
        })
        .start()
        .await;
    let mcp = server.url("/mcp");
    let bare = post(&server, None, &initialize()).await;
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    let c = challenge(&bare);
    assert!(c.starts_with("Bearer ") && c.contains(r#"scope="projects:read""#), "{c}");
    let stale = post(&server, Some("not-a-token"), &initialize()).await;
    assert!(challenge(&stale).contains(r#"error="invalid_token""#));
    let read = token(&server, "projects:read", Some(&mcp)).await;
    let call = rpc(3, "tools/call", json!({ "name": "whoami", "arguments": {} }));
    let refused = post(&server, Some(&read), &call).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    for c in [c, challenge(&stale), challenge(&refused)] {
        assert!(!c.contains("resource_metadata"), "{c}");
    }
    // The metadata is still where RFC 9728 §3.1 puts it.
    let prm = format!("http://{}/.well-known/oauth-protected-resource/mcp", server.addr());
    let doc: Value = http().get(&prm).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["resource"], mcp);
}

#[tokio::test]
async fn a_token_in_the_query_string_is_not_accepted() {
    let server = FakeServer::start().await;
    let at = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    let resp =
        http().post(server.url(&format!("/mcp?access_token={at}"))).json(&initialize()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_expired_and_foreign_tokens_get_invalid_token() {
    let server = FakeServer::start().await;
    let resp = post(&server, Some("oat_made_up"), &initialize()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let c = challenge(&resp);
    assert!(c.contains("error=\"invalid_token\"") && c.contains("resource_metadata="), "{c}");
    snapshot_settings().bind(|| insta::assert_snapshot!("mcp_401_invalid_token", c));

    let other = token(&server, "projects:read", Some("https://api.example.test")).await;
    let resp = post(&server, Some(&other), &initialize()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "another audience");
    assert!(challenge(&resp).contains("invalid_token"));
    let no_resource = token(&server, "projects:read", None).await;
    assert_eq!(post(&server, Some(&no_resource), &initialize()).await.status(), StatusCode::UNAUTHORIZED);

    let good = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    assert_eq!(post(&server, Some(&good), &initialize()).await.status(), StatusCode::OK);
    server.advance(std::time::Duration::from_secs(3700));
    let resp = post(&server, Some(&good), &initialize()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "expired");
    assert!(challenge(&resp).contains("invalid_token"));
}

#[tokio::test]
async fn a_token_without_the_required_scope_gets_403_insufficient_scope() {
    let server = FakeServer::start().await;
    let at = token(&server, "openid", Some(&server.url("/mcp"))).await;
    let resp = post(&server, Some(&at), &initialize()).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let c = challenge(&resp);
    assert!(c.contains("error=\"insufficient_scope\"") && c.contains("scope=\"projects:read\""), "{c}");
    assert!(c.contains("resource_metadata="), "{c}");
    snapshot_settings().bind(|| insta::assert_snapshot!("mcp_403_insufficient_scope", c));
    let write = token(&server, "projects:write", Some(&server.url("/mcp"))).await;
    assert_eq!(
        post(&server, Some(&write), &initialize()).await.status(),
        StatusCode::OK,
        "write implies read"
    );
}

#[tokio::test]
async fn tool_scopes_refuse_calls_at_runtime_naming_every_scope_a_call_needs() {
    let server = FakeServer::builder().settings(|s| s.mcp_tool_scopes = vec!["profile".into()]).start().await;
    let mcp = server.url("/mcp");
    let read = token(&server, "projects:read", Some(&mcp)).await;
    // Connecting and listing need only the resource's scope.
    assert_eq!(post(&server, Some(&read), &initialize()).await.status(), StatusCode::OK);
    let list = post(&server, Some(&read), &rpc(2, "tools/list", json!({}))).await;
    assert_eq!(list.status(), StatusCode::OK);
    // A call, alone or in a batch, gets the runtime 403 with all the scopes a call needs.
    let call = rpc(3, "tools/call", json!({ "name": "whoami", "arguments": {} }));
    for body in [call.clone(), json!([rpc(4, "ping", json!({})), call.clone()])] {
        let resp = post(&server, Some(&read), &body).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{body}");
        let c = challenge(&resp);
        assert!(c.contains(r#"error="insufficient_scope""#), "{c}");
        assert!(c.contains(r#"scope="projects:read profile""#), "{c}");
        assert!(c.contains("resource_metadata="), "{c}");
    }
    let both = token(&server, "projects:read profile", Some(&mcp)).await;
    let resp = post(&server, Some(&both), &call).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let who: Value = resp.json().await.unwrap();
    assert_eq!(who["result"]["structuredContent"]["user"], "alice", "{who}");
    // Without tool scopes (the default) the resource's scope is enough for a call.
    let plain = FakeServer::start().await;
    let read = token(&plain, "projects:read", Some(&plain.url("/mcp"))).await;
    assert_eq!(post(&plain, Some(&read), &call).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn redirected_tool_calls_go_to_another_origin_and_everything_else_is_answered_here() {
    let server = FakeServer::builder().settings(|s| s.mcp_redirect_tool_calls = true).start().await;
    let mcp = server.url("/mcp");
    let read = token(&server, "projects:read", Some(&mcp)).await;
    assert_eq!(post(&server, Some(&read), &initialize()).await.status(), StatusCode::OK);
    assert_eq!(post(&server, Some(&read), &rpc(2, "tools/list", json!({}))).await.status(), StatusCode::OK);
    let call = rpc(3, "tools/call", json!({ "name": "whoami", "arguments": {} }));
    let resp = post(&server, Some(&read), &call).await;
    assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT);
    let to = resp.headers()["location"].to_str().unwrap().to_string();
    let (here, there) = (url::Url::parse(&mcp).unwrap(), url::Url::parse(&to).unwrap());
    assert_ne!(here.origin(), there.origin(), "another origin: {to}");
    assert_eq!((there.port(), there.path()), (here.port(), "/mcp/moved"), "{to}");
    // Nothing is served there.
    assert_eq!(http().post(&to).json(&call).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // Without a token the call still gets the 401 first.
    assert_eq!(post(&server, None, &call).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_resource_that_moves_names_the_new_authorization_server_after_its_first_accepted_request() {
    let new_issuer = "https://as2.example.test";
    let server = FakeServer::builder().settings(|s| s.mcp_moves_to = Some(new_issuer.into())).start().await;
    let prm = format!("http://{}/.well-known/oauth-protected-resource/mcp", server.addr());
    let named = || async { http().get(&prm).send().await.unwrap().json::<Value>().await.unwrap() };
    assert_eq!(named().await["authorization_servers"], json!([server.issuer()]));
    let read = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    assert_eq!(post(&server, Some(&read), &initialize()).await.status(), StatusCode::OK);
    // Moved: the metadata names the new server, and no token of this one is accepted.
    assert_eq!(named().await["authorization_servers"], json!([new_issuer]));
    let refused = post(&server, Some(&read), &rpc(2, "tools/list", json!({}))).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&refused).contains(r#"error="invalid_token""#), "{}", challenge(&refused));
    let fresh = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    assert_eq!(post(&server, Some(&fresh), &initialize()).await.status(), StatusCode::UNAUTHORIZED);
    // Without the setting nothing moves.
    let plain = FakeServer::start().await;
    let read = token(&plain, "projects:read", Some(&plain.url("/mcp"))).await;
    for _ in 0..2 {
        assert_eq!(post(&plain, Some(&read), &initialize()).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_server_that_names_no_scope_in_its_401_still_lists_it_in_the_metadata() {
    let server = FakeServer::builder().settings(|s| s.mcp_challenge_names_scope = false).start().await;
    let c = challenge(&post(&server, None, &initialize()).await);
    assert!(c.contains("resource_metadata=") && !c.contains("scope="), "{c}");
    let prm = format!("http://{}/.well-known/oauth-protected-resource/mcp", server.addr());
    let doc: Value = http().get(&prm).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["scopes_supported"], json!(["projects:read"]));
    // A 403 still says which scope is missing (RFC 6750 §3.1).
    let profile = token(&server, "profile", Some(&server.url("/mcp"))).await;
    let refused = post(&server, Some(&profile), &initialize()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(challenge(&refused).contains(r#"scope="projects:read""#), "{}", challenge(&refused));
}

#[tokio::test]
async fn metadata_about_another_resource_can_be_served_for_testing_clients() {
    let other = "https://attacker.example.test/mcp";
    let server =
        FakeServer::builder().settings(|s| s.mcp_metadata_resource = Some(other.into())).start().await;
    let prm = format!("http://{}/.well-known/oauth-protected-resource/mcp", server.addr());
    let doc: Value = http().get(&prm).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["resource"], other);
    assert_eq!(doc["authorization_servers"], json!([server.issuer()]));
    // The resource itself still takes tokens for its own URL only.
    let at = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    assert_eq!(post(&server, Some(&at), &initialize()).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_use_limit_revokes_each_access_token_at_its_last_accepted_request() {
    let server = FakeServer::builder().settings(|s| s.mcp_token_uses = 2).start().await;
    let at = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    let ping = rpc(2, "ping", json!({}));
    assert_eq!(post(&server, Some(&at), &initialize()).await.status(), StatusCode::OK);
    assert_eq!(post(&server, Some(&at), &ping).await.status(), StatusCode::OK);
    let spent = post(&server, Some(&at), &ping).await;
    assert_eq!(spent.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&spent).contains(r#"error="invalid_token""#), "{}", challenge(&spent));
    // Revoked, not merely refused here: introspection agrees.
    assert_eq!(crate::support::introspect(&server, &at).await, json!({ "active": false }));
    // Refused requests do not count: a fresh token still gets its two.
    let fresh = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    assert_eq!(post(&server, None, &ping).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(post(&server, Some(&fresh), &initialize()).await.status(), StatusCode::OK);
    assert_eq!(post(&server, Some(&fresh), &ping).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn token_latency_holds_every_token_answer_back_as_a_remote_server_would() {
    let server = FakeServer::builder().settings(|s| s.token_latency_ms = 150).start().await;
    let started = std::time::Instant::now();
    let at = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(150), "{:?}", started.elapsed());
    // The answer itself is the usual one.
    assert_eq!(post(&server, Some(&at), &initialize()).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn jwt_access_tokens_are_checked_the_same_way() {
    let server = FakeServer::builder().access_token_format(TokenFormat::Jwt).start().await;
    let at = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    assert_eq!(at.split('.').count(), 3);
    assert_eq!(post(&server, Some(&at), &initialize()).await.status(), StatusCode::OK);
    let mut tampered = at.clone();
    tampered.push('x');
    assert_eq!(post(&server, Some(&tampered), &initialize()).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn speaks_enough_streamable_http_json_rpc_for_a_client_to_initialize() {
    let server = FakeServer::start().await;
    let at = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    let resp = post(&server, Some(&at), &initialize()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(is_json(&resp));
    let session = resp.headers()["mcp-session-id"].to_str().unwrap().to_string();
    let init: Value = resp.json().await.unwrap();
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(init["result"]["serverInfo"]["name"], "oauth-fake-server");

    let with_session = |body: Value| {
        http()
            .post(server.url("/mcp"))
            .bearer_auth(&at)
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-06-18")
            .json(&body)
            .send()
    };
    let note = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    assert_eq!(with_session(note).await.unwrap().status(), StatusCode::ACCEPTED);
    let tools: Value = with_session(rpc(2, "tools/list", json!({}))).await.unwrap().json().await.unwrap();
    assert_eq!(tools["result"]["tools"][0]["name"], "whoami");
    let who: Value = with_session(rpc(3, "tools/call", json!({ "name": "whoami", "arguments": {} })))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(who["result"]["structuredContent"]["user"], "alice");
    let pong: Value = with_session(rpc(4, "ping", json!({}))).await.unwrap().json().await.unwrap();
    assert_eq!(pong["result"], json!({}));
    let unknown: Value =
        with_session(rpc(5, "resources/list", json!({}))).await.unwrap().json().await.unwrap();
    assert_eq!(unknown["error"]["code"], -32601);

    let stale = http()
        .post(server.url("/mcp"))
        .bearer_auth(&at)
        .header("mcp-session-id", "mcp_gone")
        .json(&rpc(6, "ping", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);
    let bad_version = http()
        .post(server.url("/mcp"))
        .bearer_auth(&at)
        .header("mcp-protocol-version", "1999-01-01")
        .json(&rpc(7, "ping", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_version.status(), StatusCode::BAD_REQUEST);
    let get = http().get(server.url("/mcp")).bearer_auth(&at).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    let end = http()
        .delete(server.url("/mcp"))
        .bearer_auth(&at)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(end.status(), StatusCode::NO_CONTENT);

    let future = rpc(8, "initialize", json!({ "protocolVersion": "2099-01-01", "capabilities": {} }));
    let init: Value = post(&server, Some(&at), &future).await.json().await.unwrap();
    assert_eq!(init["result"]["protocolVersion"], "2026-07-28", "an unknown version gets our newest");
}

#[tokio::test]
async fn browsers_get_cors_on_preflights_challenges_and_metadata() {
    let server = FakeServer::start().await;
    let origin = "http://localhost:6274";
    let resp = http()
        .request(Method::OPTIONS, server.url("/mcp"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, mcp-protocol-version, mcp-session-id",
        )
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "a preflight needs no token");
    let allow = resp.headers()["access-control-allow-headers"].to_str().unwrap();
    for h in ["authorization", "content-type", "mcp-protocol-version", "mcp-session-id"] {
        assert!(allow.contains(h), "{h} in {allow}");
    }
    let resp =
        http().post(server.url("/mcp")).header("origin", origin).json(&initialize()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["access-control-allow-origin"], origin);
    let expose = resp.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(expose.contains("www-authenticate") && expose.contains("mcp-session-id"), "{expose}");
    let prm = format!("http://{}/.well-known/oauth-protected-resource/mcp", server.addr());
    let resp = http().get(&prm).header("origin", origin).send().await.unwrap();
    assert!(resp.headers().contains_key("access-control-allow-origin"));
    let resp = http()
        .request(Method::OPTIONS, &prm)
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "mcp-protocol-version")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert!(
        resp.headers()["access-control-allow-headers"].to_str().unwrap().contains("mcp-protocol-version")
    );
}

#[tokio::test]
async fn a_disallowed_origin_is_refused_by_the_mcp_server() {
    let server = FakeServer::builder()
        .settings(|s| s.cors_origins = vec!["https://ok.example.test".into()])
        .start()
        .await;
    let at = token(&server, "projects:read", Some(&server.url("/mcp"))).await;
    let resp = http()
        .post(server.url("/mcp"))
        .bearer_auth(&at)
        .header("origin", "https://evil.example.test")
        .json(&initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
