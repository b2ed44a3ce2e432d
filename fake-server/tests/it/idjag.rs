//! Enterprise-managed authorization over HTTP: an ID token becomes an ID-JAG at the token
//! exchange, the ID-JAG becomes an access token for its resource, and each fault of the
//! ID-JAG section changes what its documentation says.

use fake_server::{FakeServer, Fault};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support_extra::*;

const SECRET: &str = "s3cr:t+/%val ue";
const CLIENT: &str = "conformance-confidential";
const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

async fn id_token(s: &FakeServer) -> String {
    let flow = Flow {
        client_id: CLIENT,
        redirect_uri: "https://client.example.test/callback",
        scope: Some("openid"),
        resource: None,
    };
    tokens(s, &flow, Some(SECRET)).await["id_token"].as_str().unwrap().to_string()
}

async fn post(s: &FakeServer, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = http()
        .post(s.url("/token"))
        .basic_auth(form_encode(CLIENT), Some(form_encode(SECRET)))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

async fn id_jag(s: &FakeServer, audience: &str) -> (StatusCode, Value) {
    let subject = id_token(s).await;
    post(
        s,
        &[
            ("grant_type", EXCHANGE),
            ("requested_token_type", "urn:ietf:params:oauth:token-type:id-jag"),
            ("subject_token", &subject),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"),
            ("audience", audience),
            ("resource", &s.url("/mcp")),
            ("scope", "projects:read"),
        ],
    )
    .await
}

#[tokio::test]
async fn an_id_token_becomes_an_id_jag_and_the_id_jag_an_access_token_for_its_resource_once() {
    let s = FakeServer::start().await;
    let (status, jag) = id_jag(&s, s.issuer()).await;
    assert_eq!(status, StatusCode::OK, "{jag}");
    assert_eq!(jag["issued_token_type"], "urn:ietf:params:oauth:token-type:id-jag");
    assert_eq!(jag["token_type"], "N_A");
    let assertion = jag["access_token"].as_str().unwrap();
    let redeem =
        [("grant_type", BEARER), ("assertion", assertion), ("scope", "projects:read projects:write")];
    let (status, body) = post(&s, &redeem).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "projects:read", "only what the ID-JAG holds");
    assert!(body.get("refresh_token").is_none(), "{body}");
    let mcp = http()
        .post(s.url("/mcp"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .header("accept", "application/json, text/event-stream")
        .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(mcp.status(), StatusCode::OK, "the token is for the MCP resource");
    let (status, body) = post(&s, &redeem).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

#[tokio::test]
async fn metadata_advertises_both_roles() {
    let s = FakeServer::start().await;
    let meta: Value = http()
        .get(s.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["authorization_grant_profiles_supported"][0],
        "urn:ietf:params:oauth:grant-profile:id-jag"
    );
    let grants = meta["grant_types_supported"].as_array().unwrap();
    assert!(grants.contains(&Value::from(EXCHANGE)) && grants.contains(&Value::from(BEARER)), "{meta}");
}

#[tokio::test]
async fn an_id_jag_for_another_authorization_server_is_refused_unless_the_fault_is_on() {
    for (fault, expected) in
        [(None, StatusCode::BAD_REQUEST), (Some(Fault::IdJagAnyAudience), StatusCode::OK)]
    {
        let b = FakeServer::builder();
        let s = match fault {
            Some(f) => b.fault(f).start().await,
            None => b.start().await,
        };
        let (_, jag) = id_jag(&s, "https://as.example.test").await;
        let (status, body) =
            post(&s, &[("grant_type", BEARER), ("assertion", jag["access_token"].as_str().unwrap())]).await;
        assert_eq!(status, expected, "{fault:?}: {body}");
    }
}

#[test]
fn every_fault_of_the_id_jag_section_names_the_scenario_it_trips() {
    let first = Fault::ALL.iter().position(|f| *f == Fault::IdJagGrantTypeNotAdvertised).unwrap();
    let section: Vec<Fault> =
        Fault::ALL[first..].iter().copied().take_while(|f| f.name().starts_with("id-jag-")).collect();
    assert_eq!(section.len(), 11);
    for f in section {
        assert!(f.description().contains("(IDJAG-"), "{f}: {}", f.description());
    }
}
