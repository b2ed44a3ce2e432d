//! The fake server's protocol surface is locked by snapshots: every built-in scenario's
//! exchanges, normalized, in `harness/tests/snapshots/fake-server/`. An accidental change of
//! the fake (a renamed field, a changed header, a new error code) shows up here as a diff.
//! After a deliberate change: `cargo run -p harness -- diff --dir harness/tests/snapshots/fake-server --update`.

use std::path::PathBuf;

use harness::commands::run::execute;
use harness::commands::settings::Settings;
use harness::render::snapshot;

#[test]
fn the_fake_servers_exchanges_match_the_committed_snapshots() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/fake-server");
    let args = harness::commands::cli::TargetArgs { timeout: 15, ..Default::default() };
    let mut settings = Settings::from_target_args(&args).expect("default settings");
    settings.jobs = 1;
    let scenarios = harness::engine::suite::load(&[], true).expect("built-in suites load");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let report = rt.block_on(execute(&settings, scenarios, None)).expect("the run starts");
    let drift = snapshot::drift(&dir, &report, true).expect("snapshots readable");
    assert!(
        drift.is_empty(),
        "the fake server's protocol surface changed ({} scenarios); if that was meant, run \
         `cargo run -p harness -- diff --dir harness/tests/snapshots/fake-server --update`:\n{}",
        drift.len(),
        snapshot::render(&drift, false)
    );
}
