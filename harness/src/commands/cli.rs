//! Command-line types (clap). Every option has a doc comment and an environment variable.
//!
//! Layer: commands; clap types only (the MCP version list comes from `engine::target`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Does your OAuth 2.1 / MCP authorization server do what the specs and MCP clients expect?
///
/// Exit codes: 0 every scenario passed (skips allowed); 1 a failure at or above --fail-on (or a
/// stale baseline entry); 2 usage or configuration error; 3 errors (could not judge) but no
/// failure; 130 interrupted (SIGINT or SIGTERM: clean-up done, partial reports marked
/// incomplete).
#[derive(Debug, Parser)]
#[command(name = "oauth-conformance", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the scenarios against a server (the bundled fake server when no --issuer is given).
    Run(RunArgs),
    /// List the scenarios: ID, level, section, area, and the fake-server faults that kill each.
    List(ListArgs),
    /// Explain one scenario: the requirement, its steps, and what a failure usually means.
    Explain(ExplainArgs),
    /// Record every scenario's exchanges, normalized, as one text file per scenario in --dir.
    Snapshot(SnapshotArgs),
    /// Re-run and show how the exchanges differ from the snapshots in --dir (exit 1 on drift).
    Diff(DiffArgs),
    /// Outcome changes between two JSON reports (exit 1 when something newly fails).
    Compare(CompareArgs),
    /// Judge a client: run COMMAND once per client scenario against a fresh bundled fake server
    /// (its issuer in OAUTH_ISSUER, the demo MCP server in MCP_SERVER_URL, BROWSER an opener
    /// the harness answers as the user), and check what the client sent.
    Client(ClientArgs),
}

#[derive(Debug, Args)]
pub struct ClientArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Seconds the client may take in each scenario before it is stopped (an error).
    #[arg(long, env = "OAUTH_CONFORMANCE_CLIENT_TIMEOUT", default_value_t = 60)]
    pub client_timeout: u64,
    /// The client program and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Directory of the snapshot files (created if missing).
    #[arg(long, env = "OAUTH_CONFORMANCE_SNAPSHOT_DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Directory of the stored snapshot files.
    #[arg(long, env = "OAUTH_CONFORMANCE_SNAPSHOT_DIR")]
    pub dir: PathBuf,
    /// Accept the new behaviour: overwrite the stored snapshots.
    #[arg(long)]
    pub update: bool,
    /// How the drift is printed: text (unified diffs), markdown (for a CI job summary) or json.
    #[arg(long, env = "OAUTH_CONFORMANCE_DIFF_FORMAT", value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Colour: auto, always or never.
    #[arg(long, env = "OAUTH_CONFORMANCE_COLOR", value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// How `diff` prints the drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The earlier run's JSON report.
    pub before: PathBuf,
    /// The later run's JSON report.
    pub after: PathBuf,
    /// Colour: auto, always or never.
    #[arg(long, env = "OAUTH_CONFORMANCE_COLOR", value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Where the target is and how to reach it.
#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// Issuer URL of the server to test; without it the bundled fake server is started.
    #[arg(long, env = "OAUTH_CONFORMANCE_ISSUER")]
    pub issuer: Option<String>,
    /// Target profile: a TOML file, or a built-in name (`fake-server`, `node-oidc-provider`, `clerk`).
    #[arg(long, env = "OAUTH_CONFORMANCE_PROFILE")]
    pub profile: Option<String>,
    /// Protected resource (MCP server) URL; overrides the profile's.
    #[arg(long, env = "OAUTH_CONFORMANCE_RESOURCE")]
    pub resource: Option<String>,
    /// MCP specification version whose rules apply.
    #[arg(long, env = "OAUTH_CONFORMANCE_MCP_VERSION", value_parser = clap::builder::PossibleValuesParser::new(crate::engine::target::MCP_VERSIONS))]
    pub mcp_version: Option<String>,
    /// Seconds each HTTP request may take.
    #[arg(long, env = "OAUTH_CONFORMANCE_TIMEOUT", default_value_t = 15)]
    pub timeout: u64,
    /// Seconds the whole run may take (discovery, registration and every scenario); requests
    /// that would start later are not sent and their scenarios end in error. No limit if unset.
    #[arg(long, env = "OAUTH_CONFORMANCE_BUDGET", value_name = "SECS")]
    pub budget: Option<u64>,
    /// Switch on a fault in the bundled fake server (repeatable); only without --issuer.
    #[arg(long = "fault", env = "OAUTH_CONFORMANCE_FAULTS", value_delimiter = ',')]
    pub faults: Vec<String>,
    /// Switch on a legitimate variant of the bundled fake server (repeatable; behaviour the
    /// specifications allow, see `oauth-fake-server --list-variants`); only without --issuer.
    #[arg(long = "variant", env = "OAUTH_CONFORMANCE_VARIANTS", value_delimiter = ',')]
    pub variants: Vec<String>,
    /// Serve the bundled fake server under this path, so its issuer has one (RFC 8414 §3.1),
    /// e.g. `/tenant`; only without --issuer.
    #[arg(long, env = "OAUTH_CONFORMANCE_FAKE_ISSUER_PATH")]
    pub fake_issuer_path: Option<String>,
    /// Make the bundled fake server require this initial access token at its registration
    /// endpoint (RFC 7591 §3) and send it on every registration; only without --issuer.
    #[arg(long, env = "OAUTH_CONFORMANCE_FAKE_REGISTRATION_TOKEN")]
    pub fake_registration_token: Option<String>,
    /// Who operates login and consent pages: `form` (read the HTML, submit its forms),
    /// `browser` (a headless Chromium renders each page and runs its scripts) or `manual` (a
    /// person signs in, in a browser of their own, from the authorization URL the harness
    /// prints and opens with $BROWSER when set; the harness waits for the response on a
    /// loopback redirect URI with a port, or for its address pasted on standard input).
    /// Overrides the interaction profile's `driver`.
    #[arg(long, env = "OAUTH_CONFORMANCE_DRIVER", value_parser = ["form", "browser", "manual"])]
    pub driver: Option<String>,
    /// Seconds the manual driver waits for each sign-in.
    #[arg(long, env = "OAUTH_CONFORMANCE_MANUAL_TIMEOUT", value_name = "SECS", default_value_t = 300)]
    pub manual_timeout: u64,
    /// The Chromium or Chrome executable of the browser driver (default: $CHROME, then
    /// `chromium`, `chromium-browser`, `google-chrome` on PATH).
    #[arg(long, value_name = "PATH")]
    pub browser: Option<PathBuf>,
    /// Leave the clients the run registered on the target (by default they are deleted at the
    /// end with RFC 7592 where the server offers it, and their tokens revoked).
    #[arg(long, env = "OAUTH_CONFORMANCE_KEEP_CLIENTS")]
    pub keep_clients: bool,
}

