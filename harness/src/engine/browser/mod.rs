//! A real browser for login and consent pages that need JavaScript: Chromium (Debian's
//! `chromium`, or any Chrome) started headless by the harness, driven over the Chrome DevTools
//! Protocol.
//!
//! The browser renders pages, runs their scripts and takes the user's input; it never talks to
//! the network itself. Every request it makes is paused (CDP `Fetch` domain) and handed to the
//! caller, which sends it with the harness's own user agent, so each exchange is recorded,
//! masked and bounded exactly as with the form driver, and cookies stay in the user agent's
//! browser jar, never in the back channel. A navigation away from the page (a form post, a
//! script that sets `location`) is caught before it leaves and returned as the next request:
//! the redirect back to the client is therefore never loaded.
//!
//! Why our own small CDP client (over `tokio-tungstenite`) rather than a browser-automation
//! crate: the driver needs about fifteen CDP methods, and the crates that generate the whole
//! protocol (chromiumoxide's bindings are 111,000 lines) would add minutes to every build of
//! the harness on the project's two-core CI machine; WebDriver crates (fantoccini) cannot pause
//! a navigation, so the client's redirect URI would be loaded.
//!
//! The browser's own requests for `/favicon.ico` are answered inside it and never sent.
//!
//! One browser serves a run; each scenario gets its own browser context (a fresh profile:
//! no cookies, no storage), closed when the scenario ends.
//!
//! Layer: engine, beside the agent; imports only its own `cdp` module.

pub mod cdp;

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tokio::sync::mpsc;

pub use cdp::{CdpError, Connection, Event};

/// Executable names tried on `PATH`, in order.
const CANDIDATES: &[&str] =
    &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];

/// Flags for a headless browser that also runs as root in a container.
const FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-sync",
    "--disable-extensions",
    "--disable-component-update",
    "--mute-audio",
    // Scenarios run side by side, each in a tab of its own: none may be throttled as a
    // background tab would be.
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    // What a person's browser does besides showing pages costs CPU on a small machine and
    // changes nothing the scenarios see: one renderer per site rather than per frame origin,
    // no crash reports, hang monitor, phishing checks, translation, metrics or keychain.
    "--disable-site-isolation-trials",
    "--disable-features=site-per-process,Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions",
    "--disable-breakpad",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--disable-hang-monitor",
    "--disable-domain-reliability",
    "--metrics-recording-only",
    "--password-store=basic",
    "--use-mock-keychain",
    "--no-pings",
    "--remote-debugging-port=0",
];

/// What the browser driver could not do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "no Chromium or Chrome found (looked for {CANDIDATES:?} on PATH and the CHROME variable): install Debian's `chromium` or name one with --browser PATH"
    )]
    NotFound,
    #[error("cannot start the browser {path}: {reason}")]
    Launch { path: String, reason: String },
    #[error(transparent)]
    Cdp(#[from] CdpError),
    #[error("{0}")]
    Page(String),
    /// The action's script found the page lacking what it needs; its own words.
    #[error("{0}")]
    Refused(String),
}

/// The browser to use: `explicit` (from `--browser`), else `$CHROME`, else the first of
/// [`CANDIDATES`] on `PATH`.
pub fn find(explicit: Option<&Path>) -> Result<PathBuf, BrowserError> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(BrowserError::Launch { path: p.display().to_string(), reason: "no such file".into() })
        };
    }
    if let Some(p) = std::env::var_os("CHROME").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in CANDIDATES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(BrowserError::NotFound)
}

