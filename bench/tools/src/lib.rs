//! Shared pieces of the benchmark tools: timing statistics and one complete
//! authorization-code flow driven through the login and consent pages.

use base64::Engine;
use harness::engine::agent::{Agent, Limits, Request};
use harness::engine::interact::{Action, InteractionProfile, PageKind};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Percentiles of a set of durations in microseconds: (p50, p90, p99, max).
pub fn percentiles(mut us: Vec<u64>) -> (u64, u64, u64, u64) {
    if us.is_empty() {
        return (0, 0, 0, 0);
    }
    us.sort_unstable();
    let at = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
    (at(0.50), at(0.90), at(0.99), us[us.len() - 1])
}

/// Who runs an authorization-code flow, and as which user.
#[derive(Debug, Clone)]
pub struct CodeFlow {
    pub client_id: String,
    /// Client secret (HTTP Basic); a public client when absent.
    pub secret: Option<String>,
    pub redirect_uri: String,
    pub scope: String,
    pub username: String,
    pub password: String,
    /// Send `prompt=consent` so every flow shows the consent page.
    pub prompt_consent: bool,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl CodeFlow {
    /// Authorize, log in, consent and redeem the code, with a fresh browser (cookie jar).
    pub async fn run(&self, ui: &InteractionProfile, authorize: &str, token: &str) -> Result<(), String> {
        let mut agent = Agent::new(Limits::default(), Vec::new())?;
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let verifier = b64(&raw);
        let challenge = b64(&Sha256::digest(verifier.as_bytes()));
        let mut url = url::Url::parse(authorize).map_err(|e| e.to_string())?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", &self.scope)
            .append_pair("state", "bench")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if self.prompt_consent {
            url.query_pairs_mut().append_pair("prompt", "consent");
        }
        let mut req = Request::get(String::from(url));
        let mut code = None;
        for _ in 0..20 {
            let resp = agent.send(req).await.map_err(|e| e.to_string())?;
            if let Some(loc) = resp.location().filter(|_| resp.is_redirect()) {
                if loc.starts_with(&self.redirect_uri) {
                    let u = url::Url::parse(&loc).map_err(|e| e.to_string())?;
                    code = u.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned());
                    break;
                }
                req = Request::get(loc);
                continue;
            }
            let html = resp.text();
            let action = match ui.classify(&resp.url, &html) {
                PageKind::Login => {
                    Action::Login { username: self.username.clone(), password: self.password.clone() }
                }
                PageKind::Consent => Action::Approve(None),
                PageKind::Pass(_) | PageKind::Other => {
                    return Err(format!("unexpected page at {} (status {})", resp.url, resp.status));
                }
            };
            req = ui.plan(&resp.url, &html, &action).map_err(|e| e.to_string())?;
        }
        let code = code.ok_or("no code")?;
        let mut form = vec![
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("code".to_string(), code),
            ("redirect_uri".to_string(), self.redirect_uri.clone()),
            ("code_verifier".to_string(), verifier),
        ];
        let mut req = Request::post_form(token, Vec::new());
        match &self.secret {
            Some(s) => req = req.header("authorization", basic(&self.client_id, s)),
            None => form.push(("client_id".to_string(), self.client_id.clone())),
        }
        req.body = harness::engine::agent::Body::Form(form);
        let resp = agent.send(req).await.map_err(|e| e.to_string())?;
        if resp.status != 200 {
            return Err(format!("token endpoint answered {}: {}", resp.status, resp.text()));
        }
        Ok(())
    }
}

/// `Authorization: Basic` with form-encoded id and secret (RFC 6749 §2.3.1).
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", enc(id), enc(secret));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
}

/// The resident set size of a process, in KiB, from `/proc/<pid>/status` (Linux).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::percentiles;

    #[test]
    fn percentiles_pick_the_ranked_values() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentiles(v), (51, 90, 99, 100));
        assert_eq!(percentiles(vec![]), (0, 0, 0, 0));
    }
}
