//! Snapshots of protocol behaviour: each scenario's exchanges, normalized into a plain text
//! file per scenario (`DIR/<ID>.snap`), meant to live in git; `diff` re-runs and reports drift.
//!
//! Layer: render; imports `model::exchange`, `model::outcome`; never the engine or commands layers.

mod normalize;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

pub use normalize::{Normalizer, html_outline, placeholder};

use crate::model::outcome::{RunReport, ScenarioResult};

/// The snapshot text of one scenario.
pub fn scenario_text(norm: &Normalizer, r: &ScenarioResult) -> String {
    let exchanges: Vec<_> = r.raw_steps.iter().flat_map(|s| s.exchanges.iter().cloned()).collect();
    let norm = &norm.learning(&exchanges);
    let mut out = format!("# {} — {}\n# outcome: {}\n", r.id, r.title, r.outcome.as_str());
    if let Some(reason) = &r.reason {
        let _ = writeln!(out, "# reason: {}", norm.text(reason));
    }
    for f in &r.failures {
        let _ =
            writeln!(out, "# failed: {} of step `{}`: expected {}", f.check, f.step, norm.text(&f.expected));
    }
    for step in &r.raw_steps {
        let _ = writeln!(out, "\n## step {} ({})", step.name, step.kind);
        if let Some(e) = &step.error {
            let _ = writeln!(out, "# error: {}", norm.text(e));
        }
        for ex in &step.exchanges {
            out.push('\n');
            out.push_str(&norm.exchange(ex));
        }
    }
    out
}

/// Every scenario's snapshot text, by file name.
pub fn texts(report: &RunReport) -> BTreeMap<String, String> {
    let norm = Normalizer::new(&report.target.issuer).knowing(&report.learned);
    report.results.iter().map(|r| (format!("{}.snap", r.id), scenario_text(&norm, r))).collect()
}

/// Write a run's snapshots into `dir` (creating it); returns how many were written.
pub fn write(dir: &Path, report: &RunReport) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let texts = texts(report);
    for (name, text) in &texts {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(texts.len())
}

/// How one scenario's snapshot differs from the stored one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// A scenario with no stored snapshot.
    Added(String),
    /// A stored snapshot whose scenario did not run.
    Removed(String),
    /// (name, stored, current)
    Changed(String, String, String),
}

/// Compare a run with the snapshots in `dir`. Only the scenarios of the run are compared
/// for changes; stored snapshots of scenarios that did not run count as removed only when
/// `all` (the run covered every scenario).
pub fn drift(dir: &Path, report: &RunReport, all: bool) -> Result<Vec<Drift>, String> {
    let current = texts(report);
    let mut stored: BTreeMap<String, String> = BTreeMap::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read snapshots in {}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".snap") {
            let text =
                std::fs::read_to_string(e.path()).map_err(|err| format!("cannot read {name}: {err}"))?;
            stored.insert(name, text);
        }
    }
    let mut out = Vec::new();
    for (name, text) in &current {
        match stored.get(name) {
            None => out.push(Drift::Added(name.clone())),
            Some(old) if old != text => out.push(Drift::Changed(name.clone(), old.clone(), text.clone())),
            Some(_) => {}
        }
    }
    if all {
        for name in stored.keys().filter(|n| !current.contains_key(*n)) {
            out.push(Drift::Removed(name.clone()));
        }
    }
    Ok(out)
}

/// Accept the current run as the stored snapshots (`diff --update`).
pub fn update(dir: &Path, report: &RunReport, drifts: &[Drift]) -> Result<(), String> {
    write(dir, report)?;
    for d in drifts {
        if let Drift::Removed(name) = d {
            let _ = std::fs::remove_file(dir.join(name));
        }
    }
    Ok(())
}

impl Drift {
    /// The scenario's ID.
    pub fn id(&self) -> &str {
        let (Drift::Added(n) | Drift::Removed(n) | Drift::Changed(n, _, _)) = self;
        n.trim_end_matches(".snap")
    }

