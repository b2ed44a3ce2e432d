//! DPoP proofs (RFC 9449 §4) for `token` and `resource` steps: the scenario's keys, proofs
//! with any claim bent on purpose, and the nonce retry of §8 and §9 that real clients make.
//!
//! A step with `dpop = {}` sends a fresh proof made with the scenario's key `k` (made on first
//! use: ES256, or EdDSA when the server lists only that); the step's result then holds
//! `dpop = { proof, jkt, jti, nonce_retried, first }` for later steps and expectations.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Ctx, StepError};
use crate::engine::agent::{Request, Response};

/// How a step's DPoP proof is made; every field bends one thing on purpose.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DpopSpec {
    /// The scenario's name for the key (`k` when unset); a key is made on its first use.
    pub key: Option<String>,
    /// `ES256` or `EdDSA` for a new key; `HS256` or `none` send a proof the server must refuse
    /// (an HMAC over the proof with a made-up secret, or no signature).
    pub alg: Option<String>,
    /// Sign with this other key while the header shows `key`'s public key.
    pub sign_with: Option<String>,
    pub typ: Option<String>,
    pub htm: Option<String>,
    pub htu: Option<String>,
    /// Seconds added to the current time for `iat`.
    pub iat_offset: Option<i64>,
    pub jti: Option<String>,
    /// `ath` as given, instead of the hash of the step's token.
    pub ath: Option<String>,
    pub nonce: Option<String>,
    /// Send this proof unchanged (a replay of an earlier step's `{t.dpop.proof}`).
    pub proof: Option<String>,
    /// Retry once with the server's nonce after `use_dpop_nonce` (the default).
    pub retry_nonce: Option<bool>,
}

/// The scenario's DPoP keys and the nonces servers gave, by endpoint.
#[derive(Debug, Default)]
pub struct DpopState {
    keys: BTreeMap<String, Key>,
    nonces: BTreeMap<String, String>,
}

#[derive(Debug)]
enum Key {
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

impl Key {
    fn new(alg: &str) -> Result<Key, StepError> {
        let rng = SystemRandom::new();
        let failed = || StepError::Prerequisite("could not make a DPoP key".into());
        if alg == "EdDSA" {
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| failed())?;
            return Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map(Key::Ed).map_err(|_| failed());
        }
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).map_err(|_| failed())?;
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map(Key::Ec)
            .map_err(|_| failed())
    }

    fn alg(&self) -> &'static str {
        match self {
            Key::Ec(_) => "ES256",
            Key::Ed(_) => "EdDSA",
        }
    }

    /// The public key as a JWK, members in RFC 7638 order so that it is also the thumbprint input.
    fn jwk(&self) -> Value {
        match self {
            Key::Ec(pair) => {
                let point = pair.public_key().as_ref();
                let (x, y) = (point.get(1..33).unwrap_or_default(), point.get(33..65).unwrap_or_default());
                json!({ "crv": "P-256", "kty": "EC", "x": B64.encode(x), "y": B64.encode(y) })
            }
            Key::Ed(pair) => json!({ "crv": "Ed25519", "kty": "OKP", "x": B64.encode(pair.public_key()) }),
        }
    }

    fn sign(&self, input: &[u8]) -> Vec<u8> {
        match self {
            Key::Ec(pair) => {
                pair.sign(&SystemRandom::new(), input).map(|s| s.as_ref().to_vec()).unwrap_or_default()
            }
            Key::Ed(pair) => pair.sign(input).as_ref().to_vec(),
        }
    }
}

/// The RFC 7638 thumbprint of one of our JWKs (serde_json keeps object members sorted, which
/// is the order the thumbprint needs).
fn thumbprint(jwk: &Value) -> String {
    B64.encode(Sha256::digest(jwk.to_string().as_bytes()))
}

/// The thumbprint of the scenario's key `name`, made now if it is new (for `dpop_jkt`).
pub fn thumbprint_of(ctx: &mut Ctx<'_>, name: &str) -> Result<String, StepError> {
    DpopSpec::default().ensure_key(ctx, name)?;
    let key =
        ctx.dpop.keys.get(name).ok_or_else(|| StepError::Prerequisite("the DPoP key is missing".into()))?;
    Ok(thumbprint(&key.jwk()))
}

