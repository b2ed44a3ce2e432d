//! Layer: routes. Client authentication at the token, introspection and revocation endpoints
//! (RFC 6749 §2.3, OAuth 2.1 §2.4): `client_secret_basic`, `client_secret_post`,
//! `private_key_jwt` (see `assertion`) and `none`.

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use crate::error::OAuthError;
use crate::form::Params;
use crate::state::{AppState, Client};

/// The client a request authenticated (or, for public clients, identified) as.
#[derive(Debug, Clone)]
pub struct Caller {
    pub client: std::sync::Arc<Client>,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `none`.
    // No endpoint branches on it yet; it stays so callers can tell how a client proved itself.
    #[allow(dead_code)]
    pub method: &'static str,
    /// The thumbprint of the key of the request's valid DPoP proof: tokens issued to this
    /// request are bound to it (RFC 9449 §5).
    pub jkt: Option<String>,
}

/// Authenticate the caller. Confidential clients must prove their secret; public clients
/// identify themselves with `client_id` alone.
pub fn authenticate(
    st: &AppState,
    headers: &HeaderMap,
    p: &Params,
    query: Option<&str>,
) -> Result<Caller, OAuthError> {
    let q = Params::parse(query.unwrap_or("").as_bytes());
    let in_query = q.contains("client_secret") || q.contains("client_id");
    let policy = &st.policy.client_auth;
    if in_query && policy.refuse_query_credentials {
        return Err(OAuthError::invalid_request("client credentials must not be sent in the URL query"));
    }
    let basic = basic_credentials(st, headers)?;
    let from = if in_query && !p.contains("client_id") && !p.contains("client_secret") { &q } else { p };
    let body_id = from.get("client_id")?;
    let body_secret = from.get("client_secret")?;
    let assertion_type = p.get("client_assertion_type")?;
    let assertion = p.get("client_assertion")?;
    if assertion_type.is_some() || assertion.is_some() {
        if basic.is_some() || body_secret.is_some() {
            return Err(OAuthError::invalid_request("use exactly one client authentication method"));
        }
        return authenticate_assertion(st, assertion_type, assertion, body_id);
    }

    let (client_id, secret, method) = match (basic, body_secret) {
        (Some(_), Some(_)) if policy.one_method_per_request => {
            return Err(OAuthError::invalid_request("use exactly one client authentication method"));
        }
        (Some((id, secret)), _) => {
            if body_id.is_some_and(|b| b != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Authorization header",
                ));
            }
            (id, Some(secret), "client_secret_basic")
        }
        (None, Some(secret)) => {
            if !policy.client_secret_post {
                return Err(OAuthError::invalid_client("client_secret_post is not supported"));
            }
            let Some(id) = body_id else {
                return Err(OAuthError::invalid_request("client_secret without client_id"));
            };
            (id.to_string(), Some(secret.to_string()), "client_secret_post")
        }
        (None, None) => match body_id {
            Some(id) => (id.to_string(), None, "none"),
            None => return Err(OAuthError::invalid_client("client authentication is required")),
        },
    };

    throttle(st, &client_id)?;
    let Some(client) = super::common::find_client(st, &client_id) else {
        return Err(OAuthError::invalid_client("unknown client"));
    };
    let ok = match (&client.secret, &secret) {
        (Some(expected), Some(given)) => bool::from(expected.as_bytes().ct_eq(given.as_bytes())),
        (Some(_), None) => !policy.confidential_needs_secret,
        (None, Some(_)) => false,
        (None, None) => client.is_public(),
    };
    if !ok {
        record_failure(st, &client_id);
        let desc =
            if secret.is_none() { "this client must authenticate" } else { "client authentication failed" };
        return Err(OAuthError::invalid_client(desc));
    }
    // Credentials in the query are no method at all; the fault that accepts them wins.
    if policy.registered_method_only && secret.is_some() && !in_query {
        // RFC 7591 §2: one registered method per client, `client_secret_basic` by default.
        let registered = client
            .metadata
            .get("token_endpoint_auth_method")
            .and_then(|m| m.as_str())
            .unwrap_or("client_secret_basic");
        if registered != method {
            record_failure(st, &client_id);
            return Err(OAuthError::invalid_client(format!(
                "this client is registered to authenticate with {registered}, not {method}"
            )));
        }
    }
    Ok(Caller { client, method, jkt: None })
}

