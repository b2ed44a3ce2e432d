//! The score card that opens a report: for each MCP authorization revision and each extension
//! profile (DPoP, ID-JAG), how many of its MUST and SHOULD requirements the run judged and how
//! many passed, and what kept the rest from being judged.
//!
//! A requirement is a row of the specification table (`MCP-RS-08`), judged by its scenarios
//! (`MCP-RS-08`, `MCP-RS-08.step-up`) that apply to the revision: judged when one of them
//! passed or failed, passed when none failed. Its level is the strongest of those scenarios'.
//!
//! Layer: model; imports `model::level` and `model::outcome` (where the card's types live).

use std::collections::BTreeMap;

use crate::model::level::Level;
use crate::model::outcome::{Outcome, RevisionScore, ScenarioResult, Tally, Unjudged};

/// The row of the specification table a scenario checks: its ID up to the first dot.
fn row(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// The gist of why a result was not judged, for counting alike reasons together: a skip's
/// reason up to its first colon, an error's whole.
fn gist(r: &ScenarioResult) -> String {
    let text = r.reason.as_deref().unwrap_or("no reason given");
    let head = match r.outcome {
        Outcome::Error => format!("error: {text}"),
        _ => text.split(": ").next().unwrap_or(text).to_string(),
    };
    let mut short: String = head.chars().take(100).collect();
    if short.len() < head.len() {
        short.push('…');
    }
    short
}

/// Extension profiles scored on rows of their own, by the ID prefix of their requirements
/// (the longest matching prefix wins): no MCP revision requires them, so they do not count
/// towards the revisions' rows.
pub const EXTENSIONS: &[(&str, &str)] = &[
    ("DPOP-", "DPoP (RFC 9449)"),
    ("MCP-DPOP-", "MCP DPoP profile (draft)"),
    ("IDJAG-", "Enterprise-managed authorization (ID-JAG)"),
];

/// The extension profile a requirement belongs to, if any.
fn extension(id: &str) -> Option<&'static str> {
    EXTENSIONS
        .iter()
        .filter(|(prefix, _)| id.starts_with(prefix))
        .max_by_key(|(p, _)| p.len())
        .map(|(_, l)| *l)
}

/// Score each revision, then each extension profile the run touched. `results` may hold a
/// scenario more than once (the run for the selected revision, and one for a revision only it
/// applies to): for each revision the first result whose `revisions` name it counts.
pub fn score(revisions: &[&str], selected: &str, results: &[&ScenarioResult]) -> Vec<RevisionScore> {
    let mut card: Vec<RevisionScore> = revisions
        .iter()
        .map(|rev| {
            let counted = results
                .iter()
                .copied()
                .filter(|r| extension(&r.id).is_none() && r.revisions.iter().any(|v| v == rev));
            tally(format!("MCP {rev}"), *rev == selected, counted)
        })
        .collect();
    for (_, label) in EXTENSIONS {
        let counted: Vec<&ScenarioResult> =
            results.iter().copied().filter(|r| extension(&r.id) == Some(*label)).collect();
        if !counted.is_empty() {
            card.push(tally(label.to_string(), false, counted.into_iter()));
        }
    }
    card
}

