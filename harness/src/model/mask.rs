//! Masking of secrets (client secrets, codes, verifiers, tokens, passwords, cookies) in
//! recorded exchanges before they reach a report or a snapshot.
//!
//! Layer: model; imports `model::exchange`; never the engine, render or commands layers.

use serde_json::Value;

use crate::model::exchange::Exchange;

/// Parameter and JSON member names whose values are secret.
pub const SECRET_NAMES: &[&str] = &[
    "client_secret",
    "client_assertion",
    "assertion",
    "subject_token",
    "code",
    "code_verifier",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "password",
    "registration_access_token",
    "csrf",
    "_csrf",
    "request",
];

const MASK: &str = "[masked]";

/// A copy of the exchanges with every secret replaced, including secret values that show up
/// again elsewhere (a token echoed in a page, a code inside a URL).
pub fn mask_exchanges(exchanges: &[Exchange]) -> Vec<Exchange> {
    let secrets = secrets_of(exchanges);
    exchanges.iter().map(|ex| mask_one(ex, &secrets)).collect()
}

/// Every secret value seen in these exchanges, longest first.
pub fn secrets_of(exchanges: &[Exchange]) -> Vec<String> {
    let mut secrets = Vec::new();
    for ex in exchanges {
        collect_url(&ex.url, &mut secrets);
        for (k, v) in ex.request_headers.iter().chain(&ex.response_headers) {
            if k == "location" {
                collect_url(v, &mut secrets);
            }
        }
        for body in [&ex.request_body, &ex.response_body].into_iter().flatten() {
            collect_body(body, &mut secrets);
        }
    }
    secrets.retain(|s| s.len() >= 6);
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    secrets
}

fn collect_url(u: &str, out: &mut Vec<String>) {
    if let Ok(url) = url::Url::parse(u) {
        for (k, v) in url.query_pairs() {
            if SECRET_NAMES.contains(&k.as_ref()) {
                out.push(v.into_owned());
            }
        }
    }
}

fn collect_body(body: &str, out: &mut Vec<String>) {
    if let Ok(json) = serde_json::from_str::<Value>(body) {
        collect_json(&json, out);
    } else if !body.trim_start().starts_with('<') {
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
            if SECRET_NAMES.contains(&k.as_ref()) {
                out.push(v.into_owned());
            }
        }
    }
}

fn collect_json(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match v {
                    Value::String(s) if SECRET_NAMES.contains(&k.as_str()) => out.push(s.clone()),
                    other => collect_json(other, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|i| collect_json(i, out)),
        _ => {}
    }
}

/// `text` with every occurrence of a secret (plain or form-encoded) masked.
pub fn replace_all(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
        let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
        if encoded != *s && out.contains(encoded.as_str()) {
            out = out.replace(encoded.as_str(), MASK);
        }
    }
    out
}

fn mask_header(name: &str, value: &str, secrets: &[String]) -> String {
    match name {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {MASK}"),
            None => MASK.to_string(),
        },
        "cookie" => value
            .split(';')
            .map(|c| match c.split_once('=') {
                Some((k, _)) => format!("{}={MASK}", k.trim()),
                None => c.trim().to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        "set-cookie" => match value.split_once('=') {
            Some((k, rest)) => {
                let attrs = rest.split_once(';').map(|(_, a)| format!(";{a}")).unwrap_or_default();
                format!("{k}={MASK}{attrs}")
            }
            None => value.to_string(),
        },
        _ => replace_all(value, secrets),
    }
}

fn mask_one(ex: &Exchange, secrets: &[String]) -> Exchange {
    let headers = |hs: &[(String, String)]| -> Vec<(String, String)> {
        hs.iter().map(|(k, v)| (k.clone(), mask_header(k, v, secrets))).collect()
    };
    Exchange {
        method: ex.method.clone(),
        url: replace_all(&ex.url, secrets),
        request_headers: headers(&ex.request_headers),
        request_body: ex.request_body.as_deref().map(|b| replace_all(b, secrets)),
        status: ex.status,
        response_headers: headers(&ex.response_headers),
        response_body: ex.response_body.as_deref().map(|b| replace_all(b, secrets)),
        error: ex.error.clone(),
        note: ex.note.clone(),
        duration_ms: ex.duration_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(url: &str, req_body: &str, resp_body: &str) -> Exchange {
        Exchange {
            method: "POST".into(),
            url: url.into(),
            request_headers: vec![("authorization".into(), "Basic dXNlcjpwYXNz".into())],
            request_body: Some(req_body.into()),
            status: Some(200),
            response_headers: vec![("set-cookie".into(), "sid=abcdef123; Path=/; HttpOnly".into())],
            response_body: Some(resp_body.into()),
            error: None,
            note: None,
            duration_ms: 1,
        }
    }

    #[test]
    fn secrets_are_masked_wherever_they_appear() {
        let ex = exchange(
            "https://as/cb?code=SECRETCODE1&state=keep",
            "grant_type=authorization_code&code=SECRETCODE1&code_verifier=VERIFIER123",
            r#"{"access_token":"oat_TOKEN12345","token_type":"Bearer"}"#,
        );
        let later = exchange("https://as/introspect", "token=oat_TOKEN12345", "<p>oat_TOKEN12345</p>");
        let masked = mask_exchanges(&[ex, later]);
        let all = serde_json::to_string(&masked).unwrap();
        for secret in ["SECRETCODE1", "VERIFIER123", "oat_TOKEN12345", "dXNlcjpwYXNz", "abcdef123"] {
            assert!(!all.contains(secret), "{secret} leaked: {all}");
        }
        assert!(all.contains("state=keep"));
        assert!(all.contains("Basic [masked]"));
        assert!(all.contains("sid=[masked]; Path=/; HttpOnly"));
    }
}
