//! Layer: domain logic (above state).
//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9) with
//! the audience rule of RFC 10070 (rfc7523bis): the assertion's `aud` is this server's issuer
//! identifier, as a single string, and nothing else.
//!
//! Keys come from the `jwks` a client registered (RFC 7591 §2); `jwks_uri` is not fetched, so
//! the server stays offline. ES256, PS256 and RS256 are verified with `ring`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::clock::wall_now;
use crate::jws::Jws;
use crate::state::{AppState, Client};

/// The only `client_assertion_type` (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Signing algorithms accepted for client assertions (advertised in metadata).
pub const ALGORITHMS: &[&str] = &["ES256", "PS256", "RS256"];
/// Seconds of clock difference tolerated on `exp` and `nbf`.
const LEEWAY: i64 = 5;
/// The longest an assertion may live: replay records are kept until `exp`, so this bounds them.
const MAX_LIFETIME: i64 = 3600;
/// Size cap of an assertion, before any decoding.
const MAX_LEN: usize = 8 * 1024;

/// A client assertion split into its parts, not yet trusted; its `iss` names the client it
/// claims to come from (RFC 7523 §3 item 1).
pub type Parsed = Jws;

/// Split a compact JWS into header, claims and signature.
pub fn parse(jwt: &str) -> Result<Parsed, String> {
    crate::jws::decode(jwt, "client_assertion", MAX_LEN)
}

/// Check a parsed assertion for `client`: signature, `iss`, `sub`, `aud`, `exp`, `jti` (not
/// seen before). The error is the `error_description` of the `invalid_client` answer.
pub fn verify(st: &AppState, client: &Client, a: &Parsed) -> Result<(), String> {
    let Some(jwks) = &client.jwks else {
        return Err("this client registered no keys, so it cannot use private_key_jwt".into());
    };
    let alg = a.header.get("alg").and_then(Value::as_str).unwrap_or("");
    if !ALGORITHMS.contains(&alg) {
        return Err(format!(
            "assertion algorithm `{alg}` is not accepted; use one of {}",
            ALGORITHMS.join(", ")
        ));
    }
    if st.policy.assertion.verify_signature {
        let kid = a.header.get("kid").and_then(Value::as_str);
        let key = find_key(jwks, alg, kid)?;
        if !key.as_object().is_some_and(|k| a.verifies_with(k, alg)) {
            return Err("the assertion's signature does not verify with the client's registered keys".into());
        }
    }
    // RFC 7523 §3 items 1 and 2: the client is both issuer and subject.
    if a.str_claim("iss") != Some(client.id.as_str()) || a.str_claim("sub") != Some(client.id.as_str()) {
        return Err("the assertion's iss and sub must both be the client_id".into());
    }
    check_audience(st, a.claims.get("aud"))?;
    let now = wall_now();
    let exp = a.claims.get("exp").and_then(Value::as_i64).ok_or("the assertion has no numeric exp")?;
    // `exp` is the client's number: saturate rather than overflow on i64::MAX.
    if exp.saturating_add(LEEWAY) <= now && st.policy.assertion.check_expiry {
        return Err("the assertion has expired".into());
    }
    if exp > now + MAX_LIFETIME {
        return Err(format!("the assertion lives too long: exp may be at most {MAX_LIFETIME} s ahead"));
    }
    if a.claims.get("nbf").and_then(Value::as_i64).is_some_and(|nbf| nbf > now + LEEWAY) {
        return Err("the assertion is not valid yet (nbf)".into());
    }
    let jti = a.str_claim("jti").ok_or("the assertion has no jti")?;
    let mut store = st.store();
    if store.assertion_ids.len() >= store.assertion_prune_at {
        store.assertion_ids.retain(|_, e| *e + LEEWAY > now);
        // Twice what is left, so a store full of live entries is not scanned on every request.
        store.assertion_prune_at = (store.assertion_ids.len() * 2).max(4096);
    }
    if store.assertion_ids.insert((client.id.clone(), jti.to_string()), exp).is_some() {
        return Err("this assertion was already used (jti seen before)".into());
    }
    Ok(())
}

/// The URLs an endpoint is reached at: the issuer's, and the one the metadata advertises
/// (another origin under the `split-origin` variant).
fn endpoint_urls<'a>(st: &'a AppState, path: &'a str) -> impl Iterator<Item = String> + 'a {
    [st.url(path), st.advertised_url(path)].into_iter()
}

