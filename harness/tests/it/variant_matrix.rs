//! The variant matrix, the other half of the kill matrix: behaviours the specifications allow
//! (the fake server's `Variant`s) must not fail a check. Under each variant the whole suite
//! runs against the bundled server, with the target profile a user of such a server would
//! write (it says, for example, which grants a client may use): no scenario errors, none
//! fails, and whatever cannot be judged is skipped with its reason. The few variants that
//! trade a SHOULD for another behaviour may fail that SHOULD's scenario and nothing else;
//! `TRADED_SHOULDS` names them with the sentence.
//!
//! Then sensitivity under each variant: every fault still makes each scenario it names fail,
//! wherever that scenario is judged (passes) under the variant alone.

use std::collections::BTreeMap;
use std::sync::Arc;

use fake_server::{Fault, Variant};
use harness::commands::settings::Settings;
use harness::engine::suite::{self, Level, Scenario};
use harness::model::outcome::{Outcome, RunReport};

use super::kill_matrix::{describe, run_versions};

/// The variants the form driver can sign in under: all but `js-pages`, whose pages a script
/// draws. That one runs with the browser driver, the whole suite in CI (`.ci/run`) and the
/// scenarios of its pages with their faults in `browser_driver`.
const FORM_DRIVEN: &[Variant] = &[
    Variant::ValidateAfterLogin,
    Variant::RememberedConsent,
    Variant::CsrfFieldName,
    Variant::LoginWithoutCancel,
    Variant::LoginWith302,
    Variant::SingleGrantType,
    Variant::SingleAuthMethod,
    Variant::SlidingRefresh,
    Variant::RefreshNotIntrospectable,
    Variant::IntrospectionMinimal,
    Variant::NoPrompt,
    Variant::TokenRedirectUriRequired,
    Variant::SplitOrigin,
    Variant::OtherPaths,
    Variant::NoResourceIndicators,
    Variant::IdentifierFirst,
    Variant::Rs256IdTokens,
    Variant::DpopNonce,
    Variant::NoDpop,
];

#[test]
fn every_variant_but_js_pages_is_in_the_form_driven_matrix() {
    let missing: Vec<&str> = Variant::ALL
        .iter()
        .filter(|v| **v != Variant::ScriptPages && !FORM_DRIVEN.contains(v))
        .map(|v| v.name())
        .collect();
    assert!(missing.is_empty(), "add to FORM_DRIVEN: {missing:?}");
}

/// Scenarios a variant may fail because it gives up a SHOULD, with the sentence.
const TRADED_SHOULDS: &[(Variant, &str, &str)] = &[
    (
        Variant::RememberedConsent,
        "CONS-06",
        "RFC 6749 §10.2: SHOULD NOT process repeated requests automatically for a client whose identity is not assured",
    ),
    (Variant::RememberedConsent, "CONS-06.dcr", "RFC 6749 §10.2, as for CONS-06"),
    (Variant::LoginWith302, "AUTHZ-28.303", "RFC 9700 §4.12: SHOULD use 303 after a POST with credentials"),
];

/// The bundled target profile, changed as the profile of a server with this behaviour would be.
fn profile_for(variant: Variant, base: &str) -> String {
    let mut text = base.to_string();
    let mut set_in = |table: &str, line: &str| {
        let header = format!("[clients.{table}]\n");
        let at = text.find(&header).map(|i| i + header.len()).expect("the bundled profile has the table");
        text.insert_str(at, &format!("{line}\n"));
    };
    match variant {
        Variant::SingleGrantType => {
            for role in ["confidential", "other", "query", "jwt", "trusted"] {
                set_in(role, "grant_types = [\"authorization_code\", \"refresh_token\"]");
            }
        }
        Variant::SingleAuthMethod => {
            text = text.replace("auth_methods = [\"client_secret_basic\", \"client_secret_post\"]\n", "");
        }
        Variant::SplitOrigin => {
            // The back-channel endpoints answer on `localhost` at the issuer's port: an operator
            // trusts that origin with the run's credentials (a top-level key, so before any table).
            text.insert_str(0, "trusted_origins = [\"http://localhost:*\"]\n");
        }
        Variant::TokenRedirectUriRequired => {
            text.push_str("\n[options]\ntoken_redirect_uri = \"rfc6749\"\n");
        }
        Variant::NoResourceIndicators => {
            // A server without RFC 8707 is no MCP authorization server: no resource to name.
            text = text
                .lines()
                .filter(|l| {
                    !["resource =", "resource_scope =", "other_resource ="].iter().any(|k| l.starts_with(k))
                })
                .map(|l| format!("{l}\n"))
                .collect();
        }
        _ => {}
    }
    text
}

