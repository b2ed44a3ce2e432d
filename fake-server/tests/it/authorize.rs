//! The authorization endpoint: client and redirect URI validation before anything else,
//! errors by redirect once the redirect URI is trusted, state and iss (AUTHZ-*, RI-*).

use fake_server::FakeServer;
use reqwest::StatusCode;
use url::Url;

use crate::support::{
    API, Authz, Browser, CONFIDENTIAL, Decision, PUBLIC, QUERY, RESOURCE_SERVER, Reply, code_for, exchange,
    introspect, location, param, post, query, tokens_with, without_query,
};

/// Send the request and expect an error delivered to the client by redirect (no login first).
async fn redirected_error(server: &FakeServer, authz: &Authz) -> Url {
    let resp = Browser::new(server).get(&authz.url(server)).await;
    assert_eq!(resp.status(), StatusCode::FOUND, "an error redirect");
    Url::parse(&location(&resp)).expect("absolute Location")
}

/// Send the request and expect an HTML error page with no redirect at all.
async fn error_page(server: &FakeServer, authz: &Authz) -> String {
    let resp = Browser::new(server).get(&authz.url(server)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().get("location").is_none(), "an error page never redirects");
    let content_type = resp.headers()["content-type"].to_str().unwrap_or("").to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    resp.text().await.expect("page")
}

#[tokio::test]
async fn issues_a_code_with_state_and_iss_to_exactly_the_registered_redirect_uri() {
    let server = FakeServer::start().await;
    let state = "a b&c=d/é?+%";
    let authz = Authz::new(CONFIDENTIAL).set("state", state);
    let callback = Browser::new(&server).authorize(&server, &authz, "alice", Decision::Approve).await;
    assert_eq!(without_query(&callback), CONFIDENTIAL.redirect_uri);
    assert_eq!(param(&callback, "state"), state, "state is echoed byte for byte");
    assert_eq!(param(&callback, "iss"), server.issuer());
    let code = param(&callback, "code");
    assert!(code.len() >= 43, "a code carries at least 256 bits: {code}");
    let names: Vec<String> = query(&callback).into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["code", "state", "iss"], "nothing else, no error");
}

#[tokio::test]
async fn an_empty_state_is_treated_as_absent_and_not_echoed() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL).set("state", "");
    let callback = Browser::new(&server).authorize(&server, &authz, "alice", Decision::Approve).await;
    assert!(callback.query_pairs().all(|(k, _)| k != "state"), "{callback}");
    param(&callback, "code");
}

#[tokio::test]
async fn sends_a_browser_without_a_session_to_the_login_page_not_to_the_client() {
    let server = FakeServer::start().await;
    let resp = Browser::new(&server).get(&Authz::new(CONFIDENTIAL).url(&server)).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert!(location(&resp).starts_with("/login?request="), "{}", location(&resp));
    assert_eq!(resp.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn accepts_the_request_by_post_too() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL);
    let browser = Browser::new(&server);
    let resp = browser.post_form(&server.url("/authorize"), &authz.params).await;
    let callback = browser.walk(resp, "alice", Decision::Approve).await;
    param(&callback, "code");
}

#[tokio::test]
async fn shows_an_error_page_for_an_unknown_or_missing_client_id() {
    let server = FakeServer::start().await;
    let page = error_page(&server, &Authz::new(CONFIDENTIAL).set("client_id", "no-such-client")).await;
    assert!(page.contains("invalid_client"), "{page}");
    let page = error_page(&server, &Authz::new(CONFIDENTIAL).remove("client_id")).await;
    assert!(page.contains("client_id is required"), "{page}");
}

#[tokio::test]
async fn refuses_every_redirect_uri_that_is_not_an_exact_match_with_a_page() {
    let server = FakeServer::start().await;
    let variants = [
        "https://client.example.test/callback/",
        "https://client.example.test/callbacks",
        "https://client.example.test/callback/x",
        "https://client.example.test:8443/callback",
        "https://CLIENT.example.test/callback",
        "https://client.example.test/Callback",
        "https://client.example.test/callback?x=1",
        "https://evil.client.example.test/callback",
        "http://client.example.test/callback",
        "https://client.example.test/callback#frag",
        "https://evil.example/callback",
    ];
    for uri in variants {
        let page = error_page(&server, &Authz::new(CONFIDENTIAL).set("redirect_uri", uri)).await;
        assert!(page.contains("redirect_uri is not registered"), "{uri}: {page}");
    }
}

