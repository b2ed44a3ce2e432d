//! Normalizing recorded exchanges into stable, reviewable text: volatile values (tokens, codes,
//! ids, secrets, timestamps, nonces, ports, cookies) become typed placeholders after their shape
//! is checked, headers are reduced to those that matter to the protocol, JSON keys are sorted.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use crate::model::exchange::Exchange;

/// Parameter and member names whose values differ on every run.
const VOLATILE: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "code_challenge",
    "client_secret",
    "client_assertion",
    // A JWT authorization grant (RFC 7523 §2.1) and a token-exchange subject (RFC 8693 §2.1).
    "assertion",
    "subject_token",
    "registration_access_token",
    "token",
    "state",
    "nonce",
    "jti",
    // The id of a token object (Clerk's verification answer): a fresh one per token. Numbers,
    // such as JSON-RPC ids, are left alone.
    "id",
    "csrf",
    "request",
    "session_state",
    "sid",
    "password",
    // The coordinates of an EC key a run generates (a client's registered jwks), the modulus
    // of a generated RSA key, and key ids.
    "x",
    "y",
    "n",
    "kid",
    // The thumbprint of a DPoP key a run generates (`cnf.jkt`, the `dpop_jkt` parameter).
    "jkt",
    "dpop_jkt",
];

/// Members holding a time.
const TIMES: &[&str] = &[
    "exp",
    "iat",
    "nbf",
    "auth_time",
    "client_id_issued_at",
    "client_secret_expires_at",
    "expiration",
    "created_at",
    "updated_at",
    "expires_at",
];

/// Response headers a protocol change shows up in.
const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "cache-control",
    "pragma",
    "location",
    "www-authenticate",
    "vary",
    "x-frame-options",
    "content-security-policy",
    "set-cookie",
    "allow",
    "retry-after",
    "mcp-session-id",
];

/// Values shorter than this are not followed: short strings occur by chance.
const MIN_LEARNED: usize = 8;

/// Does `v` look generated (an id, a handle, a random token) rather than chosen (a word, a
/// URL)? Only such values are followed from positions without a volatile name.
fn looks_generated(v: &str) -> bool {
    v.len() >= 12
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~+/=".contains(&b))
        && v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes().any(|b| b.is_ascii_alphabetic())
        && !v.contains("//")
}

/// The values learned so far, each with its placeholder.
struct Learned(Vec<(String, String)>);

impl Learned {
    fn add(&mut self, name: &str, value: &str) {
        if value.len() >= MIN_LEARNED && !self.0.iter().any(|(v, _)| v == value) {
            self.0.push((value.to_string(), placeholder(name, value)));
        }
    }

    /// Longest first, so that a value inside another is replaced after it.
    fn sorted(mut self) -> Vec<(String, String)> {
        self.0.sort_by(|(a, _), (b, _)| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self.0
    }

    fn pairs(&mut self, pairs: impl Iterator<Item = (String, String)>) {
        for (k, v) in pairs {
            if VOLATILE.contains(&k.as_str()) {
                self.add(&k, &v);
            }
        }
    }

    fn url(&mut self, u: &str) {
        let Ok(parsed) = url::Url::parse(u).or_else(|_| url::Url::parse("http://relative.invalid")?.join(u))
        else {
            return;
        };
        self.pairs(parsed.query_pairs().into_owned());
        if let Some(fragment) = parsed.fragment() {
            self.pairs(url::form_urlencoded::parse(fragment.as_bytes()).into_owned());
        }
        for segment in parsed.path_segments().into_iter().flatten() {
            if looks_generated(segment) {
                self.add("path", segment);
            }
        }
    }

    fn json(&mut self, v: &Value, key: Option<&str>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| self.json(v, Some(k))),
            Value::Array(a) => a.iter().for_each(|i| self.json(i, key)),
            Value::String(s) if key.is_some_and(|k| VOLATILE.contains(&k)) => self.add(key.unwrap_or(""), s),
            Value::String(s) if key == Some("registration_client_uri") => self.url(s),
            _ => {}
        }
    }

    fn learn_from_exchange(&mut self, ex: &Exchange) {
        self.url(&ex.url);
        let header = |headers: &[(String, String)], name: &str| {
            headers.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>()
        };
        for cookies in header(&ex.request_headers, "cookie") {
            for c in cookies.split(';') {
                if let Some((_, v)) = c.trim().split_once('=') {
                    self.add("cookie", v);
                }
            }
        }
        for c in header(&ex.response_headers, "set-cookie") {
            if let Some((_, v)) = c.split(';').next().unwrap_or("").split_once('=') {
                self.add("cookie", v);
            }
        }
        for location in header(&ex.response_headers, "location") {
            self.url(&location);
        }
        if let Some(b) = &ex.request_body {
            match serde_json::from_str::<Value>(b) {
                Ok(v) => self.json(&v, None),
                Err(_) => self.pairs(url::form_urlencoded::parse(b.as_bytes()).into_owned()),
            }
        }
        let Some(body) = &ex.response_body else { return };
        match serde_json::from_str::<Value>(body) {
            Ok(v) => {
                self.json(&v, None);
                if let Some(id) = crate::model::exchange::issued_client_id(ex) {
                    self.add("client_id", &id);
                }
            }
            Err(_) if body.trim_start().starts_with('<') => self.page(body),
            Err(_) => {}
        }
    }

    /// Hidden form values and form targets that look generated (CSRF tokens, interaction ids).
    fn page(&mut self, html: &str) {
        let doc = scraper::Html::parse_document(html);
        let sel = |s: &str| scraper::Selector::parse(s).expect("static selector");
        for input in doc.select(&sel("input[type=hidden]")) {
            if let Some(v) = input.value().attr("value").filter(|v| looks_generated(v)) {
                self.add(input.value().attr("name").unwrap_or("hidden"), v);
            }
        }
        for form in doc.select(&sel("form[action]")) {
            if let Some(action) = form.value().attr("action") {
                self.url(action);
            }
        }
    }
}

