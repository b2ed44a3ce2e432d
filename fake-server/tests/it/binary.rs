//! The `oauth-fake-server` binary, run as a child process: what it prints, its flags, and
//! that it stops cleanly.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use fake_server::{Fault, Variant};
use url::Url;

use crate::support::{Reply, http};

const BIN: &str = env!("CARGO_BIN_EXE_oauth-fake-server");

/// The binary with the environment's `FAKE_OAUTH_*` settings cleared and `--port 0` unless
/// `args` choose a port.
fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    for var in ["PORT", "HOST", "ISSUER", "FIXTURES", "FAULTS", "VARIANTS", "JWT", "QUIET"] {
        cmd.env_remove(format!("FAKE_OAUTH_{var}"));
    }
    if !args.contains(&"--port") {
        cmd.args(["--port", "0"]);
    }
    cmd.args(args);
    cmd
}

/// A spawned `oauth-fake-server --quiet`, killed when dropped (also when the test fails).
#[derive(Debug)]
pub struct Running {
    child: Child,
    pub issuer: String,
}

impl Running {
    pub fn spawn(args: &[&str]) -> Running {
        let mut child = command(args)
            .arg("--quiet")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the built binary starts");
        let mut line = String::new();
        if let Some(out) = child.stdout.as_mut() {
            // One byte at a time, so nothing after the first line is consumed here.
            let mut byte = [0u8; 1];
            while out.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
                line.push(byte[0] as char);
            }
        }
        let mut running = Running { child, issuer: line.trim().to_string() };
        if running.issuer.is_empty() {
            let mut err = String::new();
            let _ = running.child.stderr.as_mut().map(|e| e.read_to_string(&mut err));
            panic!("the binary printed no issuer; stderr: {err}");
        }
        running
    }

    /// Stop the process and return whatever else it printed on stdout.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut rest = String::new();
        if let Some(out) = self.child.stdout.as_mut() {
            let _ = out.read_to_string(&mut rest);
        }
        rest
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn quiet_prints_only_the_issuer_and_the_server_answers_there() {
    let running = Running::spawn(&[]);
    let issuer = running.issuer.clone();
    let url = Url::parse(&issuer).expect("an issuer URL");
    assert_eq!(url.host_str(), Some("127.0.0.1"));
    assert!(url.port().is_some_and(|p| p != 0), "{issuer}");
    let doc = Reply::read(
        http().get(format!("{issuer}/.well-known/oauth-authorization-server")).send().await.unwrap(),
    )
    .await;
    assert_eq!(doc.json["issuer"], issuer);
    assert_eq!(running.stop(), "", "nothing but the issuer line");
}

