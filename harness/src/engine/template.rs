//! `{name.path}` references in scenario strings, resolved against the scenario's variables
//! (step results, `metadata`, `clients`, `user`, `issuer`, `resource`, ...).
//!
//! A string that is exactly one reference yields the referenced JSON value itself; otherwise
//! references are interpolated as text. `{{` and `}}` are literal braces. A few functions
//! produce test values: `{repeat:a:42}`, `{random:43}` (base64url characters), `{s256:VALUE}`,
//! and take values apart: `{host:VALUE}` (the host of a URL), `{origin:VALUE}` (its
//! scheme, host and port, as the MCP 2025-03-26 authorization base URL), and
//! `{union:A B …}` (the words of the space-separated values A, B, … once each, in order: a
//! union of OAuth scopes; an undefined or null value adds none). `{a.b|c}` is the first
//! alternative that is defined and not null.
//!
//! Layer: engine; imports nothing else from the crate; never the render or commands layers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// A reference that could not be resolved, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{{{reference}}}`: {reason}")]
pub struct TemplateError {
    pub reference: String,
    pub reason: String,
}

/// Resolve a string. `vars` maps top-level names to values.
pub fn resolve(text: &str, vars: &Map<String, Value>) -> Result<Value, TemplateError> {
    let parts = split(text)?;
    if let [Part::Ref(r)] = parts.as_slice() {
        return lookup(r, vars);
    }
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(&t),
            Part::Ref(r) => match lookup(&r, vars)? {
                Value::String(s) => out.push_str(&s),
                Value::Null => {}
                other => out.push_str(&other.to_string()),
            },
        }
    }
    Ok(Value::String(out))
}

/// Resolve to a string (non-string values become their JSON text).
pub fn resolve_str(text: &str, vars: &Map<String, Value>) -> Result<String, TemplateError> {
    Ok(match resolve(text, vars)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// Resolve every string inside a JSON value (object values, array items).
pub fn resolve_value(v: &Value, vars: &Map<String, Value>) -> Result<Value, TemplateError> {
    Ok(match v {
        Value::String(s) => resolve(s, vars)?,
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| resolve_value(i, vars)).collect::<Result<_, _>>()?)
        }
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), resolve_value(v, vars)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// The references a string makes (for validation before anything runs).
pub fn references(text: &str) -> Result<Vec<String>, TemplateError> {
    Ok(split(text)?
        .into_iter()
        .filter_map(|p| match p {
            Part::Ref(r) if !is_function(&r) => Some(r),
            _ => None,
        })
        .collect())
}

#[derive(Debug, PartialEq)]
enum Part {
    Text(String),
    Ref(String),
}

fn split(text: &str) -> Result<Vec<Part>, TemplateError> {
    let mut parts = Vec::new();
    let mut buf = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                buf.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                buf.push('}');
            }
            '{' => {
                let mut r = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => r.push(c),
                        None => {
                            return Err(TemplateError {
                                reference: r,
                                reason: "unclosed `{` (write `{{` for a literal brace)".into(),
                            });
                        }
                    }
                }
                if !buf.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut buf)));
                }
                parts.push(Part::Ref(r.trim().to_string()));
            }
            _ => buf.push(c),
        }
    }
    if !buf.is_empty() || parts.is_empty() {
        parts.push(Part::Text(buf));
    }
    Ok(parts)
}

fn is_function(r: &str) -> bool {
    ["repeat:", "random:", "s256:", "host:", "origin:", "union:"].iter().any(|f| r.starts_with(f))
}

fn err(reference: &str, reason: impl Into<String>) -> TemplateError {
    TemplateError { reference: reference.to_string(), reason: reason.into() }
}

/// `n` (at most 10,000) random base64url characters, as `{random:N}` gives.
pub fn random_text(n: usize) -> String {
    let mut bytes = vec![0u8; n.min(10_000)];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let mut s = URL_SAFE_NO_PAD.encode(bytes);
    s.truncate(n);
    s
}

