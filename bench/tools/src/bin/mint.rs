//! Issue exactly `--count` access tokens with the client-credentials grant, `--concurrency`
//! at a time (to measure the server's memory with that many live tokens).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use base64::Engine;
use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long)]
    token_url: String,
    #[arg(long)]
    client_id: String,
    #[arg(long)]
    secret: String,
    #[arg(long, default_value_t = 100_000)]
    count: u64,
    #[arg(long, default_value_t = 32)]
    concurrency: u64,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    harness::install_crypto_provider();
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            enc(&args.client_id),
            enc(&args.secret)
        ))
    );
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, next, failed, basic, url, count) =
            (client.clone(), next.clone(), failed.clone(), basic.clone(), args.token_url.clone(), args.count);
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let ok = client
                    .post(&url)
                    .header("authorization", &basic)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("grant_type=client_credentials")
                    .send()
                    .await
                    .map(|r| r.status().as_u16() == 200)
                    .unwrap_or(false);
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "minted {} tokens in {secs:.1} s ({:.0}/s), {} failed",
        args.count,
        args.count as f64 / secs,
        failed.load(Ordering::Relaxed)
    );
}
