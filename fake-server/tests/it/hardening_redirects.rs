//! Redirect URIs are validated strictly wherever a client is created (RFC 7591 registration,
//! the admin API, client ID metadata documents) and redirects go to exactly the registered
//! string; names shown to users cannot carry bidi controls or invisible characters.

use fake_server::FakeServer;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support_extra::*;

/// Redirect URIs that must never be registered, with why.
const BAD_REDIRECTS: &[(&str, &str)] = &[
    ("https://a.example/c\rb", "raw CR"),
    ("https://a.example/c\nb", "raw LF"),
    ("https://a.example/c\tb", "raw TAB"),
    ("https://a.example/c b", "a space"),
    ("https://a.example/\u{202E}bc", "a right-to-left override"),
    ("https://a.example/\u{200B}cb", "a zero-width space"),
    ("https://a.example/caf\u{e9}", "raw non-ASCII"),
    ("https:/a.example/cb", "no authority"),
    ("https:a.example/cb", "no authority at all"),
    ("https://@a.example/cb", "empty userinfo"),
    ("https://user@a.example/cb", "userinfo"),
    ("https://a.example/c%zzb", "a broken percent-encoding"),
    ("https://a.example/<cb>", "angle brackets"),
    ("http:///cb", "an empty authority"),
    ("1https://a.example/cb", "a scheme that starts with a digit"),
];

fn metadata(redirect: &str) -> Value {
    json!({ "client_name": "Strict", "redirect_uris": [redirect], "token_endpoint_auth_method": "none" })
}

#[tokio::test]
async fn registration_refuses_malformed_redirect_uris_with_invalid_redirect_uri() {
    let server = FakeServer::start().await;
    for (uri, why) in BAD_REDIRECTS {
        let resp = register(&server, &metadata(uri)).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{why}: {uri:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_redirect_uri", "{why}: {body}");
    }
}

#[tokio::test]
async fn the_admin_api_refuses_the_same_redirect_uris() {
    let server = FakeServer::start().await;
    for (uri, why) in BAD_REDIRECTS {
        let body = json!({ "name": "Strict", "redirect_uris": [uri], "public": true });
        let resp = http()
            .post(server.url("/admin/api/applications"))
            .bearer_auth(server.admin_key())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{why}: {uri:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_redirect_uri", "{why}: {body}");
    }
}

#[tokio::test]
async fn a_metadata_document_with_a_malformed_redirect_uri_is_refused() {
    let mock = MockServer::start().await;
    let id = format!("{}/strict.json", mock.uri());
    let doc = json!({
        "client_id": id,
        "client_name": "Doc",
        "redirect_uris": ["http://127.0.0.1:5555/c\u{202E}b"],
        "token_endpoint_auth_method": "none",
    });
    Mock::given(path("/strict.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&doc))
        .mount(&mock)
        .await;
    let server = FakeServer::builder().settings(|s| s.allow_insecure_cimd = true).start().await;
    let flow = Flow {
        client_id: &id,
        redirect_uri: "http://127.0.0.1:5555/c\u{202E}b",
        scope: None,
        resource: None,
    };
    let resp = start(&server, &browser(), &flow).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(location(&resp).is_empty(), "never a redirect");
    let page = resp.text().await.unwrap();
    assert!(page.contains("invalid_client") && page.contains("redirect URI"), "{page}");
    assert!(page.contains("contains whitespace, a control or an invisible character"), "{page}");
}

#[tokio::test]
async fn the_browser_is_sent_to_exactly_the_registered_string() {
    let server = FakeServer::start().await;
    // Valid RFC 3986, but a URL library would rewrite each of these parts.
    let registered = "http://127.0.0.1:7000/a/./b/../cb;p=1?x=%7e&y=A%2fB&";
    let client = register_ok(&server, &metadata(registered)).await;
    assert_eq!(client["redirect_uris"][0], registered, "stored as sent");
    let id = client["client_id"].as_str().unwrap();
    let flow = Flow { client_id: id, redirect_uri: registered, scope: None, resource: None };
    let (resp, _) = authorize(&server, &browser(), &flow).await;
    let to = location(&resp);
    assert!(to.starts_with(&format!("{registered}code=")), "redirected to {to}");
}

#[tokio::test]
async fn names_with_bidi_controls_or_invisible_characters_are_refused() {
    let server = FakeServer::start().await;
    for name in ["Good\u{202E}exe.pdf", "Pay\u{200B}Pal", "\u{2066}Bank\u{2069}", "Ok\u{FEFF}", "A\u{7}B"] {
        let mut meta = public_client_metadata();
        meta["client_name"] = json!(name);
        let resp = register(&server, &meta).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{name:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client_metadata", "{name:?}: {body}");
        let resp = http()
            .post(server.url("/admin/api/applications"))
            .bearer_auth(server.admin_key())
            .json(&json!({ "name": name, "redirect_uris": ["https://a.example/cb"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "admin: {name:?}");
    }
    // Letters of every script stay welcome.
    let mut meta = public_client_metadata();
    meta["client_name"] = json!("Café Ünïcode 日本 עברית");
    let client = register_ok(&server, &meta).await;
    assert_eq!(client["client_name"], "Café Ünïcode 日本 עברית");
}

#[tokio::test]
async fn a_fixture_name_with_a_bidi_control_is_shown_neutralized_on_the_consent_page() {
    let mut config = fake_server::Config::defaults();
    let spoof = "Evil\u{202E}moc.elgoog";
    config.clients.iter_mut().find(|c| c.client_id == "conformance-public").expect("fixture").name =
        spoof.into();
    let server = FakeServer::builder().fixtures(config).start().await;
    let flow = Flow {
        client_id: "conformance-public",
        redirect_uri: "https://client.example.test/public/callback",
        scope: None,
        resource: None,
    };
    let page = until_consent(&server, &browser(), &flow).await;
    assert!(!page.contains('\u{202E}'), "the override never reaches the page");
    assert!(page.contains("Evil\u{FFFD}moc.elgoog"), "shown with a visible replacement");
}