fn lookup(reference: &str, vars: &Map<String, Value>) -> Result<Value, TemplateError> {
    if let Some(rest) = reference.strip_prefix("repeat:") {
        let (unit, n) = rest.rsplit_once(':').ok_or_else(|| err(reference, "use {repeat:TEXT:COUNT}"))?;
        let n: usize = n.parse().map_err(|_| err(reference, "COUNT must be a number"))?;
        return Ok(Value::String(unit.repeat(n.min(100_000))));
    }
    if let Some(n) = reference.strip_prefix("random:") {
        let n: usize = n.parse().map_err(|_| err(reference, "use {random:LENGTH}"))?;
        return Ok(Value::String(random_text(n)));
    }
    if let Some(inner) = reference.strip_prefix("s256:") {
        let value = match lookup(inner, vars) {
            Ok(Value::String(s)) => s,
            _ => inner.to_string(),
        };
        return Ok(Value::String(URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))));
    }
    if let Some(inner) = reference.strip_prefix("origin:") {
        let value = match lookup(inner, vars) {
            Ok(Value::String(s)) => s,
            _ => inner.to_string(),
        };
        return url::Url::parse(&value)
            .ok()
            .filter(|u| u.has_host())
            .map(|u| Value::String(u.origin().ascii_serialization()))
            .ok_or_else(|| err(reference, format!("`{value}` is not a URL with a host")));
    }
    if let Some(list) = reference.strip_prefix("union:") {
        let mut words: Vec<String> = Vec::new();
        for r in list.split_whitespace() {
            let text = match lookup(r, vars) {
                Ok(Value::String(s)) => s,
                Ok(Value::Null) | Err(_) => continue,
                Ok(other) => other.to_string(),
            };
            for w in text.split_whitespace() {
                if !words.iter().any(|x| x == w) {
                    words.push(w.to_string());
                }
            }
        }
        return Ok(Value::String(words.join(" ")));
    }
    if let Some(inner) = reference.strip_prefix("host:") {
        let value = match lookup(inner, vars) {
            Ok(Value::String(s)) => s,
            _ => inner.to_string(),
        };
        return url::Url::parse(&value)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .map(Value::String)
            .ok_or_else(|| err(reference, format!("`{value}` is not a URL with a host")));
    }
    if reference.contains('|') {
        // `{a.b|c}`: the first alternative that is defined and not null.
        let mut last = None;
        for alternative in reference.split('|').map(str::trim) {
            match lookup(alternative, vars) {
                Ok(Value::Null) => last = Some(Ok(Value::Null)),
                Ok(v) => return Ok(v),
                Err(e) => last = Some(Err(e)),
            }
        }
        return last.unwrap_or_else(|| Err(err(reference, "empty reference")));
    }
    let mut segments = reference.split('.');
    let head = segments.next().unwrap_or("");
    let mut current =
        vars.get(head).ok_or_else(|| err(reference, format!("nothing is named `{head}` here")))?;
    let mut path = head.to_string();
    for seg in segments {
        current = match current {
            Value::Object(m) => m.get(seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        }
        .ok_or_else(|| err(reference, format!("`{path}` has no `{seg}`")))?;
        path.push('.');
        path.push_str(seg);
    }
    Ok(current.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Map<String, Value> {
        json!({"t": {"access_token": "abc", "expires_in": 60, "list": ["x", "y"]}, "issuer": "https://as"})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn an_alternative_is_taken_when_the_first_reference_is_null_or_undefined() {
        let mut v = vars();
        v.insert("none".into(), Value::Null);
        assert_eq!(resolve("{none|issuer}", &v).unwrap(), json!("https://as"));
        assert_eq!(resolve("{t.missing | t.access_token}", &v).unwrap(), json!("abc"));
        let scopes = json!({"t": {"scope": "openid profile"}, "r": {"scope": "profile projects:read"}});
        let scopes = scopes.as_object().unwrap();
        assert_eq!(
            resolve("{union:t.scope r.scope t.none}", scopes).unwrap(),
            json!("openid profile projects:read")
        );
        assert_eq!(resolve("{union:t.none|r.scope}", scopes).unwrap(), json!("profile projects:read"));
        assert_eq!(resolve("{t.access_token|issuer}", &v).unwrap(), json!("abc"));
        assert!(resolve("{t.missing|nothing}", &v).is_err());
    }

    #[test]
    fn a_lone_reference_keeps_its_json_type() {
        assert_eq!(resolve("{t.expires_in}", &vars()).unwrap(), json!(60));
        assert_eq!(resolve("{t.list.1}", &vars()).unwrap(), json!("y"));
    }

    #[test]
    fn references_inside_text_are_interpolated() {
        assert_eq!(resolve_str("{issuer}/token?x={t.expires_in}", &vars()).unwrap(), "https://as/token?x=60");
        assert_eq!(resolve_str("{{literal}}", &vars()).unwrap(), "{literal}");
    }

    #[test]
    fn unknown_references_say_what_is_missing() {
        let e = resolve("{t.refresh_token}", &vars()).unwrap_err();
        assert_eq!(e.to_string(), "`{t.refresh_token}`: `t` has no `refresh_token`");
        assert!(resolve("{nope}", &vars()).is_err());
        assert!(resolve("{open", &vars()).is_err());
    }

    #[test]
    fn functions_make_test_values() {
        assert_eq!(resolve_str("{repeat:a:42}", &vars()).unwrap().len(), 42);
        let r = resolve_str("{random:129}", &vars()).unwrap();
        assert_eq!(r.len(), 129);
        assert!(r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(
            resolve_str("{s256:dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk}", &vars()).unwrap(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn host_takes_the_host_of_a_referenced_or_literal_url() {
        let mut v = vars();
        v.insert("a".into(), json!({"redirect_uri": "http://127.0.0.1:8080/callback"}));
        assert_eq!(resolve_str("{host:a.redirect_uri}", &v).unwrap(), "127.0.0.1");
        assert_eq!(resolve_str("{host:https://Client.Example/cb}", &v).unwrap(), "client.example");
        assert!(resolve("{host:issuer.x}", &v).is_err());
        assert_eq!(references("{host:a.redirect_uri}").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn origin_keeps_scheme_host_and_port_of_a_url() {
        let mut v = vars();
        v.insert("resource".into(), json!("http://127.0.0.1:8080/tenant/mcp?x=1"));
        assert_eq!(resolve_str("{origin:resource}/token", &v).unwrap(), "http://127.0.0.1:8080/token");
        assert_eq!(resolve_str("{origin:HTTPS://H.example:443/a}", &v).unwrap(), "https://h.example");
        assert!(resolve("{origin:issuer.x}", &v).is_err());
        assert_eq!(references("{origin:resource}").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn references_lists_what_must_exist() {
        assert_eq!(references("{a.b} and {repeat:x:3} {c}").unwrap(), ["a.b", "c"]);
    }
}
