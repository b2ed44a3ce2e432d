//! Layer: domain logic (above state and client_metadata).
//! Fetching a client ID metadata document safely (CIMD §3, §4, §6.5, §6.6): only https (or
//! loopback http in development mode), never to special-use addresses, no redirects, only 200,
//! a size cap and a timeout.
//!
//! The address check runs twice on purpose: once before the request, to explain a refusal,
//! and again inside the HTTP client's resolver, so a host that changes its DNS answer between
//! the two (rebinding) still cannot reach an internal address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, header};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::{Map, Value};

use crate::client_metadata::is_loopback_host;
use crate::state::AppState;

/// How every error of the HTTP exchange itself begins (connection refused, timeout, ...).
pub const FETCH_FAILED: &str = "fetching the document";
/// CIMD §6.6 recommends about 5 KB.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// Cache lifetime when the response does not say (seconds).
pub const DEFAULT_TTL: i64 = 300;
/// Longest a document is cached, whatever its `max-age` says (seconds).
pub const MAX_TTL: i64 = 3600;

/// Which addresses a fetch may reach.
#[derive(Debug, Clone, Copy)]
struct Reach {
    loopback: bool,
    private: bool,
}

fn reach(st: &AppState) -> Reach {
    let any = !st.policy.cimd.public_addresses_only;
    // CIMD §6.5 exception: an AS that itself runs on loopback may fetch from loopback.
    Reach { loopback: any || st.settings.allow_insecure_cimd, private: any }
}

