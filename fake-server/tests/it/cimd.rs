//! Client ID metadata documents (SPEC I.4, CIMD-01..11), hosted on a local wiremock server.
//! Loopback hosting needs `allow_insecure_cimd`; without it, loopback and private addresses
//! must be refused before any connection is made.

use std::time::Duration;

use fake_server::FakeServer;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support_extra::*;

const REDIRECT: &str = "http://127.0.0.1:5555/callback";

async fn dev_server() -> FakeServer {
    FakeServer::builder()
        .settings(|s| {
            s.allow_insecure_cimd = true;
            s.cimd_timeout_ms = 500;
        })
        .start()
        .await
}

fn document(id: &str) -> Value {
    json!({
        "client_id": id,
        "client_name": "Document Client",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
    })
}

async fn host(mock: &MockServer, at: &str, resp: ResponseTemplate) -> String {
    Mock::given(method("GET")).and(path(at)).respond_with(resp).mount(mock).await;
    format!("{}{at}", mock.uri())
}

fn ok_json(v: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(v)
}

/// `/authorize` for the document client; the response before any login.
async fn try_authorize(server: &FakeServer, id: &str, redirect: &str) -> reqwest::Response {
    let mcp = server.url("/mcp");
    start(
        server,
        &browser(),
        &Flow { client_id: id, redirect_uri: redirect, scope: None, resource: Some(&mcp) },
    )
    .await
}

/// Assert an error page (never a redirect) whose text contains `needle`.
async fn assert_refused(resp: reqwest::Response, needle: &str) {
    assert!(location(&resp).is_empty(), "must not redirect");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let html = resp.text().await.unwrap();
    assert!(html.contains(needle), "expected `{needle}` in {html}");
}

#[tokio::test]
async fn metadata_advertises_document_support() {
    let server = FakeServer::start().await;
    let meta: Value = http().get(server.metadata_url()).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["client_id_metadata_document_supported"], true);
    let off = FakeServer::builder().settings(|s| s.cimd = false).start().await;
    let meta: Value = http().get(off.metadata_url()).send().await.unwrap().json().await.unwrap();
    assert!(meta.get("client_id_metadata_document_supported").is_none());
}

