//! Bad input of every kind gets the right OAuth error with a description: never a panic, a
//! 500 or a framework's plain-text rejection (TOK-02, TOK-03, TOK-17, TOK-18).

use fake_server::FakeServer;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use crate::support::{Auth, Authz, Browser, CONFIDENTIAL, Reply, basic, http, post};

fn basic_auth() -> String {
    basic(CONFIDENTIAL.id, CONFIDENTIAL.secret.expect("secret"))
}

async fn raw_post(
    server: &FakeServer,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Reply {
    let mut req = http().post(server.url(path)).header(AUTHORIZATION, basic_auth()).body(body);
    if let Some(ct) = content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    Reply::read(req.send().await.expect("POST")).await
}

#[tokio::test]
async fn a_json_body_at_the_token_endpoint_is_invalid_request() {
    let server = FakeServer::start().await;
    let reply =
        raw_post(&server, "/token", Some("application/json"), r#"{"grant_type":"client_credentials"}"#).await;
    reply.assert_error(400, "invalid_request");
    assert!(reply.str("error_description").contains("x-www-form-urlencoded"));
}

#[tokio::test]
async fn a_body_without_or_with_a_wrong_content_type_is_invalid_request() {
    let server = FakeServer::start().await;
    for ct in [None, Some("text/plain"), Some("multipart/form-data; boundary=x")] {
        let reply = raw_post(&server, "/token", ct, "grant_type=client_credentials").await;
        reply.assert_error(400, "invalid_request");
    }
    for path in ["/revoke", "/introspect"] {
        let reply = raw_post(&server, path, Some("application/json"), r#"{"token":"x"}"#).await;
        reply.assert_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn a_content_type_with_a_charset_is_still_a_form() {
    let server = FakeServer::start().await;
    let reply = raw_post(
        &server,
        "/token",
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
        "grant_type=client_credentials",
    )
    .await;
    reply.assert_tokens();
}

#[tokio::test]
async fn malformed_form_bodies_get_oauth_errors_not_500s() {
    let server = FakeServer::start().await;
    let form = Some("application/x-www-form-urlencoded");
    let bodies: [&[u8]; 6] = [
        b"%%%",
        b"grant_type=%ZZ",
        b"&&&==&",
        b"grant_type",
        b"\xff\xfe\x00garbage",
        b"grant_type=client_credentials&scope=%E0%A4%A",
    ];
    for body in bodies {
        let reply = raw_post(&server, "/token", form, body.to_vec()).await;
        assert!(reply.status.is_client_error(), "{body:?}: {} {}", reply.status, reply.text);
        assert!(reply.json["error"].is_string(), "{body:?}: {}", reply.text);
        assert!(reply.json["error_description"].is_string(), "{body:?}: {}", reply.text);
    }
}

#[tokio::test]
async fn repeated_parameters_at_the_token_endpoint_are_invalid_request() {
    let server = FakeServer::start().await;
    let body = "grant_type=client_credentials&grant_type=client_credentials";
    let reply = raw_post(&server, "/token", Some("application/x-www-form-urlencoded"), body).await;
    reply.assert_error(400, "invalid_request");
    assert!(reply.str("error_description").contains("grant_type"));
    for path in ["/revoke", "/introspect"] {
        let reply =
            raw_post(&server, path, Some("application/x-www-form-urlencoded"), "token=a&token=b").await;
        reply.assert_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn empty_parameters_count_as_missing_and_unknown_ones_are_ignored() {
    let server = FakeServer::start().await;
    let body = "grant_type=client_credentials&scope=&foo=bar";
    let reply = raw_post(&server, "/token", Some("application/x-www-form-urlencoded"), body).await;
    reply.assert_tokens();
    let reply = post(&server, "/token", Auth::Basic(CONFIDENTIAL), &[("grant_type", "")]).await;
    reply.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_an_oauth_error() {
    let server = FakeServer::start().await;
    let body = format!("grant_type=client_credentials&pad={}", "a".repeat(200 * 1024));
    for path in ["/token", "/revoke", "/introspect"] {
        let reply = raw_post(&server, path, Some("application/x-www-form-urlencoded"), body.clone()).await;
        assert_eq!(reply.status, 413, "{path}: {}", reply.text);
        assert_eq!(reply.json["error"], "invalid_request", "{path}");
        assert!(reply.json["error_description"].is_string());
    }
}

#[tokio::test]
async fn an_unknown_or_missing_grant_type_gets_its_own_error() {
    let server = FakeServer::start().await;
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &[("grant_type", "urn:example:magic")])
        .await
        .assert_error(400, "unsupported_grant_type");
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &[("scope", "openid")])
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn a_get_on_a_post_endpoint_is_an_oauth_error_naming_the_allowed_method() {
    let server = FakeServer::start().await;
    for path in ["/token", "/revoke", "/introspect"] {
        let reply = Reply::read(http().get(server.url(path)).send().await.unwrap()).await;
        assert_eq!(reply.status, 405, "{path}");
        assert_eq!(reply.json["error"], "invalid_request", "{path}: {}", reply.text);
        assert!(reply.json["error_description"].is_string());
        assert_eq!(reply.header("allow"), Some("POST, OPTIONS"), "{path}");
    }
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let server = FakeServer::start().await;
    let reply = Reply::read(http().get(server.url("/no/such/thing")).send().await.unwrap()).await;
    assert_eq!(reply.status, 404);
    assert!(reply.json["error"].is_string(), "{}", reply.text);
}

#[tokio::test]
async fn a_malformed_authorization_header_is_invalid_client() {
    let server = FakeServer::start().await;
    for header in ["Basic", "Basic !!!notbase64", "Basic bm9jb2xvbg==", "Bearer abc", "Digest x"] {
        let resp = http()
            .post(server.url("/token"))
            .header(AUTHORIZATION, header)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        Reply::read(resp).await.assert_error(401, "invalid_client");
    }
}

#[tokio::test]
async fn the_interaction_pages_answer_bad_queries_with_a_page_not_a_framework_rejection() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    for path in [
        "/login",
        "/login?request=a&request=b",
        "/login?request=%ZZ",
        "/consent?request=a&request=b",
        "/consent",
    ] {
        let resp = browser.get(&server.url(path)).await;
        assert!(resp.status().is_client_error(), "{path}: {}", resp.status());
        let ct =
            resp.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        assert!(resp.headers().get("x-frame-options").is_some(), "{path}");
    }
}

#[tokio::test]
async fn a_form_post_to_the_pages_without_a_form_body_is_refused_cleanly() {
    let server = FakeServer::start().await;
    for path in ["/login", "/consent"] {
        let resp = http()
            .post(server.url(path))
            .header(CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_client_error(), "{path}: {}", resp.status());
        let text = resp.text().await.unwrap();
        assert!(!text.contains("Failed to"), "{path}: {text}");
    }
}

#[tokio::test]
async fn an_oversized_authorization_post_gets_an_error_page() {
    let server = FakeServer::start().await;
    let mut params = Authz::new(CONFIDENTIAL).params;
    params.push(("pad".into(), "a".repeat(200 * 1024)));
    let resp = Browser::new(&server).post_form(&server.url("/authorize"), &params).await;
    assert!(resp.status().is_client_error(), "{}", resp.status());
    assert!(resp.headers().get("location").is_none());
}
