//! Sessions, remembered consent and `prompt` (OIDC Core §3.1.2.1; CONS-06..09, AUTHZ-13).

use fake_server::FakeServer;
use reqwest::StatusCode;
use url::Url;

use crate::interaction::{next_page, sign_in, start};
use crate::support::{
    Authz, Browser, CONFIDENTIAL, Decision, PUBLIC, TRUSTED, location, param, without_query,
};

#[tokio::test]
async fn consent_is_remembered_per_user_client_and_scopes() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    browser.authorize(&server, &Authz::new(CONFIDENTIAL), "alice", Decision::Approve).await;
    // Same user, client and scopes: straight back to the client.
    let resp = browser.get(&Authz::new(CONFIDENTIAL).url(&server)).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    param(&Url::parse(&location(&resp)).expect("to the client"), "code");
    // A scope never approved: ask again.
    let wider = Authz::new(CONFIDENTIAL).set("scope", "openid profile projects:write");
    let (_, _, html) = next_page(&browser, browser.get(&wider.url(&server)).await).await;
    assert!(html.contains("id=\"consent-form\""), "{html}");
    // Another user in another browser is asked for the same client and scopes.
    let other = Browser::new(&server);
    let (_, _, login) = start(&server, &other, &Authz::new(CONFIDENTIAL)).await;
    let (_, _, html) = next_page(&other, sign_in(&other, &login, "bob").await).await;
    assert!(html.contains("id=\"consent-form\""), "{html}");
}

#[tokio::test]
async fn consent_is_not_remembered_for_a_public_client_on_a_loopback_redirect() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let authz = Authz::new(PUBLIC).set("redirect_uri", "http://127.0.0.1:4000/callback");
    browser.authorize(&server, &authz, "alice", Decision::Approve).await;
    let (_, _, html) = next_page(&browser, browser.get(&authz.url(&server)).await).await;
    assert!(html.contains("id=\"consent-form\""), "a loopback client's identity is not assured: {html}");
}

#[tokio::test]
async fn a_client_configured_without_consent_still_requires_login() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (_, _, html) = start(&server, &browser, &Authz::new(TRUSTED)).await;
    assert!(html.contains("id=\"login-form\""));
    let resp = sign_in(&browser, &html, "alice").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let url = Url::parse(&location(&resp)).expect("straight to the client");
    param(&url, "code");
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required_by_redirect() {
    let server = FakeServer::start().await;
    let resp = Browser::new(&server).get(&Authz::new(CONFIDENTIAL).set("prompt", "none").url(&server)).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let url = Url::parse(&location(&resp)).unwrap();
    assert_eq!(without_query(&url), CONFIDENTIAL.redirect_uri);
    assert_eq!(param(&url, "error"), "login_required");
    assert_eq!(param(&url, "state"), "st-123");
    assert_eq!(param(&url, "iss"), server.issuer());
}

#[tokio::test]
async fn prompt_none_with_a_session_but_no_consent_is_consent_required() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    // Log in (for another client) without approving anything for this one.
    browser.authorize(&server, &Authz::new(TRUSTED), "alice", Decision::Approve).await;
    let resp = browser.get(&Authz::new(CONFIDENTIAL).set("prompt", "none").url(&server)).await;
    let url = Url::parse(&location(&resp)).unwrap();
    assert_eq!(param(&url, "error"), "consent_required");
    assert_eq!(param(&url, "iss"), server.issuer());
}

#[tokio::test]
async fn prompt_none_with_a_session_and_remembered_consent_returns_a_code_without_ui() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    browser.authorize(&server, &Authz::new(CONFIDENTIAL), "alice", Decision::Approve).await;
    let resp = browser.get(&Authz::new(CONFIDENTIAL).set("prompt", "none").url(&server)).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    param(&Url::parse(&location(&resp)).unwrap(), "code");
}

#[tokio::test]
async fn prompt_login_asks_for_the_password_again_despite_a_session() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    browser.authorize(&server, &Authz::new(CONFIDENTIAL), "alice", Decision::Approve).await;
    let (_, _, html) = start(&server, &browser, &Authz::new(CONFIDENTIAL).set("prompt", "login")).await;
    assert!(html.contains("id=\"login-form\""), "{html}");
    let resp = sign_in(&browser, &html, "alice").await;
    param(&Url::parse(&location(&resp)).expect("consent remembered: back to the client"), "code");
}

#[tokio::test]
async fn prompt_consent_asks_again_despite_remembered_consent() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    browser.authorize(&server, &Authz::new(CONFIDENTIAL), "alice", Decision::Approve).await;
    let (_, _, html) = start(&server, &browser, &Authz::new(CONFIDENTIAL).set("prompt", "consent")).await;
    assert!(html.contains("id=\"consent-form\""), "{html}");
}

#[tokio::test]
async fn prompt_consent_asks_even_a_client_configured_without_consent() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    browser.authorize(&server, &Authz::new(TRUSTED), "alice", Decision::Approve).await;
    let (_, _, html) = start(&server, &browser, &Authz::new(TRUSTED).set("prompt", "consent")).await;
    assert!(html.contains("id=\"consent-form\""), "{html}");
}

#[tokio::test]
async fn prompt_none_combined_with_another_value_is_invalid_request() {
    let server = FakeServer::start().await;
    let resp =
        Browser::new(&server).get(&Authz::new(CONFIDENTIAL).set("prompt", "none login").url(&server)).await;
    let url = Url::parse(&location(&resp)).unwrap();
    assert_eq!(param(&url, "error"), "invalid_request");
}

#[tokio::test]
async fn a_session_is_reused_by_the_next_authorization_without_a_login_page() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    browser.authorize(&server, &Authz::new(TRUSTED), "alice", Decision::Approve).await;
    let resp = browser.get(&Authz::new(TRUSTED).url(&server)).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    param(&Url::parse(&location(&resp)).expect("to the client"), "code");
}
