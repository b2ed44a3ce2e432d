//! The manual interaction driver: a person signs in, in a browser of their own, for the runs a
//! script cannot do (a real account behind MFA, a passkey, a captcha). The harness prints the
//! authorization URL with what to do on it (and opens it with `$BROWSER` when set), then waits
//! for the response to the client: on the redirect URI itself when it is a loopback address
//! with a port (the harness answers there), or as the address the person pastes from the
//! browser's address bar. One person answers one prompt at a time, within a time limit.
//!
//! Layer: engine; imports nothing else from the crate.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};

/// Opens the authorization URL for the person: by default the `$BROWSER` command.
pub type Opener = Arc<dyn Fn(&str) + Send + Sync>;

/// Where answers come from, and how long one may take.
pub struct Person {
    lines: Mutex<mpsc::UnboundedReceiver<String>>,
    opener: Opener,
    timeout: Duration,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person").field("timeout", &self.timeout).finish()
    }
}

/// The most a browser's request to the loopback listener may hold before its blank line.
const MAX_REQUEST: usize = 16 * 1024;
/// How long a connection to the listener may take to send its request line.
const REQUEST_WAIT: Duration = Duration::from_secs(10);

const RECEIVED_PAGE: &str = "<!doctype html><meta charset=utf-8><title>oauth-conformance</title>\
    <p>oauth-conformance received the authorization response. You can close this tab.</p>";

impl Person {
    /// A person at this terminal: answers are lines on standard input, read by a thread of
    /// their own; the URL is opened with `$BROWSER` when it is set.
    pub fn at_terminal(timeout: Duration) -> Person {
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            let mut line = String::new();
            while matches!(stdin.read_line(&mut line), Ok(n) if n > 0) {
                if tx.send(std::mem::take(&mut line)).is_err() {
                    return;
                }
            }
        });
        Person::new(rx, Arc::new(open_with_browser_variable), timeout)
    }

    /// A person whose answers arrive on `lines` and who is shown URLs by `opener` (a test's, or
    /// a library user's, that plays the user).
    pub fn new(lines: mpsc::UnboundedReceiver<String>, opener: Opener, timeout: Duration) -> Person {
        Person { lines: Mutex::new(lines), opener, timeout }
    }

    /// Ask for one authorization: print `url` and `todo`, open `url`, and wait for the response
    /// to the client, sent to `redirect_uri` (answered there when it is a loopback URI with a
    /// port) or pasted. Returns the URL the response arrived at.
    pub async fn ask(
        &self,
        label: &str,
        url: &str,
        todo: &str,
        redirect_uri: Option<&str>,
    ) -> Result<String, String> {
        let mut lines = self.lines.lock().await;
        // Whatever was typed before this prompt answers no question of it.
        while lines.try_recv().is_ok() {}
        let listen = redirect_uri.and_then(loopback);
        let listener = match &listen {
            Some(l) => match TcpListener::bind(("127.0.0.1", l.port)).await {
                Ok(listener) => Some(listener),
                Err(e) => {
                    eprintln!(
                        "manual driver: cannot listen on port {} for the redirect ({e}); paste the address instead",
                        l.port
                    );
                    None
                }
            },
            None => None,
        };
        let back = redirect_uri.unwrap_or("the client's redirect URI");
        let how = if listener.is_some() {
            format!(
                "the browser is sent back to {back}, where the harness answers; or paste the address the browser shows"
            )
        } else {
            format!(
                "the browser is sent to {back} (the page may not load): paste the whole address from its address bar here"
            )
        };
        eprintln!(
            "\n[manual] {label}: open this URL, {todo}:\n  {url}\n  then {how}, then press Enter (waiting up to {} s)",
            self.timeout.as_secs()
        );
        (self.opener)(url);
        let deadline = tokio::time::sleep(self.timeout);
        tokio::pin!(deadline);
        let mut input_open = true;
        loop {
            tokio::select! {
                line = lines.recv(), if input_open => match line {
                    Some(line) => {
                        let line = line.trim();
                        if line.is_empty() {
                            continue;
                        }
                        match url::Url::parse(line) {
                            Ok(u) if u.query().is_some() || u.fragment().is_some() => return Ok(line.to_string()),
                            _ => eprintln!("[manual] that is not the address of the response (a URL with its query); paste it whole"),
                        }
                    }
                    None if listener.is_some() => input_open = false,
                    None => return Err("standard input closed before the response was pasted".into()),
                },
                got = accept(listener.as_ref(), listen.as_ref()) => {
                    if let Some(target) = got {
                        return Ok(target);
                    }
                }
                () = &mut deadline => {
                    return Err(format!("no authorization response within {} s (--manual-timeout)", self.timeout.as_secs()));
                }
            }
        }
    }
}

/// A loopback redirect URI the harness can answer on: `http`, a loopback host, a port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Loopback {
    /// `http://host:port`, as the redirect URI spells it.
    origin: String,
    port: u16,
    path: String,
}

fn loopback(redirect_uri: &str) -> Option<Loopback> {
    let u = url::Url::parse(redirect_uri).ok()?;
    let host = u.host_str()?;
    if u.scheme() != "http" || !["127.0.0.1", "localhost", "[::1]"].contains(&host) {
        return None;
    }
    // Only a port the URI names: port 80 is nobody's to take.
    let port = u.port()?;
    Some(Loopback { origin: format!("http://{host}:{port}"), port, path: u.path().to_string() })
}

