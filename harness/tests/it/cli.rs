//! The CLI end to end against the bundled fake server, with stable snapshots of each report.

use super::support::{fixture, run, stable};

fn demo_args<'a>(suites: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["run", "--no-builtin", "--suites", suites, "--jobs", "1"];
    args.extend_from_slice(extra);
    args
}

#[test]
fn the_terminal_report_shows_every_outcome_with_its_cause_and_exits_1_on_a_must_failure() {
    let suites = fixture("suites");
    let (code, out, _) = run(&demo_args(suites.to_str().unwrap(), &[]));
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!("terminal_report", stable(&out));
}

#[test]
fn the_json_report_is_versioned_and_carries_masked_exchanges() {
    let suites = fixture("suites");
    let (code, out, _) = run(&demo_args(suites.to_str().unwrap(), &["--format", "json"]));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["schema_version"], 1);
    let flow = v["results"].as_array().unwrap().iter().find(|r| r["id"] == "DEMO-05").unwrap();
    let exchanges = serde_json::to_string(&flow["steps"]).unwrap();
    assert!(exchanges.contains("[masked]"), "secrets are masked");
    assert!(!exchanges.contains("s3cr:t"), "the client secret never appears");
    assert!(!exchanges.contains("oat_"), "access tokens never appear");
    let mut summary = v.clone();
    for r in summary["results"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("steps");
    }
    insta::assert_snapshot!(
        "json_report_without_exchanges",
        stable(&serde_json::to_string_pretty(&summary).unwrap())
    );
}

#[test]
fn junit_has_one_testcase_per_scenario_with_failure_skipped_and_no_failure_for_warnings() {
    let suites = fixture("suites");
    let (_, out, _) = run(&demo_args(suites.to_str().unwrap(), &["--format", "junit"]));
    insta::assert_snapshot!("junit_report", stable(&out));
}

#[test]
fn markdown_puts_problems_first_with_the_exchange_that_proves_them() {
    let suites = fixture("suites");
    let (_, out, _) = run(&demo_args(suites.to_str().unwrap(), &["--format", "markdown"]));
    let problems = out.find("## Problems").expect("a problems section");
    let all = out.find("## All scenarios").expect("a full table");
    assert!(problems < all);
    assert!(out.contains("<details><summary>Exchange of step `d`</summary>"));
    insta::assert_snapshot!("markdown_report", stable(&out));
}

#[test]
fn fail_on_should_turns_a_should_failure_into_a_run_failure() {
    let suites = fixture("suites");
    let (code_must, out_must, _) = run(&demo_args(suites.to_str().unwrap(), &["--only", "DEMO-03"]));
    assert_eq!(code_must, 0, "a SHOULD failure is a warning by default: {out_must}");
    assert!(out_must.contains("WARN"));
    let (code_should, _, _) =
        run(&demo_args(suites.to_str().unwrap(), &["--only", "DEMO-03", "--fail-on", "should"]));
    assert_eq!(code_should, 1);
}

#[test]
fn a_fault_in_the_bundled_server_makes_the_scenarios_that_test_it_fail() {
    let suites = fixture("suites");
    let s = suites.to_str().unwrap();
    let (clean, out, _) = run(&demo_args(s, &["--only", "DEMO-01,DEMO-05"]));
    assert_eq!(clean, 0, "{out}");
    let (code, out, _) = run(&demo_args(s, &["--only", "DEMO-01,DEMO-05", "--fault", "delayed-revocation"]));
    assert_eq!(code, 1);
    assert!(out.contains("FAIL  DEMO-05"), "{out}");
    assert!(out.contains("PASS  DEMO-01"), "{out}");
}

