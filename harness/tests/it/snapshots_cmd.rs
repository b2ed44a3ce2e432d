//! `snapshot`, `diff` and `compare` through the real CLI: repeated runs show no drift, and
//! deliberate changes of the server (a changed value, a removed header, a removed field, a new
//! error code) are reported.

use super::support::{fixture, run};

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("oc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn args<'a>(cmd: &'a str, suites: &'a str, dir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![cmd, "--no-builtin", "--suites", suites, "--dir", dir];
    v.extend_from_slice(extra);
    v
}

#[test]
fn twenty_reruns_against_an_unchanged_server_show_no_drift() {
    let dir = temp("stable");
    let suites = fixture("snapshot-suite");
    let (s, d) = (suites.to_str().unwrap(), dir.to_str().unwrap());
    let (code, out, err) = run(&args("snapshot", s, d, &[]));
    assert_eq!(code, 0, "{out}{err}");
    for i in 0..20 {
        let (code, out, _) = run(&args("diff", s, d, &[]));
        assert_eq!(code, 0, "run {i} drifted:\n{out}");
        assert!(out.contains("no drift"));
    }
    let text = std::fs::read_to_string(dir.join("SNAP-02.snap")).unwrap();
    assert!(text.contains("«access_token: base64url 33-64»"), "tokens become typed placeholders:\n{text}");
    assert!(!text.contains("127.0.0.1:"), "ports are normalized away:\n{text}");
    let _ = std::fs::remove_dir_all(dir);
}

fn drift_under(fault: &str) -> (i32, String) {
    let dir = temp(fault);
    let suites = fixture("snapshot-suite");
    let (s, d) = (suites.to_str().unwrap(), dir.to_str().unwrap());
    assert_eq!(run(&args("snapshot", s, d, &[])).0, 0);
    let (code, out, _) = run(&args("diff", s, d, &["--fault", fault, "--color", "never"]));
    let _ = std::fs::remove_dir_all(dir);
    (code, out)
}

#[test]
fn a_changed_field_value_is_reported() {
    let (code, out) = drift_under("wrong-token-type");
    assert_eq!(code, 1);
    assert!(
        out.contains("changed SNAP-02")
            && out.contains("-   \"token_type\": \"Bearer\"")
            && out.contains("+   \"token_type\": \"mac\""),
        "{out}"
    );
}

#[test]
fn a_removed_header_is_reported() {
    let (code, out) = drift_under("no-cache-control");
    assert_eq!(code, 1);
    assert!(out.contains("    - cache-control: no-store"), "{out}");
}

#[test]
fn a_removed_field_is_reported() {
    let (code, out) = drift_under("omit-scope-in-response");
    assert_eq!(code, 1);
    assert!(out.contains("-   \"scope\": \"openid profile\""), "{out}");
}

#[test]
fn a_new_error_code_is_reported() {
    let (code, out) = drift_under("wrong-unsupported-grant-error");
    assert_eq!(code, 1);
    assert!(out.contains("changed SNAP-03"), "{out}");
    assert!(
        out.contains("+   \"error\": \"invalid_request\"")
            && out.contains("-   \"error\": \"unsupported_grant_type\""),
        "{out}"
    );
}

#[test]
fn update_accepts_the_new_behaviour() {
    let dir = temp("update");
    let suites = fixture("snapshot-suite");
    let (s, d) = (suites.to_str().unwrap(), dir.to_str().unwrap());
    assert_eq!(run(&args("snapshot", s, d, &[])).0, 0);
    assert_eq!(run(&args("diff", s, d, &["--fault", "wrong-token-type", "--update"])).0, 0);
    let (code, out, _) = run(&args("diff", s, d, &["--fault", "wrong-token-type"]));
    assert_eq!(code, 0, "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn compare_lists_newly_failing_scenarios_and_exits_1() {
    let dir = temp("compare");
    std::fs::create_dir_all(&dir).unwrap();
    let suites = fixture("suites");
    let s = suites.to_str().unwrap();
    let before = dir.join("before.json");
    let after = dir.join("after.json");
    let report = |extra: &[&str]| {
        let mut a = vec!["run", "--no-builtin", "--suites", s, "--format", "json"];
        a.extend_from_slice(extra);
        run(&a).1
    };
    std::fs::write(&before, report(&[])).unwrap();
    std::fs::write(&after, report(&["--fault", "delayed-revocation"])).unwrap();
    let (code, out, _) =
        run(&["compare", before.to_str().unwrap(), after.to_str().unwrap(), "--color", "never"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Newly failing (1)") && out.contains("DEMO-05") && out.contains("pass → fail"),
        "{out}"
    );
    let (code, out, _) =
        run(&["compare", after.to_str().unwrap(), before.to_str().unwrap(), "--color", "never"]);
    assert_eq!(code, 0);
    assert!(out.contains("Newly passing (1)"), "{out}");
    let (code, _, err) = run(&["compare", before.to_str().unwrap(), "/nonexistent.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