#[tokio::test]
async fn loopback_redirect_uris_match_on_any_port() {
    let server = FakeServer::start().await;
    for uri in
        ["http://127.0.0.1:51004/callback", "http://localhost:8765/callback", "http://127.0.0.1/callback"]
    {
        let authz = Authz::new(PUBLIC).set("redirect_uri", uri);
        let callback = Browser::new(&server).authorize(&server, &authz, "alice", Decision::Approve).await;
        assert_eq!(without_query(&callback), uri);
        let code = param(&callback, "code");
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", uri),
            ("code_verifier", &authz.pkce.verifier),
            ("client_id", PUBLIC.id),
        ];
        let reply = post(&server, "/token", crate::support::Auth::Anonymous, &form).await;
        reply.assert_tokens();
    }
}

#[tokio::test]
async fn loopback_matching_on_any_port_changes_nothing_else() {
    let server = FakeServer::start().await;
    for uri in [
        "http://127.0.0.1:51004/callback/x",
        "http://127.0.0.1:51004/other",
        "http://127.0.0.2:51004/callback",
        "http://[::1]:51004/callback",
        "https://127.0.0.1:51004/callback",
    ] {
        error_page(&server, &Authz::new(PUBLIC).set("redirect_uri", uri)).await;
    }
}

#[tokio::test]
async fn requires_redirect_uri_from_a_client_with_several_registered() {
    let server = FakeServer::start().await;
    let page = error_page(&server, &Authz::new(PUBLIC).remove("redirect_uri")).await;
    assert!(page.contains("redirect_uri is required"), "{page}");
}

#[tokio::test]
async fn uses_the_only_registered_redirect_uri_when_it_is_omitted() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL).remove("redirect_uri");
    let callback = Browser::new(&server).authorize(&server, &authz, "alice", Decision::Approve).await;
    assert_eq!(without_query(&callback), CONFIDENTIAL.redirect_uri);
    let code = param(&callback, "code");
    // Not sent in the authorization request, so not required in the token request.
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", &authz.pkce.verifier),
    ];
    post(&server, "/token", crate::support::Auth::Basic(CONFIDENTIAL), &form).await.assert_tokens();
}

#[tokio::test]
async fn keeps_the_registered_redirect_uris_own_query() {
    let server = FakeServer::start().await;
    let callback =
        Browser::new(&server).authorize(&server, &Authz::new(QUERY), "alice", Decision::Approve).await;
    assert_eq!(param(&callback, "tenant"), "a");
    param(&callback, "code");
}

#[tokio::test]
async fn a_missing_or_unknown_response_type_is_reported_by_redirect_with_state_and_iss() {
    let server = FakeServer::start().await;
    let cases = [
        (None, "invalid_request"),
        (Some("token"), "unsupported_response_type"),
        (Some("foo"), "unsupported_response_type"),
    ];
    for (response_type, error) in cases {
        let authz = match response_type {
            Some(rt) => Authz::new(CONFIDENTIAL).set("response_type", rt),
            None => Authz::new(CONFIDENTIAL).remove("response_type"),
        };
        let url = redirected_error(&server, &authz).await;
        assert_eq!(without_query(&url), CONFIDENTIAL.redirect_uri);
        assert_eq!(param(&url, "error"), error, "{response_type:?}");
        assert_eq!(param(&url, "state"), "st-123");
        assert_eq!(param(&url, "iss"), server.issuer());
        assert!(url.query_pairs().all(|(k, _)| k != "code"));
    }
}

#[tokio::test]
async fn a_repeated_parameter_is_invalid_request() {
    let server = FakeServer::start().await;
    let url =
        redirected_error(&server, &Authz::new(CONFIDENTIAL).add("scope", "openid").add("scope", "profile"))
            .await;
    assert_eq!(param(&url, "error"), "invalid_request");
    assert!(param(&url, "error_description").contains("scope"));
}

#[tokio::test]
async fn a_repeated_client_id_or_redirect_uri_gets_a_page() {
    let server = FakeServer::start().await;
    error_page(&server, &Authz::new(CONFIDENTIAL).add("client_id", CONFIDENTIAL.id)).await;
    error_page(&server, &Authz::new(CONFIDENTIAL).add("redirect_uri", CONFIDENTIAL.redirect_uri)).await;
}

#[tokio::test]
async fn ignores_unknown_parameters() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL).add("foo", "bar").add("x-custom", "1");
    let callback = Browser::new(&server).authorize(&server, &authz, "alice", Decision::Approve).await;
    param(&callback, "code");
}

