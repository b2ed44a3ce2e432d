//! The commands: `run`, `list`, `explain`. Each returns the process exit code.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::Exit;
use crate::commands::cli::{ColorChoice, Command, ExplainArgs, Format, ListArgs, ListFormat, RunArgs};
use crate::commands::settings::{Settings, select};
use crate::engine::cleanup::Ledger;
use crate::engine::run::{Progress, Sink, run_into};
use crate::engine::suite::{LoadError, Scenario};
use crate::model::outcome::{Incomplete, RunReport, ScenarioResult};
use crate::render::report::{self, Style};

/// Run a parsed command line.
pub fn main(cli: crate::commands::cli::Cli) -> Exit {
    match cli.command {
        Command::Run(args) => with_runtime(run(args)),
        Command::List(args) => list(args),
        Command::Explain(args) => explain(args),
        Command::Snapshot(args) => with_runtime(crate::commands::snapshot::snapshot(args)),
        Command::Diff(args) => with_runtime(crate::commands::snapshot::diff(args)),
        Command::Compare(args) => crate::commands::snapshot::compare(args),
    }
}

fn with_runtime(fut: impl std::future::Future<Output = Exit>) -> Exit {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(fut),
        Err(e) => {
            eprintln!("oauth-conformance: cannot start the runtime: {e}");
            Exit::Usage
        }
    }
}

pub fn color_enabled(choice: ColorChoice, stream_is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stream_is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

pub fn print_load_errors(errors: &[LoadError]) {
    let color = color_enabled(ColorChoice::Auto, std::io::stderr().is_terminal());
    for e in errors {
        eprint!("{}", e.render(color));
    }
    eprintln!("oauth-conformance: {} problem(s) in scenario files; nothing was run", errors.len());
}

/// Run scenarios against a prepared target and build the report (the library entry point
/// used by the CLI and by tests).
pub async fn execute(
    settings: &Settings,
    scenarios: Vec<Scenario>,
    progress: Option<Progress>,
) -> Result<RunReport, String> {
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
) -> Result<RunReport, String> {
    let started_at = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let clock = Instant::now();
    let ledger: Arc<Ledger> = Arc::default();
    let sink: Sink = Arc::default();
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
            run_into(env, scenarios, settings.jobs, progress, sink.clone()).await;
        }
        Ok::<_, String>(())
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
    Ok(report)
}

/// `signal`, saying on standard error as soon as it arrives that the run stops.
pub async fn announced(signal: impl std::future::Future<Output = String>) -> String {
    let name = signal.await;
    eprintln!("\noauth-conformance: interrupted by {name}: cleaning up and writing what finished");
    name
}

/// Waits for SIGINT or SIGTERM and names it; never yields where they cannot be caught.
pub async fn interrupted() -> String {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT".to_string(),
                _ = term.recv() => "SIGTERM".to_string(),
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT".to_string()
            }
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C".to_string(),
            Err(_) => std::future::pending().await,
        }
    }
}

async fn run(args: RunArgs) -> Exit {
    let settings = match Settings::from_run_args(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("oauth-conformance: {e}");
            return Exit::Usage;
        }
    };
    let scenarios = match select(&args.select) {
        Ok(s) if s.is_empty() => {
            eprintln!("oauth-conformance: no scenario matches --only {}", args.select.only.join(","));
            return Exit::Usage;
        }
        Ok(s) => s,
        Err(errors) => {
            print_load_errors(&errors);
            return Exit::Usage;
        }
    };
    let stderr_tty = std::io::stderr().is_terminal();
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
    let mut report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("oauth-conformance: {e}");
            return Exit::Usage;
        }
    };
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
    if let Some(dir) = &args.report_dir
        && let Err(e) = report::write_all(dir, &report)
    {
        eprintln!("oauth-conformance: {e}");
        return Exit::Usage;
    }
    if report.incomplete.is_some() {
        return Exit::Interrupted;
    }
    match report.exit_code() {
        0 => Exit::Pass,
        1 => Exit::Failure,
        _ => Exit::Errors,
    }
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

fn list(args: ListArgs) -> Exit {
    let scenarios = match select(&args.select) {
        Ok(s) => s,
        Err(errors) => {
            print_load_errors(&errors);
            return Exit::Usage;
        }
    };
    let text = match args.format {
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = scenarios
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "id": s.id, "title": s.title, "level": s.level, "spec": s.spec, "area": s.area,
                        "also": s.also, "requires": s.requires.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "killed_by": s.killed_by, "source": s.source.to_string(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n"
        }
        ListFormat::Markdown => {
            let mut out = String::from(
                "| ID | Level | Area | Requirement | Spec | Killed by |\n|---|---|---|---|---|---|\n",
            );
            for s in &scenarios {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} | {} | {} |\n",
                    s.id,
                    s.level,
                    s.area,
                    s.title.replace('|', "\\|"),
                    s.spec.replace('|', "\\|"),
                    s.killed_by.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                ));
            }
            out
        }
        ListFormat::Text => {
            let mut out = String::new();
            // The longest ID sets the column, so long variant IDs do not shift the rest.
            let w = scenarios.iter().map(|s| s.id.chars().count()).max().unwrap_or(0).max(8);
            for s in &scenarios {
                out.push_str(&format!("{:<w$} {:<6} {:<14} {}\n", s.id, s.level.as_str(), s.area, s.title));
                out.push_str(&format!("{:<w$} {:<6} {:<14} {}\n", "", "", "", s.spec));
                if !s.killed_by.is_empty() {
                    out.push_str(&format!(
                        "{:<w$} {:<6} {:<14} killed by: {}\n",
                        "",
                        "",
                        "",
                        s.killed_by.join(", ")
                    ));
                }
            }
            out.push_str(&format!("{} scenarios\n", scenarios.len()));
            out
        }
    };
    print!("{text}");
    Exit::Pass
}

fn explain(args: ExplainArgs) -> Exit {
    let scenarios = match select(&args.select) {
        Ok(s) => s,
        Err(errors) => {
            print_load_errors(&errors);
            return Exit::Usage;
        }
    };
    let Some(s) = scenarios.iter().find(|s| s.id.eq_ignore_ascii_case(&args.id)) else {
        let close: Vec<&str> = scenarios
            .iter()
            .filter(|s| s.spec_id().eq_ignore_ascii_case(args.id.split('.').next().unwrap_or("")))
            .map(|s| s.id.as_str())
            .collect();
        let hint =
            if close.is_empty() { String::new() } else { format!(" (did you mean {}?)", close.join(", ")) };
        eprintln!(
            "oauth-conformance: no scenario `{}`{hint}; `oauth-conformance list` shows them all",
            args.id
        );
        return Exit::Usage;
    };
    print!("{}", crate::commands::explain::explain_text(s));
    Exit::Pass
}
