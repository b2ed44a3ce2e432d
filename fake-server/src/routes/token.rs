//! Layer: routes. The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6; OAuth 2.1 §3.2, §4.3): authorization
//! codes with PKCE, rotating refresh tokens with reuse detection, client credentials.

use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use super::checks::{check_resources, requested_scopes};
use super::clientauth::{Caller, authenticate};
use crate::error::OAuthError;
use crate::form::{Params, body_bytes};
use crate::idjag::{JWT_BEARER, TOKEN_EXCHANGE};
use crate::issue::{Minted, mint_access_token, mint_id_token};
use crate::policy::CodeReuseRevocation;
use crate::state::{AppState, Grant, RefreshToken, Store, alive};
use crate::tokens::{is_pkce_value, random_token, s256};

/// POST `/token` (and GET, under the `accept-get-token-request` fault).
pub async fn token(State(st): State<AppState>, RawQuery(query): RawQuery, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    if st.settings.token_latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(st.settings.token_latency_ms)).await;
    }
    let result = if parts.method == axum::http::Method::GET {
        match Params::parse_limited(query.unwrap_or_default().as_bytes()) {
            Ok(p) => handle(&st, &headers, &p, None),
            Err(e) => Err(e),
        }
    } else {
        match read_params(&st, &headers, body).await {
            Ok(p) => handle(&st, &headers, &p, query.as_deref()),
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(body) => token_response(&st, body),
        Err(e) => error_response(&st, e),
    }
}

async fn read_params(
    st: &AppState,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<Params, OAuthError> {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    let body = body_bytes(body).await?;
    match mime.as_str() {
        "application/x-www-form-urlencoded" => Params::parse_limited(&body),
        "application/json" if !st.policy.token.form_body_only => {
            let obj: Map<String, Value> = serde_json::from_slice(&body).unwrap_or_default();
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &obj {
                ser.append_pair(k, v.as_str().unwrap_or(&v.to_string()));
            }
            Params::parse_limited(ser.finish().as_bytes())
        }
        other => Err(OAuthError::invalid_request(format!(
            "the token endpoint takes an application/x-www-form-urlencoded body, not `{}`",
            if other.is_empty() { "an untyped body" } else { other }
        ))),
    }
}

fn handle(st: &AppState, headers: &HeaderMap, p: &Params, query: Option<&str>) -> Result<Value, OAuthError> {
    let policy = &st.policy.token;
    if let Some(dup) = p.duplicate().filter(|_| policy.refuse_duplicate_params) {
        return Err(OAuthError::invalid_request(format!("parameter `{dup}` was sent more than once")));
    }
    if !policy.ignore_unknown_params
        && let Some(odd) = p.names().find(|n| !TOKEN_PARAMS.contains(n)).or_else(|| p.empty())
    {
        return Err(OAuthError::invalid_request(format!("parameter `{odd}` is not allowed here")));
    }
    let proof = crate::dpop::at_token_endpoint(st, headers)?;
    let mut caller = authenticate(st, headers, p, query)?;
    match proof {
        Some(proof) => caller.jkt = Some(proof.jkt),
        // RFC 9449 §5.2: such a client always uses DPoP, so a request without a proof is not its.
        None if caller.client.metadata.get("dpop_bound_access_tokens") == Some(&Value::Bool(true))
            && st.policy.dpop.enforce_bound_clients
            && st.policy.dpop.offered =>
        {
            return Err(OAuthError::invalid_request(
                "this client registered dpop_bound_access_tokens, so its token requests must carry a DPoP proof",
            ));
        }
        None => {}
    }
    let grant_type =
        p.first("grant_type").ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    let known = matches!(
        grant_type,
        "authorization_code" | "refresh_token" | "client_credentials" | TOKEN_EXCHANGE | JWT_BEARER
    ) || (grant_type == "password" && !policy.no_password_grant);
    if !known {
        let desc = format!("grant_type `{grant_type}` is not supported");
        return Err(if policy.report_unsupported_grant_type {
            OAuthError::unsupported_grant_type(desc)
        } else {
            OAuthError::invalid_request(desc)
        });
    }
    let public_cc = grant_type == "client_credentials" && caller.client.is_public();
    let allowed = match grant_type {
        "password" => true,
        "client_credentials" if !policy.confidential_client_credentials => true,
        _ => caller.client.allows_grant(grant_type) && !public_cc,
    };
    if !allowed {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use the `{grant_type}` grant"
        )));
    }
    match grant_type {
        "authorization_code" => code_grant(st, &caller, p),
        "refresh_token" => refresh_grant(st, &caller, p).map_err(|mut e| {
            if e.code == "invalid_grant" && policy.refresh_invalid_grant_as_401 {
                e.status = StatusCode::UNAUTHORIZED;
            }
            e
        }),
        "client_credentials" => client_credentials(st, &caller, p),
        TOKEN_EXCHANGE => super::idjag::token_exchange(st, &caller, p),
        JWT_BEARER => super::idjag::jwt_bearer(st, &caller, p).and_then(|r| {
            issue(st, &caller, r.grant_id, Some(&r.username), &r.scopes, r.audience, r.refresh)
        }),
        _ => password_grant(st, &caller, p),
    }
}