/// RFC 10070: the issuer identifier, as a string. The faults bring back what RFC 7523 allowed.
fn check_audience(st: &AppState, aud: Option<&Value>) -> Result<(), String> {
    let acceptable = |v: &str| {
        v == st.issuer
            || (!st.policy.assertion.issuer_audience_only
                && ["/token", "/introspect", "/revoke"].iter().any(|p| endpoint_urls(st, p).any(|u| u == v)))
    };
    let ok = match aud {
        Some(Value::String(s)) => acceptable(s),
        Some(Value::Array(items)) if !st.policy.assertion.single_audience => {
            items.iter().filter_map(Value::as_str).any(acceptable)
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the assertion's aud must be this server's issuer identifier `{}`, as a single string",
            st.issuer
        ))
    }
}

/// The key for `alg`: the one named by `kid`, or the only one of a fitting type.
fn find_key<'a>(jwks: &'a Value, alg: &str, kid: Option<&str>) -> Result<&'a Value, String> {
    let kty = if alg.starts_with("ES") { "EC" } else { "RSA" };
    let keys = jwks.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let fitting: Vec<&Value> = keys
        .iter()
        .filter(|k| k.get("kty").and_then(Value::as_str) == Some(kty))
        .filter(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)
        .collect();
    match (fitting.as_slice(), kid) {
        ([key], _) => Ok(key),
        ([], Some(kid)) => Err(format!("no registered {kty} key has kid `{kid}`")),
        ([], None) => Err(format!("the client registered no {kty} key")),
        (_, _) => Err("several registered keys fit; the assertion must name one with kid".into()),
    }
}

/// A registered key set is usable: public keys of the supported types, nothing private.
pub fn check_jwks(jwks: &Value) -> Result<(), String> {
    let keys =
        jwks.get("keys").and_then(Value::as_array).ok_or("jwks must be an object with a keys array")?;
    if keys.is_empty() {
        return Err("jwks holds no key".into());
    }
    for k in keys {
        let Some(obj) = k.as_object() else {
            return Err("every member of jwks.keys must be a JWK object".into());
        };
        if ["d", "p", "q", "dp", "dq", "qi", "k"].iter().any(|m| obj.contains_key(*m)) {
            return Err("jwks must hold public keys only: a key carries private members".into());
        }
        let has =
            |m: &str| obj.get(m).and_then(Value::as_str).is_some_and(|v| URL_SAFE_NO_PAD.decode(v).is_ok());
        match obj.get("kty").and_then(Value::as_str) {
            Some("EC") if obj.get("crv").and_then(Value::as_str) == Some("P-256") && has("x") && has("y") => {
            }
            Some("RSA") if has("n") && has("e") => {}
            _ => return Err("jwks keys must be EC P-256 (x, y) or RSA (n, e) public keys".into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn malformed_assertions_are_refused_with_a_reason() {
        assert!(parse("a.b").unwrap_err().contains("three"));
        assert!(parse("!.e30.").unwrap_err().contains("header"));
        assert!(parse(&"x".repeat(MAX_LEN + 1)).unwrap_err().contains("longer"));
        let ok = parse("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJjIn0.AA").unwrap();
        assert_eq!(ok.str_claim("iss"), Some("c"));
    }

    #[test]
    fn key_sets_with_private_members_or_unknown_types_are_refused() {
        assert!(check_jwks(&json!({"keys": []})).is_err());
        assert!(check_jwks(&json!({"keys": [{"kty": "oct", "k": "AA"}]})).is_err());
        assert!(
            check_jwks(&json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}]}))
                .is_err()
        );
        assert!(check_jwks(&json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]})).is_ok());
        assert!(check_jwks(&json!({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]})).is_ok());
    }

    #[test]
    fn a_key_is_chosen_by_kid_or_by_being_the_only_one_of_its_type() {
        let jwks = json!({"keys": [
            {"kty": "EC", "kid": "a"}, {"kty": "EC", "kid": "b"}, {"kty": "RSA", "kid": "r"}
        ]});
        assert_eq!(find_key(&jwks, "ES256", Some("b")).unwrap()["kid"], "b");
        assert!(find_key(&jwks, "ES256", None).unwrap_err().contains("kid"));
        assert_eq!(find_key(&jwks, "RS256", None).unwrap()["kid"], "r");
        assert!(find_key(&jwks, "ES256", Some("r")).is_err());
    }
}
