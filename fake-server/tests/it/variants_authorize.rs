//! Variants of the authorization endpoint: errors reported after login, and remembered
//! consent.

use fake_server::{FakeServer, Variant};
use reqwest::StatusCode;
use url::Url;

use crate::interaction::{approve_all, next_page, sign_in, start, submit_consent};
use crate::support::{Authz, Browser, CONFIDENTIAL, TRUSTED, location, param, without_query};

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
