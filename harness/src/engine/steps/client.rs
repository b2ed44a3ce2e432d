//! Which client a step acts as, and how it authenticates (RFC 6749 §2.3, OAuth 2.1 §2.4).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::assertion::{AssertionSpec, JWT_BEARER};
use super::{Ctx, StepError};
use crate::model::secret::Secret;

/// A client as steps need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub client_id: String,
    /// Printed as `[redacted]` by `Debug`; serialized (into step results) as the string.
    pub client_secret: Option<Secret>,
    pub redirect_uri: Option<String>,
    /// `client_secret_basic`, `client_secret_post` or `none`.
    pub auth_method: String,
    pub scope: Option<String>,
    /// The resource indicator (RFC 8707) requests name when a scenario names none.
    pub resource: Option<String>,
    /// The methods it may authenticate with (its registered one, unless the profile lists more).
    pub auth_methods: Vec<String>,
    /// The grant types it may use, when known.
    pub grant_types: Option<Vec<String>>,
}

impl ClientInfo {
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "client_id": self.client_id, "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri, "auth_method": self.auth_method, "scope": self.scope,
            "resource": self.resource, "auth_methods": self.auth_methods, "grant_types": self.grant_types,
        })
    }
}

/// Resolve `client`: a profile role (`confidential`), or a reference to a registration result
/// or any object with `client_id` (`{reg}`). Absent means `confidential`.
pub fn resolve(ctx: &Ctx<'_>, client: Option<&str>) -> Result<ClientInfo, StepError> {
    let name = client.unwrap_or("confidential");
    if name.starts_with('{') {
        let v = ctx.value(name)?;
        return from_json(&v)
            .ok_or_else(|| StepError::Prerequisite(format!("`{name}` is not a client (no client_id)")));
    }
    let Some(c) = ctx.env.profile.clients.get(name) else {
        return Err(StepError::Prerequisite(format!("the target profile defines no `{name}` client")));
    };
    let auth_method = c.auth_method.clone().unwrap_or_else(|| {
        if c.client_secret.is_some() { "client_secret_basic".into() } else { "none".into() }
    });
    Ok(ClientInfo {
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
        redirect_uri: c.redirect_uri.clone(),
        auth_methods: c.auth_methods.clone().unwrap_or_else(|| vec![auth_method.clone()]),
        auth_method,
        scope: c.scope.clone(),
        resource: c.resource.clone(),
        grant_types: c.grant_types.clone(),
    })
}