    fn kind(&self) -> &'static str {
        match self {
            Drift::Added(_) => "added",
            Drift::Removed(_) => "removed",
            Drift::Changed(..) => "changed",
        }
    }

    /// The outcome before and after, when it changed (`pass` → `fail`).
    pub fn outcome_change(&self) -> Option<(String, String)> {
        let Drift::Changed(_, old, new) = self else { return None };
        let (a, b) = (outcome_of(old)?, outcome_of(new)?);
        (a != b).then(|| (a.to_string(), b.to_string()))
    }

    /// The change as a unified diff of the stored and the current snapshot.
    pub fn unified(&self, color: bool) -> String {
        match self {
            Drift::Changed(_, old, new) => unified(old, new, color),
            _ => String::new(),
        }
    }
}

fn outcome_of(text: &str) -> Option<&str> {
    text.lines().find_map(|l| l.strip_prefix("# outcome: "))
}

/// Context lines around each change.
const CONTEXT: usize = 3;

/// `old` → `new` as unified-diff hunks (`@@ -a,b +c,d @@`), each line indented, its sign
/// followed by a space.
fn unified(old: &str, new: &str, color: bool) -> String {
    use similar::{ChangeTag, TextDiff};
    let paint = |code: &str, t: String| if color { format!("\x1b[{code}m{t}\x1b[0m") } else { t };
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    for group in diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
        let (o, n) =
            (first.old_range().start..last.old_range().end, first.new_range().start..last.new_range().end);
        let header = format!("    @@ -{},{} +{},{} @@", o.start + 1, o.len(), n.start + 1, n.len());
        let _ = writeln!(out, "{}", paint("36", header));
        for op in &group {
            for change in diff.iter_changes(op) {
                let line = change.value().trim_end_matches(['\n', '\r']);
                let _ = match change.tag() {
                    ChangeTag::Equal => writeln!(out, "      {line}"),
                    ChangeTag::Delete => writeln!(out, "{}", paint("31", format!("    - {line}"))),
                    ChangeTag::Insert => writeln!(out, "{}", paint("32", format!("    + {line}"))),
                };
            }
        }
    }
    out
}

/// Drift in the order a reviewer needs it: outcome changes first, then other changes, then
/// scenarios added and removed.
pub fn ordered(drifts: &[Drift]) -> Vec<&Drift> {
    let mut v: Vec<&Drift> = drifts.iter().collect();
    v.sort_by_key(|d| match d {
        Drift::Changed(..) if d.outcome_change().is_some() => 0,
        Drift::Changed(..) => 1,
        Drift::Added(_) => 2,
        Drift::Removed(_) => 3,
    });
    v
}

fn outcome_note(d: &Drift) -> String {
    d.outcome_change().map(|(a, b)| format!(" (outcome {a} → {b})")).unwrap_or_default()
}

/// The drift for a terminal (coloured when `color`).
pub fn render(drifts: &[Drift], color: bool) -> String {
    let paint = |code: &str, t: &str| if color { format!("\x1b[{code}m{t}\x1b[0m") } else { t.to_string() };
    let mut out = String::new();
    for d in ordered(drifts) {
        let code = match d {
            Drift::Added(_) => "32",
            Drift::Removed(_) => "31",
            Drift::Changed(..) if d.outcome_change().is_some() => "1;31",
            Drift::Changed(..) => "33",
        };
        let _ = writeln!(out, "{} {}{}", paint(code, &format!("{:<7}", d.kind())), d.id(), outcome_note(d));
        out.push_str(&d.unified(color));
    }
    out
}

