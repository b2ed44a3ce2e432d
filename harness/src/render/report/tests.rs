//! The reports agree with each other on what they count, and lead with the problems.

use super::*;
use crate::model::level::Level;
use crate::model::outcome::{BaselineMark, Failure, Target};

fn result(id: &str, level: Level, outcome: Outcome) -> ScenarioResult {
    ScenarioResult {
        id: id.into(),
        title: format!("title of {id}"),
        level,
        spec: "RFC 6749 §5.2".into(),
        area: "Token endpoint".into(),
        also: Vec::new(),
        outcome,
        reason: matches!(outcome, Outcome::Skip | Outcome::Error).then(|| "why not".to_string()),
        failures: match outcome {
            Outcome::Fail => vec![Failure {
                step: "t".into(),
                check: "status".into(),
                expected: "status 400".into(),
                actual: "status 200".into(),
                message: None,
                line: 7,
            }],
            _ => Vec::new(),
        },
        steps: Vec::new(),
        explain: Some("The server accepts what it must refuse.".into()),
        baseline: None,
        source: "suites/30-token.toml:12".into(),
        attachments: Vec::new(),
        revisions: Vec::new(),
        raw_steps: Vec::new(),
        duration_ms: 1,
    }
}

/// Thirty passes before any problem, and one of every other verdict.
pub(super) fn mixed_report(embedded: bool) -> RunReport {
    let mut results: Vec<ScenarioResult> =
        (1..=30).map(|i| result(&format!("PASS-{i:02}"), Level::Must, Outcome::Pass)).collect();
    results.push(result("AUTHZ-03.empty-redirect-uri", Level::Must, Outcome::Fail));
    results.push(result("TOKEN-02", Level::Must, Outcome::Fail));
    results.push(result("TOKEN-03", Level::Should, Outcome::Fail));
    let mut known = result("TOKEN-04", Level::Must, Outcome::Fail);
    known.baseline = Some(BaselineMark { reason: "known".into(), outcome: Outcome::Fail, stale: false });
    results.push(known);
    let mut stale = result("TOKEN-05", Level::Must, Outcome::Pass);
    stale.baseline = Some(BaselineMark { reason: "was broken".into(), outcome: Outcome::Fail, stale: true });
    results.push(stale);
    results.push(result("TOKEN-06", Level::May, Outcome::Error));
    results.push(result("TOKEN-07", Level::Must, Outcome::Skip));
    let target = Target {
        issuer: "http://127.0.0.1:1".into(),
        embedded,
        profile: None,
        mcp_version: "2026-07-28".into(),
        client_run: false,
        faults: Vec::new(),
        variants: Vec::new(),
        discovery_error: None,
        idp: None,
    };
    RunReport::new(target, Level::Must, 0, 5, results)
}

