//! `host`: serve a response at a URL on 127.0.0.1 for the rest of the scenario, and record
//! every connection and request the target makes to it. The target fetches what the harness
//! hosts (client ID metadata documents, `jwks_uri`, ...), so a scenario can see whether, how
//! often and how it fetched.
//!
//! The result has `url`, `base` (scheme, host and port), `port`, `path`, `json` (the first
//! JSON body among the replies) and, live, `requests`, `count` and `connections`, brought up to
//! date after every
//! step and before the expectations are judged. Inside its own parameters the step may refer to
//! itself by its name (`{doc.url}`), since a metadata document must contain its own URL.
//! The server stops when the scenario ends.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body as AxumBody;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Ctx, StepError};
use crate::engine::template;

/// Longest delay a response may ask for.
const MAX_DELAY_MS: u64 = 30_000;
/// Largest padding of a body (bytes).
const MAX_PAD: usize = 16 * 1024 * 1024;
/// Requests kept in the log; later ones are only counted.
const MAX_LOGGED: usize = 100;

/// One response the host gives.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Status code; 200, or 302 with `redirect`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A JSON body (`application/json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// A raw body (`text/plain` unless `content_type` says otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Answer with a redirect (`Location`) to this URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
    /// Wait this long before answering (at most 30 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Append this many spaces to the body: a huge document that is still valid JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pad: Option<usize>,
}

/// The `host` step.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Path served (default `/client.json`); other paths answer 404 and are recorded too.
    pub path: Option<String>,
    /// Hand out a URL where nothing listens (the connection is refused).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub down: bool,
    pub status: Option<u16>,
    pub json: Option<Value>,
    pub body: Option<String>,
    pub content_type: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub redirect: Option<String>,
    pub delay_ms: Option<u64>,
    pub pad: Option<usize>,
    /// Responses to the second, third, ... request to the path; the last one repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub then: Vec<Reply>,
}

impl Host {
    fn first(&self) -> Reply {
        Reply {
            status: self.status,
            json: self.json.clone(),
            body: self.body.clone(),
            content_type: self.content_type.clone(),
            headers: self.headers.clone(),
            redirect: self.redirect.clone(),
            delay_ms: self.delay_ms,
            pad: self.pad,
        }
    }

    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let path = match &self.path {
            Some(p) if p.starts_with('/') => ctx.str(p)?,
            Some(p) => return Err(StepError::Prerequisite(format!("host path `{p}` must start with `/`"))),
            None => "/client.json".to_string(),
        };
        let cannot = |e: std::io::Error| StepError::Prerequisite(format!("cannot listen on 127.0.0.1: {e}"));
        // `down`: a port that stays bound for the whole scenario but never listens, so
        // connections are refused and no other scenario's host can take it over meanwhile.
        let (listener, reserved, port) = if self.down {
            let (socket, port) =
                fresh_port(&ctx.env.issuer, refusing_port, |s| s.local_addr()).map_err(cannot)?;
            (None, Some(socket), port)
        } else {
            let bind = || std::net::TcpListener::bind(("127.0.0.1", 0));
            let (listener, port) = fresh_port(&ctx.env.issuer, bind, |l| l.local_addr()).map_err(cannot)?;
            listener.set_nonblocking(true).map_err(cannot)?;
            (Some(tokio::net::TcpListener::from_std(listener).map_err(cannot)?), None, port)
        };
        let base = format!("http://127.0.0.1:{port}");
        let mut out = json!({ "url": format!("{base}{path}"), "base": base, "port": port, "path": path });
        // The step's own name refers to its address while its parameters are resolved.
        let mut vars = ctx.vars.clone();
        vars.insert(ctx.step.clone(), out.clone());
        let mut replies = Vec::new();
        for r in std::iter::once(self.first()).chain(self.then.iter().cloned()) {
            replies.push(Prepared::new(&r, &vars)?);
        }
        // The document a client is described by, even when the first reply is an error.
        out["json"] = replies.iter().map(|r| r.json.clone()).find(|j| !j.is_null()).unwrap_or(Value::Null);
        let log = Arc::new(Log::default());
        let stop = listener.map(|listener| {
            let shared = Shared { path, replies, log: log.clone(), started: Instant::now() };
            serve(listener, shared)
        });
        let hosted = Hosted { name: ctx.step.clone(), log, _stop: stop, _reserved: reserved };
        hosted.fill(&mut out);
        ctx.hosts.push(hosted);
        Ok(out)
    }
}

/// A reply with its templates resolved and its body built.
#[derive(Debug)]
struct Prepared {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: String,
    json: Value,
    delay: Duration,
}

