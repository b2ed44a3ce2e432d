//! PKCE (RFC 7636, OAuth 2.1 §4.1.1): S256 required of every client at the authorization
//! endpoint, the verifier checked at the token endpoint (AUTHZ-14..20, CODE-05..07).

use fake_server::FakeServer;
use reqwest::StatusCode;
use url::Url;

use crate::support::{Authz, Browser, CONFIDENTIAL, PUBLIC, Pkce, code_for, exchange, location, param, s256};

async fn refused(server: &FakeServer, authz: &Authz) -> Url {
    let resp = Browser::new(server).get(&authz.url(server)).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let url = Url::parse(&location(&resp)).expect("a redirect to the client");
    assert_eq!(param(&url, "error"), "invalid_request", "{url}");
    assert_eq!(param(&url, "state"), "st-123");
    assert_eq!(param(&url, "iss"), server.issuer());
    url
}

#[tokio::test]
async fn refuses_a_request_without_a_code_challenge_from_public_and_confidential_clients() {
    let server = FakeServer::start().await;
    for client in [PUBLIC, CONFIDENTIAL] {
        let authz = Authz::new(client).remove("code_challenge").remove("code_challenge_method");
        let url = refused(&server, &authz).await;
        assert!(param(&url, "error_description").contains("code_challenge"));
    }
}

#[tokio::test]
async fn refuses_the_plain_method_a_missing_method_and_an_unknown_method() {
    let server = FakeServer::start().await;
    let plain = Authz::new(PUBLIC).set("code_challenge_method", "plain");
    assert!(param(&refused(&server, &plain).await, "error_description").contains("plain"));
    // RFC 7636 §4.3: no method means plain, which this server does not support.
    refused(&server, &Authz::new(PUBLIC).remove("code_challenge_method")).await;
    let s512 = Authz::new(PUBLIC).set("code_challenge_method", "S512");
    assert!(param(&refused(&server, &s512).await, "error_description").contains("S512"));
}

#[tokio::test]
async fn refuses_challenges_of_the_wrong_length_or_alphabet() {
    let server = FakeServer::start().await;
    for challenge in
        ["a".repeat(42), "a".repeat(129), format!("{}+", "a".repeat(43)), format!("{}=", "a".repeat(43))]
    {
        refused(&server, &Authz::new(PUBLIC).set("code_challenge", &challenge)).await;
    }
}

#[tokio::test]
async fn accepts_challenges_of_43_and_128_unreserved_characters() {
    let server = FakeServer::start().await;
    for challenge in ["a".repeat(43), "-._~".repeat(32)] {
        let authz = Authz::new(CONFIDENTIAL).set("code_challenge", &challenge);
        code_for(&server, &authz).await;
    }
}

#[tokio::test]
async fn exchanges_a_code_for_the_verifier_that_hashes_to_the_challenge() {
    let server = FakeServer::start().await;
    let authz = Authz::new(PUBLIC);
    assert_eq!(s256(&authz.pkce.verifier), authz.pkce.challenge);
    let code = code_for(&server, &authz).await;
    exchange(&server, PUBLIC, &code, &authz.pkce.verifier).await.assert_tokens();
}

#[tokio::test]
async fn a_wrong_verifier_is_invalid_grant() {
    let server = FakeServer::start().await;
    let authz = Authz::new(PUBLIC);
    let code = code_for(&server, &authz).await;
    let reply = exchange(&server, PUBLIC, &code, &Pkce::new().verifier).await;
    reply.assert_error(400, "invalid_grant");
    // The right verifier still works afterwards: a failed attempt does not burn the code.
    exchange(&server, PUBLIC, &code, &authz.pkce.verifier).await.assert_tokens();
}

#[tokio::test]
async fn the_challenge_itself_is_not_accepted_as_the_verifier() {
    let server = FakeServer::start().await;
    let authz = Authz::new(PUBLIC);
    let code = code_for(&server, &authz).await;
    exchange(&server, PUBLIC, &code, &authz.pkce.challenge).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_missing_verifier_is_invalid_grant() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL);
    let code = code_for(&server, &authz).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CONFIDENTIAL.redirect_uri),
    ];
    let reply =
        crate::support::post(&server, "/token", crate::support::Auth::Basic(CONFIDENTIAL), &form).await;
    reply.assert_error(400, "invalid_grant");
    assert!(reply.str("error_description").contains("code_verifier"));
}

#[tokio::test]
async fn a_verifier_of_the_wrong_length_or_alphabet_is_invalid_grant_even_if_it_hashes_right() {
    let server = FakeServer::start().await;
    for verifier in ["a".repeat(42), "a".repeat(129), format!("{}+", "a".repeat(43))] {
        let pkce = Pkce::from_verifier(&verifier);
        let authz = Authz::new(PUBLIC).set("code_challenge", &pkce.challenge);
        let code = code_for(&server, &authz).await;
        exchange(&server, PUBLIC, &code, &verifier).await.assert_error(400, "invalid_grant");
    }
}

#[tokio::test]
async fn pkce_is_advertised_as_s256_only() {
    let server = FakeServer::start().await;
    let doc: serde_json::Value =
        crate::support::http().get(server.metadata_url()).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
}
