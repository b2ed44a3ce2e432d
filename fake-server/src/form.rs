//! Layer: bottom, request parsing (depends on error and listen).
//! Request parameters: form bodies and query strings parsed strictly enough for OAuth
//! (RFC 6749 §3.1, §3.2: empty means absent, a repeated parameter is an error).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;

use crate::error::OAuthError;

/// Largest form or JSON body any endpoint reads.
pub const MAX_BODY: usize = 64 * 1024;

/// Parameters that may legitimately appear more than once (RFC 8707 §2 `resource`).
const MULTI: &[&str] = &["resource", "scope_choice"];

/// Most `name=value` pairs one request may carry.
pub const MAX_PARAMS: usize = 100;
/// Longest parameter name, in bytes.
pub const MAX_NAME: usize = 256;
/// Longest value of most parameters, in bytes (after percent-decoding).
pub const MAX_VALUE: usize = 4096;
/// Longest `nonce`: it is kept with the pending request and copied into the ID token.
pub const MAX_NONCE: usize = 2048;
/// Longest value of parameters that carry a JWT or a token (`client_assertion`, `request`,
/// `token`, ...), in bytes.
pub const MAX_TOKEN_VALUE: usize = 16 * 1024;

/// The size limit of one parameter's value.
pub fn max_value_len(name: &str) -> usize {
    match name {
        "client_assertion" | "request" | "id_token_hint" | "assertion" | "subject_token" | "actor_token"
        | "token" | "access_token" | "refresh_token" | "code" | "login_hint_token" => MAX_TOKEN_VALUE,
        "nonce" => MAX_NONCE,
        _ => MAX_VALUE,
    }
}

/// Parsed `name=value` pairs in their original order.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(raw: &[u8]) -> Params {
        Params { pairs: form_urlencoded::parse(raw).into_owned().collect() }
    }

    /// `parse`, refusing more than `MAX_PARAMS` pairs, over-long names and over-long values
    /// (`max_value_len`) with `invalid_request`, before anything is kept.
    pub fn parse_limited(raw: &[u8]) -> Result<Params, OAuthError> {
        let mut pairs = Vec::new();
        for (k, v) in form_urlencoded::parse(raw) {
            if pairs.len() == MAX_PARAMS {
                return Err(OAuthError::invalid_request(format!("more than {MAX_PARAMS} parameters")));
            }
            if k.len() > MAX_NAME {
                return Err(OAuthError::invalid_request(format!(
                    "a parameter name is longer than {MAX_NAME} bytes"
                )));
            }
            let limit = max_value_len(&k);
            if v.len() > limit {
                let name: String = k.chars().filter(|c| !c.is_control()).collect();
                return Err(OAuthError::invalid_request(format!(
                    "parameter `{name}` is longer than {limit} bytes"
                )));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Params { pairs })
    }

    /// These parameters with every value of `name` replaced by `value`.
    pub fn with(mut self, name: &str, value: &str) -> Params {
        self.pairs.retain(|(k, _)| k != name);
        self.pairs.push((name.to_string(), value.to_string()));
        self
    }

    /// A single-valued parameter. Empty values count as absent; repeats are refused.
    pub fn get(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut found = None;
        for (k, v) in &self.pairs {
            if k == name && !v.is_empty() {
                if found.is_some() {
                    return Err(OAuthError::invalid_request(format!(
                        "parameter `{name}` was sent more than once"
                    )));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found)
    }

    /// `get` that ignores a repeat, for callers that already reported duplicates.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    /// Every non-empty value of a multi-valued parameter.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    /// The first parameter (other than the multi-valued ones) that appears twice with a value.
    pub fn duplicate(&self) -> Option<&str> {
        let named: Vec<&str> =
            self.pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, _)| k.as_str()).collect();
        named.iter().enumerate().find(|(i, k)| !MULTI.contains(k) && named[..*i].contains(k)).map(|(_, k)| *k)
    }

    /// The first parameter sent with an empty value.
    pub fn empty(&self) -> Option<&str> {
        self.pairs.iter().find(|(_, v)| v.is_empty()).map(|(k, _)| k.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }
}

/// An `application/x-www-form-urlencoded` body. Anything else becomes `invalid_request`.
#[derive(Debug, Clone)]
pub struct Form(pub Params);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mime = content_type.split(';').next().unwrap_or("").trim().to_string();
        let body = read_body(req, state).await?;
        if mime != "application/x-www-form-urlencoded" {
            return Err(OAuthError::invalid_request(format!(
                "expected an application/x-www-form-urlencoded body, got `{}`",
                if mime.is_empty() { "no content type" } else { &mime }
            )));
        }
        Ok(Form(Params::parse_limited(&body)?))
    }
}

/// Read a body of at most `MAX_BODY` bytes.
pub async fn read_body<S: Send + Sync>(req: Request, _state: &S) -> Result<Bytes, OAuthError> {
    body_bytes(req.into_body()).await
}

/// A body of at most `MAX_BODY` bytes, from a request already split into its parts.
pub async fn body_bytes(body: axum::body::Body) -> Result<Bytes, OAuthError> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        if crate::listen::timed_out(&e) {
            return OAuthError::invalid_request("the request body did not arrive in time")
                .with_status(axum::http::StatusCode::REQUEST_TIMEOUT);
        }
        OAuthError::invalid_request(format!("request body is unreadable or larger than {MAX_BODY} bytes"))
            .with_status(axum::http::StatusCode::PAYLOAD_TOO_LARGE)
    })
}

impl OAuthError {
    /// Same error, another status.
    pub fn with_status(mut self, status: axum::http::StatusCode) -> Self {
        self.status = status;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_absent() {
        let p = Params::parse(b"state=&scope=openid");
        assert_eq!(p.get("state").unwrap(), None);
        assert_eq!(p.get("scope").unwrap(), Some("openid"));
    }

    #[test]
    fn a_repeated_parameter_is_refused_but_resource_may_repeat() {
        let p = Params::parse(b"scope=a&scope=b&resource=x&resource=y");
        assert!(p.get("scope").is_err());
        assert_eq!(p.duplicate(), Some("scope"));
        assert_eq!(p.all("resource").collect::<Vec<_>>(), ["x", "y"]);
        let p = Params::parse(b"resource=x&resource=y&a=1");
        assert_eq!(p.duplicate(), None);
    }

    #[test]
    fn over_long_values_and_too_many_parameters_are_refused() {
        let state = "s".repeat(MAX_VALUE);
        assert!(Params::parse_limited(format!("state={state}").as_bytes()).is_ok());
        let e = Params::parse_limited(format!("state={state}x").as_bytes()).unwrap_err();
        assert_eq!(e.code, "invalid_request");
        let assertion = "a".repeat(MAX_TOKEN_VALUE);
        assert!(Params::parse_limited(format!("client_assertion={assertion}").as_bytes()).is_ok());
        assert!(Params::parse_limited(format!("nonce={}", "n".repeat(MAX_NONCE + 1)).as_bytes()).is_err());
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert!(Params::parse_limited(many.join("&").as_bytes()).is_err());
        assert!(Params::parse_limited(format!("{}=1", "k".repeat(MAX_NAME + 1)).as_bytes()).is_err());
    }

    #[test]
    fn values_are_percent_and_plus_decoded() {
        let p = Params::parse(b"state=a%20b+c%2Bd");
        assert_eq!(p.get("state").unwrap(), Some("a b c+d"));
    }
}
