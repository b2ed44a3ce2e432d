//! Switching variants on: names, the fixtures file, and several at once.

use fake_server::config::DEFAULT_FIXTURES;
use fake_server::{FakeServer, Variant};

use crate::support::{Authz, CONFIDENTIAL, active, code_for, exchange, http, refresh};

#[test]
fn every_variant_name_round_trips_through_from_str_and_display() {
    for v in Variant::ALL {
        assert_eq!(v.name().parse::<Variant>(), Ok(*v));
        assert_eq!(v.to_string(), v.name());
        assert!(!v.summary().is_empty(), "{v}");
    }
    let err = "login-303".parse::<Variant>().unwrap_err().to_string();
    for v in Variant::ALL {
        assert!(err.contains(v.name()), "the error lists `{v}`: {err}");
    }
}

/// The default fixtures with `line` added to their `[server]` table.
fn fixtures_with(line: &str) -> String {
    DEFAULT_FIXTURES.replacen("[server]\n", &format!("[server]\n{line}\n"), 1)
}

#[tokio::test]
async fn variants_in_the_fixtures_file_are_switched_on() {
    let text = fixtures_with(r#"variants = ["no-prompt", "split-origin"]"#);
    let server = FakeServer::builder().fixtures_toml(&text).expect("valid fixtures").start().await;
    assert!(server.has_variant(Variant::NoPrompt) && server.has_variant(Variant::SplitOrigin));
    assert!(!server.has_variant(Variant::OtherPaths));
    let doc: serde_json::Value =
        http().get(server.metadata_url()).send().await.unwrap().json().await.unwrap();
    assert!(doc.get("prompt_values_supported").is_none(), "{doc}");
    assert!(doc["token_endpoint"].as_str().unwrap().starts_with("http://localhost:"), "{doc}");
}

#[test]
fn an_unknown_variant_in_the_fixtures_file_is_refused_by_name() {
    let err = FakeServer::builder().fixtures_toml(&fixtures_with(r#"variants = ["nope"]"#)).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[tokio::test]
async fn all_variants_at_once_still_give_a_working_code_flow() {
    let builder = Variant::ALL.iter().fold(FakeServer::builder(), |b, v| b.variant(*v));
    let server = builder.start().await;
    assert!(Variant::ALL.iter().all(|v| server.has_variant(*v)));
    let authz = Authz::new(CONFIDENTIAL);
    let code = code_for(&server, &authz).await;
    let issued = exchange(&server, CONFIDENTIAL, &code, &authz.pkce.verifier).await;
    issued.assert_tokens();
    assert!(active(&server, issued.str("access_token")).await);
    refresh(&server, CONFIDENTIAL, issued.str("refresh_token"), &[]).await.assert_tokens();
}

#[tokio::test]
async fn no_variant_is_on_by_default() {
    let server = FakeServer::start().await;
    assert!(Variant::ALL.iter().all(|v| !server.has_variant(*v)));
}
