//! `verify_jwt`: decode a JWT, fetch the JWKS, verify the signature, and report header,
//! claims and the verdicts (RFC 9068 §4, RFC 7515) for matchers to judge.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Ctx, StepError};
use crate::engine::agent::Request;

/// Verify a JWT against the server's keys.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VerifyJwt {
    pub token: String,
    /// The JWKS URL; the metadata's `jwks_uri` when unset.
    pub jwks_uri: Option<String>,
}

/// Does the JWS signature of `token` verify with `jwk` under the header's `alg`? `none` is no
/// algorithm here (RFC 7518 §3.6 leaves it to an explicit choice, never a header's), and an
/// HMAC `alg` cannot verify with the public key of an RSA, EC or OKP JWK, so both are refused.
fn verify_signature(token: &str, jwk: &Jwk) -> Result<(), String> {
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable JWK: {e}"))?;
    let alg = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?.alg;
    let mut v = Validation::new(alg);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &key, &v).map(|_| ()).map_err(|e| e.to_string())
}

fn decode_part(part: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?).ok()
}

impl VerifyJwt {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let token = ctx.str(&self.token)?;
        let parts: Vec<&str> = token.split('.').collect();
        let (header, claims) = match parts.as_slice() {
            [h, c, _] => (decode_part(h), decode_part(c)),
            _ => (None, None),
        };
        let is_jwt = header.is_some() && claims.is_some();
        let mut out = json!({
            "is_jwt": is_jwt,
            "header": header.clone().unwrap_or(Value::Null),
            "claims": claims.clone().unwrap_or(Value::Null),
            "signature_valid": false,
            "kid_in_jwks": false,
        });
        if !is_jwt {
            out["error"] = json!("not a JWS compact serialization with a JSON header and payload");
            return Ok(out);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let claims = claims.unwrap_or_default();
        out["expired"] = json!(claims.get("exp").and_then(Value::as_i64).is_none_or(|e| e <= now));
        out["alg"] = header.as_ref().and_then(|h| h.get("alg")).cloned().unwrap_or(Value::Null);
        out["typ"] = header.as_ref().and_then(|h| h.get("typ")).cloned().unwrap_or(Value::Null);

        let jwks_uri = match &self.jwks_uri {
            Some(u) => ctx.str(u)?,
            None => ctx.endpoint("jwks_uri")?,
        };
        let resp = ctx.agent.send(Request::get(jwks_uri)).await?;
        out["jwks_status"] = json!(resp.status);
        let set: Option<JwkSet> = serde_json::from_slice(&resp.body).ok();
        let Some(set) = set else {
            out["error"] = json!("the JWKS is not a valid JWK Set");
            return Ok(out);
        };
        let kid = header.as_ref().and_then(|h| h.get("kid")).and_then(Value::as_str);
        let jwk = match kid {
            Some(k) => set.find(k),
            None if set.keys.len() == 1 => set.keys.first(),
            None => None,
        };
        out["kid_in_jwks"] = json!(jwk.is_some());
        let Some(jwk) = jwk else {
            out["error"] = json!(format!("no key in the JWKS matches kid {kid:?}"));
            return Ok(out);
        };
        match verify_signature(&token, jwk) {
            Ok(()) => out["signature_valid"] = json!(true),
            Err(e) => out["error"] = json!(e),
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    use super::*;

    const ES256_PEM: &str = include_str!("../../../../fixtures/keys/fake-server-signing-es256.pem");
    const EDDSA_PEM: &str = include_str!("../../../../fixtures/keys/fake-server-signing-eddsa.pem");

    /// The public halves of the two fixture keys, as a JWKS would publish them.
    fn jwk(alg: &str) -> Jwk {
        let value = match alg {
            "ES256" => json!({ "kty": "EC", "crv": "P-256", "kid": "e", "use": "sig", "alg": "ES256",
                "x": "fPCUvc_2wx5TCcIxV1vgN8IXtNPbRNzAxcXoLB0L1gg",
                "y": "PJGe4qG7-yQUn9V1FY2OINDLn_mIGYu8krG_XC0SU9s" }),
            _ => json!({ "kty": "OKP", "crv": "Ed25519", "kid": "o", "use": "sig", "alg": "EdDSA",
                "x": "XsY64oVvT7efP0fjuPeqYjIjwg4CwGrHiy6I5jVggyc" }),
        };
        serde_json::from_value(value).unwrap()
    }

    fn signed(alg: Algorithm, key: &EncodingKey) -> String {
        jsonwebtoken::encode(&Header::new(alg), &json!({ "sub": "alice", "exp": 1 }), key).unwrap()
    }

    /// `header.payload.` plus whatever signature, with a header of our own choosing.
    fn with_header(token: &str, header: &Value, signature: &str) -> String {
        let payload = token.split('.').nth(1).unwrap();
        format!("{}.{payload}.{signature}", URL_SAFE_NO_PAD.encode(header.to_string()))
    }

    #[test]
    fn es256_and_eddsa_tokens_verify_with_their_keys_and_not_with_each_other() {
        let es = signed(Algorithm::ES256, &EncodingKey::from_ec_pem(ES256_PEM.as_bytes()).unwrap());
        let ed = signed(Algorithm::EdDSA, &EncodingKey::from_ed_pem(EDDSA_PEM.as_bytes()).unwrap());
        assert_eq!(verify_signature(&es, &jwk("ES256")), Ok(()));
        assert_eq!(verify_signature(&ed, &jwk("EdDSA")), Ok(()));
        assert!(verify_signature(&es, &jwk("EdDSA")).is_err());
        assert!(verify_signature(&ed, &jwk("ES256")).is_err());
        let (input, _) = es.rsplit_once('.').unwrap();
        let (_, other_sig) = ed.rsplit_once('.').unwrap();
        assert!(verify_signature(&format!("{input}.{other_sig}"), &jwk("ES256")).is_err());
    }

    #[test]
    fn alg_none_and_hs256_are_refused_whatever_the_key() {
        let es = signed(Algorithm::ES256, &EncodingKey::from_ec_pem(ES256_PEM.as_bytes()).unwrap());
        let none = with_header(&es, &json!({ "alg": "none", "typ": "JWT" }), "");
        assert!(verify_signature(&none, &jwk("ES256")).is_err());
        // An HMAC keyed with the public key's bytes: the classic key-confusion forgery.
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &json!({ "sub": "mallory" }),
            &EncodingKey::from_secret(b"XsY64oVvT7efP0fjuPeqYjIjwg4CwGrHiy6I5jVggyc"),
        )
        .unwrap();
        for alg in ["ES256", "EdDSA"] {
            assert!(verify_signature(&hs, &jwk(alg)).is_err(), "{alg}");
        }
    }
}