#[tokio::test]
async fn an_unknown_scope_is_invalid_scope_by_redirect_with_iss() {
    let server = FakeServer::start().await;
    let url = redirected_error(&server, &Authz::new(CONFIDENTIAL).set("scope", "openid no-such-scope")).await;
    assert_eq!(param(&url, "error"), "invalid_scope");
    assert_eq!(param(&url, "state"), "st-123");
    assert_eq!(param(&url, "iss"), server.issuer());
}

#[tokio::test]
async fn an_omitted_scope_grants_the_clients_documented_default() {
    let server = FakeServer::start().await;
    let reply = tokens_with(&server, Authz::new(CONFIDENTIAL), CONFIDENTIAL).await;
    assert_eq!(reply.str("scope"), "openid profile");
}

#[tokio::test]
async fn a_malformed_resource_is_invalid_target_by_redirect() {
    let server = FakeServer::start().await;
    for resource in ["foo", "/relative", "https://api.example.test#frag", "https://unknown.example.test"] {
        let url = redirected_error(&server, &Authz::new(CONFIDENTIAL).set("resource", resource)).await;
        assert_eq!(param(&url, "error"), "invalid_target", "{resource}");
        assert_eq!(param(&url, "iss"), server.issuer());
    }
}

#[tokio::test]
async fn binds_the_resource_to_the_grant_and_the_token_audience() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL).set("resource", API);
    let code = code_for(&server, &authz).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CONFIDENTIAL.redirect_uri),
        ("code_verifier", &authz.pkce.verifier),
        ("resource", API),
    ];
    let reply = post(&server, "/token", crate::support::Auth::Basic(CONFIDENTIAL), &form).await;
    reply.assert_tokens();
    assert_eq!(introspect(&server, reply.str("access_token")).await["aud"], API);
}

#[tokio::test]
async fn without_a_resource_the_audience_is_the_client() {
    let server = FakeServer::start().await;
    let code_authz = Authz::new(CONFIDENTIAL);
    let code = code_for(&server, &code_authz).await;
    let reply: Reply = exchange(&server, CONFIDENTIAL, &code, &code_authz.pkce.verifier).await;
    reply.assert_tokens();
    assert_eq!(introspect(&server, reply.str("access_token")).await["aud"], CONFIDENTIAL.id);
}

#[tokio::test]
async fn a_client_without_the_code_grant_is_unauthorized_client_by_redirect() {
    let server = FakeServer::start().await;
    let url = redirected_error(&server, &Authz::new(RESOURCE_SERVER)).await;
    assert_eq!(without_query(&url), RESOURCE_SERVER.redirect_uri);
    assert_eq!(param(&url, "error"), "unauthorized_client");
}

#[tokio::test]
async fn a_withheld_scope_may_be_asked_for_but_no_token_carries_it() {
    let server = FakeServer::builder().settings(|s| s.withheld_scopes = vec!["profile".into()]).start().await;
    let reply =
        tokens_with(&server, Authz::new(CONFIDENTIAL).set("scope", "openid profile"), CONFIDENTIAL).await;
    let granted: Vec<&str> = reply.str("scope").split(' ').collect();
    assert_eq!(granted, ["openid"], "the token response says what was granted");
    let token = reply.str("access_token").to_string();
    let seen = introspect(&server, &token).await;
    assert_eq!(seen["scope"], "openid", "{seen}");
    // Without the setting the same request gets both.
    let plain = FakeServer::start().await;
    let reply =
        tokens_with(&plain, Authz::new(CONFIDENTIAL).set("scope", "openid profile"), CONFIDENTIAL).await;
    assert_eq!(reply.str("scope"), "openid profile");
}

#[tokio::test]
async fn a_scope_taken_out_by_the_builder_is_neither_listed_nor_granted() {
    let server = FakeServer::builder().without_scope("offline_access").start().await;
    let meta: serde_json::Value = crate::support::http()
        .get(server.metadata_url())
        .send()
        .await
        .expect("metadata")
        .json()
        .await
        .expect("JSON");
    let listed = meta["scopes_supported"].as_array().expect("scopes_supported");
    assert!(!listed.iter().any(|s| s == "offline_access"), "{listed:?}");
    assert!(listed.iter().any(|s| s == "openid"), "the other scopes stay: {listed:?}");
    let url =
        redirected_error(&server, &Authz::new(CONFIDENTIAL).set("scope", "openid offline_access")).await;
    assert_eq!(param(&url, "error"), "invalid_scope");
    // The same request without it goes through to the login page.
    let resp = Browser::new(&server).get(&Authz::new(CONFIDENTIAL).set("scope", "openid").url(&server)).await;
    assert!(!location(&resp).contains("error="), "{}", location(&resp));
}
