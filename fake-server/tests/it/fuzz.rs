//! Property tests over every endpoint's parameters, forms, JSON bodies and headers: whatever
//! arrives, no panic and no 5xx; every JSON error carries a registered OAuth error code, every
//! error page names one, and every redirect to a client carries a code or a registered error.

use std::sync::OnceLock;

use fake_server::FakeServer;
use proptest::prelude::*;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, ORIGIN};
use serde_json::Value;

/// Error codes of the IANA "OAuth Extensions Error Registry" and the specifications this
/// server implements (RFC 6749, 6750, 7009, 7591, 7592, 8707; OIDC Core §3.1.2.6).
const REGISTERED: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "unsupported_response_type",
    "server_error",
    "temporarily_unavailable",
    "invalid_token",
    "insufficient_scope",
    "unsupported_token_type",
    "invalid_redirect_uri",
    "invalid_client_metadata",
    "invalid_target",
    "login_required",
    "consent_required",
    "interaction_required",
    "request_not_supported",
    "request_uri_not_supported",
    "invalid_request_uri",
    "invalid_request_object",
];

/// One server and one runtime for all cases: starting a server per case would dominate.
fn fixture() -> &'static (FakeServer, tokio::runtime::Runtime, reqwest::Client) {
    static FIXTURE: OnceLock<(FakeServer, tokio::runtime::Runtime, reqwest::Client)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let server = FakeServer::start_blocking();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .expect("client");
        (server, runtime, http)
    })
}

/// (method, path) of every endpoint with a parameter surface. `{id}` is filled in.
const ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/authorize"),
    ("POST", "/authorize"),
    ("POST", "/token"),
    ("POST", "/introspect"),
    ("POST", "/revoke"),
    ("GET", "/userinfo"),
    ("POST", "/userinfo"),
    ("POST", "/register"),
    ("GET", "/register/{id}"),
    ("PUT", "/register/{id}"),
    ("DELETE", "/register/{id}"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/consent"),
    ("POST", "/consent"),
    ("GET", "/jwks"),
    ("GET", "/.well-known/oauth-authorization-server"),
];

const NAMES: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "resource",
    "prompt",
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "token",
    "token_type_hint",
    "request",
    "username",
    "password",
    "csrf",
    "action",
    "decision",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("code".to_string()),
        Just("conformance-confidential".to_string()),
        Just("https://client.example.test/callback".to_string()),
        Just("authorization_code".to_string()),
        Just("S256".to_string()),
        Just("openid profile".to_string()),
        Just("%ff%00".to_string()),
        "[a-zA-Z0-9_.~-]{0,64}",
        "\\PC{0,40}",
        any::<String>().prop_map(|s| s.chars().take(60).collect()),
        (1usize..6000).prop_map(|n| "x".repeat(n)),
        "[\\x00-\\x1f\u{202e}\u{200b}\u{feff} ]{1,10}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        value().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(JSON_MEMBERS), inner), 0..8)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

const JSON_MEMBERS: &[&str] = &[
    "client_name",
    "redirect_uris",
    "grant_types",
    "response_types",
    "token_endpoint_auth_method",
    "scope",
    "logo_uri",
    "client_uri",
    "jwks",
    "jwks_uri",
    "contacts",
    "application_type",
    "client_id",
    "software_statement",
];

#[derive(Debug, Clone)]
enum Body {
    None,
    Form(Vec<(String, String)>),
    Json(Value),
    Raw(Vec<u8>, &'static str),
}

fn body() -> impl Strategy<Value = Body> {
    let pairs = prop::collection::vec((prop::sample::select(NAMES).prop_map(str::to_string), value()), 0..10);
    prop_oneof![
        Just(Body::None),
        pairs.prop_map(Body::Form),
        json_value().prop_map(Body::Json),
        (
            prop::collection::vec(any::<u8>(), 0..300),
            prop::sample::select(
                &["application/x-www-form-urlencoded", "application/json", "text/plain", ""][..]
            )
        )
            .prop_map(|(b, ct)| Body::Raw(b, ct)),
    ]
}

fn header_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("Basic Y29uZm9ybWFuY2UtY29uZmlkZW50aWFsOnMzY3IlM0F0JTJCJTJGJTI1dmFsK3Vl".to_string())),
        "(Basic|Bearer|bearer|DPoP) [ -~]{0,80}".prop_map(Some),
        "[ -~]{0,100}".prop_map(Some),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    endpoint: (&'static str, &'static str),
    query: Vec<(String, String)>,
    body: Body,
    authorization: Option<String>,
    cookie: Option<String>,
    origin: Option<String>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(ENDPOINTS),
        prop::collection::vec((prop::sample::select(NAMES).prop_map(str::to_string), value()), 0..10),
        body(),
        header_value(),
        header_value(),
        header_value(),
    )
        .prop_map(|(endpoint, query, body, authorization, cookie, origin)| Case {
            endpoint,
            query,
            body,
            authorization,
            cookie,
            origin,
        })
}