/// One row of the card: the MUST and SHOULD requirements of `results` (the first result of
/// each scenario counts), passed, judged and declared, and why the rest were not judged.
fn tally<'a>(
    label: String,
    selected: bool,
    results: impl Iterator<Item = &'a ScenarioResult>,
) -> RevisionScore {
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    // row → (strongest level, judged, any failure, why not judged)
    let mut rows: BTreeMap<&str, (Level, bool, bool, Option<String>)> = BTreeMap::new();
    for r in results {
        if !seen.insert(r.id.as_str()) {
            continue;
        }
        let e = rows.entry(row(&r.id)).or_insert((r.level, false, false, None));
        e.0 = e.0.min(r.level);
        match r.outcome {
            Outcome::Pass => e.1 = true,
            Outcome::Fail => (e.1, e.2) = (true, true),
            Outcome::Skip | Outcome::Error => {
                e.3.get_or_insert_with(|| gist(r));
            }
        }
    }
    let mut must = Tally::default();
    let mut should = Tally::default();
    let mut why: BTreeMap<String, usize> = BTreeMap::new();
    for (level, judged, failed, reason) in rows.into_values() {
        let tally = match level {
            Level::Must => &mut must,
            Level::Should => &mut should,
            _ => continue,
        };
        tally.declared += 1;
        if judged {
            tally.judged += 1;
            tally.passed += usize::from(!failed);
        } else {
            *why.entry(reason.unwrap_or_else(|| "no scenario ran".into())).or_default() += 1;
        }
    }
    let mut not_judged: Vec<Unjudged> =
        why.into_iter().map(|(reason, requirements)| Unjudged { reason, requirements }).collect();
    not_judged.sort_by(|a, b| b.requirements.cmp(&a.requirements).then(a.reason.cmp(&b.reason)));
    RevisionScore { revision: label, selected, must, should, not_judged }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(
        id: &str,
        level: Level,
        outcome: Outcome,
        revisions: &[&str],
        reason: Option<&str>,
    ) -> ScenarioResult {
        ScenarioResult {
            reason: reason.map(str::to_string),
            revisions: revisions.iter().map(|v| v.to_string()).collect(),
            ..ScenarioResult::bare(id, level, outcome)
        }
    }

    #[test]
    fn requirements_are_rows_judged_by_their_scenarios_for_each_revision() {
        let all = ["2025-06-18", "2026-07-28"];
        let results = [
            // A row with a passing and a failing scenario: judged, not passed.
            result("A-01", Level::Must, Outcome::Pass, &all, None),
            result("A-01.x", Level::Must, Outcome::Fail, &all, None),
            // A SHOULD row passed; a MUST variant makes the row MUST.
            result("B-01", Level::Should, Outcome::Pass, &all, None),
            result("B-01.y", Level::Must, Outcome::Pass, &all, None),
            // Skipped for the newer revision, which its run never judged.
            result(
                "C-01",
                Level::Should,
                Outcome::Skip,
                &["2026-07-28"],
                Some("the target profile turns off feature `mcp-resource`"),
            ),
            // Only for the older revision: skipped in the main run, then run for that revision.
            result("D-01", Level::Must, Outcome::Skip, &["2025-06-18"], Some("needs MCP 2025-06-18")),
            result("D-01", Level::Must, Outcome::Pass, &["2025-06-18"], None),
            result("E-01", Level::May, Outcome::Pass, &all, None),
        ];
        let refs: Vec<&ScenarioResult> = results.iter().collect();
        // The extra run's result counts: it comes first for its revision.
        let mut ordered = refs.clone();
        ordered.swap(5, 6);
        let card = score(&all, "2026-07-28", &ordered);
        let old = &card[0];
        assert_eq!((old.revision.as_str(), old.selected), ("MCP 2025-06-18", false));
        assert_eq!(old.must, Tally { passed: 2, judged: 3, declared: 3 });
        assert_eq!(old.should, Tally::default());
        let new = &card[1];
        assert!(new.selected);
        assert_eq!(new.must, Tally { passed: 1, judged: 2, declared: 2 });
        assert_eq!(new.should, Tally { passed: 0, judged: 0, declared: 1 });
        assert_eq!(
            new.not_judged,
            vec![Unjudged {
                reason: "the target profile turns off feature `mcp-resource`".into(),
                requirements: 1
            }]
        );
    }

    #[test]
    fn extension_requirements_get_rows_of_their_own_and_leave_the_revisions_rows() {
        let all = ["2025-06-18", "2026-07-28"];
        let results = [
            result("A-01", Level::Must, Outcome::Pass, &all, None),
            result("DPOP-02", Level::Must, Outcome::Fail, &all, None),
            result("DPOP-12", Level::Must, Outcome::Skip, &all, Some("no nonces: at the token endpoint")),
            result("MCP-DPOP-01", Level::Should, Outcome::Pass, &all, None),
        ];
        let refs: Vec<&ScenarioResult> = results.iter().collect();
        let card = score(&all, "2026-07-28", &refs);
        let labels: Vec<&str> = card.iter().map(|c| c.revision.as_str()).collect();
        assert_eq!(
            labels,
            ["MCP 2025-06-18", "MCP 2026-07-28", "DPoP (RFC 9449)", "MCP DPoP profile (draft)"]
        );
        assert_eq!(card[1].must, Tally { passed: 1, judged: 1, declared: 1 });
        assert_eq!(card[2].must, Tally { passed: 0, judged: 1, declared: 2 });
        assert_eq!(card[2].not_judged, vec![Unjudged { reason: "no nonces".into(), requirements: 1 }]);
        assert_eq!(card[3].should, Tally { passed: 1, judged: 1, declared: 1 });
        assert!(!card[2].selected);
    }
}
