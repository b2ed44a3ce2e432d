//! Baselines: known outcomes, by scenario id with a reason, that do not fail the run. An entry
//! expects a failure unless it says otherwise (`outcome = "skip"`); an entry whose scenario
//! comes out differently (passes again, or fails where a skip was recorded) is stale and fails
//! the run, so a baseline records a peer's behaviour exactly and shrinks instead of rotting.
//!
//! Layer: model; imports `model::outcome`; never the engine, render or commands layers.

use serde::Deserialize;

use crate::model::outcome::{BaselineMark, Outcome, ScenarioResult};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub reason: String,
    /// The recorded outcome: `fail` (the default), `skip` or `error`.
    #[serde(default = "expected_failure")]
    pub outcome: Outcome,
}

fn expected_failure() -> Outcome {
    Outcome::Fail
}

/// A baseline file: `[[expected]]` entries.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[serde(default)]
    pub expected: Vec<Entry>,
}

impl Baseline {
    pub fn load(path: &std::path::Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
        let baseline: Baseline = toml::from_str(&text)
            .map_err(|e| format!("baseline {}: {}", path.display(), e.to_string().trim()))?;
        if let Some(e) = baseline.expected.iter().find(|e| e.outcome == Outcome::Pass) {
            return Err(format!(
                "baseline {}: `{}` records `pass`; a passing scenario needs no entry",
                path.display(),
                e.id
            ));
        }
        Ok(baseline)
    }

    /// Mark the results the baseline covers.
    pub fn apply(&self, results: &mut [ScenarioResult]) {
        for r in results {
            if let Some(e) = self.expected.iter().find(|e| e.id == r.id) {
                r.baseline = Some(BaselineMark {
                    reason: e.reason.clone(),
                    outcome: e.outcome,
                    stale: r.outcome != e.outcome,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, outcome: Outcome) -> ScenarioResult {
        ScenarioResult::bare(id, crate::model::level::Level::Must, outcome)
    }

    #[test]
    fn an_entry_expects_a_failure_unless_it_records_another_outcome_and_goes_stale_on_any_change() {
        let b: Baseline = toml::from_str(
            "[[expected]]\nid = \"A\"\nreason = \"r\"\n[[expected]]\nid = \"B\"\nreason = \"s\"\noutcome = \"skip\"\n",
        )
        .unwrap();
        assert_eq!(b.expected[0].outcome, Outcome::Fail);
        let mut rs = vec![result("A", Outcome::Fail), result("B", Outcome::Skip), result("C", Outcome::Fail)];
        b.apply(&mut rs);
        assert!(!rs[0].baseline.as_ref().unwrap().stale && !rs[1].baseline.as_ref().unwrap().stale);
        assert!(rs[2].baseline.is_none());
        let mut changed = vec![result("A", Outcome::Pass), result("B", Outcome::Fail)];
        b.apply(&mut changed);
        assert!(changed.iter().all(|r| r.baseline.as_ref().unwrap().stale));
        assert!(changed.iter().all(|r| r.fails_run(crate::model::level::Level::Must)));
    }
}
