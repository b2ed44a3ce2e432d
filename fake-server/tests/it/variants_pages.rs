//! Variants of the pages and of where things live: the CSRF field's name, no cancel control,
//! 302 after login, a second origin for the back-channel endpoints, and other page paths.

use fake_server::{FakeServer, Variant};
use reqwest::StatusCode;
use url::Url;

use crate::interaction::{approve_all, consent_page, next_page, sign_in, start, submit_consent};
use crate::support::{
    Authz, Browser, CONFIDENTIAL, PageForm, Reply, basic, code_for, http, location, pairs, param,
};

/// The form's hidden fields with `name` renamed to `to` (the value kept).
fn renamed(fields: &[(String, String)], name: &str, to: &str) -> Vec<(String, String)> {
    fields.iter().map(|(k, v)| (if k == name { to.to_string() } else { k.clone() }, v.clone())).collect()
}

#[tokio::test]
async fn the_csrf_field_is_named_csrf_token_and_still_enforced_under_csrf_field_name() {
    let server = FakeServer::builder().variant(Variant::CsrfFieldName).start().await;
    let browser = Browser::new(&server);
    let (_, _, login) = start(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    let form = PageForm::parse(&login, "login-form");
    assert!(!form.field("_csrf_token").is_empty());
    assert!(!form.fields.iter().any(|(k, _)| k == "csrf"), "{login}");
    // The token under its old name is no token at all.
    let mut fields = renamed(&form.fields, "_csrf_token", "csrf");
    fields.extend(pairs(&[("username", "alice"), ("password", "alice-password"), ("action", "login")]));
    assert_eq!(browser.post_form(&form.action, &fields).await.status(), StatusCode::FORBIDDEN);

    let (_, consent) = consent_page(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    let form = PageForm::parse(&consent, "consent-form");
    assert!(!form.field("_csrf_token").is_empty());
    let resp = submit_consent(&browser, &consent, |f| {
        *f = renamed(f, "_csrf_token", "csrf");
        f.push(("decision".into(), "approve".into()));
    })
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = submit_consent(&browser, &consent, approve_all(&consent)).await;
    param(&Url::parse(&location(&resp)).expect("to the client"), "code");
}

#[tokio::test]
async fn by_default_the_csrf_field_is_named_csrf_and_the_login_page_can_cancel() {
    let server = FakeServer::start().await;
    let (_, _, login) = start(&server, &Browser::new(&server), &Authz::new(CONFIDENTIAL)).await;
    assert!(!PageForm::parse(&login, "login-form").field("csrf").is_empty());
    assert!(login.contains("value=\"cancel\""), "{login}");
}

#[tokio::test]
async fn the_login_page_offers_no_cancel_under_login_without_cancel_and_the_flow_still_works() {
    let server = FakeServer::builder().variant(Variant::LoginWithoutCancel).start().await;
    let browser = Browser::new(&server);
    let (status, _, login) = start(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(login.contains("id=\"login-form\"") && !login.contains("cancel"), "{login}");
    let (_, _, consent) = next_page(&browser, sign_in(&browser, &login, "alice").await).await;
    let resp = submit_consent(&browser, &consent, approve_all(&consent)).await;
    param(&Url::parse(&location(&resp)).expect("to the client"), "code");
}

#[tokio::test]
async fn the_login_post_is_answered_with_302_under_login_302() {
    let server = FakeServer::builder().variant(Variant::LoginWith302).start().await;
    let browser = Browser::new(&server);
    let (_, _, login) = start(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    let resp = sign_in(&browser, &login, "alice").await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert!(location(&resp).contains("consent"), "on to consent: {}", location(&resp));
    let (_, _, consent) = next_page(&browser, resp).await;
    let resp = submit_consent(&browser, &consent, approve_all(&consent)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "the consent POST keeps 303");

    let default = FakeServer::start().await;
    let browser = Browser::new(&default);
    let (_, _, login) = start(&default, &browser, &Authz::new(CONFIDENTIAL)).await;
    assert_eq!(sign_in(&browser, &login, "alice").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn back_channel_endpoints_are_advertised_and_served_on_localhost_under_split_origin() {
    let server = FakeServer::builder().variant(Variant::SplitOrigin).start().await;
    let doc: serde_json::Value =
        http().get(server.metadata_url()).send().await.unwrap().json().await.unwrap();
    let port = server.addr().port();
    assert_eq!(doc["issuer"], server.issuer());
    assert_eq!(doc["authorization_endpoint"], server.url("/authorize"));
    for (member, path) in [
        ("token_endpoint", "/token"),
        ("registration_endpoint", "/register"),
        ("introspection_endpoint", "/introspect"),
        ("revocation_endpoint", "/revoke"),
    ] {
        assert_eq!(doc[member], format!("http://localhost:{port}{path}"), "{member}");
    }
    let token_endpoint = doc["token_endpoint"].as_str().unwrap();
    let authz = Authz::new(CONFIDENTIAL);
    let code = code_for(&server, &authz).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CONFIDENTIAL.redirect_uri),
        ("code_verifier", authz.pkce.verifier.as_str()),
    ];
    let secret = CONFIDENTIAL.secret.unwrap();
    let at = |url: &str| http().post(url).header("authorization", basic(CONFIDENTIAL.id, secret));
    let reply = Reply::read(at(token_endpoint).form(&form).send().await.unwrap()).await;
    reply.assert_tokens();
    let token = [("token", reply.str("access_token"))];
    let info =
        Reply::read(at(doc["introspection_endpoint"].as_str().unwrap()).form(&token).send().await.unwrap());
    assert_eq!(info.await.json["active"], true);
    let revoked = at(doc["revocation_endpoint"].as_str().unwrap()).form(&token).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let registered = http()
        .post(doc["registration_endpoint"].as_str().unwrap())
        .json(&crate::support_extra::public_client_metadata())
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);

    // CORS on the second origin is what it is on the first.
    let preflight = |url: String| {
        http()
            .request(reqwest::Method::OPTIONS, url)
            .header("origin", "https://app.example.test")
            .header("access-control-request-method", "POST")
            .send()
    };
    let here = preflight(token_endpoint.to_string()).await.unwrap();
    let there = preflight(server.url("/token")).await.unwrap();
    assert_eq!(here.status(), there.status());
    for name in
        ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"]
    {
        assert_eq!(here.headers().get(name), there.headers().get(name), "{name}");
        assert!(here.headers().get(name).is_some(), "{name}");
    }

    let default = FakeServer::start().await;
    let doc: serde_json::Value =
        http().get(default.metadata_url()).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["token_endpoint"], default.url("/token"));
}

#[tokio::test]
async fn login_and_consent_live_on_other_paths_under_other_paths_and_the_old_ones_are_gone() {
    let server = FakeServer::builder().variant(Variant::OtherPaths).start().await;
    let browser = Browser::new(&server);
    let resp = browser.get(&Authz::new(CONFIDENTIAL).url(&server)).await;
    let to_login = location(&resp);
    assert!(to_login.starts_with("/u/login/") && !to_login.contains('?'), "{to_login}");
    let (_, _, login) = next_page(&browser, resp).await;
    assert_eq!(PageForm::parse(&login, "login-form").action, to_login, "the form posts to its own path");
    let resp = sign_in(&browser, &login, "alice").await;
    let to_consent = location(&resp);
    assert!(to_consent.starts_with("/interaction/") && to_consent.ends_with("/consent"), "{to_consent}");
    let (_, _, consent) = next_page(&browser, resp).await;
    assert_eq!(PageForm::parse(&consent, "consent-form").action, to_consent);
    let resp = submit_consent(&browser, &consent, approve_all(&consent)).await;
    param(&Url::parse(&location(&resp)).expect("to the client"), "code");

    for path in ["/login?request=x", "/consent?request=x"] {
        assert_eq!(browser.get(path).await.status(), StatusCode::NOT_FOUND, "GET {path}");
        assert_eq!(browser.post_form(path, &[]).await.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    let default = FakeServer::start().await;
    let browser = Browser::new(&default);
    assert_eq!(browser.get("/u/login/x").await.status(), StatusCode::NOT_FOUND);
    let resp = browser.get(&Authz::new(CONFIDENTIAL).url(&default)).await;
    assert!(location(&resp).starts_with("/login?request="), "{}", location(&resp));
}

#[tokio::test]
async fn js_pages_send_a_shell_whose_script_may_load_and_the_page_itself_as_json() {
    let server = FakeServer::builder().variant(Variant::ScriptPages).start().await;
    let browser = Browser::new(&server);
    let (status, headers, shell) = start(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!shell.contains("<form") && shell.contains("id=\"app\""), "{shell}");
    let script = format!("{}/assets/sign-in.js", server.issuer());
    assert!(shell.contains(&format!("<script src=\"{script}\"></script>")), "{shell}");
    let csp = headers["content-security-policy"].to_str().expect("ASCII");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let js = browser.get(&script).await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()["content-type"].to_str().expect("ASCII").starts_with("text/javascript"));
    assert!(js.text().await.expect("script").contains("application/json"));
}