/// Parameters the token endpoint knows (consulted only when unknown ones are refused).
const TOKEN_PARAMS: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "resource",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "username",
    "password",
    // Token exchange (RFC 8693 §2.1) and the JWT authorization grant (RFC 7523 §2.1).
    "requested_token_type",
    "subject_token",
    "subject_token_type",
    "actor_token",
    "actor_token_type",
    "audience",
    "assertion",
];

/// The authorization code grant (RFC 6749 §4.1.3; OAuth 2.1 §4.1.3; RFC 7636 §4.6).
fn code_grant(st: &AppState, caller: &Caller, p: &Params) -> Result<Value, OAuthError> {
    let policy = &st.policy.token;
    let code = p.get("code")?.ok_or_else(|| {
        if policy.missing_code_is_invalid_request {
            OAuthError::invalid_request("code is required")
        } else {
            OAuthError::invalid_grant("the authorization code is unknown")
        }
    })?;
    let sent_uri = p.get("redirect_uri")?;
    let verifier = p.get("code_verifier")?;
    let requested = requested_resources(st, p);
    let now = st.clock.now();
    let mut store = st.store();
    let Some(c) = store.codes.get(code).cloned() else {
        return Err(OAuthError::invalid_grant("the authorization code is unknown"));
    };
    if c.client_id != caller.client.id && policy.bind_code_to_client {
        return Err(OAuthError::invalid_grant("the authorization code was issued to another client"));
    }
    let verifier_ok = match (&c.challenge, verifier) {
        _ if !policy.verify_pkce => true,
        (Some(challenge), Some(v)) => {
            let syntax = (is_pkce_value(v) || !policy.check_verifier_syntax)
                && (policy.verifier_allows_dot_and_tilde || !v.contains(['.', '~']));
            let derived = if c.method.as_deref() == Some("plain") { v.to_string() } else { s256(v) };
            syntax && bool::from(derived.as_bytes().ct_eq(challenge.as_bytes()))
        }
        (Some(_), None) => false,
        // RFC 9700 §2.1.1 downgrade: a verifier for a code issued without a challenge.
        (None, Some(_)) => !policy.refuse_pkce_downgrade,
        (None, None) => true,
    };
    if let Some(grant_id) = c.grant_id.filter(|_| policy.single_use_codes) {
        // RFC 6749 §4.1.2 / OAuth 2.1 §4.1.3: revoke what the code produced, but only on an
        // otherwise valid replay (OAuth 2.1 §7.5.2: a bad replay must not become a DoS).
        let revoke = (verifier_ok || !policy.revoke_only_on_valid_replay) && policy.revoke_on_code_reuse;
        if revoke {
            let at = immediately(st);
            match policy.code_reuse_revokes {
                CodeReuseRevocation::AccessTokensOnly => {
                    for t in store.access_tokens.values_mut().filter(|t| t.grant_id == grant_id) {
                        t.revoked_at_ms.get_or_insert(at);
                    }
                }
                CodeReuseRevocation::RefreshTokensOnly => {
                    for t in store.refresh_tokens.values_mut().filter(|t| t.grant_id == grant_id) {
                        t.revoked_at_ms.get_or_insert(at);
                    }
                }
                CodeReuseRevocation::Grant => store.revoke_grant(grant_id, at),
            }
        }
        return Err(OAuthError::invalid_grant("the authorization code was already used"));
    }
    if c.expires <= now {
        return Err(OAuthError::invalid_grant("the authorization code has expired"));
    }
    if policy.bind_code_to_redirect_uri {
        // OAuth 2.1 §10.2: OAuth 2.1 clients leave `redirect_uri` out; one that is sent must
        // be the one of the authorization request (RFC 6749 §4.1.3, which also requires it
        // whenever the request had one: the `token-redirect-uri-required` variant).
        let matches = match sent_uri {
            Some(u) => u == c.redirect_uri,
            None => !(c.redirect_uri_sent && policy.redirect_uri_required_when_sent),
        };
        if !matches {
            return Err(OAuthError::invalid_grant("redirect_uri differs from the authorization request"));
        }
    }
    if !verifier_ok {
        let desc = match verifier {
            None => "code_verifier is required",
            Some(_) if c.challenge.is_none() => {
                "code_verifier sent for a code issued without a code_challenge"
            }
            Some(_) => "code_verifier does not match the code_challenge",
        };
        return Err(OAuthError::invalid_grant(desc));
    }
    if let Some(jkt) = &c.dpop_jkt
        && caller.jkt.as_ref() != Some(jkt)
        && st.policy.dpop.check_dpop_jkt
    {
        // RFC 9449 §10: the code was bound to one key at the authorization request.
        return Err(OAuthError::invalid_grant(
            "the authorization code is bound to another DPoP key (dpop_jkt); redeem it with a proof of that key",
        ));
    }
    if caller.client.is_public() && !policy.serve_public_clients {
        return Err(OAuthError::invalid_client("this client must authenticate"));
    }
    let audience = token_audience(st, caller, Some(&c.resources), &requested)?;
    let grant_id = store.new_grant(Grant {
        client_id: caller.client.id.clone(),
        username: Some(c.username.clone()),
        scopes: c.scopes.clone(),
        resources: c.resources.clone(),
        auth_time: c.auth_time,
        revoked_at_ms: None,
        expires: provisional_expiry(st, now),
    });
    if let Some(entry) = store.codes.get_mut(code) {
        entry.grant_id = Some(grant_id);
    }
    drop(store);
    let mut body = issue(st, caller, grant_id, Some(&c.username), &c.scopes, audience, true)?;
    if c.scopes.iter().any(|s| s == "openid") {
        let id_token = mint_id_token(st, &caller.client, &c.username, c.nonce.as_deref(), c.auth_time);
        body["id_token"] = Value::String(id_token);
    }
    Ok(body)
}

