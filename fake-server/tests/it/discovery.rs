//! Discovery (RFC 8414, OIDC Discovery) and the JWKS: DISC-01..17.

use fake_server::FakeServer;
use serde_json::Value;

use crate::support::{Reply, http};

async fn get(url: &str) -> Reply {
    Reply::read(http().get(url).send().await.expect("GET")).await
}

#[tokio::test]
async fn serves_metadata_at_the_well_known_url_as_json_without_credentials() {
    let server = FakeServer::start().await;
    let reply = get(&format!("{}/.well-known/oauth-authorization-server", server.issuer())).await;
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").unwrap_or("").starts_with("application/json"));
    assert!(reply.json.is_object(), "{}", reply.text);
    assert_eq!(server.metadata_url(), format!("{}/.well-known/oauth-authorization-server", server.issuer()));
}

#[tokio::test]
async fn the_issuer_in_metadata_is_byte_for_byte_the_servers_issuer() {
    let server = FakeServer::start().await;
    let doc = get(&server.metadata_url()).await.json;
    assert_eq!(doc["issuer"], server.issuer());
    assert!(!server.issuer().ends_with('/'));
    assert_eq!(server.issuer(), format!("http://{}", server.addr()));
}

#[tokio::test]
async fn openid_configuration_has_the_same_content_as_the_oauth_metadata() {
    let server = FakeServer::start().await;
    let oauth = get(&server.metadata_url()).await.json;
    let oidc = get(&server.url("/.well-known/openid-configuration")).await;
    assert_eq!(oidc.status, 200);
    assert_eq!(oidc.json, oauth);
    for member in ["jwks_uri", "subject_types_supported", "id_token_signing_alg_values_supported"] {
        assert!(oidc.json.get(member).is_some(), "OIDC Discovery §3 requires {member}");
    }
    assert_eq!(
        oidc.json["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256", "EdDSA"])
    );
}

#[tokio::test]
async fn advertises_every_endpoint_it_has_at_the_issuer() {
    let server = FakeServer::start().await;
    let doc = get(&server.metadata_url()).await.json;
    let expect = [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("jwks_uri", "/jwks"),
        ("userinfo_endpoint", "/userinfo"),
        ("revocation_endpoint", "/revoke"),
        ("introspection_endpoint", "/introspect"),
    ];
    for (member, path) in expect {
        assert_eq!(doc[member], server.url(path), "{member}");
    }
}

#[tokio::test]
async fn advertises_no_endpoint_that_does_not_answer() {
    let server = FakeServer::start().await;
    let doc = get(&server.metadata_url()).await.json;
    let client = http();
    for (member, value) in doc.as_object().expect("object") {
        if !(member.ends_with("_endpoint") || member == "jwks_uri") {
            continue;
        }
        let url = value.as_str().expect("endpoint URL");
        let get = client.get(url).send().await.expect("GET").status();
        let post = client.post(url).send().await.expect("POST").status();
        assert!(get != 404 && post != 404, "{member} = {url} answers 404");
        assert!(!get.is_server_error() && !post.is_server_error(), "{member} = {url}: {get} / {post}");
    }
}

#[tokio::test]
async fn advertises_s256_only_the_iss_parameter_and_oauth_2_1_grants() {
    let server = FakeServer::start().await;
    let doc = get(&server.metadata_url()).await.json;
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    let grants = doc["grant_types_supported"].as_array().expect("grant_types_supported");
    for g in ["authorization_code", "refresh_token", "client_credentials"] {
        assert!(grants.iter().any(|x| x == g), "{g} missing");
    }
    assert!(!grants.iter().any(|x| x == "implicit" || x == "password"));
}

#[tokio::test]
async fn advertises_the_client_authentication_methods_of_each_endpoint() {
    let server = FakeServer::start().await;
    let doc = get(&server.metadata_url()).await.json;
    let methods = |m: &str| -> Vec<String> {
        doc[m].as_array().expect(m).iter().map(|v| v.as_str().expect("string").to_string()).collect()
    };
    assert_eq!(
        methods("token_endpoint_auth_methods_supported"),
        ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
    );
    assert_eq!(
        methods("revocation_endpoint_auth_methods_supported"),
        ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
    );
    assert_eq!(
        methods("introspection_endpoint_auth_methods_supported"),
        ["client_secret_basic", "client_secret_post", "private_key_jwt"]
    );
    // RFC 8414 §2: a server offering private_key_jwt lists the algorithms it verifies.
    for endpoint in ["token", "revocation", "introspection"] {
        let algs = methods(&format!("{endpoint}_endpoint_auth_signing_alg_values_supported"));
        assert!(algs.contains(&"ES256".to_string()) && !algs.contains(&"none".to_string()), "{algs:?}");
    }
}

#[tokio::test]
async fn lists_the_configured_scopes_and_sends_no_empty_array() {
    let server = FakeServer::start().await;
    let doc = get(&server.metadata_url()).await.json;
    let scopes = doc["scopes_supported"].as_array().expect("scopes_supported");
    assert!(scopes.iter().any(|s| s == "projects:read"));
    assert!(scopes.iter().any(|s| s == "openid"));
    for (member, value) in doc.as_object().expect("object") {
        assert!(value.as_array().is_none_or(|a| !a.is_empty()), "{member} is an empty array");
    }
}

#[tokio::test]
async fn publishes_the_rs256_signing_key_first_with_kid_and_use_in_the_jwks() {
    let server = FakeServer::start().await;
    let doc = get(&server.metadata_url()).await.json;
    let jwks = get(doc["jwks_uri"].as_str().expect("jwks_uri")).await;
    assert_eq!(jwks.status, 200);
    let keys = jwks.json["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 3, "RS256, ES256 and EdDSA");
    let key = &keys[0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(key["n"].as_str().is_some_and(|n| n.len() >= 342), "a 2048-bit modulus at least");
    assert!(key.get("d").is_none(), "the private exponent must never be published");
}

#[tokio::test]
async fn a_configured_public_base_url_becomes_the_issuer_and_the_endpoints_base() {
    let server =
        FakeServer::builder().settings(|s| s.issuer = Some("https://auth.example.test".into())).start().await;
    assert_eq!(server.issuer(), "https://auth.example.test");
    let local = format!("http://{}/.well-known/oauth-authorization-server", server.addr());
    let doc = get(&local).await.json;
    assert_eq!(doc["issuer"], "https://auth.example.test");
    assert_eq!(doc["token_endpoint"], "https://auth.example.test/token");
    assert_eq!(doc["authorization_endpoint"], "https://auth.example.test/authorize");
}

#[tokio::test]
async fn a_trailing_slash_on_the_public_base_url_is_not_part_of_the_issuer() {
    let server = FakeServer::builder()
        .settings(|s| s.issuer = Some("https://auth.example.test/".into()))
        .start()
        .await;
    let local = format!("http://{}/.well-known/oauth-authorization-server", server.addr());
    let doc: Value = get(&local).await.json;
    assert_eq!(doc["issuer"], "https://auth.example.test");
}
