//! Layer: routes. The built-in protected resource's authorization side: its RFC 9728 metadata and the
//! bearer-token check every MCP request passes (RFC 6750 §3, RFC 8707 audience, MCP
//! authorization "Token Handling" and "Scope Selection").
//!
//! A token is valid here when the store knows it (opaque and JWT tokens alike are stored as
//! issued, so a tampered JWT is simply unknown), it is active, and its audience includes this
//! resource's URL. Each scope in `mcp_scopes` is required; `x:write` implies `x:read`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::dpop::{self, ProofError};
use crate::error::{OAuthError, quote_safe};
use crate::form::Params;
use crate::lookup::{Found, bearer_token, find_token};
use crate::policy::PROOF_MAX_AGE;
use crate::state::AppState;

/// Who a request to the resource acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    pub username: Option<String>,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// The request used the DPoP scheme (its refusals carry DPoP challenges).
    pub with_dpop: bool,
}

/// Path of the resource's metadata: the well-known segment goes before the resource's path
/// (RFC 9728 §3.1), e.g. `/.well-known/oauth-protected-resource/mcp`.
pub fn prm_path(st: &AppState) -> String {
    if !st.policy.resource.metadata_path_inserted {
        return format!("{}{}/.well-known/oauth-protected-resource", st.base_path, st.settings.mcp_path);
    }
    format!("/.well-known/oauth-protected-resource{}{}", st.base_path, st.settings.mcp_path)
}

/// Absolute URL of the resource's metadata, as put into `resource_metadata`.
pub fn prm_url(st: &AppState) -> String {
    let origin = st.issuer.strip_suffix(&st.base_path).unwrap_or(&st.issuer);
    format!("{origin}{}", prm_path(st))
}

/// GET `/.well-known/oauth-protected-resource<base><mcp_path>`.
pub async fn metadata(State(st): State<AppState>) -> Response {
    let policy = &st.policy.resource;
    let mut resource = st.settings.mcp_metadata_resource.clone().unwrap_or_else(|| st.mcp_resource());
    if !policy.exact_resource {
        resource.push('/');
    }
    let authorization_server = match &st.settings.mcp_moves_to {
        Some(other) if st.features.mcp_moved() => other.clone(),
        _ => st.issuer.clone(),
    };
    let mut doc = json!({
        "resource": resource,
        "authorization_servers": [authorization_server],
        "bearer_methods_supported": ["header"],
        "resource_name": "oauth-fake-server demo MCP server",
    });
    if st.policy.dpop.offered {
        // RFC 9728 §2: the proof algorithms this resource accepts.
        doc["dpop_signing_alg_values_supported"] = json!(crate::dpop::ALGORITHMS);
    }
    // RFC 9728 §3.2 (like RFC 8414): omit members that would be empty arrays.
    if !st.settings.mcp_scopes.is_empty() && policy.advertise_scopes {
        doc["scopes_supported"] = json!(st.settings.mcp_scopes);
    }
    if !policy.resource_scopes_only {
        let mut scopes = st.settings.mcp_scopes.clone();
        scopes.push("offline_access".into());
        doc["scopes_supported"] = json!(scopes);
    }
    if !policy.advertise_authorization_servers
        && let Some(m) = doc.as_object_mut()
    {
        m.remove("authorization_servers");
    }
    let mut resp = axum::Json(doc).into_response();
    // A resource that is about to move to another authorization server has nothing to cache.
    let caching = if st.settings.mcp_moves_to.is_some() { "no-cache" } else { "public, max-age=60" };
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(caching));
    resp
}

