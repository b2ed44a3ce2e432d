//! `verify_jwt`: decode a JWT, fetch the JWKS, verify the signature, and report header,
//! claims and the verdicts (RFC 9068 §4, RFC 7515) for matchers to judge.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
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
        let verdict = (|| -> Result<(), String> {
            let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable JWK: {e}"))?;
            let alg = jsonwebtoken::decode_header(&token).map_err(|e| e.to_string())?.alg;
            let mut v = Validation::new(alg);
            v.validate_exp = false;
            v.validate_aud = false;
            v.required_spec_claims.clear();
            jsonwebtoken::decode::<Value>(&token, &key, &v).map(|_| ()).map_err(|e| e.to_string())
        })();
        match verdict {
            Ok(()) => out["signature_valid"] = json!(true),
            Err(e) => out["error"] = json!(e),
        }
        Ok(out)
    }
}
