//! What a published JWK Set must hold (RFC 7517, RFC 7518, RFC 8037): keys that parse as
//! usable keys of their type, distinct `kid`s, nothing private, and `kty`, `alg`, `use` and
//! `key_ops` that agree. The rules judge a parsed JSON value; a failed rule names the key.
//!
//! Layer: engine; imports nothing else from the crate; never the render or commands layers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One rule of the `jwks` expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JwksRule {
    /// A `keys` array whose every member is a JWK with a `kty`, and the members its type
    /// requires, in base64url (RFC 7517 §4, §5; RFC 7518 §6; RFC 8037 §2); RSA moduli of at
    /// least 2048 bits (RFC 7518 §3.3, §4.2).
    Parses,
    /// No two keys of one key type share a `kid` (RFC 7517 §4.5).
    DistinctKid,
    /// No private or symmetric key material: `d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`
    /// (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
    Public,
    /// `alg` fits `kty` and `use`; `key_ops` fits `use`; with both signing and encryption keys,
    /// every key names its `use` (RFC 7517 §4.2–§4.4; OpenID Connect Discovery §3).
    Consistent,
}

impl JwksRule {
    pub fn name(self) -> &'static str {
        match self {
            JwksRule::Parses => "parses",
            JwksRule::DistinctKid => "distinct-kid",
            JwksRule::Public => "public",
            JwksRule::Consistent => "consistent",
        }
    }

    /// What the rule expects, in words.
    pub fn expected(self) -> &'static str {
        match self {
            JwksRule::Parses => "a JWK Set whose every key parses as a usable key of its type",
            JwksRule::DistinctKid => "a distinct `kid` for every key of a key type",
            JwksRule::Public => "public keys only (no d, p, q, dp, dq, qi, oth or k)",
            JwksRule::Consistent => "kty, alg, use and key_ops that agree",
        }
    }

    /// The first violation in `set`, described; `None` when the rule holds.
    pub fn violation(self, set: Option<&Value>) -> Option<String> {
        let Some(keys) = set.and_then(|s| s.get("keys")).and_then(Value::as_array) else {
            return Some(match set {
                None | Some(Value::Null) => "no JSON body".into(),
                Some(_) => "no `keys` array".into(),
            });
        };
        let keys: Vec<(usize, &Map<String, Value>)> =
            match keys.iter().enumerate().try_fold(Vec::new(), |mut acc, (i, k)| match k.as_object() {
                Some(o) => {
                    acc.push((i, o));
                    Ok(acc)
                }
                None => Err(format!("key {i} is not a JSON object")),
            }) {
                Ok(k) => k,
                Err(e) => return Some(e),
            };
        match self {
            JwksRule::Parses => {
                keys.iter().find_map(|(i, k)| parse_problem(k).map(|p| format!("key {}: {p}", label(*i, k))))
            }
            JwksRule::DistinctKid => {
                let mut seen: Vec<(&str, &str)> = Vec::new();
                for (i, k) in &keys {
                    let (Some(kid), kty) = (text(k, "kid"), text(k, "kty").unwrap_or("")) else { continue };
                    if seen.contains(&(kty, kid)) {
                        return Some(format!("key {i}: `kid` {kid:?} is used by another {kty} key"));
                    }
                    seen.push((kty, kid));
                }
                None
            }
            JwksRule::Public => keys.iter().find_map(|(i, k)| {
                let private: Vec<&str> =
                    PRIVATE_MEMBERS.iter().copied().filter(|m| k.contains_key(*m)).collect();
                (!private.is_empty()).then(|| {
                    format!("key {} publishes private members: {}", label(*i, k), private.join(", "))
                })
            }),
            JwksRule::Consistent => {
                if let Some(p) = keys
                    .iter()
                    .find_map(|(i, k)| consistency_problem(k).map(|p| format!("key {}: {p}", label(*i, k))))
                {
                    return Some(p);
                }
                let uses = |u: &str| keys.iter().any(|(_, k)| text(k, "use") == Some(u));
                if uses("sig") && uses("enc") {
                    return keys.iter().find(|(_, k)| !k.contains_key("use")).map(|(i, k)| {
                        format!("key {} has no `use` in a set of signing and encryption keys", label(*i, k))
                    });
                }
                None
            }
        }
    }
}

