//! What the agent sends and receives: requests as written and responses as received (layer:
//! engine). The record of both, [`Exchange`], belongs to the result model and is re-exported.

use serde_json::Value;

pub use crate::model::exchange::Exchange;

/// What a request carries.
#[derive(Debug, Clone)]
pub enum Body {
    None,
    Form(Vec<(String, String)>),
    Json(Value),
    /// Raw text with its content type (or none).
    Raw(String, Option<String>),
}

/// A request to send, exactly as written (no header the caller did not ask for, besides
/// those reqwest always adds).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Request {
    pub fn get(url: impl Into<String>) -> Request {
        Request { method: reqwest::Method::GET, url: url.into(), headers: Vec::new(), body: Body::None }
    }

    pub fn post_form(url: impl Into<String>, form: Vec<(String, String)>) -> Request {
        Request {
            method: reqwest::Method::POST,
            url: url.into(),
            headers: Vec::new(),
            body: Body::Form(form),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }
}

/// A received response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names lowercased, in received order, repeated headers kept.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub url: String,
}

impl Response {
    /// First value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308) && self.header("location").is_some()
    }

    /// `Location`, resolved against the request URL.
    pub fn location(&self) -> Option<String> {
        let loc = self.header("location")?;
        let base = url::Url::parse(&self.url).ok()?;
        base.join(loc).ok().map(String::from)
    }

    /// Headers as a JSON object (names lowercased; repeated headers joined with `, `).
    pub fn headers_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.headers {
            match map.get_mut(k) {
                Some(Value::String(existing)) => {
                    existing.push_str(", ");
                    existing.push_str(v);
                }
                _ => {
                    map.insert(k.clone(), Value::String(v.clone()));
                }
            }
        }
        Value::Object(map)
    }
}