/// The drift as Markdown (a CI job summary): a table, then each change as a `diff` block.
pub fn render_markdown(drifts: &[Drift], dir: &Path) -> String {
    let mut out = format!("# Snapshot drift against `{}`\n\n", dir.display());
    if drifts.is_empty() {
        out.push_str("No drift: every scenario matches its snapshot.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{} scenarios drifted.\n\n| Scenario | Change | Outcome |\n|---|---|---|",
        drifts.len()
    );
    for d in ordered(drifts) {
        let outcome = d.outcome_change().map(|(a, b)| format!("**{a} → {b}**")).unwrap_or_default();
        let _ = writeln!(out, "| `{}` | {} | {outcome} |", d.id(), d.kind());
    }
    for d in ordered(drifts) {
        if let Drift::Changed(_, old, new) = d {
            let _ = writeln!(out, "\n## `{}`{}\n\n```diff", d.id(), outcome_note(d));
            for line in unified(old, new, false).lines() {
                // A diff block wants the sign in the first column.
                let line = line.strip_prefix("    ").unwrap_or(line);
                let line = match line.strip_prefix("  ") {
                    Some(rest) => format!(" {rest}"),
                    None => line.replacen("- ", "-", 1).replacen("+ ", "+", 1),
                };
                let _ = writeln!(out, "{line}");
            }
            out.push_str("```\n");
        }
    }
    out
}

/// The drift as JSON: per scenario its change, outcomes and unified diff.
pub fn render_json(drifts: &[Drift]) -> String {
    let rows: Vec<serde_json::Value> = ordered(drifts)
        .into_iter()
        .map(|d| {
            let (before, after) = match d {
                Drift::Changed(_, old, new) => (outcome_of(old), outcome_of(new)),
                Drift::Added(_) | Drift::Removed(_) => (None, None),
            };
            serde_json::json!({
                "id": d.id(),
                "change": d.kind(),
                "outcome_before": before,
                "outcome_after": after,
                "outcome_changed": d.outcome_change().is_some(),
                "diff": d.unified(false),
            })
        })
        .collect();
    let doc = serde_json::json!({ "drifted": drifts.len(), "scenarios": rows });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(outcome: &str, body: &str) -> String {
        format!("# X-01 — t\n# outcome: {outcome}\n\n## step a (request)\n{body}\n")
    }

    #[test]
    fn a_changed_line_is_a_hunk_with_context_and_the_outcome_change_comes_first() {
        let old = snap("pass", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk");
        let new = snap("fail", "a\nb\nc\nd\ne\nf\ng\nH\ni\nj\nk");
        let drifts = vec![
            Drift::Added("Z-09.snap".into()),
            Drift::Changed("X-02.snap".into(), snap("pass", "x"), snap("pass", "y")),
            Drift::Changed("X-01.snap".into(), old, new),
        ];
        let ids: Vec<&str> = ordered(&drifts).iter().map(|d| d.id()).collect();
        assert_eq!(ids, ["X-01", "X-02", "Z-09"]);
        let text = render(&drifts, false);
        assert!(text.starts_with("changed X-01 (outcome pass → fail)\n"), "{text}");
        assert!(text.contains("    - # outcome: pass\n    + # outcome: fail\n"), "{text}");
        assert!(text.contains("      g\n    - h\n    + H\n      i\n"), "{text}");
        assert!(!text.contains("      c\n"), "lines beyond the context are left out: {text}");
        assert_eq!(text.matches("    @@ ").count(), 3, "two hunks for X-01, one for X-02: {text}");
        let md = render_markdown(&drifts, Path::new("snaps"));
        assert!(md.contains("| `X-01` | changed | **pass → fail** |") && md.contains("```diff\n@@"), "{md}");
        assert!(md.contains("\n-h\n+H\n"), "{md}");
        let json: serde_json::Value = serde_json::from_str(&render_json(&drifts)).unwrap();
        assert_eq!(json["scenarios"][0]["outcome_after"], "fail");
        assert_eq!(json["scenarios"][2]["change"], "added");
    }

    #[test]
    fn identical_snapshots_have_no_hunks() {
        assert_eq!(unified("x\ny\n", "x\ny\n", false), "");
    }
}