/// A client from JSON (a registration response or a profile entry).
pub fn from_json(v: &Value) -> Option<ClientInfo> {
    let client_id = v.get("client_id")?.as_str()?.to_string();
    let client_secret = v.get("client_secret").and_then(Value::as_str).map(Secret::from);
    let redirect_uri = v
        .get("redirect_uri")
        .and_then(Value::as_str)
        .or_else(|| v.get("redirect_uris").and_then(|r| r.get(0)).and_then(Value::as_str))
        .map(str::to_string);
    let auth_method = v
        .get("auth_method")
        .or_else(|| v.get("token_endpoint_auth_method"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(
            || if client_secret.is_some() { "client_secret_basic".into() } else { "none".into() },
        );
    let scope = v.get("scope").and_then(Value::as_str).map(str::to_string);
    let resource = v.get("resource").and_then(Value::as_str).map(str::to_string);
    let auth_methods = string_list(v, "auth_methods").unwrap_or_else(|| vec![auth_method.clone()]);
    let grant_types = string_list(v, "grant_types");
    Some(ClientInfo {
        client_id,
        client_secret,
        redirect_uri,
        auth_method,
        scope,
        resource,
        auth_methods,
        grant_types,
    })
}

/// A member that is a list of strings (`grant_types` of a registration response), as owned strings.
pub fn string_list(v: &Value, key: &str) -> Option<Vec<String>> {
    let list = v.get(key)?.as_array()?;
    Some(list.iter().filter_map(Value::as_str).map(str::to_string).collect())
}

/// Is the client allowed `grant_type`, as far as the profile or its registration says?
pub fn check_grant(client: &ClientInfo, grant_type: &str) -> Result<(), StepError> {
    match &client.grant_types {
        Some(allowed) if !allowed.iter().any(|g| g == grant_type) => Err(StepError::Unmet(format!(
            "client `{}` may use only {} (as the target profile or its registration says), not {grant_type}",
            client.client_id,
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// Credentials placed on a request.
#[derive(Debug, Default, Clone)]
pub struct Credentials {
    pub headers: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
}

/// How a step authenticates the client, as a scenario names it (checked when the file loads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// HTTP Basic (`client_secret_basic`, RFC 6749 §2.3.1).
    Basic,
    /// `client_id` and `client_secret` in the body (`client_secret_post`).
    Post,
    /// `client_id` only: a public client.
    None,
    /// Basic and a body secret at once (two methods in one request, refused by RFC 6749 §2.3).
    Both,
    /// Credentials in the URL's query (refused by RFC 6749 §2.3.1).
    Query,
    /// A signed client assertion (RFC 7523 §2.2).
    PrivateKeyJwt,
    /// No client authentication at all.
    Omit,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Basic => "basic",
            AuthMode::Post => "post",
            AuthMode::None => "none",
            AuthMode::Both => "both",
            AuthMode::Query => "query",
            AuthMode::PrivateKeyJwt => "private_key_jwt",
            AuthMode::Omit => "omit",
        }
    }
}

impl std::fmt::Display for AuthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authentication mode a step uses: the one it names, else the client's own method.
pub fn mode_of(client: &ClientInfo, mode: Option<AuthMode>) -> AuthMode {
    mode.unwrap_or(match client.auth_method.as_str() {
        "client_secret_post" => AuthMode::Post,
        "private_key_jwt" => AuthMode::PrivateKeyJwt,
        "none" => AuthMode::None,
        _ => AuthMode::Basic,
    })
}

/// How a step authenticates: `basic`, `post`, `none` (client_id only), `both` (Basic and a
/// body secret), `query` (credentials in the URL), `private_key_jwt` (a client assertion,
/// RFC 7523 §2.2, with the `assertion` step option), `omit` (nothing), or the client's own
/// method when unset. `secret` replaces the real secret (to send a wrong one).
pub fn credentials(
    ctx: &Ctx<'_>,
    client: &ClientInfo,
    mode: Option<AuthMode>,
    secret: Option<&str>,
    assertion: Option<&AssertionSpec>,
) -> Result<Credentials, StepError> {
    let mode = mode_of(client, mode);
    // A method the client is not registered for would be refused by a server that holds
    // each client to its one method (RFC 7591 §2): a precondition, not a finding.
    let method = match mode {
        AuthMode::Basic => Some("client_secret_basic"),
        AuthMode::Post => Some("client_secret_post"),
        _ => None,
    };
    if let Some(m) = method.filter(|m| secret.is_none() && !client.auth_methods.iter().any(|a| a == m)) {
        return Err(StepError::Unmet(format!(
            "client `{}` is registered for {} (RFC 7591 §2: one method per client), not {m}; list the methods it may use in the profile's `auth_methods`",
            client.client_id,
            client.auth_methods.join(", ")
        )));
    }
    let secret =
        secret.map(str::to_string).or_else(|| client.client_secret.as_ref().map(|s| s.expose().to_string()));
    let need_secret = || {
        secret.clone().ok_or_else(|| {
            StepError::Prerequisite(format!(
                "client `{}` has no secret for `{mode}` authentication",
                client.client_id
            ))
        })
    };
    let id = client.client_id.clone();
    let mut c = Credentials::default();
    match mode {
        AuthMode::Basic => c.headers.push(("authorization".into(), basic(&id, &need_secret()?))),
        AuthMode::Post => {
            c.form.push(("client_id".into(), id));
            c.form.push(("client_secret".into(), need_secret()?));
        }
        AuthMode::None => c.form.push(("client_id".into(), id)),
        AuthMode::Both => {
            let s = need_secret()?;
            c.headers.push(("authorization".into(), basic(&id, &s)));
            c.form.push(("client_id".into(), id));
            c.form.push(("client_secret".into(), s));
        }
        AuthMode::Query => {
            c.query.push(("client_id".into(), id));
            c.query.push(("client_secret".into(), need_secret()?));
        }
        AuthMode::PrivateKeyJwt => {
            c.form.push(("client_assertion_type".into(), JWT_BEARER.into()));
            c.form.push(("client_assertion".into(), super::assertion::make(ctx, &id, assertion)?));
        }
        AuthMode::Omit => {}
    }
    Ok(c)
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(id), enc(secret))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::parse_basic;

    #[test]
    fn basic_credentials_are_form_encoded_before_base64() {
        let header = basic("a b", "s3cr:t+/%val ue");
        let decoded =
            String::from_utf8(STANDARD.decode(header.trim_start_matches("Basic ")).unwrap()).unwrap();
        assert_eq!(decoded, "a+b:s3cr%3At%2B%2F%25val+ue");
        assert_eq!(parse_basic(&header), Some(("a b".into(), Some("s3cr:t+/%val ue".into()))));
        assert_eq!(parse_basic("Bearer x"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }

    #[test]
    fn a_client_prints_without_its_secret_and_serializes_with_it() {
        let c =
            from_json(&serde_json::json!({"client_id": "c1", "client_secret": "s3cr:t+/%val ue"})).unwrap();
        let debug = format!("{c:?}");
        assert!(debug.contains("c1") && !debug.contains("s3cr") && debug.contains("[redacted]"), "{debug}");
        assert_eq!(c.to_json()["client_secret"], "s3cr:t+/%val ue");
        assert_eq!(c.auth_method, "client_secret_basic");
    }
}
