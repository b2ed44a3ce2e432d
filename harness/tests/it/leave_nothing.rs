//! Runs against a server that outlives them: snapshots do not depend on the server's port,
//! its random values or what earlier runs did to it; a run removes the clients it registered
//! and revokes its tokens; SIGINT and SIGTERM end a run quickly, cleaned up, with partial
//! reports marked incomplete.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fake_server::FakeServer;

use super::support::{bin, run};

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("oc-leave-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// How many clients the server holds, by its admin API.
fn client_count(server: &FakeServer) -> u64 {
    harness::install_crypto_provider();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let body: serde_json::Value = reqwest::Client::new()
            .get(server.url("/admin/api/applications"))
            .bearer_auth(server.admin_key())
            .send()
            .await
            .expect("the admin API answers")
            .json()
            .await
            .expect("a JSON list");
        body["total_count"].as_u64().expect("total_count")
    })
}

/// The bundled server's profile without the scenario that sleeps ten seconds against a
/// server whose clock the harness cannot move.
fn profile_file(dir: &Path) -> PathBuf {
    let (_, text) = harness::engine::profile::BUILTIN_PROFILES
        .iter()
        .find(|(n, _)| *n == "fake-server")
        .expect("built-in profile");
    let path = dir.join("profile.toml");
    std::fs::write(&path, format!("skip = [\"TOK-29.rotation\"]\n{text}")).unwrap();
    path
}

fn read_dir(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn snapshots_do_not_depend_on_port_random_values_or_earlier_runs() {
    let dir = temp("snap");
    let profile = profile_file(&dir);
    let profile = profile.to_str().unwrap();
    let (fresh, used) = (FakeServer::start_blocking(), FakeServer::start_blocking());
    assert_ne!(fresh.issuer(), used.issuer());
    for _ in 0..3 {
        let (code, out, err) = run(&["run", "--issuer", used.issuer(), "--profile", profile]);
        assert_eq!(code, 0, "{out}{err}");
    }
    for (label, extra) in [("profile", vec!["--profile", profile]), ("bare", vec![])] {
        let mut dirs = Vec::new();
        for server in [&fresh, &used] {
            let d = dir.join(format!("{label}-{}", server.addr().port()));
            let mut args = vec!["snapshot", "--issuer", server.issuer(), "--dir", d.to_str().unwrap()];
            args.extend(&extra);
            let (code, out, err) = run(&args);
            assert_eq!(code, 0, "{out}{err}");
            dirs.push(read_dir(&d));
        }
        assert_eq!(dirs[0].len(), dirs[1].len());
        for (a, b) in dirs[0].iter().zip(&dirs[1]) {
            assert_eq!(
                a, b,
                "{label}: {} differs between a fresh server and one that served three runs",
                a.0
            );
        }
        let all: String = dirs[0].iter().map(|(_, t)| t.as_str()).collect();
        assert!(all.contains("«client_id: "), "registered client ids become placeholders");
        assert!(!all.contains("dyn_"), "no registered client id is left anywhere");
    }
    let (code, out, _) = run(&[
        "diff",
        "--issuer",
        used.issuer(),
        "--profile",
        profile,
        "--dir",
        dir.join(format!("profile-{}", fresh.addr().port())).to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_run_removes_the_clients_it_registered_unless_told_to_keep_them() {
    let server = FakeServer::start_blocking();
    let before = client_count(&server);
    let (code, out, err) = run(&["run", "--issuer", server.issuer()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(client_count(&server), before, "{out}");
    let line = out.lines().find(|l| l.starts_with("clean-up: ")).expect("a clean-up line");
    let n: usize = line["clean-up: ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(n > 20 && line.contains(&format!("{n} of {n} registered clients removed")), "{line}");
    assert!(line.contains("tokens revoked"), "{line}");

    let (code, out, _) = run(&["run", "--issuer", server.issuer(), "--keep-clients", "--only", "DISC-"]);
    assert_eq!(code, 0, "{out}");
    let kept = client_count(&server) - before;
    assert!(
        kept > 0 && out.contains(&format!("clean-up: {kept} registered clients kept (--keep-clients)")),
        "{out}"
    );
}

#[test]
fn sigint_and_sigterm_end_a_run_within_seconds_cleaned_up_with_an_incomplete_report() {
    let server = FakeServer::start_blocking();
    let dir = temp("signal");
    // A user, and the two clients TOK-29.rotation needs: the harness registers the rest, and
    // that scenario then sleeps ten seconds, since this server's clock cannot be moved.
    let (_, text) =
        harness::engine::profile::BUILTIN_PROFILES.iter().find(|(n, _)| *n == "fake-server").unwrap();
    let keep: Vec<&str> = text
        .split("\n[")
        .filter(|t| t.starts_with("user]") || t.starts_with("clients.spa]") || t.starts_with("clients.rs]"))
        .collect();
    let profile = dir.join("profile.toml");
    std::fs::write(&profile, format!("interaction = \"fake-server\"\n[{}", keep.join("\n["))).unwrap();
    let before = client_count(&server);
    for signal in ["INT", "TERM"] {
        let reports = dir.join(signal);
        let mut child = bin()
            .args(["run", "--issuer", server.issuer(), "--profile", profile.to_str().unwrap()])
            .args([
                "--only",
                "TOK-29.rotation,DISC-01",
                "--jobs",
                "1",
                "--report-dir",
                reports.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start oauth-conformance");
        let waited = Instant::now();
        while client_count(&server) == before {
            assert!(waited.elapsed() < Duration::from_secs(20), "the run registered no client");
            std::thread::sleep(Duration::from_millis(50));
        }
        // Inside the scenario's wait.
        std::thread::sleep(Duration::from_millis(1500));
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status();
        assert!(status.unwrap().success());
        let sent = Instant::now();
        let out = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(sent.elapsed() < Duration::from_secs(5), "SIG{signal} did not end the run");
            std::thread::sleep(Duration::from_millis(20));
        };
        let output = child.wait_with_output().unwrap();
        let (stdout, stderr) =
            (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert_eq!(out.code(), Some(130), "{stdout}{stderr}");
        assert!(stderr.contains(&format!("interrupted by SIG{signal}")), "{stderr}");
        assert!(stdout.contains("INCOMPLETE: interrupted by") && stdout.contains("INTERRUPTED"), "{stdout}");
        assert_eq!(client_count(&server), before, "the interrupted run removed its clients:\n{stdout}");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).unwrap()).unwrap();
        assert_eq!(json["incomplete"]["not_run"], serde_json::json!(["TOK-29.rotation"]), "{json}");
        assert_eq!(json["results"][0]["id"], "DISC-01", "what finished is reported");
        assert!(json["cleanup"]["registered"].as_u64().unwrap() > 0);
    }
    let _ = std::fs::remove_dir_all(dir);
}