/// A running headless browser; dropping it ends the process and removes its profile.
#[derive(Debug)]
pub struct Browser {
    child: Child,
    conn: Arc<Connection>,
    profile: PathBuf,
    timeout: Duration,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

static LAUNCHES: AtomicU64 = AtomicU64::new(0);

impl Browser {
    /// Start the browser at `path` with a fresh profile directory; commands and page loads wait
    /// at most `timeout`.
    pub async fn launch(path: &Path, timeout: Duration) -> Result<Browser, BrowserError> {
        let failed = |reason: String| BrowserError::Launch { path: path.display().to_string(), reason };
        let n = LAUNCHES.fetch_add(1, Ordering::Relaxed);
        let profile =
            std::env::temp_dir().join(format!("oauth-conformance-browser-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&profile)
            .map_err(|e| failed(format!("cannot make {}: {e}", profile.display())))?;
        let mut child = Command::new(path)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed(e.to_string()))?;
        // The DevTools address is the one line that matters on stderr; the rest is drained so
        // the browser never blocks on a full pipe.
        let stderr = child.stderr.take().ok_or_else(|| failed("no stderr".into()))?;
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("ws://") {
                    let _ = tx.send(line[at..].trim().to_string());
                }
            }
        });
        let url = tokio::time::timeout(timeout, rx.recv()).await.ok().flatten();
        let connected = match url {
            Some(url) => Connection::open(&url, timeout).await.map_err(BrowserError::from),
            None => Err(failed(format!("it printed no DevTools address within {} s", timeout.as_secs()))),
        };
        match connected {
            Ok(conn) => Ok(Browser { child, conn: Arc::new(conn), profile, timeout }),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(&profile);
                Err(e)
            }
        }
    }

    /// A tab in a fresh browser context, whose requests are all paused for the caller.
    pub async fn tab(&self) -> Result<Tab, BrowserError> {
        let c = &self.conn;
        let context = c.call(None, "Target.createBrowserContext", json!({ "disposeOnDetach": true })).await?;
        let context = text(&context, "browserContextId")?;
        let target = c
            .call(None, "Target.createTarget", json!({ "url": "about:blank", "browserContextId": context }))
            .await?;
        let target = text(&target, "targetId")?;
        let session =
            c.call(None, "Target.attachToTarget", json!({ "targetId": target, "flatten": true })).await?;
        let session = text(&session, "sessionId")?;
        let events = c.subscribe(&session);
        let s = Some(session.as_str());
        c.call(s, "Page.enable", json!({})).await?;
        c.call(s, "Runtime.enable", json!({})).await?;
        c.call(s, "Fetch.enable", json!({ "patterns": [{ "urlPattern": "*", "requestStage": "Request" }] }))
            .await?;
        Ok(Tab { conn: c.clone(), session, target, context, events, timeout: self.timeout, url: None })
    }
}

fn text(v: &Value, key: &str) -> Result<String, BrowserError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| BrowserError::Page(format!("the browser's answer has no {key}: {v}")))
}

/// A request the page made, paused before it left the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intercepted {
    pub method: String,
    pub url: String,
    /// As the browser would send them (no cookies: those are the user agent's).
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// A navigation of the tab (a document), rather than a script's or a subresource's request.
    pub navigation: bool,
}

/// An answer to hand back to the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Who sends the page's requests: the harness's user agent, in the browser's role.
pub trait Network: Send {
    fn fetch<'a>(
        &'a mut self,
        req: &'a Intercepted,
    ) -> Pin<Box<dyn Future<Output = Result<Reply, String>> + Send + 'a>>;
}

/// One tab in its own browser context.
#[derive(Debug)]
pub struct Tab {
    conn: Arc<Connection>,
    session: String,
    target: String,
    context: String,
    events: mpsc::UnboundedReceiver<Event>,
    timeout: Duration,
    /// The document shown, once `show` has loaded one.
    url: Option<String>,
}

/// What an action on a page came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acted {
    /// The page navigated: this is the request, caught before it left.
    Navigated(Intercepted),
    /// The page's scripts asked the server and re-rendered it in place, with no navigation
    /// (a sign-in app showing "wrong password").
    Stayed,
}

/// What waiting on a page came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waited {
    /// The expression's value once truthy, or `None` when the wait ran out.
    Value(Option<Value>),
    /// The page navigated meanwhile (a script sent the user on): caught, not sent.
    Navigated(Intercepted),
}

/// After an action's requests, this long without another one and without a navigation means
/// the page stays where it is; a navigation that comes later is still caught by whatever waits
/// on the page next.
const QUIET: Duration = Duration::from_millis(1000);

