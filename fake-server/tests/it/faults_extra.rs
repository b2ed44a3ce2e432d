//! Every fault of the registration, metadata-document, MCP and operator section changes what
//! the server does, in the way its documentation says (the kill matrix needs that).

use fake_server::{FakeServer, Fault};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support_extra::*;

async fn with(fault: Fault) -> FakeServer {
    FakeServer::builder().fault(fault).start().await
}

async fn dev_with(fault: Fault) -> FakeServer {
    FakeServer::builder().fault(fault).settings(|s| s.allow_insecure_cimd = true).start().await
}

async fn status_of(server: &FakeServer, meta: Value) -> StatusCode {
    register(server, &meta).await.status()
}

#[tokio::test]
async fn dcr_accepts_fragment_redirect() {
    let s = with(Fault::DcrAcceptsFragmentRedirect).await;
    assert_eq!(
        status_of(&s, json!({ "redirect_uris": ["https://a.example.test/cb#f"] })).await,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn dcr_accepts_http_redirect() {
    let s = with(Fault::DcrAcceptsHttpRedirect).await;
    assert_eq!(
        status_of(&s, json!({ "redirect_uris": ["http://evil.example.test/cb"] })).await,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn dcr_rejects_loopback() {
    let s = with(Fault::DcrRejectsLoopback).await;
    assert_eq!(status_of(&s, public_client_metadata()).await, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn dcr_skips_consent() {
    let s = with(Fault::DcrSkipsConsent).await;
    let info = register_ok(&s, &public_client_metadata()).await;
    let flow = Flow {
        client_id: info["client_id"].as_str().unwrap(),
        redirect_uri: "http://127.0.0.1:1/callback",
        scope: None,
        resource: None,
    };
    let (_, consented) = authorize(&s, &browser(), &flow).await;
    assert!(!consented);
}

#[tokio::test]
async fn registration_returns_200() {
    let s = with(Fault::RegistrationReturns200).await;
    assert_eq!(status_of(&s, public_client_metadata()).await, StatusCode::OK);
}

#[tokio::test]
async fn no_client_secret_expires_at() {
    let s = with(Fault::NoClientSecretExpiresAt).await;
    let info = register_ok(&s, &json!({ "redirect_uris": ["https://a.example.test/cb"] })).await;
    assert!(info["client_secret"].is_string() && info.get("client_secret_expires_at").is_none());
}

#[tokio::test]
async fn dcr_drops_metadata() {
    let s = with(Fault::DcrDropsMetadata).await;
    let info =
        register_ok(&s, &json!({ "redirect_uris": ["https://a.example.test/cb"], "x_custom": 1 })).await;
    assert!(info.get("grant_types").is_none() && info.get("x_custom").is_none());
}

#[tokio::test]
async fn dcr_rejects_unknown_metadata() {
    let s = with(Fault::DcrRejectsUnknownMetadata).await;
    let meta = json!({ "redirect_uris": ["https://a.example.test/cb"], "x_custom": 1 });
    assert_eq!(status_of(&s, meta).await, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn dcr_secret_for_public_client() {
    let s = with(Fault::DcrSecretForPublicClient).await;
    let info = register_ok(&s, &public_client_metadata()).await;
    assert!(info["client_secret"].is_string());
}

#[tokio::test]
async fn registration_not_advertised() {
    let s = with(Fault::RegistrationNotAdvertised).await;
    let meta: Value = http().get(s.metadata_url()).send().await.unwrap().json().await.unwrap();
    assert!(meta.get("registration_endpoint").is_none());
    assert_eq!(status_of(&s, public_client_metadata()).await, StatusCode::CREATED);
}

#[tokio::test]
async fn management_token_not_checked() {
    let s = with(Fault::ManagementTokenNotChecked).await;
    let info = register_ok(&s, &public_client_metadata()).await;
    let resp = http().get(info["registration_client_uri"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn management_delete_keeps_client() {
    let s = with(Fault::ManagementDeleteKeepsClient).await;
    let info = register_ok(&s, &json!({ "grant_types": ["client_credentials"], "response_types": [] })).await;
    let uri = info["registration_client_uri"].as_str().unwrap();
    let resp = http()
        .delete(uri)
        .bearer_auth(info["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = http()
        .post(s.url("/token"))
        .basic_auth(info["client_id"].as_str().unwrap(), info["client_secret"].as_str())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "the deleted client still gets tokens");
}

#[tokio::test]
async fn put_accepts_client_secret() {
    let s = with(Fault::PutAcceptsClientSecret).await;
    let info = register_ok(&s, &json!({ "redirect_uris": ["https://a.example.test/cb"] })).await;
    let body = json!({ "client_id": info["client_id"], "client_secret": "my-own-secret", "redirect_uris": ["https://a.example.test/cb"] });
    let resp = http()
        .put(info["registration_client_uri"].as_str().unwrap())
        .bearer_auth(info["registration_access_token"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["client_secret"], "my-own-secret");
}

fn document(id: &str) -> Value {
    json!({ "client_id": id, "client_name": "Doc", "redirect_uris": ["http://127.0.0.1:5555/callback"], "token_endpoint_auth_method": "none" })
}

async fn doc_authorize(s: &FakeServer, id: &str, redirect: &str) -> reqwest::Response {
    start(s, &browser(), &Flow { client_id: id, redirect_uri: redirect, scope: None, resource: None }).await
}

#[tokio::test]
async fn cimd_client_id_mismatch_accepted() {
    let mock = MockServer::start().await;
    Mock::given(path("/c.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(document("https://other.example.test/c")))
        .mount(&mock)
        .await;
    let s = dev_with(Fault::CimdClientIdMismatchAccepted).await;
    let resp = doc_authorize(&s, &format!("{}/c.json", mock.uri()), "http://127.0.0.1:5555/callback").await;
    assert_eq!(resp.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn cimd_redirect_not_checked() {
    let mock = MockServer::start().await;
    let id = format!("{}/c.json", mock.uri());
    Mock::given(path("/c.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(document(&id)))
        .mount(&mock)
        .await;
    let s = dev_with(Fault::CimdRedirectNotChecked).await;
    assert_eq!(
        doc_authorize(&s, &id, "https://attacker.example.test/steal").await.status(),
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn cimd_follows_redirects() {
    let mock = MockServer::start().await;
    let id = format!("{}/c.json", mock.uri());
    let target = format!("{}/real.json", mock.uri());
    Mock::given(path("/c.json"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", target.as_str()))
        .mount(&mock)
        .await;
    Mock::given(path("/real.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(document(&id)))
        .mount(&mock)
        .await;
    let s = dev_with(Fault::CimdFollowsRedirects).await;
    assert_eq!(doc_authorize(&s, &id, "http://127.0.0.1:5555/callback").await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn cimd_fetches_private_addresses() {
    let mock = MockServer::start().await;
    let id = format!("https://127.0.0.1:{}/c.json", mock.address().port());
    let s = with(Fault::CimdFetchesPrivateAddresses).await;
    let html = doc_authorize(&s, &id, "http://127.0.0.1:5555/callback").await.text().await.unwrap();
    assert!(!html.contains("loopback addresses are not fetched"), "{html}");
    assert!(html.contains("fetching the document failed"), "it tried to connect: {html}");
}

#[tokio::test]
async fn cimd_caches_errors() {
    let mock = MockServer::start().await;
    let id = format!("{}/c.json", mock.uri());
    Mock::given(path("/c.json")).respond_with(ResponseTemplate::new(500)).up_to_n_times(1).mount(&mock).await;
    Mock::given(path("/c.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(document(&id)))
        .mount(&mock)
        .await;
    let s = dev_with(Fault::CimdCachesErrors).await;
    assert_eq!(
        doc_authorize(&s, &id, "http://127.0.0.1:5555/callback").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        doc_authorize(&s, &id, "http://127.0.0.1:5555/callback").await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn cimd_accepts_shared_secret() {
    let mock = MockServer::start().await;
    let id = format!("{}/c.json", mock.uri());
    let mut doc = document(&id);
    doc["token_endpoint_auth_method"] = json!("client_secret_basic");
    doc["client_secret"] = json!("shh");
    Mock::given(path("/c.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc))
        .mount(&mock)
        .await;
    let s = dev_with(Fault::CimdAcceptsSharedSecret).await;
    assert_eq!(doc_authorize(&s, &id, "http://127.0.0.1:5555/callback").await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn cimd_not_advertised() {
    let s = with(Fault::CimdNotAdvertised).await;
    let meta: Value = http().get(s.metadata_url()).send().await.unwrap().json().await.unwrap();
    assert!(meta.get("client_id_metadata_document_supported").is_none());
}

#[tokio::test]
async fn prm_resource_trailing_slash() {
    let s = with(Fault::PrmResourceTrailingSlash).await;
    let url = format!("http://{}/.well-known/oauth-protected-resource/mcp", s.addr());
    let doc: Value = http().get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["resource"], format!("{}/", s.url("/mcp")));
}

fn ping() -> Value {
    json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" })
}

#[tokio::test]
async fn resource_ignores_audience() {
    let s = with(Fault::ResourceIgnoresAudience).await;
    let at = alice_token(&s, "projects:read", Some("https://api.example.test")).await;
    assert_eq!(
        http().post(s.url("/mcp")).bearer_auth(at).json(&ping()).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn mcp_no_www_authenticate() {
    let s = with(Fault::McpNoWwwAuthenticate).await;
    let resp = http().post(s.url("/mcp")).json(&ping()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().get("www-authenticate").is_none());
}

#[tokio::test]
async fn mcp_error_without_token() {
    let s = with(Fault::McpErrorWithoutToken).await;
    let resp = http().post(s.url("/mcp")).json(&ping()).send().await.unwrap();
    assert!(resp.headers()["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn mcp_token_in_query() {
    let s = with(Fault::McpTokenInQuery).await;
    let at = alice_token(&s, "projects:read", Some(&s.url("/mcp"))).await;
    let resp = http().post(s.url(&format!("/mcp?access_token={at}"))).json(&ping()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn mcp_scope_not_checked() {
    let s = with(Fault::McpScopeNotChecked).await;
    let at = alice_token(&s, "openid", Some(&s.url("/mcp"))).await;
    assert_eq!(
        http().post(s.url("/mcp")).bearer_auth(at).json(&ping()).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn mcp_preflight_requires_auth() {
    let s = with(Fault::McpPreflightRequiresAuth).await;
    let resp = http()
        .request(Method::OPTIONS, s.url("/mcp"))
        .header("origin", "http://localhost:6274")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn every_fault_of_this_section_is_listed_and_named_after_spec_ids() {
    // From the section's first fault to its last: later sections count their own.
    let first = Fault::ALL.iter().position(|f| *f == Fault::DcrAcceptsFragmentRedirect).unwrap();
    let last = Fault::ALL.iter().position(|f| *f == Fault::ResourceDownscopeUnreported).unwrap();
    let section = Fault::ALL[first..=last].to_vec();
    assert_eq!(section.len(), 55);
    for f in section {
        let d = f.description();
        assert!(d.contains('(') && d.contains(')'), "{f}: {d}");
    }
}

#[tokio::test]
async fn registration_token_not_checked() {
    let s = FakeServer::builder()
        .fault(Fault::RegistrationTokenNotChecked)
        .settings(|s| {
            s.registration = fake_server::RegistrationPolicy::Token;
            s.registration_token = Some("initial-token".into());
        })
        .start()
        .await;
    assert_eq!(status_of(&s, public_client_metadata()).await, StatusCode::CREATED);
}

#[tokio::test]
async fn resource_downscope_unreported() {
    let s = with(Fault::ResourceDownscopeUnreported).await;
    let flow = Flow {
        client_id: "conformance-confidential",
        redirect_uri: "https://client.example.test/callback",
        scope: Some("openid projects:read"),
        resource: Some("https://api.example.test"),
    };
    let reply = tokens(&s, &flow, Some("s3cr:t+/%val ue")).await;
    assert_eq!(reply["scope"], "openid projects:read", "the response claims the full scope");
    let info = crate::support::introspect(&s, reply["access_token"].as_str().unwrap()).await;
    assert_eq!(info["scope"], "projects:read", "the token was narrowed: {info}");
}