const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn text<'a>(k: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    k.get(name).and_then(Value::as_str)
}

/// `0 (kid "abc")` or `0`.
fn label(i: usize, k: &Map<String, Value>) -> String {
    match text(k, "kid") {
        Some(kid) => format!("{i} (kid {kid:?})"),
        None => i.to_string(),
    }
}

/// The decoded bytes of a base64url member, or why there are none.
fn bytes(k: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let Some(v) = k.get(name) else { return Err(format!("no `{name}`")) };
    let Some(s) = v.as_str() else { return Err(format!("`{name}` is not a string")) };
    match URL_SAFE_NO_PAD.decode(s) {
        Ok(b) if !b.is_empty() => Ok(b),
        Ok(_) => Err(format!("`{name}` is empty")),
        Err(_) => Err(format!("`{name}` is not base64url without padding")),
    }
}

fn parse_problem(k: &Map<String, Value>) -> Option<String> {
    for member in ["kid", "use", "alg"] {
        if k.get(member).is_some_and(|v| !v.is_string()) {
            return Some(format!("`{member}` is not a string"));
        }
    }
    if k.get("key_ops").is_some_and(|v| !v.as_array().is_some_and(|a| a.iter().all(Value::is_string))) {
        return Some("`key_ops` is not an array of strings".into());
    }
    let Some(kty) = k.get("kty") else { return Some("no `kty`".into()) };
    let Some(kty) = kty.as_str() else { return Some("`kty` is not a string".into()) };
    let result = match kty {
        "RSA" => bytes(k, "n").and_then(|n| {
            bytes(k, "e")?;
            let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < 2048 {
                return Err(format!("an RSA modulus of {bits} bits (at least 2048 are required)"));
            }
            Ok(())
        }),
        "EC" => {
            let size = match text(k, "crv") {
                Some("P-256") => 32,
                Some("P-384") => 48,
                Some("P-521") => 66,
                other => return Some(format!("`crv` {other:?} is no EC curve")),
            };
            ["x", "y"].iter().try_for_each(|c| match bytes(k, c) {
                Ok(b) if b.len() == size => Ok(()),
                Ok(b) => Err(format!("`{c}` has {} bytes, the curve needs {size}", b.len())),
                Err(e) => Err(e),
            })
        }
        "OKP" => match text(k, "crv") {
            Some("Ed25519" | "Ed448" | "X25519" | "X448") => bytes(k, "x").map(|_| ()),
            other => Err(format!("`crv` {other:?} is no OKP curve")),
        },
        "oct" => bytes(k, "k").map(|_| ()),
        // RFC 7517 §5: keys of a type the reader does not know are to be ignored.
        _ => Ok(()),
    };
    result.err()
}

/// The key type an algorithm needs, and whether it signs (`sig`) or encrypts (`enc`).
fn algorithm(alg: &str) -> Option<(&'static [&'static str], &'static str)> {
    Some(match alg {
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => (&["RSA"], "sig"),
        "RSA1_5" | "RSA-OAEP" | "RSA-OAEP-256" | "RSA-OAEP-384" | "RSA-OAEP-512" => (&["RSA"], "enc"),
        "ES256" | "ES384" | "ES512" | "ES256K" => (&["EC"], "sig"),
        "EdDSA" | "Ed25519" | "Ed448" => (&["OKP"], "sig"),
        a if a.starts_with("ECDH-ES") => (&["EC", "OKP"], "enc"),
        "HS256" | "HS384" | "HS512" => (&["oct"], "sig"),
        a if a.starts_with('A') && (a.ends_with("KW") || a.ends_with("GCM")) => (&["oct"], "enc"),
        "dir" => (&["oct"], "enc"),
        _ => return None,
    })
}

