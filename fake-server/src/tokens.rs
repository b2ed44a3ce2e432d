//! Layer: bottom (depends on nothing in the crate outside its tests).
//! Random credentials, the RSA signing key, JWTs (RFC 9068 access tokens, OIDC ID tokens) and
//! the JWKS that publishes the key.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use rand::RngCore;
use ring::rand::SystemRandom;
use ring::rsa::PublicKeyComponents;
use ring::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A fresh credential: `prefix` followed by `bytes` of OS randomness in base64url.
pub fn random_token(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // A CSPRNG seeded from the OS and reseeded periodically: as unguessable as OsRng, without
    // a system call per credential.
    rand::thread_rng().fill_bytes(&mut buf);
    let mut out = String::with_capacity(prefix.len() + bytes * 4 / 3 + 2);
    out.push_str(prefix);
    B64.encode_string(&buf, &mut out);
    out
}

/// base64url without padding, as JOSE and PKCE use it.
pub fn b64url(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// `BASE64URL(SHA256(verifier))`, the S256 transformation of RFC 7636 §4.2.
pub fn s256(verifier: &str) -> String {
    b64url(&Sha256::digest(verifier.as_bytes()))
}

/// The server's RSA key, ready to sign.
pub struct Signer256 {
    key: RsaKeyPair,
    rng: SystemRandom,
    kid: String,
    n: String,
    e: String,
}

impl std::fmt::Debug for Signer256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer256").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// A signing key that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("signing key is not an RSA private key in PKCS#8 or PKCS#1 PEM")]
pub struct KeyError;

/// The DER inside a PEM document.
fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let body: String =
        pem.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("-----")).collect();
    STANDARD.decode(body).ok()
}

impl Signer256 {
    /// Load an RSA private key from PEM (PKCS#8 or PKCS#1).
    pub fn from_pem(pem: &str) -> Result<Signer256, KeyError> {
        let der = pem_der(pem).ok_or(KeyError)?;
        let key =
            RsaKeyPair::from_pkcs8(&der).or_else(|_| RsaKeyPair::from_der(&der)).map_err(|_| KeyError)?;
        let public: PublicKeyComponents<Vec<u8>> = key.public_key().into();
        let n = b64url(&public.n);
        let e = b64url(&public.e);
        // RFC 7638 thumbprint: the required members in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = b64url(&Sha256::digest(canonical.as_bytes()));
        Ok(Signer256 { key, rng: SystemRandom::new(), kid, n, e })
    }

    /// The public key as a JWK Set (RFC 7517 §5).
    pub fn jwks(&self) -> Value {
        json!({ "keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": self.n, "e": self.e,
        }]})
    }

    /// A compact JWS over `claims` with RS256 and the given `typ`.
    pub fn sign(&self, typ: &str, claims: &Value) -> String {
        let header = json!({ "alg": "RS256", "typ": typ, "kid": self.kid });
        let mut input = b64url(header.to_string().as_bytes());
        input.push('.');
        input.push_str(&b64url(claims.to_string().as_bytes()));
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        // Signing with a valid key into a buffer of the modulus' length cannot fail.
        if self.key.sign(&RSA_PKCS1_SHA256, &self.rng, input.as_bytes(), &mut signature).is_err() {
            signature.clear();
        }
        input.push('.');
        input.push_str(&b64url(&signature));
        input
    }
}

/// Is `s` 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1, §4.2)?
pub fn is_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_SIGNING_KEY_PEM;

    #[test]
    fn s256_matches_the_rfc_7636_appendix_b_example() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn random_tokens_carry_at_least_256_bits_and_differ() {
        let a = random_token("oat_", 32);
        let b = random_token("oat_", 32);
        assert_ne!(a, b);
        assert!(a.starts_with("oat_") && a.len() == 4 + 43, "{a}");
    }

    #[test]
    fn pkce_syntax_accepts_43_to_128_unreserved_characters_only() {
        assert!(is_pkce_value(&"a".repeat(43)));
        assert!(is_pkce_value(&"~".repeat(128)));
        assert!(!is_pkce_value(&"a".repeat(42)));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(43))));
    }

    #[test]
    fn signed_tokens_have_three_parts_and_the_published_kid() {
        let signer = Signer256::from_pem(DEFAULT_SIGNING_KEY_PEM).unwrap();
        let jwt = signer.sign("at+jwt", &json!({"sub": "x"}));
        let parts: Vec<_> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["kid"], signer.jwks()["keys"][0]["kid"]);
        assert_eq!(header["typ"], "at+jwt");
    }
}
