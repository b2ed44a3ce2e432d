//! `diff`: how a new recording of the exchanges differs from the snapshots (layer: commands).

use std::io::IsTerminal;

use crate::Exit;
use crate::commands::cli::{DiffArgs, DiffFormat};
use crate::commands::common::color_enabled;
use crate::commands::error::CommandError;
use crate::commands::snapshot::record;
use crate::render::snapshot;

/// `diff`: record again and show how the exchanges differ from the snapshots.
pub async fn diff(args: DiffArgs) -> Result<Exit, CommandError> {
    if !args.dir.is_dir() {
        return Err(CommandError::Usage(format!(
            "no snapshots in {} (record them with `oauth-conformance snapshot`)",
            args.dir.display()
        )));
    }
    let report = record(&args.target, &args.select).await?;
    let all = args.select.only.is_empty();
    let drifts = snapshot::drift(&args.dir, &report, all).map_err(CommandError::Io)?;
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
        return Ok(Exit::Pass);
    }
    if args.update {
        snapshot::update(&args.dir, &report, &drifts).map_err(CommandError::Io)?;
        eprintln!("{} snapshots updated in {}", drifts.len(), args.dir.display());
        return Ok(Exit::Pass);
    }
    if args.format == DiffFormat::Text {
        println!(
            "{} scenarios drifted; `oauth-conformance diff --update` accepts the new behaviour",
            drifts.len()
        );
    }
    Ok(Exit::Failure)
}
