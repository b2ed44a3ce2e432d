//! The token endpoint for authorization codes, and client authentication (CODE-01..08,
//! TOK-01..21, RI-05).

use std::time::Duration;

use fake_server::FakeServer;
use reqwest::header::AUTHORIZATION;

use crate::support::{
    API, Auth, Authz, CONFIDENTIAL, OTHER, PUBLIC, Reply, active, basic, code_for, exchange, http, post,
    refresh,
};

/// A fresh code for the confidential client and its verifier.
async fn fresh_code(server: &FakeServer) -> (String, String) {
    let authz = Authz::new(CONFIDENTIAL);
    (code_for(server, &authz).await, authz.pkce.verifier)
}

fn code_form<'a>(code: &'a str, verifier: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CONFIDENTIAL.redirect_uri),
        ("code_verifier", verifier),
    ]
}

#[tokio::test]
async fn exchanges_a_code_for_bearer_tokens_that_must_not_be_cached() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    let reply = exchange(&server, CONFIDENTIAL, &code, &verifier).await;
    reply.assert_tokens();
    assert!(reply.header("content-type").unwrap_or("").starts_with("application/json"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
    assert_eq!(reply.json["expires_in"], 3600, "a JSON number of seconds");
    let at = reply.str("access_token");
    assert!(at.starts_with("oat_") && at.len() >= 4 + 22, "opaque, ≥ 128 bits: {at}");
    assert!(reply.str("refresh_token").starts_with("ort_"));
    assert_eq!(reply.str("scope"), "openid profile");
    assert!(reply.json["id_token"].is_string(), "openid was granted");
}

#[tokio::test]
async fn rejects_a_reused_code_and_revokes_its_tokens() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    let first = exchange(&server, CONFIDENTIAL, &code, &verifier).await;
    first.assert_tokens();
    assert!(active(&server, first.str("access_token")).await);
    let replay = exchange(&server, CONFIDENTIAL, &code, &verifier).await;
    replay.assert_error(400, "invalid_grant");
    assert!(!active(&server, first.str("access_token")).await, "the first access token is revoked");
    refresh(&server, CONFIDENTIAL, first.str("refresh_token"), &[]).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_replay_with_a_wrong_verifier_or_client_is_refused_without_revoking_anything() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    let first = exchange(&server, CONFIDENTIAL, &code, &verifier).await;
    first.assert_tokens();
    let wrong = crate::support::Pkce::new().verifier;
    exchange(&server, CONFIDENTIAL, &code, &wrong).await.assert_error(400, "invalid_grant");
    post(&server, "/token", Auth::Basic(OTHER), &code_form(&code, &verifier))
        .await
        .assert_error(400, "invalid_grant");
    assert!(
        active(&server, first.str("access_token")).await,
        "a bad replay must not become a denial of service"
    );
}

#[tokio::test]
async fn a_code_is_bound_to_its_client() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    let reply = post(&server, "/token", Auth::Basic(OTHER), &code_form(&code, &verifier)).await;
    reply.assert_error(400, "invalid_grant");
    // The rightful client can still redeem it.
    exchange(&server, CONFIDENTIAL, &code, &verifier).await.assert_tokens();
}

#[tokio::test]
async fn a_code_is_bound_to_the_redirect_uri_of_its_request_when_one_is_repeated() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    let mut form = code_form(&code, &verifier);
    form[2] = ("redirect_uri", "https://client.example.test/other");
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await.assert_error(400, "invalid_grant");
    // OAuth 2.1 §10.2: a client that leaves redirect_uri out (as OAuth 2.1 clients do) is
    // not refused; only a different one is.
    form.remove(2);
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await.assert_tokens();
}

#[tokio::test]
async fn a_code_expires_after_its_60_second_lifetime() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    server.advance(Duration::from_secs(61));
    let reply = exchange(&server, CONFIDENTIAL, &code, &verifier).await;
    reply.assert_error(400, "invalid_grant");
    assert!(reply.str("error_description").contains("expired"));
}

#[tokio::test]
async fn an_unknown_code_is_invalid_grant_with_status_400() {
    let server = FakeServer::start().await;
    exchange(&server, CONFIDENTIAL, "not-a-code", &crate::support::Pkce::new().verifier)
        .await
        .assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_missing_code_is_invalid_request() {
    let server = FakeServer::start().await;
    let form = [("grant_type", "authorization_code"), ("redirect_uri", CONFIDENTIAL.redirect_uri)];
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn a_code_is_bound_to_the_resource_of_its_request() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL).set("resource", API);
    let code = code_for(&server, &authz).await;
    let mut form = code_form(&code, &authz.pkce.verifier);
    let mcp = server.url("/mcp");
    form.push(("resource", &mcp));
    let reply = post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await;
    reply.assert_error(400, "invalid_target");
}

#[tokio::test]
async fn a_token_request_cannot_add_a_resource_the_authorization_did_not_name() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    let mut form = code_form(&code, &verifier);
    form.push(("resource", API));
    let reply = post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form).await;
    reply.assert_error(400, "invalid_target");
}

#[tokio::test]
async fn accepts_client_secret_basic_with_the_secret_form_encoded_before_base64() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    let header = basic(CONFIDENTIAL.id, "s3cr:t+/%val ue");
    assert_eq!(header, "Basic Y29uZm9ybWFuY2UtY29uZmlkZW50aWFsOnMzY3IlM0F0JTJCJTJGJTI1dmFsK3Vl");
    let resp = http()
        .post(server.url("/token"))
        .header(AUTHORIZATION, header)
        .form(&code_form(&code, &verifier))
        .send();
    Reply::read(resp.await.unwrap()).await.assert_tokens();
}

