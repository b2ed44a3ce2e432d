//! Layer: domain logic (above state).
//! RFC 7591 §2 client metadata: validation shared by dynamic registration, RFC 7592 updates,
//! client ID metadata documents and the admin API, with the defaults RFC 7591 prescribes.
//!
//! The result keeps every member the client sent (unknown ones too, RFC 7591 §2: "ignore"
//! means "do not fail on", and the response must show what was registered) plus the defaults.

use serde_json::{Map, Value, json};

use crate::error::OAuthError;
use crate::state::AppState;
pub use crate::state::Validated;
pub use crate::uri_rules::{check_display_text, check_redirect_uri, is_loopback_host};

pub const MAX_REDIRECT_URIS: usize = 20;
pub const MAX_URI_LEN: usize = 2000;
pub const MAX_NAME_LEN: usize = 200;
/// Any other string member, and each element of a string array.
pub const MAX_STRING_LEN: usize = 2000;

/// Members only the server may set; never taken from a client's metadata.
pub const SERVER_MEMBERS: &[&str] = &[
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_client_uri",
];

/// Where the metadata comes from; decides the default and allowed authentication methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// RFC 7591 registration or RFC 7592 update.
    Registration,
    /// A client ID metadata document: public clients only (CIMD §4.1).
    Document,
}

fn bad(d: impl Into<String>) -> OAuthError {
    OAuthError::invalid_client_metadata(d.into())
}

fn bad_uri(d: impl Into<String>) -> OAuthError {
    OAuthError::invalid_redirect_uri(d.into())
}

