//! The result model every report renders: a run holds scenario results, a result holds its
//! steps with their (masked) exchanges, its failed expectations, and its verdict.
//!
//! Layer: model; imports `model::exchange`, `model::level`; never the engine, render or commands
//! layers.

use serde::{Deserialize, Serialize};

use crate::model::exchange::Exchange;
use crate::model::level::Level;

/// Version of the JSON report schema (`docs/json-report.md`); bumped on breaking changes.
pub const SCHEMA_VERSION: u32 = 1;

/// A scenario's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The server broke the requirement.
    Fail,
    /// The requirement could not be judged (unreachable target, a prerequisite failed).
    Error,
    /// Not applicable or turned off, with the reason.
    Skip,
    Pass,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::Skip => "skip",
        }
    }
}

/// One failed expectation: what was expected, what was seen, and where.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Failure {
    pub step: String,
    /// What was checked (`status`, `header cache-control`, `json /error`, ...).
    pub check: String,
    pub expected: String,
    pub actual: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Line of the expectation in the scenario file (0, and left out, in stable reports).
    #[serde(skip_serializing_if = "is_zero")]
    pub line: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What one step did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StepRecord {
    pub name: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every HTTP exchange of the step, secrets masked.
    pub exchanges: Vec<Exchange>,
}

/// A baseline entry that applied to this scenario.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BaselineMark {
    pub reason: String,
    /// The outcome the entry records.
    pub outcome: Outcome,
    /// The scenario came out otherwise (it passes now, or fails where a skip was recorded):
    /// the entry must be updated or removed.
    pub stale: bool,
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScenarioResult {
    pub id: String,
    pub title: String,
    pub level: Level,
    pub spec: String,
    pub area: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    pub outcome: Outcome,
    /// Why it was skipped or could not be judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
    pub steps: Vec<StepRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineMark>,
    /// `file:line` of the scenario (left out of stable reports).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Pages kept for a scenario that did not pass (the page a journey ended on, as HTML and
    /// as a screenshot): written beside the reports, linked from them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// The MCP revisions the scenario applies to (its `mcp>=` / `mcp<` gates), for the score
    /// card (never serialized).
    #[serde(skip)]
    pub revisions: Vec<String>,
    /// The steps with their exchanges unmasked, for snapshots (never serialized).
    #[serde(skip)]
    pub raw_steps: Vec<StepRecord>,
    pub duration_ms: u64,
}

/// A file kept with a scenario's result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attachment {
    /// What it shows.
    pub caption: String,
    /// Its path relative to the report directory (`pages/CODE-01-1.html`); while the scenario
    /// runs, only the extension.
    pub file: String,
    /// The content, written by the report writer (not part of the JSON report).
    #[serde(skip)]
    pub data: Vec<u8>,
}

impl Attachment {
    pub fn new(caption: String, extension: &str, data: Vec<u8>) -> Attachment {
        Attachment { caption, file: extension.to_string(), data }
    }
}

impl ScenarioResult {
    /// A result with only its ID, level and outcome, for tests.
    #[cfg(test)]
    pub fn bare(id: &str, level: Level, outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            id: id.into(),
            title: String::new(),
            level,
            spec: String::new(),
            area: String::new(),
            also: Vec::new(),
            outcome,
            reason: None,
            failures: Vec::new(),
            steps: Vec::new(),
            explain: None,
            baseline: None,
            source: String::new(),
            attachments: Vec::new(),
            revisions: Vec::new(),
            raw_steps: Vec::new(),
            duration_ms: 0,
        }
    }

    /// Does this result fail the run at `fail_on`?
    pub fn fails_run(&self, fail_on: Level) -> bool {
        match &self.baseline {
            Some(b) => b.stale,
            None => self.outcome == Outcome::Fail && self.level <= fail_on,
        }
    }

    /// A failure below the `fail_on` threshold: reported as a warning.
    pub fn is_warning(&self, fail_on: Level) -> bool {
        self.outcome == Outcome::Fail && self.baseline.is_none() && self.level > fail_on
    }
}

/// Counts by outcome.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    /// Failures below the `fail_on` level (included in `fail`).
    pub warn: usize,
    pub error: usize,
    pub skip: usize,
    /// Failures covered by the baseline (included in `fail`).
    pub baselined: usize,
    /// Baseline entries whose scenario came out otherwise than recorded.
    pub stale: usize,
}

/// What was tested.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Target {
    pub issuer: String,
    /// The bundled fake server started in-process.
    pub embedded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub mcp_version: String,
    /// The run judged a client program (`oauth-conformance client`); the target is the
    /// bundled server it ran against.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub client_run: bool,
    /// Faults switched on in the embedded server.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// Legitimate variants switched on in the embedded server.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// Why discovery failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery_error: Option<String>,
    /// The identity provider of enterprise-managed authorization, when it is not the target:
    /// its issuer, and whether it is the bundled fake server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idp: Option<IdpTarget>,
}

