//! Recorded requests (`record_requests`): what a test of a client reads back, in the library
//! and through the admin API.

use fake_server::FakeServer;
use reqwest::StatusCode;

use crate::support::{Auth, CONFIDENTIAL, http, post};

#[tokio::test]
async fn nothing_is_recorded_unless_asked() {
    let server = FakeServer::start().await;
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &[("grant_type", "client_credentials")])
        .await
        .assert_tokens();
    assert!(server.requests().is_empty());
    let resp =
        http().get(server.url("/admin/api/requests")).bearer_auth(server.admin_key()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "recording is off");
}

#[tokio::test]
async fn requests_are_kept_in_order_with_their_query_form_and_headers() {
    let server = FakeServer::builder().record_requests().start().await;
    http().get(server.url("/authorize?client_id=demo-spa&state=s1&response_type=code")).send().await.unwrap();
    let form = [("grant_type", "client_credentials"), ("scope", "projects:read")];
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await.assert_tokens();
    let recorded = server.requests();
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    let (authorize, token) = (&recorded[0], &recorded[1]);
    assert_eq!((authorize.method.as_str(), authorize.path.as_str()), ("GET", "/authorize"));
    assert_eq!(authorize.param("state"), Some("s1"));
    assert_eq!((token.method.as_str(), token.path.as_str()), ("POST", "/token"));
    assert_eq!(token.param("grant_type"), Some("client_credentials"));
    assert!(token.header("authorization").is_some_and(|a| a.starts_with("Basic ")));
    assert!(authorize.at_ms <= token.at_ms);
    // Debug output names parameters but never shows their values (a Basic credential here).
    let debug = format!("{token:?}");
    assert!(debug.contains("grant_type") && !debug.contains("Basic"), "{debug}");
}

#[tokio::test]
async fn the_admin_api_lists_and_clears_them_with_the_admin_key_only() {
    let server = FakeServer::builder().record_requests().start().await;
    http().get(server.url("/jwks")).send().await.unwrap();
    let url = server.url("/admin/api/requests");
    let anonymous = http().get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let list: serde_json::Value =
        http().get(&url).bearer_auth(server.admin_key()).send().await.unwrap().json().await.unwrap();
    let paths: Vec<&str> = list.as_array().unwrap().iter().filter_map(|r| r["path"].as_str()).collect();
    assert_eq!(&paths[..2], ["/jwks", "/admin/api/requests"]);
    let cleared = http().delete(&url).bearer_auth(server.admin_key()).send().await.unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    // The DELETE itself was recorded before it cleared the journal.
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn a_body_too_large_to_record_still_reaches_the_endpoint() {
    let server = FakeServer::builder().record_requests().start().await;
    let pad = "a".repeat(70 * 1024);
    let reply = post(
        &server,
        "/token",
        Auth::Basic(CONFIDENTIAL),
        &[("grant_type", "client_credentials"), ("pad", &pad)],
    )
    .await;
    // The endpoint answered it itself (its own limits, not the recorder's); the record has no body.
    assert!(reply.status.is_client_error() || reply.status.is_success(), "{}", reply.text);
    let recorded = server.requests();
    assert_eq!(recorded.len(), 1);
    assert!(recorded[0].form.is_empty());
}

#[tokio::test]
async fn sign_in_plays_the_user_up_to_the_redirect_back_to_the_client() {
    use crate::support::{Authz, PUBLIC};
    use fake_server::{SignIn, Variant};
    for variant in [None, Some(Variant::IdentifierFirst), Some(Variant::OtherPaths)] {
        let mut builder = FakeServer::builder();
        if let Some(v) = variant {
            builder = builder.variant(v);
        }
        let server = builder.start().await;
        let url = Authz::new(PUBLIC).url(&server);
        let approved = server.sign_in(&url, SignIn::approve()).await.unwrap();
        assert!(approved.starts_with(PUBLIC.redirect_uri), "{variant:?}: {approved}");
        assert!(approved.contains("code=") && approved.contains("state=st-123"), "{variant:?}: {approved}");
        // Bob, who has approved nothing yet, so the consent page is shown.
        let deny = SignIn::deny().as_user("bob", "bob-password");
        let denied = server.sign_in(&Authz::new(PUBLIC).url(&server), deny).await.unwrap();
        assert!(denied.contains("error=access_denied") && !denied.contains("code="), "{variant:?}: {denied}");
    }
    let server = FakeServer::start().await;
    let url = Authz::new(PUBLIC).url(&server);
    let wrong = server.sign_in(&url, SignIn::approve().as_user("alice", "not-her-password")).await;
    assert!(wrong.is_err(), "a wrong password never reaches the client: {wrong:?}");
}

/// A small client under test: authorize (PKCE S256, `resource` the demo MCP server), let
/// `sign_in` play the user (forging the callback as asked), redeem the code unless it checks
/// `state` and the state differs, then call the MCP server with the token in the header.
async fn client_run(server: &FakeServer, how: fake_server::SignIn, checks_state: bool) {
    use crate::support::{Authz, PUBLIC, param};
    let mcp = server.url("/mcp");
    let authz = Authz::new(PUBLIC).set("resource", &mcp).set("scope", "projects:read");
    let callback = server.sign_in(&authz.url(server), how).await.unwrap();
    let callback = url::Url::parse(&callback).unwrap();
    if checks_state && param(&callback, "state") != "st-123" {
        return;
    }
    let code = param(&callback, "code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", PUBLIC.redirect_uri),
        ("code_verifier", authz.pkce.verifier.as_str()),
        ("resource", mcp.as_str()),
    ];
    let tokens = post(server, "/token", Auth::Public(PUBLIC), &form).await;
    tokens.assert_tokens();
    let init = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let answer = http()
        .post(&mcp)
        .bearer_auth(tokens.str("access_token"))
        .header("accept", "application/json, text/event-stream")
        .json(&init)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_client_report_judges_a_careful_client_conformant_and_names_what_it_could_not_judge() {
    use fake_server::{SignIn, Verdict};
    let server = FakeServer::builder().record_requests().start().await;
    client_run(&server, SignIn::approve().forge_state(), true).await;
    client_run(&server, SignIn::approve(), true).await;
    let report = server.client_report();
    report.assert_conformant();
    for id in ["CLI-01", "CLI-02", "CLI-04", "CLI-05", "CLI-07"] {
        assert_eq!(report.check(id).map(|c| &c.verdict), Some(&Verdict::Pass), "{id}\n{report}");
    }
    // No callback with a forged iss was delivered: CLI-03 is not judged, and says how to.
    let iss = report.check("CLI-03").map(|c| c.verdict.clone());
    assert!(matches!(&iss, Some(Verdict::NotJudged(why)) if why.contains("forge_iss")), "{iss:?}");
}

#[tokio::test]
async fn the_client_report_fails_a_client_that_redeems_a_forged_callback() {
    use fake_server::SignIn;
    let server = FakeServer::builder().record_requests().start().await;
    client_run(&server, SignIn::approve().forge_state(), false).await;
    let report = server.client_report();
    let failed: Vec<&str> = report.failures().iter().map(|c| c.id).collect();
    assert_eq!(failed, ["CLI-02"], "{report}");
    let panic = std::panic::catch_unwind(|| report.assert_conformant()).expect_err("not conformant");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("CLI-02") && text.contains("forged state"), "{text}");
    // An iss from another issuer, redeemed all the same (this client never looks at iss).
    let server = FakeServer::builder().record_requests().start().await;
    client_run(&server, SignIn::approve().forge_iss(), true).await;
    let failed: Vec<&str> = server.client_report().failures().iter().map(|c| c.id).collect();
    assert_eq!(failed, ["CLI-03"]);
}

