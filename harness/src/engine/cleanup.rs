//! What a run leaves on its target, and taking it away again. Every request the harness makes
//! passes the ledger, which notes the clients a registration created (RFC 7591), their
//! management credentials (RFC 7592) and the tokens a token endpoint issued with the client
//! authentication that obtained them. At the end of a run, also an interrupted one, the tokens
//! are revoked (RFC 7009) where the server offers revocation and the clients are deleted where
//! it offers management; what could not be removed is reported.
//!
//! Layer: engine; imports `engine::agent`, `engine::trust`, `model::exchange`, `model::outcome`;
//! never the render or commands layers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::engine::agent::{Agent, Body, Exchange, Limits, Observer, Request};
use crate::engine::trust::Trust;
use crate::model::exchange::{issued_client_id, parse_basic};
use crate::model::outcome::Cleanup;

/// A client a registration created.
#[derive(Clone, PartialEq)]
pub struct Registered {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub registration_access_token: Option<String>,
    pub registration_client_uri: Option<String>,
    /// A DELETE of its management URI succeeded during the run (a scenario removed it).
    pub deleted: bool,
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("client_id", &self.client_id)
            .field("registration_client_uri", &self.registration_client_uri)
            .field("deleted", &self.deleted)
            .finish_non_exhaustive()
    }
}

/// How a token's client authenticated when it obtained the token, replayable for revocation.
#[derive(Clone, PartialEq)]
struct ClientAuth {
    client_id: String,
    secret: Option<String>,
    /// HTTP Basic (RFC 6749 §2.3.1) rather than form parameters.
    basic: bool,
}

impl ClientAuth {
    fn from_basic(header: &str) -> Option<ClientAuth> {
        let (client_id, secret) = parse_basic(header)?;
        Some(ClientAuth { client_id, secret, basic: true })
    }
}

/// A token the run obtained.
#[derive(Clone, PartialEq)]
struct Obtained {
    token: String,
    hint: &'static str,
    auth: Option<ClientAuth>,
}

#[derive(Default)]
struct Entries {
    clients: Vec<Registered>,
    tokens: Vec<Obtained>,
}

/// Everything the run created on the target, noted as the exchanges pass.
#[derive(Default)]
pub struct Ledger {
    entries: Mutex<Entries>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self.lock();
        f.debug_struct("Ledger").field("clients", &e.clients.len()).field("tokens", &e.tokens.len()).finish()
    }
}

