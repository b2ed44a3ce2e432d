//! Reports: one module per format, each a function from a run to text.
//!
//! Layer: render; imports `model::exchange`, `model::level`, `model::outcome`; never the engine or
//! commands layers.

mod html;
mod junit;
mod markdown;
mod sarif;
mod terminal;

use std::path::Path;

use crate::model::outcome::{Cleanup, Outcome, RunReport, ScenarioResult};

pub use terminal::{Style, progress_line, waiting_line};

/// A report format: the whole run as text.
pub type Renderer = fn(&RunReport) -> String;

/// Every format, by its file name in `--report-dir`.
pub const FILES: &[(&str, Renderer)] = &[
    ("terminal.txt", |r| terminal::render(r, Style::plain())),
    ("report.json", json),
    ("junit.xml", junit::render),
    ("report.md", markdown::render),
    ("report.html", html::render),
    ("report.sarif", sarif::render),
];

pub fn terminal(report: &RunReport, style: Style) -> String {
    terminal::render(report, style)
}

/// The versioned JSON report.
pub fn json(report: &RunReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
}

pub fn junit(report: &RunReport) -> String {
    junit::render(report)
}

pub fn markdown(report: &RunReport) -> String {
    markdown::render(report)
}

pub fn html(report: &RunReport) -> String {
    html::render(report)
}

pub fn sarif(report: &RunReport) -> String {
    sarif::render(report)
}

/// What the clean-up did, and each thing it left on the target, one per line.
pub fn cleanup_lines(c: &Cleanup) -> String {
    let mut out = format!("{}\n", c.line());
    for what in &c.left {
        out.push_str(&format!("  left on the target: {what}\n"));
    }
    out
}

/// The line that says a run was interrupted, if it was.
pub fn incomplete_note(report: &RunReport) -> Option<String> {
    report.incomplete.as_ref().map(|i| {
        format!(
            "INCOMPLETE: {}; {} scenarios did not run ({})",
            i.reason,
            i.not_run.len(),
            ellipsis(&i.not_run, 8)
        )
    })
}

/// The notes after the counts: an interrupted run and what its clean-up did.
pub fn closing_notes(report: &RunReport) -> Vec<String> {
    let mut out: Vec<String> = incomplete_note(report).into_iter().collect();
    if let Some(c) = &report.cleanup {
        out.extend(cleanup_lines(c).lines().map(str::to_string));
    }
    out
}

fn ellipsis(ids: &[String], n: usize) -> String {
    let mut s = ids.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > n {
        s.push_str(", …");
    }
    s
}

