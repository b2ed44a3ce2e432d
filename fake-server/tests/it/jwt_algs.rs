//! Signing algorithms: RS256 by default, ES256 and EdDSA server-wide (`--jwt-alg`) or per
//! client for ID tokens (`id_token_signed_response_alg`, OIDC Registration §2), every key in the
//! JWKS with its own `kid`; signatures checked with the published public keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use fake_server::{FakeServer, Fault, JwtAlg, TokenFormat, Variant};
use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde_json::{Value, json};

use crate::support::{Auth, Authz, Client, JWT, Reply, http, post, tokens_with};
use crate::support_extra::{register, register_ok};

fn part(jwt: &str, i: usize) -> Value {
    let seg = jwt.split('.').nth(i).expect("three parts");
    serde_json::from_slice(&B64.decode(seg).expect("base64url")).expect("JSON")
}

async fn get_json(server: &FakeServer, path: &str) -> Value {
    Reply::read(http().get(server.url(path)).send().await.unwrap()).await.json
}

/// Does `jwt` verify with the JWKS key its `kid` names, under the key's own `alg`?
fn verifies(jwt: &str, jwks: &Value) -> bool {
    let header = part(jwt, 0);
    let Some(key) = jwks["keys"].as_array().and_then(|ks| ks.iter().find(|k| k["kid"] == header["kid"]))
    else {
        return false;
    };
    if key["alg"] != header["alg"] {
        return false;
    }
    let member = |m: &str| B64.decode(key[m].as_str().unwrap_or_default()).unwrap_or_default();
    let (input, sig) = jwt.rsplit_once('.').expect("signature");
    let sig = B64.decode(sig).unwrap_or_default();
    match key["alg"].as_str() {
        Some("RS256") => RsaPublicKeyComponents { n: member("n"), e: member("e") }
            .verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &sig)
            .is_ok(),
        Some("ES256") => {
            let point = [vec![4u8], member("x"), member("y")].concat();
            ring::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(input.as_bytes(), &sig)
                .is_ok()
        }
        Some("EdDSA") => ring::signature::UnparsedPublicKey::new(&ED25519, member("x"))
            .verify(input.as_bytes(), &sig)
            .is_ok(),
        _ => false,
    }
}

