//! Login and consent pages: what they show, CSRF, anti-framing, escaping, partial approval
//! and denial (AUTHZ-13, AUTHZ-28, CONS-01..04, CONS-11, CONS-12, CONS-15).

use fake_server::{ClientConfig, FakeServer};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use url::Url;

use crate::support::{
    Authz, Browser, CONFIDENTIAL, Decision, PUBLIC, PageForm, exchange, location, pairs, param, without_query,
};

/// Follow the server's redirects from `resp` to the next page: its status, headers and HTML.
pub(crate) async fn next_page(browser: &Browser, resp: reqwest::Response) -> (StatusCode, HeaderMap, String) {
    let mut resp = resp;
    while resp.status().is_redirection() {
        let to = location(&resp);
        assert!(browser.is_ours(&to), "left the server for {to}");
        resp = browser.get(&to).await;
    }
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.expect("page"))
}

/// Send `authz` from `browser` and land on the first page the server shows.
pub(crate) async fn start(
    server: &FakeServer,
    browser: &Browser,
    authz: &Authz,
) -> (StatusCode, HeaderMap, String) {
    next_page(browser, browser.get(&authz.url(server)).await).await
}

/// Submit the login form as `username` (whose password is `<username>-password`).
pub(crate) async fn sign_in(browser: &Browser, login_html: &str, username: &str) -> reqwest::Response {
    let form = PageForm::parse(login_html, "login-form");
    let password = format!("{username}-password");
    let mut fields = form.fields.clone();
    fields.extend(pairs(&[("username", username), ("password", &password), ("action", "login")]));
    browser.post_form(&form.action, &fields).await
}

/// Start, log in as alice and land on the consent page.
pub(crate) async fn consent_page(
    server: &FakeServer,
    browser: &Browser,
    authz: &Authz,
) -> (HeaderMap, String) {
    let (_, _, login) = start(server, browser, authz).await;
    let (status, headers, html) = next_page(browser, sign_in(browser, &login, "alice").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"consent-form\""), "{html}");
    (headers, html)
}

/// Post the consent form with these extra fields; the response is not followed.
pub(crate) async fn submit_consent(
    browser: &Browser,
    html: &str,
    change: impl FnOnce(&mut Vec<(String, String)>),
) -> reqwest::Response {
    let form = PageForm::parse(html, "consent-form");
    let mut fields = form.fields.clone();
    change(&mut fields);
    browser.post_form(&form.action, &fields).await
}

/// The consent-form change that approves every scope shown.
pub(crate) fn approve_all(html: &str) -> impl FnOnce(&mut Vec<(String, String)>) {
    let scopes = PageForm::parse(html, "consent-form").scopes;
    move |f| {
        f.extend(scopes.into_iter().map(|s| ("scope".to_string(), s)));
        f.push(("decision".into(), "approve".into()));
    }
}

#[track_caller]
fn assert_unframeable(headers: &HeaderMap) {
    assert_eq!(headers["x-frame-options"], "DENY");
    let csp = headers["content-security-policy"].to_str().expect("ASCII");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(headers["content-type"].to_str().unwrap_or("").starts_with("text/html"));
}

fn client_with(name: &str, logo: Option<&str>) -> ClientConfig {
    let client = ClientConfig::confidential("custom", "custom-secret", ["https://custom.example.test/cb"])
        .with_name(name)
        .with_default_scopes(["openid"])
        .with_grant_types(["authorization_code"]);
    match logo {
        Some(logo) => client.with_logo_uri(logo),
        None => client,
    }
}

fn custom_authz() -> Authz {
    Authz::new(CONFIDENTIAL).set("client_id", "custom").set("redirect_uri", "https://custom.example.test/cb")
}

#[tokio::test]
async fn the_login_page_is_a_form_that_cannot_be_framed() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (status, headers, html) = start(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    assert_eq!(status, StatusCode::OK);
    assert_unframeable(&headers);
    let form = PageForm::parse(&html, "login-form");
    assert!(form.action.ends_with("/login"));
    assert!(!form.field("csrf").is_empty());
    assert!(html.contains("Conformance Confidential Client"));
    // It says where its users and clients are configured: the fixtures file and the admin page.
    let note = html.split("id=\"setup-note\"").nth(1).expect("the setup note");
    assert!(note.contains("--fixtures") && note.contains("<code>/admin</code>"), "{note}");
}

