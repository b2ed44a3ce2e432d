//! Layer: domain logic (above state).
//! DPoP (RFC 9449): checking a proof against the request it came with (§4.3), the JWK
//! thumbprint (RFC 7638) that binds tokens to the proof's key (§6), and the server-provided
//! nonces of §8 and §9.
//!
//! Proof times are compared with the wall clock, not the server's movable clock: clients sign
//! with the time they see, and a scenario that moves the server's clock must not make every
//! later proof look stale.

use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::clock::wall_now;
use crate::error::OAuthError;
use crate::policy::PROOF_MAX_AGE;
use crate::state::AppState;
use crate::tokens::b64url;

/// The proof algorithms accepted and advertised: asymmetric only (RFC 9449 §4.3 item 5).
pub const ALGORITHMS: &[&str] = &["ES256", "EdDSA", "PS256", "RS256"];
/// Size cap of a proof, before any decoding.
const MAX_LEN: usize = 8 * 1024;
/// `jti` values longer than this are refused rather than remembered (RFC 9449 §11.1).
const MAX_JTI: usize = 128;
/// How long a nonce stays good: it is accepted in its own window and the next one.
const NONCE_WINDOW: i64 = 300;

/// A proof that passed every check: the thumbprint of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub jkt: String,
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// `invalid_dpop_proof` (RFC 9449 §5, §7.1), with the description.
    Invalid(String),
    /// `use_dpop_nonce`: the server wants a (fresh) nonce in the proof (RFC 9449 §8, §9).
    NonceNeeded(String),
}

/// What a proof must match: the request it came with.
#[derive(Debug)]
pub struct Target<'a> {
    pub method: &'a str,
    /// The URLs the endpoint is reached at (`htu` may name any of them).
    pub urls: Vec<String>,
    /// The access token presented with the proof (at a resource), for `ath`.
    pub access_token: Option<&'a str>,
    /// The oldest a proof may be, in seconds.
    pub max_age: i64,
    /// How far in the future `iat` may lie, in seconds (clock skew).
    pub max_ahead: i64,
}

impl ProofError {
    /// The token endpoint's answer (RFC 9449 §5, §8): 400 `invalid_dpop_proof`, or 400
    /// `use_dpop_nonce` with the nonce to use.
    pub fn at_token_endpoint(self, st: &AppState) -> OAuthError {
        match self {
            ProofError::Invalid(d) => OAuthError::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", d),
            ProofError::NonceNeeded(d) => OAuthError::new(StatusCode::BAD_REQUEST, "use_dpop_nonce", d)
                .with_dpop_nonce(current_nonce(st)),
        }
    }
}

/// The proof of a token request (RFC 9449 §5), checked against the token endpoint; `None`
/// without one, or when the server does not offer DPoP (the header is then unknown to it).
pub fn at_token_endpoint(st: &AppState, headers: &HeaderMap) -> Result<Option<Proof>, OAuthError> {
    if !st.policy.dpop.offered {
        return Ok(None);
    }
    let target = Target {
        method: "POST",
        urls: vec![st.url("/token"), st.advertised_url("/token")],
        access_token: None,
        max_age: PROOF_MAX_AGE,
        max_ahead: 60,
    };
    check(st, headers, &target).map_err(|e| e.at_token_endpoint(st))
}

/// The nonce a client must put in its proofs now (RFC 9449 §8: unpredictable), derived from
/// the server's secret and the current window so that nothing needs to be stored.
pub fn current_nonce(st: &AppState) -> String {
    nonce_for(st, wall_now().div_euclid(NONCE_WINDOW))
}

fn nonce_for(st: &AppState, window: i64) -> String {
    let mut h = Sha256::new();
    h.update(st.nonce_key);
    h.update(window.to_be_bytes());
    b64url(&h.finalize())
}

