//! The admin JSON API and the Clerk-shaped verification endpoint.

use std::time::Duration;

use fake_server::FakeServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support_extra::*;

fn api(server: &FakeServer, method: Method, path: &str) -> reqwest::RequestBuilder {
    http().request(method, server.url(path)).bearer_auth(server.admin_key())
}

async fn json_of(req: reqwest::RequestBuilder, status: StatusCode) -> Value {
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), status);
    resp.json().await.unwrap()
}

async fn create(server: &FakeServer, body: Value) -> Value {
    json_of(api(server, Method::POST, "/admin/api/applications").json(&body), StatusCode::CREATED).await
}

#[tokio::test]
async fn the_admin_api_needs_the_admin_key() {
    let server = FakeServer::start().await;
    let resp = http().get(server.url("/admin/api/applications")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    let resp = http().get(server.url("/admin/api/users")).bearer_auth("fsk_wrong").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_application_is_reachable_through_pagination_in_order() {
    let server = FakeServer::start().await;
    for i in 0..12 {
        create(
            &server,
            json!({ "name": format!("App {i:02}"), "redirect_uris": ["https://a.example.test/cb"] }),
        )
        .await;
        server.advance(Duration::from_secs(2));
    }
    let mut seen = Vec::new();
    let mut total = 0;
    for offset in [0, 10, 20] {
        let page = json_of(
            api(&server, Method::GET, &format!("/admin/api/applications?limit=10&offset={offset}")),
            StatusCode::OK,
        )
        .await;
        total = page["total_count"].as_u64().unwrap();
        seen.extend(page["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()));
    }
    assert_eq!(total, 22, "10 fixtures and 12 new applications");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (22, 22));

    let newest = json_of(api(&server, Method::GET, "/admin/api/applications?limit=1"), StatusCode::OK).await;
    assert_eq!(newest["data"][0]["name"], "App 11", "default order is newest first");
    let oldest = json_of(
        api(&server, Method::GET, "/admin/api/applications?order_by=created_at&limit=22"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(oldest["data"][21]["name"], "App 11");
    let by_name =
        json_of(api(&server, Method::GET, "/admin/api/applications?order_by=name&limit=2"), StatusCode::OK)
            .await;
    assert_eq!(by_name["data"][0]["name"], "App 00");
    for bad in ["order_by=color", "limit=0", "limit=501", "offset=-1"] {
        let resp = api(&server, Method::GET, &format!("/admin/api/applications?{bad}")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn created_applications_show_their_secret_once_and_work() {
    let server = FakeServer::start().await;
    let app = create(&server, json!({ "name": "Backend", "redirect_uris": ["https://b.example.test/cb"], "scopes": "openid projects:read" })).await;
    let secret = app["client_secret"].as_str().unwrap().to_string();
    assert_eq!(app["public"], false);
    assert_eq!(app["consent_screen_enabled"], true);
    let read = json_of(
        api(&server, Method::GET, &format!("/admin/api/applications/{}", app["id"].as_str().unwrap())),
        StatusCode::OK,
    )
    .await;
    assert!(read.get("client_secret").is_none());
    let id = app["client_id"].as_str().unwrap();
    let resp = http()
        .post(server.url("/token"))
        .basic_auth(id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "projects:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    for bad in [
        json!({}),
        json!({ "name": "x", "redirect_uris": ["http://evil.example.test/cb"] }),
        json!({ "name": "x", "scopes": "nope" }),
    ] {
        let resp = api(&server, Method::POST, "/admin/api/applications").json(&bad).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn updates_change_what_the_flow_sees_but_dynamic_clients_keep_consent() {
    let server = FakeServer::start().await;
    let path = "/admin/api/applications/conformance-confidential";
    let body = json!({ "name": "Renamed", "consent_screen_enabled": false, "redirect_uris": ["https://client.example.test/callback"] });
    let app = json_of(api(&server, Method::PATCH, path).json(&body), StatusCode::OK).await;
    assert_eq!(
        (app["name"].as_str(), app["consent_screen_enabled"].as_bool()),
        (Some("Renamed"), Some(false))
    );
    let flow = Flow {
        client_id: "conformance-confidential",
        redirect_uri: "https://client.example.test/callback",
        scope: Some("openid"),
        resource: None,
    };
    let (_, consented) = authorize(&server, &browser(), &flow).await;
    assert!(!consented, "consent turned off");

    let to_public =
        json_of(api(&server, Method::PATCH, path).json(&json!({ "public": true })), StatusCode::OK).await;
    assert_eq!(to_public["public"], true);
    assert!(to_public["client_secret"].is_null());

    let dynamic = register_ok(&server, &public_client_metadata()).await;
    let path = format!("/admin/api/applications/{}", dynamic["client_id"].as_str().unwrap());
    let resp = api(&server, Method::PATCH, &path)
        .json(&json!({ "consent_screen_enabled": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let read = json_of(api(&server, Method::GET, &path), StatusCode::OK).await;
    assert_eq!(
        (read["consent_screen_enabled"].as_bool(), read["kind"].as_str()),
        (Some(true), Some("registered"))
    );
}

#[tokio::test]
async fn rotating_a_secret_retires_the_old_one_and_every_grant() {
    let server = FakeServer::start().await;
    let flow = Flow {
        client_id: "conformance-confidential",
        redirect_uri: "https://client.example.test/callback",
        scope: Some("openid"),
        resource: None,
    };
    let old = "s3cr:t+/%val ue";
    let before = tokens(&server, &flow, Some(old)).await;
    let rotated = json_of(
        api(&server, Method::POST, "/admin/api/applications/conformance-confidential/rotate_secret"),
        StatusCode::OK,
    )
    .await;
    let new = rotated["client_secret"].as_str().unwrap().to_string();
    let refresh = |secret: String| {
        http()
            .post(server.url("/token"))
            .basic_auth("conformance-confidential", Some(form_encode(&secret)))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", before["refresh_token"].as_str().unwrap()),
            ])
            .send()
    };
    assert_eq!(refresh(old.to_string()).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let resp = refresh(new.clone()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "the refresh token died with the rotation");
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(tokens(&server, &flow, Some(&new)).await["token_type"], "Bearer");
    let public = api(&server, Method::POST, "/admin/api/applications/conformance-public/rotate_secret")
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deleting_an_application_ends_its_tokens() {
    let server = FakeServer::start().await;
    let flow = Flow {
        client_id: "conformance-confidential",
        redirect_uri: "https://client.example.test/callback",
        scope: Some("openid"),
        resource: None,
    };
    let t = tokens(&server, &flow, Some("s3cr:t+/%val ue")).await;
    let resp = api(&server, Method::DELETE, "/admin/api/applications/conformance-confidential")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let read =
        api(&server, Method::GET, "/admin/api/applications/conformance-confidential").send().await.unwrap();
    assert_eq!(read.status(), StatusCode::NOT_FOUND);
    let verify = api(&server, Method::POST, "/oauth_applications/access_tokens/verify")
        .json(&json!({ "access_token": t["access_token"] }));
    assert_eq!(verify.send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let v = json_of(
        api(&server, Method::POST, "/admin/api/access_tokens/describe")
            .json(&json!({ "access_token": t["access_token"] })),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (v["revoked"].as_bool(), v["revocation_reason"].as_str()),
        (Some(true), Some("grant_revoked"))
    );
}

#[tokio::test]
async fn users_and_their_grants_can_be_listed_and_revoked() {
    let server = FakeServer::start().await;
    let users = json_of(api(&server, Method::GET, "/admin/api/users"), StatusCode::OK).await;
    assert_eq!(users["total_count"], 2);
    assert_eq!(users["data"][0]["username"], "alice");
    let flow = Flow {
        client_id: "conformance-confidential",
        redirect_uri: "https://client.example.test/callback",
        scope: Some("openid"),
        resource: None,
    };
    let t = tokens(&server, &flow, Some("s3cr:t+/%val ue")).await;
    let grants = json_of(api(&server, Method::GET, "/admin/api/users/alice/grants"), StatusCode::OK).await;
    assert_eq!(grants["total_count"], 1);
    assert_eq!(grants["data"][0]["client_id"], "conformance-confidential");
    let id = grants["data"][0]["id"].as_str().unwrap();
    let resp =
        api(&server, Method::DELETE, &format!("/admin/api/users/alice/grants/{id}")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let again =
        api(&server, Method::DELETE, &format!("/admin/api/users/alice/grants/{id}")).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let v = json_of(
        api(&server, Method::POST, "/admin/api/access_tokens/describe")
            .json(&json!({ "access_token": t["access_token"] })),
        StatusCode::OK,
    )
    .await;
    assert_eq!(v["revoked"], true);
    let (_, consented) = authorize(&server, &browser(), &flow).await;
    assert!(consented, "revoking forgets the remembered consent");
    let resp = api(&server, Method::DELETE, "/admin/api/users/alice/grants").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let grants = json_of(api(&server, Method::GET, "/admin/api/users/alice/grants"), StatusCode::OK).await;
    assert_eq!(grants["total_count"], 0);
    assert_eq!(
        api(&server, Method::GET, "/admin/api/users/mallory/grants").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn reset_returns_to_the_fixtures() {
    let server = FakeServer::start().await;
    let info = register_ok(&server, &public_client_metadata()).await;
    let resp = api(&server, Method::POST, "/admin/api/reset").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let all = json_of(api(&server, Method::GET, "/admin/api/applications?limit=100"), StatusCode::OK).await;
    assert_eq!(all["total_count"], 10);
    assert!(!all.to_string().contains(info["client_id"].as_str().unwrap()));
}

#[tokio::test]
async fn verify_describes_tokens_the_way_clerk_sdks_read_them() {
    let server = FakeServer::start().await;
    let mcp = server.url("/mcp");
    let flow = Flow {
        client_id: "conformance-confidential",
        redirect_uri: "https://client.example.test/callback",
        scope: Some("openid projects:read"),
        resource: Some(&mcp),
    };
    let t = tokens(&server, &flow, Some("s3cr:t+/%val ue")).await;
    let at = t["access_token"].as_str().unwrap();
    for path in ["/oauth_applications/access_tokens/verify", "/v1/oauth_applications/access_tokens/verify"] {
        let v =
            json_of(api(&server, Method::POST, path).json(&json!({ "access_token": at })), StatusCode::OK)
                .await;
        assert_eq!(v["subject"], "alice");
        assert_eq!(v["scopes"], json!(["openid", "projects:read"]));
        assert!(v["expiration"].as_i64().unwrap() > v["created_at"].as_i64().unwrap());
        snapshot_settings().bind(|| {
            insta::assert_json_snapshot!("verify_active", v, {
                ".id" => "[jti]", ".expiration" => "[ms]", ".created_at" => "[ms]", ".updated_at" => "[ms]",
            });
        });
    }
    let revoke = http()
        .post(server.url("/revoke"))
        .basic_auth("conformance-confidential", Some(form_encode("s3cr:t+/%val ue")))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::OK);
    let revoked = json_of(
        api(&server, Method::POST, "/oauth_applications/access_tokens/verify")
            .json(&json!({ "access_token": at })),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(revoked["errors"][0]["code"], "resource_not_found");
    server.advance(Duration::from_secs(3700));
    let v = json_of(
        api(&server, Method::POST, "/admin/api/access_tokens/describe").json(&json!({ "access_token": at })),
        StatusCode::OK,
    )
    .await;
    assert_eq!((v["revoked"].as_bool(), v["expired"].as_bool()), (Some(true), Some(true)));

    let unknown = api(&server, Method::POST, "/oauth_applications/access_tokens/verify")
        .json(&json!({ "access_token": "oat_nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let body: Value = unknown.json().await.unwrap();
    snapshot_settings().bind(|| insta::assert_json_snapshot!("verify_unknown", body));
    let wrong_key = http()
        .post(server.url("/oauth_applications/access_tokens/verify"))
        .bearer_auth("sk_test_wrong")
        .json(&json!({ "access_token": at }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong_key.json().await.unwrap();
    snapshot_settings().bind(|| insta::assert_json_snapshot!("verify_wrong_key", body));
    let missing = api(&server, Method::POST, "/oauth_applications/access_tokens/verify")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
}