#[tokio::test]
async fn a_successful_login_sets_an_http_only_session_cookie_and_redirects_with_303() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (_, _, login) = start(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    let resp = sign_in(&browser, &login, "alice").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "never 307 after a credential POST");
    let cookie = resp.headers()["set-cookie"].to_str().expect("ASCII").to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn a_wrong_password_shows_the_login_form_again_with_an_error_and_no_session() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (_, _, login) = start(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    let form = PageForm::parse(&login, "login-form");
    let mut fields = form.fields.clone();
    fields.extend(pairs(&[("username", "alice"), ("password", "wrong"), ("action", "login")]));
    let resp = browser.post_form(&form.action, &fields).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get("set-cookie").is_none());
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"login-error\""), "{html}");
    PageForm::parse(&html, "login-form");
}

#[tokio::test]
async fn the_login_form_refuses_a_post_without_its_csrf_token() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (_, _, login) = start(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    let form = PageForm::parse(&login, "login-form");
    let fields =
        pairs(&[("request", form.field("request")), ("username", "alice"), ("password", "alice-password")]);
    let resp = browser.post_form(&form.action, &fields).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn the_consent_page_shows_the_app_its_logo_the_redirect_host_and_each_scope_in_words() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let authz = Authz::new(CONFIDENTIAL).set("scope", "openid projects:read");
    let (headers, html) = consent_page(&server, &browser, &authz).await;
    assert_unframeable(&headers);
    assert!(html.contains("<span id=\"client-name\">Conformance Confidential Client</span>"), "{html}");
    assert!(html.contains("src=\"https://client.example.test/logo.png\""), "{html}");
    assert!(html.contains("<strong id=\"redirect-host\">client.example.test</strong>"), "{html}");
    assert!(html.contains("Confirm who you are") && html.contains("View your projects"), "{html}");
    assert!(html.contains("value=\"approve\"") && html.contains("value=\"deny\""));
    assert_eq!(PageForm::parse(&html, "consent-form").scopes, ["openid", "projects:read"]);
    let note = html.split("id=\"setup-note\"").nth(1).expect("the setup note");
    assert!(
        note.contains("--print-fixtures")
            && note.contains("<code>/admin</code>")
            && !note.contains("127.0.0.1"),
        "{note}"
    );
}

#[tokio::test]
async fn approving_consent_answers_303_to_the_client_with_a_code() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (_, html) = consent_page(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    let resp = submit_consent(&browser, &html, approve_all(&html)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let url = Url::parse(&location(&resp)).unwrap();
    assert_eq!(without_query(&url), CONFIDENTIAL.redirect_uri);
    param(&url, "code");
}

#[tokio::test]
async fn denying_sends_access_denied_with_state_and_iss_to_the_clients_redirect_uri() {
    let server = FakeServer::start().await;
    let url =
        Browser::new(&server).authorize(&server, &Authz::new(CONFIDENTIAL), "alice", Decision::Deny).await;
    assert_eq!(without_query(&url), CONFIDENTIAL.redirect_uri);
    assert_eq!(param(&url, "error"), "access_denied");
    assert_eq!(param(&url, "state"), "st-123");
    assert_eq!(param(&url, "iss"), server.issuer());
    let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(names, ["error", "error_description", "state", "iss"]);
}

#[tokio::test]
async fn denying_a_request_that_had_no_state_still_redirects_without_one() {
    let server = FakeServer::start().await;
    let authz = Authz::new(CONFIDENTIAL).remove("state");
    let url = Browser::new(&server).authorize(&server, &authz, "alice", Decision::Deny).await;
    assert_eq!(param(&url, "error"), "access_denied");
    assert!(url.query_pairs().all(|(k, _)| k != "state"));
}

#[tokio::test]
async fn cancelling_the_login_is_access_denied_for_the_client() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (_, _, login) = start(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    let form = PageForm::parse(&login, "login-form");
    let mut fields = form.fields.clone();
    fields.push(("action".into(), "cancel".into()));
    let resp = browser.post_form(&form.action, &fields).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let url = Url::parse(&location(&resp)).unwrap();
    assert_eq!(param(&url, "error"), "access_denied");
    assert_eq!(param(&url, "state"), "st-123");
}

#[tokio::test]
async fn approving_without_the_csrf_token_or_with_a_wrong_one_is_refused() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (_, html) = consent_page(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    for csrf in [None, Some("forged")] {
        let resp = submit_consent(&browser, &html, |f| {
            f.retain(|(k, _)| k != "csrf");
            if let Some(c) = csrf {
                f.push(("csrf".into(), c.into()));
            }
            f.push(("scope".into(), "openid".into()));
            f.push(("decision".into(), "approve".into()));
        })
        .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "csrf {csrf:?}");
        assert!(resp.headers().get("location").is_none());
    }
    // The genuine form still works: the refusals did not consume the request.
    let resp = submit_consent(&browser, &html, approve_all(&html)).await;
    param(&Url::parse(&location(&resp)).unwrap(), "code");
}

