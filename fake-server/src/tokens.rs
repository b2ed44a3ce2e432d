//! Layer: bottom (depends on config only, for the algorithm names and the embedded keys).
//! Random credentials, the signing keys (RS256, ES256, EdDSA), JWTs (RFC 9068 access tokens,
//! OIDC ID tokens) and the JWKS that publishes the keys.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use rand::RngCore;
use ring::rand::SystemRandom;
use ring::rsa::PublicKeyComponents;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::JwtAlg;
#[cfg(test)]
use crate::config::{DEFAULT_EDDSA_KEY_PEM, DEFAULT_ES256_KEY_PEM, DEFAULT_SIGNING_KEY_PEM};

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

/// One private key and what the JWKS says of it.
struct Key {
    alg: JwtAlg,
    kid: String,
    jwk: Value,
    pair: Pair,
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// The server's signing keys, one per algorithm it offers ([`JwtAlg::ALL`]), ready to sign.
pub struct Signer {
    keys: Vec<Key>,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<(&str, &str)> = self.keys.iter().map(|k| (k.alg.name(), k.kid.as_str())).collect();
        f.debug_struct("Signer").field("kids", &kids).finish_non_exhaustive()
    }
}

/// A signing key that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the {0} signing key is not {1} in PEM")]
pub struct KeyError(JwtAlg, &'static str);

/// The DER inside a PEM document.
fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let body: String =
        pem.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("-----")).collect();
    STANDARD.decode(body).ok()
}

/// The RFC 7638 thumbprint of a JWK given as its required members in lexicographic order.
fn thumbprint(canonical: &str) -> String {
    b64url(&Sha256::digest(canonical.as_bytes()))
}

