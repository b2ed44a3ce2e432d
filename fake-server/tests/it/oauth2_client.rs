//! The Rust `oauth2` crate as a real client: authorize with PKCE → login and consent pages →
//! code exchange → introspection → revocation → introspection says inactive.

use fake_server::FakeServer;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse,
    IntrospectionUrl, PkceCodeChallenge, RedirectUrl, RefreshToken, RevocationUrl, Scope,
    StandardRevocableToken, TokenIntrospectionResponse, TokenResponse, TokenUrl,
};

use crate::support::{Browser, CONFIDENTIAL, Decision, PUBLIC, http, param};

/// oauth2's `AsyncHttpClient`, implemented with our reqwest. oauth2 insists on an https
/// revocation URL (RFC 7009 §2); the server listens on plain loopback HTTP, so `https://` to
/// its address is sent as `http://`, as a TLS-terminating proxy in front of it would.
fn http_client(
    server: &FakeServer,
) -> impl Fn(HttpRequest) -> std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, reqwest::Error>>>> {
    let client = http();
    let (tls, plain) = (format!("https://{}/", server.addr()), format!("http://{}/", server.addr()));
    move |req: HttpRequest| {
        let client = client.clone();
        let (parts, body) = req.into_parts();
        let url = parts.uri.to_string().replacen(&tls, &plain, 1);
        Box::pin(async move {
            let resp = client.request(parts.method, url).headers(parts.headers).body(body).send().await?;
            let mut out = oauth2::http::Response::builder().status(resp.status());
            if let Some(headers) = out.headers_mut() {
                headers.extend(resp.headers().clone());
            }
            let body = resp.bytes().await?.to_vec();
            Ok(out.body(body).expect("a response"))
        })
    }
}

#[tokio::test]
async fn the_oauth2_crate_completes_authorize_token_introspect_revoke_with_a_confidential_client() {
    let server = FakeServer::start().await;
    let client = BasicClient::new(ClientId::new(CONFIDENTIAL.id.into()))
        .set_client_secret(ClientSecret::new(CONFIDENTIAL.secret.expect("secret").into()))
        .set_auth_uri(AuthUrl::new(server.url("/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(server.url("/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(CONFIDENTIAL.redirect_uri.into()).unwrap())
        .set_introspection_url(IntrospectionUrl::new(server.url("/introspect")).unwrap())
        .set_revocation_url(RevocationUrl::new(format!("https://{}/revoke", server.addr())).unwrap());
    let http = http_client(&server);

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("projects:read".into()))
        .set_pkce_challenge(challenge)
        .url();
    let browser = Browser::new(&server);
    let callback = browser.walk(browser.get(url.as_str()).await, "alice", Decision::Approve).await;
    assert_eq!(&param(&callback, "state"), state.secret());
    assert_eq!(param(&callback, "iss"), server.issuer());

    let token = client
        .exchange_code(AuthorizationCode::new(param(&callback, "code")))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code exchange succeeds");
    assert!(token.refresh_token().is_some());
    let scopes: Vec<String> = token.scopes().expect("scope").iter().map(|s| s.to_string()).collect();
    assert_eq!(scopes, ["openid", "projects:read"]);

    let info = client.introspect(token.access_token()).request_async(&http).await.expect("introspection");
    assert!(info.active());
    assert_eq!(info.client_id().map(|c| c.as_str()), Some(CONFIDENTIAL.id));
    assert_eq!(info.sub(), Some("alice"));
    assert_eq!(info.iss(), Some(server.issuer()));

    client
        .revoke_token(StandardRevocableToken::AccessToken(token.access_token().clone()))
        .expect("a revocation URL")
        .request_async(&http)
        .await
        .expect("revocation");
    let info = client.introspect(token.access_token()).request_async(&http).await.expect("introspection");
    assert!(!info.active());
    assert!(info.client_id().is_none() && info.sub().is_none(), "nothing but active=false");
}

#[tokio::test]
async fn the_oauth2_crate_refreshes_a_public_client_with_rotation() {
    let server = FakeServer::start().await;
    let client = BasicClient::new(ClientId::new(PUBLIC.id.into()))
        .set_auth_uri(AuthUrl::new(server.url("/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(server.url("/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new("http://127.0.0.1:49152/callback".into()).unwrap())
        .set_revocation_url(RevocationUrl::new(format!("https://{}/revoke", server.addr())).unwrap());
    let http = http_client(&server);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = client.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge).url();
    let browser = Browser::new(&server);
    let callback = browser.walk(browser.get(url.as_str()).await, "bob", Decision::Approve).await;
    let token = client
        .exchange_code(AuthorizationCode::new(param(&callback, "code")))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code exchange succeeds");
    let rt1: RefreshToken = token.refresh_token().expect("a refresh token").clone();
    let next = client.exchange_refresh_token(&rt1).request_async(&http).await.expect("refresh");
    let rt2 = next.refresh_token().expect("a rotated refresh token");
    assert_ne!(rt1.secret(), rt2.secret());
    let err = client.exchange_refresh_token(&rt1).request_async(&http).await.expect_err("reuse is refused");
    assert!(format!("{err:?}").contains("invalid_grant"), "{err:?}");
    client
        .revoke_token(StandardRevocableToken::RefreshToken(rt2.clone()))
        .expect("a revocation URL")
        .request_async(&http)
        .await
        .expect("revocation answers 200");
}
