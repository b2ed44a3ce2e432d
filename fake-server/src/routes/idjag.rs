//! Layer: routes. Enterprise-managed authorization (draft-ietf-oauth-identity-assertion-authz-grant;
//! MCP Enterprise-Managed Authorization), both roles at the token endpoint: as identity
//! provider, the token exchange (RFC 8693) that turns an ID token this server issued into an
//! ID-JAG; as authorization server, the jwt-bearer grant (RFC 7523 §2.1) that redeems one.
//!
//! The bundled server trusts its own ID-JAGs, so one server can play every role in tests; the
//! draft (§8.3) forbids that to a real identity provider.

use serde_json::{Map, Value, json};

use super::checks::check_resources;
use super::clientauth::Caller;
use crate::error::OAuthError;
use crate::form::Params;
use crate::idjag::{self, ID_JAG_TYPE, ID_TOKEN_TYPE, LIFETIME, TYP};
use crate::issue::subject;
use crate::state::{AppState, Grant};
use crate::tokens::random_token;

/// Advertise both roles in the metadata (draft §7.1, §7.2).
pub fn advertise(st: &AppState, doc: &mut Map<String, Value>) {
    if let Some(Value::Array(grants)) = doc.get_mut("grant_types_supported") {
        grants.push(json!(idjag::TOKEN_EXCHANGE));
        if st.policy.idjag.advertise_jwt_bearer {
            grants.push(json!(idjag::JWT_BEARER));
        }
    }
    doc.insert("authorization_grant_profiles_supported".into(), json!([idjag::PROFILE]));
    doc.insert("identity_chaining_requested_token_types_supported".into(), json!([ID_JAG_TYPE]));
}

/// The draft §8.1 keeps these grants to confidential clients.
fn confidential(caller: &Caller, grant: &str) -> Result<(), OAuthError> {
    if caller.client.is_public() {
        return Err(OAuthError::unauthorized_client(format!(
            "a public client may not use the `{grant}` grant"
        )));
    }
    Ok(())
}

/// Token exchange for an ID-JAG (draft §4.3; RFC 8693 §2.1, §2.2).
pub fn token_exchange(st: &AppState, caller: &Caller, p: &Params) -> Result<Value, OAuthError> {
    confidential(caller, idjag::TOKEN_EXCHANGE)?;
    let required =
        |name: &str| p.get(name)?.ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")));
    let requested = required("requested_token_type")?;
    if requested != ID_JAG_TYPE {
        return Err(OAuthError::invalid_request(format!(
            "this server issues only `{ID_JAG_TYPE}` by token exchange"
        )));
    }
    if required("subject_token_type")? != ID_TOKEN_TYPE {
        return Err(OAuthError::invalid_request(format!("subject_token_type must be `{ID_TOKEN_TYPE}`")));
    }
    let id_token = id_token_subject(st, caller, required("subject_token")?)?;
    let audience = required("audience")?;
    if !is_absolute(audience) {
        return Err(OAuthError::invalid_target(
            "audience must be an authorization server's issuer identifier",
        ));
    }
    let resources: Vec<&str> =
        if st.policy.requests.resource_indicators { p.all("resource").collect() } else { Vec::new() };
    if let Some(r) = resources.iter().find(|r| !is_absolute(r) || r.contains('#')) {
        return Err(OAuthError::invalid_target(format!("resource `{r}` is not an absolute URI")));
    }
    let mut scopes: Vec<&str> = Vec::new();
    for s in p.get("scope")?.unwrap_or("").split(' ').filter(|s| !s.is_empty()) {
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    let now = st.clock.now();
    let mut claims = json!({
        "iss": st.issuer, "sub": id_token.str_claim("sub"), "aud": audience,
        "client_id": caller.client.id, "jti": random_token("", 16), "iat": now, "exp": now + LIFETIME,
    });
    match resources.as_slice() {
        [] => {}
        [one] => claims["resource"] = json!(one),
        many => claims["resource"] = json!(many),
    }
    if !scopes.is_empty() {
        claims["scope"] = json!(scopes.join(" "));
    }
    if let Some(t) = id_token.claims.get("auth_time") {
        claims["auth_time"] = t.clone();
    }
    let typ = if st.policy.idjag.id_jag_typ { TYP } else { "JWT" };
    let jag = st.signer.sign(st.settings.jwt_alg, typ, &claims);
    let mut body = json!({
        "access_token": jag, "issued_token_type": ID_JAG_TYPE, "token_type": "N_A", "expires_in": LIFETIME,
    });
    if !scopes.is_empty() {
        body["scope"] = json!(scopes.join(" "));
    }
    Ok(body)
}

fn is_absolute(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.has_host())
}

