//! The kill matrix: every built-in scenario passes against the clean fake server, and for
//! every fault, the scenarios that name it fail while no other scenario fails or errors.
//! A scenario no fault can kill proves nothing, so every scenario must name one.
//!
//! The clean run is made twice, against an issuer without a path and one with a path
//! (RFC 8414 §3.1), so the suites hold for both; faults that only show with an issuer path
//! (`Fault::needs_issuer_path`) run against the latter.

use std::collections::{BTreeMap, BTreeSet};

use fake_server::Fault;
use harness::app::execute;
use harness::outcome::{Outcome, RunReport};
use harness::settings::{LATEST_MCP, MCP_VERSIONS, Settings};
use harness::suite::{self, Scenario};

/// The issuer path of the second target.
const ISSUER_PATH: &str = "/tenant";

fn settings(faults: &[Fault], issuer_path: Option<&str>) -> Settings {
    let args = harness::cli::TargetArgs { timeout: 15, ..Default::default() };
    let mut s = Settings::from_target_args(&args).expect("default settings");
    s.faults = faults.to_vec();
    s.fake_issuer_path = issuer_path.map(str::to_string);
    s.jobs = 16;
    s
}

/// The newest MCP version a scenario's `mcp>=` / `mcp<` gates allow.
fn mcp_version(s: &Scenario) -> &'static str {
    MCP_VERSIONS.iter().rev().copied().find(|v| s.applies_to_mcp(v)).unwrap_or(LATEST_MCP)
}

/// Run every scenario under the newest MCP version it applies to (one fake server per version
/// in use), so the scenarios of older MCP versions are proven too; results in input order.
async fn run_versions(base: Settings, scenarios: Vec<Scenario>) -> RunReport {
    let mut groups: BTreeMap<&str, Vec<Scenario>> = BTreeMap::new();
    for s in &scenarios {
        groups.entry(mcp_version(s)).or_default().push(s.clone());
    }
    let mut merged: Option<RunReport> = None;
    for (version, group) in groups {
        let mut settings = base.clone();
        settings.mcp_version = Some(version.to_string());
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

/// One run per target (faults, issuer path), a few at a time; reports in the same order.
fn run_each(
    rt: &tokio::runtime::Runtime,
    scenarios: &[Scenario],
    targets: &[(Vec<Fault>, Option<&'static str>)],
) -> Vec<RunReport> {
    rt.block_on(async {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL_RUNS));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, (faults, path)) in targets.iter().enumerate() {
            let (settings, scenarios, permits) =
                (settings(faults, *path), scenarios.to_vec(), permits.clone());
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

fn describe(report: &RunReport, id: &str) -> String {
    report
        .results
        .iter()
        .find(|r| r.id == id)
        .map(|r| format!("{id}: {} — {}", r.outcome.as_str(), harness::report::cause(r)))
        .unwrap_or_default()
}

#[test]
fn every_scenario_passes_clean_and_fails_under_its_faults_without_collateral() {
    let scenarios = suite::load(&[], true).expect("built-in suites load");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    let paths = [None, Some(ISSUER_PATH)];
    let targets: Vec<(Vec<Fault>, Option<&str>)> = paths.iter().map(|p| (Vec::new(), *p)).collect();
    for (path, clean) in paths.iter().zip(run_each(&rt, &scenarios, &targets)) {
        let broken: Vec<String> = clean
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Error))
            .map(|r| describe(&clean, &r.id))
            .collect();
        let target = path.map_or("without an issuer path".to_string(), |p| format!("with issuer path {p}"));
        assert!(broken.is_empty(), "against the clean fake server {target}:\n{}", broken.join("\n"));
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
    let targets: Vec<(Vec<Fault>, Option<&str>)> =
        by_fault.keys().map(|f| (vec![*f], f.needs_issuer_path().then_some(ISSUER_PATH))).collect();
    let reports = run_each(&rt, &scenarios, &targets);
    for ((fault, declared), report) in by_fault.iter().zip(reports) {
        let path = fault.needs_issuer_path().then_some(ISSUER_PATH);
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
        let on = if path.is_some() { " (issuer path)" } else { "" };
        rows.push(format!("{:<42} kills {hit}/{}{on}", fault.name(), declared.len()));
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
