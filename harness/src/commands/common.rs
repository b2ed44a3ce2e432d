//! What several commands share: whether to colour a stream, and the signals that interrupt a
//! run (layer: commands; imports the clap types only).

use crate::commands::cli::ColorChoice;

/// Whether to colour a stream: `--color`, else a terminal without `NO_COLOR`.
pub fn color_enabled(choice: ColorChoice, stream_is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stream_is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
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