/// The `resource` parameters (RFC 8707 §2.2), or none under `no-resource-indicators`, which
/// ignores them as RFC 6749 §3.1 asks of unrecognized parameters.
fn requested_resources(st: &AppState, p: &Params) -> Vec<String> {
    if !st.policy.requests.resource_indicators {
        return Vec::new();
    }
    p.all("resource").map(str::to_string).collect()
}

/// A revocation time that is already in effect: the `delayed-revocation` fault concerns the
/// revocation endpoint, not the revocations the server decides itself (code replay, refresh
/// token reuse).
fn immediately(st: &AppState) -> i64 {
    st.clock.now_ms() - st.revocation_delay_ms()
}

/// The audience of a new access token: the requested resources (a subset of those granted),
/// else the granted ones, else the client itself (RFC 8707 §2.2; RFC 9068 §3). `granted` is
/// `None` for a grant made at the token endpoint itself (client credentials), where any
/// resource this server serves may be requested.
fn token_audience(
    st: &AppState,
    caller: &Caller,
    granted: Option<&[String]>,
    requested: &[String],
) -> Result<Vec<String>, OAuthError> {
    check_resources(st, requested).map_err(OAuthError::invalid_target)?;
    // A grant without resources is bound to the default audience: asking for a resource at
    // the token endpoint would widen what the user authorized (RFC 8707 §2.2, SPEC RI-05).
    if let Some(granted) = granted
        && st.policy.token.resources_within_grant
        && let Some(r) = requested.iter().find(|r| !granted.contains(r))
    {
        return Err(OAuthError::invalid_target(format!("resource `{r}` was not part of the authorization")));
    }
    let granted = granted.unwrap_or_default();
    let audience = if !requested.is_empty() { requested.to_vec() } else { granted.to_vec() };
    if audience.is_empty() || !st.policy.token.audience_from_resource {
        return Ok(vec![caller.client.id.clone()]);
    }
    Ok(audience)
}

