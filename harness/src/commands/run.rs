//! `run`, and the library entry point that runs scenarios against a target and builds the
//! report ([`execute`], [`execute_until`]), which `snapshot` and `diff` share (layer:
//! commands).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::Exit;
use crate::commands::cli::{Format, RunArgs};
use crate::commands::common::{announced, color_enabled, interrupted};
use crate::commands::error::CommandError;
use crate::commands::settings::{Settings, select};
use crate::engine::cleanup::Ledger;
use crate::engine::run::{Progress, Sink, run_into};
use crate::engine::suite::Scenario;
use crate::engine::target::{MCP_VERSIONS, PrepareError};
use crate::model::outcome::{Incomplete, RunReport, ScenarioResult};
use crate::render::report::{self, Style};

/// Run scenarios against a prepared target and build the report (the library entry point
/// used by the CLI and by tests).
pub async fn execute(
    settings: &Settings,
    scenarios: Vec<Scenario>,
    progress: Option<Progress>,
) -> Result<RunReport, PrepareError> {
    execute_until(settings, scenarios, progress, std::future::pending()).await
}

/// The clean-up of an interrupted run must end within the two seconds a user waits.
const INTERRUPTED_CLEANUP: Duration = Duration::from_millis(1500);
/// The clean-up of a finished run.
const CLEANUP: Duration = Duration::from_secs(60);

/// [`execute`], stopping early when `stop` yields (the name of a signal): the report then
/// covers the scenarios that finished and is marked incomplete. Either way, what the run
/// created on a target other than the bundled server is removed (unless `keep_clients`).
pub async fn execute_until(
    settings: &Settings,
    scenarios: Vec<Scenario>,
    progress: Option<Progress>,
    stop: impl std::future::Future<Output = String>,
) -> Result<RunReport, PrepareError> {
    let started_at = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let clock = Instant::now();
    let ledger: Arc<Ledger> = Arc::default();
    let sink: Sink = Arc::default();
    // The score card's runs for the MCP revisions the run does not follow: only the scenarios
    // some revision's gate leaves out can be of use there. A run without MCP scenarios has no
    // card.
    let others: Sink = Arc::default();
    let scores_mcp = scenarios.iter().any(|s| s.spec.contains("MCP"));
    let gated: Vec<Scenario> =
        scenarios.iter().filter(|s| MCP_VERSIONS.iter().any(|v| !s.applies_to_mcp(v))).cloned().collect();
    let ids: Vec<String> = scenarios.iter().map(|s| s.id.clone()).collect();
    // The prepared target, kept outside the work so that an interrupted run still knows it.
    let slot = std::sync::Mutex::new(None);
    tokio::pin!(stop);
    let work = async {
        let prepared = crate::engine::target::prepare(&settings.target, ledger.clone()).await?;
        let env = Arc::new(prepared.env);
        let discovered = prepared.target.discovery_error.is_none();
        *slot.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((prepared.target, prepared.server, env.metadata.clone(), env.trust.clone()));
        // Without metadata every scenario would end in the same error: the cause is said once.
        if discovered {
            run_into(env.clone(), scenarios, settings.jobs, progress, sink.clone()).await;
            // Scenarios of other MCP revisions only, run under those revisions' rules so that
            // the score card judges every revision the scenarios allow.
            for (revision, only_there) in other_revisions(&gated, &env.mcp_version) {
                let mut there = (*env).clone();
                there.mcp_version = revision;
                run_into(Arc::new(there), only_there, settings.jobs, None, others.clone()).await;
            }
        }
        Ok::<_, PrepareError>(())
    };
    let signal = tokio::select! {
        done = work => {
            done?;
            None
        }
        signal = &mut stop => Some(signal),
    };
    let mut results: Vec<(usize, ScenarioResult)> =
        std::mem::take(&mut *sink.lock().unwrap_or_else(|p| p.into_inner()));
    results.sort_by_key(|(i, _)| *i);
    let not_run: Vec<String> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| !results.iter().any(|(j, _)| j == i))
        .map(|(_, id)| id.clone())
        .collect();
    let mut results: Vec<ScenarioResult> = results.into_iter().map(|(_, r)| r).collect();
    if let Some(b) = &settings.baseline {
        b.apply(&mut results);
    }
    let prepared = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    let (target, server, metadata, trust) = prepared.unwrap_or_else(|| {
        (
            crate::engine::target::describe(&settings.target),
            None,
            serde_json::Value::Null,
            Arc::new(crate::engine::trust::Trust::open()),
        )
    });
    let embedded = target.embedded;
    drop(server);
    let mut report =
        RunReport::new(target, settings.fail_on, started_at, clock.elapsed().as_millis() as u64, results);
    if let Some(signal) = signal {
        let not_run = if report.target.discovery_error.is_some() { Vec::new() } else { not_run };
        report.incomplete = Some(Incomplete { reason: format!("interrupted by {signal}"), not_run });
    }
    if !embedded {
        let revocation_endpoint = metadata.get("revocation_endpoint").and_then(serde_json::Value::as_str);
        let plan = crate::engine::cleanup::Plan {
            revocation_endpoint,
            limits: settings.target.limits,
            keep_clients: settings.keep_clients,
            budget: if report.incomplete.is_some() { INTERRUPTED_CLEANUP } else { CLEANUP },
            trust: trust.clone(),
        };
        report.cleanup = Some(crate::engine::cleanup::clean(&ledger, plan).await);
    }
    report.learned = ledger.learned();
    report.contacted = trust.contacted();
    let mut extra: Vec<(usize, ScenarioResult)> =
        std::mem::take(&mut *others.lock().unwrap_or_else(|p| p.into_inner()));
    extra.sort_by_key(|(i, _)| *i);
    let counted: Vec<&ScenarioResult> = extra.iter().map(|(_, r)| r).chain(report.results.iter()).collect();
    if scores_mcp {
        let selected = report.target.mcp_version.clone();
        report.score_card = crate::model::score::score(MCP_VERSIONS, &selected, &counted);
    }
    Ok(report)
}

