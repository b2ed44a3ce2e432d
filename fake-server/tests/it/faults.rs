//! Deliberate faults: off by default, switchable from the builder, the fixtures file and the
//! binary's `--fault`, and each one visibly breaking its behaviour.

use std::time::Duration;

use fake_server::config::DEFAULT_FIXTURES;
use fake_server::{Config, FakeServer, Fault};
use reqwest::StatusCode;
use url::Url;

use crate::support::{
    Auth, Authz, Browser, CONFIDENTIAL, Decision, PUBLIC, Pkce, Reply, active, code_for, exchange, http,
    location, param, post, tokens,
};

/// The default fixtures with `faults = [...]` added to `[server]`.
fn fixtures_with_faults(names: &[&str]) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    DEFAULT_FIXTURES.replacen("[server]", &format!("[server]\nfaults = [{}]", list.join(", ")), 1)
}

/// Start an authorization for `authz` with a logged-in session and return where the server
/// sends the browser (following our own pages).
async fn callback(server: &FakeServer, authz: &Authz) -> Url {
    Browser::new(server).authorize(server, authz, "alice", Decision::Approve).await
}

#[tokio::test]
async fn every_fault_is_off_by_default() {
    let server = FakeServer::start().await;
    let on: Vec<&str> = Fault::ALL.iter().filter(|f| server.has_fault(**f)).map(|f| f.name()).collect();
    assert!(on.is_empty(), "{on:?}");
}

#[tokio::test]
async fn a_fault_switched_on_in_the_builder_changes_behaviour() {
    let server = FakeServer::builder().fault(Fault::NoIss).start().await;
    assert!(server.has_fault(Fault::NoIss));
    let url = callback(&server, &Authz::new(CONFIDENTIAL)).await;
    param(&url, "code");
    assert!(url.query_pairs().all(|(k, _)| k != "iss"), "{url}");
}

#[tokio::test]
async fn a_fault_listed_in_the_fixtures_file_changes_behaviour() {
    let server = FakeServer::builder()
        .fixtures_toml(&fixtures_with_faults(&["reusable-codes"]))
        .expect("fixtures")
        .start()
        .await;
    assert!(server.has_fault(Fault::ReusableCodes));
    let authz = Authz::new(CONFIDENTIAL);
    let code = code_for(&server, &authz).await;
    exchange(&server, CONFIDENTIAL, &code, &authz.pkce.verifier).await.assert_tokens();
    exchange(&server, CONFIDENTIAL, &code, &authz.pkce.verifier).await.assert_tokens();
}

#[tokio::test]
async fn an_unknown_fault_in_the_fixtures_file_is_refused() {
    let err = Config::from_toml(&fixtures_with_faults(&["no-such-fault"])).expect_err("refused");
    assert!(err.to_string().contains("no-such-fault"), "{err}");
}

#[tokio::test]
async fn the_binarys_fault_flag_and_fixtures_file_switch_faults_on() {
    let path = std::env::temp_dir().join(format!("fake-server-faults-{}.toml", std::process::id()));
    std::fs::write(&path, fixtures_with_faults(&["wrong-issuer-in-metadata"])).expect("write fixtures");
    let running = crate::binary::Running::spawn(&[
        "--fault",
        "no-iss",
        "--fixtures",
        path.to_str().expect("UTF-8 path"),
    ]);
    let issuer = running.issuer.clone();
    let _ = std::fs::remove_file(&path);
    // From the fixtures file: the metadata issuer gains a slash.
    let doc = Reply::read(
        http().get(format!("{issuer}/.well-known/oauth-authorization-server")).send().await.unwrap(),
    )
    .await;
    assert_eq!(doc.json["issuer"], format!("{issuer}/"));
    // From the flag: an error redirect without iss.
    let authz = Authz::new(CONFIDENTIAL).set("scope", "nope");
    let mut url = Url::parse(&format!("{issuer}/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(&authz.params);
    let resp = http().get(url).send().await.unwrap();
    let to = Url::parse(&location(&resp)).unwrap();
    assert_eq!(param(&to, "error"), "invalid_scope");
    assert!(to.query_pairs().all(|(k, _)| k != "iss"), "{to}");
    running.stop();
}

#[tokio::test]
async fn delayed_revocation_keeps_a_revoked_token_active_for_a_while() {
    let server = FakeServer::builder().fault(Fault::DelayedRevocation).start().await;
    let t = tokens(&server, CONFIDENTIAL).await;
    let at = t.str("access_token");
    assert_eq!(post(&server, "/revoke", Auth::Basic(CONFIDENTIAL), &[("token", at)]).await.status, 200);
    assert!(active(&server, at).await, "the fault hides the revocation");
    server.advance(Duration::from_secs(31));
    assert!(!active(&server, at).await);
}

#[tokio::test]
async fn accept_plain_pkce_lets_a_plain_challenge_through() {
    let server = FakeServer::builder().fault(Fault::AcceptPlainPkce).start().await;
    let verifier = Pkce::new().verifier;
    let authz = Authz::new(PUBLIC).set("code_challenge", &verifier).set("code_challenge_method", "plain");
    let code = code_for(&server, &authz).await;
    exchange(&server, PUBLIC, &code, &verifier).await.assert_tokens();
}

#[tokio::test]
async fn prefix_redirect_match_accepts_a_longer_redirect_uri() {
    let server = FakeServer::builder().fault(Fault::PrefixRedirectMatch).start().await;
    let evil = "https://client.example.test/callback.evil.example/steal";
    let url = callback(&server, &Authz::new(CONFIDENTIAL).set("redirect_uri", evil)).await;
    assert!(url.as_str().starts_with(evil), "{url}");
}

#[tokio::test]
async fn skip_verifier_check_accepts_any_verifier() {
    let server = FakeServer::builder().fault(Fault::SkipVerifierCheck).start().await;
    let code = code_for(&server, &Authz::new(CONFIDENTIAL)).await;
    exchange(&server, CONFIDENTIAL, &code, &Pkce::new().verifier).await.assert_tokens();
}

#[tokio::test]
async fn no_cors_on_token_drops_the_cors_headers_of_token_responses() {
    let server = FakeServer::builder().fault(Fault::NoCorsOnToken).start().await;
    let resp = http()
        .post(server.url("/token"))
        .header("origin", "https://spa.example.test")
        .form(&[("grant_type", "client_credentials"), ("client_id", PUBLIC.id)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn wrong_issuer_in_metadata_adds_a_trailing_slash() {
    let server = FakeServer::builder().fault(Fault::WrongIssuerInMetadata).start().await;
    let doc = Reply::read(http().get(server.metadata_url()).send().await.unwrap()).await;
    assert_eq!(doc.json["issuer"], format!("{}/", server.issuer()));
}