/// The identity provider a run's `at = "idp"` steps went to.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IdpTarget {
    pub issuer: String,
    /// The bundled fake server, started for the run.
    pub bundled: bool,
}

/// What the clean-up did, for the reports.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Cleanup {
    /// Clients the run registered.
    pub registered: usize,
    /// Of those, removed (by the clean-up or already by a scenario).
    pub deleted: usize,
    /// Tokens the run obtained.
    pub tokens: usize,
    /// Of those, revoked by the clean-up.
    pub revoked: usize,
    /// `--keep-clients`: the clients were left on purpose.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub kept: bool,
    /// What remains on the target, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left: Vec<String>,
}

impl Cleanup {
    /// One line for the terminal and the Markdown report.
    pub fn line(&self) -> String {
        let mut out = format!("clean-up: {} of {} registered clients removed", self.deleted, self.registered);
        if self.kept {
            out = format!("clean-up: {} registered clients kept (--keep-clients)", self.registered);
        }
        if self.tokens > 0 {
            out.push_str(&format!(", {} of {} tokens revoked", self.revoked, self.tokens));
        }
        out
    }
}

/// A run that did not finish: its report covers the scenarios that did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Incomplete {
    /// Why it stopped (`interrupted by SIGINT`).
    pub reason: String,
    /// The scenarios that did not finish.
    pub not_run: Vec<String>,
}

/// A whole run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunReport {
    pub schema_version: u32,
    pub tool: String,
    /// A stable report (`--stable`): no times, no exchanges, volatile values as placeholders.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stable: bool,
    pub target: Target,
    pub fail_on: Level,
    /// Seconds since the Unix epoch when the run started.
    pub started_at: u64,
    pub duration_ms: u64,
    pub summary: Summary,
    /// Set when the run was interrupted: the results are those of the scenarios that finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Incomplete>,
    /// What the run removed from the target again (not for the bundled server, which is
    /// discarded with everything it holds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<Cleanup>,
    pub results: Vec<ScenarioResult>,
    /// Values the target gave the run outside any scenario's exchanges (the clients the
    /// harness registered for itself), with what each is: snapshots replace them (never
    /// serialized).
    #[serde(skip)]
    pub learned: Vec<(String, &'static str)>,
    /// Every origin the run sent a request to (`scheme://host:port`), sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contacted: Vec<String>,
    /// For each MCP revision, its MUST and SHOULD requirements passed, judged and declared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub score_card: Vec<RevisionScore>,
}

impl RunReport {
    pub fn new(
        target: Target,
        fail_on: Level,
        started_at: u64,
        duration_ms: u64,
        results: Vec<ScenarioResult>,
    ) -> RunReport {
        let mut s = Summary { total: results.len(), ..Summary::default() };
        for r in &results {
            match r.outcome {
                Outcome::Pass => s.pass += 1,
                Outcome::Fail => s.fail += 1,
                Outcome::Error => s.error += 1,
                Outcome::Skip => s.skip += 1,
            }
            if r.is_warning(fail_on) {
                s.warn += 1;
            }
            if let Some(b) = &r.baseline {
                if b.stale {
                    s.stale += 1;
                } else if r.outcome == Outcome::Fail {
                    s.baselined += 1;
                }
            }
        }
        RunReport {
            schema_version: SCHEMA_VERSION,
            tool: concat!("oauth-conformance ", env!("CARGO_PKG_VERSION")).to_string(),
            stable: false,
            target,
            fail_on,
            started_at,
            duration_ms,
            summary: s,
            incomplete: None,
            cleanup: None,
            results,
            learned: Vec::new(),
            contacted: Vec::new(),
            score_card: Vec::new(),
        }
    }

    /// The process exit code: 0 pass, 1 failure at or above `fail_on` (or a stale baseline
    /// entry), 3 errors without failure (a failed discovery among them).
    pub fn exit_code(&self) -> u8 {
        if self.results.iter().any(|r| r.fails_run(self.fail_on)) {
            1
        } else if self.summary.error > 0 || self.target.discovery_error.is_some() {
            3
        } else {
            0
        }
    }

    /// Areas in the order they first appear.
    pub fn areas(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.results {
            if !out.contains(&r.area.as_str()) {
                out.push(&r.area);
            }
        }
        out
    }
}

/// Requirements of one level: passed of judged of declared.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub judged: usize,
    pub declared: usize,
}

/// Why requirements of a revision were not judged, and how many.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Unjudged {
    pub reason: String,
    pub requirements: usize,
}

/// One row of the score card.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RevisionScore {
    /// `MCP 2025-06-18`.
    pub revision: String,
    /// The revision whose rules the harness followed for behaviour that differs between them
    /// (`--mcp-version`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub selected: bool,
    pub must: Tally,
    pub should: Tally,
    /// Most frequent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_judged: Vec<Unjudged>,
}