impl Prepared {
    fn new(r: &Reply, vars: &Map<String, Value>) -> Result<Prepared, StepError> {
        let bad = |m: String| StepError::Prerequisite(m);
        let json = match &r.json {
            Some(j) => template::resolve_value(j, vars)?,
            None => Value::Null,
        };
        let (mut body, default_type) = match (&r.body, &json) {
            (Some(b), _) => (template::resolve_str(b, vars)?, "text/plain; charset=utf-8"),
            (None, Value::Null) => (String::new(), "text/plain; charset=utf-8"),
            (None, j) => (j.to_string(), "application/json"),
        };
        if let Some(n) = r.pad {
            body.push_str(&" ".repeat(n.min(MAX_PAD)));
        }
        let mut headers = Vec::new();
        let content_type = match &r.content_type {
            Some(c) => template::resolve_str(c, vars)?,
            None => default_type.to_string(),
        };
        let mut push = |name: &str, value: String| -> Result<(), StepError> {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| bad(format!("bad header name `{name}`")))?;
            let v =
                HeaderValue::from_str(&value).map_err(|_| bad(format!("bad value for header `{name}`")))?;
            headers.push((n, v));
            Ok(())
        };
        if !body.is_empty() {
            push("content-type", content_type)?;
        }
        let mut status = r.status.unwrap_or(200);
        if let Some(to) = &r.redirect {
            push("location", template::resolve_str(to, vars)?)?;
            status = r.status.unwrap_or(302);
        }
        for (k, v) in &r.headers {
            push(k, template::resolve_str(v, vars)?)?;
        }
        let status = StatusCode::from_u16(status).map_err(|_| bad(format!("bad status {status}")))?;
        let delay = Duration::from_millis(r.delay_ms.unwrap_or(0).min(MAX_DELAY_MS));
        Ok(Prepared { status, headers, body, json, delay })
    }
}

/// What the host has seen.
#[derive(Debug, Default)]
struct Log {
    requests: Mutex<Vec<Value>>,
    /// Requests to any path.
    count: AtomicUsize,
    /// Requests to the served path, which pick the reply.
    served: AtomicUsize,
    /// TCP connections accepted, even those that never made an HTTP request (TLS attempts).
    connections: AtomicUsize,
}

#[derive(Debug)]
struct Shared {
    path: String,
    replies: Vec<Prepared>,
    log: Arc<Log>,
    started: Instant,
}

async fn answer(State(sh): State<Arc<Shared>>, req: Request) -> Response {
    let headers: Map<String, Value> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), json!(String::from_utf8_lossy(v.as_bytes()))))
        .collect();
    let entry = json!({
        "method": req.method().as_str(),
        "path": req.uri().path(),
        "query": req.uri().query(),
        "headers": headers,
        "at_ms": sh.started.elapsed().as_millis() as u64,
    });
    {
        let mut list = sh.log.requests.lock().unwrap_or_else(|e| e.into_inner());
        if list.len() < MAX_LOGGED {
            list.push(entry);
        }
    }
    sh.log.count.fetch_add(1, Ordering::Relaxed);
    if req.uri().path() != sh.path {
        return (StatusCode::NOT_FOUND, "not hosted here").into_response();
    }
    let index = sh.log.served.fetch_add(1, Ordering::Relaxed);
    let reply = &sh.replies[index.min(sh.replies.len() - 1)];
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut resp = Response::new(AxumBody::from(reply.body.clone()));
    *resp.status_mut() = reply.status;
    for (k, v) in &reply.headers {
        resp.headers_mut().insert(k.clone(), v.clone());
    }
    resp
}

/// Serve `shared` on `listener` until the returned sender is dropped.
fn serve(listener: tokio::net::TcpListener, shared: Shared) -> tokio::sync::oneshot::Sender<()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let counter = shared.log.clone();
    let listener = listener.tap_io(move |_| {
        counter.connections.fetch_add(1, Ordering::Relaxed);
    });
    let app = axum::Router::new().fallback(answer).with_state(Arc::new(shared));
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = rx.await;
    });
    tokio::spawn(async move {
        let _ = server.await;
    });
    tx
}

/// Bind until the port is one this process has not handed out before for the same target
/// (its issuer), so that a hosted URL is never the URL of an earlier host: a server that
/// cached an earlier document would otherwise answer a later scenario with it. The sockets
/// passed over are released after. One set per target: the kernel hands out ports in runs,
/// and a process that tests many servers (the kill matrix) would otherwise meet long runs of
/// ports it used for others.
fn fresh_port<S>(
    target: &str,
    bind: impl Fn() -> std::io::Result<S>,
    address: impl Fn(&S) -> std::io::Result<std::net::SocketAddr>,
) -> std::io::Result<(S, u16)> {
    static HANDED_OUT: std::sync::Mutex<std::collections::BTreeMap<String, BTreeSet<u16>>> =
        std::sync::Mutex::new(std::collections::BTreeMap::new());
    let mut passed_over = Vec::new();
    for _ in 0..64 {
        let socket = bind()?;
        let port = address(&socket)?.port();
        let mut all = HANDED_OUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if all.entry(target.to_string()).or_default().insert(port) {
            return Ok((socket, port));
        }
        passed_over.push(socket);
    }
    Err(std::io::Error::other("no loopback port that was not used before"))
}

