//! The commands of the command line (layer: commands, the top one: it may import every other
//! layer, and nothing imports it). The clap types live alone in [`cli`], the settings resolved
//! from them in [`settings`], one module per command, and one error type, [`CommandError`],
//! which this dispatcher says once and turns into the exit code.

pub mod cli;
pub mod client;
pub mod common;
pub mod compare;
pub mod diff;
pub mod error;
pub mod explain;
pub mod list;
pub mod run;
pub mod settings;
pub mod snapshot;

pub use error::CommandError;

use crate::Exit;
use cli::{Cli, Command};

/// Run a parsed command line.
pub fn main(cli: Cli) -> Exit {
    match cli.command {
        Command::Run(args) => with_runtime(run::run(args)),
        Command::List(args) => finish(list::list(args)),
        Command::Explain(args) => finish(explain::explain(args)),
        Command::Snapshot(args) => with_runtime(snapshot::snapshot(args)),
        Command::Diff(args) => with_runtime(diff::diff(args)),
        Command::Compare(args) => finish(compare::compare(args)),
        Command::Client(args) => with_runtime(client::client(args)),
    }
}

/// Run a command on a multi-threaded runtime; its error is said while the runtime lives.
fn with_runtime(fut: impl std::future::Future<Output = Result<Exit, CommandError>>) -> Exit {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => finish(rt.block_on(fut)),
        Err(e) => finish(Err(CommandError::Runtime(e))),
    }
}

/// The exit code of a command; an error is said on standard error first.
fn finish(result: Result<Exit, CommandError>) -> Exit {
    result.unwrap_or_else(|e| {
        e.report();
        e.exit()
    })
}
