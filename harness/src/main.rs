//! `oauth-conformance`: parse the command line, run it, map the result to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    quiet_on_closed_stdout();
    let cli = harness::commands::cli::Cli::parse();
    std::process::ExitCode::from(harness::commands::main(cli) as u8)
}

/// `print!` panics when stdout is a pipe whose reader has gone (`oauth-conformance list | head`).
/// The reader wanted no more: end quietly with success, as Unix filters do, instead of
/// printing a panic. Every other panic keeps the default report.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        // EPIPE is "Broken pipe (os error 32)" on Linux and macOS; Windows says error 232.
        let lower = message.to_ascii_lowercase();
        if lower.starts_with("failed printing to stdout")
            && (lower.contains("broken pipe") || lower.contains("(os error 232)"))
        {
            std::process::exit(0);
        }
        default(info);
    }));
}
