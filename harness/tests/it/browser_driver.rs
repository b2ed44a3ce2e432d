//! The browser interaction driver: a headless Chromium operates the login and consent pages
//! (CI, `.ci/run`, runs the whole suite that way on the pages a script draws); here, the
//! scenarios that live on those pages pass in it, on server-rendered and scripted pages, and
//! still fail under the faults that name them, and a missing browser is a one-line error.

use fake_server::{Fault, Variant};
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

fn settings(driver: Driver, variants: &[Variant], faults: &[Fault]) -> Settings {
    let args = harness::commands::cli::TargetArgs { timeout: 15, ..Default::default() };
    let mut s = Settings::from_target_args(&args).expect("default settings");
    s.target.faults = faults.to_vec();
    s.target.variants = variants.to_vec();
    s.target.driver = Some(driver);
    s
}

/// Every scenario passes or is skipped with a reason.
fn all_pass(report: &harness::model::outcome::RunReport, label: &str) {
    let bad: Vec<String> = report
        .results
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Pass | Outcome::Skip))
        .map(|r| format!("{} {}: {}", r.id, r.outcome.as_str(), harness::render::report::cause(r)))
        .collect();
    assert!(bad.is_empty(), "not passing with the browser driver ({label}):\n{}", bad.join("\n"));
    let passed = report.results.iter().filter(|r| r.outcome == Outcome::Pass).count();
    assert!(passed > 15, "only {passed} passed ({label})");
}

#[test]
fn the_pages_scenarios_pass_in_a_real_browser_and_fail_under_their_faults() {
    if !have_browser() {
        return;
    }
    let scenarios = page_scenarios();
    assert!(scenarios.len() > 15, "{} scenarios", scenarios.len());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    // Server-rendered pages, and pages a script draws from JSON and posts with fetch.
    let runs: Vec<(&[Variant], &[Fault])> = vec![
        (&[], &[]),
        (&[Variant::ScriptPages], &[]),
        (&[], &[Fault::IgnorePartialConsent]),
        (&[], &[Fault::Redirect307AfterLogin]),
        (&[Variant::ScriptPages], &[Fault::IgnorePartialConsent]),
        (&[Variant::ScriptPages], &[Fault::AcceptAnyPassword]),
        // The username on a page of its own, drawn by the script: passed by a [[page]] rule.
        (&[Variant::ScriptPages, Variant::IdentifierFirst], &[]),
    ];
    let reports = rt.block_on(async {
        // Each run starts a browser of its own: two at a time keep a small machine responsive.
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(2));
        let mut all = tokio::task::JoinSet::new();
        for (i, (variants, faults)) in runs.iter().enumerate() {
            let (s, scenarios) = (settings(Driver::Browser, variants, faults), scenarios.clone());
            let permits = permits.clone();
            all.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (i, execute(&s, scenarios, None).await.expect("the run starts"))
            });
        }
        let mut done = all.join_all().await;
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, r)| r).collect::<Vec<_>>()
    });
    for ((variants, faults), report) in runs.iter().zip(&reports) {
        let label = format!("variants {variants:?}, faults {faults:?}");
        let [fault] = faults else {
            all_pass(report, &label);
            continue;
        };
        let killed: Vec<&str> = scenarios
            .iter()
            .filter(|s| s.killed_by.iter().any(|k| k == fault.name()))
            .map(|s| s.id.as_str())
            .collect();
        assert!(!killed.is_empty(), "{} kills none of these scenarios", fault.name());
        for id in killed {
            let r = report.results.iter().find(|r| r.id == id).expect("the scenario ran");
            assert_eq!(r.outcome, Outcome::Fail, "{id} ({label}): {}", harness::render::report::cause(r));
        }
    }
}

#[test]
fn the_form_driver_finds_no_form_on_pages_a_script_draws_and_names_the_browser_driver() {
    let scenarios: Vec<Scenario> = page_scenarios().into_iter().filter(|s| s.id == "CONS-01").collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let report = rt
        .block_on(execute(&settings(Driver::Form, &[Variant::ScriptPages], &[]), scenarios, None))
        .expect("the run starts");
    let r = &report.results[0];
    assert_eq!(r.outcome, Outcome::Error, "{}", harness::render::report::cause(r));
    let why = harness::render::report::cause(r);
    assert!(why.contains("rendered by JavaScript") && why.contains("--driver browser"), "{why}");
}

#[test]
fn a_browser_that_cannot_start_is_a_one_line_error() {
    let (code, stdout, stderr) =
        run(&["run", "--driver", "browser", "--browser", "/nonexistent/chromium", "--only", "CONS-01"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot start the browser /nonexistent/chromium"), "{stderr}");
}

/// The built-in interaction profile without its `[[page]]` rule for the identifier page.
fn profile_without_the_identifier_rule(dir: &std::path::Path) -> String {
    let ui = include_str!("../../../fixtures/profiles/fake-server-ui.toml");
    let cut = ui.find("[[page]]").expect("the built-in profile has a [[page]] rule");
    let path = dir.join("ui.toml");
    std::fs::write(&path, &ui[..cut]).unwrap();
    let profile = include_str!("../../../fixtures/profiles/fake-server.toml");
    profile
        .replace("interaction = \"fake-server\"", &format!("interaction = {:?}", path.display().to_string()))
}

#[test]
fn a_page_no_rule_matches_ends_the_step_in_error_and_is_saved_with_the_report() {
    let dir = std::env::temp_dir().join(format!("unmatched-page-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenarios: Vec<Scenario> = page_scenarios().into_iter().filter(|s| s.id == "CONS-01").collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut drivers = vec![Driver::Form];
    if have_browser() {
        drivers.push(Driver::Browser);
    }
    for driver in drivers {
        let mut s = settings(driver, &[Variant::IdentifierFirst], &[]);
        s.target.profile_text = profile_without_the_identifier_rule(&dir);
        let report = rt.block_on(execute(&s, scenarios.clone(), None)).expect("the run starts");
        let r = &report.results[0];
        let why = harness::render::report::cause(r);
        assert_eq!(r.outcome, Outcome::Error, "{driver:?}: {why}");
        assert!(why.contains("matches no rule") && why.contains("name=\"username\""), "{why}");
        let html = r.attachments.iter().find(|a| a.file.ends_with(".html")).expect("the page's HTML");
        assert_eq!(html.file, "pages/CONS-01-1.html");
        assert!(String::from_utf8_lossy(&html.data).contains("identify-form"), "{driver:?}");
        let png = r.attachments.iter().find(|a| a.file.ends_with(".png"));
        assert_eq!(png.is_some(), driver == Driver::Browser, "a screenshot only from a browser");
        if let Some(png) = png {
            assert!(png.data.starts_with(b"\x89PNG"), "a PNG");
        }
        // Written beside the reports, and linked from the HTML one.
        let out = dir.join(driver.as_str());
        harness::render::report::write_all(&out, &report).unwrap();
        assert_eq!(std::fs::read(out.join(&html.file)).unwrap(), html.data);
        let page = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(page.contains("<a href=\"pages/CONS-01-1.html\">"), "linked from report.html");
    }
    // With the rule, the same page is passed.
    let s = settings(Driver::Form, &[Variant::IdentifierFirst], &[]);
    let report = rt.block_on(execute(&s, scenarios, None)).expect("the run starts");
    assert_eq!(
        report.results[0].outcome,
        Outcome::Pass,
        "{}",
        harness::render::report::cause(&report.results[0])
    );
    assert!(report.results[0].attachments.is_empty(), "nothing is kept for a pass");
    let _ = std::fs::remove_dir_all(&dir);
}