/// `BASE64URL(SHA-256(token))`, the `ath` of RFC 9449 §4.2.
pub fn token_hash(token: &str) -> String {
    B64.encode(Sha256::digest(token.as_bytes()))
}

impl DpopSpec {
    /// The algorithm of a new key: as asked, else ES256 unless the server lists only EdDSA.
    fn key_alg(&self, ctx: &Ctx<'_>) -> &'static str {
        match self.alg.as_deref() {
            Some("EdDSA") => "EdDSA",
            Some(_) => "ES256",
            None => {
                let listed =
                    ctx.env.metadata.get("dpop_signing_alg_values_supported").and_then(Value::as_array);
                let lists = |a: &str| listed.is_some_and(|l| l.iter().any(|v| v.as_str() == Some(a)));
                if !lists("ES256") && lists("EdDSA") { "EdDSA" } else { "ES256" }
            }
        }
    }

    fn ensure_key(&self, ctx: &mut Ctx<'_>, name: &str) -> Result<(), StepError> {
        if !ctx.dpop.keys.contains_key(name) {
            let key = Key::new(self.key_alg(ctx))?;
            ctx.dpop.keys.insert(name.to_string(), key);
        }
        Ok(())
    }

    /// A proof for `method` on `url` (query and fragment dropped, RFC 9449 §4.2), with `ath`
    /// for `token`, and what the step's result says of it.
    fn make(
        &self,
        ctx: &mut Ctx<'_>,
        method: &str,
        url: &str,
        token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<(String, Value), StepError> {
        let name = ctx.opt(&self.key)?.unwrap_or_else(|| "k".into());
        self.ensure_key(ctx, &name)?;
        let signer_name = ctx.opt(&self.sign_with)?.unwrap_or_else(|| name.clone());
        self.ensure_key(ctx, &signer_name)?;
        let (Some(key), Some(signer)) = (ctx.dpop.keys.get(&name), ctx.dpop.keys.get(&signer_name)) else {
            return Err(StepError::Prerequisite("the DPoP key is missing".into()));
        };
        let jwk = key.jwk();
        let jkt = thumbprint(&jwk);
        let alg = match self.alg.as_deref() {
            Some(a @ ("HS256" | "none")) => a.to_string(),
            _ => signer.alg().to_string(),
        };
        let mut htu = match &self.htu {
            Some(h) => ctx.str(h)?,
            None => url.to_string(),
        };
        if let Ok(mut u) = url::Url::parse(&htu) {
            u.set_query(None);
            u.set_fragment(None);
            htu = u.into();
        }
        let mut random = [0u8; 18];
        SystemRandom::new().fill(&mut random).map_err(|_| StepError::Prerequisite("no randomness".into()))?;
        let jti = ctx.opt(&self.jti)?.unwrap_or_else(|| B64.encode(random));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let mut claims = json!({
            "jti": jti,
            "htm": ctx.opt(&self.htm)?.unwrap_or_else(|| method.to_string()),
            "htu": htu,
            "iat": now + self.iat_offset.unwrap_or(0),
        });
        let ath = match &self.ath {
            Some(a) => Some(ctx.str(a)?),
            None => token.map(token_hash),
        };
        if let Some(a) = ath {
            claims["ath"] = json!(a);
        }
        let nonce = match &self.nonce {
            Some(n) => Some(ctx.str(n)?),
            None => nonce.map(str::to_string),
        };
        if let Some(n) = &nonce {
            claims["nonce"] = json!(n);
        }
        let typ = ctx.opt(&self.typ)?.unwrap_or_else(|| "dpop+jwt".into());
        let header = json!({ "typ": typ, "alg": alg, "jwk": jwk });
        let input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
        let signature = match alg.as_str() {
            "none" => Vec::new(),
            "HS256" => {
                let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"a secret both sides would share");
                ring::hmac::sign(&k, input.as_bytes()).as_ref().to_vec()
            }
            _ => signer.sign(input.as_bytes()),
        };
        let proof = format!("{input}.{}", B64.encode(signature));
        let mut info = json!({ "proof": proof, "jkt": jkt, "jti": jti, "alg": alg });
        if let Some(n) = nonce {
            info["nonce"] = json!(n);
        }
        Ok((proof, info))
    }

    /// Send `req` with a proof (made for its method and URL, or `proof` as given) and, after a
    /// `use_dpop_nonce` answer with a `DPoP-Nonce`, once more with a new proof carrying it, as
    /// RFC 9449 §8 and §9 have clients do. The second value is the result's `dpop` member.
    pub async fn send(
        &self,
        ctx: &mut Ctx<'_>,
        req: Request,
        token: Option<&str>,
    ) -> Result<(Response, Value), StepError> {
        let method = req.method.as_str().to_string();
        let endpoint = endpoint_of(&req.url);
        if let Some(p) = &self.proof {
            let proof = ctx.str(p)?;
            let resp = ctx.agent.send(req.header("dpop", proof.clone())).await?;
            remember_nonce(ctx, &endpoint, &resp);
            return Ok((resp, json!({ "proof": proof, "nonce_retried": false })));
        }
        let known = ctx.dpop.nonces.get(&endpoint).cloned();
        let (proof, mut info) = self.make(ctx, &method, &req.url, token, known.as_deref())?;
        let first = ctx.agent.send(req.clone().header("dpop", proof)).await?;
        remember_nonce(ctx, &endpoint, &first);
        let retry = self.retry_nonce.unwrap_or(true) && self.nonce.is_none() && self.jti.is_none();
        let fresh = first.header("dpop-nonce").map(str::to_string);
        match fresh {
            Some(nonce) if retry && asks_for_nonce(&first) => {
                let (proof, retried) = self.make(ctx, &method, &req.url, token, Some(&nonce))?;
                let resp = ctx.agent.send(req.header("dpop", proof)).await?;
                remember_nonce(ctx, &endpoint, &resp);
                info = retried;
                info["nonce_retried"] = json!(true);
                info["first"] = json!({ "status": first.status, "error": error_of(&first) });
                Ok((resp, info))
            }
            _ => {
                info["nonce_retried"] = json!(false);
                Ok((first, info))
            }
        }
    }
}

/// The URL without query and fragment: nonces are kept per endpoint.
fn endpoint_of(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_string()
}

fn remember_nonce(ctx: &mut Ctx<'_>, endpoint: &str, resp: &Response) {
    if let Some(n) = resp.header("dpop-nonce") {
        ctx.dpop.nonces.insert(endpoint.to_string(), n.to_string());
    }
}

/// The OAuth error of a response: the JSON `error` (token endpoint) or the challenge's
/// `error` attribute (resource).
fn error_of(resp: &Response) -> Value {
    if let Some(e) = resp.json().and_then(|j| j.get("error").cloned()) {
        return e;
    }
    super::resource::parse_challenge(resp.header("www-authenticate").unwrap_or(""))["error"].clone()
}

fn asks_for_nonce(resp: &Response) -> bool {
    matches!(resp.status, 400 | 401) && error_of(resp).as_str() == Some("use_dpop_nonce")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_are_written_in_thumbprint_order() {
        let key = Key::new("ES256").unwrap();
        let text = key.jwk().to_string();
        assert!(text.starts_with(r#"{"crv":"P-256","kty":"EC","x":""#), "{text}");
        let ed = Key::new("EdDSA").unwrap().jwk().to_string();
        assert!(ed.starts_with(r#"{"crv":"Ed25519","kty":"OKP","x":""#), "{ed}");
    }

    #[test]
    fn the_token_hash_is_base64url_sha256() {
        // SHA-256 of the empty string.
        assert_eq!(token_hash(""), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
        assert_eq!(endpoint_of("https://h/t?x=1#y"), "https://h/t");
    }
}
