//! Layer: domain logic (above state). Identity Assertion JWT Authorization Grants (ID-JAG,
//! draft-ietf-oauth-identity-assertion-authz-grant §3): the checks an authorization server
//! makes before it redeems one (§4.4.1, RFC 7523 §3), and the signature check the identity
//! provider also applies to the ID tokens it takes as subject tokens.
//!
//! Trusted issuers are this server itself and the `id_jag_issuers` of the settings, each with
//! its JWK Set. Replay records share the client-assertion store, under a key no client id can
//! take, and are kept until the ID-JAG expires.

use serde_json::Value;

use crate::state::AppState;

/// `grant_type` of the token exchange (RFC 8693 §2.1).
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// `grant_type` of the JWT authorization grant (RFC 7523 §2.1).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The token type of an ID-JAG (draft §4.3, §9.2).
pub const ID_JAG_TYPE: &str = "urn:ietf:params:oauth:token-type:id-jag";
/// The token type of an OpenID Connect ID token (RFC 8693 §3).
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// The grant profile a resource authorization server advertises (draft §7.2).
pub const PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";
/// The JWT `typ` of an ID-JAG (draft §3).
pub const TYP: &str = "oauth-id-jag+jwt";
/// Seconds an ID-JAG this server issues stays valid.
pub const LIFETIME: i64 = 300;
/// Size cap of a JWT before any decoding.
const MAX_LEN: usize = 16 * 1024;

pub use crate::jws::Jws;

/// Split a compact JWS into header, claims and signature (`what` names it in errors).
pub fn decode(jwt: &str, what: &str) -> Result<Jws, String> {
    crate::jws::decode(jwt, &format!("the {what}"), MAX_LEN)
}

/// The keys of a trusted issuer: this server's own, or those configured for it.
pub fn trusted_keys(st: &AppState, iss: &str) -> Option<Value> {
    if iss == st.issuer {
        return Some(st.signer.jwks());
    }
    st.settings.id_jag_issuers.iter().find(|t| t.issuer == iss).map(|t| t.jwks.clone())
}

/// What a redeemable ID-JAG grants.
#[derive(Debug, Clone, PartialEq)]
pub struct Redeemable {
    pub iss: String,
    pub sub: String,
    /// `None` when the ID-JAG carries no `scope` claim.
    pub scopes: Option<Vec<String>>,
    pub resources: Vec<String>,
    pub auth_time: Option<i64>,
}

