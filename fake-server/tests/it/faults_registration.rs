//! The faults that registration, management and metadata-document scenarios are killed by
//! (the second part of that section of `faults.rs`): each changes what the server does in the
//! way its documentation says.

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

fn web_client() -> Value {
    json!({ "client_name": "Web", "redirect_uris": ["https://a.example.test/cb"] })
}

async fn status_of(server: &FakeServer, meta: Value) -> StatusCode {
    register(server, &meta).await.status()
}

/// A request to the client's configuration URL with its registration access token.
async fn manage(method: Method, info: &Value, body: Option<Value>) -> reqwest::Response {
    let mut req = http()
        .request(method, info["registration_client_uri"].as_str().unwrap())
        .bearer_auth(info["registration_access_token"].as_str().unwrap());
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn dcr_issued_at_as_string() {
    let s = with(Fault::DcrIssuedAtAsString).await;
    assert!(register_ok(&s, &web_client()).await["client_id_issued_at"].is_string());
}

#[tokio::test]
async fn dcr_hides_replaced_values() {
    let s = with(Fault::DcrHidesReplacedValues).await;
    let mut meta = web_client();
    meta["token_endpoint_auth_method"] = json!("tls_client_auth");
    let info = register_ok(&s, &meta).await;
    assert_eq!(info["token_endpoint_auth_method"], "tls_client_auth");
    assert!(info["client_secret"].is_string(), "registered as client_secret_basic");
}

#[tokio::test]
async fn dcr_accepts_inconsistent_types() {
    let s = with(Fault::DcrAcceptsInconsistentTypes).await;
    let meta = json!({ "grant_types": ["client_credentials"], "response_types": ["code"] });
    assert_eq!(status_of(&s, meta).await, StatusCode::CREATED);
}

#[tokio::test]
async fn dcr_redirect_not_enforced() {
    let s = with(Fault::DcrRedirectNotEnforced).await;
    let mut meta = web_client();
    meta["token_endpoint_auth_method"] = json!("none");
    let info = register_ok(&s, &meta).await;
    let flow = Flow {
        client_id: info["client_id"].as_str().unwrap(),
        redirect_uri: "https://attacker.example.test/cb",
        scope: None,
        resource: None,
    };
    let resp = start(&s, &browser(), &flow).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert!(location(&resp).contains("/login?"));
}

#[tokio::test]
async fn dcr_allows_missing_redirect_uris() {
    let s = with(Fault::DcrAllowsMissingRedirectUris).await;
    assert_eq!(status_of(&s, json!({ "grant_types": ["authorization_code"] })).await, StatusCode::CREATED);
}

#[tokio::test]
async fn dcr_accepts_dangerous_schemes() {
    let s = with(Fault::DcrAcceptsDangerousSchemes).await;
    let meta = json!({ "redirect_uris": ["javascript:alert(1)//"] });
    assert_eq!(status_of(&s, meta).await, StatusCode::CREATED);
}

#[tokio::test]
async fn dcr_skips_jwks_checks() {
    let s = with(Fault::DcrSkipsJwksChecks).await;
    let mut meta = web_client();
    meta["jwks"] = json!({ "keys": "none" });
    meta["jwks_uri"] = json!("http://a.example.test/jwks");
    assert_eq!(status_of(&s, meta).await, StatusCode::CREATED);
}

#[tokio::test]
async fn registration_cacheable() {
    let s = with(Fault::RegistrationCacheable).await;
    let resp = register(&s, &web_client()).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers().get("cache-control").is_none());
}

#[tokio::test]
async fn dcr_url_client_id_still_manages_the_client_through_an_encoded_uri() {
    let s = with(Fault::DcrUrlClientId).await;
    let info = register_ok(&s, &web_client()).await;
    let id = info["client_id"].as_str().unwrap();
    assert!(id.starts_with("https://"), "{id}");
    assert!(info["registration_client_uri"].as_str().unwrap().contains("/register/https%3A%2F%2F"));
    let read = manage(Method::GET, &info, None).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.json::<Value>().await.unwrap()["client_id"], id);
}

#[tokio::test]
async fn management_uri_missing() {
    let s = with(Fault::ManagementUriMissing).await;
    let info = register_ok(&s, &web_client()).await;
    assert!(info["registration_access_token"].is_string());
    assert!(info.get("registration_client_uri").is_none());
}

