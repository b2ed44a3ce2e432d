//! Layer: binary (above lib).
//! `oauth-fake-server`: run the fake authorization server on localhost.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// jemalloc with its background purging threads: fast small allocations on the request path,
/// and memory the expiry sweep frees goes back to the system within seconds (glibc's and
/// mimalloc's allocators keep most of it while the server's threads are idle).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
use fake_server::run::Prepared;
use fake_server::{Config, Fault, Variant};

/// Common set-ups, shown after the options by `--help`.
const EXAMPLES: &str = "\
Examples:
  SPA with PKCE (public client demo-spa, redirect http://localhost:5173/callback):
    oauth-fake-server --port 9090
  Confidential web app (demo-web, secret demo-web-secret, redirect http://localhost:3000/callback):
    oauth-fake-server --port 9090
  MCP server with dynamic registration and client ID metadata documents on localhost:
    oauth-fake-server --fixtures my.toml    (my.toml: [server] allow_insecure_cimd = true)
  API checking tokens: introspect at /introspect as conformance-resource-server / rs-secret
  (other clients see only their own tokens), or verify JWT access tokens with the JWKS:
    oauth-fake-server --jwt                      (--jwt-alg ES256 or EdDSA for other keys)
  Rust test: add fake-server as a dev-dependency and call
    fake_server::FakeServer::start().await   (127.0.0.1, a free port, stops on drop)";

/// An in-memory OAuth 2.1 authorization server for development and tests.
#[derive(Debug, Parser)]
#[command(name = "oauth-fake-server", version, about, after_help = EXAMPLES)]
struct Cli {
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "FAKE_OAUTH_PORT", default_value_t = 9090)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "FAKE_OAUTH_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Public base URL (the issuer) when the server runs behind a proxy or under a path.
    #[arg(long, env = "FAKE_OAUTH_ISSUER")]
    issuer: Option<String>,
    /// Fixtures file (users, clients, scopes, settings); the embedded defaults when absent.
    #[arg(long, env = "FAKE_OAUTH_FIXTURES")]
    fixtures: Option<PathBuf>,
    /// Switch on a deliberate protocol violation (repeatable); see --list-faults.
    #[arg(long = "fault", env = "FAKE_OAUTH_FAULTS", value_delimiter = ',')]
    faults: Vec<String>,
    /// Switch on a legitimate variant the specifications allow (repeatable or comma-separated);
    /// see --list-variants.
    #[arg(long = "variant", env = "FAKE_OAUTH_VARIANTS", value_delimiter = ',')]
    variants: Vec<String>,
    /// The admin key (also the secret key of the Clerk-compatible verification endpoint);
    /// a random one when neither this nor the fixtures set it.
    #[arg(long, env = "FAKE_OAUTH_ADMIN_KEY")]
    admin_key: Option<String>,
    /// Issue RFC 9068 JWT access tokens instead of opaque ones.
    #[arg(long, env = "FAKE_OAUTH_JWT")]
    jwt: bool,
    /// Algorithm of JWT access tokens and of fixture clients' ID tokens: RS256 (default),
    /// ES256 or EdDSA. Registered clients choose theirs with `id_token_signed_response_alg`.
    #[arg(long, env = "FAKE_OAUTH_JWT_ALG")]
    jwt_alg: Option<String>,
    /// Record every request (method, path, query, selected headers, body) for
    /// `GET /admin/api/requests` (with the admin key): what a test of a client judges.
    #[arg(long, env = "FAKE_OAUTH_RECORD_REQUESTS")]
    record_requests: bool,
    /// Print every fault with what it breaks, then exit.
    #[arg(long)]
    list_faults: bool,
    /// Print every variant with what it changes, then exit.
    #[arg(long)]
    list_variants: bool,
    /// Print the users, clients and scopes this command line would serve (fixtures and flags
    /// applied) as JSON, then exit; start helpers in other languages read it.
    #[arg(long)]
    print_fixtures: bool,
    /// Print nothing but the issuer once ready.
    #[arg(long, short, env = "FAKE_OAUTH_QUIET")]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.list_faults {
        for f in Fault::ALL {
            say(format_args!("{:<40} {}", f.name(), f.description()));
        }
        return ExitCode::SUCCESS;
    }
    if cli.list_variants {
        for v in Variant::ALL {
            say(format_args!("{:<40} {}", v.name(), v.summary()));
        }
        return ExitCode::SUCCESS;
    }
    let done = if cli.print_fixtures { print_fixtures(&cli) } else { run(cli) };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("oauth-fake-server: {message}");
            ExitCode::from(2)
        }
    }
}

/// `--print-fixtures`: what this command line would serve, as JSON, for start helpers.
fn print_fixtures(cli: &Cli) -> Result<(), String> {
    let config = load_config(cli)?;
    let seed =
        serde_json::json!({ "users": config.users, "clients": config.clients, "scopes": config.scopes });
    say(format_args!("{seed:#}"));
    Ok(())
}

/// Print a line of a listing. When the reader has gone (`--list-faults | head`), the rest of
/// the listing is not wanted: exit quietly with success, as Unix filters do.
fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|()| out.write_all(b"\n")) {
        let status = if e.kind() == std::io::ErrorKind::BrokenPipe { 0 } else { 1 };
        if status != 0 {
            eprintln!("oauth-fake-server: cannot write to stdout: {e}");
        }
        std::process::exit(status);
    }
}