/// A loopback port bound but not listening: connections to it are refused, and no one else
/// can bind it while the socket lives.
fn refusing_port() -> std::io::Result<tokio::net::TcpSocket> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
    Ok(socket)
}

/// A running host, kept by the scenario; dropping it stops the server.
#[derive(Debug)]
pub struct Hosted {
    name: String,
    log: Arc<Log>,
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The bound, never listening socket of a `down` host.
    _reserved: Option<tokio::net::TcpSocket>,
}

impl Hosted {
    /// Bring the step's result up to date with what the host has seen.
    pub fn refresh(&self, vars: &mut Map<String, Value>) {
        if let Some(v) = vars.get_mut(&self.name) {
            self.fill(v);
        }
    }

    fn fill(&self, v: &mut Value) {
        let requests = self.log.requests.lock().unwrap_or_else(|e| e.into_inner()).clone();
        v["requests"] = Value::Array(requests);
        v["count"] = json!(self.log.count.load(Ordering::Relaxed));
        v["connections"] = json!(self.log.connections.load(Ordering::Relaxed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Map<String, Value> {
        json!({ "doc": { "url": "http://127.0.0.1:1/c.json" } }).as_object().unwrap().clone()
    }

    #[test]
    fn a_json_reply_resolves_references_and_pads_without_breaking_the_json() {
        let r = Reply { json: Some(json!({ "client_id": "{doc.url}" })), pad: Some(10), ..Reply::default() };
        let p = Prepared::new(&r, &vars()).unwrap();
        assert_eq!(p.status, StatusCode::OK);
        assert_eq!(p.body.len(), r#"{"client_id":"http://127.0.0.1:1/c.json"}"#.len() + 10);
        assert_eq!(serde_json::from_str::<Value>(&p.body).unwrap()["client_id"], "http://127.0.0.1:1/c.json");
        assert!(p.headers.iter().any(|(k, v)| k == "content-type" && v == "application/json"));
    }

    #[test]
    fn a_redirect_defaults_to_302_with_a_location() {
        let r = Reply { redirect: Some("{doc.url}?moved".into()), ..Reply::default() };
        let p = Prepared::new(&r, &vars()).unwrap();
        assert_eq!(p.status, StatusCode::FOUND);
        assert!(p.headers.iter().any(|(k, v)| k == "location" && v == "http://127.0.0.1:1/c.json?moved"));
        let bad = Reply { status: Some(1000), ..Reply::default() };
        assert!(Prepared::new(&bad, &vars()).is_err());
    }

    #[test]
    fn a_port_is_handed_out_once_per_target() {
        let bind = || std::net::TcpListener::bind(("127.0.0.1", 0));
        let mut seen = BTreeSet::new();
        for _ in 0..20 {
            let (listener, port) = fresh_port("http://as.test", bind, |l| l.local_addr()).unwrap();
            assert!(seen.insert(port), "port {port} handed out twice");
            // Released at once, and still not handed out again.
            drop(listener);
        }
    }

    #[tokio::test]
    async fn a_down_host_refuses_connections_and_keeps_its_port_from_other_hosts() {
        let socket = refusing_port().unwrap();
        let address = socket.local_addr().unwrap();
        let refused = tokio::net::TcpStream::connect(address).await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        assert!(tokio::net::TcpListener::bind(address).await.is_err(), "the port stays taken");
        drop(socket);
    }

    #[tokio::test]
    async fn replies_follow_the_sequence_and_every_request_and_connection_is_logged() {
        let first = Reply { status: Some(500), ..Reply::default() };
        let then = Reply { json: Some(json!({ "ok": true })), ..Reply::default() };
        let replies = vec![Prepared::new(&first, &vars()).unwrap(), Prepared::new(&then, &vars()).unwrap()];
        let log = Arc::new(Log::default());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Shared { path: "/c.json".into(), replies, log: log.clone(), started: Instant::now() };
        let stop = serve(listener, shared);
        crate::install_crypto_provider();
        let http = reqwest::Client::new();
        let status = |u: String| {
            let http = http.clone();
            async move { http.get(u).send().await.unwrap().status().as_u16() }
        };
        assert_eq!(status(format!("{base}/c.json")).await, 500);
        assert_eq!(status(format!("{base}/c.json?again")).await, 200);
        assert_eq!(status(format!("{base}/c.json")).await, 200, "the last reply repeats");
        assert_eq!(status(format!("{base}/other")).await, 404);
        let hosted = Hosted { name: "h".into(), log, _stop: Some(stop), _reserved: None };
        let mut vars = json!({ "h": {} }).as_object().unwrap().clone();
        hosted.refresh(&mut vars);
        assert_eq!(vars["h"]["count"], 4);
        assert_eq!(vars["h"]["requests"][1]["query"], "again");
        assert_eq!(vars["h"]["requests"][3]["path"], "/other");
        assert!(vars["h"]["connections"].as_u64().unwrap() >= 1);
        drop(hosted);
    }
}
