//! The kill matrix: every built-in scenario passes against the clean fake server, and for
//! every fault, the scenarios that name it fail while no other scenario fails or errors.
//! A scenario no fault can kill proves nothing, so every scenario must name one.
//!
//! The clean run is made three times: against an issuer without a path, one with a path
//! (RFC 8414 §3.1), and one that requires an initial access token to register (RFC 7591 §3),
//! so the suites hold for all; faults that only show on one of the latter
//! (`Fault::needs_issuer_path`, `Fault::needs_registration_token`) run against it. A fourth
//! clean run is against a server that requires DPoP nonces (the `dpop-nonce` variant), where
//! the faults of nonce handling (`Fault::needs_dpop_nonce`) show.

use std::collections::{BTreeMap, BTreeSet};

use fake_server::Fault;
use harness::commands::run::execute;
use harness::commands::settings::{LATEST_MCP, MCP_VERSIONS, Settings};
use harness::engine::suite::{self, Scenario};
use harness::model::outcome::{Outcome, RunReport};

/// The issuer path of the second target.
const ISSUER_PATH: &str = "/tenant";
/// The initial access token of the third.
const REGISTRATION_TOKEN: &str = "kill-matrix-initial-access-token";

/// How the bundled server is set up for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Plain,
    IssuerPath,
    RegistrationToken,
    DpopNonce,
}

impl Variant {
    const ALL: [Variant; 4] =
        [Variant::Plain, Variant::IssuerPath, Variant::RegistrationToken, Variant::DpopNonce];

    fn of(fault: Fault) -> Variant {
        if fault.needs_issuer_path() {
            Variant::IssuerPath
        } else if fault.needs_registration_token() {
            Variant::RegistrationToken
        } else if fault.needs_dpop_nonce() {
            Variant::DpopNonce
        } else {
            Variant::Plain
        }
    }

    fn label(self) -> &'static str {
        match self {
            Variant::Plain => "",
            Variant::IssuerPath => " (issuer path)",
            Variant::RegistrationToken => " (initial access token)",
            Variant::DpopNonce => " (DPoP nonces)",
        }
    }
}

fn settings(faults: &[Fault], variant: Variant) -> Settings {
    let args = harness::commands::cli::TargetArgs { timeout: 15, ..Default::default() };
    let mut s = Settings::from_target_args(&args).expect("default settings");
    s.target.faults = faults.to_vec();
    match variant {
        Variant::Plain => {}
        Variant::IssuerPath => s.target.fake_issuer_path = Some(ISSUER_PATH.to_string()),
        Variant::RegistrationToken => s.target.fake_registration_token = Some(REGISTRATION_TOKEN.to_string()),
        Variant::DpopNonce => s.target.variants = vec![fake_server::Variant::DpopNonce],
    }
    s.jobs = 16;
    s
}

/// The newest MCP version a scenario's `mcp>=` / `mcp<` gates allow.
pub fn mcp_version(s: &Scenario) -> &'static str {
    MCP_VERSIONS.iter().rev().copied().find(|v| s.applies_to_mcp(v)).unwrap_or(LATEST_MCP)
}

/// Run every scenario under the newest MCP version it applies to (one fake server per version
/// in use), so the scenarios of older MCP versions are proven too; results in input order.
pub async fn run_versions(base: Settings, scenarios: Vec<Scenario>) -> RunReport {
    let mut groups: BTreeMap<&str, Vec<Scenario>> = BTreeMap::new();
    for s in &scenarios {
        groups.entry(mcp_version(s)).or_default().push(s.clone());
    }
    let mut merged: Option<RunReport> = None;
    for (version, group) in groups {
        let mut settings = base.clone();
        settings.target.mcp_version = Some(version.to_string());
        let report = execute(&settings, group, None).await.expect("the run starts");
        match &mut merged {
            Some(m) => m.results.extend(report.results),
            None => merged = Some(report),
        }
    }
    let mut merged = merged.expect("at least one scenario");
    let order: BTreeMap<&str, usize> =
        scenarios.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    merged.results.sort_by_key(|r| order.get(r.id.as_str()).copied().unwrap_or(usize::MAX));
    merged
}

