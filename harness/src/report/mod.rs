//! Reports: one module per format, each a function from a run to text.

mod html;
mod junit;
mod markdown;
mod terminal;

use std::path::Path;

use crate::outcome::{Outcome, RunReport, ScenarioResult};

pub use terminal::{Style, progress_line};

/// A report format: the whole run as text.
pub type Renderer = fn(&RunReport) -> String;

/// Every format, by its file name in `--report-dir`.
pub const FILES: &[(&str, Renderer)] = &[
    ("terminal.txt", |r| terminal::render(r, Style::plain())),
    ("report.json", json),
    ("junit.xml", junit::render),
    ("report.md", markdown::render),
    ("report.html", html::render),
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

/// Write every format into `dir`.
pub fn write_all(dir: &Path, report: &RunReport) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, render) in FILES {
        let path = dir.join(name);
        std::fs::write(&path, render(report)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Results ordered for people: failures first, then errors, warnings-level failures are
/// included with failures, then skips, then passes; stable within each group.
pub fn by_severity(results: &[ScenarioResult]) -> Vec<&ScenarioResult> {
    let mut v: Vec<&ScenarioResult> = results.iter().collect();
    v.sort_by_key(|r| (r.outcome, r.level));
    v
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
    if !t.faults.is_empty() {
        parts.push(format!("faults: {}", t.faults.join(", ")));
    }
    format!("{} ({})", t.issuer, parts.join(", "))
}

/// The summary sentence.
pub fn summary_line(report: &RunReport) -> String {
    let s = &report.summary;
    let mut out = format!(
        "{} scenarios: {} passed, {} failed, {} errors, {} skipped",
        s.total, s.pass, s.fail, s.error, s.skip
    );
    if s.warn > 0 {
        out.push_str(&format!(" ({} below {}: reported as warnings)", s.warn, report.fail_on));
    }
    if s.baselined > 0 {
        out.push_str(&format!(", {} known failures (baseline)", s.baselined));
    }
    if s.stale > 0 {
        out.push_str(&format!(", {} stale baseline entries", s.stale));
    }
    out
}