/// Check the form of a client_id URL (CIMD §3): https (or loopback http when allowed), a
/// path, no dot segments, no fragment, no user information.
pub fn check_url(st: &AppState, id: &str) -> Result<url::Url, String> {
    let u = url::Url::parse(id).map_err(|_| "the client_id is not a valid URL".to_string())?;
    match u.scheme() {
        "https" => {}
        "http" if st.settings.allow_insecure_cimd && is_loopback_host(&u) => {}
        "http" => return Err("a client_id URL must use https".into()),
        _ => return Err("a client_id URL must use https".into()),
    }
    if !st.policy.cimd.check_url_form {
        return Ok(u);
    }
    if id.contains('#') {
        return Err("a client_id URL must not have a fragment".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("a client_id URL must not carry user information".into());
    }
    // The parsed URL has dot segments resolved already, so look at the text as sent.
    let after_scheme = id.split_once("://").map_or("", |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path == "/" {
        return Err("a client_id URL must have a path".into());
    }
    if path.split('/').any(|seg| seg == "." || seg == "..") {
        return Err("a client_id URL must not contain . or .. path segments".into());
    }
    Ok(u)
}

/// A document that was fetched, with how long it may be cached (0: not at all).
#[derive(Debug)]
pub struct Fetched {
    pub document: Map<String, Value>,
    pub ttl: i64,
}

/// GET the document at `u`.
pub async fn fetch(st: &AppState, u: &url::Url) -> Result<Fetched, String> {
    let r = reach(st);
    let host = u.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string();
    let port = u.port_or_known_default().unwrap_or(443);
    match host.parse::<IpAddr>() {
        Ok(ip) => refuse_address(ip, r).map_err(|e| format!("{host}: {e}"))?,
        Err(_) => {
            let addrs = tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| format!("cannot resolve {host}: {e}"))?;
            for a in addrs {
                refuse_address(a.ip(), r).map_err(|e| format!("{host} resolves to {}: {e}", a.ip()))?;
            }
        }
    }
    let client = st.features.fetcher(|| build_client(st))?;
    let resp = client
        .get(u.as_str())
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| describe(&e, st))?;
    let status = resp.status();
    if status.is_redirection() {
        return Err(format!("the document URL answered {status}; redirects are not followed"));
    }
    if status != reqwest::StatusCode::OK && st.policy.cimd.ok_status_only {
        return Err(format!("the document URL answered {status}; only 200 is accepted"));
    }
    let limit = if st.policy.cimd.size_limit { MAX_DOCUMENT_BYTES } else { usize::MAX };
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(format!("the document is larger than {MAX_DOCUMENT_BYTES} bytes"));
    }
    let ttl = cache_ttl(resp.headers());
    let mut resp = resp;
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e, st))? {
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            return Err(format!("the document is larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(document)) => Ok(Fetched { document, ttl }),
        Ok(_) => Err("the document is not a JSON object".into()),
        Err(e) => Err(format!("the document is not valid JSON: {e}")),
    }
}

fn describe(e: &reqwest::Error, st: &AppState) -> String {
    if e.is_timeout() {
        return format!("{FETCH_FAILED} took longer than {} ms", st.settings.cimd_timeout_ms);
    }
    let mut msg = format!("{FETCH_FAILED} failed: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

pub fn build_client(st: &AppState) -> Result<reqwest::Client, String> {
    let redirects = if st.policy.cimd.no_redirects {
        reqwest::redirect::Policy::none()
    } else {
        reqwest::redirect::Policy::limited(5)
    };
    let timeout = Duration::from_millis(st.settings.cimd_timeout_ms);
    reqwest::Client::builder()
        .no_proxy()
        .redirect(redirects)
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent("oauth-fake-server (client ID metadata documents)")
        .dns_resolver(Arc::new(GuardedResolver(reach(st))))
        .tls_backend_preconfigured(tls_config()?)
        .build()
        .map_err(|e| format!("cannot build the HTTP client for metadata documents: {e}"))
}

/// The TLS settings reqwest would choose (TLS 1.2 and 1.3, the platform's certificate
/// verifier, ALPN for HTTP/2 and HTTP/1.1), with the crypto provider named here: a library
/// must not install a process-wide default provider behind its user's back.
pub(crate) fn tls_config() -> Result<rustls::ClientConfig, String> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| format!("cannot configure TLS for metadata documents: {e}"))?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// How long the response may be cached (CIMD §4.4: per HTTP caching, within our bounds).
pub fn cache_ttl(h: &HeaderMap) -> i64 {
    let cc: Vec<String> = h
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if cc.iter().any(|d| d == "no-store" || d == "no-cache") {
        return 0;
    }
    cc.iter()
        .find_map(|d| d.strip_prefix("max-age=").and_then(|n| n.trim_matches('"').parse::<i64>().ok()))
        .map_or(DEFAULT_TTL, |n| n.clamp(0, MAX_TTL))
}

/// Resolve names, refusing any that lead to an address this fetch may not reach.
#[derive(Debug)]
struct GuardedResolver(Reach);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let reach = self.0;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for a in &addrs {
                refuse_address(a.ip(), reach).map_err(std::io::Error::other)?;
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Refuse loopback, private, link-local and other special-use addresses (RFC 6890).
fn refuse_address(ip: IpAddr, r: Reach) -> Result<(), String> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    if ip.is_loopback() {
        return if r.loopback { Ok(()) } else { Err("loopback addresses are not fetched".into()) };
    }
    let special = match ip {
        IpAddr::V4(a) => special_v4(a),
        IpAddr::V6(a) => special_v6(a),
    };
    if special && !r.private {
        return Err("private and special-use addresses are not fetched".into());
    }
    Ok(())
}

fn special_v4(a: Ipv4Addr) -> bool {
    let [o0, o1, o2, _] = a.octets();
    a.is_private()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || o0 == 0
        || (o0 == 100 && (64..128).contains(&o1))
        || (o0 == 192 && o1 == 0 && o2 == 0)
        || (o0 == 198 && (18..20).contains(&o1))
        || o0 >= 240
}

fn special_v6(a: Ipv6Addr) -> bool {
    let s0 = a.segments()[0];
    a.is_unspecified()
        || a.is_multicast()
        || (s0 & 0xfe00) == 0xfc00
        || (s0 & 0xffc0) == 0xfe80
        || (s0 == 0x2001 && a.segments()[1] == 0x0db8)
        || (s0 == 0x0064 && a.segments()[1] == 0xff9b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: Reach = Reach { loopback: false, private: false };

    #[test]
    fn special_use_addresses_are_refused_and_public_ones_pass() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(refuse_address(ip.parse().unwrap(), NONE).is_err(), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(refuse_address(ip.parse().unwrap(), NONE).is_ok(), "{ip}");
        }
        let dev = Reach { loopback: true, private: false };
        assert!(refuse_address("127.0.0.1".parse().unwrap(), dev).is_ok());
        assert!(refuse_address("10.0.0.1".parse().unwrap(), dev).is_err());
    }

    #[test]
    fn cache_lifetime_follows_cache_control_within_bounds() {
        let mut h = HeaderMap::new();
        assert_eq!(cache_ttl(&h), DEFAULT_TTL);
        h.insert(header::CACHE_CONTROL, "public, max-age=120".parse().unwrap());
        assert_eq!(cache_ttl(&h), 120);
        h.insert(header::CACHE_CONTROL, "max-age=999999".parse().unwrap());
        assert_eq!(cache_ttl(&h), MAX_TTL);
        h.insert(header::CACHE_CONTROL, "no-store".parse().unwrap());
        assert_eq!(cache_ttl(&h), 0);
    }
}