#[tokio::test]
async fn another_browser_session_cannot_approve_with_a_copied_form() {
    let server = FakeServer::start().await;
    let victim = Browser::new(&server);
    let (_, html) = consent_page(&server, &victim, &Authz::new(CONFIDENTIAL)).await;
    // The attacker has a session of their own and replays the victim's form.
    let attacker = Browser::new(&server);
    consent_page(&server, &attacker, &Authz::new(CONFIDENTIAL)).await;
    let resp = submit_consent(&attacker, &html, approve_all(&html)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // And a browser without any session neither.
    let resp = submit_consent(&Browser::new(&server), &html, approve_all(&html)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_get_with_the_approval_fields_does_not_grant_consent() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (_, html) = consent_page(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    let form = PageForm::parse(&html, "consent-form");
    let mut url = Url::parse(&format!("http://127.0.0.1{}", form.action)).unwrap();
    url.query_pairs_mut()
        .extend_pairs(&form.fields)
        .append_pair("decision", "approve")
        .append_pair("scope", "openid");
    let path = format!("{}?{}", url.path(), url.query().unwrap_or(""));
    let resp = browser.get(&path).await;
    assert_eq!(resp.status(), StatusCode::OK, "only the page again");
    assert!(resp.text().await.unwrap().contains("id=\"consent-form\""));
}

#[tokio::test]
async fn the_error_page_for_a_bad_request_cannot_be_framed() {
    let server = FakeServer::start().await;
    let resp =
        Browser::new(&server).get(&Authz::new(CONFIDENTIAL).set("client_id", "nope").url(&server)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_unframeable(resp.headers());
}

#[tokio::test]
async fn client_names_are_escaped_and_a_script_logo_is_not_rendered() {
    let name = "<script>alert(\"owned\")</script> & Co";
    let server = FakeServer::builder().client(client_with(name, Some("javascript:alert(1)"))).start().await;
    let browser = Browser::new(&server);
    let (_, html) = consent_page(&server, &browser, &custom_authz()).await;
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; Co"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    // The login page names the client too.
    let (_, _, login) = start(&server, &Browser::new(&server), &custom_authz()).await;
    assert!(!login.contains("<script>") && login.contains("&lt;script&gt;"), "{login}");
}

#[tokio::test]
async fn a_logo_url_cannot_break_out_of_its_attribute() {
    let logo = "https://logo.example.test/l.png?a=\"onerror=\"alert(1)";
    let server = FakeServer::builder().client(client_with("Logo App", Some(logo))).start().await;
    let (_, html) = consent_page(&server, &Browser::new(&server), &custom_authz()).await;
    assert!(
        html.contains("src=\"https://logo.example.test/l.png?a=&quot;onerror=&quot;alert(1)\""),
        "{html}"
    );
    assert!(!html.contains("\"onerror=\""));
}

#[tokio::test]
async fn a_partial_approval_grants_only_the_checked_scopes() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let authz = Authz::new(CONFIDENTIAL).set("scope", "openid profile projects:read");
    let (_, html) = consent_page(&server, &browser, &authz).await;
    let resp = submit_consent(&browser, &html, |f| {
        f.extend(pairs(&[("scope", "openid"), ("scope", "projects:read"), ("decision", "approve")]));
    })
    .await;
    let code = param(&Url::parse(&location(&resp)).unwrap(), "code");
    let reply = exchange(&server, CONFIDENTIAL, &code, &authz.pkce.verifier).await;
    reply.assert_tokens();
    assert_eq!(reply.str("scope"), "openid projects:read");
}

#[tokio::test]
async fn a_consent_post_cannot_add_scopes_that_were_not_requested() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let authz = Authz::new(CONFIDENTIAL).set("scope", "openid");
    let (_, html) = consent_page(&server, &browser, &authz).await;
    let resp = submit_consent(&browser, &html, |f| {
        f.extend(pairs(&[("scope", "openid"), ("scope", "projects:write"), ("decision", "approve")]));
    })
    .await;
    let code = param(&Url::parse(&location(&resp)).unwrap(), "code");
    let reply = exchange(&server, CONFIDENTIAL, &code, &authz.pkce.verifier).await;
    assert_eq!(reply.str("scope"), "openid");
}

#[tokio::test]
async fn an_approval_cannot_be_replayed_for_a_second_code() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (_, html) = consent_page(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    let first = submit_consent(&browser, &html, approve_all(&html)).await;
    param(&Url::parse(&location(&first)).unwrap(), "code");
    let again = submit_consent(&browser, &html, approve_all(&html)).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.headers().get("location").is_none());
}

#[tokio::test]
async fn an_abandoned_sign_in_request_expires() {
    let server = FakeServer::start().await;
    let browser = Browser::new(&server);
    let (_, _, login) = start(&server, &browser, &Authz::new(CONFIDENTIAL)).await;
    server.advance(std::time::Duration::from_secs(601));
    let resp = sign_in(&browser, &login, "alice").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().get("location").is_none());
    assert!(resp.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn the_consent_page_warns_when_a_client_only_redirects_to_this_computer() {
    let loopback = ClientConfig::public("custom", ["http://127.0.0.1/cb"])
        .with_name("Local Tool")
        .with_default_scopes(["openid"])
        .with_grant_types(["authorization_code"]);
    let server = FakeServer::builder().client(loopback).start().await;
    let authz = Authz::new(PUBLIC).set("client_id", "custom").set("redirect_uri", "http://127.0.0.1:7000/cb");
    let (_, html) = consent_page(&server, &Browser::new(&server), &authz).await;
    assert!(html.contains("id=\"loopback-warning\""), "{html}");
    assert!(html.contains("<strong id=\"redirect-host\">127.0.0.1</strong>"), "{html}");
}

#[tokio::test]
async fn users_and_scopes_added_by_the_builder_can_log_in_and_are_described() {
    let server = FakeServer::builder()
        .user(fake_server::UserConfig::new("carol", "carol-password").with_sub("user-3"))
        .scope(fake_server::ScopeConfig::new("reports:read", "Read your <reports>"))
        .start()
        .await;
    let browser = Browser::new(&server);
    let authz = Authz::new(CONFIDENTIAL).set("scope", "openid reports:read");
    let (_, _, login) = start(&server, &browser, &authz).await;
    let (_, _, html) = next_page(&browser, sign_in(&browser, &login, "carol").await).await;
    assert!(html.contains("Read your &lt;reports&gt;"), "{html}");
    let resp = submit_consent(&browser, &html, approve_all(&html)).await;
    let code = param(&Url::parse(&location(&resp)).unwrap(), "code");
    let t = exchange(&server, CONFIDENTIAL, &code, &authz.pkce.verifier).await;
    assert_eq!(t.str("scope"), "openid reports:read");
    assert_eq!(crate::support::introspect(&server, t.str("access_token")).await["sub"], "user-3");
}