/// Register a public client (with `extra` metadata) and return it as a test client.
async fn registered(server: &FakeServer, extra: Value) -> Client {
    let mut meta =
        json!({ "redirect_uris": ["https://app.example.test/cb"], "token_endpoint_auth_method": "none" });
    if let (Some(m), Some(e)) = (meta.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    let body = register_ok(server, &meta).await;
    let id: &'static str =
        Box::leak(body["client_id"].as_str().expect("client_id").to_string().into_boxed_str());
    Client { id, secret: None, redirect_uri: "https://app.example.test/cb" }
}

async fn id_token(server: &FakeServer, client: Client) -> String {
    let reply = tokens_with(server, Authz::new(client).set("scope", "openid"), client).await;
    reply.str("id_token").to_string()
}

#[tokio::test]
async fn the_jwks_publishes_three_signing_keys_with_their_own_kid_alg_and_use() {
    let server = FakeServer::start().await;
    let keys = get_json(&server, "/jwks").await["keys"].as_array().expect("keys").clone();
    let described: Vec<(String, String, String)> =
        keys.iter().map(|k| (k["kty"].to_string(), k["alg"].to_string(), k["use"].to_string())).collect();
    let expected = [("RSA", "RS256"), ("EC", "ES256"), ("OKP", "EdDSA")]
        .map(|(kty, alg)| (format!("\"{kty}\""), format!("\"{alg}\""), "\"sig\"".to_string()));
    assert_eq!(described, expected);
    let kids: std::collections::BTreeSet<&str> = keys.iter().filter_map(|k| k["kid"].as_str()).collect();
    assert_eq!(kids.len(), 3, "distinct kids");
    assert!(keys.iter().all(|k| k.get("d").is_none()), "no private key material");
    let doc = get_json(&server, "/.well-known/openid-configuration").await;
    assert_eq!(doc["id_token_signing_alg_values_supported"], json!(["RS256", "ES256", "EdDSA"]));
}

#[tokio::test]
async fn access_tokens_are_signed_with_the_server_wide_algorithm() {
    for alg in JwtAlg::ALL {
        let server = FakeServer::builder().access_token_format(TokenFormat::Jwt).jwt_alg(alg).start().await;
        let reply = post(&server, "/token", Auth::Basic(JWT), &[("grant_type", "client_credentials")]).await;
        let at = reply.str("access_token");
        assert_eq!(part(at, 0)["alg"], alg.name());
        assert_eq!(part(at, 0)["typ"], "at+jwt");
        assert!(verifies(at, &get_json(&server, "/jwks").await), "{alg}");
    }
}

#[tokio::test]
async fn the_keys_are_the_same_across_restarts() {
    let first = get_json(&FakeServer::start().await, "/jwks").await;
    let second = get_json(&FakeServer::start().await, "/jwks").await;
    assert_eq!(first, second);
}

#[tokio::test]
async fn a_registered_client_gets_id_tokens_in_the_algorithm_it_registered() {
    let server = FakeServer::builder().jwt_alg(JwtAlg::EdDsa).start().await;
    let jwks = get_json(&server, "/jwks").await;
    for (alg, expected) in
        [(Some("ES256"), "ES256"), (Some("EdDSA"), "EdDSA"), (Some("RS256"), "RS256"), (None, "RS256")]
    {
        let extra = alg.map_or_else(|| json!({}), |a| json!({ "id_token_signed_response_alg": a }));
        let client = registered(&server, extra).await;
        let token = id_token(&server, client).await;
        assert_eq!(part(&token, 0)["alg"], expected, "registered {alg:?}");
        assert_eq!(part(&token, 1)["aud"], client.id);
        assert!(verifies(&token, &jwks), "registered {alg:?}");
    }
}

#[tokio::test]
async fn an_id_token_algorithm_the_server_does_not_offer_is_invalid_client_metadata() {
    let server = FakeServer::start().await;
    for alg in [json!("HS256"), json!("none"), json!("es256"), json!("PS256"), json!(256)] {
        let meta =
            json!({ "redirect_uris": ["https://app.example.test/cb"], "id_token_signed_response_alg": alg });
        let reply = Reply::read(register(&server, &meta).await).await;
        reply.assert_error(400, "invalid_client_metadata");
    }
}

#[tokio::test]
async fn under_id_token_alg_ignored_a_registered_algorithm_makes_no_difference() {
    let server = FakeServer::builder().fault(Fault::IdTokenAlgIgnored).start().await;
    let client = registered(&server, json!({ "id_token_signed_response_alg": "ES256" })).await;
    assert_eq!(part(&id_token(&server, client).await, 0)["alg"], "RS256");
}

#[tokio::test]
async fn under_jwks_rsa_only_the_ec_and_okp_keys_are_missing() {
    let server = FakeServer::builder().fault(Fault::JwksRsaOnly).start().await;
    let jwks = get_json(&server, "/jwks").await;
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1));
    let client = registered(&server, json!({ "id_token_signed_response_alg": "EdDSA" })).await;
    assert!(!verifies(&id_token(&server, client).await, &jwks));
}

#[tokio::test]
async fn the_rs256_id_tokens_variant_lists_rs256_alone_and_refuses_the_others() {
    let server = FakeServer::builder().variant(Variant::Rs256IdTokens).start().await;
    let doc = get_json(&server, "/.well-known/openid-configuration").await;
    assert_eq!(doc["id_token_signing_alg_values_supported"], json!(["RS256"]));
    let meta =
        json!({ "redirect_uris": ["https://app.example.test/cb"], "id_token_signed_response_alg": "ES256" });
    Reply::read(register(&server, &meta).await).await.assert_error(400, "invalid_client_metadata");
    let client = registered(&server, json!({ "id_token_signed_response_alg": "RS256" })).await;
    assert_eq!(part(&id_token(&server, client).await, 0)["alg"], "RS256");
}