/// Validate `input`, dropping server-assigned members, and fill in the RFC 7591 defaults.
pub fn validate(st: &AppState, input: &Map<String, Value>, source: Source) -> Result<Validated, OAuthError> {
    let mut m: Map<String, Value> = input.clone();
    for k in SERVER_MEMBERS {
        m.remove(*k);
    }
    // Not supported, so not registered (RFC 7591 §2.3 lets a server ignore it) and not echoed.
    m.remove("software_statement");
    if !st.policy.dpop.offered {
        // Without DPoP the member means nothing here: dropped (RFC 7591 §2), so that the client
        // is not registered into a promise the server cannot keep.
        m.remove("dpop_bound_access_tokens");
    }
    let policy = &st.policy.registration;
    if !policy.ignore_unknown_metadata
        && let Some(k) = m.keys().find(|k| !KNOWN.contains(&k.as_str()))
    {
        return Err(bad(format!("unknown client metadata `{k}`")));
    }
    for (k, v) in &m {
        check_sizes(k, v)?;
    }

    let mut auth_method = match string(&m, "token_endpoint_auth_method")? {
        Some(a) => a,
        None if source == Source::Document => "none".to_string(),
        None => "client_secret_basic".to_string(),
    };
    // What the response shows as registered; differs only under `dcr-hides-replaced-values`.
    let mut shown_method = None;
    match (source, auth_method.as_str()) {
        (_, "none") => {}
        (Source::Document, "client_secret_basic" | "client_secret_post" | "client_secret_jwt")
            if !policy.documents_are_public => {}
        (Source::Document, other) => {
            let why = if other.starts_with("client_secret") {
                "documents are public, so no shared secret"
            } else {
                "this server admits metadata-document clients as public clients (`none`) only"
            };
            return Err(bad(format!("a metadata-document client cannot use `{other}`: {why}")));
        }
        (Source::Registration, "client_secret_basic" | "client_secret_post" | "private_key_jwt") => {}
        (Source::Registration, other) if !policy.refuse_unsupported_auth_method => {
            shown_method = Some(other.to_string());
            auth_method = "client_secret_basic".to_string();
        }
        (_, other) => {
            return Err(bad(format!(
                "token_endpoint_auth_method `{other}` is not supported; use client_secret_basic, \
                 client_secret_post, private_key_jwt or none"
            )));
        }
    }

    let grant_types = string_list(&m, "grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    for g in &grant_types {
        if !matches!(g.as_str(), "authorization_code" | "refresh_token" | "client_credentials") {
            return Err(bad(format!("grant type `{g}` is not supported")));
        }
    }
    let code = grant_types.iter().any(|g| g == "authorization_code");
    let response_types = string_list(&m, "response_types")?
        .unwrap_or_else(|| if code { vec!["code".into()] } else { Vec::new() });
    for r in &response_types {
        if r != "code" {
            return Err(bad(format!("response type `{r}` is not supported; only `code`")));
        }
    }
    // RFC 7591 §2.1: `code` goes with `authorization_code`, in both directions.
    if code != response_types.iter().any(|r| r == "code") && policy.consistent_types {
        return Err(bad(
            "grant_types and response_types disagree: authorization_code needs response type code",
        ));
    }
    if auth_method == "none" && grant_types.iter().any(|g| g == "client_credentials") {
        return Err(bad("client_credentials needs a confidential client"));
    }

    // RFC 7591 §2: the server may replace requested values; §3.2.1 answers with the result.
    let grant_types =
        if policy.single_grant_type { crate::variants::one_grant_type(&grant_types) } else { grant_types };

    let redirect_uris = match m.get("redirect_uris") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                let Some(u) = item.as_str() else {
                    return Err(bad_uri("redirect_uris must be an array of strings"));
                };
                check_redirect_uri(st, u).map_err(bad_uri)?;
                out.push(u.to_string());
            }
            out
        }
        Some(_) => return Err(bad_uri("redirect_uris must be an array of strings")),
    };
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(bad_uri(format!("at most {MAX_REDIRECT_URIS} redirect URIs may be registered")));
    }
    if code && redirect_uris.is_empty() && policy.require_redirect_uris {
        return Err(bad_uri("redirect_uris is required for the authorization_code grant"));
    }

    // OIDC Registration §2: the algorithm this client's ID tokens must be signed with. Only
    // the algorithms the metadata lists (`id_token_signing_alg_values_supported`) are taken;
    // `none` among the rest, as no ID token here may be unsigned.
    if let Some(alg) = string(&m, "id_token_signed_response_alg")? {
        let supported = match alg.parse::<crate::config::JwtAlg>() {
            Ok(crate::config::JwtAlg::Rs256) => true,
            Ok(_) => !policy.rs256_id_tokens_only,
            Err(_) => false,
        };
        if !supported {
            let offered = if policy.rs256_id_tokens_only { "RS256" } else { "RS256, ES256 or EdDSA" };
            return Err(bad(format!("id_token_signed_response_alg `{alg}` is not supported; use {offered}")));
        }
    }
    if m.get("dpop_bound_access_tokens").is_some_and(|v| !v.is_boolean()) {
        return Err(bad("dpop_bound_access_tokens must be a boolean".to_string()));
    }
    if let Some(app) = string(&m, "application_type")?
        && !matches!(app.as_str(), "web" | "native")
    {
        return Err(bad(format!("application_type `{app}` is neither web nor native")));
    }
    let check_jwks = policy.check_jwks;
    if check_jwks && m.contains_key("jwks") && m.contains_key("jwks_uri") {
        return Err(bad("jwks and jwks_uri must not both be present (RFC 7591 §2)"));
    }
    if let Some(jwks) = m.get("jwks")
        && check_jwks
        && !jwks.get("keys").is_some_and(Value::is_array)
    {
        return Err(bad("jwks must be a JWK Set: an object with a keys array"));
    }
    // private_key_jwt (RFC 7523 §2.2): the keys are registered inline; this server fetches no
    // jwks_uri, so it stays offline.
    let jwks = if auth_method == "private_key_jwt" {
        if m.contains_key("jwks_uri") && !m.contains_key("jwks") {
            return Err(bad(
                "this server does not fetch jwks_uri; register the public keys inline with jwks",
            ));
        }
        let jwks =
            m.get("jwks").ok_or_else(|| bad("private_key_jwt needs the client's public keys in jwks"))?;
        crate::assertion::check_jwks(jwks).map_err(bad)?;
        if let Some(alg) = string(&m, "token_endpoint_auth_signing_alg")?
            && !crate::assertion::ALGORITHMS.contains(&alg.as_str())
        {
            return Err(bad(format!("token_endpoint_auth_signing_alg `{alg}` is not supported")));
        }
        Some(jwks.clone())
    } else {
        None
    };
    for k in ["client_uri", "logo_uri", "tos_uri", "policy_uri", "jwks_uri"] {
        if k == "jwks_uri" && !check_jwks {
            continue;
        }
        if let Some(u) = string(&m, k)? {
            let ok = url::Url::parse(&u).is_ok_and(|p| {
                p.scheme() == "https" || (p.scheme() == "http" && k != "jwks_uri" && is_loopback_host(&p))
            });
            if !ok {
                return Err(bad(format!("{k} must be an absolute https URL")));
            }
        }
    }
    if let Some(c) = m.get("contacts")
        && !c.as_array().is_some_and(|a| a.iter().all(Value::is_string))
    {
        return Err(bad("contacts must be an array of strings"));
    }

    let scopes = match string(&m, "scope")? {
        None => Vec::new(),
        Some(s) => {
            let list: Vec<String> = s.split(' ').filter(|x| !x.is_empty()).map(str::to_string).collect();
            if let Some(unknown) = list.iter().find(|x| st.scope(x).is_none()) {
                return Err(bad(format!("scope `{unknown}` is unknown to this server")));
            }
            list
        }
    };
    let name = string(&m, "client_name")?;
    for member in DISPLAYED {
        if let Some(text) = string(&m, member)? {
            check_display_text(member, &text)?;
        }
    }

    // RFC 7591 §3.2.1: the response shows what was registered, defaults included.
    m.insert("redirect_uris".into(), json!(redirect_uris));
    m.insert("token_endpoint_auth_method".into(), json!(shown_method.unwrap_or_else(|| auth_method.clone())));
    m.insert("grant_types".into(), json!(grant_types));
    m.insert("response_types".into(), json!(response_types));
    m.entry("application_type").or_insert_with(|| json!("web"));
    if !scopes.is_empty() {
        m.insert("scope".into(), json!(scopes.join(" ")));
    }
    Ok(Validated {
        logo_uri: string(&m, "logo_uri")?,
        metadata: m,
        name,
        redirect_uris,
        grant_types,
        auth_method,
        jwks,
        scopes,
    })
}

