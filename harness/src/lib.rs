//! `oauth-conformance`: drives an OAuth 2.1 / MCP authorization server through scripted
//! scenarios and reports every check with its specification section.
//!
//! Scenarios are data (`suites/*.toml`, embedded); steps are OAuth-aware actions
//! ([`engine::steps`]); expectations are typed matchers ([`engine::expect`]). A run produces a
//! [`model::outcome::RunReport`] that every report format renders.
//!
//! The modules are layered; each imports only the layers listed before it:
//! [`model`] (the result model), [`engine`] (scenarios, steps, the user agent, the run),
//! [`render`] (reports, snapshots, comparisons), [`commands`] (the command line).

pub mod commands;
pub mod engine;
pub mod model;
pub mod render;

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Every scenario passed (skips allowed).
    Pass = 0,
    /// A failure at or above `--fail-on`, or a stale baseline entry.
    Failure = 1,
    /// Usage, configuration or scenario-file error.
    Usage = 2,
    /// Errors (could not judge) but no failure.
    Errors = 3,
    /// Interrupted by SIGINT or SIGTERM: the clean-up ran and the reports cover what finished.
    Interrupted = 130,
}

/// Choose rustls' `ring` provider once, before any TLS client is built.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
