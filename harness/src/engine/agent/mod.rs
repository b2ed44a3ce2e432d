//! The user agent: one per scenario, no automatic redirects, a timeout and a body-size cap on
//! every request, and a recorder of every exchange. It plays two parties with a cookie jar
//! each: the user's *browser* (authorization endpoint, login and consent pages) and the
//! client's *back end* (token, introspection, revocation, registration, the resource). A
//! client's back end never holds the browser's cookies, and servers that treat a request with
//! session cookies as a cross-site browser request must not see them there.
//!
//! Every request passes the run's [`Guard`] first (the trust rules,
//! [`crate::engine::trust::Trust`]): one that would carry a credential to an origin nobody
//! trusted is not sent. Every request obeys the run's budget, and a retryable
//! answer (503, 429) is tried once more after its `Retry-After` when that fits.
//!
//! Layer: engine, at its bottom: it imports the result model, [`crate::engine::retry`] and
//! [`crate::engine::origin`] only. What sits above it (the trust rules, the clean-up ledger)
//! plugs in through [`Guard`] and [`Observer`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::cookie::Jar;

mod message;

pub use message::{Body, Exchange, Request, Response};

use crate::engine::origin::TRUST_KEY;
use crate::engine::retry;

/// Limits every request obeys.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_body: usize,
    /// When the whole run must end (`--budget`); no request is sent or waited for past it.
    pub deadline: Option<Instant>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: Duration::from_secs(15), max_body: 1024 * 1024, deadline: None }
    }
}

impl Limits {
    /// The time the next request may take: the timeout, or what is left of the budget.
    fn request_timeout(&self) -> Option<Duration> {
        match self.deadline {
            None => Some(self.timeout),
            Some(d) => d
                .checked_duration_since(Instant::now())
                .filter(|left| !left.is_zero())
                .map(|l| l.min(self.timeout)),
        }
    }
}

/// A request that produced no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    #[error("invalid URL `{0}`")]
    BadUrl(String),
    #[error("{url}: no answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{url}: cannot connect: {cause}")]
    Connect { url: String, cause: String },
    #[error("{url}: response body larger than {max} bytes")]
    TooLarge { url: String, max: usize },
    #[error("{url}: {cause}")]
    Other { url: String, cause: String },
    /// Not sent: it would have carried a credential to an origin nobody trusted.
    #[error(
        "not sent to {url}: it would carry {what} to {origin}, which is not the issuer's origin; list \"{origin}\" under the profile's `{trusted}` if it belongs to the deployment",
        trusted = TRUST_KEY
    )]
    Untrusted { url: String, origin: String, what: String },
    /// 503 or 429: the server asked to be asked later, so nothing can be judged.
    #[error("{url}: the server answered {}, which asks to try again later: inconclusive{note}", retry::describe(*status))]
    Retryable { url: String, status: u16, note: String },
    /// The run's budget (`--budget`) is spent.
    #[error("{url}: not sent, the run's time budget (--budget) is spent")]
    Budget { url: String },
}

/// Decides whether a request may be sent, and hears where requests went.
pub trait Guard: std::fmt::Debug + Send + Sync {
    /// `Err(what)` when `req` to `url` would carry a credential (`what` names it) to an origin
    /// nobody trusted.
    fn check(&self, url: &url::Url, req: &Request, extra_headers: &[(String, String)]) -> Result<(), String>;
    /// A request is being sent to `url`.
    fn record(&self, url: &url::Url);
}

/// The guard of an agent given none: everything may go anywhere.
#[derive(Debug)]
struct Open;

impl Guard for Open {
    fn check(&self, _: &url::Url, _: &Request, _: &[(String, String)]) -> Result<(), String> {
        Ok(())
    }

    fn record(&self, _: &url::Url) {}
}

/// Hears of every exchange the agent records (the clean-up's ledger of what the run created).
pub trait Observer: std::fmt::Debug + Send + Sync {
    fn observe(&self, exchange: &Exchange);
}

/// Which party sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The user's browser: front-channel navigation with the browser's cookies.
    Browser,
    /// The client's back end: its own cookie jar, never the browser's.
    Client,
}

/// An HTTP client with its own cookie jar.
#[derive(Debug)]
struct Party {
    client: reqwest::Client,
    jar: Arc<Jar>,
}

