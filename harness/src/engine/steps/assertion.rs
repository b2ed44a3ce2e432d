//! `private_key_jwt` client authentication (RFC 7523 §2.2): the harness's signing keys and the
//! client assertions it makes with them.
//!
//! Each run has two ES256 keys made at start: `registered`, whose public half scenarios
//! register as a client's `jwks` (the global `assertion_jwks`), and `stranger`, which no server
//! has seen (to prove signatures are checked).

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Ctx, StepError};

/// The `client_assertion_type` of RFC 7523 §2.2.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How to make an assertion; every claim can be broken on purpose.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AssertionSpec {
    /// `aud`: a string or a list; default the issuer identifier (RFC 10070).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Value>,
    /// Seconds from now until `exp` (negative: already expired); default 120.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp_in: Option<i64>,
    /// `registered` (default) or `stranger`, a key no server knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<AssertionKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// A fixed `jti` (to replay an assertion); default random.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// Which key signs a client assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssertionKey {
    /// The key whose public half the client registered (`{assertion_jwks}`).
    Registered,
    /// A key no server knows: its signature must not verify.
    Stranger,
}

struct SigningKey {
    pair: EcdsaKeyPair,
    kid: &'static str,
}

impl SigningKey {
    fn generate(kid: &'static str) -> Option<SigningKey> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).ok()?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).ok()?;
        Some(SigningKey { pair, kid })
    }

    fn public_jwk(&self) -> Value {
        // An uncompressed P-256 point: 0x04, then x and y, 32 bytes each.
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        })
    }

    fn sign(&self, typ: &str, claims: &Value) -> Result<String, StepError> {
        let header = json!({ "alg": "ES256", "typ": typ, "kid": self.kid });
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let input = format!("{}.{}", part(&header), part(claims));
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|_| StepError::Prerequisite("signing a JWT failed".into()))?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())))
    }
}

struct Keys {
    registered: SigningKey,
    stranger: SigningKey,
}

fn keys() -> Result<&'static Keys, StepError> {
    static KEYS: OnceLock<Option<Keys>> = OnceLock::new();
    KEYS.get_or_init(|| {
        Some(Keys {
            registered: SigningKey::generate("oauth-conformance-1")?,
            stranger: SigningKey::generate("oauth-conformance-1")?,
        })
    })
    .as_ref()
    .ok_or_else(|| StepError::Prerequisite("no signing key could be generated".into()))
}

/// The public key set scenarios register for `private_key_jwt` clients (`{assertion_jwks}`).
pub fn public_jwks() -> Value {
    keys().map_or(Value::Null, |k| json!({ "keys": [k.registered.public_jwk()] }))
}

/// A signed client assertion for `client_id`, with the claims RFC 7523 §3 asks for.
pub fn make(ctx: &Ctx<'_>, client_id: &str, spec: Option<&AssertionSpec>) -> Result<String, StepError> {
    let spec = spec.cloned().unwrap_or_default();
    let keys = keys()?;
    let key = match spec.key.unwrap_or(AssertionKey::Registered) {
        AssertionKey::Registered => &keys.registered,
        AssertionKey::Stranger => &keys.stranger,
    };
    let aud = match &spec.aud {
        // The issuer the run was pointed at: the identifier the client trusts (RFC 8414 §3.3
        // makes the metadata repeat it, which is checked elsewhere).
        None => json!(ctx.env.issuer),
        Some(Value::String(s)) => ctx.value(s)?,
        Some(Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => ctx.value(s),
                    other => Ok(other.clone()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(other) => other.clone(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let jti = match &spec.jti {
        Some(j) => ctx.str(j)?,
        None => crate::engine::template::random_text(24),
    };
    let claims = json!({
        "iss": ctx.opt(&spec.iss)?.unwrap_or_else(|| client_id.to_string()),
        "sub": ctx.opt(&spec.sub)?.unwrap_or_else(|| client_id.to_string()),
        "aud": aud,
        "jti": jti,
        "iat": now,
        "exp": now.saturating_add(spec.exp_in.unwrap_or(120)),
    });
    key.sign("JWT", &claims)
}

/// Any claims, signed with one of the run's keys under the given `typ` (the `sign` step).
pub fn sign(key: AssertionKey, typ: &str, claims: &Value) -> Result<String, StepError> {
    let keys = keys()?;
    match key {
        AssertionKey::Registered => keys.registered.sign(typ, claims),
        AssertionKey::Stranger => keys.stranger.sign(typ, claims),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registered_key_set_holds_one_public_p256_key() {
        let jwks = public_jwks();
        let key = &jwks["keys"][0];
        assert_eq!((key["kty"].as_str(), key["crv"].as_str()), (Some("EC"), Some("P-256")));
        assert!(key.get("d").is_none(), "no private member");
        assert_eq!(URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap().len(), 32);
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_made_jwt_carries_the_asked_typ_and_the_stranger_key_is_not_the_registered_one() {
        let jwt = sign(AssertionKey::Stranger, "oauth-id-jag+jwt", &json!({"iss": "i"})).unwrap();
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!(header["typ"], "oauth-id-jag+jwt");
        let k = keys().unwrap();
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let registered = k.registered.pair.public_key().as_ref().to_vec();
        let verifies =
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, registered)
                .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
                .is_ok();
        assert!(!verifies, "signed with the stranger's key");
    }

    #[test]
    fn signatures_verify_with_the_published_point() {
        let k = keys().unwrap();
        let jwt = k.registered.sign("JWT", &json!({"iss": "c"})).unwrap();
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let point = k.registered.pair.public_key().as_ref().to_vec();
        let verify = |p: &[u8]| {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, p)
                .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
                .is_ok()
        };
        assert!(verify(&point));
        assert!(!verify(k.stranger.pair.public_key().as_ref()), "the stranger's key is another key");
    }
}