#[test]
fn the_builtin_suites_pass_against_the_bundled_server() {
    let (code, out, err) = run(&["run"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("PASSED"));
}

#[test]
fn a_baseline_hides_known_failures_and_flags_entries_that_pass_now() {
    let dir = std::env::temp_dir().join(format!("oc-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("baseline.toml");
    std::fs::write(&file, "[[expected]]\nid = \"DEMO-02\"\nreason = \"demo\"\n").unwrap();
    let suites = fixture("suites");
    let s = suites.to_str().unwrap();
    let (code, out, _) =
        run(&demo_args(s, &["--only", "DEMO-01,DEMO-02", "--baseline", file.to_str().unwrap()]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("KNOWN DEMO-02"), "{out}");
    std::fs::write(&file, "[[expected]]\nid = \"DEMO-01\"\nreason = \"was broken\"\n").unwrap();
    let (code, out, _) = run(&demo_args(s, &["--only", "DEMO-01", "--baseline", file.to_str().unwrap()]));
    assert_eq!(code, 1, "a stale entry fails the run: {out}");
    assert!(out.contains("STALE"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_stable_report_is_identical_on_every_run_and_holds_no_times_exchanges_or_ports() {
    let suites = fixture("suites");
    let args = demo_args(suites.to_str().unwrap(), &["--stable", "--format", "json"]);
    let (code, first, _) = run(&args);
    let (_, second, _) = run(&args);
    assert_eq!(code, 1, "--stable changes what is written, not the verdict: {first}");
    assert_eq!(first, second, "two runs, each against a fake server on its own port");
    let v: serde_json::Value = serde_json::from_str(&first).expect("valid JSON");
    assert_eq!(
        (v["stable"].clone(), v["started_at"].clone()),
        (serde_json::json!(true), serde_json::json!(0))
    );
    assert_eq!(v["target"]["issuer"], "http://127.0.0.1:[port]");
    let results = v["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["steps"] == serde_json::json!([]) && r["duration_ms"] == 0));
    assert!(results.iter().all(|r| r.get("source").is_none() && r.get("explain").is_none()));
    let demo = results.iter().find(|r| r["id"] == "DEMO-02").unwrap();
    assert_eq!(demo["failures"][0]["actual"], "\"{issuer}\"", "the issuer in a failure text");
    assert!(demo["failures"][0].get("line").is_none());
    let (_, md, _) = run(&demo_args(suites.to_str().unwrap(), &["--stable", "--format", "markdown"]));
    assert!(!md.contains("<details>") && !md.contains(".toml:"), "no exchanges, no source lines: {md}");
}

#[test]
fn a_baseline_may_record_a_skip_and_fails_the_run_when_the_scenario_comes_out_otherwise() {
    let dir = std::env::temp_dir().join(format!("oc-baseline-skip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("baseline.toml");
    let suites = fixture("suites");
    let s = suites.to_str().unwrap();
    std::fs::write(&file, "[[expected]]\nid = \"DEMO-04\"\noutcome = \"skip\"\nreason = \"nobody has it\"\n")
        .unwrap();
    let args = ["--only", "DEMO-04", "--baseline", file.to_str().unwrap(), "--format", "markdown"];
    let (code, out, _) = run(&demo_args(s, &args));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("## Known outcomes (baseline)") && out.contains("| skip | nobody has it |"),
        "{out}"
    );
    std::fs::write(&file, "[[expected]]\nid = \"DEMO-01\"\noutcome = \"skip\"\nreason = \"was skipped\"\n")
        .unwrap();
    let (code, out, _) = run(&demo_args(s, &["--only", "DEMO-01", "--baseline", file.to_str().unwrap()]));
    assert_eq!(code, 1, "a skip recorded for a scenario that now runs: {out}");
    assert!(out.contains("STALE") && out.contains("passes now"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn report_dir_gets_every_format() {
    let dir = std::env::temp_dir().join(format!("oc-reports-{}", std::process::id()));
    let suites = fixture("suites");
    let (_, _, _) = run(&demo_args(suites.to_str().unwrap(), &["--report-dir", dir.to_str().unwrap()]));
    for name in ["terminal.txt", "report.json", "junit.xml", "report.md", "report.html", "report.sarif"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(text.len() > 100, "{name} is written");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("data-verdict=\"FAIL\"") && !html.contains("<script src"),
        "self-contained and filterable"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn errors_in_scenario_files_name_file_and_line_and_nothing_runs() {
    let broken = fixture("broken");
    let (code, out, err) = run(&["run", "--no-builtin", "--suites", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "nothing ran: {out}");
    assert!(err.contains("unknown step kind `tokn`"), "{err}");
    assert!(err.contains("bad.toml:8"), "{err}");
    assert!(!err.contains("has no steps"), "no second error for the same step: {err}");
    assert!(err.contains("refers to `nothing`"), "{err}");
    assert!(err.contains("help:"), "{err}");
}

#[test]
fn list_and_explain_describe_scenarios_and_their_faults() {
    let (code, out, _) = run(&["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("REV-09") && out.contains("killed by: delayed-revocation"), "{out}");
    let level_columns: std::collections::BTreeSet<usize> = out
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.ends_with(" scenarios"))
        .filter_map(|l| [" MUST ", " SHOULD ", " MAY "].iter().filter_map(|k| l.find(k)).min())
        .collect();
    assert_eq!(level_columns.len(), 1, "levels in one column, long IDs included: {level_columns:?}");
    let (code, out, _) = run(&["explain", "REV-09"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("RFC 7009") && out.contains("revoke") && out.contains("What a failure usually means"),
        "{out}"
    );
    assert!(!out.contains("ops=") && !out.contains("pointer="), "no matcher internals: {out}");
    let (code, _, err) = run(&["explain", "NOPE-1"]);
    assert_eq!(code, 2);
    assert!(err.contains("no scenario `NOPE-1`"));
}

#[test]
fn usage_errors_exit_2_with_a_one_line_cause() {
    let (code, _, err) = run(&["run", "--issuer", "not a url"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an absolute URL"), "{err}");
    let (code, _, err) = run(&["run", "--fault", "no-such-fault"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown fault"), "{err}");
    let (code, _, err) = run(&["run", "--issuer", "http://127.0.0.1:9", "--fault", "no-iss"]);
    assert_eq!(code, 2);
    assert!(err.contains("only to the bundled fake server"), "{err}");
}

#[test]
fn a_bare_issuer_with_open_registration_gives_no_failure_or_error_and_says_why_it_skips() {
    // A server of its own, reached like any other: the harness registers the clients it needs
    // and has no test user.
    let server = fake_server::FakeServer::start_blocking();
    let (code, out, err) = run(&["run", "--issuer", server.issuer(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let results = v["results"].as_array().unwrap();
    let with = |outcome: &str| results.iter().filter(|r| r["outcome"] == outcome).collect::<Vec<_>>();
    let broken: Vec<String> = with("fail")
        .into_iter()
        .chain(with("error"))
        .map(|r| format!("{} {}: {}", r["id"], r["outcome"], r["reason"]))
        .collect();
    assert!(broken.is_empty(), "{broken:#?}");
    assert!(with("pass").len() > 100, "client-credentials, discovery and error checks run");
    let login_needed = with("skip")
        .into_iter()
        .filter(|r| r["reason"].as_str().unwrap_or("").contains("no test user"))
        .count();
    assert!(login_needed > 50, "flows that need a user are skipped with that reason");
}

#[test]
fn a_reader_that_closes_the_pipe_early_ends_the_listing_quietly() {
    // The read end is closed before the binary writes a byte, so every write meets EPIPE.
    let mut child = crate::support::bin()
        .arg("list")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn oauth-conformance");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit status {:?}, stderr: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_score_card_judges_a_revision_the_run_does_not_follow_with_that_revision_s_scenarios() {
    // PRM-09 holds for MCP 2025-06-18 only: the run for the newest revision skips it by its
    // gate, and the card runs it under 2025-06-18's rules.
    let card = |extra: &[&str]| {
        let mut args = vec!["run", "--only", "PRM-09", "--format", "json"];
        args.extend_from_slice(extra);
        let (_, out, _) = run(&args);
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        let main = v["results"].as_array().unwrap().iter().find(|r| r["id"] == "PRM-09").unwrap().clone();
        (main, v["score_card"].clone())
    };
    let (main, score) = card(&[]);
    assert_eq!(main["outcome"], "skip", "{main}");
    let row = |rev: &str| score.as_array().unwrap().iter().find(|r| r["revision"] == rev).unwrap().clone();
    assert_eq!(row("MCP 2025-06-18")["must"], serde_json::json!({"passed": 1, "judged": 1, "declared": 1}));
    assert_eq!(row("MCP 2026-07-28")["selected"], true);
    assert_eq!(row("MCP 2026-07-28")["must"]["declared"], 0, "PRM-09 is no requirement there");
    // Under the fault that kills it, the older revision's requirement is judged and not passed.
    let (_, score) = card(&["--fault", "mcp-no-www-authenticate"]);
    let old = score.as_array().unwrap().iter().find(|r| r["revision"] == "MCP 2025-06-18").unwrap();
    assert_eq!(old["must"], serde_json::json!({"passed": 0, "judged": 1, "declared": 1}));
    // The terminal report opens with the card.
    let (_, text, _) = run(&["run", "--only", "PRM-09"]);
    let card_at = text.find("Score card").expect("a score card");
    assert!(card_at < text.find("MCP\n").unwrap_or(usize::MAX), "{text}");
    assert!(text.contains("MCP 2026-07-28 *"), "{text}");
}

#[test]
fn list_and_explain_include_the_client_scenarios_with_the_flawed_clients_faults() {
    let (code, out, _) = run(&["list", "--only", "CLI-01"]);
    assert_eq!(code, 0);
    assert!(out.contains("CLI-01") && out.contains("killed by: no-pkce, plain-pkce"), "{out}");
    let (code, out, _) = run(&["explain", "CLI-02"]);
    assert_eq!(code, 0);
    assert!(out.contains("run the client under test") && out.contains("flawed client's faults"), "{out}");
}
