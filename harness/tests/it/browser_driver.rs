//! The browser interaction driver: a headless Chromium operates the login and consent pages
//! (the whole suite runs that way in CI, `.ci/run`); here, the scenarios that live on those
//! pages pass in it and still fail under the faults that name them, and a missing browser is
//! a one-line error.

use fake_server::Fault;
use harness::commands::run::execute;
use harness::commands::settings::Settings;
use harness::engine::browser;
use harness::engine::interact::Driver;
use harness::engine::suite::{self, Scenario};
use harness::model::outcome::Outcome;

use crate::support::run;

/// Is there a browser? CI must have one; elsewhere the test says it skipped.
fn have_browser() -> bool {
    match browser::find(None) {
        Ok(_) => true,
        Err(e) if std::env::var_os("CI").is_some() => panic!("CI runs the browser driver: {e}"),
        Err(e) => {
            eprintln!("skipped: {e}");
            false
        }
    }
}

/// The scenarios that submit the login or consent page.
fn page_scenarios() -> Vec<Scenario> {
    let all = suite::load(&[], true).expect("built-in suites load");
    all.into_iter()
        .filter(|s| {
            s.id.starts_with("CONS-") || ["AUTHZ-13", "AUTHZ-28", "AUTHZ-29"].contains(&s.id.as_str())
        })
        .collect()
}

fn settings(faults: &[Fault]) -> Settings {
    let args = harness::commands::cli::TargetArgs { timeout: 15, ..Default::default() };
    let mut s = Settings::from_target_args(&args).expect("default settings");
    s.target.faults = faults.to_vec();
    s.target.driver = Some(Driver::Browser);
    s
}

#[test]
fn the_pages_scenarios_pass_in_a_real_browser_and_fail_under_their_faults() {
    if !have_browser() {
        return;
    }
    let scenarios = page_scenarios();
    assert!(scenarios.len() > 15, "{} scenarios", scenarios.len());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let clean = rt.block_on(execute(&settings(&[]), scenarios.clone(), None)).expect("the run starts");
    let bad: Vec<String> = clean
        .results
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Pass | Outcome::Skip))
        .map(|r| format!("{} {}: {}", r.id, r.outcome.as_str(), harness::render::report::cause(r)))
        .collect();
    assert!(bad.is_empty(), "not passing with the browser driver:\n{}", bad.join("\n"));
    let passed = clean.results.iter().filter(|r| r.outcome == Outcome::Pass).count();
    assert!(passed > 15, "only {passed} passed");

    for fault in
        [Fault::IgnorePartialConsent, Fault::Redirect307AfterLogin, Fault::NoConsentCsrf, Fault::SkipConsent]
    {
        let killed: Vec<&str> = scenarios
            .iter()
            .filter(|s| s.killed_by.iter().any(|k| k == fault.name()))
            .map(|s| s.id.as_str())
            .collect();
        assert!(!killed.is_empty(), "{} kills none of these scenarios", fault.name());
        let report =
            rt.block_on(execute(&settings(&[fault]), scenarios.clone(), None)).expect("the run starts");
        for id in killed {
            let r = report.results.iter().find(|r| r.id == id).expect("the scenario ran");
            assert_eq!(
                r.outcome,
                Outcome::Fail,
                "{id} under {}: {}",
                fault.name(),
                harness::render::report::cause(r)
            );
        }
    }
}

#[test]
fn a_browser_that_cannot_start_is_a_one_line_error() {
    let (code, stdout, stderr) =
        run(&["run", "--driver", "browser", "--browser", "/nonexistent/chromium", "--only", "CONS-01"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot start the browser /nonexistent/chromium"), "{stderr}");
}