/// Substitutions that make a run's text independent of where the target listened.
#[derive(Debug, Clone)]
pub struct Normalizer {
    issuer: String,
    port: regex::Regex,
    /// Values the target generated (registered client ids, tokens, codes, cookies, ...), with
    /// the placeholder that replaces them wherever they appear; longest first.
    learned: Vec<(String, String)>,
}

fn length_class(n: usize) -> &'static str {
    match n {
        0 => "empty",
        1..=16 => "1-16",
        17..=32 => "17-32",
        33..=64 => "33-64",
        65..=128 => "65-128",
        129..=512 => "129-512",
        _ => "513+",
    }
}

fn alphabet(s: &str) -> &'static str {
    if s.bytes().all(|b| b.is_ascii_hexdigit()) {
        "hex"
    } else if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        "base64url"
    } else if s.bytes().all(|b| b.is_ascii_graphic()) {
        "printable"
    } else {
        "text"
    }
}

/// A typed placeholder for a volatile string: its kind, alphabet and length class. A JWT keeps
/// its header's `alg`/`typ` and the names of its claims, which are protocol surface.
pub fn placeholder(name: &str, s: &str) -> String {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() == 3 {
        let decode = |p: &str| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        };
        if let (Some(h), Some(c)) = (decode(parts[0]), decode(parts[1])) {
            let mut claims: Vec<String> =
                c.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            claims.sort();
            return format!(
                "«{name}: jwt alg={} typ={} claims={}»",
                h.get("alg").and_then(Value::as_str).unwrap_or("?"),
                h.get("typ").and_then(Value::as_str).unwrap_or("-"),
                claims.join(",")
            );
        }
    }
    // No prefix is kept: a random value can look like one (`ab_…`), which would flap.
    format!("«{name}: {} {}»", alphabet(s), length_class(s.len()))
}

impl Normalizer {
    pub fn new(issuer: &str) -> Normalizer {
        Normalizer {
            issuer: issuer.trim_end_matches('/').to_string(),
            port: regex::Regex::new(r"(127\.0\.0\.1|0\.0\.0\.0|localhost|\[::1\]):\d+")
                .expect("static regex"),
            learned: Vec::new(),
        }
    }

    /// This normalizer, also replacing `values` (what the target gave the run outside the
    /// recorded exchanges, each with what it is) wherever they appear.
    pub fn knowing(&self, values: &[(String, &str)]) -> Normalizer {
        let mut learned = Learned(self.learned.clone());
        for (value, name) in values {
            learned.add(name, value);
        }
        Normalizer { learned: learned.sorted(), ..self.clone() }
    }

    /// This normalizer, also following every value the run learned in `exchanges`: whatever
    /// a volatile parameter or member carried (codes, tokens, state, nonce, PKCE values,
    /// secrets, key ids), client ids the server issued, cookies, generated path segments and
    /// hidden form values. Each becomes its typed placeholder wherever it reappears later, in
    /// any position: query, form, JSON, headers, pages.
    pub fn learning(&self, exchanges: &[Exchange]) -> Normalizer {
        let mut learned = Learned(self.learned.clone());
        for ex in exchanges {
            learned.learn_from_exchange(ex);
        }
        Normalizer { learned: learned.sorted(), ..self.clone() }
    }