/// Check an ID-JAG presented by `client_id` (draft §4.4.1; RFC 7523 §3). The error is the
/// `error_description` of the `invalid_grant` answer.
pub fn check(st: &AppState, assertion: &str, client_id: &str) -> Result<Redeemable, String> {
    let policy = &st.policy.idjag;
    let jag = decode(assertion, "assertion")?;
    if jag.typ() != Some(TYP) {
        return Err(format!("the assertion's typ must be `{TYP}`"));
    }
    let iss = jag.str_claim("iss").ok_or("the ID-JAG has no iss")?.to_string();
    if policy.trusted_issuers_only {
        let keys = trusted_keys(st, &iss).ok_or_else(|| format!("ID-JAGs of `{iss}` are not trusted"))?;
        if !jag.signed_by(&keys) {
            return Err("the ID-JAG's signature does not verify with its issuer's keys".into());
        }
    }
    // A single issuer identifier, or an array of exactly that one (draft §4.4.1).
    let aud_ok = match jag.claims.get("aud") {
        Some(Value::String(a)) => *a == st.issuer,
        Some(Value::Array(list)) => list.len() == 1 && list[0].as_str() == Some(st.issuer.as_str()),
        _ => false,
    };
    if !aud_ok && policy.check_audience {
        return Err(format!("the ID-JAG's aud must be this server's issuer identifier `{}`", st.issuer));
    }
    if jag.str_claim("client_id") != Some(client_id) && policy.check_client {
        return Err("the ID-JAG was issued for another client".into());
    }
    let exp = jag.claims.get("exp").and_then(Value::as_i64).ok_or("the ID-JAG has no numeric exp")?;
    jag.claims.get("iat").and_then(Value::as_i64).ok_or("the ID-JAG has no numeric iat")?;
    // The server's clock: ID-JAGs it issued itself expire as it moves.
    if exp <= st.clock.now() && policy.check_expiry {
        return Err("the ID-JAG has expired".into());
    }
    let sub = jag.str_claim("sub").ok_or("the ID-JAG has no sub")?.to_string();
    let jti = jag.str_claim("jti").ok_or("the ID-JAG has no jti")?;
    let resources = match jag.claims.get("resource") {
        None => Vec::new(),
        Some(Value::String(r)) => vec![r.clone()],
        Some(Value::Array(list)) if list.iter().all(Value::is_string) => {
            list.iter().filter_map(Value::as_str).map(str::to_string).collect()
        }
        Some(_) => return Err("the ID-JAG's resource must be a URI or an array of URIs".into()),
    };
    let scopes = match jag.claims.get("scope") {
        None => None,
        Some(Value::String(s)) => Some(s.split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect()),
        Some(_) => return Err("the ID-JAG's scope must be a string".into()),
    };
    let auth_time = jag.claims.get("auth_time").and_then(Value::as_i64);
    if policy.single_use {
        // NUL cannot occur in a client id, so these keys never meet a client assertion's.
        let key = (format!("\0id-jag\0{iss}"), jti.to_string());
        if st.store().assertion_ids.insert(key, exp).is_some() {
            return Err("this ID-JAG was already redeemed (jti seen before)".into());
        }
    }
    Ok(Redeemable { iss, sub, scopes, resources, auth_time })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::config::{Config, JwtAlg, TrustedIdp};
    use crate::faults::Fault;
    use crate::state::Inner;
    use crate::tokens::Signer;

    const ISSUER: &str = "http://127.0.0.1:1";

    fn server(faults: &[Fault], trusted: Vec<TrustedIdp>) -> AppState {
        let mut config = Config::defaults();
        config.server.faults = faults.to_vec();
        config.server.id_jag_issuers = trusted;
        Arc::new(Inner::new(config, ISSUER.into(), Signer::embedded().unwrap(), "key".into()))
    }

    fn claims(st: &AppState) -> Value {
        let now = st.clock.now();
        json!({
            "iss": ISSUER, "sub": "alice", "aud": ISSUER, "client_id": "conformance-confidential",
            "jti": crate::tokens::random_token("", 16), "iat": now, "exp": now + LIFETIME,
            "resource": "https://api.example.test", "scope": "projects:read",
        })
    }

    fn sign(st: &AppState, typ: &str, claims: &Value) -> String {
        st.signer.sign(JwtAlg::Es256, typ, claims)
    }

    fn redeem(st: &AppState, jwt: &str) -> Result<Redeemable, String> {
        check(st, jwt, "conformance-confidential")
    }

    #[test]
    fn a_valid_id_jag_grants_its_subject_scopes_and_resource_once() {
        let st = server(&[], Vec::new());
        let jwt = sign(&st, TYP, &claims(&st));
        let granted = redeem(&st, &jwt).unwrap();
        assert_eq!(granted.sub, "alice");
        assert_eq!(granted.scopes, Some(vec!["projects:read".to_string()]));
        assert_eq!(granted.resources, vec!["https://api.example.test".to_string()]);
        assert!(redeem(&st, &jwt).unwrap_err().contains("already"));
        let replayable = server(&[Fault::IdJagReplay], Vec::new());
        let jwt = sign(&replayable, TYP, &claims(&replayable));
        assert!(redeem(&replayable, &jwt).is_ok() && redeem(&replayable, &jwt).is_ok());
    }

    #[test]
    fn every_algorithm_the_server_signs_with_verifies() {
        let st = server(&[], Vec::new());
        for alg in JwtAlg::ALL {
            let jwt = st.signer.sign(alg, TYP, &claims(&st));
            assert!(redeem(&st, &jwt).is_ok(), "{alg}");
        }
    }

    #[test]
    fn the_wrong_typ_audience_or_client_is_refused() {
        let st = server(&[], Vec::new());
        assert!(redeem(&st, &sign(&st, "JWT", &claims(&st))).unwrap_err().contains("typ"));
        let mut other = claims(&st);
        other["aud"] = json!("https://as.example.test");
        assert!(redeem(&st, &sign(&st, TYP, &other)).unwrap_err().contains("aud"));
        other["aud"] = json!([ISSUER, "https://as.example.test"]);
        assert!(redeem(&st, &sign(&st, TYP, &other)).unwrap_err().contains("aud"));
        other["aud"] = json!([ISSUER]);
        assert!(redeem(&st, &sign(&st, TYP, &other)).is_ok(), "an array of the one issuer");
        let mut other = claims(&st);
        other["client_id"] = json!("conformance-other");
        assert!(redeem(&st, &sign(&st, TYP, &other)).unwrap_err().contains("client"));
        let lax = server(&[Fault::IdJagAnyAudience, Fault::IdJagClientUnchecked], Vec::new());
        let mut other = claims(&lax);
        other["aud"] = json!("https://as.example.test");
        other["client_id"] = json!("conformance-other");
        assert!(redeem(&lax, &sign(&lax, TYP, &other)).is_ok());
    }

    #[test]
    fn an_id_jag_expires_with_the_servers_clock() {
        let st = server(&[], Vec::new());
        let jwt = sign(&st, TYP, &claims(&st));
        st.clock.advance(Duration::from_secs(LIFETIME as u64 + 1));
        assert!(redeem(&st, &jwt).unwrap_err().contains("expired"));
        let lax = server(&[Fault::IdJagExpiryIgnored], Vec::new());
        let jwt = sign(&lax, TYP, &claims(&lax));
        lax.clock.advance(Duration::from_secs(LIFETIME as u64 + 1));
        assert!(redeem(&lax, &jwt).is_ok());
    }

    #[test]
    fn only_trusted_issuers_with_valid_signatures_are_redeemed() {
        let st = server(&[], Vec::new());
        let jwt = sign(&st, TYP, &claims(&st));
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let forged = format!(
            "{input}.{}",
            if sig.starts_with('A') { sig.replacen('A', "B", 1) } else { format!("A{}", &sig[1..]) }
        );
        assert!(redeem(&st, &forged).unwrap_err().contains("signature"));
        let mut foreign = claims(&st);
        foreign["iss"] = json!("https://idp.example.test");
        let jwt = sign(&st, TYP, &foreign);
        assert!(redeem(&st, &jwt).unwrap_err().contains("not trusted"));
        let idp = TrustedIdp { issuer: "https://idp.example.test".into(), jwks: st.signer.jwks() };
        let trusting = server(&[], vec![idp]);
        assert!(redeem(&trusting, &jwt).is_ok(), "a configured issuer with its keys");
        let lax = server(&[Fault::IdJagAnyIssuer], Vec::new());
        assert!(redeem(&lax, &forged).is_ok() && redeem(&lax, &jwt).is_ok());
    }

    #[test]
    fn trusted_identity_providers_come_from_the_fixtures_file() {
        let idp = r#"
[[server.id_jag_issuers]]
issuer = "https://idp.example.test"
jwks = { keys = [{ kty = "OKP", crv = "Ed25519", x = "AA" }] }
"#;
        let text = format!("{}{idp}", crate::config::DEFAULT_FIXTURES);
        let config = Config::from_toml(&text).unwrap();
        let idp = &config.server.id_jag_issuers[0];
        assert_eq!(idp.issuer, "https://idp.example.test");
        assert_eq!(idp.jwks["keys"][0]["crv"], "Ed25519");
    }

    #[test]
    fn claims_of_the_wrong_shape_are_refused() {
        let st = server(&[], Vec::new());
        for (name, value) in [("scope", json!(["a"])), ("resource", json!(7)), ("exp", json!("soon"))] {
            let mut c = claims(&st);
            c[name] = value;
            assert!(redeem(&st, &sign(&st, TYP, &c)).unwrap_err().contains(name), "{name}");
        }
        for name in ["sub", "jti", "iat"] {
            let mut c = claims(&st);
            c.as_object_mut().unwrap().remove(name);
            assert!(redeem(&st, &sign(&st, TYP, &c)).unwrap_err().contains(name), "{name}");
        }
        assert!(redeem(&st, "a.b").is_err());
    }
}