#[tokio::test]
async fn refuses_basic_credentials_that_were_not_form_encoded() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    let raw = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("conformance-confidential:s3cr:t+/%val ue")
        )
    };
    let resp = http()
        .post(server.url("/token"))
        .header(AUTHORIZATION, raw)
        .form(&code_form(&code, &verifier))
        .send();
    let reply = Reply::read(resp.await.unwrap()).await;
    reply.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn accepts_client_secret_post() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    post(&server, "/token", Auth::Post(CONFIDENTIAL), &code_form(&code, &verifier)).await.assert_tokens();
}

#[tokio::test]
async fn a_public_client_identifies_itself_with_client_id_alone() {
    let server = FakeServer::start().await;
    let authz = Authz::new(PUBLIC);
    let code = code_for(&server, &authz).await;
    let reply = exchange(&server, PUBLIC, &code, &authz.pkce.verifier).await;
    reply.assert_tokens();
    assert!(reply.json["refresh_token"].is_string());
}

#[tokio::test]
async fn a_public_client_that_sends_a_secret_is_refused() {
    let server = FakeServer::start().await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("client_id", PUBLIC.id),
        ("client_secret", "guess"),
    ];
    post(&server, "/token", Auth::Anonymous, &form).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn a_confidential_client_without_its_secret_is_invalid_client() {
    let server = FakeServer::start().await;
    let (code, verifier) = fresh_code(&server).await;
    let mut form = code_form(&code, &verifier);
    form.push(("client_id", CONFIDENTIAL.id));
    post(&server, "/token", Auth::Anonymous, &form).await.assert_error(401, "invalid_client");
    // Nothing identifying the client at all.
    post(&server, "/token", Auth::Anonymous, &code_form(&code, &verifier))
        .await
        .assert_error(401, "invalid_client");
}

#[tokio::test]
async fn a_wrong_basic_secret_is_401_with_a_basic_challenge() {
    let server = FakeServer::start().await;
    let resp = http()
        .post(server.url("/token"))
        .header(AUTHORIZATION, basic(CONFIDENTIAL.id, "wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send();
    let reply = Reply::read(resp.await.unwrap()).await;
    reply.assert_error(401, "invalid_client");
    let challenge = reply.header("www-authenticate").expect("WWW-Authenticate");
    assert!(challenge.starts_with("Basic "), "{challenge}");
}

#[tokio::test]
async fn a_wrong_post_secret_or_unknown_client_is_invalid_client() {
    let server = FakeServer::start().await;
    let form =
        [("grant_type", "client_credentials"), ("client_id", CONFIDENTIAL.id), ("client_secret", "wrong")];
    post(&server, "/token", Auth::Anonymous, &form).await.assert_error(401, "invalid_client");
    let form = [("grant_type", "client_credentials"), ("client_id", "nobody"), ("client_secret", "x")];
    post(&server, "/token", Auth::Anonymous, &form).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn two_authentication_methods_in_one_request_are_invalid_request() {
    let server = FakeServer::start().await;
    let resp = http()
        .post(server.url("/token"))
        .header(AUTHORIZATION, basic(CONFIDENTIAL.id, CONFIDENTIAL.secret.unwrap()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL.id),
            ("client_secret", CONFIDENTIAL.secret.unwrap()),
        ])
        .send();
    Reply::read(resp.await.unwrap()).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn client_credentials_in_the_url_query_are_refused() {
    let server = FakeServer::start().await;
    let url = format!("{}?client_id={}&client_secret=other-secret", server.url("/token"), OTHER.id);
    let resp = http().post(url).form(&[("grant_type", "client_credentials")]).send();
    let reply = Reply::read(resp.await.unwrap()).await;
    reply.assert_error(400, "invalid_request");
    assert!(reply.str("error_description").contains("query"));
}

#[tokio::test]
async fn a_public_client_may_not_use_client_credentials() {
    let server = FakeServer::start().await;
    post(&server, "/token", Auth::Public(PUBLIC), &[("grant_type", "client_credentials")])
        .await
        .assert_error(400, "unauthorized_client");
}

#[tokio::test]
async fn the_removed_password_grant_is_unsupported() {
    let server = FakeServer::start().await;
    let form = [("grant_type", "password"), ("username", "alice"), ("password", "alice-password")];
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &form)
        .await
        .assert_error(400, "unsupported_grant_type");
}

#[tokio::test]
async fn repeated_failed_authentications_are_throttled() {
    let server = FakeServer::builder().settings(|s| s.max_failed_client_auth_per_minute = 3).start().await;
    let form = [("grant_type", "client_credentials"), ("client_id", OTHER.id), ("client_secret", "wrong")];
    for _ in 0..3 {
        post(&server, "/token", Auth::Anonymous, &form).await.assert_error(401, "invalid_client");
    }
    let reply = post(&server, "/token", Auth::Basic(OTHER), &[("grant_type", "client_credentials")]).await;
    assert_eq!(reply.status, 429, "even the right secret waits: {}", reply.text);
    server.advance(Duration::from_secs(61));
    post(&server, "/token", Auth::Basic(OTHER), &[("grant_type", "client_credentials")])
        .await
        .assert_tokens();
}