impl Party {
    fn new(limits: Limits) -> Result<Party, String> {
        let jar = Arc::new(Jar::default());
        let mut builder = reqwest::Client::builder();
        if let Some(tls) = shared_tls() {
            builder = builder.tls_backend_preconfigured(tls);
        }
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .timeout(limits.timeout)
            .connect_timeout(limits.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("oauth-conformance/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Party { client, jar })
    }
}

/// The per-scenario user agent.
#[derive(Debug)]
pub struct Agent {
    browser: Party,
    back: Party,
    limits: Limits,
    extra_headers: Vec<(String, String)>,
    trust: Arc<dyn Guard>,
    pub exchanges: Vec<Exchange>,
    /// Where what the target creates for the run is noted, for the clean-up.
    ledger: Option<Arc<dyn Observer>>,
}

impl Agent {
    pub fn new(limits: Limits, extra_headers: Vec<(String, String)>) -> Result<Agent, String> {
        crate::install_crypto_provider();
        Ok(Agent {
            browser: Party::new(limits)?,
            back: Party::new(limits)?,
            limits,
            extra_headers,
            trust: Arc::new(Open),
            exchanges: Vec::new(),
            ledger: None,
        })
    }

    /// This agent, noting every exchange in `ledger`.
    pub fn noting(mut self, ledger: Arc<dyn Observer>) -> Agent {
        self.ledger = Some(ledger);
        self
    }

    /// Send credentials only where `trust` allows, and record the origins contacted there.
    #[must_use]
    pub fn with_trust(mut self, trust: Arc<dyn Guard>) -> Agent {
        self.trust = trust;
        self
    }

    /// Start over with an empty browser (a different browser, no session), keeping the
    /// recording.
    pub fn forget_cookies(&mut self) -> Result<(), String> {
        self.browser = Party::new(self.limits)?;
        Ok(())
    }

    /// Put a cookie in the browser's jar, as if `url` had set it (the session interaction driver).
    pub fn add_cookie(&self, cookie: &str, url: &str) {
        if let Ok(u) = url.parse::<url::Url>() {
            self.browser.jar.add_cookie_str(cookie, &u);
        }
    }

    /// Send one back-channel request as the client (no redirect is followed) and record it.
    pub async fn send(&mut self, req: Request) -> Result<Response, AgentError> {
        self.send_as(Channel::Client, req).await
    }

    /// Send one request as the user's browser (no redirect is followed) and record it.
    pub async fn browse(&mut self, req: Request) -> Result<Response, AgentError> {
        self.send_as(Channel::Browser, req).await
    }

    /// Send one request from `channel` and record the exchange; a retryable answer is tried
    /// once more after its `Retry-After` when the delay fits, and is an error if it stays.
    pub async fn send_as(&mut self, channel: Channel, req: Request) -> Result<Response, AgentError> {
        let at = self.exchanges.len();
        let first = self.send_once(channel, &req).await?;
        if !retry::is_retryable(first.status) {
            return Ok(first);
        }
        let wait =
            first.header("retry-after").and_then(|v| retry::retry_after(v, std::time::SystemTime::now()));
        let note = match wait {
            Some(delay) if retry::fits(delay, self.limits.timeout, self.limits.deadline) => {
                if let Some(ex) = self.exchanges.get_mut(at) {
                    ex.note = Some(format!("Retry-After: {} s honoured: asked again once", delay.as_secs()));
                }
                tokio::time::sleep(delay).await;
                let again = self.send_once(channel, &req).await?;
                if !retry::is_retryable(again.status) {
                    return Ok(again);
                }
                format!(
                    " (asked again once after Retry-After: {} s, and got {})",
                    delay.as_secs(),
                    again.status
                )
            }
            Some(delay) => format!(
                " (Retry-After: {} s does not fit in the request timeout or the run's budget; not retried)",
                delay.as_secs()
            ),
            None => " (no usable Retry-After; not retried)".to_string(),
        };
        Err(AgentError::Retryable { url: req.url.clone(), status: first.status, note })
    }

    async fn send_once(&mut self, channel: Channel, req: &Request) -> Result<Response, AgentError> {
        let started = Instant::now();
        let mut exchange = Exchange {
            method: req.method.to_string(),
            url: req.url.clone(),
            request_headers: Vec::new(),
            request_body: None,
            status: None,
            response_headers: Vec::new(),
            response_body: None,
            error: None,
            note: None,
            duration_ms: 0,
        };
        let result = self.perform(channel, req, &mut exchange).await;
        exchange.duration_ms = started.elapsed().as_millis() as u64;
        if let Err(e) = &result {
            exchange.error = Some(e.to_string());
        }
        if let Some(ledger) = &self.ledger {
            ledger.observe(&exchange);
        }
        self.exchanges.push(exchange);
        result
    }

    async fn perform(
        &self,
        channel: Channel,
        req: &Request,
        ex: &mut Exchange,
    ) -> Result<Response, AgentError> {
        let party = match channel {
            Channel::Browser => &self.browser,
            Channel::Client => &self.back,
        };
        let url = url::Url::parse(&req.url).map_err(|_| AgentError::BadUrl(req.url.clone()))?;
        if let Err(what) = self.trust.check(&url, req, &self.extra_headers) {
            let origin = url.origin().ascii_serialization();
            return Err(AgentError::Untrusted { url: req.url.clone(), origin, what });
        }
        let Some(timeout) = self.limits.request_timeout() else {
            return Err(AgentError::Budget { url: req.url.clone() });
        };
        self.trust.record(&url);
        let mut builder = party.client.request(req.method.clone(), url.clone()).timeout(timeout);
        let mut headers: Vec<(String, String)> = self.extra_headers.clone();
        headers.extend(req.headers.iter().cloned());
        let body = match &req.body {
            Body::None => None,
            Body::Form(pairs) => {
                let mut ser = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in pairs {
                    ser.append_pair(k, v);
                }
                set_default(&mut headers, "content-type", "application/x-www-form-urlencoded");
                Some(ser.finish())
            }
            Body::Json(v) => {
                set_default(&mut headers, "content-type", "application/json");
                Some(v.to_string())
            }
            Body::Raw(text, ct) => {
                if let Some(ct) = ct {
                    set_default(&mut headers, "content-type", ct);
                }
                Some(text.clone())
            }
        };
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(b) = &body {
            builder = builder.body(b.clone());
        }
        if let Some(cookies) = reqwest::cookie::CookieStore::cookies(&*party.jar, &url) {
            headers.push(("cookie".into(), cookies.to_str().unwrap_or("").to_string()));
        }
        ex.request_headers = headers;
        ex.request_body = body;
        let secs = timeout.as_secs().max(1);
        let mut resp = builder.send().await.map_err(|e| classify(&req.url, secs, e))?;
        let status = resp.status().as_u16();
        let resp_headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        ex.status = Some(status);
        ex.response_headers = resp_headers.clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&req.url, secs, e))? {
            if body.len() + chunk.len() > self.limits.max_body {
                return Err(AgentError::TooLarge { url: req.url.clone(), max: self.limits.max_body });
            }
            body.extend_from_slice(&chunk);
        }
        ex.response_body = (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned());
        Ok(Response { status, headers: resp_headers, body, url: req.url.clone() })
    }
}

