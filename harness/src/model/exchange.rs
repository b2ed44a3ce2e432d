//! The record of one HTTP exchange as the user agent sent and received it (layer: model).
//! The agent ([`crate::engine::agent`]) records into it; reports and snapshots read it.
//! Imports nothing from the crate.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::Value;

/// One request and its response (or the error that replaced it), as sent and received.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the agent did about this answer (a retry after `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub duration_ms: u64,
}

/// The client id a registration issued, if `ex` is one: a JSON POST answered 201 (RFC 7591
/// §3.2.1), or 200 with what only a registration answers (a registration access token or an
/// issue time), carrying a client id the request did not.
pub fn issued_client_id(ex: &Exchange) -> Option<String> {
    let json = header(&ex.request_headers, "content-type").is_some_and(|t| t.starts_with("application/json"));
    if ex.method != "POST" || !json {
        return None;
    }
    let body: Value = serde_json::from_str(ex.response_body.as_deref()?).ok()?;
    let id = body.get("client_id")?.as_str()?;
    let registered = match ex.status? {
        201 => true,
        200 => body.get("registration_access_token").is_some() || body.get("client_id_issued_at").is_some(),
        _ => false,
    };
    let sent = ex.url.contains(id)
        || ex.request_body.as_deref().is_some_and(|b| b.contains(id))
        || ex.request_headers.iter().any(|(_, v)| v.contains(id));
    (registered && !sent).then(|| id.to_string())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The client id and secret of an `Authorization: Basic` header, each form-decoded (RFC 6749
/// §2.3.1); `None` when the header is not one or its id does not decode.
pub fn parse_basic(header: &str) -> Option<(String, Option<String>)> {
    let raw = STANDARD.decode(header.strip_prefix("Basic ")?.trim()).ok()?;
    let (id, secret) = std::str::from_utf8(&raw).ok()?.split_once(':')?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned())
    };
    Some((decode(id)?, decode(secret)))
}
