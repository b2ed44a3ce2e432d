//! The Clerk-compatible verification endpoint refuses every token Clerk's SDKs must refuse
//! (revoked at `/revoke`, through its grant, its client's deletion or secret rotation, or
//! expired) with Clerk's 404 error, for opaque and JWT access tokens alike; the admin API still
//! describes those tokens, and moves the clock for processes outside Rust tests.

use std::time::Duration;

use fake_server::{FakeServer, Fault};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Auth, CONFIDENTIAL, Client, JWT, Reply, http, post, tokens};

const VERIFY: &str = "/v1/oauth_applications/access_tokens/verify";

async fn admin_post(server: &FakeServer, path: &str, body: Value) -> Reply {
    let req = http().post(server.url(path)).bearer_auth(server.admin_key()).json(&body);
    Reply::read(req.send().await.unwrap()).await
}

async fn verify(server: &FakeServer, token: &str) -> Reply {
    admin_post(server, VERIFY, json!({ "access_token": token })).await
}

async fn describe(server: &FakeServer, token: &str) -> Value {
    let r = admin_post(server, "/admin/api/access_tokens/describe", json!({ "access_token": token })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

/// The refusal Clerk's SDKs read as "token invalid": 404 with a Clerk error list.
fn assert_refused(r: &Reply, why: &str) {
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{why}: {}", r.text);
    assert_eq!(r.json["errors"][0]["code"], "resource_not_found", "{why}: {}", r.text);
    assert!(r.json["errors"][0]["message"].is_string(), "{why}: {}", r.text);
    assert!(r.json.get("revoked").is_none(), "{why}: a refusal is not a token object: {}", r.text);
}

async fn live_token(server: &FakeServer, client: Client) -> String {
    let at = tokens(server, client).await.str("access_token").to_string();
    let r = verify(server, &at).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.json["revoked"].clone(), r.json["expired"].clone()), (json!(false), json!(false)));
    at
}

async fn delete(server: &FakeServer, path: &str) -> StatusCode {
    http().delete(server.url(path)).bearer_auth(server.admin_key()).send().await.unwrap().status()
}

#[tokio::test]
async fn a_token_revoked_at_the_revocation_endpoint_is_refused_on_the_next_verification() {
    let server = FakeServer::start().await;
    for client in [CONFIDENTIAL, JWT] {
        let at = live_token(&server, client).await;
        assert_eq!(post(&server, "/revoke", Auth::Basic(client), &[("token", &at)]).await.status, 200);
        assert_refused(&verify(&server, &at).await, client.id);
        let d = describe(&server, &at).await;
        assert_eq!((d["revoked"].clone(), d["revocation_reason"].clone()), (json!(true), json!("revoked")));
    }
}

#[tokio::test]
async fn revoking_the_grant_deleting_the_client_or_rotating_its_secret_refuses_its_tokens() {
    for client in [CONFIDENTIAL, JWT] {
        let grant = FakeServer::start().await;
        let at = live_token(&grant, client).await;
        assert_eq!(delete(&grant, "/admin/api/users/alice/grants").await, StatusCode::NO_CONTENT);
        assert_refused(&verify(&grant, &at).await, "grant revoked");
        assert_eq!(describe(&grant, &at).await["revocation_reason"], "grant_revoked");

        let deleted = FakeServer::start().await;
        let at = live_token(&deleted, client).await;
        let path = format!("/admin/api/applications/{}", client.id);
        assert_eq!(delete(&deleted, &path).await, StatusCode::NO_CONTENT);
        assert_refused(&verify(&deleted, &at).await, "client deleted");
        assert_eq!(describe(&deleted, &at).await["revoked"], true);

        let rotated = FakeServer::start().await;
        let at = live_token(&rotated, client).await;
        let path = format!("/admin/api/applications/{}/rotate_secret", client.id);
        assert_eq!(admin_post(&rotated, &path, json!({})).await.status, StatusCode::OK);
        assert_refused(&verify(&rotated, &at).await, "secret rotated");
        assert_eq!(describe(&rotated, &at).await["revoked"], true);
    }
}

#[tokio::test]
async fn an_expired_token_is_refused_whether_the_clock_moves_in_process_or_over_http() {
    let server = FakeServer::start().await;
    let opaque = live_token(&server, CONFIDENTIAL).await;
    let jwt = live_token(&server, JWT).await;
    server.advance(Duration::from_secs(3601));
    for at in [&opaque, &jwt] {
        assert_refused(&verify(&server, at).await, "expired");
        let d = describe(&server, at).await;
        assert_eq!((d["expired"].clone(), d["revoked"].clone()), (json!(true), json!(false)));
    }

    let other = FakeServer::start().await;
    let at = live_token(&other, CONFIDENTIAL).await;
    let r = admin_post(&other, "/admin/api/clock/advance", json!({ "seconds": 3000 })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        verify(&other, &at).await.status,
        StatusCode::OK,
        "ten minutes before expiry it still verifies"
    );
    let before = r.json["now"].as_i64().unwrap();
    let r = admin_post(&other, "/admin/api/clock/advance", json!({ "seconds": 700 })).await;
    assert!(r.json["now"].as_i64().unwrap() >= before + 700, "{}", r.text);
    assert_refused(&verify(&other, &at).await, "expired after advancing over HTTP");
}

#[tokio::test]
async fn the_clock_endpoint_needs_the_admin_key_and_a_whole_number_of_seconds() {
    let server = FakeServer::start().await;
    let anonymous = http().post(server.url("/admin/api/clock/advance")).json(&json!({ "seconds": 10 }));
    assert_eq!(anonymous.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    for bad in [json!({ "seconds": -5 }), json!({ "seconds": "60" }), json!({ "seconds": 1.5 }), json!({})] {
        admin_post(&server, "/admin/api/clock/advance", bad).await.assert_error(400, "invalid_request");
    }
    let unknown =
        admin_post(&server, "/admin/api/access_tokens/describe", json!({ "access_token": "oat_x" }));
    assert_eq!(unknown.await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_secret_member_that_clerk_backend_api_sends_is_read_as_the_token() {
    let server = FakeServer::start().await;
    let at = live_token(&server, CONFIDENTIAL).await;
    let r = admin_post(&server, "/oauth_applications/access_tokens/verify", json!({ "secret": at })).await;
    assert_eq!((r.status, r.json["subject"].clone()), (StatusCode::OK, json!("alice")), "{}", r.text);
}

#[tokio::test]
async fn verify_reports_revoked_as_valid_answers_revoked_and_expired_tokens_with_200() {
    let server = FakeServer::builder().fault(Fault::VerifyReportsRevokedAsValid).start().await;
    let revoked = live_token(&server, CONFIDENTIAL).await;
    assert_eq!(post(&server, "/revoke", Auth::Basic(CONFIDENTIAL), &[("token", &revoked)]).await.status, 200);
    let r = verify(&server, &revoked).await;
    assert_eq!((r.status, r.json["revoked"].clone()), (StatusCode::OK, json!(true)), "{}", r.text);
    let expired = live_token(&server, JWT).await;
    server.advance(Duration::from_secs(3601));
    let r = verify(&server, &expired).await;
    assert_eq!((r.status, r.json["expired"].clone()), (StatusCode::OK, json!(true)), "{}", r.text);
    // Unknown tokens are still refused: the fault concerns known tokens only.
    assert_eq!(verify(&server, "oat_unknown").await.status, StatusCode::NOT_FOUND);
}
