//! What an unauthenticated client can make the server hold is bounded: parameter sizes,
//! pending authorization requests and sessions (per owner and in all, oldest evicted first),
//! and malformed paths and over-long targets get OAuth error JSON.

use fake_server::FakeServer;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Authz, Browser, CONFIDENTIAL, OTHER, Reply, http};
use crate::support_extra::{location, public_client_metadata, register_ok};

/// GET `/authorize` for `authz` without following the redirect.
async fn authorize(server: &FakeServer, authz: &Authz) -> reqwest::Response {
    http().get(authz.url(server)).send().await.expect("authorize")
}

#[tokio::test]
async fn a_state_of_4096_bytes_is_accepted_and_a_longer_one_is_invalid_request() {
    let server = FakeServer::start().await;
    let fits = Authz::new(CONFIDENTIAL).set("state", &"s".repeat(4096));
    let resp = authorize(&server, &fits).await;
    assert_eq!(resp.status(), StatusCode::FOUND, "a 4 KiB state is a legitimate request");
    assert!(location(&resp).contains("/login?"));

    for (name, len) in [("state", 4097), ("nonce", 2049), ("scope", 4097), ("redirect_uri", 4097)] {
        let authz = Authz::new(CONFIDENTIAL).set(name, &"x".repeat(len));
        let resp = authorize(&server, &authz).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{name} of {len} bytes");
        assert!(location(&resp).is_empty(), "an over-long {name} never redirects");
        let page = resp.text().await.unwrap();
        assert!(page.contains("invalid_request") && page.contains(name), "{name}: {page}");
    }
}

#[tokio::test]
async fn an_over_long_parameter_at_the_token_endpoint_is_invalid_request_json() {
    let server = FakeServer::start().await;
    let reply = crate::support::post(
        &server,
        "/token",
        crate::support::Auth::Basic(CONFIDENTIAL),
        &[("grant_type", "client_credentials"), ("scope", &"a".repeat(5000))],
    )
    .await;
    reply.assert_error(400, "invalid_request");
    assert!(reply.str("error_description").contains("scope"));
}

#[tokio::test]
async fn a_client_at_its_pending_request_cap_loses_its_oldest_request_first() {
    let server = FakeServer::builder()
        .settings(|s| {
            s.limits.max_pending_per_client = 3;
            s.limits.max_pending_authorizations = 100;
        })
        .start()
        .await;
    let mut logins = Vec::new();
    for _ in 0..4 {
        let resp = authorize(&server, &Authz::new(CONFIDENTIAL)).await;
        assert_eq!(resp.status(), StatusCode::FOUND);
        logins.push(server.url(&location(&resp)));
    }
    let oldest = http().get(&logins[0]).send().await.unwrap();
    assert_eq!(oldest.status(), StatusCode::BAD_REQUEST, "the oldest pending request was evicted");
    assert!(oldest.text().await.unwrap().contains("expired or is unknown"));
    for url in &logins[1..] {
        let page = http().get(url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "newer requests stay: {url}");
    }
    // Another client's requests are not this client's to evict.
    let other = authorize(&server, &Authz::new(OTHER)).await;
    assert_eq!(http().get(server.url(&location(&other))).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(http().get(&logins[1]).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn the_total_pending_request_cap_evicts_the_oldest_of_any_client() {
    let server = FakeServer::builder()
        .settings(|s| {
            s.limits.max_pending_per_client = 100;
            s.limits.max_pending_authorizations = 2;
        })
        .start()
        .await;
    let first = authorize(&server, &Authz::new(CONFIDENTIAL)).await;
    let second = authorize(&server, &Authz::new(OTHER)).await;
    let third = authorize(&server, &Authz::new(CONFIDENTIAL)).await;
    let status = |resp: &reqwest::Response| server.url(&location(resp));
    assert_eq!(http().get(status(&first)).send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(http().get(status(&second)).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(http().get(status(&third)).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_user_at_the_session_cap_loses_the_oldest_session() {
    let server = FakeServer::builder().settings(|s| s.limits.max_sessions_per_user = 1).start().await;
    let first = Browser::new(&server);
    first.authorize(&server, &Authz::new(CONFIDENTIAL), "alice", crate::support::Decision::Approve).await;
    let second = Browser::new(&server);
    second.authorize(&server, &Authz::new(CONFIDENTIAL), "alice", crate::support::Decision::Approve).await;
    // The first browser's session is gone: a new request asks it to sign in again, while
    // the second browser goes straight on.
    let again = first.http.get(Authz::new(CONFIDENTIAL).url(&server)).send().await.unwrap();
    assert!(location(&again).contains("/login?"), "evicted session: {}", location(&again));
    let kept = second.http.get(Authz::new(CONFIDENTIAL).url(&server)).send().await.unwrap();
    assert!(!location(&kept).contains("/login?"), "kept session: {}", location(&kept));
}

/// Every answer here must be an RFC 6749 §5.2 error body.
fn assert_json_error(reply: &Reply, status: u16) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert_eq!(reply.json["error"], "invalid_request", "{}", reply.text);
    assert!(reply.json["error_description"].is_string());
}

#[tokio::test]
async fn a_malformed_path_segment_gets_invalid_request_json() {
    let server = FakeServer::start().await;
    let reg = register_ok(&server, &public_client_metadata()).await;
    let token = reg["registration_access_token"].as_str().unwrap();
    let resp = http().get(server.url("/register/%ff")).bearer_auth(token).send().await.unwrap();
    assert_json_error(&Reply::read(resp).await, 400);
    let admin = [
        "/admin/api/applications/%ff",
        "/admin/api/users/%ff%fe/grants",
        "/admin/api/users/alice/grants/%c3%28",
    ];
    for path in admin {
        let resp = http().get(server.url(path)).bearer_auth(server.admin_key()).send().await.unwrap();
        let reply = Reply::read(resp).await;
        if reply.status == StatusCode::METHOD_NOT_ALLOWED {
            let resp = http().delete(server.url(path)).bearer_auth(server.admin_key()).send().await.unwrap();
            assert_json_error(&Reply::read(resp).await, 400);
        } else {
            assert_json_error(&reply, 400);
        }
    }
}

#[tokio::test]
async fn an_over_long_request_target_gets_414_with_invalid_request_json() {
    let server = FakeServer::start().await;
    let url = format!("{}?token={}", server.url("/introspect"), "a".repeat(40 * 1024));
    let reply = Reply::read(http().post(url).send().await.unwrap()).await;
    assert_json_error(&reply, 414);
    let json: Value = reply.json;
    assert!(json["error_description"].as_str().unwrap().contains("longer than"));
}
