//! Variants of the authorization endpoint: errors reported after login, and remembered
//! consent.

use fake_server::{FakeServer, Variant};
use reqwest::StatusCode;
use url::Url;

use crate::interaction::{approve_all, next_page, sign_in, start, submit_consent};
use crate::support::{API, Authz, Browser, CONFIDENTIAL, Decision, TRUSTED, location, param, without_query};
use crate::support_extra::{public_client_metadata, register_ok};

/// Requests with a trusted client and redirect URI but another error, with the error code.
fn broken_requests(client: crate::support::Client) -> Vec<(Authz, &'static str)> {
    let ok = || Authz::new(client);
    vec![
        (ok().remove("response_type"), "invalid_request"),
        (ok().set("response_type", "token"), "unsupported_response_type"),
        (ok().remove("code_challenge").remove("code_challenge_method"), "invalid_request"),
        (ok().set("code_challenge_method", "plain"), "invalid_request"),
        (ok().set("code_challenge", "short"), "invalid_request"),
        (ok().set("scope", "openid no-such-scope"), "invalid_scope"),
        (ok().set("resource", "https://elsewhere.example.test/"), "invalid_target"),
        (ok().set("prompt", "dance"), "invalid_request"),
    ]
}

/// The client's callback: its error, its state, and that it carries no code.
#[track_caller]
fn assert_error_callback(resp: &reqwest::Response, redirect_uri: &str, error: &str) {
    let url = Url::parse(&location(resp)).expect("a redirect to the client");
    assert_eq!(without_query(&url), redirect_uri, "{url}");
    assert_eq!(param(&url, "error"), error, "{url}");
    assert_eq!(param(&url, "state"), "st-123", "{url}");
    assert!(!url.query_pairs().any(|(k, _)| k == "code"), "never a code: {url}");
}

#[tokio::test]
async fn request_errors_reach_the_client_only_after_login_and_consent_under_validate_after_login() {
    let server = FakeServer::builder().variant(Variant::ValidateAfterLogin).start().await;
    for (authz, error) in broken_requests(CONFIDENTIAL) {
        let browser = Browser::new(&server);
        let (status, _, html) = start(&server, &browser, &authz).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"login-form\""), "{error}: the login page first, got {html}");
        let (_, _, consent) = next_page(&browser, sign_in(&browser, &html, "alice").await).await;
        assert!(consent.contains("id=\"consent-form\""), "consent as for a valid request: {consent}");
        let resp = submit_consent(&browser, &consent, approve_all(&consent)).await;
        assert_error_callback(&resp, CONFIDENTIAL.redirect_uri, error);
    }
}

#[tokio::test]
async fn without_consent_the_deferred_error_follows_the_login_directly() {
    let server = FakeServer::builder().variant(Variant::ValidateAfterLogin).start().await;
    let browser = Browser::new(&server);
    let authz = Authz::new(TRUSTED).set("scope", "openid no-such-scope");
    let (_, _, html) = start(&server, &browser, &authz).await;
    let resp = sign_in(&browser, &html, "alice").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_error_callback(&resp, TRUSTED.redirect_uri, "invalid_scope");
    // With the session now open, the next broken request is answered without any page.
    let resp = browser.get(&authz.url(&server)).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_error_callback(&resp, TRUSTED.redirect_uri, "invalid_scope");
}

#[tokio::test]
async fn by_default_the_same_errors_are_redirected_at_once() {
    let server = FakeServer::start().await;
    for (authz, error) in broken_requests(CONFIDENTIAL) {
        let resp = Browser::new(&server).get(&authz.url(&server)).await;
        assert_eq!(resp.status(), StatusCode::FOUND);
        assert_error_callback(&resp, CONFIDENTIAL.redirect_uri, error);
    }
}

#[tokio::test]
async fn an_unknown_client_or_redirect_uri_is_still_refused_at_once_under_validate_after_login() {
    let server = FakeServer::builder().variant(Variant::ValidateAfterLogin).start().await;
    let unknown = Authz::new(CONFIDENTIAL).set("client_id", "nobody").remove("response_type");
    let foreign = Authz::new(CONFIDENTIAL).set("redirect_uri", "https://evil.example.test/cb");
    for authz in [unknown, foreign] {
        let resp = Browser::new(&server).get(&authz.url(&server)).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert!(resp.headers().get("location").is_none());
        assert!(resp.text().await.unwrap().contains("id=\"error\""));
    }
}

/// The first page `authz` leads to in `browser`: `Ok(code)` when it goes straight back to the
/// client, `Err(html)` when the server shows a page.
async fn straight_to_client(server: &FakeServer, browser: &Browser, authz: &Authz) -> Result<String, String> {
    let resp = browser.get(&authz.url(server)).await;
    let to = location(&resp);
    if !browser.is_ours(&to) {
        return Ok(param(&Url::parse(&to).expect("absolute"), "code"));
    }
    let (_, _, html) = next_page(browser, resp).await;
    Err(html)
}

