//! Dynamic client registration (RFC 7591; SPEC area F, DCR-*).

use fake_server::{FakeServer, RegistrationPolicy};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support_extra::*;

#[tokio::test]
async fn registers_a_public_client_echoing_every_value_and_issuing_no_secret() {
    let server = FakeServer::start().await;
    let resp = register(&server, &public_client_metadata()).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(is_json(&resp));
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("client_secret").is_none());
    assert!(!body["client_id"].as_str().unwrap().starts_with("https://"));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("dcr_public_client", body, { ".client_id_issued_at" => "[issued_at]" });
    });
}

#[tokio::test]
async fn a_minimal_registration_gets_the_rfc_7591_defaults_and_a_secret_that_never_expires() {
    let server = FakeServer::start().await;
    let body = register_ok(&server, &json!({ "redirect_uris": ["https://app.example.test/cb"] })).await;
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["grant_types"], json!(["authorization_code"]));
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(body["client_secret_expires_at"], 0);
    assert!(body["client_id_issued_at"].is_i64());
    assert!(body["registration_client_uri"].as_str().unwrap().ends_with(body["client_id"].as_str().unwrap()));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("dcr_confidential_client", body, { ".client_id_issued_at" => "[issued_at]" });
    });
    let again = register_ok(&server, &json!({ "redirect_uris": ["https://app.example.test/cb"] })).await;
    assert_ne!(again["client_id"], body["client_id"]);
    assert_ne!(again["client_secret"], body["client_secret"]);
}

#[tokio::test]
async fn unknown_members_are_kept_and_echoed() {
    let server = FakeServer::start().await;
    let mut meta = public_client_metadata();
    meta["x_custom"] = json!({ "nested": [1, 2] });
    meta["software_id"] = json!("4NRB1-0XZABZI9E6-5SM3R");
    let body = register_ok(&server, &meta).await;
    assert_eq!(body["x_custom"], json!({ "nested": [1, 2] }));
    assert_eq!(body["software_id"], "4NRB1-0XZABZI9E6-5SM3R");
    assert_eq!(body["application_type"], "native");
}

#[tokio::test]
async fn loopback_https_and_reverse_domain_redirect_uris_are_accepted() {
    let server = FakeServer::start().await;
    for uri in [
        "http://localhost:19876/callback",
        "http://127.0.0.1/callback",
        "http://[::1]:8080/cb",
        "https://app.example.test/cb?tenant=a",
        "com.example.app:/oauth2redirect",
    ] {
        let resp =
            register(&server, &json!({ "redirect_uris": [uri], "token_endpoint_auth_method": "none" })).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "{uri}");
    }
}