/// One connection to the listener: the response to the client when it is a GET of the
/// redirect URI's path (answered with a page saying so), else `None` (answered 404).
async fn accept(listener: Option<&TcpListener>, at: Option<&Loopback>) -> Option<String> {
    let (Some(listener), Some(at)) = (listener, at) else { return std::future::pending().await };
    let Ok((mut sock, _)) = listener.accept().await else { return None };
    let mut buf = Vec::new();
    let read = tokio::time::timeout(REQUEST_WAIT, async {
        let mut chunk = [0u8; 2048];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next().unwrap_or("").split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split(['?', '#']).next().unwrap_or("");
    let ours = read.is_ok() && method == "GET" && path == at.path && target.starts_with('/');
    let (status, body) = if ours { ("200 OK", RECEIVED_PAGE) } else { ("404 Not Found", "") };
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(reply.as_bytes()).await;
    let _ = sock.shutdown().await;
    ours.then(|| format!("{}{target}", at.origin))
}

/// Open `url` with the first command of `$BROWSER` (`%s` in it is the URL; without one, the
/// URL is its last argument). The command runs without a shell; its exit is awaited in the
/// background so that it leaves no zombie.
pub fn open_with_browser_variable(url: &str) {
    let Ok(var) = std::env::var("BROWSER") else { return };
    let Some(first) = var.split(':').map(str::trim).find(|c| !c.is_empty()) else { return };
    let mut words: Vec<String> = first.split_whitespace().map(str::to_string).collect();
    if words.iter().any(|w| w.contains("%s")) {
        for w in &mut words {
            *w = w.replace("%s", url);
        }
    } else {
        words.push(url.to_string());
    }
    let program = words.remove(0);
    let spawned = tokio::process::Command::new(&program)
        .args(&words)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        Ok(mut child) => {
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
        }
        Err(e) => eprintln!("[manual] $BROWSER: cannot start `{program}`: {e}; open the URL yourself"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(timeout: Duration) -> (Person, mpsc::UnboundedSender<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Person::new(rx, Arc::new(|_: &str| {}), timeout), tx)
    }

    #[test]
    fn only_a_loopback_http_uri_with_a_port_is_listened_on() {
        let l = loopback("http://127.0.0.1:8765/cb?x=1").unwrap();
        assert_eq!((l.origin.as_str(), l.port, l.path.as_str()), ("http://127.0.0.1:8765", 8765, "/cb"));
        assert!(loopback("http://localhost:3000/").is_some());
        for no in
            ["http://127.0.0.1/callback", "https://127.0.0.1:8765/cb", "http://client.example:8765/cb", "x"]
        {
            assert!(loopback(no).is_none(), "{no}");
        }
    }

    #[tokio::test]
    async fn the_response_is_taken_where_the_browser_is_sent_on_a_loopback_redirect_uri() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (p, _tx) = person(Duration::from_secs(20));
        let browser = tokio::spawn(async move {
            let client = reqwest::Client::new();
            let base = format!("http://127.0.0.1:{port}");
            // The listener starts with the prompt: knock until it answers.
            let favicon = loop {
                if let Ok(r) = client.get(format!("{base}/favicon.ico")).send().await {
                    break r.status().as_u16();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            let page = client.get(format!("{base}/cb?code=c1&state=s%201")).send().await.unwrap();
            (favicon, page.status().as_u16(), page.text().await.unwrap())
        });
        let redirect = format!("http://127.0.0.1:{port}/cb");
        let got = p.ask("X-01 step `a`", "http://as/authorize?x", "sign in", Some(&redirect)).await.unwrap();
        assert_eq!(got, format!("http://127.0.0.1:{port}/cb?code=c1&state=s%201"));
        let (favicon, status, body) = browser.await.unwrap();
        assert_eq!((favicon, status), (404, 200));
        assert!(body.contains("close this tab"), "{body}");
    }

    #[tokio::test]
    async fn a_pasted_address_answers_and_other_lines_do_not() {
        let (p, tx) = person(Duration::from_secs(20));
        tx.send("typed before the prompt?code=old\n".into()).unwrap();
        let ask = p.ask("X-01 step `a`", "http://as/authorize", "sign in", Some("https://client.example/cb"));
        let feed = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            for line in [
                "\n",
                "not a url\n",
                "https://client.example/cb\n",
                "  https://client.example/cb?code=c2&state=s  \n",
            ] {
                tx.send(line.into()).unwrap();
            }
        };
        let (got, ()) = tokio::join!(ask, feed);
        assert_eq!(got.unwrap(), "https://client.example/cb?code=c2&state=s");
    }

    #[tokio::test]
    async fn no_answer_in_time_or_a_closed_input_is_an_error() {
        let (p, _tx) = person(Duration::from_millis(100));
        let e = p.ask("X", "http://as/a", "sign in", None).await.unwrap_err();
        assert!(e.contains("within 0 s") || e.contains("no authorization response"), "{e}");
        let (p, tx) = person(Duration::from_secs(20));
        drop(tx);
        let e = p.ask("X", "http://as/a", "sign in", None).await.unwrap_err();
        assert!(e.contains("standard input closed"), "{e}");
    }
}
