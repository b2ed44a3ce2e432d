//! Variants of the login and consent pages: the CSRF field's name, no cancel control, 302
//! after login, and other paths.

use fake_server::{FakeServer, Variant};
use reqwest::StatusCode;
use url::Url;

use crate::interaction::{approve_all, consent_page, next_page, sign_in, start, submit_consent};
use crate::support::{Authz, Browser, CONFIDENTIAL, PageForm, location, pairs, param};

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
