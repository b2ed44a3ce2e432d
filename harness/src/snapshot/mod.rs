//! Snapshots of protocol behaviour: each scenario's exchanges, normalized into a plain text
//! file per scenario (`DIR/<ID>.snap`), meant to live in git; `diff` re-runs and reports drift.

mod diff;
mod normalize;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

pub use diff::{Line, line_diff, render_diff};
pub use normalize::{Normalizer, html_outline, placeholder};

use crate::outcome::{RunReport, ScenarioResult};

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

/// The drift as a readable report (coloured when `color`).
pub fn render(drifts: &[Drift], color: bool) -> String {
    let paint = |code: &str, t: &str| if color { format!("\x1b[{code}m{t}\x1b[0m") } else { t.to_string() };
    let mut out = String::new();
    for d in drifts {
        match d {
            Drift::Added(n) => {
                let _ = writeln!(out, "{} {}", paint("32", "added  "), n.trim_end_matches(".snap"));
            }
            Drift::Removed(n) => {
                let _ = writeln!(out, "{} {}", paint("31", "removed"), n.trim_end_matches(".snap"));
            }
            Drift::Changed(n, old, new) => {
                let _ = writeln!(out, "{} {}", paint("33", "changed"), n.trim_end_matches(".snap"));
                out.push_str(&render_diff(&line_diff(old, new), 2, color));
            }
        }
    }
    out
}