/// Print a line of the banner. A closed stdout must not stop a running server, so write
/// errors are ignored here.
fn tell(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(line).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
}

fn load_config(cli: &Cli) -> Result<Config, String> {
    let mut config = match &cli.fixtures {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Config::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Config::defaults(),
    };
    if let Some(issuer) = &cli.issuer {
        config.server.issuer = Some(issuer.clone());
    }
    for name in &cli.faults {
        let fault: Fault = name.parse().map_err(|e| format!("{e}"))?;
        if !config.server.faults.contains(&fault) {
            config.server.faults.push(fault);
        }
    }
    for name in &cli.variants {
        let variant: Variant = name.trim().parse().map_err(|e| format!("{e}"))?;
        if !config.server.variants.contains(&variant) {
            config.server.variants.push(variant);
        }
    }
    if let Some(key) = &cli.admin_key {
        config.server.admin_key = Some(key.clone());
    }
    if cli.jwt {
        config.server.access_token_format = fake_server::TokenFormat::Jwt;
    }
    if let Some(alg) = &cli.jwt_alg {
        config.server.jwt_alg = alg.trim().parse().map_err(|e: fake_server::UnknownAlg| e.to_string())?;
    }
    if cli.record_requests {
        config.server.record_requests = true;
    }
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

fn run(cli: Cli) -> Result<(), String> {
    let config = load_config(&cli)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let addr = SocketAddr::new(cli.host, cli.port);
        let server = Prepared::bind(config, addr).await.map_err(|e| e.to_string())?;
        let shutdown = interrupted().map_err(|e| format!("cannot listen for Ctrl-C: {e}"))?;
        if cli.quiet {
            tell(format_args!("{}", server.issuer()));
        } else {
            print_banner(&server);
        }
        server.serve(shutdown).await.map_err(|e| format!("server stopped: {e}"))
    })
}

/// Resolves on Ctrl-C. The handler is installed here, before the server announces itself:
/// `tokio::signal::ctrl_c()` installs it only when first polled, and a Ctrl-C arriving before
/// that would kill the process instead of stopping it gracefully.
#[cfg(unix)]
fn interrupted() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        interrupt.recv().await;
    })
}

#[cfg(windows)]
fn interrupted() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    let mut ctrl_c = tokio::signal::windows::ctrl_c()?;
    Ok(async move {
        ctrl_c.recv().await;
    })
}

fn print_banner(server: &Prepared) {
    tell(format_args!("oauth-fake-server is ready"));
    tell(format_args!("  issuer     {}", server.issuer()));
    tell(format_args!("  discovery  {}", server.metadata_url()));
    tell(format_args!("  admin key  {}", server.admin_key()));
    tell(format_args!("  admin UI   {}/admin", server.issuer()));
    tell(format_args!(
        "  MCP        {} (protected resource; its metadata at {})",
        server.mcp_url(),
        server.prm_url()
    ));
    tell(format_args!("users (username / password):"));
    for u in server.users() {
        tell(format_args!("  {:<12} {}", u.username, u.password));
    }
    tell(format_args!("clients:"));
    for c in server.clients() {
        let kind = match &c.client_secret {
            Some(secret) => format!("confidential, secret {secret:?}"),
            None => "public (PKCE only)".to_string(),
        };
        let redirect = if c.redirect_uris.is_empty() {
            "no redirect URI (client credentials only)".to_string()
        } else {
            format!("redirect {}", c.redirect_uris.join(", "))
        };
        let introspects = if c.introspect_any { "; introspects every client's tokens" } else { "" };
        tell(format_args!("  {:<30} {kind}; {redirect}{introspects}", c.client_id));
    }
    // RFC 7662 §2.2 leaves it to the server whom it tells about a token: an API that
    // introspects with its own client would otherwise see every token as inactive.
    let readers: Vec<String> = server
        .clients()
        .iter()
        .filter(|c| c.introspect_any)
        .map(|c| match &c.client_secret {
            Some(secret) => format!("{} (secret {secret:?})", c.client_id),
            None => c.client_id.clone(),
        })
        .collect();
    match readers.as_slice() {
        [] => tell(format_args!(
            "introspection: a client learns only about its own tokens (others answer {{\"active\": false}}); \
             no client may read all (introspect_any = true in the fixtures)"
        )),
        all => tell(format_args!(
            "introspection: a client learns only about its own tokens (others answer {{\"active\": false}}); \
             a resource server introspects as {}",
            all.join(" or ")
        )),
    }
    let faults = server.faults();
    if !faults.is_empty() {
        let names: Vec<&str> = faults.iter().map(|f| f.name()).collect();
        tell(format_args!("FAULTS ON (this server breaks the specs on purpose): {}", names.join(", ")));
    }
    let variants = server.variants();
    if !variants.is_empty() {
        let names: Vec<&str> = variants.iter().map(|v| v.name()).collect();
        tell(format_args!("variants on (legal behaviours other servers have): {}", names.join(", ")));
    }
    tell(format_args!("Ctrl-C stops it."));
}
