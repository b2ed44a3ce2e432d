//! CORS for browser clients (WHATWG Fetch; CORS-01..11): preflights without credentials,
//! headers on actual responses including errors, and none at the authorization endpoint.

use fake_server::FakeServer;
use reqwest::Method;
use reqwest::header::HeaderMap;

use crate::support::{Authz, CONFIDENTIAL, PUBLIC, Reply, http, tokens};

const ORIGIN: &str = "https://spa.example.test";

async fn preflight(server: &FakeServer, path: &str) -> (u16, HeaderMap) {
    let resp = http()
        .request(Method::OPTIONS, server.url(path))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .expect("OPTIONS");
    (resp.status().as_u16(), resp.headers().clone())
}

fn list(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("").split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

#[track_caller]
fn assert_reflected(headers: &HeaderMap) {
    assert_eq!(headers.get("access-control-allow-origin").map(|v| v.to_str().unwrap()), Some(ORIGIN));
    assert!(list(headers, "vary").contains(&"origin".to_string()), "Vary: Origin in {headers:?}");
    assert!(headers.get("access-control-allow-credentials").is_none(), "no credentials flag needed");
}

#[track_caller]
fn assert_exposes_www_authenticate(headers: &HeaderMap) {
    assert!(
        list(headers, "access-control-expose-headers").contains(&"www-authenticate".to_string()),
        "{headers:?}"
    );
}

async fn post_from_origin(server: &FakeServer, path: &str, form: &[(&str, &str)]) -> Reply {
    let resp = http().post(server.url(path)).header("origin", ORIGIN).form(form).send().await.expect("POST");
    Reply::read(resp).await
}

#[tokio::test]
async fn a_token_preflight_succeeds_without_credentials_and_allows_authorization_and_content_type() {
    let server = FakeServer::start().await;
    let (status, headers) = preflight(&server, "/token").await;
    assert!((200..300).contains(&status), "preflight status {status}");
    assert_reflected(&headers);
    let allowed = list(&headers, "access-control-allow-headers");
    assert!(
        allowed.contains(&"authorization".into()) && allowed.contains(&"content-type".into()),
        "{allowed:?}"
    );
    assert!(list(&headers, "access-control-allow-methods").contains(&"post".into()));
}

#[tokio::test]
async fn revocation_introspection_and_userinfo_answer_preflights_too() {
    let server = FakeServer::start().await;
    for path in ["/revoke", "/introspect", "/userinfo"] {
        let (status, headers) = preflight(&server, path).await;
        assert!((200..300).contains(&status), "{path}: {status}");
        assert_reflected(&headers);
        assert!(list(&headers, "access-control-allow-headers").contains(&"authorization".into()), "{path}");
    }
}

#[tokio::test]
async fn a_successful_token_response_carries_cors_headers() {
    let server = FakeServer::start().await;
    let authz = Authz::new(PUBLIC);
    let code = crate::support::code_for(&server, &authz).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", PUBLIC.redirect_uri),
        ("code_verifier", &authz.pkce.verifier),
        ("client_id", PUBLIC.id),
    ];
    let reply = post_from_origin(&server, "/token", &form).await;
    reply.assert_tokens();
    assert_reflected(&reply.headers);
    assert_exposes_www_authenticate(&reply.headers);
}

#[tokio::test]
async fn token_error_responses_carry_cors_headers_so_the_app_can_read_them() {
    let server = FakeServer::start().await;
    let form = [("grant_type", "authorization_code"), ("code", "nope"), ("client_id", PUBLIC.id)];
    let reply = post_from_origin(&server, "/token", &form).await;
    reply.assert_error(400, "invalid_grant");
    assert_reflected(&reply.headers);
    let form =
        [("grant_type", "client_credentials"), ("client_id", CONFIDENTIAL.id), ("client_secret", "wrong")];
    let reply = post_from_origin(&server, "/token", &form).await;
    reply.assert_error(401, "invalid_client");
    assert_reflected(&reply.headers);
    assert_exposes_www_authenticate(&reply.headers);
}

#[tokio::test]
async fn revocation_introspection_and_userinfo_responses_carry_cors_headers() {
    let server = FakeServer::start().await;
    let t = tokens(&server, PUBLIC).await;
    let reply = post_from_origin(&server, "/revoke", &[("token", "x"), ("client_id", PUBLIC.id)]).await;
    assert_eq!(reply.status, 200);
    assert_reflected(&reply.headers);
    let reply = post_from_origin(&server, "/introspect", &[("token", "x")]).await;
    reply.assert_error(401, "invalid_client");
    assert_reflected(&reply.headers);
    let resp = http().get(server.url("/userinfo")).header("origin", ORIGIN).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_reflected(resp.headers());
    assert_exposes_www_authenticate(resp.headers());
    let resp = http()
        .get(server.url("/userinfo"))
        .header("origin", ORIGIN)
        .bearer_auth(t.str("access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_reflected(resp.headers());
}

#[tokio::test]
async fn metadata_and_jwks_answer_any_origin() {
    let server = FakeServer::start().await;
    for url in [server.metadata_url(), server.url("/.well-known/openid-configuration"), server.url("/jwks")] {
        let resp = http().get(&url).header("origin", "https://anything.example").send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["access-control-allow-origin"], "*", "{url}");
    }
    let resp = http()
        .request(Method::OPTIONS, server.metadata_url())
        .header("origin", ORIGIN)
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn the_authorization_endpoint_never_sends_cors_headers() {
    let server = FakeServer::start().await;
    let url = Authz::new(CONFIDENTIAL).url(&server);
    let resp = http().get(&url).header("origin", ORIGIN).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    let resp = http()
        .request(Method::OPTIONS, server.url("/authorize"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    assert!(resp.headers().get("access-control-allow-methods").is_none());
}

#[tokio::test]
async fn only_configured_origins_get_cors_headers_but_others_are_still_served() {
    let server = FakeServer::builder().settings(|s| s.cors_origins = vec![ORIGIN.into()]).start().await;
    let form = [("grant_type", "authorization_code"), ("code", "nope"), ("client_id", PUBLIC.id)];
    let allowed = post_from_origin(&server, "/token", &form).await;
    assert_reflected(&allowed.headers);
    let resp = http()
        .post(server.url("/token"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    let other = Reply::read(resp).await;
    other.assert_error(400, "invalid_grant");
    assert!(other.headers.get("access-control-allow-origin").is_none());
    let resp = http()
        .request(Method::OPTIONS, server.url("/token"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_wrong_method_at_the_token_endpoint_still_carries_cors_headers() {
    let server = FakeServer::start().await;
    let resp = http().get(server.url("/token")).header("origin", ORIGIN).send().await.unwrap();
    let reply = Reply::read(resp).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.json["error"], "invalid_request");
    assert_reflected(&reply.headers);
}
