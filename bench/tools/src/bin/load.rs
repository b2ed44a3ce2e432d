//! Mixed load for `--seconds`, then stop: complete authorization-code flows (authorize, login,
//! consent, token), client-credentials tokens introspected and revoked, and RFC 7591
//! registrations read and deleted through RFC 7592, `--concurrency` workers spread over the
//! three. Every unexpected answer counts as an error; the exit status is 1 when there was any.
//! With `--pid`, the server's resident memory is printed before and after.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench_tools::{CodeFlow, basic, rss_kib};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Debug, Parser, Clone)]
struct Args {
    #[arg(long)]
    issuer: String,
    /// A confidential client allowed the code and client-credentials grants.
    #[arg(long)]
    client_id: String,
    #[arg(long)]
    secret: String,
    #[arg(long)]
    redirect_uri: String,
    #[arg(long, default_value = "alice")]
    username: String,
    #[arg(long, default_value = "alice-password")]
    password: String,
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    #[arg(long, default_value_t = 12)]
    concurrency: usize,
    /// The server's process id, to report its memory (VmRSS).
    #[arg(long)]
    pid: Option<u32>,
}

/// Counters for one kind of work.
#[derive(Debug, Default)]
struct Tally {
    ok: AtomicU64,
    failed: AtomicU64,
}

impl Tally {
    fn count(&self, result: Result<(), String>, first_error: &std::sync::Mutex<Option<String>>) {
        match result {
            Ok(()) => self.ok.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                if let Ok(mut slot) = first_error.lock() {
                    slot.get_or_insert(e);
                }
                self.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

struct Endpoints {
    authorize: String,
    token: String,
    introspect: String,
    revoke: String,
    register: String,
}

async fn expect(resp: reqwest::Result<reqwest::Response>, status: u16, what: &str) -> Result<Value, String> {
    let resp = resp.map_err(|e| format!("{what}: {e}"))?;
    let got = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| format!("{what}: {e}"))?;
    if got != status {
        return Err(format!("{what}: {got} instead of {status}: {text:.200}"));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Client credentials, introspection (active), revocation, introspection (inactive).
async fn token_cycle(http: &reqwest::Client, args: &Args, e: &Endpoints) -> Result<(), String> {
    let auth = basic(&args.client_id, &args.secret);
    let form = |pairs: &[(&str, &str)]| http.post(&e.token).header("authorization", &auth).form(pairs).send();
    let t = expect(form(&[("grant_type", "client_credentials")]).await, 200, "token").await?;
    let token = t["access_token"].as_str().ok_or("token: no access_token")?.to_string();
    let introspect =
        || http.post(&e.introspect).header("authorization", &auth).form(&[("token", &token)]).send();
    let i = expect(introspect().await, 200, "introspection").await?;
    if i["active"] != true {
        return Err(format!("a fresh token is inactive: {i}"));
    }
    let revoke = http.post(&e.revoke).header("authorization", &auth).form(&[("token", &token)]).send().await;
    expect(revoke, 200, "revocation").await?;
    let i = expect(introspect().await, 200, "introspection after revocation").await?;
    if i["active"] != false {
        return Err(format!("active after revocation: {i}"));
    }
    Ok(())
}

/// Register a public client, read it back and delete it (RFC 7591, RFC 7592).
async fn registration_cycle(http: &reqwest::Client, e: &Endpoints) -> Result<(), String> {
    let meta = json!({
        "client_name": "Load client",
        "redirect_uris": ["http://127.0.0.1:8765/callback"],
        "token_endpoint_auth_method": "none",
    });
    let reg = expect(http.post(&e.register).json(&meta).send().await, 201, "registration").await?;
    let uri = reg["registration_client_uri"].as_str().ok_or("no registration_client_uri")?;
    let rat = reg["registration_access_token"].as_str().ok_or("no registration_access_token")?;
    expect(http.get(uri).bearer_auth(rat).send().await, 200, "registration read").await?;
    let deleted = http.delete(uri).bearer_auth(rat).send().await.map_err(|e| e.to_string())?;
    if deleted.status().as_u16() != 204 {
        return Err(format!("registration delete: {}", deleted.status()));
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    harness::install_crypto_provider();
    let ui = harness::engine::profile::interaction_profile("fake-server").expect("built-in profile");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let issuer = args.issuer.trim_end_matches('/');
    let meta: Value = match http.get(format!("{issuer}/.well-known/oauth-authorization-server")).send().await
    {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(e) => {
            eprintln!("load: cannot read the metadata: {e}");
            std::process::exit(2);
        }
    };
    let at = |k: &str| meta[k].as_str().unwrap_or_default().to_string();
    let e = Arc::new(Endpoints {
        authorize: at("authorization_endpoint"),
        token: at("token_endpoint"),
        introspect: at("introspection_endpoint"),
        revoke: at("revocation_endpoint"),
        register: at("registration_endpoint"),
    });
    let flow = CodeFlow {
        client_id: args.client_id.clone(),
        secret: Some(args.secret.clone()),
        redirect_uri: args.redirect_uri.clone(),
        scope: "openid".into(),
        username: args.username.clone(),
        password: args.password.clone(),
        prompt_consent: true,
    };
    let rss_before = args.pid.and_then(rss_kib);
    let tallies: Arc<[Tally; 3]> = Arc::new(Default::default());
    let first_error = Arc::new(std::sync::Mutex::new(None));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for w in 0..args.concurrency {
        let (args, ui, flow, http, e) = (args.clone(), ui.clone(), flow.clone(), http.clone(), e.clone());
        let (tallies, first_error) = (tallies.clone(), first_error.clone());
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let kind = w % 3;
                let result = match kind {
                    0 => flow.run(&ui, &e.authorize, &e.token).await,
                    1 => token_cycle(&http, &args, &e).await,
                    _ => registration_cycle(&http, &e).await,
                };
                tallies[kind].count(result, &first_error);
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let rss_after = args.pid.and_then(rss_kib);
    let mut errors = 0;
    for (name, t) in
        ["code flows", "token+introspect+revoke", "register+read+delete"].iter().zip(tallies.iter())
    {
        let (ok, failed) = (t.ok.load(Ordering::Relaxed), t.failed.load(Ordering::Relaxed));
        errors += failed;
        println!("{name:<24} {ok:>8} done ({:.0}/s), {failed} errors", ok as f64 / args.seconds as f64);
    }
    if let (Some(b), Some(a)) = (rss_before, rss_after) {
        println!(
            "server RSS               {:.1} MiB before, {:.1} MiB after",
            b as f64 / 1024.0,
            a as f64 / 1024.0
        );
    }
    println!("errors                   {errors}");
    if let Some(e) = first_error.lock().ok().and_then(|e| e.clone()) {
        println!("first error              {e}");
    }
    if errors > 0 {
        std::process::exit(1);
    }
}
