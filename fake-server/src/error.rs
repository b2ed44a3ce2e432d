//! Layer: bottom (depends on nothing in the crate).
//! `OAuthError`: the only place that knows how an error becomes an HTTP response
//! (RFC 6749 §5.2 JSON, RFC 6750 §3 bearer challenges, RFC 7591 §3.2.2 registration errors).

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error a client gets, with its OAuth code, description, status and challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: Cow<'static, str>,
    pub status: StatusCode,
    /// `WWW-Authenticate` value, for 401 and bearer-protected endpoints.
    pub challenge: Option<String>,
    /// A `DPoP-Nonce` header the client must use in its next proof (RFC 9449 §8, §9).
    pub dpop_nonce: Option<String>,
}

type Desc = Cow<'static, str>;

impl OAuthError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<Desc>) -> Self {
        OAuthError { code, description: description.into(), status, challenge: None, dpop_nonce: None }
    }

    pub fn with_challenge(mut self, challenge: impl Into<String>) -> Self {
        self.challenge = Some(challenge.into());
        self
    }

    pub fn with_dpop_nonce(mut self, nonce: String) -> Self {
        self.dpop_nonce = Some(nonce);
        self
    }

    pub fn invalid_request(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }

    /// Client authentication failed: 401 with a Basic challenge (RFC 6749 §5.2).
    pub fn invalid_client(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", d)
            .with_challenge(r#"Basic realm="oauth-fake-server", charset="UTF-8""#)
    }

    pub fn invalid_grant(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }

    pub fn unauthorized_client(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }

    pub fn unsupported_grant_type(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }

    pub fn invalid_scope(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }

    pub fn invalid_target(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_target", d)
    }

    pub fn invalid_redirect_uri(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_redirect_uri", d)
    }

    pub fn invalid_client_metadata(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_client_metadata", d)
    }

    /// A missing or bad bearer token (RFC 6750 §3.1). Without any token the challenge carries
    /// no error attribute (RFC 6750 §3.1, last paragraph).
    pub fn invalid_token(d: impl Into<Desc>, had_token: bool, extra: &str) -> Self {
        let desc = d.into();
        let challenge = if had_token {
            format!(r#"Bearer error="invalid_token", error_description="{}"{extra}"#, quote_safe(&desc))
        } else {
            format!("Bearer realm=\"oauth-fake-server\"{extra}")
        };
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", desc).with_challenge(challenge)
    }

    pub fn insufficient_scope(d: impl Into<Desc>, extra: &str) -> Self {
        let desc = d.into();
        let challenge = format!(r#"Bearer error="insufficient_scope"{extra}"#);
        Self::new(StatusCode::FORBIDDEN, "insufficient_scope", desc).with_challenge(challenge)
    }

    pub fn not_found(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", d)
    }

    pub fn server_error(d: impl Into<Desc>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", d)
    }
}

/// Keep a description inside a quoted-string: drop quotes, backslashes and control characters.
pub(crate) fn quote_safe(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '"' | '\\') && !c.is_control()).collect()
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "error_description": self.description });
        let mut resp = (self.status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if let Some(c) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, c);
        }
        if let Some(n) = self.dpop_nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
            headers.insert("dpop-nonce", n);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_client_is_401_with_a_basic_challenge() {
        let resp = OAuthError::invalid_client("bad secret").into_response();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let challenge = resp.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.starts_with("Basic "), "{challenge}");
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn a_bearer_challenge_without_a_token_carries_no_error_attribute() {
        let e = OAuthError::invalid_token("no token", false, "");
        assert!(!e.challenge.unwrap().contains("error="));
        let e = OAuthError::invalid_token("bad \"token\"", true, "");
        assert_eq!(e.challenge.unwrap(), r#"Bearer error="invalid_token", error_description="bad token""#);
    }
}