/// Refreshing an access token (RFC 6749 §6; OAuth 2.1 §4.3), with rotation and reuse detection.
fn refresh_grant(st: &AppState, caller: &Caller, p: &Params) -> Result<Value, OAuthError> {
    let policy = &st.policy.token;
    let presented =
        p.get("refresh_token")?.ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let scope = p.get("scope")?;
    let requested = requested_resources(st, p);
    if !requested.is_empty() && !policy.refresh_accepts_resource {
        return Err(OAuthError::invalid_target("resource is not supported when refreshing"));
    }
    let now = st.clock.now();
    let now_ms = st.clock.now_ms();
    let delay = st.revocation_delay_ms();
    let mut store = st.store();
    let dead = || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
    let Some(rt) = store.refresh_tokens.get(presented).cloned() else {
        return Err(dead());
    };
    if rt.client_id != caller.client.id && policy.bind_refresh_to_client {
        return Err(OAuthError::invalid_grant("the refresh token was issued to another client"));
    }
    if let Some(bound) = &rt.jkt
        && caller.jkt.as_ref() != Some(bound)
    {
        // RFC 9449 §5: a public client's refresh token is used with proofs of its key only.
        return Err(OAuthError::invalid_grant(
            "the refresh token is bound to a DPoP key; refresh with a proof made with that key",
        ));
    }
    if rt.exp <= now
        || !alive(rt.revoked_at_ms, now_ms, delay)
        || !store.grant_alive(rt.grant_id, now_ms, delay)
    {
        return Err(dead());
    }
    if rt.rotated && policy.detect_refresh_reuse {
        // OAuth 2.1 §4.3.1: a rotated token came back, so one of its holders is an attacker.
        store.revoke_grant(rt.grant_id, immediately(st));
        return Err(OAuthError::invalid_grant("the refresh token was already used; the grant is revoked"));
    }
    let Some(grant) = store.grants.get(&rt.grant_id).cloned() else {
        return Err(dead());
    };
    let scopes = match scope {
        None => grant.scopes.clone(),
        Some(s) => {
            let asked: Vec<String> = s.split(' ').filter(|x| !x.is_empty()).map(str::to_string).collect();
            if let Some(extra) = asked.iter().find(|x| !grant.scopes.contains(x))
                && policy.refuse_scope_widening
            {
                return Err(OAuthError::invalid_scope(format!(
                    "scope `{extra}` was not part of the original grant"
                )));
            }
            if policy.narrow_scope_on_refresh { asked } else { grant.scopes.clone() }
        }
    };
    let audience = token_audience(st, caller, Some(&grant.resources), &requested)?;
    let rotate = policy.rotate_refresh_tokens;
    if rotate && let Some(old) = store.refresh_tokens.get_mut(presented) {
        old.rotated = true;
    }
    if !policy.keep_grant_scope_on_refresh
        && let Some(g) = store.grants.get_mut(&rt.grant_id)
    {
        g.scopes = scopes.clone();
    }
    drop(store);
    let mut body = issue(st, caller, rt.grant_id, grant.username.as_deref(), &scopes, audience, rotate)?;
    if !rotate {
        body["refresh_token"] = Value::String(presented.to_string());
    } else if policy.successor_within_lifetime
        && (!policy.sliding_refresh_for_confidential || caller.client.is_public())
        && let Some(successor) = body["refresh_token"].as_str()
        && let Some(new) = st.store().refresh_tokens.get_mut(successor)
    {
        // A rotated token never outlives the one it replaces (BBA §6.3.2.3; OAuth 2.1 §4.3.3),
        // unless the `sliding-refresh` variant gives a confidential client's successors a full
        // lifetime (the browser-app MUST binds public clients only).
        new.exp = new.exp.min(rt.exp);
    }
    Ok(body)
}