/// Which scenarios.
#[derive(Debug, Args, Clone, Default)]
pub struct SelectArgs {
    /// Also load every *.toml scenario file in this directory (repeatable).
    #[arg(long = "suites", env = "OAUTH_CONFORMANCE_SUITES", value_delimiter = ',')]
    pub suites: Vec<PathBuf>,
    /// Leave out the built-in scenarios (run only --suites).
    #[arg(long, env = "OAUTH_CONFORMANCE_NO_BUILTIN")]
    pub no_builtin: bool,
    /// Only scenarios whose ID equals or starts with this, or whose area is this (repeatable).
    #[arg(long = "only", env = "OAUTH_CONFORMANCE_ONLY", value_delimiter = ',')]
    pub only: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Lowest level whose failures fail the run; lower ones are reported as warnings.
    #[arg(long, env = "OAUTH_CONFORMANCE_FAIL_ON", value_enum, default_value_t = FailOn::Must)]
    pub fail_on: FailOn,
    /// Write every report (terminal.txt, report.json, junit.xml, report.md, report.html,
    /// report.sarif) here.
    #[arg(long, env = "OAUTH_CONFORMANCE_REPORT_DIR")]
    pub report_dir: Option<PathBuf>,
    /// Format printed on standard output.
    #[arg(long, env = "OAUTH_CONFORMANCE_FORMAT", value_enum, default_value_t = Format::Terminal)]
    pub format: Format,
    /// Known outcomes (TOML `[[expected]] id = "…" reason = "…"`, optionally `outcome = "skip"`):
    /// they do not fail the run; an entry whose scenario comes out otherwise does.
    #[arg(long, env = "OAUTH_CONFORMANCE_BASELINE")]
    pub baseline: Option<PathBuf>,
    /// Leave out what differs between identical runs (times, exchanges, source lines, ports,
    /// generated values in failure texts): for reports committed to version control.
    #[arg(long, env = "OAUTH_CONFORMANCE_STABLE")]
    pub stable: bool,
    /// Scenarios run at the same time.
    #[arg(long, env = "OAUTH_CONFORMANCE_JOBS", default_value_t = 8)]
    pub jobs: usize,
    /// Colour: auto (a terminal, and NO_COLOR unset), always or never.
    #[arg(long, env = "OAUTH_CONFORMANCE_COLOR", value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Output format.
    #[arg(long, env = "OAUTH_CONFORMANCE_LIST_FORMAT", value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Scenario ID, e.g. CODE-01.
    pub id: String,
    #[command(flatten)]
    pub select: SelectArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FailOn {
    #[default]
    Must,
    Should,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// For people: the problems first, then every area, and what to do next.
    #[default]
    Terminal,
    /// The versioned report for scripts and `compare` (docs/json-report.md).
    Json,
    /// JUnit XML for CI test views: one testcase per scenario.
    Junit,
    /// For a CI job summary or a pull-request comment.
    Markdown,
    /// One self-contained page, filterable by verdict.
    Html,
    /// SARIF 2.1.0 for code-scanning dashboards: one result per failure.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    #[default]
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}
