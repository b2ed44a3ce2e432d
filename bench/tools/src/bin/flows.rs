//! Complete authorization-code flows per second: authorize → login → consent → token, each
//! with a fresh browser (cookie jar), as many at once as `--concurrency`, for `--seconds`.
//! The login and consent pages are operated with the harness's interaction profiles, so the
//! same tool drives the fake server and node-oidc-provider.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench_tools::CodeFlow;
use clap::Parser;

#[derive(Debug, Parser, Clone)]
struct Args {
    #[arg(long)]
    issuer: String,
    #[arg(long)]
    client_id: String,
    /// Client secret (HTTP Basic); a public client when absent.
    #[arg(long)]
    secret: Option<String>,
    #[arg(long)]
    redirect_uri: String,
    #[arg(long, default_value = "openid")]
    scope: String,
    #[arg(long)]
    username: String,
    #[arg(long)]
    password: String,
    /// Built-in interaction profile name or a file.
    #[arg(long, default_value = "fake-server")]
    interaction: String,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Send `prompt=consent` so every flow shows the consent page.
    #[arg(long)]
    prompt_consent: bool,
}

impl Args {
    fn flow(&self) -> CodeFlow {
        CodeFlow {
            client_id: self.client_id.clone(),
            secret: self.secret.clone(),
            redirect_uri: self.redirect_uri.clone(),
            scope: self.scope.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            prompt_consent: self.prompt_consent,
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    harness::install_crypto_provider();
    let ui = match harness::engine::profile::interaction_profile(&args.interaction) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("flows: {e}");
            std::process::exit(2);
        }
    };
    let metadata_url =
        format!("{}/.well-known/oauth-authorization-server", args.issuer.trim_end_matches('/'));
    let metadata: serde_json::Value = match reqwest::get(&metadata_url).await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(e) => {
            eprintln!("flows: cannot fetch {metadata_url}: {e}");
            std::process::exit(2);
        }
    };
    let endpoint = |k: &str| metadata.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let (Some(authorize), Some(token)) = (endpoint("authorization_endpoint"), endpoint("token_endpoint"))
    else {
        eprintln!("flows: {metadata_url} names no authorization or token endpoint");
        std::process::exit(2);
    };
    // One flow first, so a misconfiguration is reported instead of measured.
    if let Err(e) = args.flow().run(&ui, &authorize, &token).await {
        eprintln!("flows: a single flow fails: {e}");
        std::process::exit(1);
    }
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (args, ui, authorize, token) = (args.clone(), ui.clone(), authorize.clone(), token.clone());
        let (done, failed, latencies) = (done.clone(), failed.clone(), latencies.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                match args.flow().run(&ui, &authorize, &token).await {
                    Ok(()) => {
                        done.fetch_add(1, Ordering::Relaxed);
                        mine.push(t.elapsed().as_micros() as u64);
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            if let Ok(mut l) = latencies.lock() {
                l.extend(mine);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let n = done.load(Ordering::Relaxed);
    let lat = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    let (p50, p90, p99, _) = bench_tools::percentiles(lat);
    println!(
        "flows/s {:.1}  (completed {n}, failed {}, latency ms p50 {:.1} p90 {:.1} p99 {:.1})",
        n as f64 / args.seconds as f64,
        failed.load(Ordering::Relaxed),
        p50 as f64 / 1000.0,
        p90 as f64 / 1000.0,
        p99 as f64 / 1000.0
    );
}
