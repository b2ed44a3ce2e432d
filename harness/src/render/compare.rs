//! `compare A.json B.json`: how the outcomes of two runs' JSON reports differ, for CI gates on
//! a deployment (newly failing, newly passing, new or removed scenarios).
//!
//! Layer: render; imports `model::outcome`; never the engine or commands layers.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Deserialize;

/// The part of a JSON report `compare` reads; anything else is ignored.
#[derive(Debug, Deserialize)]
struct Report {
    schema_version: u32,
    results: Vec<Row>,
}

#[derive(Debug, Deserialize)]
struct Row {
    id: String,
    title: String,
    level: String,
    outcome: String,
}

/// The differences between two runs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// (id, level, title, before, after)
    pub newly_failing: Vec<(String, String, String, String, String)>,
    pub newly_passing: Vec<(String, String, String, String, String)>,
    /// Other outcome changes (to or from skip).
    pub other: Vec<(String, String, String, String, String)>,
    pub added: Vec<(String, String)>,
    pub removed: Vec<(String, String)>,
}

fn load(path: &str) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let report: Report = serde_json::from_str(&text)
        .map_err(|e| format!("{path} is not an oauth-conformance JSON report: {e}"))?;
    if report.schema_version != crate::model::outcome::SCHEMA_VERSION {
        return Err(format!(
            "{path} has report schema {}; this version reads schema {}",
            report.schema_version,
            crate::model::outcome::SCHEMA_VERSION
        ));
    }
    Ok(report)
}

fn bad(outcome: &str) -> bool {
    matches!(outcome, "fail" | "error")
}

/// Compare two reports read from files.
pub fn compare_files(before: &str, after: &str) -> Result<Changes, String> {
    Ok(compare(&load(before)?, &load(after)?))
}

fn compare(a: &Report, b: &Report) -> Changes {
    let before: BTreeMap<&str, &Row> = a.results.iter().map(|r| (r.id.as_str(), r)).collect();
    let after: BTreeMap<&str, &Row> = b.results.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut c = Changes::default();
    for (id, new) in &after {
        match before.get(id) {
            None => c.added.push((id.to_string(), new.title.clone())),
            Some(old) if old.outcome != new.outcome => {
                let row = (
                    id.to_string(),
                    new.level.clone(),
                    new.title.clone(),
                    old.outcome.clone(),
                    new.outcome.clone(),
                );
                if bad(&new.outcome) && !bad(&old.outcome) {
                    c.newly_failing.push(row);
                } else if new.outcome == "pass" && bad(&old.outcome) {
                    c.newly_passing.push(row);
                } else {
                    c.other.push(row);
                }
            }
            Some(_) => {}
        }
    }
    for (id, old) in &before {
        if !after.contains_key(id) {
            c.removed.push((id.to_string(), old.title.clone()));
        }
    }
    c
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self == &Changes::default()
    }

    pub fn render(&self, color: bool) -> String {
        let paint =
            |code: &str, t: &str| if color { format!("\x1b[{code}m{t}\x1b[0m") } else { t.to_string() };
        let mut out = String::new();
        let mut section = |title: String, rows: Vec<String>| {
            if !rows.is_empty() {
                let _ = writeln!(out, "{title} ({})", rows.len());
                for r in rows {
                    let _ = writeln!(out, "  {r}");
                }
            }
        };
        let fmt = |v: &[(String, String, String, String, String)]| -> Vec<String> {
            v.iter().map(|(id, lvl, t, a, b)| format!("{id:<18} {lvl:<6} {a} → {b}  {t}")).collect()
        };
        section(paint("1;31", "Newly failing"), fmt(&self.newly_failing));
        section(paint("1;32", "Newly passing"), fmt(&self.newly_passing));
        section(paint("1", "Other changes"), fmt(&self.other));
        section(
            paint("1", "New scenarios"),
            self.added.iter().map(|(id, t)| format!("{id:<18} {t}")).collect(),
        );
        section(
            paint("1", "Removed scenarios"),
            self.removed.iter().map(|(id, t)| format!("{id:<18} {t}")).collect(),
        );
        if out.is_empty() {
            out.push_str("no outcome changed\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(rows: &[(&str, &str)]) -> Report {
        Report {
            schema_version: 1,
            results: rows
                .iter()
                .map(|(id, o)| Row {
                    id: id.to_string(),
                    title: "t".into(),
                    level: "MUST".into(),
                    outcome: o.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn outcome_changes_are_sorted_into_their_kinds() {
        let a = report(&[("A", "pass"), ("B", "fail"), ("C", "pass"), ("D", "skip")]);
        let b = report(&[("A", "fail"), ("B", "pass"), ("D", "pass"), ("E", "pass")]);
        let c = compare(&a, &b);
        assert_eq!(c.newly_failing.len(), 1);
        assert_eq!(c.newly_failing[0].0, "A");
        assert_eq!(c.newly_passing[0].0, "B");
        assert_eq!(c.other[0].0, "D");
        assert_eq!(c.added[0].0, "E");
        assert_eq!(c.removed[0].0, "C");
        assert!(compare(&a, &a).is_empty());
    }
}
