//! `private_key_jwt` client authentication (RFC 7523 §2.2, §3) with the RFC 10070 audience
//! rule, for a client registered with its public keys (SPEC TOK-30).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fake_server::FakeServer;
use fake_server::faults::Fault;
use reqwest::StatusCode;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

use crate::support::{Reply, http};
use crate::support_extra::register_ok;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An ES256 key pair and its public JWK.
struct Key {
    pair: EcdsaKeyPair,
    kid: &'static str,
}

impl Key {
    fn new(kid: &'static str) -> Key {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key");
        Key { pair, kid }
    }

    fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        })
    }

    fn sign(&self, claims: &Value) -> String {
        let header = json!({ "alg": "ES256", "typ": "JWT", "kid": self.kid });
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"));
        let input = format!("{}.{}", enc(&header), enc(claims));
        let sig = self.pair.sign(&SystemRandom::new(), input.as_bytes()).expect("sign");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs() as i64
}

/// Register a client-credentials client that authenticates with `key`.
async fn register_with(server: &FakeServer, key: &Key) -> String {
    let info = register_ok(
        server,
        &json!({
            "client_name": "Key client",
            "grant_types": ["client_credentials"],
            "response_types": [],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": { "keys": [key.jwk()] },
        }),
    )
    .await;
    assert_eq!(info["token_endpoint_auth_method"], "private_key_jwt");
    assert!(info.get("client_secret").is_none(), "no secret for a key client: {info}");
    info["client_id"].as_str().expect("client_id").to_string()
}

/// The claims of a valid assertion for `client_id`.
fn claims(server: &FakeServer, client_id: &str) -> Value {
    json!({
        "iss": client_id, "sub": client_id, "aud": server.issuer(),
        "jti": format!("jti-{}", rand_suffix()), "iat": now(), "exp": now() + 120,
    })
}

fn rand_suffix() -> String {
    let mut b = [0u8; 12];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut b).expect("random");
    URL_SAFE_NO_PAD.encode(b)
}

async fn json_of(req: reqwest::RequestBuilder) -> Value {
    req.send().await.expect("request").json().await.expect("a JSON body")
}

async fn token_with(server: &FakeServer, assertion: &str) -> Reply {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    Reply::read(http().post(server.url("/token")).form(&form).send().await.expect("POST")).await
}

