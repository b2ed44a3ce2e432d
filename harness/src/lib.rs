//! `oauth-conformance`: drives an OAuth 2.1 / MCP authorization server through scripted
//! scenarios and reports every check with its specification section.
//!
//! Scenarios are data (`suites/*.toml`, embedded); steps are OAuth-aware actions
//! ([`steps`]); expectations are typed matchers ([`expect`]). A run produces a
//! [`outcome::RunReport`] that every report format renders.

pub mod agent;
pub mod app;
pub mod baseline;
pub mod cleanup;
pub mod cli;
pub mod compare;
pub mod expect;
pub mod explain;
pub mod interact;
pub mod jwks;
pub mod mask;
pub mod outcome;
pub mod profile;
pub mod report;
pub mod retry;
pub mod run;
pub mod secret;
pub mod settings;
pub mod snapshot;
pub mod snapshots;
pub mod stable;
pub mod steps;
pub mod suite;
pub mod target;
pub mod template;
pub mod trust;

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