/// `resource_metadata` and `scope` attributes shared by the 401 and 403 challenges (no
/// `resource_metadata` when `mcp_challenge_names_metadata` is off).
fn challenge_attributes(st: &AppState, with_scope: bool) -> String {
    let mut out = String::new();
    if st.settings.mcp_challenge_names_metadata {
        out.push_str(&format!(r#", resource_metadata="{}""#, prm_url(st)));
    }
    if with_scope && !st.settings.mcp_scopes.is_empty() {
        out.push_str(&format!(r#", scope="{}""#, st.settings.mcp_scopes.join(" ")));
    }
    out
}

/// Check the request's access token (and its DPoP proof, RFC 9449 §7); the error is the
/// complete 401 or 403 response.
pub fn authorize(
    st: &AppState,
    method: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Caller, Response> {
    let policy = &st.policy.resource;
    let extra = challenge_attributes(st, policy.scope_in_challenge && st.settings.mcp_challenge_names_scope);
    let dpop_token = dpop_token(headers).filter(|_| st.policy.dpop.offered);
    let with_dpop = dpop_token.is_some();
    let fail = |e: OAuthError| refusal(st, with_dpop, e);
    let mut token = dpop_token.or_else(|| bearer_token(headers));
    if token.is_none() && !policy.refuse_query_token {
        // RFC 6750 §2.3 query tokens leak into logs and history; MCP forbids them.
        let q = Params::parse(query.unwrap_or("").as_bytes());
        token = q.first("access_token").map(str::to_string);
    }
    let Some(token) = token else {
        // RFC 6750 §3.1: no credentials, so no error attribute, just where to get some.
        let had = !policy.no_error_without_token;
        return Err(fail(OAuthError::invalid_token("a bearer token is required", had, &extra)));
    };
    if st.features.mcp_moved() {
        let desc = "this MCP server has moved to another authorization server: see its metadata";
        return Err(fail(OAuthError::invalid_token(desc, true, &extra)));
    }
    let mut proof_jkt = None;
    if with_dpop {
        let target = dpop::Target {
            method,
            urls: vec![st.mcp_resource()],
            access_token: Some(&token),
            max_age: st.policy.dpop.resource_max_age,
            max_ahead: PROOF_MAX_AGE,
        };
        match dpop::check(st, headers, &target) {
            Ok(Some(p)) => proof_jkt = Some(p.jkt),
            Ok(None) => {
                return Err(dpop_refusal(st, "invalid_dpop_proof", "the DPoP scheme needs a DPoP proof"));
            }
            Err(ProofError::Invalid(d)) => return Err(dpop_refusal(st, "invalid_dpop_proof", &d)),
            Err(ProofError::NonceNeeded(d)) => return Err(dpop_refusal(st, "use_dpop_nonce", &d)),
        }
    }
    let store = st.store();
    // Under the fault, a JWT is judged like a resource that only checks its signature and
    // expiry would (a stored JWT always carries our valid signature).
    let jwt_unexpired = |t: &crate::state::AccessToken| {
        !policy.honour_jwt_revocation && token.split('.').count() == 3 && t.exp > st.clock.now()
    };
    let record = match find_token(st, &store, &token, Some("access_token")) {
        Some(Found::Access(t)) if t.active || jwt_unexpired(t.record) => t.record.clone(),
        _ => {
            drop(store);
            return Err(fail(OAuthError::invalid_token(
                "the access token is invalid, expired or revoked",
                true,
                &extra,
            )));
        }
    };
    drop(store);
    let dpop_policy = &st.policy.dpop;
    match (&record.jkt, proof_jkt) {
        (Some(bound), Some(jkt)) if *bound != jkt && dpop_policy.check_binding => {
            let desc = "the DPoP proof was made with another key than the one the token is bound to";
            return Err(dpop_refusal(st, "invalid_token", desc));
        }
        (Some(_), None) if dpop_policy.refuse_bearer_use => {
            // RFC 9449 §7.2: a bound token sent as a bearer token would make the binding moot.
            let desc = "this access token is DPoP-bound: send it with the DPoP scheme and a proof";
            return Err(fail(OAuthError::invalid_token(desc, true, &extra)));
        }
        (None, Some(_)) => {
            let desc = "this access token is not DPoP-bound: send it with the Bearer scheme";
            return Err(dpop_refusal(st, "invalid_token", desc));
        }
        _ => {}
    }
    let resource = st.mcp_resource();
    // Without resource indicators (`no-resource-indicators`) tokens name no resource, so any
    // live token of this server is accepted here.
    let audience_checked = policy.check_audience;
    if audience_checked && !record.audience.contains(&resource) {
        return Err(fail(OAuthError::invalid_token(
            "the access token was issued for another resource (its audience does not include this one)",
            true,
            &extra,
        )));
    }
    if let Some(refused) = lacking_scope(st, with_dpop, &record.scopes, &st.settings.mcp_scopes) {
        return Err(refused);
    }
    count_use(st, &token);
    if st.settings.mcp_moves_to.is_some() {
        st.features.move_mcp();
    }
    Ok(Caller { username: record.username, client_id: record.client_id, scopes: record.scopes, with_dpop })
}

/// Count an accepted request against `mcp_token_uses`: the token is revoked at its last use.
fn count_use(st: &AppState, token: &str) {
    let limit = st.settings.mcp_token_uses;
    if limit == 0 {
        return;
    }
    let now_ms = st.clock.now_ms();
    if let Some(t) = st.store().access_tokens.get_mut(token) {
        t.resource_uses = t.resource_uses.saturating_add(1);
        if t.resource_uses >= limit {
            t.revoked_at_ms.get_or_insert(now_ms);
        }
    }
}

/// The 403 `insufficient_scope` for a token with `granted` scopes at a request that needs all
/// of `needed`, or `None` when it has them. The challenge names every scope the request needs,
/// not only the missing one (MCP 2026-07-28 scope challenge handling: one challenge, all
/// required scopes), so a client that asks for exactly those gets in.
pub fn lacking_scope(
    st: &AppState,
    with_dpop: bool,
    granted: &[String],
    needed: &[String],
) -> Option<Response> {
    if !st.policy.resource.check_scope {
        return None;
    }
    let missing = needed.iter().find(|s| !satisfies(granted, s))?;
    let desc = format!("the access token lacks the `{missing}` scope");
    let attrs = format!(r#", scope="{}"{}"#, needed.join(" "), challenge_attributes(st, false));
    Some(refusal(st, with_dpop, OAuthError::insufficient_scope(desc, &attrs)))
}

/// A refusal of the resource as the client sees it: without its challenge under the fault
/// that drops `WWW-Authenticate`, and with the DPoP scheme when the request used it (RFC 9449
/// §7.1).
fn refusal(st: &AppState, with_dpop: bool, mut e: OAuthError) -> Response {
    if !st.policy.resource.www_authenticate {
        e.challenge = None;
    }
    if with_dpop && let Some(rest) = e.challenge.as_deref().and_then(|c| c.strip_prefix("Bearer ")) {
        e.challenge = Some(format!("DPoP {rest}{}", algs_attribute(st)));
    }
    e.into_response()
}

/// The token of an `Authorization: DPoP` header (RFC 9449 §7.1).
fn dpop_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("dpop") && !token.is_empty()).then(|| token.to_string())
}

/// A 401 with a `DPoP` challenge (RFC 9449 §7.1): the error, the accepted algorithms, where
/// the resource's metadata is, and a fresh nonce when one is what is missing (§9).
fn dpop_refusal(st: &AppState, code: &'static str, desc: &str) -> Response {
    let mut challenge = format!(r#"DPoP error="{code}", error_description="{}""#, quote_safe(desc));
    challenge.push_str(&algs_attribute(st));
    challenge.push_str(&challenge_attributes(st, false));
    let mut e = OAuthError::new(StatusCode::UNAUTHORIZED, code, desc.to_string()).with_challenge(challenge);
    if code == "use_dpop_nonce" {
        e = e.with_dpop_nonce(dpop::current_nonce(st));
    }
    e.into_response()
}

/// The `algs` attribute of a DPoP challenge (RFC 9449 §7.1), or nothing under the fault.
fn algs_attribute(st: &AppState) -> String {
    if !st.policy.dpop.algs_in_challenge {
        return String::new();
    }
    format!(r#", algs="{}""#, dpop::ALGORITHMS.join(" "))
}

/// Does a token with `granted` scopes cover `needed`? A broader `x:write` covers `x:read`
/// (MCP 2026-07-28 scope challenge handling).
fn satisfies(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|g| {
        g == needed || needed.strip_suffix(":read").is_some_and(|base| g.strip_suffix(":write") == Some(base))
    })
}

#[cfg(test)]
mod tests {
    use super::satisfies;

    #[test]
    fn write_scopes_imply_their_read_scope_and_nothing_else() {
        let g = vec!["projects:write".to_string()];
        assert!(satisfies(&g, "projects:read"));
        assert!(satisfies(&g, "projects:write"));
        assert!(!satisfies(&g, "files:read"));
        assert!(!satisfies(&["projects:read".to_string()], "projects:write"));
    }
}
