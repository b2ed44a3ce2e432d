//! Variants of client policy: one grant type per client, one authentication method per client.

use fake_server::{FakeServer, Variant};
use serde_json::json;

use crate::support::{Auth, CONFIDENTIAL, MACHINE, PUBLIC, Reply, basic, http, post, refresh, tokens};
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
    let _ = PUBLIC;
}