/// The HTTP request for a case. A `{id}` in the path takes the first query value as one
/// percent-encoded segment, so the path still routes.
fn request(server: &FakeServer, http: &reqwest::Client, case: &Case) -> reqwest::RequestBuilder {
    let (method, path) = case.endpoint;
    let mut url = url::Url::parse(&server.url("/")).expect("url");
    match path.split_once("/{id}") {
        Some((prefix, rest)) => {
            let id = case.query.first().map(|(_, v)| v.as_str()).filter(|v| !matches!(*v, "" | "." | ".."));
            url.set_path(&format!("{prefix}/{}{rest}", segment(id.unwrap_or("x"))));
        }
        None => url.set_path(path),
    }
    if !case.query.is_empty() {
        url.query_pairs_mut().extend_pairs(&case.query);
    }
    let mut req = http.request(method.parse().expect("method"), url);
    for (name, value) in
        [(AUTHORIZATION, &case.authorization), (COOKIE, &case.cookie), (ORIGIN, &case.origin)]
    {
        if let Some(v) = value.as_deref().and_then(|v| reqwest::header::HeaderValue::from_str(v).ok()) {
            req = req.header(name, v);
        }
    }
    match &case.body {
        Body::None => req,
        Body::Form(pairs) => req.form(pairs),
        Body::Json(v) => req.json(v),
        Body::Raw(bytes, "") => req.body(bytes.clone()),
        Body::Raw(bytes, ct) => req.header(CONTENT_TYPE, *ct).body(bytes.clone()),
    }
}

/// `value` as one path segment: characters a segment cannot hold are percent-encoded, but `%`
/// stays as it is, so `%ff` reaches the server as the invalid UTF-8 it stands for.
fn segment(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Send one case; `Err` says what about the answer is wrong.
async fn check(server: &FakeServer, http: &reqwest::Client, case: &Case) -> Result<(), String> {
    let resp = request(server, http, case).send().await.map_err(|e| format!("no answer: {e}"))?;
    let status = resp.status();
    let location = resp.headers().get(LOCATION).map(|l| l.to_str().unwrap_or("").to_string());
    let content_type =
        resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = resp.text().await.map_err(|e| format!("unreadable body: {e}"))?;
    if status.is_server_error() {
        return Err(format!("{status}: {text}"));
    }
    if status.is_redirection() {
        let to = location.ok_or("a redirect without Location")?;
        if to.starts_with('/') || to.starts_with(server.issuer()) {
            return Ok(());
        }
        let to = url::Url::parse(&to).map_err(|e| format!("Location {to}: {e}"))?;
        let error = to.query_pairs().find(|(k, _)| k == "error").map(|(_, v)| v.into_owned());
        return match error {
            Some(e) if !REGISTERED.contains(&e.as_str()) => Err(format!("unregistered error `{e}` in {to}")),
            None if !to.query_pairs().any(|(k, _)| k == "code") => {
                Err(format!("neither code nor error: {to}"))
            }
            _ => Ok(()),
        };
    }
    if !status.is_client_error() {
        return Ok(());
    }
    if content_type.starts_with("application/json") {
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{status} with broken JSON: {e}"))?;
        let code = json["error"].as_str().ok_or_else(|| format!("{status} without `error`: {text}"))?;
        if !REGISTERED.contains(&code) {
            return Err(format!("{status} with unregistered error `{code}`"));
        }
        return Ok(());
    }
    if content_type.starts_with("text/html") && REGISTERED.iter().any(|c| text.contains(c)) {
        return Ok(());
    }
    Err(format!(
        "{status} {content_type}: an error that is neither OAuth JSON nor an error page: {text:.200}"
    ))
}

/// The operator and resource surfaces: their own error formats (the admin API's, Clerk's,
/// JSON-RPC's), so only "no 5xx, and a 4xx body is JSON" is asked of them.
const OTHER_ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/admin/api/applications"),
    ("POST", "/admin/api/applications"),
    ("GET", "/admin/api/applications/{id}"),
    ("PATCH", "/admin/api/applications/{id}"),
    ("DELETE", "/admin/api/applications/{id}"),
    ("POST", "/admin/api/applications/{id}/rotate_secret"),
    ("GET", "/admin/api/users"),
    ("GET", "/admin/api/users/{id}/grants"),
    ("DELETE", "/admin/api/users/{id}/grants"),
    ("POST", "/admin/api/access_tokens/describe"),
    ("POST", "/oauth_applications/access_tokens/verify"),
    ("POST", "/mcp"),
];

fn other_case() -> impl Strategy<Value = (Case, bool)> {
    (case(), prop::sample::select(OTHER_ENDPOINTS), any::<bool>()).prop_map(|(mut c, endpoint, admin)| {
        c.endpoint = endpoint;
        (c, admin)
    })
}

async fn check_other(server: &FakeServer, http: &reqwest::Client, case: &Case) -> Result<(), String> {
    let resp = request(server, http, case).send().await.map_err(|e| format!("no answer: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| format!("unreadable body: {e}"))?;
    if status.is_server_error() {
        return Err(format!("{status}: {text}"));
    }
    if status.is_client_error() && !text.is_empty() && serde_json::from_str::<Value>(&text).is_err() {
        return Err(format!("{status} with a body that is not JSON: {text:.200}"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn operator_and_resource_endpoints_answer_any_input_without_5xx((mut case, admin) in other_case()) {
        let (server, runtime, http) = fixture();
        if admin {
            case.authorization = Some(format!("Bearer {}", server.admin_key()));
        }
        let verdict = runtime.block_on(check_other(server, http, &case));
        prop_assert!(verdict.is_ok(), "{:?} {}: {}", case.endpoint.0, case.endpoint.1, verdict.unwrap_err());
    }

    #[test]
    fn every_endpoint_answers_any_input_without_5xx_and_with_oauth_errors(case in case()) {
        let (server, runtime, http) = fixture();
        let verdict = runtime.block_on(check(server, http, &case));
        prop_assert!(verdict.is_ok(), "{:?} {}: {}", case.endpoint.0, case.endpoint.1, verdict.unwrap_err());
    }
}
