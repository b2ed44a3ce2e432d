//! RFC 9068 JWT access tokens: header, claims, and a signature that verifies against the
//! published JWKS with an independent RSA implementation (JWT-01..05).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use fake_server::{FakeServer, TokenFormat};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::Value;
use sha2::Sha256;

use crate::support::{API, Auth, Authz, JWT, PUBLIC, Reply, http, introspect, post, tokens, tokens_with};

fn part(jwt: &str, i: usize) -> Value {
    let seg = jwt.split('.').nth(i).expect("three parts");
    serde_json::from_slice(&B64.decode(seg).expect("base64url")).expect("JSON")
}

async fn jwks(server: &FakeServer) -> Value {
    Reply::read(http().get(server.url("/jwks")).send().await.unwrap()).await.json
}

/// Verify an RS256 compact JWS with the JWKS key named by its `kid`.
fn verifies(jwt: &str, jwks: &Value) -> bool {
    let kid = part(jwt, 0)["kid"].clone();
    let Some(key) = jwks["keys"].as_array().and_then(|ks| ks.iter().find(|k| k["kid"] == kid)) else {
        return false;
    };
    let num = |m: &str| BigUint::from_bytes_be(&B64.decode(key[m].as_str().expect(m)).expect("base64url"));
    let public = RsaPublicKey::new(num("n"), num("e")).expect("an RSA public key");
    let verifier = VerifyingKey::<Sha256>::new(public);
    let (input, sig) = jwt.rsplit_once('.').expect("signature");
    let Ok(sig) = Signature::try_from(B64.decode(sig).unwrap_or_default().as_slice()) else {
        return false;
    };
    verifier.verify(input.as_bytes(), &sig).is_ok()
}

#[tokio::test]
async fn the_header_says_rs256_at_jwt_and_names_the_published_key() {
    let server = FakeServer::start().await;
    let t = tokens(&server, JWT).await;
    let header = part(t.str("access_token"), 0);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["kid"], jwks(&server).await["keys"][0]["kid"]);
}

#[tokio::test]
async fn the_claims_are_those_of_rfc_9068() {
    let server = FakeServer::start().await;
    let t = tokens(&server, JWT).await;
    let claims = part(t.str("access_token"), 1);
    assert_eq!(claims["iss"], server.issuer());
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], JWT.id, "no resource requested: the client is the audience");
    assert_eq!(claims["client_id"], JWT.id);
    assert_eq!(claims["scope"], "openid profile");
    let (iat, exp) = (claims["iat"].as_i64().expect("iat"), claims["exp"].as_i64().expect("exp"));
    assert_eq!(exp - iat, t.json["expires_in"].as_i64().expect("expires_in"));
    let jti = claims["jti"].as_str().expect("jti");
    assert_eq!(introspect(&server, t.str("access_token")).await["jti"], jti);
}

#[tokio::test]
async fn the_audience_is_the_requested_resource() {
    let server = FakeServer::start().await;
    let t = tokens_with(&server, Authz::new(JWT).set("resource", API), JWT).await;
    assert_eq!(part(t.str("access_token"), 1)["aud"], API);
}

#[tokio::test]
async fn the_signature_verifies_against_the_jwks_and_a_tampered_token_does_not() {
    let server = FakeServer::start().await;
    let keys = jwks(&server).await;
    let t = tokens(&server, JWT).await;
    let jwt = t.str("access_token");
    assert!(verifies(jwt, &keys), "the signature verifies with the published key");
    let mut claims = part(jwt, 1);
    claims["sub"] = "mallory".into();
    let parts: Vec<&str> = jwt.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], B64.encode(claims.to_string()), parts[2]);
    assert!(!verifies(&forged, &keys), "a changed payload must not verify");
}

#[tokio::test]
async fn a_client_credentials_jwt_has_the_client_as_subject() {
    let server = FakeServer::start().await;
    let reply = post(&server, "/token", Auth::Basic(JWT), &[("grant_type", "client_credentials")]).await;
    let claims = part(reply.str("access_token"), 1);
    assert_eq!(claims["sub"], JWT.id);
    assert_eq!(claims["client_id"], JWT.id);
    assert!(verifies(reply.str("access_token"), &jwks(&server).await));
}

#[tokio::test]
async fn the_server_wide_format_makes_every_clients_tokens_jwts() {
    let server = FakeServer::builder().access_token_format(TokenFormat::Jwt).start().await;
    let t = tokens(&server, PUBLIC).await;
    let at = t.str("access_token");
    assert_eq!(part(at, 0)["typ"], "at+jwt");
    assert!(verifies(at, &jwks(&server).await));
    assert!(t.str("refresh_token").starts_with("ort_"), "refresh tokens stay opaque");
}

#[tokio::test]
async fn auth_time_is_when_the_user_logged_in_not_when_the_token_was_minted() {
    let server = FakeServer::start().await;
    let authz = Authz::new(JWT);
    let code = crate::support::code_for(&server, &authz).await;
    server.advance(std::time::Duration::from_secs(30));
    let t = crate::support::exchange(&server, JWT, &code, &authz.pkce.verifier).await;
    let claims = part(t.str("access_token"), 1);
    let login = claims["auth_time"].as_i64().expect("auth_time");
    assert!(claims["iat"].as_i64().expect("iat") - login >= 30, "{claims}");
    server.advance(std::time::Duration::from_secs(600));
    let later = crate::support::refresh(&server, JWT, t.str("refresh_token"), &[]).await;
    let claims = part(later.str("access_token"), 1);
    assert_eq!(claims["auth_time"], login, "a refresh does not make the login fresh");
}