/// An unexpired ID token this server issued to the calling client (draft §4.3.3). A bad subject
/// token is `invalid_request` (RFC 8693 §2.2.2).
fn id_token_subject(st: &AppState, caller: &Caller, token: &str) -> Result<idjag::Jws, OAuthError> {
    let bad = |why: &str| OAuthError::invalid_request(format!("subject_token: {why}"));
    let jwt = idjag::decode(token, "subject_token").map_err(OAuthError::invalid_request)?;
    // Access tokens (RFC 9068) and ID-JAGs are signed with the same keys: only ID tokens count.
    if matches!(jwt.typ(), Some("at+jwt" | TYP)) {
        return Err(bad("not an ID token"));
    }
    if jwt.str_claim("iss") != Some(st.issuer.as_str()) || !jwt.signed_by(&st.signer.jwks()) {
        return Err(bad("not an ID token this server issued"));
    }
    if jwt.claims.get("exp").and_then(Value::as_i64).is_none_or(|exp| exp <= st.clock.now()) {
        return Err(bad("the ID token has expired"));
    }
    let client = caller.client.id.as_str();
    let for_caller = match jwt.claims.get("aud") {
        Some(Value::String(a)) => a == client,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(client)),
        _ => false,
    };
    if !for_caller && st.policy.idjag.check_subject_audience {
        return Err(bad("the ID token was issued to another client"));
    }
    if jwt.str_claim("sub").is_none() {
        return Err(bad("the ID token has no sub"));
    }
    Ok(jwt)
}

/// A redeemed ID-JAG's grant, for the token endpoint to issue tokens from.
#[derive(Debug)]
pub struct Redeemed {
    pub grant_id: u64,
    pub username: String,
    pub scopes: Vec<String>,
    pub audience: Vec<String>,
    /// Whether a refresh token may come with the access token.
    pub refresh: bool,
}

/// Redeem an ID-JAG (draft §4.4; RFC 7523 §2.1, §3; MCP EMA §5).
pub fn jwt_bearer(st: &AppState, caller: &Caller, p: &Params) -> Result<Redeemed, OAuthError> {
    confidential(caller, idjag::JWT_BEARER)?;
    let policy = &st.policy.idjag;
    let assertion =
        p.get("assertion")?.ok_or_else(|| OAuthError::invalid_request("assertion is required"))?;
    let jag = idjag::check(st, assertion, &caller.client.id).map_err(OAuthError::invalid_grant)?;
    let username = st
        .users
        .iter()
        .find(|u| subject(st, &u.username) == jag.sub)
        .map(|u| u.username.clone())
        .ok_or_else(|| OAuthError::invalid_grant("the ID-JAG's subject is no user of this server"))?;
    // MCP EMA §7.2.1: what was asked for and the ID-JAG also holds; the ID-JAG's scopes when
    // nothing was asked for (RFC 6749 §3.3 default).
    let held: Vec<String> = jag.scopes.clone().unwrap_or_default();
    let asked: Option<Vec<String>> =
        p.get("scope")?.map(|s| s.split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect());
    let mut scopes: Vec<String> = match asked {
        None => held,
        Some(asked) if policy.scope_within_grant => asked.into_iter().filter(|s| held.contains(s)).collect(),
        Some(asked) => asked,
    };
    let mut seen = std::collections::HashSet::new();
    scopes.retain(|s| st.scope(s).is_some() && seen.insert(s.clone()));
    if scopes.is_empty() && p.get("scope")?.is_some() {
        return Err(OAuthError::invalid_scope("none of the requested scopes is granted by the ID-JAG"));
    }
    let requested: Vec<String> = if st.policy.requests.resource_indicators {
        p.all("resource").map(str::to_string).collect()
    } else {
        Vec::new()
    };
    if let Some(r) = requested.iter().find(|r| !jag.resources.contains(r)) {
        return Err(OAuthError::invalid_target(format!("resource `{r}` is not in the ID-JAG")));
    }
    let resources = if requested.is_empty() { jag.resources.clone() } else { requested };
    check_resources(st, &resources).map_err(OAuthError::invalid_target)?;
    let audience = if resources.is_empty() || !policy.audience_from_resource {
        vec![caller.client.id.clone()]
    } else {
        resources.clone()
    };
    let now = st.clock.now();
    let grant_id = st.store().new_grant(Grant {
        client_id: caller.client.id.clone(),
        username: Some(username.clone()),
        scopes: scopes.clone(),
        resources,
        auth_time: jag.auth_time.unwrap_or(now),
        revoked_at_ms: None,
        // Ahead of now, as the token endpoint's own grants: the sweep drops expired grants,
        // and the tokens about to be issued extend it.
        expires: now + (st.settings.access_token_lifetime_secs as i64).max(60),
    });
    Ok(Redeemed { grant_id, username, scopes, audience, refresh: !policy.no_refresh_token })
}
