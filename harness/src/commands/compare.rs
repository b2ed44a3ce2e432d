//! `compare`: the outcome changes between two JSON reports (layer: commands).

use std::io::IsTerminal;

use crate::Exit;
use crate::commands::cli::CompareArgs;
use crate::commands::common::color_enabled;
use crate::commands::error::CommandError;
use crate::render::compare::compare_files;

/// `compare`: outcome changes between two JSON reports.
pub fn compare(args: CompareArgs) -> Result<Exit, CommandError> {
    let (a, b) = (args.before.display().to_string(), args.after.display().to_string());
    let changes = compare_files(&a, &b).map_err(CommandError::Io)?;
    print!("{}", changes.render(color_enabled(args.color, std::io::stdout().is_terminal())));
    Ok(if changes.newly_failing.is_empty() { Exit::Pass } else { Exit::Failure })
}
