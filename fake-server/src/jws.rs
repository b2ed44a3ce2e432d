//! Layer: bottom (depends on nothing in the crate).
//! Compact JWS (RFC 7515 §7.1) that others send the server: client assertions, DPoP proofs,
//! ID-JAGs and the ID tokens offered as subject tokens. One place splits them without trusting
//! them and verifies a signature with one JWK (RS256, PS256, ES256, EdDSA).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value};

/// A compact JWS split into its parts, not yet trusted.
#[derive(Debug)]
pub struct Jws {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl Jws {
    /// A non-empty string claim.
    pub fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    /// A string member of the header.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    pub fn typ(&self) -> Option<&str> {
        self.header_str("typ")
    }

    /// Does the signature verify with `jwk` under `alg`?
    pub fn verifies_with(&self, jwk: &Map<String, Value>, alg: &str) -> bool {
        verify(jwk, alg, self.signing_input.as_bytes(), &self.signature)
    }

    /// Does the signature verify, under the header's `alg`, with a key of `jwks` (the one its
    /// `kid` names, when it names one)?
    pub fn signed_by(&self, jwks: &Value) -> bool {
        let alg = self.header_str("alg").unwrap_or("");
        let kid = self.header_str("kid");
        let keys = jwks.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        keys.iter()
            .filter(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)
            .filter_map(Value::as_object)
            .any(|k| self.verifies_with(k, alg))
    }
}

/// Split `jwt` into header, claims and signature; `what` names it in errors ("the DPoP
/// proof"), and nothing longer than `max_len` bytes is decoded.
pub fn decode(jwt: &str, what: &str, max_len: usize) -> Result<Jws, String> {
    if jwt.len() > max_len {
        return Err(format!("{what} is longer than {max_len} bytes"));
    }
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(format!("{what} is not a signed JWT (three dot-separated parts)"));
    };
    let object = |part: &str, name: &str| -> Result<Map<String, Value>, String> {
        let bytes =
            URL_SAFE_NO_PAD.decode(part).map_err(|_| format!("the {name} of {what} is not base64url"))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(format!("the {name} of {what} is not a JSON object")),
        }
    };
    let header = object(h, "header")?;
    let claims = object(c, "claims")?;
    let signature =
        URL_SAFE_NO_PAD.decode(s).map_err(|_| format!("the signature of {what} is not base64url"))?;
    Ok(Jws { header, claims, signing_input: format!("{h}.{c}"), signature })
}

/// Does `sig` over `message` verify with `jwk` under `alg`? The key's type (and curve) must be
/// the algorithm's; anything else is `false`.
pub fn verify(jwk: &Map<String, Value>, alg: &str, message: &[u8], sig: &[u8]) -> bool {
    let member =
        |name: &str| jwk.get(name).and_then(Value::as_str).and_then(|v| URL_SAFE_NO_PAD.decode(v).ok());
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    match (alg, text("kty"), text("crv")) {
        ("ES256", Some("EC"), Some("P-256")) => {
            let (Some(x), Some(y)) = (member("x"), member("y")) else { return false };
            if x.len() != 32 || y.len() != 32 {
                return false;
            }
            let point: Vec<u8> = [&[4u8][..], &x, &y].concat();
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).verify(message, sig).is_ok()
        }
        ("EdDSA", Some("OKP"), Some("Ed25519")) => {
            let Some(x) = member("x") else { return false };
            UnparsedPublicKey::new(&signature::ED25519, x).verify(message, sig).is_ok()
        }
        ("RS256" | "PS256", Some("RSA"), _) => {
            let (Some(n), Some(e)) = (member("n"), member("e")) else { return false };
            let params: &signature::RsaParameters = if alg == "RS256" {
                &signature::RSA_PKCS1_2048_8192_SHA256
            } else {
                &signature::RSA_PSS_2048_8192_SHA256
            };
            RsaPublicKeyComponents { n: &n, e: &e }.verify(params, message, sig).is_ok()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn malformed_tokens_are_refused_with_a_reason_naming_them() {
        assert!(decode("a.b", "the proof", 100).unwrap_err().contains("three"));
        assert!(decode("!.e30.", "the proof", 100).unwrap_err().contains("header of the proof"));
        assert!(decode("e30.!.", "the proof", 100).unwrap_err().contains("claims"));
        assert!(decode(&"x".repeat(101), "the proof", 100).unwrap_err().contains("longer"));
        let ok = decode("eyJ0eXAiOiJKV1QifQ.eyJpc3MiOiJjIiwianRpIjoiIn0.AA", "the proof", 100).unwrap();
        assert_eq!((ok.typ(), ok.str_claim("iss"), ok.str_claim("jti")), (Some("JWT"), Some("c"), None));
    }

    #[test]
    fn a_key_of_another_type_or_curve_verifies_nothing() {
        let jwk = |v: Value| v.as_object().cloned().unwrap_or_default();
        let ec = jwk(json!({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}));
        assert!(!verify(&ec, "ES256", b"m", b"s"));
        let okp = jwk(json!({"kty": "OKP", "crv": "Ed25519", "x": "AA"}));
        assert!(!verify(&okp, "ES256", b"m", b"s") && !verify(&okp, "HS256", b"m", b"s"));
    }
}