impl Signer {
    /// Load the RSA (PKCS#8 or PKCS#1), P-256 (PKCS#8) and Ed25519 (PKCS#8) private keys.
    pub fn from_pems(rsa: &str, es256: &str, eddsa: &str) -> Result<Signer, KeyError> {
        let rng = SystemRandom::new();
        let rsa_error = || KeyError(JwtAlg::Rs256, "an RSA private key in PKCS#8 or PKCS#1");
        let der = pem_der(rsa).ok_or_else(rsa_error)?;
        let pair =
            RsaKeyPair::from_pkcs8(&der).or_else(|_| RsaKeyPair::from_der(&der)).map_err(|_| rsa_error())?;
        let public: PublicKeyComponents<Vec<u8>> = pair.public_key().into();
        let (n, e) = (b64url(&public.n), b64url(&public.e));
        let kid = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
        let jwk = json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e });
        let mut keys = vec![Key { alg: JwtAlg::Rs256, kid, jwk, pair: Pair::Rsa(pair) }];

        let ec_error = || KeyError(JwtAlg::Es256, "a P-256 private key in PKCS#8");
        let der = pem_der(es256).ok_or_else(ec_error)?;
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng).map_err(|_| ec_error())?;
        // An uncompressed point: 0x04, then x and y of 32 bytes each (SEC 1 §2.3.3).
        let point = pair.public_key().as_ref();
        let (Some(x), Some(y)) = (point.get(1..33), point.get(33..65)) else { return Err(ec_error()) };
        let (x, y) = (b64url(x), b64url(y));
        let kid = thumbprint(&format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#));
        let jwk =
            json!({ "kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256", "x": x, "y": y });
        keys.push(Key { alg: JwtAlg::Es256, kid, jwk, pair: Pair::Ec(pair) });

        let ed_error = || KeyError(JwtAlg::EdDsa, "an Ed25519 private key in PKCS#8");
        let der = pem_der(eddsa).ok_or_else(ed_error)?;
        // OpenSSL writes PKCS#8 v1, without the public key; ring derives it.
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(|_| ed_error())?;
        let x = b64url(pair.public_key().as_ref());
        let kid = thumbprint(&format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#));
        let jwk = json!({ "kty": "OKP", "use": "sig", "alg": "EdDSA", "kid": kid, "crv": "Ed25519", "x": x });
        keys.push(Key { alg: JwtAlg::EdDsa, kid, jwk, pair: Pair::Ed(pair) });
        Ok(Signer { keys, rng })
    }

    /// The embedded keys of `fixtures/keys/`.
    #[cfg(test)]
    pub fn embedded() -> Result<Signer, KeyError> {
        Signer::from_pems(DEFAULT_SIGNING_KEY_PEM, DEFAULT_ES256_KEY_PEM, DEFAULT_EDDSA_KEY_PEM)
    }

    /// The public keys as a JWK Set (RFC 7517 §5), the RSA key first.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// A compact JWS over `claims` with `alg` and the given `typ`.
    pub fn sign(&self, alg: JwtAlg, typ: &str, claims: &Value) -> String {
        let Some(key) = self.keys.iter().find(|k| k.alg == alg) else { return String::new() };
        let header = json!({ "alg": alg.name(), "typ": typ, "kid": key.kid });
        let mut input = b64url(header.to_string().as_bytes());
        input.push('.');
        input.push_str(&b64url(claims.to_string().as_bytes()));
        // Signing with a loaded key cannot fail short of the system RNG failing; the token
        // then carries an empty signature, which no verifier accepts.
        let signature = match &key.pair {
            Pair::Rsa(pair) => {
                let mut out = vec![0u8; pair.public().modulus_len()];
                match pair.sign(&RSA_PKCS1_SHA256, &self.rng, input.as_bytes(), &mut out) {
                    Ok(()) => out,
                    Err(_) => Vec::new(),
                }
            }
            // The fixed-length form, R then S, is what JWS uses (RFC 7518 §3.4).
            Pair::Ec(pair) => {
                pair.sign(&self.rng, input.as_bytes()).map(|s| s.as_ref().to_vec()).unwrap_or_default()
            }
            Pair::Ed(pair) => pair.sign(input.as_bytes()).as_ref().to_vec(),
        };
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
    fn signed_tokens_have_three_parts_and_the_published_kid_of_their_alg() {
        let signer = Signer::embedded().unwrap();
        let jwks = signer.jwks();
        for (i, alg) in JwtAlg::ALL.into_iter().enumerate() {
            let jwt = signer.sign(alg, "at+jwt", &json!({"sub": "x"}));
            let parts: Vec<_> = jwt.split('.').collect();
            assert_eq!(parts.len(), 3);
            let header: Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
            assert_eq!(header["alg"], alg.name());
            assert_eq!(header["kid"], jwks["keys"][i]["kid"]);
            assert_eq!(jwks["keys"][i]["alg"], alg.name());
            assert_eq!(header["typ"], "at+jwt");
            let signature = B64.decode(parts[2]).unwrap();
            assert_eq!(signature.len(), if alg == JwtAlg::Rs256 { 256 } else { 64 }, "{alg}");
        }
    }

    #[test]
    fn ec_and_ed25519_signatures_verify_with_the_published_public_keys() {
        use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, UnparsedPublicKey};
        let signer = Signer::embedded().unwrap();
        let jwks = signer.jwks();
        let member = |i: usize, m: &str| B64.decode(jwks["keys"][i][m].as_str().unwrap()).unwrap();
        let mut point = vec![4u8];
        point.extend(member(1, "x"));
        point.extend(member(1, "y"));
        for (alg, algorithm, public) in [
            (JwtAlg::Es256, &ECDSA_P256_SHA256_FIXED as &dyn ring::signature::VerificationAlgorithm, point),
            (JwtAlg::EdDsa, &ED25519, member(2, "x")),
        ] {
            let jwt = signer.sign(alg, "JWT", &json!({"sub": "x"}));
            let (input, sig) = jwt.rsplit_once('.').unwrap();
            let key = UnparsedPublicKey::new(algorithm, &public);
            assert!(key.verify(input.as_bytes(), &B64.decode(sig).unwrap()).is_ok(), "{alg}");
            assert!(key.verify(b"other input", &B64.decode(sig).unwrap()).is_err(), "{alg}");
        }
    }

    #[test]
    fn each_key_has_its_own_kid_and_a_key_of_the_wrong_kind_is_named_in_the_error() {
        let signer = Signer::embedded().unwrap();
        let jwks = signer.jwks();
        let kids: std::collections::BTreeSet<&str> =
            (0..3).filter_map(|i| jwks["keys"][i]["kid"].as_str()).collect();
        assert_eq!(kids.len(), 3);
        let err = Signer::from_pems(DEFAULT_SIGNING_KEY_PEM, DEFAULT_SIGNING_KEY_PEM, DEFAULT_EDDSA_KEY_PEM)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ES256") && err.contains("P-256"), "{err}");
    }
}