#[test]
fn the_header_counts_and_the_html_filter_buttons_agree() {
    let report = mixed_report(true);
    let html = html::render(&report);
    let summary = summary_line(&report);
    assert!(html.contains(&html::esc(&summary)), "the header shows the summary line");
    let buttons = regex::Regex::new(r#"data-f="([A-Z]+)">([^<(]+) \((\d+)\)</button>"#).unwrap();
    let mut seen = 0;
    for c in buttons.captures_iter(&html) {
        let (label, n) = (c[2].to_lowercase(), &c[3]);
        assert!(summary.contains(&format!("{n} {label}")), "button `{label} ({n})` vs `{summary}`");
        seen += 1;
    }
    assert_eq!(seen, 7, "one button per verdict present: {html}");
    assert!(
        summary.starts_with("37 scenarios: 2 failed, 1 stale baseline entries, 1 errors, 1 warnings"),
        "{summary}"
    );
    assert!(summary.contains("1 known failures (baseline), 1 skipped, 30 passed"), "{summary}");
}

#[test]
fn the_terminal_report_lists_problems_before_the_passes_in_aligned_columns() {
    let report = mixed_report(true);
    let out = terminal::render(&report, Style::plain());
    let problems = out.find("\nProblems\n").expect("a problems section");
    let first_pass = out.find("PASS  PASS-01").expect("the passes are listed");
    for id in ["AUTHZ-03.empty-redirect-uri", "TOKEN-02", "TOKEN-05", "TOKEN-06", "TOKEN-03"] {
        let at = out.find(&format!(" {id} ")).unwrap_or_else(|| panic!("{id} in {out}"));
        assert!(problems < at && at < first_pass, "{id} comes before the passes: {out}");
    }
    let order: Vec<usize> = ["FAIL  AUTHZ", "STALE TOKEN-05", "ERROR TOKEN-06", "WARN  TOKEN-03"]
        .iter()
        .map(|w| out.find(w).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "failures, stale, errors, warnings: {out}");
    // Every row's level starts in the same column, the longest ID included.
    let columns: Vec<usize> = out
        .lines()
        .filter(|l| {
            l.starts_with("  ") && (l.contains(" MUST ") || l.contains(" SHOULD ") || l.contains(" MAY "))
        })
        .map(|l| l.find(" MUST ").or_else(|| l.find(" SHOULD ")).or_else(|| l.find(" MAY ")).unwrap())
        .collect();
    assert_eq!(columns.len(), 37, "{out}");
    assert!(columns.iter().all(|c| *c == columns[0]), "{columns:?}\n{out}");
    assert_eq!(out.matches(" TOKEN-02 ").count(), 1, "a problem is not listed twice: {out}");
}

#[test]
fn the_closing_line_says_what_to_do_next() {
    let report = mixed_report(true);
    // The report again, with only the results `keep` keeps.
    let only = |r: &RunReport, keep: &dyn Fn(&ScenarioResult) -> bool| {
        let results = r.results.iter().filter(|x| keep(x)).cloned().collect();
        RunReport::new(r.target.clone(), r.fail_on, 0, 5, results)
    };
    let last = |r: &RunReport| terminal::render(r, Style::plain()).lines().last().unwrap_or("").to_string();
    assert!(last(&report).contains("stale entries in the --baseline file"), "{}", last(&report));
    let report = only(&report, &|r| r.id != "TOKEN-05");
    assert!(last(&report).contains("record the ones you accept in a --baseline file"), "{}", last(&report));
    let report = only(&report, &|r| r.outcome != Outcome::Fail);
    assert!(last(&report).contains("--only ID"), "{}", last(&report));
    let mut report = only(&report, &|r| r.outcome != Outcome::Error);
    assert_eq!(last(&report), "next: --issuer URL to test your server");
    let mut client_run = report.clone();
    client_run.target.client_run = true;
    assert!(!last(&client_run).contains("--issuer"), "a client run tested no server: {}", last(&client_run));
    assert!(client_run.results.iter().any(|r| r.outcome == Outcome::Skip));
    assert!(
        last(&client_run).contains("what the client did not do"),
        "no profile to complete: {}",
        last(&client_run)
    );
    report.target.embedded = false;
    assert!(last(&report).contains("add a profile (--profile FILE)"), "{}", last(&report));
    let report = only(&report, &|r| r.outcome == Outcome::Pass);
    assert!(last(&report).starts_with("PASSED"), "nothing to add when all pass: {}", last(&report));
}

#[test]
fn every_format_opens_with_the_score_card_and_names_what_was_not_judged() {
    let mut report = mixed_report(true);
    let mut counted: Vec<ScenarioResult> = report.results.clone();
    for r in &mut counted {
        r.revisions = vec!["2025-06-18".into(), "2026-07-28".into()];
    }
    let refs: Vec<&ScenarioResult> = counted.iter().collect();
    report.score_card = crate::model::score::score(&["2025-06-18", "2026-07-28"], "2026-07-28", &refs);
    // 33 MUST rows: 31 passes (TOKEN-05 among them), the failures AUTHZ-03, TOKEN-02, TOKEN-04,
    // and TOKEN-07 skipped; one SHOULD row, failed.
    let rows = score_rows(&report);
    assert_eq!(
        rows[1],
        ["MCP 2026-07-28 *".to_string(), "31/34/35".into(), "0/1/1".into(), "1 × why not".into()]
    );
    let text = terminal(&report, Style { color: false });
    let card = text.find("Score card").expect("the terminal card");
    assert!(card < text.find("Problems").unwrap(), "before the problems");
    assert!(
        text.contains("MCP 2026-07-28 *  MUST 31/34/35") && text.contains("not judged: 1 × why not"),
        "{text}"
    );
    let md = markdown(&report);
    assert!(md.contains("| MCP 2026-07-28 * | 31/34/35 | 0/1/1 | 1 × why not |"), "{md}");
    assert!(md.find("| MCP revision |").unwrap() < md.find("## Problems").unwrap());
    let page = html(&report);
    assert!(page.contains("<tr><td>MCP 2025-06-18</td><td>31/34/35</td>"), "{page}");
    let json: serde_json::Value = serde_json::from_str(&json(&report)).unwrap();
    assert_eq!(
        json["score_card"][1]["must"],
        serde_json::json!({"passed": 31, "judged": 34, "declared": 35})
    );
    assert_eq!(json["score_card"][1]["not_judged"][0]["reason"], "why not");
}