/// Runs (each with its own fake server) made at the same time.
const PARALLEL_RUNS: usize = 2;

/// One run per target (faults, server variant), a few at a time; reports in the same order.
fn run_each(
    rt: &tokio::runtime::Runtime,
    scenarios: &[Scenario],
    targets: &[(Vec<Fault>, Variant)],
) -> Vec<RunReport> {
    rt.block_on(async {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL_RUNS));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, (faults, variant)) in targets.iter().enumerate() {
            let (settings, scenarios, permits) =
                (settings(faults, *variant), scenarios.to_vec(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (i, run_versions(settings, scenarios).await)
            });
        }
        let mut reports: Vec<(usize, RunReport)> = Vec::new();
        while let Some(done) = tasks.join_next().await {
            reports.push(done.expect("a run does not panic"));
        }
        reports.sort_by_key(|(i, _)| *i);
        reports.into_iter().map(|(_, r)| r).collect()
    })
}

pub fn describe(report: &RunReport, id: &str) -> String {
    report
        .results
        .iter()
        .find(|r| r.id == id)
        .map(|r| format!("{id}: {} — {}", r.outcome.as_str(), harness::render::report::cause(r)))
        .unwrap_or_default()
}

#[test]
fn every_scenario_passes_clean_and_fails_under_its_faults_without_collateral() {
    let scenarios = suite::load(&[], true).expect("built-in suites load");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    let targets: Vec<(Vec<Fault>, Variant)> = Variant::ALL.iter().map(|v| (Vec::new(), *v)).collect();
    for (variant, clean) in Variant::ALL.iter().zip(run_each(&rt, &scenarios, &targets)) {
        let broken: Vec<String> = clean
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Error))
            .map(|r| describe(&clean, &r.id))
            .collect();
        assert!(
            broken.is_empty(),
            "against the clean fake server{}:\n{}",
            variant.label(),
            broken.join("\n")
        );
    }

    let unproven: Vec<&str> =
        scenarios.iter().filter(|s| s.killed_by.is_empty()).map(|s| s.id.as_str()).collect();

    let mut by_fault: BTreeMap<Fault, Vec<&str>> = BTreeMap::new();
    for s in &scenarios {
        for f in &s.killed_by {
            by_fault.entry(f.parse().expect("validated at load")).or_default().push(&s.id);
        }
    }
    let mut problems = Vec::new();
    let mut killed: BTreeSet<&str> = BTreeSet::new();
    let mut rows = Vec::new();
    let targets: Vec<(Vec<Fault>, Variant)> = by_fault.keys().map(|f| (vec![*f], Variant::of(*f))).collect();
    let reports = run_each(&rt, &scenarios, &targets);
    for ((fault, declared), report) in by_fault.iter().zip(reports) {
        let mut hit = 0;
        for r in &report.results {
            let named = declared.contains(&r.id.as_str());
            match (named, r.outcome) {
                (true, Outcome::Fail) => {
                    hit += 1;
                    killed.insert(declared.iter().find(|d| **d == r.id).copied().unwrap_or_default());
                }
                (true, _) => {
                    problems.push(format!("{fault}: {} survives ({})", r.id, describe(&report, &r.id)))
                }
                (false, Outcome::Fail | Outcome::Error) => {
                    problems.push(format!("{fault}: collateral {}", describe(&report, &r.id)))
                }
                (false, _) => {}
            }
        }
        rows.push(format!(
            "{:<42} kills {hit}/{}{}",
            fault.name(),
            declared.len(),
            Variant::of(*fault).label()
        ));
    }
    let unused: Vec<&str> =
        Fault::ALL.iter().filter(|f| !by_fault.contains_key(f)).map(|f| f.name()).collect();
    println!("kill matrix: {} of {} scenarios killed by a fault", killed.len(), scenarios.len());
    for row in &rows {
        println!("  {row}");
    }
    if !unused.is_empty() {
        println!("faults no scenario names yet: {}", unused.join(", "));
    }
    assert!(unproven.is_empty(), "scenarios that name no fault (nothing proves they can fail): {unproven:?}");
    assert!(problems.is_empty(), "kill matrix problems:\n{}", problems.join("\n"));
}
