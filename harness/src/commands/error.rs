//! The one error type of the commands, and the only place that knows how an error is said on
//! standard error and which exit code it gives (layer: commands).

use std::io::IsTerminal;

use crate::Exit;
use crate::commands::cli::ColorChoice;
use crate::commands::common::color_enabled;
use crate::engine::suite::LoadError;
use crate::engine::target::PrepareError;

/// Why a command could not do its work. A server's failure is not one of these: it is an
/// outcome in the report.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Arguments, a profile, a baseline or a selection that cannot be used.
    #[error("{0}")]
    Usage(String),
    /// Scenario files that do not load; each is shown with its file and line.
    #[error("{} problem(s) in scenario files; nothing was run", .0.len())]
    Scenarios(Vec<LoadError>),
    /// The target could not be prepared: a profile that does not fit it, or a bundled fake
    /// server that did not start.
    #[error(transparent)]
    Target(#[from] PrepareError),
    /// A file the command reads or writes (reports, snapshots) could not be used.
    #[error("{0}")]
    Io(String),
    /// The async runtime did not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// A signal interrupted the run; what finished has been said already.
    #[error("interrupted")]
    Interrupted,
}

impl From<Vec<LoadError>> for CommandError {
    fn from(errors: Vec<LoadError>) -> Self {
        CommandError::Scenarios(errors)
    }
}

impl CommandError {
    /// The exit code: usage and configuration errors give 2; a bundled fake server that did
    /// not start is our own fault, not the user's, so it gives 3 (errors, nothing judged).
    pub fn exit(&self) -> Exit {
        match self {
            CommandError::Target(PrepareError::Startup(_)) => Exit::Errors,
            CommandError::Interrupted => Exit::Interrupted,
            CommandError::Usage(_)
            | CommandError::Scenarios(_)
            | CommandError::Target(PrepareError::Config(_))
            | CommandError::Io(_)
            | CommandError::Runtime(_) => Exit::Usage,
        }
    }

    /// Say the error on standard error.
    pub fn report(&self) {
        match self {
            CommandError::Interrupted => {}
            CommandError::Scenarios(errors) => {
                let color = color_enabled(ColorChoice::Auto, std::io::stderr().is_terminal());
                for e in errors {
                    eprint!("{}", e.render(color));
                }
                eprintln!("oauth-conformance: {self}");
            }
            _ => eprintln!("oauth-conformance: {self}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundled_server_that_does_not_start_is_an_error_not_a_usage_mistake() {
        let e = CommandError::from(PrepareError::Startup("cannot bind 127.0.0.1:0: denied".into()));
        assert_eq!(e.exit(), Exit::Errors);
        assert_eq!(e.to_string(), "cannot start the bundled fake server: cannot bind 127.0.0.1:0: denied");
        let e = CommandError::from(PrepareError::Config("profile: bad".into()));
        assert_eq!(e.exit(), Exit::Usage);
        assert_eq!(e.to_string(), "profile: bad");
    }

    #[test]
    fn usage_files_and_scenario_errors_exit_2_and_an_interruption_130() {
        assert_eq!(CommandError::Usage("x".into()).exit(), Exit::Usage);
        assert_eq!(CommandError::Io("x".into()).exit(), Exit::Usage);
        assert_eq!(CommandError::Scenarios(Vec::new()).exit(), Exit::Usage);
        assert_eq!(
            CommandError::Scenarios(Vec::new()).to_string(),
            "0 problem(s) in scenario files; nothing was run"
        );
        assert_eq!(CommandError::Interrupted.exit(), Exit::Interrupted);
    }
}