#[tokio::test]
async fn the_client_report_judges_discovery_without_resource_metadata_from_the_servers_own_settings() {
    use fake_server::Verdict;
    let start = || {
        FakeServer::builder().record_requests().settings(|s| s.mcp_challenge_names_metadata = false).start()
    };
    let get = |server: &FakeServer, path: &str| http().get(format!("http://{}{path}", server.addr())).send();
    // The authorization server's metadata first: the MCP 2025-03-26 guess.
    let server = start().await;
    get(&server, "/.well-known/oauth-authorization-server").await.unwrap();
    get(&server, "/.well-known/oauth-protected-resource/mcp").await.unwrap();
    let report = server.client_report();
    let failed: Vec<&str> = report.failures().iter().map(|c| c.id).collect();
    assert_eq!(failed, ["CLI-14"], "{report}");
    // The path-inserted protected-resource metadata first.
    let server = start().await;
    get(&server, "/.well-known/oauth-protected-resource/mcp").await.unwrap();
    get(&server, "/.well-known/oauth-authorization-server").await.unwrap();
    let report = server.client_report();
    assert_eq!(report.check("CLI-14").map(|c| &c.verdict), Some(&Verdict::Pass), "{report}");
}

#[tokio::test]
async fn the_client_report_judges_the_method_a_client_registered_for_basic_authenticates_with() {
    use fake_server::Verdict;
    let verdict = |server: &FakeServer| server.client_report().check("CLI-26").map(|c| c.verdict.clone());
    let grant = [("grant_type", "client_credentials")];
    let server = FakeServer::builder().record_requests().start().await;
    assert!(matches!(verdict(&server), Some(Verdict::NotJudged(_))), "no token request yet");
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &grant).await.assert_tokens();
    assert_eq!(verdict(&server), Some(Verdict::Pass));
    // The fixture client names no token_endpoint_auth_method: client_secret_basic (RFC 7591 §2).
    let server = FakeServer::builder().record_requests().start().await;
    post(&server, "/token", Auth::Post(CONFIDENTIAL), &grant).await.assert_tokens();
    let failed = verdict(&server);
    assert!(matches!(&failed, Some(Verdict::Fail(why)) if why.contains(CONFIDENTIAL.id)), "{failed:?}");
}
