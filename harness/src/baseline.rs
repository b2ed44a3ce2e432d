//! Baselines: known failures, by scenario id with a reason, that do not fail the run; an
//! entry whose scenario passes again is reported as stale (and fails the run, so baselines
//! shrink instead of rotting).

use serde::Deserialize;

use crate::outcome::{BaselineMark, Outcome, ScenarioResult};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub reason: String,
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
        toml::from_str(&text).map_err(|e| format!("baseline {}: {}", path.display(), e.to_string().trim()))
    }

    /// Mark the results the baseline covers.
    pub fn apply(&self, results: &mut [ScenarioResult]) {
        for r in results {
            if let Some(e) = self.expected.iter().find(|e| e.id == r.id) {
                let stale = r.outcome == Outcome::Pass;
                r.baseline = Some(BaselineMark { reason: e.reason.clone(), stale });
            }
        }
    }
}