fn form_pairs(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn same_uri(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A poisoned lock only means a panic elsewhere; the notes themselves stay consistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Note what one exchange created, changed or removed on the target.
    pub fn observe(&self, ex: &Exchange) {
        let Some(status) = ex.status else { return };
        let json: Option<Value> = ex.response_body.as_deref().and_then(|b| serde_json::from_str(b).ok());
        let mut entries = self.lock();
        match ex.method.as_str() {
            "DELETE" if (200..300).contains(&status) => {
                for c in entries.clients.iter_mut() {
                    if c.registration_client_uri.as_deref().is_some_and(|u| same_uri(u, &ex.url)) {
                        c.deleted = true;
                    }
                }
            }
            "PUT" | "GET" if status == 200 => {
                // RFC 7592 §2.1, §2.2: a read or an update may rotate the secret and the
                // management token.
                let Some(Value::Object(reg)) = json else { return };
                for c in entries.clients.iter_mut() {
                    if c.registration_client_uri.as_deref().is_some_and(|u| same_uri(u, &ex.url)) {
                        if let Some(t) = reg.get("registration_access_token").and_then(Value::as_str) {
                            c.registration_access_token = Some(t.to_string());
                        }
                        if let Some(s) = reg.get("client_secret").and_then(Value::as_str) {
                            c.client_secret = Some(s.to_string());
                        }
                    }
                }
            }
            "POST" if (200..300).contains(&status) => {
                let Some(Value::Object(body)) = json else { return };
                let request_type = header(&ex.request_headers, "content-type").unwrap_or("");
                if request_type.starts_with("application/json") {
                    let Some(id) = issued_client_id(ex) else { return };
                    let id = id.as_str();
                    if entries.clients.iter().any(|c| c.client_id == id) {
                        return;
                    }
                    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
                    entries.clients.push(Registered {
                        client_id: id.to_string(),
                        client_secret: text("client_secret"),
                        registration_access_token: text("registration_access_token"),
                        registration_client_uri: text("registration_client_uri"),
                        deleted: false,
                    });
                } else if request_type.starts_with("application/x-www-form-urlencoded") {
                    let form = form_pairs(ex.request_body.as_deref().unwrap_or(""));
                    if !form.iter().any(|(k, _)| k == "grant_type") {
                        return;
                    }
                    let auth = match header(&ex.request_headers, "authorization") {
                        Some(h) => ClientAuth::from_basic(h),
                        None if form.iter().any(|(k, _)| k == "client_assertion") => None,
                        None => {
                            let get =
                                |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
                            get("client_id").map(|client_id| ClientAuth {
                                client_id,
                                secret: get("client_secret"),
                                basic: false,
                            })
                        }
                    };
                    for hint in ["refresh_token", "access_token"] {
                        if let Some(t) = body.get(hint).and_then(Value::as_str)
                            && !entries.tokens.iter().any(|o| o.token == t)
                        {
                            entries.tokens.push(Obtained { token: t.to_string(), hint, auth: auth.clone() });
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Every client a registration created during the run.
    pub fn clients(&self) -> Vec<Registered> {
        self.lock().clients.clone()
    }

    /// The values the run was given by the target (client ids, secrets, management
    /// credentials), each with the name of what it is: snapshots replace them wherever they
    /// appear.
    pub fn learned(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        for c in self.lock().clients.iter() {
            out.push((c.client_id.clone(), "client_id"));
            if let Some(s) = &c.client_secret {
                out.push((s.clone(), "client_secret"));
            }
            if let Some(t) = &c.registration_access_token {
                out.push((t.clone(), "registration_access_token"));
            }
        }
        out
    }
}

/// Where and how the clean-up may talk to the target.
#[derive(Debug)]
pub struct Plan<'a> {
    pub revocation_endpoint: Option<&'a str>,
    pub limits: Limits,
    /// Keep the registered clients (`--keep-clients`).
    pub keep_clients: bool,
    /// The time the whole clean-up may take.
    pub budget: Duration,
    /// Where credentials may go: the clean-up sends secrets and tokens too.
    pub trust: Arc<Trust>,
}

/// Requests the clean-up sends at once.
const PARALLEL: usize = 8;

/// Revoke the tokens the run obtained, then delete the clients it registered.
pub async fn clean(ledger: &Ledger, plan: Plan<'_>) -> Cleanup {
    let deadline = Instant::now() + plan.budget;
    let (clients, tokens) = {
        let e = ledger.lock();
        (e.clients.clone(), e.tokens.clone())
    };
    let mut report = Cleanup {
        registered: clients.len(),
        deleted: clients.iter().filter(|c| c.deleted).count(),
        kept: plan.keep_clients,
        ..Cleanup::default()
    };
    // The run's --budget is spent; the clean-up has a budget of its own.
    let limits = Limits { timeout: plan.limits.timeout.min(plan.budget), deadline: None, ..plan.limits };
    let live: Vec<Option<Obtained>> = tokens.iter().filter_map(|t| current(t, &clients)).collect();
    report.tokens = live.len();
    if let Some(endpoint) = plan.revocation_endpoint {
        let requests: Vec<Request> = live.iter().flatten().filter_map(|t| revocation(endpoint, t)).collect();
        let unauthenticated = live.len() - requests.len();
        let answers = send_all(requests, limits, deadline, &plan.trust).await;
        report.revoked = answers.iter().filter(|a| matches!(a, Ok(a) if a.status == 200)).count();
        let refused = answers.iter().filter(|a| matches!(a, Ok(a) if a.status != 200)).count();
        let statuses: std::collections::BTreeSet<String> = answers
            .iter()
            .filter_map(|a| a.as_ref().ok().filter(|a| a.status != 200).map(Answer::describe))
            .collect();
        let unsent = answers.iter().filter(|a| a.is_err()).count();
        if refused > 0 {
            let statuses = statuses.into_iter().collect::<Vec<_>>().join(", ");
            report.left.push(format!("{refused} tokens: the revocation endpoint refused them ({statuses})"));
        }
        if unsent > 0 {
            report.left.push(format!("{unsent} tokens: not revoked ({})", first_error(&answers)));
        }
        if unauthenticated > 0 {
            report.left.push(format!(
                "{unauthenticated} tokens obtained with a signed client assertion: not revoked (that needs a fresh assertion); they end with their client or their lifetime"
            ));
        }
    } else if !live.is_empty() {
        report
            .left
            .push(format!("{} tokens: the server offers no revocation endpoint (RFC 7009)", live.len()));
    }
    let remaining: Vec<&Registered> = clients.iter().filter(|c| !c.deleted).collect();
    if plan.keep_clients || remaining.is_empty() {
        return report;
    }
    let mut requests = Vec::new();
    let mut owners = Vec::new();
    for c in &remaining {
        match (&c.registration_client_uri, &c.registration_access_token) {
            (Some(uri), Some(token)) => {
                requests.push(Request {
                    method: reqwest::Method::DELETE,
                    url: uri.clone(),
                    headers: vec![("authorization".into(), format!("Bearer {token}"))],
                    body: Body::None,
                });
                owners.push(c.client_id.clone());
            }
            _ => report.left.push(format!(
                "client {}: the server gave no registration_client_uri and registration_access_token (RFC 7592), so it cannot be deleted",
                c.client_id
            )),
        }
    }
    let answers = send_all(requests, limits, deadline, &plan.trust).await;
    for (id, answer) in owners.iter().zip(&answers) {
        match answer {
            Ok(a) if matches!(a.status, 200 | 204) => report.deleted += 1,
            Ok(a) => report.left.push(format!("client {id}: DELETE answered {}", a.describe())),
            Err(e) => report.left.push(format!("client {id}: not deleted ({e})")),
        }
    }
    report
}

/// `t` as it can be revoked now: `None` when its client was deleted (its tokens went with
/// it, RFC 7592 §2.3), `Some(None)` when it cannot be revoked (a signed client assertion
/// obtained it), else with the client's current secret (a scenario may have rotated it).
fn current(t: &Obtained, clients: &[Registered]) -> Option<Option<Obtained>> {
    let Some(auth) = &t.auth else { return Some(None) };
    match clients.iter().find(|c| c.client_id == auth.client_id) {
        Some(c) if c.deleted => None,
        Some(c) => {
            let auth = ClientAuth { secret: c.client_secret.clone().or(auth.secret.clone()), ..auth.clone() };
            Some(Some(Obtained { auth: Some(auth), ..t.clone() }))
        }
        None => Some(Some(t.clone())),
    }
}

/// A response to a clean-up request: its status and OAuth error code, if any.
struct Answer {
    status: u16,
    error: Option<String>,
}

impl Answer {
    fn describe(&self) -> String {
        match &self.error {
            Some(e) => format!("{} {e}", self.status),
            None => self.status.to_string(),
        }
    }
}

fn first_error(answers: &[Result<Answer, String>]) -> String {
    answers.iter().find_map(|a| a.as_ref().err().cloned()).unwrap_or_default()
}

/// The RFC 7009 request that revokes `t`, authenticated as the client that obtained it.
fn revocation(endpoint: &str, t: &Obtained) -> Option<Request> {
    use base64::Engine;
    let mut form = vec![("token".to_string(), t.token.clone()), ("token_type_hint".into(), t.hint.into())];
    let mut headers = Vec::new();
    let auth = t.auth.as_ref()?;
    match (&auth.secret, auth.basic) {
        (Some(secret), true) => {
            let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", enc(&auth.client_id), enc(secret));
            let basic = base64::engine::general_purpose::STANDARD.encode(pair);
            headers.push(("authorization".to_string(), format!("Basic {basic}")));
        }
        (secret, _) => {
            form.push(("client_id".into(), auth.client_id.clone()));
            if let Some(s) = secret {
                form.push(("client_secret".into(), s.clone()));
            }
        }
    }
    Some(Request { headers, ..Request::post_form(endpoint, form) })
}

/// Send `requests`, a few at a time, until `deadline`; each answer is a status or why none came.
async fn send_all(
    requests: Vec<Request>,
    limits: Limits,
    deadline: Instant,
    trust: &Arc<Trust>,
) -> Vec<Result<Answer, String>> {
    let mut answers: Vec<Result<Answer, String>> = Vec::with_capacity(requests.len());
    for chunk in requests.chunks(PARALLEL) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            answers.extend(chunk.iter().map(|_| Err("the clean-up ran out of time".to_string())));
            continue;
        }
        let sends = chunk.iter().cloned().map(|req| {
            let trust = trust.clone();
            async move {
                let mut agent = Agent::new(limits, Vec::new())?.with_trust(trust);
                agent.send(req).await.map_err(|e| e.to_string()).map(|r| Answer {
                    status: r.status,
                    error: r.json().and_then(|j| j.get("error")?.as_str().map(str::to_string)),
                })
            }
        });
        match tokio::time::timeout(left, futures_join(sends)).await {
            Ok(results) => answers.extend(results),
            Err(_) => answers.extend(chunk.iter().map(|_| Err("the clean-up ran out of time".to_string()))),
        }
    }
    answers
}

async fn futures_join<F, T>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

impl Observer for Ledger {
    fn observe(&self, exchange: &Exchange) {
        Ledger::observe(self, exchange);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(method: &str, url: &str, req: (&str, &str), status: u16, resp: &str) -> Exchange {
        Exchange {
            method: method.into(),
            url: url.into(),
            request_headers: vec![("content-type".into(), req.0.into())],
            request_body: Some(req.1.into()),
            status: Some(status),
            response_headers: Vec::new(),
            response_body: Some(resp.into()),
            error: None,
            note: None,
            duration_ms: 0,
        }
    }

    #[test]
    fn registrations_tokens_updates_and_deletions_are_noted() {
        let ledger = Ledger::default();
        ledger.observe(&exchange(
            "POST",
            "http://as/register",
            ("application/json", "{}"),
            201,
            r#"{"client_id":"c1","client_secret":"s1","registration_access_token":"rat1","registration_client_uri":"http://as/register/c1"}"#,
        ));
        ledger.observe(&exchange(
            "POST",
            "http://as/register",
            ("application/json", "{}"),
            400,
            r#"{"error":"invalid_redirect_uri"}"#,
        ));
        ledger.observe(&exchange(
            "PUT",
            "http://as/register/c1",
            ("application/json", "{}"),
            200,
            r#"{"client_id":"c1","registration_access_token":"rat2"}"#,
        ));
        ledger.observe(&exchange(
            "POST",
            "http://as/token",
            (
                "application/x-www-form-urlencoded",
                "grant_type=client_credentials&client_id=c1&client_secret=s1",
            ),
            200,
            r#"{"access_token":"at1","token_type":"Bearer"}"#,
        ));
        let clients = ledger.clients();
        assert_eq!(clients.len(), 1, "a refused registration creates nothing");
        assert_eq!(
            clients[0].registration_access_token.as_deref(),
            Some("rat2"),
            "the rotated token is kept"
        );
        let tokens = ledger.lock().tokens.clone();
        assert_eq!(tokens.len(), 1);
        let auth = tokens[0].auth.clone().unwrap();
        assert_eq!((auth.client_id.as_str(), auth.secret.as_deref(), auth.basic), ("c1", Some("s1"), false));
        let basic = ClientAuth::from_basic("Basic YSUzQWI6cyUyQnQ=").unwrap();
        assert_eq!((basic.client_id.as_str(), basic.secret.as_deref()), ("a:b", Some("s+t")));
        assert!(!format!("{:?}", clients[0]).contains("rat2"), "management tokens stay out of Debug");
        ledger.observe(&exchange("DELETE", "http://as/register/c1", ("", ""), 204, ""));
        assert!(ledger.clients()[0].deleted);
    }
}
