//! RFC 7592 client management: read, replace, delete (SPEC area F, MGMT-*).

use fake_server::FakeServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support_extra::*;

fn confidential() -> Value {
    json!({ "client_name": "Managed", "redirect_uris": ["https://app.example.test/cb"], "x_custom": "kept",
            "grant_types": ["authorization_code", "refresh_token"] })
}

async fn call(method: Method, info: &Value, token: Option<&str>, body: Option<&Value>) -> reqwest::Response {
    let uri = info["registration_client_uri"].as_str().unwrap();
    let mut req = http().request(method, uri);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    req.send().await.unwrap()
}

fn rat(info: &Value) -> &str {
    info["registration_access_token"].as_str().unwrap()
}

#[tokio::test]
async fn reading_returns_the_registration_as_it_was_issued() {
    let server = FakeServer::start().await;
    let info = register_ok(&server, &confidential()).await;
    let resp = call(Method::GET, &info, Some(rat(&info)), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let read: Value = resp.json().await.unwrap();
    assert_eq!(read, info);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("mgmt_read", read, { ".client_id_issued_at" => "[issued_at]" });
    });
}

#[tokio::test]
async fn a_missing_or_wrong_token_gets_a_401_that_reveals_nothing() {
    let server = FakeServer::start().await;
    let info = register_ok(&server, &confidential()).await;
    let id = info["client_id"].as_str().unwrap();
    let resp = call(Method::GET, &info, None, None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = resp.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.starts_with("Bearer") && !challenge.contains("error="), "{challenge}");
    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let resp = call(method.clone(), &info, Some("rat_wrong"), Some(&json!({}))).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{method}");
        let challenge = resp.headers()["www-authenticate"].to_str().unwrap().to_string();
        let body = resp.text().await.unwrap();
        assert!(challenge.contains("error=\"invalid_token\""));
        assert!(!body.contains(id) && !challenge.contains(id));
        snapshot_settings()
            .bind(|| insta::assert_snapshot!("mgmt_wrong_token", format!("{challenge}\n{body}")));
    }
    // An unknown client looks exactly like a wrong token.
    let ghost = json!({ "registration_client_uri": server.url("/register/dyn_nobody") });
    let resp = call(Method::GET, &ghost, Some(rat(&info)), None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn put_replaces_the_whole_registration() {
    let server = FakeServer::start().await;
    let info = register_ok(&server, &confidential()).await;
    let update = json!({
        "client_id": info["client_id"],
        "client_secret": info["client_secret"],
        "redirect_uris": ["https://app.example.test/new-cb"],
        "client_name": "Renamed",
    });
    let resp = call(Method::PUT, &info, Some(rat(&info)), Some(&update)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["client_name"], "Renamed");
    assert_eq!(body["redirect_uris"], json!(["https://app.example.test/new-cb"]));
    assert!(body.get("x_custom").is_none(), "omitted members are deleted");
    assert_eq!(body["grant_types"], json!(["authorization_code"]), "omitted members fall back to defaults");
    assert_eq!(body["client_secret"], info["client_secret"]);
    assert_eq!(body["registration_access_token"], info["registration_access_token"]);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("mgmt_put", body, { ".client_id_issued_at" => "[issued_at]" });
    });
    let read: Value = call(Method::GET, &info, Some(rat(&info)), None).await.json().await.unwrap();
    assert_eq!(read, body);
}

#[tokio::test]
async fn put_refuses_what_a_client_may_not_change() {
    let server = FakeServer::start().await;
    let info = register_ok(&server, &confidential()).await;
    let base = json!({ "client_id": info["client_id"], "redirect_uris": ["https://app.example.test/cb"] });
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, error) in [
        (with("client_id", json!("dyn_someone_else")), "invalid_client_metadata"),
        (json!({ "redirect_uris": ["https://app.example.test/cb"] }), "invalid_client_metadata"),
        (with("client_secret", json!("i-choose-my-own")), "invalid_client_metadata"),
        (
            with("registration_access_token", info["registration_access_token"].clone()),
            "invalid_client_metadata",
        ),
        (with("registration_client_uri", info["registration_client_uri"].clone()), "invalid_client_metadata"),
        (with("client_secret_expires_at", json!(0)), "invalid_client_metadata"),
        (with("client_id_issued_at", info["client_id_issued_at"].clone()), "invalid_client_metadata"),
        (with("redirect_uris", json!(["http://evil.example.test/cb"])), "invalid_redirect_uri"),
    ] {
        let resp = call(Method::PUT, &info, Some(rat(&info)), Some(&body)).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(resp.json::<Value>().await.unwrap()["error"], error, "{body}");
    }
    let public = with("token_endpoint_auth_method", json!("none"));
    let body: Value = call(Method::PUT, &info, Some(rat(&info)), Some(&public)).await.json().await.unwrap();
    assert!(body.get("client_secret").is_none(), "a public client keeps no secret");
}

#[tokio::test]
async fn delete_ends_the_client_its_credentials_and_its_tokens() {
    let server = FakeServer::start().await;
    let info = register_ok(&server, &confidential()).await;
    let id = info["client_id"].as_str().unwrap().to_string();
    let secret = info["client_secret"].as_str().unwrap().to_string();
    let mcp = server.url("/mcp");
    let flow = Flow {
        client_id: &id,
        redirect_uri: "https://app.example.test/cb",
        scope: None,
        resource: Some(&mcp),
    };
    let tokens = tokens(&server, &flow, Some(&secret)).await;
    let at = tokens["access_token"].as_str().unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();
    let ping = json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" });
    assert_eq!(http().post(&mcp).bearer_auth(at).json(&ping).send().await.unwrap().status(), StatusCode::OK);

    let resp = call(Method::DELETE, &info, Some(rat(&info)), None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(call(Method::GET, &info, Some(rat(&info)), None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(call(Method::DELETE, &info, Some(rat(&info)), None).await.status(), StatusCode::UNAUTHORIZED);

    let refresh = http()
        .post(server.url("/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refresh.json::<Value>().await.unwrap()["error"], "invalid_client");
    let resp = http().post(&mcp).bearer_auth(at).json(&ping).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "the access token died with its client");
    let page = start(&server, &browser(), &flow).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(location(&page).is_empty(), "an error page, never a redirect");
}