/// One TLS configuration for every agent of the process: building the platform's certificate
/// verifier costs milliseconds, and a run creates an agent per scenario.
pub(crate) fn shared_tls() -> Option<rustls::ClientConfig> {
    use rustls_platform_verifier::ConfigVerifierExt;
    static TLS: std::sync::OnceLock<Option<rustls::ClientConfig>> = std::sync::OnceLock::new();
    TLS.get_or_init(|| {
        crate::install_crypto_provider();
        let mut config = rustls::ClientConfig::with_platform_verifier().ok()?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Some(config)
    })
    .clone()
}

fn set_default(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
        headers.push((name.to_string(), value.to_string()));
    }
}

fn classify(url: &str, secs: u64, e: reqwest::Error) -> AgentError {
    let url = url.to_string();
    if e.is_timeout() {
        return AgentError::Timeout { url, secs };
    }
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        cause = format!("{cause}: {s}");
        source = s.source();
    }
    if e.is_connect() { AgentError::Connect { url, cause } } else { AgentError::Other { url, cause } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn cookie_sent(ex: &Exchange) -> Option<&str> {
        ex.request_headers.iter().find(|(k, _)| k == "cookie").map(|(_, v)| v.as_str())
    }

    #[tokio::test]
    async fn the_back_channel_never_sends_the_browsers_cookies_and_the_browser_keeps_them() {
        let server = MockServer::start().await;
        Mock::given(path("/login"))
            .respond_with(ResponseTemplate::new(200).insert_header("set-cookie", "sid=browser; Path=/"))
            .mount(&server)
            .await;
        Mock::given(path("/token"))
            .respond_with(ResponseTemplate::new(200).insert_header("set-cookie", "backend=1; Path=/"))
            .mount(&server)
            .await;
        let mut agent = Agent::new(Limits::default(), Vec::new()).unwrap();
        agent.add_cookie("session=handed-over", &server.uri());
        agent.browse(Request::get(format!("{}/login", server.uri()))).await.unwrap();
        agent.send(Request::post_form(format!("{}/token", server.uri()), Vec::new())).await.unwrap();
        agent.send(Request::get(format!("{}/token", server.uri()))).await.unwrap();
        agent.browse(Request::get(format!("{}/login", server.uri()))).await.unwrap();
        let ex = &agent.exchanges;
        assert_eq!(cookie_sent(&ex[0]), Some("session=handed-over"));
        assert_eq!(cookie_sent(&ex[1]), None, "the client's first request carries no browser cookie");
        assert_eq!(cookie_sent(&ex[2]), Some("backend=1"), "the client keeps its own cookies");
        let last = cookie_sent(&ex[3]).unwrap_or_default();
        assert!(last.contains("sid=browser") && !last.contains("backend"), "{last}");
        agent.forget_cookies().unwrap();
        agent.browse(Request::get(format!("{}/login", server.uri()))).await.unwrap();
        assert_eq!(cookie_sent(&agent.exchanges[4]), None, "a fresh browser has no session");
    }
}