fn consistency_problem(k: &Map<String, Value>) -> Option<String> {
    let kty = text(k, "kty").unwrap_or("");
    let usage = text(k, "use");
    if let Some(alg) = text(k, "alg")
        && let Some((types, purpose)) = algorithm(alg)
    {
        if !types.contains(&kty) {
            return Some(format!("`alg` {alg:?} needs key type {}, `kty` is {kty:?}", types.join(" or ")));
        }
        if let Some(u) = usage.filter(|u| matches!(*u, "sig" | "enc") && *u != purpose) {
            return Some(format!("`alg` {alg:?} is for `{purpose}`, `use` is {u:?}"));
        }
        if kty == "EC" {
            let want = match alg {
                "ES256" => Some("P-256"),
                "ES384" => Some("P-384"),
                "ES512" => Some("P-521"),
                _ => None,
            };
            if let Some(w) = want.filter(|w| text(k, "crv") != Some(w)) {
                return Some(format!("`alg` {alg:?} needs curve {w}, `crv` is {:?}", text(k, "crv")));
            }
        }
    }
    let ops: Vec<&str> =
        k.get("key_ops").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let fits = |op: &str| match usage {
        Some("sig") => matches!(op, "sign" | "verify"),
        Some("enc") => {
            matches!(op, "encrypt" | "decrypt" | "wrapKey" | "unwrapKey" | "deriveKey" | "deriveBits")
        }
        _ => true,
    };
    ops.iter()
        .find(|op| !fits(op))
        .map(|op| format!("`key_ops` {op:?} does not fit `use` {:?}", usage.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rsa(kid: &str) -> Value {
        json!({ "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                "n": URL_SAFE_NO_PAD.encode([0xC5u8; 256]), "e": "AQAB" })
    }

    fn broken(rule: JwksRule, set: Value) -> Option<String> {
        rule.violation(Some(&set))
    }

    #[test]
    fn a_sound_set_passes_every_rule() {
        let ec = json!({ "kty": "EC", "crv": "P-256", "kid": "e", "use": "sig", "alg": "ES256",
                         "x": URL_SAFE_NO_PAD.encode([1u8; 32]), "y": URL_SAFE_NO_PAD.encode([2u8; 32]) });
        let set = json!({ "keys": [rsa("a"), rsa("b"), ec, { "kty": "future", "kid": "a" }] });
        for rule in [JwksRule::Parses, JwksRule::DistinctKid, JwksRule::Public, JwksRule::Consistent] {
            assert_eq!(broken(rule, set.clone()), None, "{}", rule.name());
        }
    }

    #[test]
    fn each_rule_names_the_key_that_breaks_it() {
        let garbage = json!({ "keys": [rsa("a"), { "kty": "RSA", "kid": "g", "n": "!!", "e": "AQAB" }] });
        assert!(
            broken(JwksRule::Parses, garbage).unwrap().contains("key 1 (kid \"g\"): `n` is not base64url")
        );
        let short = json!({ "keys": [{ "kty": "RSA", "n": "AQAB", "e": "AQAB" }] });
        assert!(broken(JwksRule::Parses, short).unwrap().contains("24 bits"));
        assert_eq!(broken(JwksRule::Parses, json!({ "keys": "x" })).unwrap(), "no `keys` array");
        assert_eq!(JwksRule::Parses.violation(None).unwrap(), "no JSON body");
        let twice = json!({ "keys": [rsa("a"), rsa("a")] });
        assert!(broken(JwksRule::DistinctKid, twice).unwrap().contains("\"a\""));
        let mut private = rsa("a");
        private["d"] = json!("AQAB");
        private["qi"] = json!("AQAB");
        assert!(broken(JwksRule::Public, json!({ "keys": [private] })).unwrap().ends_with("d, qi"));
        let secret = json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] });
        assert!(broken(JwksRule::Public, secret).is_some(), "a symmetric key is secret");
        let mut wrong = rsa("a");
        wrong["alg"] = json!("ES256");
        assert!(
            broken(JwksRule::Consistent, json!({ "keys": [wrong] })).unwrap().contains("needs key type EC")
        );
        let mut enc = rsa("a");
        enc["use"] = json!("enc");
        assert!(broken(JwksRule::Consistent, json!({ "keys": [enc] })).unwrap().contains("is for `sig`"));
        let mut ops = rsa("a");
        ops["key_ops"] = json!(["encrypt"]);
        assert!(broken(JwksRule::Consistent, json!({ "keys": [ops] })).is_some());
        let mut unnamed = rsa("b");
        unnamed.as_object_mut().unwrap().remove("use");
        let mut enc_key = rsa("c");
        enc_key["use"] = json!("enc");
        enc_key["alg"] = json!("RSA-OAEP");
        let mixed = json!({ "keys": [rsa("a"), enc_key, unnamed] });
        assert!(broken(JwksRule::Consistent, mixed).unwrap().contains("no `use`"));
    }
}