#[tokio::test]
async fn a_document_client_completes_the_flow_as_a_public_client_after_consent() {
    let mock = MockServer::start().await;
    let id = format!("{}/client.json", mock.uri());
    host(&mock, "/client.json", ok_json(&document(&id))).await;
    let server = dev_server().await;
    let mcp = server.url("/mcp");
    let flow = Flow {
        client_id: &id,
        redirect_uri: "http://127.0.0.1:6000/callback",
        scope: None,
        resource: Some(&mcp),
    };
    let b = browser();
    let consent = until_consent(&server, &b, &flow).await;
    assert!(consent.contains("id=\"client-id-host\">127.0.0.1<"), "the page names the document's host");
    assert!(consent.contains("Document Client"));
    let (resp, consented) = authorize(&server, &b, &flow).await;
    assert!(consented, "consent is shown every time");
    let token = exchange(&server, &flow, &code_of(&resp), None).await;
    assert_eq!(token.status(), StatusCode::OK);
    let at = token.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
    let ping = json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" });
    let resp = http().post(&mcp).bearer_auth(&at).json(&ping).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn successful_documents_are_cached_per_cache_control() {
    let mock = MockServer::start().await;
    let id = format!("{}/cached.json", mock.uri());
    Mock::given(path("/cached.json")).respond_with(ok_json(&document(&id))).expect(1).mount(&mock).await;
    let fresh = format!("{}/fresh.json", mock.uri());
    Mock::given(path("/fresh.json"))
        .respond_with(ok_json(&document(&fresh)).insert_header("cache-control", "no-store"))
        .expect(2)
        .mount(&mock)
        .await;
    let server = dev_server().await;
    for _ in 0..2 {
        assert_eq!(try_authorize(&server, &id, REDIRECT).await.status(), StatusCode::FOUND);
        assert_eq!(try_authorize(&server, &fresh, REDIRECT).await.status(), StatusCode::FOUND);
    }
    mock.verify().await;
}

#[tokio::test]
async fn errors_are_not_cached_so_a_retry_can_succeed() {
    let mock = MockServer::start().await;
    let id = format!("{}/flaky.json", mock.uri());
    Mock::given(path("/flaky.json"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&mock)
        .await;
    Mock::given(path("/flaky.json")).respond_with(ok_json(&document(&id))).mount(&mock).await;
    let server = dev_server().await;
    assert_refused(try_authorize(&server, &id, REDIRECT).await, "only 200 is accepted").await;
    assert_eq!(try_authorize(&server, &id, REDIRECT).await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn the_document_must_name_itself_and_list_the_redirect_uri() {
    let mock = MockServer::start().await;
    let id = format!("{}/liar.json", mock.uri());
    host(&mock, "/liar.json", ok_json(&document("https://someone-else.example.test/client.json"))).await;
    let good = format!("{}/good.json", mock.uri());
    host(&mock, "/good.json", ok_json(&document(&good))).await;
    let server = dev_server().await;
    assert_refused(try_authorize(&server, &id, REDIRECT).await, "differs from its URL").await;
    assert_refused(try_authorize(&server, &good, "http://127.0.0.1:5555/elsewhere").await, "not registered")
        .await;
}

/// How a case's document host answers, given the document's URL.
type Respond = Box<dyn Fn(&str) -> ResponseTemplate>;

#[tokio::test]
async fn malformed_or_secret_bearing_documents_are_refused() {
    let mock = MockServer::start().await;
    let server = dev_server().await;
    let cases: Vec<(&str, Respond, &str)> = vec![
        (
            "/broken.json",
            Box::new(|_| ResponseTemplate::new(200).set_body_string("{not json")),
            "not valid JSON",
        ),
        (
            "/noredirect.json",
            Box::new(|id| ok_json(&json!({ "client_id": id, "client_name": "X" }))),
            "redirect_uris",
        ),
        (
            "/noname.json",
            Box::new(|id| ok_json(&json!({ "client_id": id, "redirect_uris": [REDIRECT] }))),
            "client_name",
        ),
        (
            "/basic.json",
            Box::new(|id| {
                let mut d = document(id);
                d["token_endpoint_auth_method"] = json!("client_secret_basic");
                ok_json(&d)
            }),
            "shared secret",
        ),
        (
            "/secret.json",
            Box::new(|id| {
                let mut d = document(id);
                d["client_secret"] = json!("shh");
                ok_json(&d)
            }),
            "client_secret",
        ),
        ("/missing.json", Box::new(|_| ResponseTemplate::new(404)), "only 200"),
        (
            "/huge.json",
            Box::new(|id| {
                let mut d = document(id);
                d["padding"] = json!("x".repeat(6000));
                ok_json(&d)
            }),
            "larger than",
        ),
        (
            "/slow.json",
            Box::new(|id| ok_json(&document(id)).set_delay(Duration::from_secs(2))),
            "longer than",
        ),
    ];
    for (at, respond, needle) in cases {
        let id = format!("{}{at}", mock.uri());
        host(&mock, at, respond(&id)).await;
        assert_refused(try_authorize(&server, &id, REDIRECT).await, needle).await;
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let mock = MockServer::start().await;
    let target = format!("{}/target.json", mock.uri());
    Mock::given(path("/target.json")).respond_with(ok_json(&document(&target))).expect(0).mount(&mock).await;
    let id =
        host(&mock, "/moved.json", ResponseTemplate::new(302).insert_header("location", target.as_str()))
            .await;
    let server = dev_server().await;
    assert_refused(try_authorize(&server, &id, REDIRECT).await, "redirects are not followed").await;
    mock.verify().await;
}

#[tokio::test]
async fn without_development_mode_loopback_and_private_addresses_are_never_contacted() {
    let mock = MockServer::start().await;
    let port = mock.address().port();
    let server = FakeServer::start().await;
    for (id, needle) in [
        (format!("https://127.0.0.1:{port}/client.json"), "loopback"),
        (format!("https://localhost:{port}/client.json"), "loopback"),
        ("https://10.0.0.1/client.json".to_string(), "private"),
        ("https://169.254.169.254/latest/meta-data".to_string(), "private"),
        ("https://[::1]/client.json".to_string(), "loopback"),
        (format!("http://127.0.0.1:{port}/client.json"), "must use https"),
    ] {
        assert_refused(try_authorize(&server, &id, REDIRECT).await, needle).await;
    }
    assert!(mock.received_requests().await.unwrap_or_default().is_empty(), "nothing was fetched");
}

#[tokio::test]
async fn client_id_urls_of_the_wrong_form_are_refused() {
    let server = dev_server().await;
    for (id, needle) in [
        ("https://app.example.test", "must have a path"),
        ("https://app.example.test/", "must have a path"),
        ("https://u:p@app.example.test/c.json", "user information"),
        ("https://app.example.test/a/../c.json", "segments"),
        ("https://app.example.test/c.json#f", "fragment"),
    ] {
        assert_refused(try_authorize(&server, id, REDIRECT).await, needle).await;
    }
}

#[tokio::test]
async fn with_documents_switched_off_a_url_is_just_an_unknown_client() {
    let mock = MockServer::start().await;
    let id = format!("{}/client.json", mock.uri());
    Mock::given(path("/client.json")).respond_with(ok_json(&document(&id))).expect(0).mount(&mock).await;
    let server = FakeServer::builder()
        .settings(|s| {
            s.cimd = false;
            s.allow_insecure_cimd = true;
        })
        .start()
        .await;
    assert_refused(try_authorize(&server, &id, REDIRECT).await, "unknown client_id").await;
    mock.verify().await;
}

#[tokio::test]
async fn a_document_the_server_was_given_is_used_without_fetching_and_checked_as_a_fetched_one() {
    // Nothing listens on this host: the document can only come from the settings.
    let id = "https://client.conformance.example/oauth-client.json";
    let mut doc = document(id);
    doc["redirect_uris"] = json!(["http://127.0.0.1/callback"]);
    let server = FakeServer::builder().client_metadata_document(id, doc).start().await;
    let mcp = server.url("/mcp");
    // A loopback redirect URI may name any port (RFC 8252 §7.3).
    let flow = Flow {
        client_id: id,
        redirect_uri: "http://127.0.0.1:6123/callback",
        scope: None,
        resource: Some(&mcp),
    };
    let b = browser();
    let (resp, _) = authorize(&server, &b, &flow).await;
    let token = exchange(&server, &flow, &code_of(&resp), None).await;
    assert_eq!(token.status(), StatusCode::OK);
    assert_refused(try_authorize(&server, id, "http://127.0.0.1:6123/elsewhere").await, "redirect").await;

    let other = "https://client.conformance.example/other.json";
    let server = FakeServer::builder().client_metadata_document(other, document(id)).start().await;
    assert_refused(try_authorize(&server, other, REDIRECT).await, "differs from its URL").await;
    let off = FakeServer::builder()
        .client_metadata_document(id, document(id))
        .settings(|s| s.cimd = false)
        .start()
        .await;
    assert_eq!(try_authorize(&off, id, REDIRECT).await.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn a_given_document_must_be_an_object_under_its_url() {
    let config = |server: &str| fake_server::config::Config::from_toml(&format!("[server]\n{server}"));
    let err = config("client_metadata_documents = { \"not a url\" = { client_id = \"x\" } }").unwrap_err();
    assert!(err.to_string().contains("must be the document's URL"), "{err}");
    let err = config("client_metadata_documents = { \"https://a.example/c.json\" = 3 }").unwrap_err();
    assert!(err.to_string().contains("must be a JSON object"), "{err}");
}
