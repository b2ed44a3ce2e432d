//! Time from process start to the first successful answer at a URL: spawn the command, poll
//! the URL as fast as possible, report the median of several runs in milliseconds.
//!
//! `startup --url http://127.0.0.1:9400/.well-known/oauth-authorization-server --runs 20 -- CMD ARGS…`

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    /// URL that must answer 200.
    #[arg(long)]
    url: String,
    /// How many starts to time.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Give up on one start after this many seconds.
    #[arg(long, default_value_t = 20)]
    timeout: u64,
    /// The command that starts the server.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

fn main() {
    let args = Args::parse();
    let client = probe::Client;
    let mut times = Vec::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        let mut child = match Command::new(&args.command[0])
            .args(&args.command[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!("startup: cannot run {}: {e}", args.command[0]);
                std::process::exit(2);
            }
        };
        let ready = loop {
            if started.elapsed() > Duration::from_secs(args.timeout) {
                break None;
            }
            if client.get(&args.url).map(|s| s == 200).unwrap_or(false) {
                break Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        let _ = child.kill();
        let _ = child.wait();
        match ready {
            Some(d) => times.push(d.as_micros() as u64),
            None => {
                eprintln!("startup: {} never answered", args.url);
                std::process::exit(1);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (p50, p90, _, max) = bench_tools::percentiles(times);
    println!(
        "start-to-ready ms: median {:.1}, p90 {:.1}, max {:.1}",
        p50 as f64 / 1000.0,
        p90 as f64 / 1000.0,
        max as f64 / 1000.0
    );
}

mod probe {
    //! A minimal blocking GET over a fresh TCP connection each time (no client state can hide
    //! a server that is not ready yet).

    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    pub struct Client;

    impl Client {
        /// The status code of a GET, or an error if nothing answers.
        pub fn get(&self, url: &str) -> std::io::Result<u16> {
            let u = url::Url::parse(url).map_err(|e| std::io::Error::other(e.to_string()))?;
            let host = u.host_str().unwrap_or("127.0.0.1");
            let port = u.port_or_known_default().unwrap_or(80);
            let mut s = TcpStream::connect((host, port))?;
            s.set_read_timeout(Some(Duration::from_secs(2)))?;
            write!(s, "GET {} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n", u.path())?;
            let mut buf = [0u8; 16];
            let n = s.read(&mut buf)?;
            let line = String::from_utf8_lossy(&buf[..n]);
            line.split(' ')
                .nth(1)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| std::io::Error::other("no status"))
        }
    }
}