/// For each MCP revision but `selected`, the scenarios that apply to it and not to `selected`
/// (those the run for `selected` skips by their version gates).
fn other_revisions(scenarios: &[Scenario], selected: &str) -> Vec<(String, Vec<Scenario>)> {
    MCP_VERSIONS
        .iter()
        .filter(|v| **v != selected)
        .map(|v| {
            let only: Vec<Scenario> = scenarios
                .iter()
                .filter(|s| s.applies_to_mcp(v) && !s.applies_to_mcp(selected))
                .cloned()
                .collect();
            (v.to_string(), only)
        })
        .filter(|(_, only)| !only.is_empty())
        .collect()
}

/// `run`: run the selected scenarios and print the report.
pub async fn run(args: RunArgs) -> Result<Exit, CommandError> {
    let settings = Settings::from_run_args(&args).map_err(CommandError::Usage)?;
    let scenarios = select(&args.select)?;
    run_selected(settings, scenarios, &args).await
}

/// Run these scenarios with these settings, print and write the reports as `args` asks, and
/// say how the run ended (shared by `run` and `client`).
pub async fn run_selected(
    settings: Settings,
    scenarios: Vec<Scenario>,
    args: &RunArgs,
) -> Result<Exit, CommandError> {
    if scenarios.is_empty() {
        return Err(CommandError::Usage(format!(
            "no scenario matches --only {}",
            args.select.only.join(",")
        )));
    }
    // The manual driver's prompts go to standard error: no progress line writes over them.
    let manual = crate::engine::target::driver(&settings.target) == crate::engine::interact::Driver::Manual;
    let stderr_tty = std::io::stderr().is_terminal() && !manual;
    let last = Arc::new(std::sync::Mutex::new((Instant::now(), 0usize, scenarios.len())));
    let progress: Option<Progress> = stderr_tty.then(|| {
        let last = last.clone();
        let p: Progress = Arc::new(move |done, total, r| {
            if let Ok(mut l) = last.lock() {
                *l = (Instant::now(), done, total);
            }
            if total > 20 {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "{}", report::progress_line(done, total, r));
                let _ = err.flush();
            }
        });
        p
    });
    // On a terminal, a server that keeps the harness waiting is said while it does.
    let ticker = stderr_tty.then(|| tokio::spawn(waiting_ticker(last)));
    let report = execute_until(&settings, scenarios, progress.clone(), announced(interrupted())).await;
    if let Some(t) = ticker {
        t.abort();
    }
    let mut report = report?;
    if progress.is_some() {
        eprint!("\r\x1b[2K");
    }
    if args.stable {
        crate::render::stable::stabilize(&mut report);
    }
    let stdout_tty = std::io::stdout().is_terminal();
    let text = match args.format {
        Format::Terminal => report::terminal(&report, Style { color: color_enabled(args.color, stdout_tty) }),
        Format::Json => report::json(&report),
        Format::Junit => report::junit(&report),
        Format::Markdown => report::markdown(&report),
        Format::Html => report::html(&report),
        Format::Sarif => report::sarif(&report),
    };
    print!("{text}");
    if let Some(dir) = &args.report_dir {
        report::write_all(dir, &report).map_err(CommandError::Io)?;
    }
    if report.incomplete.is_some() {
        return Ok(Exit::Interrupted);
    }
    Ok(match report.exit_code() {
        0 => Exit::Pass,
        1 => Exit::Failure,
        _ => Exit::Errors,
    })
}

/// Every second without a finished scenario after the first two, rewrite a line on stderr
/// saying how long the harness has been waiting for the server.
async fn waiting_ticker(last: Arc<std::sync::Mutex<(Instant, usize, usize)>>) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let Ok((at, done, total)) = last.lock().map(|l| *l) else { return };
        let idle = at.elapsed().as_secs();
        if idle >= 2 {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{}", report::waiting_line(done, total, idle));
            let _ = err.flush();
        }
    }
}