fn settings(variant: Variant, faults: &[Fault]) -> Settings {
    let args = harness::commands::cli::TargetArgs { timeout: 15, ..Default::default() };
    let mut s = Settings::from_target_args(&args).expect("default settings");
    s.target.profile_text = profile_for(variant, &s.target.profile_text);
    s.target.variants = vec![variant];
    s.target.faults = faults.to_vec();
    s.jobs = 16;
    s
}

/// Runs made at the same time.
const PARALLEL_RUNS: usize = 4;

/// One run per (variant, faults, scenarios), a few at a time; reports in the same order.
fn run_each(rt: &tokio::runtime::Runtime, runs: Vec<(Variant, Vec<Fault>, Vec<Scenario>)>) -> Vec<RunReport> {
    rt.block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(PARALLEL_RUNS));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, (variant, faults, scenarios)) in runs.into_iter().enumerate() {
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (i, run_versions(settings(variant, &faults), scenarios).await)
            });
        }
        let mut reports = Vec::new();
        while let Some(done) = tasks.join_next().await {
            reports.push(done.expect("a run does not panic"));
        }
        reports.sort_by_key(|(i, _)| *i);
        reports.into_iter().map(|(_, r)| r).collect()
    })
}

#[test]
fn no_legitimate_variant_fails_a_check_and_every_fault_still_kills_under_each() {
    let scenarios = suite::load(&[], true).expect("built-in suites load");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let clean = run_each(&rt, FORM_DRIVEN.iter().map(|v| (*v, Vec::new(), scenarios.clone())).collect());

    let mut problems = Vec::new();
    let mut judged: BTreeMap<Variant, Vec<String>> = BTreeMap::new();
    for (variant, report) in FORM_DRIVEN.iter().zip(&clean) {
        let (mut pass, mut skip) = (0, 0);
        for r in &report.results {
            let traded = TRADED_SHOULDS.iter().any(|(v, id, _)| v == variant && *id == r.id);
            match r.outcome {
                Outcome::Pass => {
                    pass += 1;
                    judged.entry(*variant).or_default().push(r.id.clone());
                }
                Outcome::Skip if r.reason.as_deref().is_some_and(|w| !w.trim().is_empty()) => skip += 1,
                Outcome::Fail if traded && r.level > Level::Must => {}
                _ => problems.push(format!("{}: {}", variant.name(), describe(report, &r.id))),
            }
        }
        println!("{:<30} {pass} pass, {skip} skip", variant.name());
    }
    for (variant, id, why) in TRADED_SHOULDS {
        let report = &clean[FORM_DRIVEN.iter().position(|v| v == variant).unwrap()];
        let outcome = report.results.iter().find(|r| r.id == *id).map(|r| r.outcome);
        if outcome != Some(Outcome::Fail) {
            problems.push(format!(
                "{}: {id} was listed as a traded SHOULD ({why}) but is {outcome:?}",
                variant.name()
            ));
        }
    }
    assert!(problems.is_empty(), "legitimate variants judged as faults:\n{}", problems.join("\n"));

    // Sensitivity: each fault with each variant on, over the scenarios it names that the
    // variant alone lets pass.
    let mut by_fault: BTreeMap<Fault, Vec<&Scenario>> = BTreeMap::new();
    for s in &scenarios {
        for f in &s.killed_by {
            by_fault.entry(f.parse().expect("validated at load")).or_default().push(s);
        }
    }
    let mut runs = Vec::new();
    for variant in FORM_DRIVEN {
        let passing = judged.get(variant).cloned().unwrap_or_default();
        for (fault, named) in &by_fault {
            if fault.needs_issuer_path() || fault.needs_registration_token() {
                continue;
            }
            let subset: Vec<Scenario> =
                named.iter().filter(|s| passing.contains(&s.id)).map(|s| (*s).clone()).collect();
            if !subset.is_empty() {
                runs.push((*variant, vec![*fault], subset));
            }
        }
    }
    let count = runs.len();
    let keys: Vec<(Variant, Fault)> = runs.iter().map(|(v, f, _)| (*v, f[0])).collect();
    for ((variant, fault), report) in keys.into_iter().zip(run_each(&rt, runs)) {
        for r in report.results.iter().filter(|r| r.outcome != Outcome::Fail) {
            problems.push(format!(
                "{} + {}: {} survives",
                variant.name(),
                fault.name(),
                describe(&report, &r.id)
            ));
        }
    }
    println!("variant matrix: {count} fault runs under {} variants", FORM_DRIVEN.len());
    assert!(problems.is_empty(), "faults that no longer kill under a variant:\n{}", problems.join("\n"));
}