/// Check the request's `DPoP` header against `target`. `Ok(None)` when the request carries no
/// proof at all.
pub fn check(st: &AppState, headers: &HeaderMap, target: &Target) -> Result<Option<Proof>, ProofError> {
    let policy = &st.policy.dpop;
    let mut values = headers.get_all("dpop").iter();
    let Some(value) = values.next() else { return Ok(None) };
    let invalid = |s: &str| Err(ProofError::Invalid(s.to_string()));
    if values.next().is_some() {
        return invalid("more than one DPoP header");
    }
    let Ok(jwt) = value.to_str() else { return invalid("the DPoP header is not a JWT") };
    let parts = crate::jws::decode(jwt, "the DPoP proof", MAX_LEN).map_err(ProofError::Invalid)?;
    let typ = parts.header.get("typ").and_then(Value::as_str).unwrap_or("");
    if !typ.eq_ignore_ascii_case("dpop+jwt") {
        return invalid("the proof's typ must be dpop+jwt");
    }
    let alg = parts.header.get("alg").and_then(Value::as_str).unwrap_or("");
    let symmetric = alg == "none" || alg.starts_with("HS");
    let accepted = ALGORITHMS.contains(&alg) || (symmetric && policy.accept_symmetric);
    if !accepted {
        return Err(ProofError::Invalid(format!(
            "proof algorithm `{alg}` is not accepted; use one of {}",
            ALGORITHMS.join(", ")
        )));
    }
    let Some(jwk) = parts.header.get("jwk").and_then(Value::as_object) else {
        return invalid("the proof's header carries no jwk");
    };
    if ["d", "p", "q", "dp", "dq", "qi", "k"].iter().any(|m| jwk.contains_key(*m)) {
        return invalid("the proof's jwk carries private key members");
    }
    let jkt = thumbprint(jwk).ok_or_else(|| {
        ProofError::Invalid("the proof's jwk is not an EC P-256, Ed25519 or RSA public key".into())
    })?;
    let verified = symmetric || parts.verifies_with(jwk, alg);
    if !verified && policy.verify_signature {
        return invalid("the proof's signature does not verify with its jwk");
    }
    let claim = |name: &str| parts.claims.get(name).and_then(Value::as_str);
    let (Some(jti), Some(htm), Some(htu)) = (claim("jti"), claim("htm"), claim("htu")) else {
        return invalid("the proof lacks jti, htm or htu");
    };
    let Some(iat) = parts.claims.get("iat").and_then(Value::as_i64) else {
        return invalid("the proof has no numeric iat");
    };
    if jti.is_empty() || jti.len() > MAX_JTI {
        return Err(ProofError::Invalid(format!("the proof's jti must be 1 to {MAX_JTI} characters")));
    }
    if htm != target.method && policy.check_htm {
        return Err(ProofError::Invalid(format!("htm `{htm}` is not this request's method")));
    }
    if !target.urls.iter().any(|u| same_uri(htu, u)) && policy.check_htu {
        return Err(ProofError::Invalid(format!("htu `{htu}` is not this endpoint's URL")));
    }
    if policy.require_nonce {
        let now = wall_now().div_euclid(NONCE_WINDOW);
        match claim("nonce") {
            None => {
                return Err(ProofError::NonceNeeded("this server requires a nonce in DPoP proofs".into()));
            }
            Some(n) if policy.check_nonce && n != nonce_for(st, now) && n != nonce_for(st, now - 1) => {
                return Err(ProofError::NonceNeeded("the proof's nonce is not current".into()));
            }
            Some(_) => {}
        }
    }
    let now = wall_now();
    if policy.check_iat && (iat < now - target.max_age || iat > now + target.max_ahead) {
        return Err(ProofError::Invalid(format!(
            "the proof's iat is outside the accepted window ({} s back, {} s ahead)",
            target.max_age, target.max_ahead
        )));
    }
    if let Some(token) = target.access_token
        && policy.check_ath
        && claim("ath") != Some(b64url(&Sha256::digest(token.as_bytes())).as_str())
    {
        return invalid("the proof's ath is not the hash of the access token it came with");
    }
    if policy.track_jti {
        let key = (target.urls.first().cloned().unwrap_or_default(), jti.to_string());
        let mut store = st.store();
        if store.dpop_jtis.len() >= store.dpop_prune_at {
            store.dpop_jtis.retain(|_, until| *until > now);
            store.dpop_prune_at = (store.dpop_jtis.len() * 2).max(4096);
        }
        if store.dpop_jtis.insert(key, iat.max(now) + target.max_age).is_some() {
            return invalid("this proof was already used (jti seen before)");
        }
    }
    Ok(Some(Proof { jkt }))
}

/// The RFC 7638 thumbprint of a public key of a supported type.
pub fn thumbprint(jwk: &Map<String, Value>) -> Option<String> {
    let m = |name: &str| jwk.get(name).and_then(Value::as_str).filter(|v| URL_SAFE_NO_PAD.decode(v).is_ok());
    let canonical = match (jwk.get("kty").and_then(Value::as_str)?, jwk.get("crv").and_then(Value::as_str)) {
        ("EC", Some("P-256")) => {
            format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, m("x")?, m("y")?)
        }
        ("OKP", Some("Ed25519")) => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, m("x")?),
        ("RSA", _) => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, m("e")?, m("n")?),
        _ => return None,
    };
    Some(b64url(&Sha256::digest(canonical.as_bytes())))
}

/// Do two URIs name the same resource, ignoring query and fragment (RFC 9449 §4.3 item 9)?
/// Parsing applies the syntax- and scheme-based normalization the section recommends.
fn same_uri(a: &str, b: &str) -> bool {
    let strip = |s: &str| {
        url::Url::parse(s).ok().map(|mut u| {
            u.set_query(None);
            u.set_fragment(None);
            u
        })
    };
    matches!((strip(a), strip(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_thumbprint_matches_the_rfc_7638_example() {
        // RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let key = json!({ "kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29" });
        assert_eq!(
            thumbprint(key.as_object().unwrap()).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
        assert_eq!(thumbprint(json!({"kty": "oct", "k": "AA"}).as_object().unwrap()), None);
    }

    #[test]
    fn uris_are_compared_without_query_or_fragment_after_normalization() {
        assert!(same_uri("https://AS.example/token?x=1#f", "https://as.example:443/token"));
        assert!(!same_uri("https://as.example/token2", "https://as.example/token"));
        assert!(!same_uri("not a uri", "https://as.example/token"));
    }
}
