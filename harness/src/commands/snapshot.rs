//! `snapshot`, and the recording that `diff` shares: one scenario at a time, so that the
//! order of requests is the same on every run (layer: commands).

use crate::Exit;
use crate::commands::cli::{SelectArgs, SnapshotArgs, TargetArgs};
use crate::commands::common::{announced, interrupted};
use crate::commands::error::CommandError;
use crate::commands::run::execute_until;
use crate::commands::settings::{Settings, select};
use crate::model::outcome::RunReport;
use crate::render::report::cleanup_lines;
use crate::render::snapshot;

/// Snapshots are taken one scenario at a time, so that the order of requests (and so server
/// state such as remembered consent) is the same on every run.
pub(crate) async fn record(target: &TargetArgs, select_args: &SelectArgs) -> Result<RunReport, CommandError> {
    let mut settings = Settings::from_target_args(target).map_err(CommandError::Usage)?;
    settings.jobs = 1;
    let scenarios = select(select_args)?;
    let report = execute_until(&settings, scenarios, None, announced(interrupted())).await?;
    if report.incomplete.is_some() {
        // Half a recording compares with nothing: neither written nor compared.
        return Err(CommandError::Interrupted);
    }
    if let Some(line) = report.cleanup.as_ref().map(cleanup_lines) {
        eprint!("{line}");
    }
    Ok(report)
}

/// `snapshot`: record every selected scenario's exchanges, normalized, one file each.
pub async fn snapshot(args: SnapshotArgs) -> Result<Exit, CommandError> {
    let report = record(&args.target, &args.select).await?;
    let n = snapshot::write(&args.dir, &report).map_err(CommandError::Io)?;
    println!("{n} scenario snapshots written to {}", args.dir.display());
    Ok(Exit::Pass)
}
