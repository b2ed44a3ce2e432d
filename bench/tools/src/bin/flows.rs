//! Complete authorization-code flows per second: authorize → login → consent → token, each
//! with a fresh browser (cookie jar), as many at once as `--concurrency`, for `--seconds`.
//! The login and consent pages are operated with the harness's interaction profiles, so the
//! same tool drives the fake server and node-oidc-provider.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use clap::Parser;
use harness::agent::{Agent, Limits, Request};
use harness::interact::{Action, InteractionProfile, PageKind};
use rand::RngCore;
use sha2::{Digest, Sha256};

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

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn one_flow(args: &Args, ui: &InteractionProfile, authorize: &str, token: &str) -> Result<(), String> {
    let mut agent = Agent::new(Limits::default(), Vec::new())?;
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let verifier = b64(&raw);
    let challenge = b64(&Sha256::digest(verifier.as_bytes()));
    let mut url = url::Url::parse(authorize).map_err(|e| e.to_string())?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &args.client_id)
        .append_pair("redirect_uri", &args.redirect_uri)
        .append_pair("scope", &args.scope)
        .append_pair("state", "bench")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if args.prompt_consent {
        url.query_pairs_mut().append_pair("prompt", "consent");
    }
    let mut req = Request::get(String::from(url));
    let mut code = None;
    for _ in 0..20 {
        let resp = agent.send(req).await.map_err(|e| e.to_string())?;
        if let Some(loc) = resp.location().filter(|_| resp.is_redirect()) {
            if loc.starts_with(&args.redirect_uri) {
                let u = url::Url::parse(&loc).map_err(|e| e.to_string())?;
                code = u.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned());
                break;
            }
            req = Request::get(loc);
            continue;
        }
        let html = resp.text();
        let action = match ui.classify(&html) {
            PageKind::Login => {
                Action::Login { username: args.username.clone(), password: args.password.clone() }
            }
            PageKind::Consent => Action::Approve(None),
            PageKind::Other => {
                return Err(format!("unexpected page at {} (status {})", resp.url, resp.status));
            }
        };
        req = ui.plan(&resp.url, &html, &action).map_err(|e| e.to_string())?;
    }
    let code = code.ok_or("no code")?;
    let mut form = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".to_string(), code),
        ("redirect_uri".to_string(), args.redirect_uri.clone()),
        ("code_verifier".to_string(), verifier),
    ];
    let mut req = Request::post_form(token, Vec::new());
    match &args.secret {
        Some(s) => {
            let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(&args.client_id),
                enc(s)
            ));
            req = req.header("authorization", format!("Basic {basic}"));
        }
        None => form.push(("client_id".to_string(), args.client_id.clone())),
    }
    req.body = harness::agent::Body::Form(form);
    let resp = agent.send(req).await.map_err(|e| e.to_string())?;
    if resp.status != 200 {
        return Err(format!("token endpoint answered {}: {}", resp.status, resp.text()));
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    harness::install_crypto_provider();
    let ui = match harness::profile::interaction_profile(&args.interaction) {
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
    if let Err(e) = one_flow(&args, &ui, &authorize, &token).await {
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
                match one_flow(&args, &ui, &authorize, &token).await {
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
