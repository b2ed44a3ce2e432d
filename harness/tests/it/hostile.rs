//! Servers that are unreachable, slow, huge or answer garbage: the harness reports errors
//! with their cause and exits 3; it never panics or hangs.

use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{fixture, run};

fn run_against(issuer: &str, extra: &[&str]) -> (i32, String, String) {
    let suites = fixture("suites");
    let profile = fixture("profiles/hostile.toml");
    let mut args = vec![
        "run",
        "--issuer",
        issuer,
        "--profile",
        profile.to_str().unwrap(),
        "--no-builtin",
        "--suites",
        suites.to_str().unwrap(),
        "--timeout",
        "2",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn an_unreachable_server_gives_errors_with_the_cause_and_exit_3() {
    // Port 9 (discard) on loopback is closed on any sane test machine.
    let (code, out, _) = run_against("http://127.0.0.1:9", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("discovery failed"), "{out}");
    assert!(out.contains("cannot connect"), "{out}");
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

#[test]
fn garbage_metadata_is_an_error_not_a_panic() {
    let rt = tokio_rt();
    let server = rt.block_on(async {
        let s = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{not json at all"))
            .mount(&s)
            .await;
        s
    });
    let (code, out, err) = run_against(&server.uri(), &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("discovery failed") && out.contains("not a JSON object"), "{out}");
    assert!(out.contains("FAIL  DEMO-01"), "text/plain metadata is a real failure: {out}");
    assert!(out.contains("the metadata could not be discovered"), "{out}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn slow_huge_and_looping_endpoints_are_bounded() {
    let rt = tokio_rt();
    let server = rt.block_on(async {
        let s = MockServer::start().await;
        let uri = s.uri();
        let metadata = serde_json::json!({
            "issuer": uri,
            "authorization_endpoint": format!("{uri}/authorize"),
            "token_endpoint": format!("{uri}/token"),
            "revocation_endpoint": format!("{uri}/revoke"),
            "introspection_endpoint": format!("{uri}/introspect"),
            "response_types_supported": ["code"],
        });
        Mock::given(path("/.well-known/oauth-authorization-server"))
            .respond_with(ResponseTemplate::new(200).set_body_json(metadata))
            .mount(&s)
            .await;
        Mock::given(path("/authorize"))
            .respond_with(ResponseTemplate::new(302).insert_header("location", format!("{uri}/authorize")))
            .mount(&s)
            .await;
        Mock::given(path("/revoke"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
            .mount(&s)
            .await;
        Mock::given(path("/introspect"))
            .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(3 * 1024 * 1024)))
            .mount(&s)
            .await;
        s
    });
    let started = std::time::Instant::now();
    let (code, out, err) = run_against(&server.uri(), &["--only", "DEMO-05,DEMO-06,DEMO-07"]);
    assert!(started.elapsed() < Duration::from_secs(25), "bounded by timeouts");
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("no redirect to the client after 30 requests"), "{out}");
    assert!(out.contains("no answer within 2 s"), "{out}");
    assert!(out.contains("response body larger than"), "{out}");
    assert!(!err.contains("panicked"), "{err}");
}