async fn error_of(server: &FakeServer, meta: Value) -> (StatusCode, String) {
    let resp = register(server, &meta).await;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn bad_redirect_uris_are_refused_with_invalid_redirect_uri() {
    let server = FakeServer::start().await;
    for uri in [
        "https://app.example.test/cb#frag",
        "http://evil.example.test/cb",
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "/relative/cb",
        "myapp:/cb",
        "https://user:pass@app.example.test/cb",
    ] {
        let (status, error) = error_of(&server, json!({ "redirect_uris": [uri] })).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_redirect_uri"), "{uri}");
    }
    let (status, error) = error_of(&server, json!({ "client_name": "No redirects" })).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_redirect_uri"));
}

#[tokio::test]
async fn inconsistent_or_unsupported_metadata_is_refused_with_invalid_client_metadata() {
    let server = FakeServer::start().await;
    let cb = json!(["https://app.example.test/cb"]);
    for meta in [
        json!({ "redirect_uris": cb, "grant_types": ["client_credentials"], "response_types": ["code"] }),
        json!({ "redirect_uris": cb, "grant_types": ["authorization_code"], "response_types": [] }),
        json!({ "redirect_uris": cb, "response_types": ["token"] }),
        json!({ "redirect_uris": cb, "grant_types": ["implicit"] }),
        json!({ "redirect_uris": cb, "token_endpoint_auth_method": "private_key_jwt" }),
        json!({ "grant_types": ["client_credentials"], "token_endpoint_auth_method": "none" }),
        json!({ "redirect_uris": cb, "jwks_uri": "https://app.example.test/jwks", "jwks": { "keys": [] } }),
        json!({ "redirect_uris": cb, "jwks": "not a key set" }),
        json!({ "redirect_uris": cb, "application_type": "desktop" }),
        json!({ "redirect_uris": cb, "scope": "openid no-such-scope" }),
        json!({ "redirect_uris": cb, "logo_uri": "javascript:alert(1)" }),
        json!({ "redirect_uris": cb, "client_name": 42 }),
    ] {
        let (status, error) = error_of(&server, meta.clone()).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_client_metadata"), "{meta}");
    }
    let ok = register(&server, &json!({ "grant_types": ["client_credentials"], "response_types": [] })).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn malformed_bodies_are_invalid_requests_in_json() {
    let server = FakeServer::start().await;
    let c = http();
    let resp = c
        .post(server.url("/register"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "invalid_request");
    let resp = c
        .post(server.url("/register"))
        .form(&[("redirect_uris", "https://a.example.test/cb")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn sizes_and_the_number_of_clients_are_bounded() {
    let server = FakeServer::builder().settings(|s| s.max_registered_clients = 2).start().await;
    let many: Vec<String> = (0..21).map(|i| format!("https://app.example.test/cb{i}")).collect();
    assert_eq!(error_of(&server, json!({ "redirect_uris": many })).await.1, "invalid_redirect_uri");
    let long = json!({ "redirect_uris": ["https://a.example.test/cb"], "client_name": "n".repeat(201) });
    assert_eq!(error_of(&server, long).await.1, "invalid_client_metadata");
    let huge = json!({ "redirect_uris": ["https://a.example.test/cb"], "x_pad": "p".repeat(17 * 1024) });
    let resp = register(&server, &huge).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    register_ok(&server, &public_client_metadata()).await;
    register_ok(&server, &public_client_metadata()).await;
    let resp = register(&server, &public_client_metadata()).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "access_denied");
    assert!(body["error_description"].as_str().unwrap().contains("max_registered_clients"));
}

#[tokio::test]
async fn token_policy_requires_the_initial_access_token() {
    let server = FakeServer::builder()
        .settings(|s| {
            s.registration = RegistrationPolicy::Token;
            s.registration_token = Some("initial-token".into());
        })
        .start()
        .await;
    let resp = register(&server, &public_client_metadata()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = resp.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.starts_with("Bearer") && !challenge.contains("error="), "{challenge}");
    let with = |t: &'static str| {
        http().post(server.url("/register")).bearer_auth(t).json(&public_client_metadata()).send()
    };
    let resp = with("wrong").await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers()["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""));
    assert_eq!(with("initial-token").await.unwrap().status(), StatusCode::CREATED);
}

#[tokio::test]
async fn registration_is_advertised_only_when_it_is_on() {
    let on = FakeServer::start().await;
    let meta: Value = http().get(on.metadata_url()).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["registration_endpoint"], on.url("/register"));
    let off = FakeServer::builder().settings(|s| s.registration = RegistrationPolicy::Off).start().await;
    let meta: Value = http().get(off.metadata_url()).send().await.unwrap().json().await.unwrap();
    assert!(meta.get("registration_endpoint").is_none());
    assert_eq!(register(&off, &public_client_metadata()).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn registration_and_management_answer_cors_preflights() {
    let server = FakeServer::start().await;
    let c = http();
    let resp = c
        .request(reqwest::Method::OPTIONS, server.url("/register"))
        .header("origin", "https://app.example.test")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(resp.headers()["access-control-allow-origin"], "https://app.example.test");
    assert!(resp.headers()["access-control-allow-headers"].to_str().unwrap().contains("content-type"));
    for method in ["PUT", "DELETE"] {
        let resp = c
            .request(reqwest::Method::OPTIONS, server.url("/register/anything"))
            .header("origin", "https://app.example.test")
            .header("access-control-request-method", method)
            .header("access-control-request-headers", "authorization, content-type")
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
        let h = resp.headers();
        assert!(h["access-control-allow-methods"].to_str().unwrap().contains(method));
        assert!(h["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    }
}

#[tokio::test]
async fn a_registered_client_is_held_to_its_redirect_uris_and_always_sees_consent() {
    let server = FakeServer::start().await;
    let info = register_ok(&server, &public_client_metadata()).await;
    let id = info["client_id"].as_str().unwrap();
    let flow = Flow {
        client_id: id,
        redirect_uri: "http://127.0.0.1:40000/callback",
        scope: None,
        resource: Some(&server.url("/mcp")),
    };
    let b = browser();
    let (resp, consented) = authorize(&server, &b, &flow).await;
    assert!(consented, "the first authorization shows consent");
    assert!(location(&resp).starts_with("http://127.0.0.1:40000/callback?"));
    let token = exchange(&server, &flow, &code_of(&resp), None).await;
    assert_eq!(token.status(), StatusCode::OK);
    assert_eq!(token.json::<Value>().await.unwrap()["scope"], "projects:read");
    let (_, again) = authorize(&server, &b, &flow).await;
    assert!(again, "consent is asked again for a self-registered client");
    let other = Flow { redirect_uri: "http://127.0.0.1:40000/elsewhere", ..flow };
    let resp = start(&server, &b, &other).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(location(&resp).is_empty());
}

#[tokio::test]
async fn a_confidential_registered_client_authenticates_with_its_secret() {
    let server = FakeServer::start().await;
    let info = register_ok(
        &server,
        &json!({ "redirect_uris": ["https://app.example.test/cb"], "client_name": "Web" }),
    )
    .await;
    let flow = Flow {
        client_id: info["client_id"].as_str().unwrap(),
        redirect_uri: "https://app.example.test/cb",
        scope: Some("openid"),
        resource: None,
    };
    let b = browser();
    let (resp, _) = authorize(&server, &b, &flow).await;
    let code = code_of(&resp);
    let no_secret = exchange(&server, &flow, &code, None).await;
    assert_eq!(no_secret.status(), StatusCode::UNAUTHORIZED);
    let ok = exchange(&server, &flow, &code, info["client_secret"].as_str()).await;
    assert_eq!(ok.status(), StatusCode::OK);
}
