//! The manual interaction driver: the harness prints the authorization URL and waits for the
//! response to the client. Here a test plays the person (signing in with its own user agent,
//! as a browser of the person's would) and pastes the address it was sent to.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use harness::commands::run::execute;
use harness::commands::settings::Settings;
use harness::engine::agent::{Agent, Limits, Request};
use harness::engine::interact::{Action, Driver, PageKind};
use harness::engine::manual::Person;
use harness::engine::profile::interaction_profile;
use harness::engine::suite;
use harness::model::outcome::Outcome;
use tokio::sync::mpsc::UnboundedSender;

use crate::support::bin;

/// The person: a browser of their own (a fresh user agent) that signs in as alice, approves,
/// and pastes the address the server sends it to.
async fn sign_in_and_paste(url: String, paste: UnboundedSender<String>) {
    let ui = interaction_profile("fake-server").expect("built in");
    let mut browser = Agent::new(Limits::default(), Vec::new()).expect("an agent");
    let issuer_origin = url.split("/authorize").next().unwrap_or_default().to_string();
    let mut req = Request::get(url);
    for _ in 0..10 {
        let resp = browser.browse(req).await.expect("the server answers");
        if let Some(to) = resp.location().filter(|_| resp.is_redirect()) {
            if !to.starts_with(&issuer_origin) {
                paste.send(format!("{to}\n")).expect("the harness listens");
                return;
            }
            req = Request::get(to);
            continue;
        }
        let html = resp.text();
        let action = match ui.classify(&resp.url, &html) {
            PageKind::Login => Action::Login { username: "alice".into(), password: "alice-password".into() },
            PageKind::Consent => Action::Approve(None),
            other => panic!("the person did not expect a {other:?} page at {}", resp.url),
        };
        req = ui.plan(&resp.url, &html, &action).expect("the page can be driven");
    }
    panic!("no redirect to the client");
}

#[test]
fn a_person_signs_in_from_the_printed_url_and_the_scenario_goes_on_with_the_pasted_response() {
    let all = suite::load(&[], true).expect("built-in suites load");
    let scenarios: Vec<_> =
        all.into_iter().filter(|s| ["CODE-01", "AUTHZ-13"].contains(&s.id.as_str())).collect();
    assert_eq!(scenarios.len(), 2);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let opener = {
        let asked = asked.clone();
        let handle = rt.handle().clone();
        Arc::new(move |url: &str| {
            asked.lock().unwrap().push(url.to_string());
            handle.spawn(sign_in_and_paste(url.to_string(), tx.clone()));
        })
    };
    let args = harness::commands::cli::TargetArgs { timeout: 15, ..Default::default() };
    let mut s = Settings::from_target_args(&args).expect("default settings");
    s.target.driver = Some(Driver::Manual);
    s.target.person = Some(Arc::new(Person::new(rx, opener, Duration::from_secs(30))));
    let report = rt.block_on(execute(&s, scenarios, None)).expect("the run starts");
    let by_id = |id: &str| report.results.iter().find(|r| r.id == id).expect("ran");
    let code = by_id("CODE-01");
    assert_eq!(code.outcome, Outcome::Pass, "{}", harness::render::report::cause(code));
    // A wrong password the harness would have to type and see refused: not the person's job.
    let wrong = by_id("AUTHZ-13");
    assert_eq!(wrong.outcome, Outcome::Skip);
    assert!(wrong.reason.as_deref().unwrap_or("").contains("manual driver"), "{:?}", wrong.reason);
    let asked = asked.lock().unwrap();
    assert_eq!(asked.len(), 1, "asked once, for CODE-01: {asked:?}");
    assert!(asked[0].contains("/authorize?") && asked[0].contains("code_challenge="), "{}", asked[0]);
}

#[test]
fn the_cli_prints_the_url_opens_it_with_browser_and_reports_a_closed_input_as_an_error() {
    let dir = std::env::temp_dir().join(format!("manual-driver-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let opened = dir.join("opened.txt");
    let script = dir.join("open.sh");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = bin()
        .args(["run", "--driver", "manual", "--only", "CODE-01", "--manual-timeout", "20"])
        .env("BROWSER", format!("{} %s", script.display()))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run oauth-conformance");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stderr.contains("[manual] CODE-01 step `a`: open this URL, sign in as alice and approve"),
        "{stderr}"
    );
    assert!(stdout.contains("standard input closed before the response was pasted"), "{stdout}");
    let mut url = String::new();
    for _ in 0..100 {
        url = std::fs::read_to_string(&opened).unwrap_or_default();
        if !url.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(url.starts_with("http://127.0.0.1:") && url.contains("/authorize?"), "opened: {url:?}");
    assert!(stderr.contains(&url), "the printed URL is the opened one: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
