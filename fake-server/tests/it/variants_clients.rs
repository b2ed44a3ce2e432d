//! Variants of client policy: one grant type per client, one authentication method per client.

use fake_server::{FakeServer, Variant};
use serde_json::json;

use crate::support::{Auth, CONFIDENTIAL, MACHINE, Reply, basic, http, post, refresh, tokens};
use crate::support_extra::{register, register_ok};

const CLIENT_CREDENTIALS: [(&str, &str); 1] = [("grant_type", "client_credentials")];

#[tokio::test]
async fn the_machine_fixture_client_gets_client_credentials_tokens_and_nothing_else() {
    for server in
        [FakeServer::start().await, FakeServer::builder().variant(Variant::SingleGrantType).start().await]
    {
        let reply = post(&server, "/token", Auth::Basic(MACHINE), &CLIENT_CREDENTIALS).await;
        reply.assert_tokens();
        assert_eq!(reply.str("scope"), "projects:read", "its default scope");
        assert!(reply.json.get("refresh_token").is_none(), "{}", reply.text);
        let form = [("grant_type", "authorization_code"), ("code", "x"), ("code_verifier", "y")];
        post(&server, "/token", Auth::Basic(MACHINE), &form).await.assert_error(400, "unauthorized_client");
    }
}

#[tokio::test]
async fn fixture_clients_keep_the_code_grant_and_refresh_only_under_single_grant_type() {
    let server = FakeServer::builder().variant(Variant::SingleGrantType).start().await;
    let reply = post(&server, "/token", Auth::Basic(CONFIDENTIAL), &CLIENT_CREDENTIALS).await;
    reply.assert_error(400, "unauthorized_client");
    let issued = tokens(&server, CONFIDENTIAL).await;
    refresh(&server, CONFIDENTIAL, issued.str("refresh_token"), &[]).await.assert_tokens();

    let default = FakeServer::start().await;
    post(&default, "/token", Auth::Basic(CONFIDENTIAL), &CLIENT_CREDENTIALS).await.assert_tokens();
}

fn several_grants() -> serde_json::Value {
    json!({
        "client_name": "Several Grants",
        "redirect_uris": ["https://app.example.test/cb"],
        "grant_types": ["client_credentials", "authorization_code", "refresh_token"],
        "response_types": ["code"],
    })
}

#[tokio::test]
async fn registration_keeps_one_grant_type_and_says_so_under_single_grant_type() {
    let server = FakeServer::builder().variant(Variant::SingleGrantType).start().await;
    let info = register_ok(&server, &several_grants()).await;
    assert_eq!(info["grant_types"], json!(["authorization_code", "refresh_token"]), "{info}");
    let (id, secret) = (info["client_id"].as_str().unwrap(), info["client_secret"].as_str().unwrap());
    let resp = http()
        .post(server.url("/token"))
        .header("authorization", basic(id, secret))
        .form(&CLIENT_CREDENTIALS)
        .send()
        .await
        .unwrap();
    Reply::read(resp).await.assert_error(400, "unauthorized_client");

    let machine = json!({ "client_name": "M", "grant_types": ["client_credentials"], "response_types": [] });
    let info = register_ok(&server, &machine).await;
    assert_eq!(info["grant_types"], json!(["client_credentials"]), "{info}");
}

#[tokio::test]
async fn by_default_registration_keeps_every_requested_grant_type() {
    let server = FakeServer::start().await;
    let resp = register(&server, &several_grants()).await;
    let info: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(info["grant_types"], several_grants()["grant_types"], "{info}");
}

#[tokio::test]
async fn a_client_may_use_only_its_registered_secret_method_under_single_auth_method() {
    let server = FakeServer::builder().variant(Variant::SingleAuthMethod).start().await;
    // Fixture clients are registered with client_secret_basic.
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &CLIENT_CREDENTIALS).await.assert_tokens();
    let issued = post(&server, "/token", Auth::Basic(CONFIDENTIAL), &CLIENT_CREDENTIALS).await;
    let token = [("token", issued.str("access_token"))];
    let reply = post(&server, "/token", Auth::Post(CONFIDENTIAL), &CLIENT_CREDENTIALS).await;
    assert_eq!((reply.status.as_u16(), reply.json["error"].as_str()), (401, Some("invalid_client")));
    for path in ["/introspect", "/revoke"] {
        let reply = post(&server, path, Auth::Post(CONFIDENTIAL), &token).await;
        assert_eq!(reply.status.as_u16(), 401, "{path}: {}", reply.text);
        assert_eq!(reply.json["error"], "invalid_client", "{path}");
        assert_eq!(post(&server, path, Auth::Basic(CONFIDENTIAL), &token).await.status.as_u16(), 200);
    }

    // A client registered with client_secret_post may not switch to Basic.
    let mut meta = several_grants();
    meta["token_endpoint_auth_method"] = json!("client_secret_post");
    meta["grant_types"] = json!(["client_credentials"]);
    meta["response_types"] = json!([]);
    let info = register_ok(&server, &meta).await;
    let (id, secret) = (info["client_id"].as_str().unwrap(), info["client_secret"].as_str().unwrap());
    let as_basic = http().post(server.url("/token")).header("authorization", basic(id, secret));
    let reply = Reply::read(as_basic.form(&CLIENT_CREDENTIALS).send().await.unwrap()).await;
    assert_eq!(reply.status.as_u16(), 401, "{}", reply.text);
    let form = [("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)];
    Reply::read(http().post(server.url("/token")).form(&form).send().await.unwrap()).await.assert_tokens();
}

#[tokio::test]
async fn by_default_a_client_may_use_either_secret_method() {
    let server = FakeServer::start().await;
    post(&server, "/token", Auth::Post(CONFIDENTIAL), &CLIENT_CREDENTIALS).await.assert_tokens();
    post(&server, "/token", Auth::Basic(CONFIDENTIAL), &CLIENT_CREDENTIALS).await.assert_tokens();
}