/// Members that end up in front of a user (the consent page shows the name and the URIs).
const DISPLAYED: &[&str] = &["client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri"];

/// Members this server understands (only consulted by the `dcr-rejects-unknown-metadata` fault).
const KNOWN: &[&str] = &[
    "redirect_uris",
    "token_endpoint_auth_method",
    "grant_types",
    "response_types",
    "client_name",
    "client_uri",
    "logo_uri",
    "scope",
    "contacts",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "jwks",
    "token_endpoint_auth_signing_alg",
    "software_id",
    "software_version",
    "application_type",
    "id_token_signed_response_alg",
    "dpop_bound_access_tokens",
];

fn check_sizes(k: &str, v: &Value) -> Result<(), OAuthError> {
    let limit = match k {
        "client_name" => MAX_NAME_LEN,
        k if k.ends_with("_uri") => MAX_URI_LEN,
        _ => MAX_STRING_LEN,
    };
    let too_long = match v {
        Value::String(s) => s.len() > limit,
        Value::Array(items) => items.iter().any(|i| i.as_str().is_some_and(|s| s.len() > MAX_URI_LEN)),
        _ => false,
    };
    if too_long {
        let msg = format!("`{k}` is longer than {limit} characters");
        return Err(if k == "redirect_uris" { bad_uri(msg) } else { bad(msg) });
    }
    Ok(())
}

/// An optional string member; any other type is invalid metadata.
fn string(m: &Map<String, Value>, k: &str) -> Result<Option<String>, OAuthError> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("`{k}` must be a string"))),
    }
}

/// An optional array of strings.
fn string_list(m: &Map<String, Value>, k: &str) -> Result<Option<Vec<String>>, OAuthError> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(|| bad(format!("`{k}` must hold strings"))))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad(format!("`{k}` must be an array of strings"))),
    }
}
