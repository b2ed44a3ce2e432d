//! Servers that are unreachable, slow, huge, answer garbage or point elsewhere: every run ends
//! `error` or `fail` with its cause, in bounded time, without a panic. A mock server plays a
//! working authorization server (metadata, a login page, a callback with a code) and one
//! endpoint misbehaves; behaviours HTTP libraries cannot produce come from a raw TCP server.

use std::time::{Duration, Instant};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::raw_server::{Misbehaviour, RawServer};
use super::support::{fixture, run};

/// Run the hostile suite (or the `--only` part of it) against `issuer`.
fn run_against(issuer: &str, only: &str, extra: &[&str]) -> (i32, String, String) {
    let suites = fixture("hostile-suite");
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
    ];
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout", "2"]);
    }
    if !only.is_empty() {
        args.extend(["--only", only]);
    }
    args.extend_from_slice(extra);
    run(&args)
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

/// The metadata of a server at `base`, with `token_host` for the back-channel endpoints.
fn metadata(base: &str, token_host: &str) -> serde_json::Value {
    serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{token_host}/token"),
        "revocation_endpoint": format!("{token_host}/revoke"),
        "introspection_endpoint": format!("{token_host}/introspect"),
        "registration_endpoint": format!("{token_host}/register"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
    })
}

/// A login page carrying the authorization request's state and redirect URI in hidden fields.
fn login_page(req: &Request) -> ResponseTemplate {
    let q: std::collections::HashMap<String, String> = req.url.query_pairs().into_owned().collect();
    let hidden = |name: &str| {
        format!(r#"<input type="hidden" name="{name}" value="{}">"#, q.get(name).cloned().unwrap_or_default())
    };
    let body = format!(
        r#"<html><body><form id="login-form" method="post" action="/login">{}{}
        <input name="username"><input type="password" name="password">
        <button name="action" value="login">Sign in</button></form></body></html>"#,
        hidden("state"),
        hidden("redirect_uri")
    );
    ResponseTemplate::new(200).set_body_raw(body, "text/html")
}

/// The answer to the login POST: back to the client with a code and the state.
fn callback(req: &Request) -> ResponseTemplate {
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&req.body).into_owned().collect();
    let redirect = form.get("redirect_uri").cloned().unwrap_or_default();
    let state = form.get("state").cloned().unwrap_or_default();
    ResponseTemplate::new(303).insert_header("location", format!("{redirect}?code=c0de&state={state}"))
}

/// A mock authorization server that works, with `broken` mounted over it. `token_host` is
/// where the metadata puts the back-channel endpoints (`None`: the issuer's origin).
fn server(rt: &tokio::runtime::Runtime, other_host: bool, broken: Vec<Mock>) -> MockServer {
    rt.block_on(async {
        let s = MockServer::start().await;
        let uri = s.uri();
        let token_host = if other_host { uri.replace("127.0.0.1", "localhost") } else { uri.clone() };
        Mock::given(path("/.well-known/oauth-authorization-server"))
            .respond_with(ResponseTemplate::new(200).set_body_json(metadata(&uri, &token_host)))
            .mount(&s)
            .await;
        Mock::given(path("/authorize")).respond_with(login_page).mount(&s).await;
        Mock::given(method("POST")).and(path("/login")).respond_with(callback).mount(&s).await;
        let tokens = serde_json::json!({ "access_token": "at-1", "token_type": "Bearer", "expires_in": 60 });
        Mock::given(path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(tokens))
            .mount(&s)
            .await;
        Mock::given(path("/revoke")).respond_with(ResponseTemplate::new(200)).mount(&s).await;
        let inactive = serde_json::json!({ "active": false });
        Mock::given(path("/introspect"))
            .respond_with(ResponseTemplate::new(200).set_body_json(inactive))
            .mount(&s)
            .await;
        for m in broken {
            m.with_priority(1).mount(&s).await;
        }
        s
    })
}

fn at(p: &str, reply: ResponseTemplate) -> Vec<Mock> {
    vec![Mock::given(path(p)).respond_with(reply)]
}

/// One hostile behaviour: the server, what to run, and what the run must say.
struct Case {
    name: &'static str,
    issuer: String,
    only: &'static str,
    /// Acceptable exit codes: 1 (a failure) or 3 (errors only).
    exit: i32,
    says: Vec<&'static str>,
}