/// Write every format into `dir`.
pub fn write_all(dir: &Path, report: &RunReport) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, render) in FILES {
        let path = dir.join(name);
        std::fs::write(&path, render(report)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    for a in report.results.iter().flat_map(|r| &r.attachments) {
        let path = dir.join(&a.file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &a.data).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A verdict word that takes the fail-on threshold and the baseline into account.
pub fn verdict(r: &ScenarioResult, report: &RunReport) -> &'static str {
    match (&r.baseline, r.outcome) {
        (Some(b), _) if b.stale => "STALE",
        (Some(_), Outcome::Fail) => "KNOWN",
        (_, Outcome::Fail) if r.is_warning(report.fail_on) => "WARN",
        (_, Outcome::Fail) => "FAIL",
        (_, Outcome::Error) => "ERROR",
        (_, Outcome::Skip) => "SKIP",
        (_, Outcome::Pass) => "PASS",
    }
}

/// What to do about a stale baseline entry, if this result has one.
pub fn stale_note(r: &ScenarioResult) -> Option<String> {
    let b = r.baseline.as_ref().filter(|b| b.stale)?;
    Some(match r.outcome {
        Outcome::Pass => "passes now: remove it from the baseline".to_string(),
        got => format!(
            "the baseline records `{}`, the run gave `{}`: update the entry",
            b.outcome.as_str(),
            got.as_str()
        ),
    })
}

/// The one-line cause of a non-passing result.
pub fn cause(r: &ScenarioResult) -> String {
    if let Some(reason) = &r.reason {
        return reason.clone();
    }
    match r.failures.first() {
        Some(f) => match &f.message {
            Some(m) => m.clone(),
            None => format!("step `{}`: {} expected {}, got {}", f.step, f.check, f.expected, f.actual),
        },
        None => String::new(),
    }
}

/// What the target was, in words.
pub fn target_line(report: &RunReport) -> String {
    let t = &report.target;
    let mut parts = Vec::new();
    if t.embedded {
        parts.push("bundled fake server".to_string());
    }
    if let Some(p) = &t.profile {
        parts.push(format!("profile {p}"));
    }
    parts.push(format!("MCP {}", t.mcp_version));
    if !t.variants.is_empty() {
        parts.push(format!("variants: {}", t.variants.join(", ")));
    }
    if !t.faults.is_empty() {
        parts.push(format!("faults: {}", t.faults.join(", ")));
    }
    if let Some(idp) = &t.idp {
        let bundled = if idp.bundled { "the bundled fake server at " } else { "" };
        parts.push(format!("identity provider: {bundled}{}", idp.issuer));
    }
    format!("{} ({})", t.issuer, parts.join(", "))
}

/// The origins the run contacted, as one line (empty when none was recorded).
pub fn contacted_line(report: &RunReport) -> String {
    match report.contacted.as_slice() {
        [] => String::new(),
        all => format!("Origins contacted: {}", all.join(", ")),
    }
}

/// Skipped scenarios grouped by what is missing, most first, each with what would unlock
/// them: `(count, what is missing and how to add it)`.
pub fn skip_groups(report: &RunReport) -> Vec<(usize, String)> {
    let mut groups: Vec<(usize, String)> = Vec::new();
    for r in report.results.iter().filter(|r| r.outcome == Outcome::Skip) {
        let key = unlock(r.reason.as_deref().unwrap_or(""));
        match groups.iter_mut().find(|(_, k)| *k == key) {
            Some(g) => g.0 += 1,
            None => groups.push((1, key)),
        }
    }
    groups.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    groups
}

/// What a skip reason says is missing, and what unlocks it.
fn unlock(reason: &str) -> String {
    let quoted = |prefix: &str| {
        reason.split_once(prefix).and_then(|(_, rest)| rest.split('`').next()).map(str::to_string)
    };
    if reason.contains("has no test user") {
        return "no test user: add [user] (or session_cookie) to a target profile (--profile)".into();
    }
    if reason.contains("no protected resource URL") {
        return "no protected resource: pass --resource URL".into();
    }
    if let Some(role) = quoted("defines no `") {
        return format!("no `{role}` client: add [clients.{role}] to a target profile");
    }
    if reason.contains("applies before MCP") || reason.contains("applies from MCP") {
        return "another MCP version: choose it with --mcp-version".into();
    }
    if let Some(member) = quoted("does not advertise `") {
        return format!("the server does not advertise `{member}`");
    }
    if reason.contains("turns off feature") || reason.contains("the target profile skips") {
        return "turned off by the target profile's `skip`".into();
    }
    if reason.contains("consent page") {
        return "no consent page to judge (consent remembered or not asked)".into();
    }
    if reason.contains("offers no cancel") || reason.contains("offers no deny") {
        return "the login or consent page offers no cancel/deny control".into();
    }
    if reason.contains("one method per client") {
        return "a client registered for one secret method only: list the methods the server allows it in the profile's `auth_methods`".into();
    }
    if reason.contains("as the target profile or its registration says") {
        return "a client not allowed the grant: name a client that is (e.g. [clients.machine] for client_credentials)".into();
    }
    if reason.contains("never fetched the hosted document") {
        return "no client metadata document fetched from loopback (the bundled server fetches them with allow_insecure_cimd)".into();
    }
    if reason.contains("clock cannot be moved") {
        return "the target's clock cannot be moved (only the bundled server's can)".into();
    }
    let short: String = reason.chars().take(100).collect();
    if short.len() < reason.len() { format!("{short}…") } else { short }
}

/// Every verdict word in the order reports list results: what fails the run first, then
/// what could not be judged, then what does not fail it. Each with the word its count goes
/// by, in the summary line and on the HTML report's filter buttons alike.
pub const VERDICTS: &[(&str, &str)] = &[
    ("FAIL", "failed"),
    ("STALE", "stale baseline entries"),
    ("ERROR", "errors"),
    ("WARN", "warnings"),
    ("KNOWN", "known failures"),
    ("SKIP", "skipped"),
    ("PASS", "passed"),
];

/// The verdicts that are problems: listed before everything else.
pub const PROBLEMS: &[&str] = &["FAIL", "STALE", "ERROR", "WARN"];

/// How many results carry each verdict, in [`VERDICTS`] order: `(word, label, count)`.
pub fn verdict_counts(report: &RunReport) -> Vec<(&'static str, &'static str, usize)> {
    VERDICTS
        .iter()
        .map(|(word, label)| {
            (*word, *label, report.results.iter().filter(|r| verdict(r, report) == *word).count())
        })
        .collect()
}

/// The position of a verdict in [`VERDICTS`]: sorting by it puts problems first.
/// The results that are not among `problems`, by area in order of first appearance, each
/// area's sorted by verdict; areas left empty are left out.
pub fn rest_by_area<'a>(
    report: &'a RunReport,
    problems: &[&ScenarioResult],
) -> Vec<(&'a str, Vec<&'a ScenarioResult>)> {
    let mut out = Vec::new();
    for area in report.areas() {
        let mut items: Vec<&ScenarioResult> = report
            .results
            .iter()
            .filter(|r| r.area == area && !problems.iter().any(|p| std::ptr::eq(*p, *r)))
            .collect();
        if !items.is_empty() {
            items.sort_by_key(|r| verdict_rank(verdict(r, report)));
            out.push((area, items));
        }
    }
    out
}

pub fn verdict_rank(word: &str) -> usize {
    VERDICTS.iter().position(|(w, _)| *w == word).unwrap_or(VERDICTS.len())
}

/// The results with a problem verdict, most serious first, stable within each verdict.
pub fn problems(report: &RunReport) -> Vec<&ScenarioResult> {
    let mut v: Vec<&ScenarioResult> =
        report.results.iter().filter(|r| PROBLEMS.contains(&verdict(r, report))).collect();
    v.sort_by_key(|r| verdict_rank(verdict(r, report)));
    v
}

/// The counts by verdict, the same numbers the HTML filter buttons show: failed, errors,
/// skipped and passed always, the others when there are any.
pub fn summary_line(report: &RunReport) -> String {
    let parts: Vec<String> = verdict_counts(report)
        .into_iter()
        .filter(|(word, _, n)| *n > 0 || matches!(*word, "FAIL" | "ERROR" | "SKIP" | "PASS"))
        .map(|(word, label, n)| match word {
            "WARN" => format!("{n} {label} (failures below {})", report.fail_on),
            "KNOWN" => format!("{n} {label} (baseline)"),
            _ => format!("{n} {label}"),
        })
        .collect();
    format!("{} scenarios: {}", report.results.len(), parts.join(", "))
}

/// What to do next, in one line: fix or record the failures, look into the errors, unlock
/// the skipped scenarios, or point the harness at a real server.
pub fn next_step(report: &RunReport) -> Option<String> {
    let counts = verdict_counts(report);
    let n = |word: &str| counts.iter().find(|(w, _, _)| *w == word).map_or(0, |c| c.2);
    if report.incomplete.is_some() {
        return Some("next: run again to judge the scenarios that did not finish".into());
    }
    if n("STALE") > 0 {
        return Some("next: update or remove the stale entries in the --baseline file".into());
    }
    if n("FAIL") > 0 {
        return Some(
            "next: fix the failures, or record the ones you accept in a --baseline file \
             ([[expected]] id = \"…\" reason = \"…\")"
                .into(),
        );
    }
    if report.target.discovery_error.is_some() || n("ERROR") > 0 {
        return Some(
            "next: the errors name what kept a scenario from being judged; \
                     rerun one with --only ID once it is fixed"
                .into(),
        );
    }
    // A client run (`oauth-conformance client`) tested the client, not a server.
    if report.target.embedded && !report.target.client_run {
        return Some("next: --issuer URL to test your server".into());
    }
    if n("SKIP") > 0 && report.target.client_run {
        // What a client did not do (call a tool, send a state) is no profile's to supply.
        return Some("next: the skipped scenarios say what the client did not do (listed above)".into());
    }
    if n("SKIP") > 0 {
        let profile = if report.target.profile.is_some() {
            "complete the profile"
        } else {
            "add a profile (--profile FILE)"
        };
        return Some(format!("next: {profile} with what the skipped scenarios need (listed above)"));
    }
    None
}

#[cfg(test)]
mod tests;

/// The score card's rows as text cells: the revision (`*` marks the one the run followed),
/// MUST and SHOULD as `passed/judged/declared`, and what kept requirements from being judged
/// (the two most frequent reasons, with how many requirements each).
pub fn score_rows(report: &RunReport) -> Vec<[String; 4]> {
    report
        .score_card
        .iter()
        .map(|s| {
            let t = |t: &crate::model::outcome::Tally| format!("{}/{}/{}", t.passed, t.judged, t.declared);
            let mut why: Vec<String> =
                s.not_judged.iter().take(2).map(|u| format!("{} × {}", u.requirements, u.reason)).collect();
            if s.not_judged.len() > 2 {
                let rest: usize = s.not_judged[2..].iter().map(|u| u.requirements).sum();
                why.push(format!("{rest} for other reasons"));
            }
            let mark = if s.selected { " *" } else { "" };
            let why = if why.is_empty() { "—".to_string() } else { why.join("; ") };
            [format!("{}{mark}", s.revision), t(&s.must), t(&s.should), why]
        })
        .collect()
}

/// What the score card's columns mean, in one sentence.
pub const SCORE_LEGEND: &str = "MUST and SHOULD requirements of each MCP authorization revision and extension profile, passed / judged / declared; * marks the revision whose rules the run followed (--mcp-version); scenarios that hold for several revisions ran once, under those rules; extensions (DPoP, ID-JAG) count on their own rows only";
