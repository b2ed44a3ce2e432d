//! The `snapshot`, `diff` and `compare` commands.

use std::io::IsTerminal;

use crate::Exit;
use crate::commands::cli::{CompareArgs, DiffArgs, DiffFormat, SnapshotArgs};
use crate::commands::run::{announced, color_enabled, execute_until, interrupted, print_load_errors};
use crate::commands::settings::{Settings, select};
use crate::model::outcome::RunReport;
use crate::render::report::cleanup_lines;
use crate::render::snapshot;

/// Snapshots are taken one scenario at a time, so that the order of requests (and so server
/// state such as remembered consent) is the same on every run.
async fn record(
    target: &crate::commands::cli::TargetArgs,
    select_args: &crate::commands::cli::SelectArgs,
) -> Result<RunReport, Exit> {
    let mut settings = Settings::from_target_args(target).map_err(|e| {
        eprintln!("oauth-conformance: {e}");
        Exit::Usage
    })?;
    settings.jobs = 1;
    let scenarios = select(select_args).map_err(|errors| {
        print_load_errors(&errors);
        Exit::Usage
    })?;
    let report = execute_until(&settings, scenarios, None, announced(interrupted())).await.map_err(|e| {
        eprintln!("oauth-conformance: {e}");
        Exit::Usage
    })?;
    if report.incomplete.is_some() {
        // Half a recording compares with nothing: neither written nor compared.
        return Err(Exit::Interrupted);
    }
    if let Some(line) = report.cleanup.as_ref().map(cleanup_lines) {
        eprint!("{line}");
    }
    Ok(report)
}

pub async fn snapshot(args: SnapshotArgs) -> Exit {
    let report = match record(&args.target, &args.select).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    match snapshot::write(&args.dir, &report) {
        Ok(n) => {
            println!("{n} scenario snapshots written to {}", args.dir.display());
            Exit::Pass
        }
        Err(e) => {
            eprintln!("oauth-conformance: {e}");
            Exit::Usage
        }
    }
}

pub async fn diff(args: DiffArgs) -> Exit {
    if !args.dir.is_dir() {
        eprintln!(
            "oauth-conformance: no snapshots in {} (record them with `oauth-conformance snapshot`)",
            args.dir.display()
        );
        return Exit::Usage;
    }
    let report = match record(&args.target, &args.select).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    let all = args.select.only.is_empty();
    let drifts = match snapshot::drift(&args.dir, &report, all) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("oauth-conformance: {e}");
            return Exit::Usage;
        }
    };
    match args.format {
        DiffFormat::Markdown => print!("{}", snapshot::render_markdown(&drifts, &args.dir)),
        DiffFormat::Json => print!("{}", snapshot::render_json(&drifts)),
        DiffFormat::Text if drifts.is_empty() => {
            println!("no drift: {} scenarios match {}", report.results.len(), args.dir.display())
        }
        DiffFormat::Text => {
            let color = color_enabled(args.color, std::io::stdout().is_terminal());
            print!("{}", snapshot::render(&drifts, color));
        }
    }
    if drifts.is_empty() {
        return Exit::Pass;
    }
    if args.update {
        if let Err(e) = snapshot::update(&args.dir, &report, &drifts) {
            eprintln!("oauth-conformance: {e}");
            return Exit::Usage;
        }
        eprintln!("{} snapshots updated in {}", drifts.len(), args.dir.display());
        return Exit::Pass;
    }
    if args.format == DiffFormat::Text {
        println!(
            "{} scenarios drifted; `oauth-conformance diff --update` accepts the new behaviour",
            drifts.len()
        );
    }
    Exit::Failure
}

pub fn compare(args: CompareArgs) -> Exit {
    let (a, b) = (args.before.display().to_string(), args.after.display().to_string());
    match crate::render::compare::compare_files(&a, &b) {
        Ok(changes) => {
            print!("{}", changes.render(color_enabled(args.color, std::io::stdout().is_terminal())));
            if changes.newly_failing.is_empty() { Exit::Pass } else { Exit::Failure }
        }
        Err(e) => {
            eprintln!("oauth-conformance: {e}");
            Exit::Usage
        }
    }
}
