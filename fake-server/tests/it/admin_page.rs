//! The server-rendered Applications page: sign-in, pagination, escaping, anti-framing and the
//! CSRF-protected consent toggle.

use fake_server::FakeServer;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support_extra::*;

/// Sign in through the form; the browser keeps the session cookie.
async fn sign_in(server: &FakeServer, b: &Client) -> String {
    let page = b.get(server.url("/admin/login")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let resp = b
        .post(server.url("/admin/login"))
        .form(&[("csrf", csrf.as_str()), ("key", server.admin_key())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("fake_admin="))
        .unwrap()
        .to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    b.get(server.url("/admin/applications")).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn the_page_needs_a_signed_in_operator() {
    let server = FakeServer::start().await;
    let b = browser();
    let resp = b.get(server.url("/admin/applications")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).ends_with("/admin/login"));
    let page = b.get(server.url("/admin/login")).send().await.unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let csrf = hidden(&page.text().await.unwrap(), "csrf");
    let wrong = b
        .post(server.url("/admin/login"))
        .form(&[("csrf", csrf.as_str()), ("key", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // A forged sign-in from another site carries no matching double-submit cookie.
    let forged = http()
        .post(server.url("/admin/login"))
        .form(&[("csrf", "x"), ("key", server.admin_key())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let via_query =
        b.get(server.url(&format!("/admin/applications?key={}", server.admin_key()))).send().await.unwrap();
    assert_eq!(via_query.status(), StatusCode::SEE_OTHER, "the key is never taken from a URL");
}

#[tokio::test]
async fn applications_are_listed_ten_a_page_with_names_escaped() {
    let server = FakeServer::start().await;
    server.advance(std::time::Duration::from_secs(2));
    for i in 0..3 {
        let body = json!({ "name": format!("<script>alert({i})</script>"), "redirect_uris": ["https://a.example.test/cb"] });
        let resp = http()
            .post(server.url("/admin/api/applications"))
            .bearer_auth(server.admin_key())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let b = browser();
    let first = sign_in(&server, &b).await;
    assert!(!first.contains("<script>alert"), "names are escaped");
    assert!(first.contains("&lt;script&gt;alert(0)&lt;/script&gt;"));
    assert!(first.contains("Page 1 of 2 · 13 applications"), "{first}");
    assert_eq!(first.matches("class=\"application\"").count(), 10);
    assert!(!first.contains("<script"), "the page runs no script at all");
    let second = b.get(server.url("/admin/applications?page=2")).send().await.unwrap();
    assert_eq!(second.headers()["x-frame-options"], "DENY");
    assert!(second.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let second = second.text().await.unwrap();
    assert_eq!(second.matches("class=\"application\"").count(), 3);
    assert!(second.contains("id=\"prev-page\""));
}

#[tokio::test]
async fn the_consent_toggle_is_a_csrf_protected_post() {
    let server = FakeServer::start().await;
    let dynamic = register_ok(&server, &public_client_metadata()).await;
    let b = browser();
    let page = sign_in(&server, &b).await;
    let csrf = hidden(&page, "csrf");
    let toggle = |id: &str, csrf: &str, value: &str| {
        b.post(server.url(&format!("/admin/applications/{}/consent", form_encode(id))))
            .form(&[("csrf", csrf), ("consent", value), ("page", "1")])
            .send()
    };
    assert_eq!(toggle("demo-web", "forged", "off").await.unwrap().status(), StatusCode::FORBIDDEN);
    let resp = toggle("demo-web", &csrf, "off").await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let app: Value = http()
        .get(server.url("/admin/api/applications/demo-web"))
        .bearer_auth(server.admin_key())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(app["consent_screen_enabled"], false);
    let id = dynamic["client_id"].as_str().unwrap();
    assert_eq!(
        toggle(id, &csrf, "off").await.unwrap().status(),
        StatusCode::BAD_REQUEST,
        "dynamic clients keep consent"
    );
    let page = b.get(server.url("/admin/applications")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Always (dynamic client)"));
    let logout = b.post(server.url("/admin/logout")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        b.get(server.url("/admin/applications")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}