/// `private_key_jwt` (RFC 7523 §2.2): the client is the assertion's `iss`, and the assertion
/// must verify with the keys it registered.
fn authenticate_assertion(
    st: &AppState,
    assertion_type: Option<&str>,
    assertion: Option<&str>,
    body_id: Option<&str>,
) -> Result<Caller, OAuthError> {
    let (Some(kind), Some(jwt)) = (assertion_type, assertion) else {
        return Err(OAuthError::invalid_request("client_assertion and client_assertion_type go together"));
    };
    if kind != crate::assertion::JWT_BEARER {
        return Err(OAuthError::invalid_client(format!(
            "client_assertion_type must be {}",
            crate::assertion::JWT_BEARER
        )));
    }
    let parsed = crate::assertion::parse(jwt).map_err(OAuthError::invalid_client)?;
    let Some(client_id) = parsed.str_claim("iss").map(str::to_string) else {
        return Err(OAuthError::invalid_client("the assertion has no iss naming the client"));
    };
    if body_id.is_some_and(|b| b != client_id) {
        return Err(OAuthError::invalid_client("client_id differs from the assertion's iss"));
    }
    throttle(st, &client_id)?;
    let Some(client) = super::common::find_client(st, &client_id) else {
        return Err(OAuthError::invalid_client("unknown client"));
    };
    if let Err(reason) = crate::assertion::verify(st, &client, &parsed) {
        record_failure(st, &client_id);
        return Err(OAuthError::invalid_client(reason));
    }
    Ok(Caller { client, method: "private_key_jwt", jkt: None })
}

/// `Authorization: Basic` credentials, each part form-urldecoded (RFC 6749 §2.3.1).
fn basic_credentials(st: &AppState, headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("");
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(OAuthError::invalid_client("malformed Authorization header"));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(format!(
            "authentication scheme `{scheme}` is not supported here"
        )));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| OAuthError::invalid_client("Basic credentials are not valid base64"))?;
    let (id, secret) =
        decoded.split_once(':').ok_or_else(|| OAuthError::invalid_client("Basic credentials lack a `:`"))?;
    if !st.policy.client_auth.form_decode_basic {
        return Ok(Some((id.to_string(), secret.to_string())));
    }
    Ok(Some((form_decode(id), form_decode(secret))))
}

fn form_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Refuse a client that failed too often this minute (RFC 6749 §2.3.1 brute force).
fn throttle(st: &AppState, client_id: &str) -> Result<(), OAuthError> {
    let max = st.settings.max_failed_client_auth_per_minute;
    if max == 0 {
        return Ok(());
    }
    let minute = st.clock.now() / 60;
    let store = st.store();
    match store.auth_failures.get(client_id) {
        Some((m, n)) if *m == minute && *n >= max => Err(OAuthError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "invalid_client",
            "too many failed authentications for this client; wait a minute",
        )
        .with_challenge(r#"Basic realm="oauth-fake-server""#)),
        _ => Ok(()),
    }
}

fn record_failure(st: &AppState, client_id: &str) {
    let minute = st.clock.now() / 60;
    let mut store = st.store();
    let entry = store.auth_failures.entry(client_id.to_string()).or_insert((minute, 0));
    if entry.0 != minute {
        *entry = (minute, 0);
    }
    entry.1 += 1;
}

#[cfg(test)]
mod tests {
    use super::form_decode;

    #[test]
    fn basic_parts_are_form_decoded() {
        assert_eq!(form_decode("s3cr%3At%2B%2F%25val+ue"), "s3cr:t+/%val ue");
    }
}