#[tokio::test]
async fn remembered_consent_covers_subsets_for_a_registered_client_but_not_prompt_consent() {
    let server = FakeServer::builder().variant(Variant::RememberedConsent).start().await;
    let info = register_ok(&server, &public_client_metadata()).await;
    let id = info["client_id"].as_str().unwrap();
    let authz = |scope: &str| {
        Authz::new(CONFIDENTIAL)
            .set("client_id", id)
            .set("redirect_uri", "http://127.0.0.1:33418/callback")
            .set("scope", scope)
            .set("resource", &server.url("/mcp"))
    };
    let browser = Browser::new(&server);
    browser.authorize(&server, &authz("openid projects:read"), "alice", Decision::Approve).await;
    assert!(straight_to_client(&server, &browser, &authz("openid projects:read")).await.is_ok());
    assert!(straight_to_client(&server, &browser, &authz("projects:read")).await.is_ok(), "a subset");
    let wider = straight_to_client(&server, &browser, &authz("openid projects:write")).await;
    assert!(wider.is_err_and(|html| html.contains("id=\"consent-form\"")), "a scope never approved");
    let other_resource = authz("projects:read").set("resource", API);
    let page = straight_to_client(&server, &browser, &other_resource).await;
    assert!(page.is_err_and(|html| html.contains("id=\"consent-form\"")), "a resource never approved");
    let forced = authz("projects:read").set("prompt", "consent");
    let page = straight_to_client(&server, &browser, &forced).await;
    assert!(page.is_err_and(|html| html.contains("id=\"consent-form\"")), "prompt=consent asks again");
}

#[tokio::test]
async fn remembered_consent_skips_the_page_right_after_a_new_login() {
    let server = FakeServer::builder().variant(Variant::RememberedConsent).start().await;
    let info = register_ok(&server, &public_client_metadata()).await;
    let authz = Authz::new(CONFIDENTIAL)
        .set("client_id", info["client_id"].as_str().unwrap())
        .set("redirect_uri", "http://127.0.0.1:33418/callback");
    Browser::new(&server).authorize(&server, &authz, "alice", Decision::Approve).await;
    let fresh = Browser::new(&server);
    let (_, _, login) = start(&server, &fresh, &authz).await;
    let resp = sign_in(&fresh, &login, "alice").await;
    let url = Url::parse(&location(&resp)).expect("to the client after login");
    param(&url, "code");
}

#[tokio::test]
async fn a_denial_is_not_remembered_under_remembered_consent() {
    let server = FakeServer::builder().variant(Variant::RememberedConsent).start().await;
    let browser = Browser::new(&server);
    let callback = browser.authorize(&server, &Authz::new(CONFIDENTIAL), "alice", Decision::Deny).await;
    assert_eq!(param(&callback, "error"), "access_denied");
    let page = straight_to_client(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    assert!(page.is_err_and(|html| html.contains("id=\"consent-form\"")));
}

#[tokio::test]
async fn by_default_a_registered_client_is_asked_for_consent_every_time() {
    let server = FakeServer::start().await;
    let info = register_ok(&server, &public_client_metadata()).await;
    let authz = Authz::new(CONFIDENTIAL)
        .set("client_id", info["client_id"].as_str().unwrap())
        .set("redirect_uri", "http://127.0.0.1:33418/callback");
    let browser = Browser::new(&server);
    browser.authorize(&server, &authz, "alice", Decision::Approve).await;
    let page = straight_to_client(&server, &browser, &authz).await;
    assert!(page.is_err_and(|html| html.contains("id=\"consent-form\"")));
}

#[tokio::test]
async fn prompt_is_ignored_and_not_advertised_under_no_prompt() {
    let server = FakeServer::builder().variant(Variant::NoPrompt).start().await;
    let metadata = crate::support::http().get(server.metadata_url()).send().await.unwrap();
    let metadata: serde_json::Value = metadata.json().await.unwrap();
    assert!(metadata.get("prompt_values_supported").is_none(), "{metadata}");
    let scopes = metadata["scopes_supported"].as_array().unwrap();
    assert!(!scopes.iter().any(|s| s == "openid"), "not an OpenID Provider: {metadata}");
    let oidc = server.url("/.well-known/openid-configuration");
    let oidc = crate::support::http().get(oidc).send().await.unwrap();
    assert_eq!(oidc.status(), 404, "no OpenID configuration document");
    let browser = Browser::new(&server);
    // prompt=none without a session: the login page, not login_required.
    let (_, _, html) = start(&server, &browser, &Authz::new(CONFIDENTIAL).set("prompt", "none")).await;
    assert!(html.contains("id=\"login-form\""), "{html}");
    browser.authorize(&server, &Authz::new(CONFIDENTIAL), "alice", Decision::Approve).await;
    // With a session and remembered consent, login and consent are forced by nothing.
    for prompt in ["login", "consent", "login consent", "dance"] {
        let authz = Authz::new(CONFIDENTIAL).set("prompt", prompt);
        assert!(straight_to_client(&server, &browser, &authz).await.is_ok(), "prompt={prompt}");
    }

    let default = FakeServer::start().await;
    let metadata = crate::support::http().get(default.metadata_url()).send().await.unwrap();
    let metadata: serde_json::Value = metadata.json().await.unwrap();
    assert!(metadata["prompt_values_supported"].is_array(), "{metadata}");
}
