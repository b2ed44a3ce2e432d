//! `--count` unauthenticated `GET /authorize` requests for a valid client with the largest
//! `state` and `nonce` the server accepts, never followed by a login: each one parks a pending
//! authorization request. With `--pid`, prints the server's resident memory before and after,
//! so the caps on pending requests can be seen holding.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench_tools::rss_kib;
use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long)]
    issuer: String,
    #[arg(long)]
    client_id: String,
    #[arg(long)]
    redirect_uri: String,
    #[arg(long, default_value_t = 100_000)]
    count: u64,
    #[arg(long, default_value_t = 32)]
    concurrency: u64,
    /// Bytes of `state` (the fake server accepts up to 4096).
    #[arg(long, default_value_t = 4096)]
    state_bytes: usize,
    /// Bytes of `nonce` (the fake server accepts up to 2048).
    #[arg(long, default_value_t = 2048)]
    nonce_bytes: usize,
    #[arg(long)]
    pid: Option<u32>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    harness::install_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let before = args.pid.and_then(rss_kib);
    let next = Arc::new(AtomicU64::new(0));
    let parked = Arc::new(AtomicU64::new(0));
    let other = Arc::new(AtomicU64::new(0));
    let authorize = match url::Url::parse(&format!("{}/authorize", args.issuer.trim_end_matches('/'))) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("flood: --issuer `{}` is not an absolute URL: {e}", args.issuer);
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (http, next, parked, other) = (http.clone(), next.clone(), parked.clone(), other.clone());
        let mut url = authorize.clone();
        let (count, state_bytes, nonce_bytes) = (args.count, args.state_bytes, args.nonce_bytes);
        let (client_id, redirect_uri) = (args.client_id.clone(), args.redirect_uri.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                // Every request differs, as an attacker's would.
                let mark = format!("{i:016}");
                let state = format!("{mark}{}", "s".repeat(state_bytes.saturating_sub(16)));
                let nonce = format!("{mark}{}", "n".repeat(nonce_bytes.saturating_sub(16)));
                url.query_pairs_mut()
                    .clear()
                    .append_pair("response_type", "code")
                    .append_pair("client_id", &client_id)
                    .append_pair("redirect_uri", &redirect_uri)
                    .append_pair("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
                    .append_pair("code_challenge_method", "S256")
                    .append_pair("scope", "openid")
                    .append_pair("state", &state)
                    .append_pair("nonce", &nonce);
                let status = http.get(url.as_str()).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
                let counter = if status == 302 { &parked } else { &other };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "sent {} authorization requests in {secs:.1} s ({:.0}/s): {} parked (302 to the login page), {} other",
        args.count,
        args.count as f64 / secs,
        parked.load(Ordering::Relaxed),
        other.load(Ordering::Relaxed)
    );
    if let (Some(b), Some(a)) = (before, args.pid.and_then(rss_kib)) {
        println!(
            "server RSS {:.1} MiB before, {:.1} MiB after (+{:.1} MiB)",
            b as f64 / 1024.0,
            a as f64 / 1024.0,
            (a as f64 - b as f64) / 1024.0
        );
    }
}