    /// Replace the issuer with `{issuer}`, learned values with their placeholders (as they
    /// are, form-encoded or percent-encoded) and other loopback ports with `[port]`.
    pub fn text(&self, s: &str) -> String {
        let mut s = if self.issuer.is_empty() { s.to_string() } else { s.replace(&self.issuer, "{issuer}") };
        for (value, placeholder) in &self.learned {
            if s.contains(value.as_str()) {
                s = s.replace(value.as_str(), placeholder);
            }
            let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            for encoded in [form.clone(), form.replace('+', "%20")] {
                if encoded != *value && s.contains(encoded.as_str()) {
                    s = s.replace(encoded.as_str(), placeholder);
                }
            }
        }
        self.port.replace_all(&s, "$1:[port]").into_owned()
    }

    fn url(&self, u: &str) -> String {
        let (relative, parsed) = match url::Url::parse(u) {
            Ok(p) => (false, Ok(p)),
            Err(_) => (true, url::Url::parse("http://relative.invalid").and_then(|b| b.join(u))),
        };
        let Ok(mut parsed) = parsed else { return self.text(u) };
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if VOLATILE.contains(&k.as_ref()) { placeholder(&k, &v) } else { self.text(&v) };
                (k.into_owned(), v)
            })
            .collect();
        parsed.set_query(None);
        let mut out = self.text(if relative { parsed.path() } else { parsed.as_str() });
        if !pairs.is_empty() {
            out.push('?');
            let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&q.join("&"));
        }
        out
    }

    fn json(&self, v: &Value, key: Option<&str>) -> Value {
        match v {
            Value::Object(m) => {
                let sorted: BTreeMap<&String, &Value> = m.iter().collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), self.json(v, Some(k)))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(|i| self.json(i, key)).collect()),
            Value::Number(n)
                if key.is_some_and(|k| TIMES.contains(&k))
                    && n.as_i64().is_some_and(|t| t > 1_000_000_000) =>
            {
                Value::String("«timestamp»".into())
            }
            Value::String(s) if key.is_some_and(|k| VOLATILE.contains(&k)) => {
                Value::String(placeholder(key.unwrap_or(""), s))
            }
            Value::String(s) if key.is_some_and(|k| TIMES.contains(&k)) => {
                Value::String("«timestamp»".into())
            }
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }

    fn form(&self, body: &str) -> String {
        let pairs: Vec<String> = url::form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| {
                let v = if VOLATILE.contains(&k.as_ref()) { placeholder(&k, &v) } else { self.text(&v) };
                format!("{k}={v}")
            })
            .collect();
        pairs.join("&")
    }

    fn header(&self, name: &str, value: &str) -> String {
        match name {
            "location" => self.url(value),
            "set-cookie" => match value.split_once('=') {
                Some((k, rest)) => {
                    let attrs = rest.split_once(';').map(|(_, a)| a.trim()).unwrap_or("");
                    // An expiry date is the time of the request plus a lifetime: keep only
                    // that there is one.
                    let attrs: Vec<String> = attrs
                        .split(';')
                        .map(str::trim)
                        .map(|a| match a.split_once('=') {
                            Some((name, _)) if name.eq_ignore_ascii_case("expires") => {
                                format!("{name}=«date»")
                            }
                            _ => self.text(a),
                        })
                        .collect();
                    format!("{k}=«cookie»; {}", attrs.join("; "))
                }
                None => value.to_string(),
            },
            "www-authenticate" => self.text(value),
            "mcp-session-id" => placeholder("mcp-session-id", value),
            _ => self.text(value),
        }
    }

    fn body(&self, body: &str, content_type: &str) -> String {
        if let Ok(v) = serde_json::from_str::<Value>(body) {
            return serde_json::to_string_pretty(&self.json(&v, None)).unwrap_or_default();
        }
        if content_type.contains("html") || body.trim_start().starts_with('<') {
            return self.text(&html_outline(body));
        }
        if content_type.contains("x-www-form-urlencoded") {
            return self.form(body);
        }
        self.text(body)
    }

    /// One exchange as text.
    pub fn exchange(&self, ex: &Exchange) -> String {
        let mut out = format!("{} {}\n", ex.method, self.url(&ex.url));
        for (k, v) in &ex.request_headers {
            match k.as_str() {
                "authorization" => {
                    let scheme = v.split_once(' ').map_or(v.as_str(), |(s, _)| s);
                    let _ = writeln!(out, "authorization: {scheme} «credentials»");
                }
                "origin"
                | "content-type"
                | "access-control-request-method"
                | "access-control-request-headers"
                | "mcp-protocol-version" => {
                    let _ = writeln!(out, "{k}: {}", self.text(v));
                }
                _ => {}
            }
        }
        let req_type =
            ex.request_headers.iter().find(|(k, _)| k == "content-type").map_or("", |(_, v)| v.as_str());
        if let Some(b) = &ex.request_body {
            let _ = writeln!(out, "{}", self.body(b, req_type));
        }
        match (ex.status, &ex.error) {
            (Some(s), _) => {
                let _ = writeln!(out, "→ {s}");
                let mut headers: Vec<(String, String)> = ex
                    .response_headers
                    .iter()
                    .filter(|(k, _)| KEPT_HEADERS.contains(&k.as_str()) || k.starts_with("access-control-"))
                    .map(|(k, v)| (k.clone(), self.header(k, v)))
                    .collect();
                headers.sort();
                for (k, v) in headers {
                    let _ = writeln!(out, "{k}: {v}");
                }
                let resp_type = ex
                    .response_headers
                    .iter()
                    .find(|(k, _)| k == "content-type")
                    .map_or("", |(_, v)| v.as_str());
                if let Some(b) = &ex.response_body {
                    let _ = writeln!(out, "{}", self.body(b, resp_type));
                }
            }
            (None, Some(e)) => {
                let _ = writeln!(out, "→ no response: {}", self.text(e));
            }
            (None, None) => {}
        }
        out
    }
}

