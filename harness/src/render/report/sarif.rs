//! SARIF 2.1.0 for code-scanning dashboards: one rule per scenario (its requirement, section
//! and advice), one result per failed scenario at the level its requirement has (MUST an
//! error, SHOULD a warning, MAY a note), located at the expectation in the scenario file.
//!
//! Known failures (the baseline) are results with an external suppression; scenarios that
//! could not be judged are results of kind `open`, which SARIF gives level `none`. Passes,
//! skips and stale baseline entries are not findings about the server and are left out.

use serde_json::{Value, json};

use super::{cause, verdict};
use crate::model::level::Level;
use crate::model::outcome::{Outcome, RunReport, ScenarioResult};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF level of a requirement's failure.
fn level_of(level: Level) -> &'static str {
    match level {
        Level::Must => "error",
        Level::Should => "warning",
        Level::May => "note",
    }
}

/// A rule name in the PascalCase SARIF suggests, from the title's words.
fn rule_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(10)
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn rule(r: &ScenarioResult) -> Value {
    let mut help = format!("{} requirement: {}\nSpecification: {}\n", r.level, r.title, r.spec);
    if let Some(e) = &r.explain {
        help.push_str(&format!("\nWhat a failure usually means: {e}\n"));
    }
    help.push_str(&format!("\n`oauth-conformance explain {}` shows the steps and expectations.", r.id));
    json!({
        "id": r.id,
        "name": rule_name(&r.title),
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": format!("{} ({})", r.title, r.spec) },
        "help": { "text": help },
        "defaultConfiguration": { "level": level_of(r.level) },
        "properties": {
            "level": r.level.as_str(),
            "area": r.area,
            "spec": r.spec,
            "tags": ["oauth", r.area, r.level.as_str()],
        },
    })
}

/// A `file:line` source as a SARIF physical location; none when the report has no sources
/// (a stable report).
fn location(source: &str, line: usize) -> Option<Value> {
    let (file, at) = source.rsplit_once(':')?;
    let line = if line > 0 { line } else { at.parse().ok()? };
    let uri =
        if file.starts_with('/') { format!("file://{}", file.replace(' ', "%20")) } else { file.to_string() };
    Some(json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri },
            "region": { "startLine": line },
        }
    }))
}

/// What was expected and what the server did, in one message.
fn message(r: &ScenarioResult) -> String {
    let mut parts: Vec<String> = r
        .failures
        .iter()
        .map(|f| {
            let what = f.message.clone().unwrap_or_else(|| format!("{} of step `{}`", f.check, f.step));
            format!("{what}: expected {}, actual {}", f.expected, f.actual)
        })
        .collect();
    if parts.is_empty() {
        parts.push(cause(r));
    }
    format!("{} [{}]: {}", r.title, r.level, parts.join("; "))
}

fn result(r: &ScenarioResult, index: usize, report: &RunReport) -> Option<Value> {
    let mut out = json!({
        "ruleId": r.id,
        "ruleIndex": index,
        "message": { "text": message(r) },
        "properties": { "verdict": verdict(r, report), "area": r.area },
    });
    match r.outcome {
        Outcome::Fail => {
            out["kind"] = json!("fail");
            out["level"] = json!(level_of(r.level));
        }
        Outcome::Error => {
            out["kind"] = json!("open");
            out["level"] = json!("none");
        }
        Outcome::Skip | Outcome::Pass => return None,
    }
    let line = r.failures.first().map_or(0, |f| f.line);
    if let Some(l) = location(&r.source, line) {
        out["locations"] = json!([l]);
    }
    if let Some(b) = r.baseline.as_ref().filter(|b| !b.stale && r.outcome == Outcome::Fail) {
        out["suppressions"] = json!([{ "kind": "external", "justification": b.reason }]);
    }
    Some(out)
}

pub fn render(report: &RunReport) -> String {
    let rules: Vec<Value> = report.results.iter().map(rule).collect();
    let results: Vec<Value> =
        report.results.iter().enumerate().filter_map(|(i, r)| result(r, i, report)).collect();
    let mut invocation = json!({ "executionSuccessful": report.incomplete.is_none() });
    if let Some(e) = &report.target.discovery_error {
        invocation["toolExecutionNotifications"] =
            json!([{ "level": "error", "message": { "text": format!("discovery failed: {e}") } }]);
    }
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "oauth-conformance",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "invocations": [invocation],
            "results": results,
            "properties": {
                "issuer": report.target.issuer,
                "failOn": report.fail_on.as_str(),
                "summary": super::summary_line(report),
            },
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_become_results_at_their_requirement_level_with_the_expectation_and_its_line() {
        let report = super::super::tests::mixed_report(false);
        let doc: Value = serde_json::from_str(&render(&report)).unwrap();
        let run = &doc["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), report.results.len());
        let results = run["results"].as_array().unwrap();
        let by_id = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap_or_else(|| panic!("{id}"));
        assert_eq!(by_id("TOKEN-02")["level"], "error");
        assert_eq!(by_id("TOKEN-03")["level"], "warning");
        assert_eq!(by_id("TOKEN-06")["kind"], "open");
        assert_eq!(by_id("TOKEN-04")["suppressions"][0]["justification"], "known");
        let text = by_id("TOKEN-02")["message"]["text"].as_str().unwrap();
        assert!(text.contains("expected status 400, actual status 200"), "{text}");
        let loc = &by_id("TOKEN-02")["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "suites/30-token.toml");
        assert_eq!(loc["region"]["startLine"], 7, "the failed expectation's line");
        assert!(results.iter().all(|r| r["ruleId"] != "TOKEN-07" && r["ruleId"] != "PASS-01"));
        let rule = &run["tool"]["driver"]["rules"][by_id("TOKEN-02")["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], "TOKEN-02");
        assert!(rule["help"]["text"].as_str().unwrap().contains("RFC 6749 §5.2"));
    }
}