#[tokio::test]
async fn a_key_client_gets_tokens_with_an_assertion_addressed_to_the_issuer() {
    let server = FakeServer::start().await;
    let meta = json_of(http().get(server.url("/.well-known/oauth-authorization-server"))).await;
    assert!(
        meta["token_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!("private_key_jwt"))
    );
    assert!(
        meta["token_endpoint_auth_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("ES256"))
    );

    let key = Key::new("k1");
    let id = register_with(&server, &key).await;
    let reply = token_with(&server, &key.sign(&claims(&server, &id))).await;
    reply.assert_tokens();
    let form = [
        ("token", reply.str("access_token")),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", &key.sign(&claims(&server, &id))),
    ];
    let info = json_of(http().post(server.url("/introspect")).form(&form)).await;
    assert_eq!((info["active"].clone(), info["client_id"].clone()), (json!(true), json!(id)));
}

#[tokio::test]
async fn assertions_with_another_audience_key_lifetime_or_a_replayed_jti_are_refused() {
    let server = FakeServer::start().await;
    let key = Key::new("k1");
    let id = register_with(&server, &key).await;
    let endpoint = server.url("/token");
    let mut cases: Vec<(&str, Value, &Key)> = Vec::new();
    let mut c = claims(&server, &id);
    c["aud"] = json!(endpoint);
    cases.push(("aud is the token endpoint (RFC 10070)", c, &key));
    let mut c = claims(&server, &id);
    c["aud"] = json!([server.issuer(), endpoint]);
    cases.push(("aud is an array", c, &key));
    let mut c = claims(&server, &id);
    c["exp"] = json!(now() - 60);
    cases.push(("expired", c, &key));
    let mut c = claims(&server, &id);
    c["sub"] = json!("someone-else");
    cases.push(("sub is not the client", c, &key));
    let mut c = claims(&server, &id);
    c.as_object_mut().unwrap().remove("jti");
    cases.push(("no jti", c, &key));
    let stranger = Key::new("k1");
    cases.push(("signed by a key the client did not register", claims(&server, &id), &stranger));
    for (what, c, k) in cases {
        let reply = token_with(&server, &k.sign(&c)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}: {}", reply.text);
        reply.assert_error(401, "invalid_client");
    }

    let once = key.sign(&claims(&server, &id));
    token_with(&server, &once).await.assert_tokens();
    token_with(&server, &once).await.assert_error(401, "invalid_client");

    let form = [("grant_type", "client_credentials"), ("client_id", id.as_str())];
    let reply = Reply::read(http().post(server.url("/token")).form(&form).send().await.unwrap()).await;
    reply.assert_error(401, "invalid_client");
    assert!(reply.text.contains("must authenticate"), "a key client is not a public client: {}", reply.text);
}

#[tokio::test]
async fn registration_needs_inline_public_keys() {
    let server = FakeServer::start().await;
    let key = Key::new("k1");
    let mut private = key.jwk();
    private["d"] = json!("AAAA");
    for (what, extra) in [
        ("no keys", json!({})),
        ("jwks_uri only", json!({ "jwks_uri": "https://client.example.test/jwks" })),
        ("a private key", json!({ "jwks": { "keys": [private] } })),
        (
            "an unsupported algorithm",
            json!({ "jwks": { "keys": [key.jwk()] }, "token_endpoint_auth_signing_alg": "HS256" }),
        ),
    ] {
        let mut meta = json!({
            "grant_types": ["client_credentials"], "response_types": [],
            "token_endpoint_auth_method": "private_key_jwt",
        });
        meta.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let resp = crate::support_extra::register(&server, &meta).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{what}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client_metadata", "{what}");
    }
}

#[tokio::test]
async fn each_assertion_fault_lets_its_bad_assertion_through() {
    let key = Key::new("k1");
    let stranger = Key::new("k1");
    for fault in [
        Fault::AssertionAudienceEndpoint,
        Fault::AssertionAudienceArray,
        Fault::AssertionSignatureUnchecked,
        Fault::AssertionExpiryUnchecked,
    ] {
        let server = FakeServer::builder().fault(fault).start().await;
        let id = register_with(&server, &key).await;
        let mut c = claims(&server, &id);
        let signer = match fault {
            Fault::AssertionAudienceEndpoint => {
                c["aud"] = json!(server.url("/token"));
                &key
            }
            Fault::AssertionAudienceArray => {
                c["aud"] = json!([server.issuer(), "https://elsewhere.example.test"]);
                &key
            }
            Fault::AssertionSignatureUnchecked => &stranger,
            _ => {
                c["exp"] = json!(now() - 60);
                &key
            }
        };
        token_with(&server, &signer.sign(&c)).await.assert_tokens();
    }
}

#[tokio::test]
async fn the_admin_api_treats_a_key_client_as_confidential_without_a_secret() {
    let server = FakeServer::start().await;
    let key = Key::new("k1");
    let id = register_with(&server, &key).await;
    let admin = |method: reqwest::Method, path: String| {
        http().request(method, server.url(&path)).bearer_auth(server.admin_key())
    };
    let app = json_of(admin(reqwest::Method::GET, format!("/admin/api/applications/{id}"))).await;
    assert_eq!(app["public"], false, "{app}");
    let resp = admin(reqwest::Method::POST, format!("/admin/api/applications/{id}/rotate_secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert!(body["error_description"].as_str().unwrap().contains("private_key_jwt"), "{body}");
    // Made public, it no longer authenticates with its keys.
    let resp = admin(reqwest::Method::PATCH, format!("/admin/api/applications/{id}"))
        .json(&json!({ "public": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    token_with(&server, &key.sign(&claims(&server, &id))).await.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn extreme_numeric_claims_are_refused_without_harm() {
    let server = FakeServer::start().await;
    let key = Key::new("k1");
    let id = register_with(&server, &key).await;
    for exp in [json!(i64::MAX), json!(i64::MIN), json!(1.5e300), json!("soon")] {
        let mut c = claims(&server, &id);
        c["exp"] = exp.clone();
        let reply = token_with(&server, &key.sign(&c)).await;
        reply.assert_error(401, "invalid_client");
    }
    // The server is still answering.
    token_with(&server, &key.sign(&claims(&server, &id))).await.assert_tokens();
}