/// The protocol-relevant outline of an HTML page: title and every form (method, action path,
/// field names, button name=value), not its wording or its per-request tokens.
pub fn html_outline(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = |s: &str| scraper::Selector::parse(s).expect("static selector");
    let mut out = String::from("«html»");
    if let Some(t) = doc.select(&sel("title")).next() {
        let _ = write!(out, " title={:?}", t.text().collect::<String>().trim());
    }
    for form in doc.select(&sel("form")) {
        let f = form.value();
        let action = f.attr("action").unwrap_or("");
        let action =
            url::Url::parse(action).map(|u| u.path().to_string()).unwrap_or_else(|_| action.to_string());
        let _ = write!(out, "\n  form {} {}", f.attr("method").unwrap_or("get").to_ascii_lowercase(), action);
        for input in form.select(&sel("input, select, textarea, button")) {
            let e = input.value();
            let Some(name) = e.attr("name") else { continue };
            let kind = e.attr("type").unwrap_or(e.name());
            match kind {
                "submit" | "button" => {
                    let _ = write!(out, "\n    {kind} {name}={}", e.attr("value").unwrap_or(""));
                }
                "checkbox" | "radio" => {
                    let _ = write!(out, "\n    {kind} {name}={}", e.attr("value").unwrap_or(""));
                }
                _ => {
                    let _ = write!(out, "\n    {kind} {name}");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_record_kind_alphabet_and_length_class() {
        assert_eq!(
            placeholder("access_token", "oat_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"),
            "«access_token: base64url 33-64»"
        );
        assert_eq!(placeholder("state", "Zm9v"), "«state: base64url 1-16»");
    }

    #[test]
    fn json_is_sorted_and_volatile_members_are_replaced() {
        let n = Normalizer::new("http://127.0.0.1:4000");
        let v: Value = serde_json::from_str(
            r#"{"z":1,"access_token":"oat_xxxxxxxxxxxxxxxx","exp":1790000000,"iss":"http://127.0.0.1:4000"}"#,
        )
        .unwrap();
        let out = serde_json::to_string(&n.json(&v, None)).unwrap();
        assert_eq!(
            out,
            r#"{"access_token":"«access_token: base64url 17-32»","exp":"«timestamp»","iss":"{issuer}","z":1}"#
        );
    }

    #[test]
    fn html_is_reduced_to_its_forms() {
        let html = r#"<title>Sign in</title><form method="post" action="/login"><input type="hidden" name="csrf" value="x1"><button name="action" value="login">Go</button></form>"#;
        assert_eq!(
            html_outline(html),
            "«html» title=\"Sign in\"\n  form post /login\n    hidden csrf\n    button action=login"
        );
    }
}