#[test]
fn the_banner_names_the_issuer_the_discovery_url_the_users_and_the_clients() {
    let mut child = command(&[]).stdout(Stdio::piped()).spawn().expect("starts");
    let mut banner = String::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line.unwrap_or_default();
            banner.push_str(&line);
            banner.push('\n');
            if line.starts_with("Ctrl-C") {
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(banner.contains("issuer     http://127.0.0.1:"), "{banner}");
    assert!(banner.contains("/.well-known/oauth-authorization-server"), "{banner}");
    assert!(banner.contains("alice") && banner.contains("alice-password"), "{banner}");
    assert!(banner.contains("demo-spa") && banner.contains("demo-web-secret"), "{banner}");
    assert!(!banner.contains("FAULTS ON"), "{banner}");
    assert!(
        banner.contains(r#"others answer {"active": false}"#)
            && banner.contains(
                r#"a resource server introspects as conformance-resource-server (secret "rs-secret")"#
            ),
        "the banner says who may introspect other clients' tokens: {banner}"
    );
}

#[test]
fn help_shows_the_common_set_ups() {
    let out = command(&["--help"]).output().expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for setup in ["SPA with PKCE", "Confidential web app", "MCP server", "API checking tokens", "Rust test"] {
        assert!(help.contains(setup), "`{setup}` in {help}");
    }
    assert!(help.contains("conformance-resource-server / rs-secret"), "{help}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_binary_gracefully() {
    let mut running = Running::spawn(&[]);
    let pid = running.child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().expect("kill runs");
    assert!(sent.success());
    // Wait for the exit without a deadline to race; the bound only stops a hung test.
    let mut status = None;
    for _ in 0..500 {
        if let Ok(Some(s)) = running.child.try_wait() {
            status = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let status = status.expect("the binary exits after SIGINT");
    assert!(status.success(), "{status}");
}

#[test]
fn an_unknown_fault_is_refused_with_exit_code_2() {
    let out = command(&["--fault", "no-such-fault"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-fault"));
}

#[test]
fn list_faults_names_every_fault() {
    let out = command(&["--list-faults"]).output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for f in Fault::ALL {
        assert!(text.lines().any(|l| l.starts_with(f.name())), "{} missing", f.name());
    }
}

#[test]
fn list_variants_names_every_variant_with_one_line_each() {
    let out = command(&["--list-variants"]).output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), Variant::ALL.len(), "{text}");
    for v in Variant::ALL {
        let line = text.lines().find(|l| l.split_whitespace().next() == Some(v.name()));
        let line = line.unwrap_or_else(|| panic!("{} missing from:\n{text}", v.name()));
        assert!(line.len() > v.name().len() + 10, "a description follows the name: {line}");
    }
}

#[test]
fn unknown_variants_are_refused_with_the_known_names() {
    let out = command(&["--variant", "no-such-variant"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-variant") && err.contains("login-302"), "{err}");
}

#[test]
fn the_banner_lists_the_variants_given_repeated_or_comma_separated() {
    let args = ["--variant", "login-302,other-paths", "--variant", "no-prompt"];
    let mut child = command(&args).stdout(Stdio::piped()).spawn().expect("starts");
    let mut banner = String::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line.unwrap_or_default();
            banner.push_str(&line);
            banner.push('\n');
            if line.starts_with("Ctrl-C") {
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let line = banner.lines().find(|l| l.starts_with("variants on")).unwrap_or_else(|| panic!("{banner}"));
    for name in ["login-302", "other-paths", "no-prompt"] {
        assert!(line.contains(name), "{line}");
    }
}

#[tokio::test]
async fn jwt_switches_access_tokens_to_rfc_9068() {
    let running = Running::spawn(&["--jwt"]);
    let resp = http()
        .post(format!("{}/token", running.issuer))
        .header("authorization", crate::support::basic("demo-web", "demo-web-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let reply = Reply::read(resp).await;
    reply.assert_tokens();
    assert_eq!(reply.str("access_token").split('.').count(), 3, "{}", reply.text);
}

#[tokio::test]
async fn issuer_sets_the_public_base_url_served_on_the_chosen_port() {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let running = Running::spawn(&["--port", &port.to_string(), "--issuer", "https://auth.example.test/"]);
    assert_eq!(running.issuer, "https://auth.example.test", "no trailing slash in the issuer");
    let url = format!("http://127.0.0.1:{port}/.well-known/oauth-authorization-server");
    let doc = Reply::read(http().get(url).send().await.unwrap()).await;
    assert_eq!(doc.json["issuer"], "https://auth.example.test");
    assert_eq!(doc.json["token_endpoint"], "https://auth.example.test/token");
}

#[tokio::test]
async fn admin_key_fixes_the_key_that_the_admin_api_and_clerk_verification_accept() {
    let running = Running::spawn(&["--admin-key", "sk_test_fixed"]);
    let users = |key: &str| http().get(format!("{}/admin/api/users", running.issuer)).bearer_auth(key).send();
    assert_eq!(users("sk_test_fixed").await.unwrap().status(), reqwest::StatusCode::OK);
    assert_eq!(users("sk_test_other").await.unwrap().status(), reqwest::StatusCode::UNAUTHORIZED);
}

#[test]
fn listing_faults_or_variants_into_a_closed_pipe_exits_quietly() {
    for flag in ["--list-faults", "--list-variants"] {
        // The read end is closed before the binary writes a byte, so every write meets EPIPE.
        let mut child =
            command(&[flag]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{flag}: exit status {:?}, stderr: {stderr}", out.status);
        assert!(stderr.is_empty(), "{flag}: {stderr}");
    }
}

#[test]
fn print_fixtures_shows_what_would_be_served_with_the_files_and_flags_applied() {
    let out = command(&["--print-fixtures"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let web = seed["clients"].as_array().and_then(|all| all.iter().find(|c| c["client_id"] == "demo-web"));
    assert_eq!(web.map(|c| &c["client_secret"]), Some(&serde_json::json!("demo-web-secret")), "{seed:#}");
    assert!(seed["users"].as_array().is_some_and(|u| u.iter().any(|u| u["password"] == "alice-password")));

    let dir = std::env::temp_dir().join(format!("print-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("f.toml");
    std::fs::write(&file, "[[users]]\nusername = \"carol\"\npassword = \"pw\"\n").expect("write");
    let out =
        command(&["--print-fixtures", "--fixtures", file.to_str().expect("utf-8")]).output().expect("runs");
    let _ = std::fs::remove_dir_all(&dir);
    let seed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(
        seed["users"],
        serde_json::json!([{"username": "carol", "password": "pw", "sub": null, "name": null, "email": null}])
    );

    let out = command(&["--print-fixtures", "--fault", "no-such-fault"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