fn client_credentials(st: &AppState, caller: &Caller, p: &Params) -> Result<Value, OAuthError> {
    let scopes = requested_scopes(st, &caller.client, p.get("scope")?).map_err(OAuthError::invalid_scope)?;
    let requested = requested_resources(st, p);
    let audience = token_audience(st, caller, None, &requested)?;
    let now = st.clock.now();
    let grant_id = st.store().new_grant(Grant {
        client_id: caller.client.id.clone(),
        username: None,
        scopes: scopes.clone(),
        resources: requested,
        auth_time: now,
        revoked_at_ms: None,
        expires: provisional_expiry(st, now),
    });
    issue(st, caller, grant_id, None, &scopes, audience, false)
}

/// The resource-owner password grant, served only when the policy keeps it (under the
/// `accept-password-grant` fault; OAuth 2.1 §10 removed it).
fn password_grant(st: &AppState, caller: &Caller, p: &Params) -> Result<Value, OAuthError> {
    let username = p.get("username")?.unwrap_or("");
    let ok = st.user(username).is_some_and(|u| Some(u.password.as_str()) == p.first("password"));
    if !ok {
        return Err(OAuthError::invalid_grant("wrong username or password"));
    }
    let scopes = requested_scopes(st, &caller.client, p.get("scope")?).map_err(OAuthError::invalid_scope)?;
    let now = st.clock.now();
    let grant_id = st.store().new_grant(Grant {
        client_id: caller.client.id.clone(),
        username: Some(username.to_string()),
        scopes: scopes.clone(),
        resources: Vec::new(),
        auth_time: now,
        revoked_at_ms: None,
        expires: provisional_expiry(st, now),
    });
    issue(st, caller, grant_id, Some(username), &scopes, vec![caller.client.id.clone()], false)
}

/// A new grant's expiry until `issue` extends it to cover its tokens. It must lie ahead:
/// the background sweep drops grants whose expiry has passed, and one dropped between its
/// creation and `issue` would leave the tokens it produced inactive from birth.
fn provisional_expiry(st: &AppState, now: i64) -> i64 {
    now + (st.settings.access_token_lifetime_secs as i64).max(60)
}

/// Mint an access token (and a refresh token when the client may refresh) for a grant.
fn issue(
    st: &AppState,
    caller: &Caller,
    grant_id: u64,
    username: Option<&str>,
    scopes: &[String],
    audience: Vec<String>,
    with_refresh: bool,
) -> Result<Value, OAuthError> {
    let reported = scopes;
    let narrowed: Vec<String>;
    let scopes = if !st.policy.token.report_actual_scope && audience.iter().any(|a| *a != caller.client.id) {
        // Down-scoped for the resource (its API has no use for the OpenID scopes), but the
        // response below still says the full scope was granted.
        const OIDC: &[&str] = &["openid", "profile", "email", "address", "phone", "offline_access"];
        narrowed = scopes.iter().filter(|s| !OIDC.contains(&s.as_str())).cloned().collect();
        &narrowed[..]
    } else {
        scopes
    };
    let Minted { token, record } =
        mint_access_token(st, &caller.client, grant_id, username, scopes, audience, caller.jkt.as_deref());
    let lifetime = record.exp - record.iat;
    let refresh =
        (with_refresh && caller.client.allows_grant("refresh_token")).then(|| random_token("ort_", 32));
    let now = st.clock.now();
    {
        let mut store: std::sync::MutexGuard<'_, Store> = st.store();
        let rt_exp = now + st.settings.refresh_token_lifetime_secs as i64;
        if let Some(g) = store.grants.get_mut(&grant_id) {
            g.expires = g.expires.max(record.exp).max(if refresh.is_some() { rt_exp } else { 0 });
        }
        if let Some(rt) = &refresh {
            let rec = RefreshToken {
                grant_id,
                client_id: caller.client.id.clone(),
                iat: now,
                exp: rt_exp,
                rotated: false,
                revoked_at_ms: None,
                jkt: caller
                    .jkt
                    .clone()
                    .filter(|_| caller.client.is_public() && st.policy.dpop.bind_public_refresh),
            };
            store.refresh_tokens.insert(rt.clone(), rec);
        }
        store.access_tokens.insert(token.clone(), record);
    }
    let policy = &st.policy.token;
    let mut body = json!({
        "access_token": token,
        "token_type": match () {
            _ if caller.jkt.is_some() && st.policy.dpop.token_type_dpop => "DPoP",
            _ if policy.bearer_token_type => "Bearer",
            _ => "mac",
        },
        "expires_in": if policy.expires_in_number { json!(lifetime) } else { json!(lifetime.to_string()) },
    });
    if policy.include_scope {
        body["scope"] = Value::String(reported.join(" "));
    }
    if let Some(rt) = refresh {
        body["refresh_token"] = Value::String(rt);
    }
    Ok(body)
}