fn judge(case: &Case) -> Result<(), String> {
    let started = Instant::now();
    let (code, out, err) = run_against(&case.issuer, case.only, &[]);
    let took = started.elapsed();
    let mut problems = Vec::new();
    if code != case.exit {
        problems.push(format!("exit code {code}, expected {}", case.exit));
    }
    for s in &case.says {
        if !out.contains(s) {
            problems.push(format!("the output does not say {s:?}"));
        }
    }
    if err.contains("panicked") {
        problems.push("a panic".to_string());
    }
    if took > Duration::from_secs(20) {
        problems.push(format!("took {took:?}"));
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(format!("{}: {}\n{out}{err}", case.name, problems.join("; "))),
    }
}

fn json_reply(body: &'static [u8], content_type: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_vec(), content_type)
}

#[test]
fn every_hostile_behaviour_ends_in_error_or_failure_with_its_cause() {
    let rt = tokio_rt();
    let mut servers = Vec::new();
    let mut cases: Vec<Case> = Vec::new();
    let mut add = |name, other_host, broken, only, exit, says: &[&'static str]| {
        let s = server(&rt, other_host, broken);
        cases.push(Case { name, issuer: s.uri(), only, exit, says: says.to_vec() });
        servers.push(s);
    };
    const INTRO: &str = "HOSTILE-INTROSPECT";
    const REVOKE: &str = "HOSTILE-REVOKE";
    const FLOW: &str = "HOSTILE-FLOW";
    let page = |html: &'static str| ResponseTemplate::new(200).set_body_raw(html, "text/html");
    // Metadata: discovery fails, the cause is said once, nothing else runs.
    for (name, reply, cause) in [
        ("metadata that is not JSON", json_reply(b"{not json", "application/json"), "not a JSON object"),
        ("metadata that is a JSON array", json_reply(b"[1, 2, 3]", "application/json"), "not a JSON object"),
        (
            "metadata that is not UTF-8",
            json_reply(b"{\"issuer\": \"\xff\xfe\"}", "application/json"),
            "not a JSON object",
        ),
        (
            "HTML where metadata is due",
            json_reply(b"<html><body>Welcome</body></html>", "text/html"),
            "not a JSON object",
        ),
        ("metadata answering 500", ResponseTemplate::new(500), "status 500"),
        ("metadata answering 502", ResponseTemplate::new(502), "status 502"),
        ("metadata answering 503", ResponseTemplate::new(503), "503 Service Unavailable"),
        (
            "metadata over the size cap",
            ResponseTemplate::new(200).set_body_string("{".repeat(2 << 20)),
            "larger than",
        ),
        (
            "metadata redirecting to itself",
            ResponseTemplate::new(302).insert_header("location", "/.well-known/oauth-authorization-server"),
            "status 302",
        ),
    ] {
        add(
            name,
            false,
            at("/.well-known/oauth-authorization-server", reply),
            "",
            3,
            &["discovery failed", cause],
        );
    }
    add(
        "metadata answering slowly",
        false,
        at(
            "/.well-known/oauth-authorization-server",
            ResponseTemplate::new(200).set_delay(Duration::from_secs(10)),
        ),
        "",
        3,
        &["discovery failed", "no answer within 2 s"],
    );
    // Introspection: the answer is judged and found wanting, or cannot be judged.
    for (name, reply, exit, cause) in [
        (
            "introspection that is not JSON",
            json_reply(b"{\"active\": fal", "application/json"),
            1,
            "json /active",
        ),
        (
            "introspection that is not UTF-8",
            json_reply(b"\xff\xfe\xfd", "application/json"),
            1,
            "json /active",
        ),
        (
            "introspection with a string for a boolean",
            json_reply(b"{\"active\": \"false\"}", "application/json"),
            1,
            "\"false\"",
        ),
        (
            "HTML where introspection JSON is due",
            json_reply(b"<html>Sign in</html>", "text/html"),
            1,
            "json /active",
        ),
        ("introspection answering 500", ResponseTemplate::new(500), 1, "status 500"),
        ("introspection answering 502", ResponseTemplate::new(502), 1, "status 502"),
        ("introspection answering 503", ResponseTemplate::new(503), 3, "503 Service Unavailable"),
        (
            "introspection answering 429 for longer than the timeout",
            ResponseTemplate::new(429).insert_header("retry-after", "3600"),
            3,
            "does not fit",
        ),
        (
            "introspection over the size cap",
            ResponseTemplate::new(200).set_body_string("x".repeat(2 << 20)),
            3,
            "larger than",
        ),
        (
            "introspection slower than the timeout",
            ResponseTemplate::new(200).set_delay(Duration::from_secs(10)),
            3,
            "no answer within 2 s",
        ),
        (
            "a gzip bomb",
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_raw(std::fs::read(fixture("bomb.json.gz")).unwrap(), "application/json"),
            1,
            "json /active",
        ),
    ] {
        add(name, false, at("/introspect", reply), INTRO, exit, &[cause]);
    }
    add(
        "revocation answering 429 without Retry-After",
        false,
        at("/revoke", ResponseTemplate::new(429)),
        REVOKE,
        3,
        &["429 Too Many Requests", "not retried"],
    );
    // The browser journey and the token endpoint.
    add(
        "an authorization endpoint redirecting to itself",
        false,
        at("/authorize", ResponseTemplate::new(302).insert_header("location", "/authorize")),
        FLOW,
        3,
        &["no redirect to the client after 30 requests"],
    );
    add(
        "a login page without a form",
        false,
        at("/authorize", page("<html><p>Password: <input type=password name=password></p></html>")),
        FLOW,
        3,
        &["no form matches `form#login-form`"],
    );
    add(
        "a login page with two matching forms",
        false,
        at("/authorize", page("<form id=login-form action=/a></form><form id=login-form action=/b></form>")),
        FLOW,
        3,
        &["2 forms match `form#login-form`"],
    );
    add(
        "a token answer 200 with an empty body",
        false,
        at("/token", ResponseTemplate::new(200)),
        FLOW,
        3,
        &["access_token"],
    );
    add(
        "a token endpoint on another host",
        true,
        Vec::new(),
        FLOW,
        3,
        &["not sent to http://localhost:", "`trusted_origins`", "Origins contacted: http://127.0.0.1:"],
    );
    add(
        "an introspection endpoint on another host",
        true,
        Vec::new(),
        INTRO,
        3,
        &["would carry an `Authorization` header to http://localhost:"],
    );
    // Registration and keys.
    let no_client_id = serde_json::json!({ "client_name": "hostile" });
    add(
        "registration 201 without client_id",
        false,
        at("/register", ResponseTemplate::new(201).set_body_json(no_client_id)),
        "HOSTILE-REGISTER",
        1,
        &["json /client_id"],
    );
    let garbage = serde_json::json!({ "keys": [{ "kty": "RSA", "n": "***", "e": 3 }] });
    add(
        "a garbage JWKS",
        false,
        at("/jwks", ResponseTemplate::new(200).set_body_json(garbage)),
        "HOSTILE-JWKS",
        1,
        &["jwks parses", "`n` is not base64url"],
    );
    let private = serde_json::json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] });
    add(
        "a JWKS with a secret key",
        false,
        at("/jwks", ResponseTemplate::new(200).set_body_json(private)),
        "HOSTILE-JWKS",
        1,
        &["publishes private members: k"],
    );
    add(
        "a JWKS that is HTML",
        false,
        at("/jwks", page("<html>keys</html>")),
        "HOSTILE-JWKS",
        1,
        &["no JSON body"],
    );

    // The raw servers: what no HTTP library sends.
    let raws: Vec<(&'static str, Misbehaviour, i32, &'static str)> = vec![
        ("a connection reset", Misbehaviour::Reset, 3, "Connection reset"),
        ("malformed chunking", Misbehaviour::BadChunks, 3, "Invalid chunk size"),
        ("a server that accepts and never answers", Misbehaviour::Silent, 3, "no answer within 2 s"),
        ("headers that stop halfway", Misbehaviour::SlowHeaders, 3, "no answer within 2 s"),
        ("a body that stops halfway", Misbehaviour::SlowBody, 3, "no answer within 2 s"),
        ("a status line that is not HTTP", Misbehaviour::NotHttp, 3, "invalid HTTP version"),
    ];
    let raw_servers: Vec<RawServer> =
        raws.iter().map(|(_, m, _, _)| RawServer::start(&rt, "/introspect", *m)).collect();
    for ((name, _, exit, cause), raw) in raws.into_iter().zip(&raw_servers) {
        cases.push(Case { name, issuer: raw.uri(), only: INTRO, exit, says: vec!["ERROR", cause] });
    }

    assert!(cases.len() >= 30, "{} behaviours", cases.len());
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(8)
            .map(|chunk| scope.spawn(move || chunk.iter().map(judge).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a case thread")).filter_map(Result::err).collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} behaviours went wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // The credentials meant for the issuer never reached the other host (wiremock names every
    // request's host `localhost`; the Host header says which name was used).
    for (case, s) in cases.iter().zip(&servers) {
        if case.name.contains("on another host") {
            let got = rt.block_on(s.received_requests()).unwrap_or_default();
            let to_other: Vec<String> = got
                .iter()
                .filter(|r| r.headers.get("host").is_some_and(|h| h.as_bytes().starts_with(b"localhost")))
                .filter(|r| r.headers.contains_key("authorization"))
                .map(|r| format!("{} {}", r.method, r.url))
                .collect();
            assert!(to_other.is_empty(), "{}: credentials sent to localhost: {to_other:?}", case.name);
        }
    }
}

#[test]
fn an_unreachable_server_is_one_cause_and_exit_3() {
    // Port 9 (discard) on loopback is closed on any sane test machine.
    let (code, out, err) = run_against("http://127.0.0.1:9", "", &[]);
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(out.matches("cannot connect").count(), 1, "one cause, said once: {out}");
    assert!(out.contains("no scenario was run"), "{out}");
    assert!(out.lines().count() < 12, "a few lines, not a block per scenario: {out}");
}

#[test]
fn a_429_with_a_short_retry_after_is_asked_again_once_and_then_judged() {
    let rt = tokio_rt();
    let busy = Mock::given(path("/revoke"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1);
    let s = server(&rt, false, vec![busy]);
    let (code, out, err) = run_against(&s.uri(), "HOSTILE-REVOKE", &["--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let exchanges = &report["results"][0]["steps"][0]["exchanges"];
    let statuses: Vec<u64> =
        exchanges.as_array().unwrap().iter().filter_map(|e| e["status"].as_u64()).collect();
    assert_eq!(statuses, vec![429, 200], "{exchanges}");
    assert_eq!(exchanges[0]["note"], "Retry-After: 1 s honoured: asked again once", "the report says so");
}

#[test]
fn a_trusted_origin_lets_the_credentials_go_there() {
    let rt = tokio_rt();
    let s = server(&rt, true, Vec::new());
    let base = std::fs::read_to_string(fixture("profiles/hostile.toml")).unwrap();
    let port = s.address().port();
    let dir = std::env::temp_dir().join(format!("oauth-conformance-trusted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("trusted.toml");
    let trusted = format!("trusted_origins = [\"http://localhost:{port}\"]\n{base}");
    std::fs::write(&profile, trusted).unwrap();
    let suites = fixture("hostile-suite");
    let (code, out, err) = run(&[
        "run",
        "--issuer",
        &s.uri(),
        "--profile",
        profile.to_str().unwrap(),
        "--no-builtin",
        "--suites",
        suites.to_str().unwrap(),
        "--only",
        "HOSTILE-FLOW,HOSTILE-INTROSPECT",
        "--timeout",
        "2",
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("http://localhost:{port}")), "the summary names the other origin: {out}");
}

#[test]
fn the_run_budget_bounds_a_server_that_never_answers() {
    let rt = tokio_rt();
    let slow = ResponseTemplate::new(200).set_delay(Duration::from_secs(30));
    let s = server(
        &rt,
        false,
        vec![
            Mock::given(path("/revoke")).respond_with(slow.clone()),
            Mock::given(path("/introspect")).respond_with(slow),
        ],
    );
    let started = Instant::now();
    let (code, out, err) = run_against(
        &s.uri(),
        "HOSTILE-REVOKE,HOSTILE-INTROSPECT",
        &["--timeout", "20", "--budget", "2", "--jobs", "1"],
    );
    assert!(started.elapsed() < Duration::from_secs(10), "bounded by the budget, not the timeout");
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("budget") || out.contains("no answer within"), "{out}");
}