#[tokio::test]
async fn management_unknown_client_404() {
    let s = with(Fault::ManagementUnknownClient404).await;
    let resp = http().get(s.url("/register/dyn_nobody")).bearer_auth("rat_guess").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn put_merges_metadata() {
    let s = with(Fault::PutMergesMetadata).await;
    let mut meta = web_client();
    meta["client_uri"] = json!("https://a.example.test/");
    let info = register_ok(&s, &meta).await;
    let update = json!({ "client_id": info["client_id"], "redirect_uris": ["https://a.example.test/cb"] });
    let resp = manage(Method::PUT, &info, Some(update)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["client_uri"], "https://a.example.test/");
}

#[tokio::test]
async fn put_skips_checks() {
    let s = with(Fault::PutSkipsChecks).await;
    let info = register_ok(&s, &web_client()).await;
    let update = json!({
        "client_id": "someone-else",
        "registration_access_token": "chosen",
        "redirect_uris": ["https://a.example.test/cb"],
    });
    assert_eq!(manage(Method::PUT, &info, Some(update)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn registration_preflight_omits_put_delete() {
    let s = with(Fault::RegistrationPreflightOmitsPutDelete).await;
    let resp = http()
        .request(Method::OPTIONS, s.url("/register/dyn_x"))
        .header("origin", "https://app.example.test")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    let methods = resp.headers()["access-control-allow-methods"].to_str().unwrap().to_string();
    assert!(!methods.contains("PUT") && !methods.contains("DELETE"), "{methods}");
}

const REDIRECT: &str = "http://127.0.0.1:5555/callback";

fn document(id: &str) -> Value {
    json!({ "client_id": id, "client_name": "Doc", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none" })
}

/// Host `body` at `/c.json` and return the document's URL.
async fn hosted(mock: &MockServer, resp: ResponseTemplate) -> String {
    Mock::given(path("/c.json")).respond_with(resp).mount(mock).await;
    format!("{}/c.json", mock.uri())
}

async fn doc_authorize(s: &FakeServer, id: &str) -> reqwest::Response {
    start(s, &browser(), &Flow { client_id: id, redirect_uri: REDIRECT, scope: None, resource: None }).await
}

#[tokio::test]
async fn cimd_not_fetched() {
    let mock = MockServer::start().await;
    let id = format!("{}/c.json", mock.uri());
    hosted(&mock, ResponseTemplate::new(200).set_body_json(document(&id))).await;
    let s = dev_with(Fault::CimdNotFetched).await;
    assert_eq!(doc_authorize(&s, &id).await.status(), StatusCode::BAD_REQUEST);
    assert!(mock.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn cimd_ignores_status() {
    let mock = MockServer::start().await;
    let id = format!("{}/c.json", mock.uri());
    hosted(&mock, ResponseTemplate::new(404).set_body_json(document(&id))).await;
    let s = dev_with(Fault::CimdIgnoresStatus).await;
    assert_eq!(doc_authorize(&s, &id).await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn cimd_accepts_incomplete_document() {
    let mock = MockServer::start().await;
    let id = format!("{}/c.json", mock.uri());
    let mut doc = document(&id);
    doc.as_object_mut().unwrap().remove("client_name");
    hosted(&mock, ResponseTemplate::new(200).set_body_json(doc)).await;
    let s = dev_with(Fault::CimdAcceptsIncompleteDocument).await;
    assert_eq!(doc_authorize(&s, &id).await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn cimd_lax_url_form() {
    let mock = MockServer::start().await;
    let id = format!("{}/a/../c.json", mock.uri());
    hosted(&mock, ResponseTemplate::new(200).set_body_json(document(&id))).await;
    let s = dev_with(Fault::CimdLaxUrlForm).await;
    assert_eq!(doc_authorize(&s, &id).await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn cimd_no_size_limit() {
    let mock = MockServer::start().await;
    let id = format!("{}/c.json", mock.uri());
    let body = format!("{}{}", document(&id), " ".repeat(64 * 1024));
    hosted(&mock, ResponseTemplate::new(200).set_body_string(body)).await;
    let s = dev_with(Fault::CimdNoSizeLimit).await;
    assert_eq!(doc_authorize(&s, &id).await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn cimd_never_cached() {
    let mock = MockServer::start().await;
    let id = format!("{}/c.json", mock.uri());
    let ok =
        ResponseTemplate::new(200).set_body_json(document(&id)).insert_header("cache-control", "max-age=300");
    hosted(&mock, ok).await;
    let s = dev_with(Fault::CimdNeverCached).await;
    for _ in 0..2 {
        assert_eq!(doc_authorize(&s, &id).await.status(), StatusCode::FOUND);
    }
    assert_eq!(mock.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn cimd_fetch_failure_ignored() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap().port();
    let id = format!("http://127.0.0.1:{port}/c.json");
    let s = dev_with(Fault::CimdFetchFailureIgnored).await;
    assert_eq!(doc_authorize(&s, &id).await.status(), StatusCode::FOUND);
}