/// 200 with the token JSON and `no-store` (RFC 6749 §5.1).
fn token_response(st: &AppState, body: Value) -> Response {
    let mut resp = (StatusCode::OK, axum::Json(body)).into_response();
    if !st.policy.token.json_content_type {
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    }
    if st.policy.token.no_store {
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    resp
}

/// An RFC 6749 §5.2 error, bent by whichever response-shape fault is on.
pub fn error_response(st: &AppState, mut e: OAuthError) -> Response {
    let policy = &st.policy.token;
    if e.code == "invalid_client" && !policy.challenge_on_invalid_client {
        e.status = StatusCode::BAD_REQUEST;
        e.challenge = None;
    }
    // The shape faults hit one error code only, so that they break the scenarios about the
    // error shape and not every scenario that provokes some error.
    let shaped = e.code == "unsupported_grant_type";
    if shaped && !policy.json_errors {
        let html = format!("<html><body><h1>Error</h1><p>{}</p></body></html>", crate::pages::escape(e.code));
        return (e.status, [(header::CONTENT_TYPE, "text/html")], html).into_response();
    }
    let status200 = shaped && !policy.error_status;
    let mut resp = e.into_response();
    if status200 {
        *resp.status_mut() = StatusCode::OK;
    }
    resp
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::config::Config;
    use crate::faults::Fault;
    use crate::state::Inner;
    use crate::tokens::Signer;

    fn server(faults: &[Fault]) -> AppState {
        let mut config = Config::defaults();
        config.server.faults = faults.to_vec();
        let signer = Signer::embedded().unwrap();
        Arc::new(Inner::new(config, "http://127.0.0.1:1".into(), signer, "key".into()))
    }

    /// A public client's grant with one refresh token `rt1`, issued at the current time.
    fn public_grant(st: &AppState) -> (Caller, i64) {
        let client = st.store().clients["conformance-public"].clone();
        let now = st.clock.now();
        let exp = now + st.settings.refresh_token_lifetime_secs as i64;
        let mut store = st.store();
        let grant_id = store.new_grant(Grant {
            client_id: client.id.clone(),
            username: Some("alice".into()),
            scopes: vec!["openid".into()],
            resources: Vec::new(),
            auth_time: now,
            revoked_at_ms: None,
            expires: exp,
        });
        let rt = RefreshToken {
            grant_id,
            client_id: client.id.clone(),
            iat: now,
            exp,
            rotated: false,
            revoked_at_ms: None,
            jkt: None,
        };
        store.refresh_tokens.insert("rt1".into(), rt);
        (Caller { client, method: "none", jkt: None }, exp)
    }

    fn rotate_after(st: &AppState, secs: u64) -> (i64, i64) {
        let (caller, first_exp) = public_grant(st);
        st.clock.advance(Duration::from_secs(secs));
        let body = refresh_grant(st, &caller, &Params::parse(b"refresh_token=rt1")).unwrap();
        let successor = body["refresh_token"].as_str().unwrap().to_string();
        (first_exp, st.store().refresh_tokens.get(&successor).map_or(0, |t| t.exp))
    }

    #[test]
    fn a_rotated_refresh_token_never_outlives_the_one_it_replaces() {
        let (first, successor) = rotate_after(&server(&[]), 600);
        assert_eq!(successor, first);
        let (first, successor) = rotate_after(&server(&[Fault::RotatedRefreshExtendsLifetime]), 600);
        assert!(successor >= first + 600, "the fault extends the lifetime");
    }
}
