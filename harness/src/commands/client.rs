//! `client`: judge a client program. Each client scenario (`suites/clients/`) runs the program
//! against a fresh bundled fake server, plays its user, and checks the requests the server
//! recorded; reports, baselines and exit codes are those of `run`.
//!
//! Layer: commands.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::Exit;
use crate::commands::cli::ClientArgs;
use crate::commands::error::CommandError;
use crate::commands::settings::{Settings, filter};
use crate::engine::steps::program::ClientRun;

pub async fn client(args: ClientArgs) -> Result<Exit, CommandError> {
    if args.run.target.issuer.is_some() {
        return Err(CommandError::Usage(
            "`client` runs the client against the bundled fake server: drop --issuer".into(),
        ));
    }
    if args.client_timeout == 0 {
        return Err(CommandError::Usage("--client-timeout must be at least 1 second".into()));
    }
    let mut settings = Settings::from_run_args(&args.run).map_err(CommandError::Usage)?;
    settings.target.client = Some(Arc::new(ClientRun {
        command: args.command.clone(),
        timeout: Duration::from_secs(args.client_timeout),
    }));
    // One client at a time: each run starts its own server and the client listens on loopback.
    settings.jobs = 1;
    let dirs: Vec<&Path> = args.run.select.suites.iter().map(PathBuf::as_path).collect();
    let all = crate::engine::suite::load_clients(&dirs, !args.run.select.no_builtin)?;
    let scenarios = filter(all, &args.run.select.only);
    crate::commands::run::run_selected(settings, scenarios, &args.run).await
}
