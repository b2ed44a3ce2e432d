//! `oauth-conformance`: parse the command line, run it, map the result to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = harness::cli::Cli::parse();
    std::process::ExitCode::from(harness::app::main(cli) as u8)
}