/// Once a quiet period is over, the page is asked to run a task of its own ([`SETTLE`]) before
/// it counts as staying: on a busy machine the script that answers a response or a click may
/// not have run yet. A navigation or request it starts then has this long to show.
const GRACE: Duration = Duration::from_millis(300);

/// Resolves after the tasks the page had queued (two turns of its event loop).
const SETTLE: &str = "new Promise(r => setTimeout(() => setTimeout(() => r(true), 0), 0))";

/// What happened to a paused request.
enum Paused {
    /// Answered (or refused) and the page carries on.
    Handled,
    /// A navigation away from the page: caught, not sent.
    Navigation(Intercepted),
}

impl Tab {
    async fn call(&self, method: &str, params: Value) -> Result<Value, CdpError> {
        self.conn.call(Some(&self.session), method, params).await
    }

    /// The URL of the document shown.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// Show `url` with `answer`, the response the user agent already received for it: the
    /// document's own request does not leave the browser again. Its scripts and subresources
    /// go through `net`. Returns a navigation the page starts by itself while loading (an
    /// auto-submitting form, a script redirect), caught before it leaves.
    pub async fn show(
        &mut self,
        url: &str,
        answer: &Reply,
        net: &mut dyn Network,
    ) -> Result<Option<Intercepted>, BrowserError> {
        self.url = Some(url.to_string());
        // Events of the page shown before (a late load event) say nothing about this one.
        while let Ok(ev) = self.events.try_recv() {
            if ev.method == "Fetch.requestPaused" {
                let _ = self.handle(&ev.params, net).await?;
            }
        }
        let conn = self.conn.clone();
        let session = self.session.clone();
        let navigate = conn.call(Some(&session), "Page.navigate", json!({ "url": url }));
        tokio::pin!(navigate);
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut answered = false;
        let mut navigated = false;
        let mut loaded = false;
        while !(navigated && loaded) {
            tokio::select! {
                r = &mut navigate, if !navigated => {
                    let r = r?;
                    if let Some(e) = r.get("errorText").and_then(Value::as_str).filter(|e| !e.is_empty()) {
                        return Err(BrowserError::Page(format!("the browser could not show {url}: {e}")));
                    }
                    navigated = true;
                }
                ev = self.events.recv() => {
                    let Some(ev) = ev else { return Err(CdpError::Closed.into()) };
                    match ev.method.as_str() {
                        "Page.loadEventFired" if answered => loaded = true,
                        "Fetch.requestPaused" => {
                            let first = !answered && is_navigation(&ev.params, &self.target) && paused_url(&ev.params) == url;
                            if first {
                                answered = true;
                                self.fulfill(&ev.params, answer).await?;
                            } else if let Paused::Navigation(n) = self.handle(&ev.params, net).await? {
                                // The page left before it finished loading.
                                return Ok(Some(n));
                            }
                        }
                        _ => {}
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    return Err(BrowserError::Page(format!("{url} did not finish loading within {} s", self.timeout.as_secs())));
                }
            }
        }
        Ok(None)
    }

    /// Evaluate `expression` until it is truthy (e.g. a selector appears once a script has
    /// rendered the form), serving the page's requests meanwhile; `Ok(None)` after `wait`.
    pub async fn wait_for(
        &mut self,
        expression: &str,
        wait: Duration,
        net: &mut dyn Network,
    ) -> Result<Waited, BrowserError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let (v, left) = self.evaluate_serving(expression, net).await?;
            if let Some(n) = left {
                return Ok(Waited::Navigated(n));
            }
            if truthy(&v) {
                return Ok(Waited::Value(Some(v)));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(Waited::Value(None));
            }
            let tick = tokio::time::Instant::now() + Duration::from_millis(50);
            loop {
                tokio::select! {
                    ev = self.events.recv() => {
                        let Some(ev) = ev else { return Err(CdpError::Closed.into()) };
                        if ev.method == "Fetch.requestPaused"
                            && let Paused::Navigation(n) = self.handle(&ev.params, net).await?
                        {
                            return Ok(Waited::Navigated(n));
                        }
                    }
                    () = tokio::time::sleep_until(tick) => break,
                }
            }
        }
    }

    /// Run `script` (fill fields, press a button), then serve the page's requests until it
    /// navigates: that navigation is returned, not sent. The script answers `"ok"` when it
    /// acted; any other answer is returned as [`BrowserError::Refused`] and nothing is waited
    /// for. When the action's requests (if any) are answered and the page then stays quiet, it
    /// stayed ([`Acted::Stayed`]).
    pub async fn act(&mut self, script: &str, net: &mut dyn Network) -> Result<Acted, BrowserError> {
        let (said, left) = self.evaluate_serving(script, net).await?;
        if let Some(n) = left {
            return Ok(Acted::Navigated(n));
        }
        if said.as_str() != Some("ok") {
            return Err(BrowserError::Refused(
                said.as_str().map_or_else(|| said.to_string(), str::to_string),
            ));
        }
        let deadline = tokio::time::Instant::now() + self.timeout;
        // Quiet from the start: an action that asks nothing of the network (ticking a
        // checkbox a script keeps in its state) and does not navigate has stayed.
        let mut quiet_from: Option<tokio::time::Instant> = Some(tokio::time::Instant::now());
        // Whether the page has run a task of ours since the last request.
        let mut settled = false;
        loop {
            let quiet = quiet_from.map_or(deadline, |q| (q + QUIET).min(deadline));
            tokio::select! {
                ev = self.events.recv() => {
                    let Some(ev) = ev else { return Err(CdpError::Closed.into()) };
                    if ev.method == "Fetch.requestPaused" {
                        if let Paused::Navigation(n) = self.handle(&ev.params, net).await? {
                            return Ok(Acted::Navigated(n));
                        }
                        quiet_from = Some(tokio::time::Instant::now());
                        settled = false;
                    }
                }
                () = tokio::time::sleep_until(quiet), if quiet_from.is_some() && quiet < deadline => {
                    if settled {
                        return Ok(Acted::Stayed);
                    }
                    settled = true;
                    let (_, left) = self.evaluate_serving(SETTLE, net).await?;
                    if let Some(n) = left {
                        return Ok(Acted::Navigated(n));
                    }
                    let now = tokio::time::Instant::now();
                    quiet_from = Some(now.checked_sub(QUIET - GRACE).unwrap_or(now));
                }
                () = tokio::time::sleep_until(deadline) => {
                    return Err(BrowserError::Page(format!(
                        "nothing happened within {} s of the action on {}",
                        self.timeout.as_secs(),
                        self.url.as_deref().unwrap_or("the page")
                    )));
                }
            }
        }
    }

    /// Evaluate `expression` while serving the page's requests: a page whose parser waits for
    /// a paused script cannot evaluate anything until that script is answered. A navigation
    /// the page starts meanwhile is caught and returned beside the value.
    pub async fn evaluate_serving(
        &mut self,
        expression: &str,
        net: &mut dyn Network,
    ) -> Result<(Value, Option<Intercepted>), BrowserError> {
        let conn = self.conn.clone();
        let session = self.session.clone();
        let call = conn.call(
            Some(&session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        tokio::pin!(call);
        let mut left = None;
        loop {
            tokio::select! {
                r = &mut call => return Ok((evaluated(r?)?, left)),
                ev = self.events.recv() => {
                    let Some(ev) = ev else { return Err(CdpError::Closed.into()) };
                    if ev.method == "Fetch.requestPaused"
                        && let Paused::Navigation(n) = self.handle(&ev.params, net).await?
                    {
                        left.get_or_insert(n);
                    }
                }
            }
        }
    }

    /// The value of a JavaScript expression (promises awaited).
    pub async fn evaluate(&self, expression: &str) -> Result<Value, BrowserError> {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await?;
        evaluated(r)
    }

    /// The rendered document's HTML, as it stands now.
    pub async fn html(&self) -> Result<String, BrowserError> {
        Ok(self
            .evaluate("document.documentElement ? document.documentElement.outerHTML : ''")
            .await?
            .as_str()
            .unwrap_or("")
            .to_string())
    }

    /// A PNG screenshot of the tab.
    pub async fn screenshot(&self) -> Result<Vec<u8>, BrowserError> {
        let r = self.call("Page.captureScreenshot", json!({ "format": "png" })).await?;
        let data = r.get("data").and_then(Value::as_str).unwrap_or("");
        STANDARD.decode(data).map_err(|e| BrowserError::Page(format!("the screenshot is not base64: {e}")))
    }

    /// Close the tab's browser context (its cookies and storage go with it).
    pub async fn close(self) {
        self.conn.unsubscribe(&self.session);
        let _ = self
            .conn
            .call(None, "Target.disposeBrowserContext", json!({ "browserContextId": self.context }))
            .await;
    }

    /// Serve a paused request: a navigation of the tab is caught and refused; anything else
    /// goes through `net` and its answer back to the page.
    async fn handle(&self, params: &Value, net: &mut dyn Network) -> Result<Paused, BrowserError> {
        let req = intercepted(params, &self.target);
        // The browser's own housekeeping, not the page's: answered here, never sent.
        if !req.navigation && url::Url::parse(&req.url).is_ok_and(|u| u.path() == "/favicon.ico") {
            self.fulfill(params, &Reply { status: 404, headers: Vec::new(), body: Vec::new() }).await?;
            return Ok(Paused::Handled);
        }
        if req.navigation {
            self.call(
                "Fetch.failRequest",
                json!({ "requestId": params["requestId"], "errorReason": "Aborted" }),
            )
            .await?;
            return Ok(Paused::Navigation(req));
        }
        match net.fetch(&req).await {
            Ok(reply) => self.fulfill(params, &reply).await?,
            Err(_) => {
                self.call(
                    "Fetch.failRequest",
                    json!({ "requestId": params["requestId"], "errorReason": "Failed" }),
                )
                .await?;
            }
        }
        Ok(Paused::Handled)
    }

    async fn fulfill(&self, params: &Value, reply: &Reply) -> Result<(), BrowserError> {
        let headers: Vec<Value> =
            reply.headers.iter().map(|(k, v)| json!({ "name": k, "value": v })).collect();
        self.call(
            "Fetch.fulfillRequest",
            json!({
                "requestId": params["requestId"],
                "responseCode": reply.status,
                "responseHeaders": headers,
                "body": STANDARD.encode(&reply.body),
            }),
        )
        .await?;
        Ok(())
    }
}

/// The value of a `Runtime.evaluate` answer, or the exception the script threw.
fn evaluated(r: Value) -> Result<Value, BrowserError> {
    if let Some(e) = r.get("exceptionDetails") {
        let message = e
            .pointer("/exception/description")
            .or_else(|| e.get("text"))
            .and_then(Value::as_str)
            .unwrap_or("an exception");
        return Err(BrowserError::Page(format!("a script on the page failed: {message}")));
    }
    Ok(r.pointer("/result/value").cloned().unwrap_or(Value::Null))
}

fn paused_url(params: &Value) -> &str {
    params.pointer("/request/url").and_then(Value::as_str).unwrap_or("")
}

/// A document request of the tab's main frame (not an iframe's, not a script's).
fn is_navigation(params: &Value, target: &str) -> bool {
    params.get("resourceType").and_then(Value::as_str) == Some("Document")
        && params.get("frameId").and_then(Value::as_str).is_none_or(|f| f == target)
}

fn intercepted(params: &Value, target: &str) -> Intercepted {
    let r = &params["request"];
    let headers = r
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| {
            h.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or("").to_string())).collect()
        })
        .unwrap_or_default();
    let body = match r.get("postDataEntries").and_then(Value::as_array) {
        Some(entries) => Some(
            entries
                .iter()
                .filter_map(|e| e.get("bytes").and_then(Value::as_str))
                .flat_map(|b| STANDARD.decode(b).unwrap_or_default())
                .collect(),
        ),
        None => r.get("postData").and_then(Value::as_str).map(|s| s.as_bytes().to_vec()),
    };
    Intercepted {
        method: r.get("method").and_then(Value::as_str).unwrap_or("GET").to_string(),
        url: paused_url(params).to_string(),
        headers,
        body,
        navigation: is_navigation(params, target),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// A JavaScript string literal for `s`.
pub fn js_string(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}
