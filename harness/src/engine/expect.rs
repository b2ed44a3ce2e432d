//! Typed matchers. A failed matcher is data (expected, actual, step), never an `Err`; only a
//! reference that cannot be resolved is an error of the scenario itself.
//!
//! Layer: engine; imports `engine::jwks`, `engine::template`; never the render or commands layers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::engine::template::{TemplateError, resolve, resolve_str};

/// Operators shared by every matcher that looks at a value.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ops {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_equals: Option<Value>,
    /// `true`: the value must be present (and not null); `false`: it must be absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    /// Substring of a string, or element of an array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contains: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_contains: Option<Value>,
    /// Regular expression a string must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    /// JSON type: string, number, integer, boolean, array, object, null.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_with: Option<String>,
    /// A string must not begin with this (honours `ignore_case`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_starts_with: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_len: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_len: Option<usize>,
    /// Compare strings ignoring ASCII case.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignore_case: bool,
    /// A JSON number no greater than this (a number or a reference to one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_most: Option<Value>,
    /// A JSON number no smaller than this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_least: Option<Value>,
    /// An object whose every key is one of these (an allow-list, e.g. of callback parameters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_in: Option<Vec<String>>,
    /// Every element of an array, or every member of an object, satisfies these operators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub each: Option<Box<Ops>>,
    /// With `each` on an object: only the members whose name matches this regular expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<String>,
    /// Equal to this value, or an array holding it (a JWT `aud`, which is a string or a list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub includes: Option<Value>,
    /// A space-separated string with the same words as this one, in any order (an OAuth
    /// `scope`, RFC 6749 §3.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_words: Option<String>,
    /// A space-separated string holding every word of this one, and maybe more (a granted
    /// `scope` that covers what was asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_words: Option<String>,
}

/// A status expectation: one code, a list, or a class (`"4xx"`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum StatusSpec {
    One(u16),
    Any(Vec<u16>),
    Class(String),
}

/// One check on a step's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    Status {
        status: StatusSpec,
    },
    /// A response header (case-insensitive name).
    Header {
        name: String,
        ops: Ops,
    },
    /// A JSON pointer into the response body.
    Json {
        pointer: String,
        ops: Ops,
    },
    /// A query parameter of the authorization response (callback or Location).
    Param {
        name: String,
        ops: Ops,
    },
    /// A JSON pointer into the step's result object (e.g. `/pages`, `/claims/aud`).
    Field {
        pointer: String,
        ops: Ops,
    },
    /// Any template value.
    Value {
        of: String,
        ops: Ops,
    },
    /// The raw response body.
    Body {
        ops: Ops,
    },
    /// A rule about the JWK Set in the response body.
    Jwks {
        rule: crate::engine::jwks::JwksRule,
    },
    /// Holds when every check of at least one alternative holds ("rejected, or fixed").
    Any {
        alternatives: Vec<Vec<Check>>,
    },
}

impl Check {
    /// Short name of what is checked, for reports (`status`, `header cache-control`, ...).
    pub fn subject(&self) -> String {
        match self {
            Check::Status { .. } => "status".into(),
            Check::Header { name, .. } => format!("header {name}"),
            Check::Json { pointer, .. } => {
                format!("json {}", if pointer.is_empty() { "(body)" } else { pointer })
            }
            Check::Param { name, .. } => format!("parameter {name}"),
            Check::Field { pointer, .. } => format!("result {pointer}"),
            Check::Value { of, .. } => format!("value {of}"),
            Check::Body { .. } => "body".into(),
            Check::Jwks { rule } => format!("jwks {}", rule.name()),
            Check::Any { alternatives } => format!("any of {} alternatives", alternatives.len()),
        }
    }
}

/// A failed expectation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mismatch {
    pub expected: String,
    pub actual: String,
}

/// Where a journey that never got back to the client ended, quoting the server's page, so a
/// missing callback parameter shows the server's own explanation.
fn where_it_ended(result: &Value) -> String {
    let url = result.get("url").and_then(Value::as_str).unwrap_or("?");
    let status = result.get("status").and_then(Value::as_u64).map_or("no".to_string(), |s| s.to_string());
    let body = result.get("body").and_then(Value::as_str).unwrap_or("");
    // The words a person reads on the page: text outside tags, entities decoded, no scripts.
    let doc = scraper::Html::parse_document(body);
    let skip = scraper::Selector::parse("script, style").expect("static selector");
    let hidden: Vec<_> = doc.select(&skip).flat_map(|e| e.text()).map(|t| t.as_ptr()).collect();
    let text: String =
        doc.root_element().text().filter(|t| !hidden.contains(&t.as_ptr())).collect::<Vec<_>>().join(" ");
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut snippet = words.join(" ");
    if snippet.chars().count() > 200 {
        snippet = snippet.chars().take(200).collect::<String>() + "…";
    }
    match snippet.is_empty() {
        true => format!("no redirect back to the client: the journey ended at {url} with status {status}"),
        false => format!(
            "no redirect back to the client: the journey ended at {url} with status {status}: «{snippet}»"
        ),
    }
}

/// Judge `check` against step result `result` (with `vars` for templates in the operators).
pub fn evaluate(
    check: &Check,
    result: &Value,
    vars: &Map<String, Value>,
) -> Result<Option<Mismatch>, TemplateError> {
    match check {
        Check::Status { status } => {
            let actual = result.get("status").and_then(Value::as_u64).map(|s| s as u16);
            let ok = actual.is_some_and(|a| match status {
                StatusSpec::One(s) => a == *s,
                StatusSpec::Any(list) => list.contains(&a),
                StatusSpec::Class(c) => {
                    c.len() == 3 && c.ends_with("xx") && c.starts_with(char::from(b'0' + (a / 100) as u8))
                }
            });
            let expected = match status {
                StatusSpec::One(s) => s.to_string(),
                StatusSpec::Any(l) => format!("one of {l:?}"),
                StatusSpec::Class(c) => c.clone(),
            };
            let actual = actual.map_or("no response".to_string(), |a| a.to_string());
            Ok((!ok).then_some(Mismatch {
                expected: format!("status {expected}"),
                actual: format!("status {actual}"),
            }))
        }
        Check::Header { name, ops } => {
            let v = result.get("headers").and_then(|h| h.get(name.to_ascii_lowercase())).cloned();
            apply(ops, v.as_ref(), vars)
        }
        Check::Json { pointer, ops } => {
            let v = result.get("json").and_then(|j| j.pointer(pointer)).cloned();
            apply(ops, v.as_ref(), vars)
        }
        Check::Param { name, ops } => {
            let v = result.get("params").and_then(|p| p.get(name)).cloned();
            let mismatch = apply(ops, v.as_ref(), vars)?;
            Ok(mismatch.map(|mut m| {
                if v.is_none() && result.get("redirected") == Some(&Value::Bool(false)) {
                    m.actual = format!("{} ({})", m.actual, where_it_ended(result));
                }
                m
            }))
        }
        Check::Field { pointer, ops } => apply(ops, result.pointer(pointer), vars),
        Check::Value { of, ops } => {
            let v = match resolve(of, vars) {
                Ok(v) => Some(v),
                Err(_) if ops.exists == Some(false) => None,
                Err(e) => return Err(e),
            };
            apply(ops, v.as_ref(), vars)
        }
        Check::Body { ops } => {
            let v = result.get("body").cloned().filter(|b| !b.is_null());
            apply(ops, v.as_ref(), vars)
        }
        Check::Jwks { rule } => Ok(rule
            .violation(result.get("json"))
            .map(|actual| Mismatch { expected: rule.expected().to_string(), actual })),
        Check::Any { alternatives } => {
            let (mut expected, mut actual) = (Vec::new(), Vec::new());
            for (i, alternative) in alternatives.iter().enumerate() {
                let mut missed = None;
                for c in alternative {
                    match evaluate(c, result, vars) {
                        Ok(None) => {}
                        Ok(Some(m)) => {
                            missed = Some((c.subject(), m));
                            break;
                        }
                        // A check that cannot be judged (it names a step that did not run)
                        // does not hold.
                        Err(e) => {
                            missed = Some((
                                c.subject(),
                                Mismatch { expected: "judged".into(), actual: e.to_string() },
                            ));
                            break;
                        }
                    }
                }
                let Some((subject, m)) = missed else { return Ok(None) };
                expected.push(format!("({}) {subject}: {}", i + 1, m.expected));
                actual.push(format!("({}) {subject}: {}", i + 1, m.actual));
            }
            Ok(Some(Mismatch { expected: expected.join(" or "), actual: actual.join("; ") }))
        }
    }
}

/// An expectation's precondition (`when = { of = "{a.code}", exists = true }`): does the value
/// satisfy the operators? A reference that cannot be resolved counts as an absent value, so a
/// guard can ask whether a step produced something at all.
pub fn guard_holds(of: &str, ops: &Ops, vars: &Map<String, Value>) -> Result<bool, TemplateError> {
    let v = resolve(of, vars).ok();
    Ok(apply(ops, v.as_ref(), vars)?.is_none())
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "absent".into(),
        Some(Value::String(s)) => {
            let mut s = format!("{s:?}");
            if s.len() > 300 {
                s.truncate(300);
                s.push('…');
            }
            s
        }
        Some(other) => {
            let mut s = other.to_string();
            if s.len() > 300 {
                s.truncate(300);
                s.push('…');
            }
            s
        }
    }
}

fn text_eq(a: &Value, b: &Value, ignore_case: bool) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if ignore_case => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

fn contains(hay: &Value, needle: &Value, ignore_case: bool) -> bool {
    match (hay, needle) {
        (Value::String(h), Value::String(n)) if ignore_case => {
            h.to_ascii_lowercase().contains(&n.to_ascii_lowercase())
        }
        (Value::String(h), Value::String(n)) => h.contains(n.as_str()),
        (Value::Array(items), n) => items.iter().any(|i| text_eq(i, n, ignore_case)),
        (Value::Object(m), Value::String(k)) => m.contains_key(k),
        _ => false,
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn len_of(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(a) => Some(a.len()),
        Value::Object(m) => Some(m.len()),
        _ => None,
    }
}

/// Apply every operator; the first that fails is reported.
fn apply(
    ops: &Ops,
    actual: Option<&Value>,
    vars: &Map<String, Value>,
) -> Result<Option<Mismatch>, TemplateError> {
    let present = actual.filter(|v| !v.is_null());
    let fail = |expected: String| Ok(Some(Mismatch { expected, actual: show(actual) }));
    if let Some(want) = ops.exists {
        if want != present.is_some() {
            return fail(if want { "present".into() } else { "absent".into() });
        }
        if !want {
            return Ok(None);
        }
    }
    let resolved = |v: &Value| crate::engine::template::resolve_value(v, vars);
    if let Some(want) = &ops.equals {
        let want = resolved(want)?;
        if !present.is_some_and(|a| text_eq(a, &want, ops.ignore_case) || loose_number_eq(a, &want)) {
            return fail(show(Some(&want)));
        }
    }
    if let Some(bad) = &ops.not_equals {
        let bad = resolved(bad)?;
        if present.is_some_and(|a| text_eq(a, &bad, ops.ignore_case)) {
            return fail(format!("anything but {}", show(Some(&bad))));
        }
    }
    if let Some(options) = &ops.one_of {
        let options: Vec<Value> = options.iter().map(resolved).collect::<Result<_, _>>()?;
        if !present.is_some_and(|a| options.iter().any(|o| text_eq(a, o, ops.ignore_case))) {
            let list: Vec<String> = options.iter().map(|o| show(Some(o))).collect();
            return fail(format!("one of {}", list.join(", ")));
        }
    }
    if let Some(n) = &ops.contains {
        let n = resolved(n)?;
        if !present.is_some_and(|a| contains(a, &n, ops.ignore_case)) {
            return fail(format!("containing {}", show(Some(&n))));
        }
    }
    if let Some(n) = &ops.includes {
        let n = resolved(n)?;
        let ok = present.is_some_and(|a| match a {
            Value::Array(items) => items.iter().any(|i| text_eq(i, &n, ops.ignore_case)),
            other => text_eq(other, &n, ops.ignore_case),
        });
        if !ok {
            return fail(format!("{} or an array holding it", show(Some(&n))));
        }
    }
    if let Some(n) = &ops.not_contains {
        let n = resolved(n)?;
        if present.is_some_and(|a| contains(a, &n, ops.ignore_case)) {
            return fail(format!("not containing {}", show(Some(&n))));
        }
    }
    if let Some(words) = &ops.same_words {
        let words = resolve_str(words, vars)?;
        if present.and_then(Value::as_str).is_none_or(|s| word_set(s) != word_set(&words)) {
            return fail(format!("the words {words:?} in any order"));
        }
    }
    if let Some(words) = &ops.has_words {
        let words = resolve_str(words, vars)?;
        if present.and_then(Value::as_str).is_none_or(|s| !word_set(&words).is_subset(&word_set(s))) {
            return fail(format!("holding the words {words:?}"));
        }
    }
    if let Some(prefix) = &ops.starts_with {
        let prefix = resolve_str(prefix, vars)?;
        if !present.and_then(Value::as_str).is_some_and(|s| s.starts_with(prefix.as_str())) {
            return fail(format!("starting with {prefix:?}"));
        }
    }
    if let Some(prefix) = &ops.not_starts_with {
        let prefix = resolve_str(prefix, vars)?;
        let begins = |s: &str| match s.get(..prefix.len()) {
            Some(head) if ops.ignore_case => head.eq_ignore_ascii_case(&prefix),
            Some(head) => head == prefix,
            None => false,
        };
        if present.and_then(Value::as_str).is_some_and(begins) {
            return fail(format!("not starting with {prefix:?}"));
        }
    }
    if let Some(pattern) = &ops.matches {
        let pattern = resolve_str(pattern, vars)?;
        let re = regex::Regex::new(&pattern)
            .map_err(|e| TemplateError { reference: pattern.clone(), reason: e.to_string() })?;
        if !present.and_then(Value::as_str).is_some_and(|s| re.is_match(s)) {
            return fail(format!("matching /{pattern}/"));
        }
    }
    if let Some(t) = &ops.type_ {
        let ok = present.is_some_and(|a| {
            let actual = type_of(a);
            actual == t || (t == "number" && actual == "integer")
        });
        if !ok {
            return fail(format!("a JSON {t}"));
        }
    }
    if let Some(min) = ops.min_len
        && present.and_then(len_of).is_none_or(|l| l < min)
    {
        return fail(format!("length at least {min}"));
    }
    if let Some(max) = ops.max_len
        && present.and_then(len_of).is_none_or(|l| l > max)
    {
        return fail(format!("length at most {max}"));
    }
    for (bound, most) in [(&ops.at_most, true), (&ops.at_least, false)] {
        let Some(bound) = bound else { continue };
        let bound = resolved(bound)?;
        let limit = as_number(&bound).ok_or_else(|| TemplateError {
            reference: bound.to_string(),
            reason: "a bound must be a number".into(),
        })?;
        let ok = present.and_then(Value::as_f64).is_some_and(|a| if most { a <= limit } else { a >= limit });
        if !ok {
            let word = if most { "at most" } else { "at least" };
            return fail(format!("a number {word} {}", show(Some(&bound))));
        }
    }
    if let Some(allowed) = &ops.keys_in {
        let extra: Vec<&String> = match present {
            Some(Value::Object(m)) => m.keys().filter(|k| !allowed.contains(k)).collect(),
            _ => return fail(format!("an object with keys among {allowed:?}")),
        };
        if !extra.is_empty() {
            return fail(format!("no keys besides {allowed:?} (found {extra:?})"));
        }
    }
    match (&ops.each, &ops.keys) {
        (Some(inner), keys) => each(inner, keys.as_deref(), present, vars),
        (None, Some(_)) => {
            Err(TemplateError { reference: "keys".into(), reason: "`keys` needs `each`".into() })
        }
        (None, None) => Ok(None),
    }
}

/// `each`: the first element or member (among those `keys` selects) that fails `inner`.
fn each(
    inner: &Ops,
    keys: Option<&str>,
    actual: Option<&Value>,
    vars: &Map<String, Value>,
) -> Result<Option<Mismatch>, TemplateError> {
    let keys = keys
        .map(|k| {
            let k = resolve_str(k, vars)?;
            regex::Regex::new(&k).map_err(|e| TemplateError { reference: k.clone(), reason: e.to_string() })
        })
        .transpose()?;
    let items: Vec<(String, &Value)> = match actual {
        Some(Value::Array(a)) => a.iter().enumerate().map(|(i, v)| (format!("[{i}]"), v)).collect(),
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(k, _)| keys.as_ref().is_none_or(|re| re.is_match(k)))
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        other => {
            return Ok(Some(Mismatch { expected: "an array or an object".into(), actual: show(other) }));
        }
    };
    for (name, v) in items {
        if let Some(m) = apply(inner, Some(v), vars)? {
            return Ok(Some(Mismatch {
                expected: format!("every item {}", m.expected),
                actual: format!("{name}: {}", m.actual),
            }));
        }
    }
    Ok(None)
}

/// A bound as a number: a JSON number, or decimal text a template produced.
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The words of a space-separated list (an OAuth scope), in any order.
fn word_set(s: &str) -> std::collections::BTreeSet<&str> {
    s.split(' ').filter(|w| !w.is_empty()).collect()
}

/// `60` equals `60.0`, and a number equals its decimal text when a template produced text.
fn loose_number_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_callback_parameter_quotes_the_page_the_journey_ended_on() {
        let page = "<html><head><title>t</title><style>p{}</style></head><body><h1>Error</h1>\
                    <p>loopback documents are refused &amp; not fetched</p><script>x()</script></body></html>";
        let r = serde_json::json!({
            "redirected": false, "params": {}, "url": "http://as/authorize", "status": 400, "body": page,
        });
        let check = Check::Param { name: "code".into(), ops: Ops { exists: Some(true), ..Ops::default() } };
        let m = evaluate(&check, &r, &Map::new()).unwrap().unwrap();
        assert_eq!(
            m.actual,
            "absent (no redirect back to the client: the journey ended at http://as/authorize with status 400: «t Error loopback documents are refused & not fetched»)"
        );
        let back = serde_json::json!({ "redirected": true, "params": {} });
        assert_eq!(evaluate(&check, &back, &Map::new()).unwrap().unwrap().actual, "absent");
    }
    use serde_json::json;

    fn vars() -> Map<String, Value> {
        json!({"issuer": "https://as"}).as_object().unwrap().clone()
    }

    fn check(c: Check, result: Value) -> Option<Mismatch> {
        evaluate(&c, &result, &vars()).unwrap()
    }

    #[test]
    fn status_matches_one_a_list_or_a_class() {
        let r = json!({"status": 401});
        assert!(check(Check::Status { status: StatusSpec::One(401) }, r.clone()).is_none());
        assert!(check(Check::Status { status: StatusSpec::Any(vec![400, 401]) }, r.clone()).is_none());
        assert!(check(Check::Status { status: StatusSpec::Class("4xx".into()) }, r.clone()).is_none());
        let m = check(Check::Status { status: StatusSpec::One(200) }, r).unwrap();
        assert_eq!((m.expected.as_str(), m.actual.as_str()), ("status 200", "status 401"));
    }

    #[test]
    fn json_equality_resolves_templates_and_reports_the_actual_value() {
        let r = json!({"json": {"iss": "https://as", "active": false}});
        let ops = Ops { equals: Some(json!("{issuer}")), ..Ops::default() };
        assert!(check(Check::Json { pointer: "/iss".into(), ops }, r.clone()).is_none());
        let ops = Ops { equals: Some(json!({"active": false})), ..Ops::default() };
        assert!(check(Check::Json { pointer: "".into(), ops }, json!({"json": {"active": false}})).is_none());
        let ops = Ops { equals: Some(json!({"active": false})), ..Ops::default() };
        let m = check(Check::Json { pointer: "".into(), ops }, r).unwrap();
        assert!(m.actual.contains("\"iss\""), "{m:?}");
    }

    #[test]
    fn has_words_wants_every_word_and_allows_more() {
        let r = json!({"json": {"scope": "openid projects:read  profile"}});
        let ops = |w: &str| Ops { has_words: Some(w.into()), ..Ops::default() };
        let at = |w: &str| check(Check::Json { pointer: "/scope".into(), ops: ops(w) }, r.clone());
        assert!(at("projects:read openid").is_none());
        assert!(at("").is_none());
        let m = at("projects:write openid").unwrap();
        assert!(m.expected.contains("holding the words"), "{m:?}");
        assert!(check(Check::Json { pointer: "/none".into(), ops: ops("a") }, r).is_some(), "absent");
    }

    #[test]
    fn same_words_compares_scopes_as_sets() {
        let r = json!({"json": {"scope": "b  a", "other": 3}});
        let ops = |w: &str| Ops { same_words: Some(w.into()), ..Ops::default() };
        assert!(check(Check::Json { pointer: "/scope".into(), ops: ops("a b") }, r.clone()).is_none());
        assert!(check(Check::Json { pointer: "/scope".into(), ops: ops("a") }, r.clone()).is_some());
        assert!(check(Check::Json { pointer: "/scope".into(), ops: ops("a b c") }, r.clone()).is_some());
        assert!(check(Check::Json { pointer: "/other".into(), ops: ops("3") }, r.clone()).is_some());
        assert!(check(Check::Json { pointer: "/missing".into(), ops: ops("") }, r).is_some());
    }

    #[test]
    fn absence_and_presence_are_checked_before_anything_else() {
        let r = json!({"headers": {"cache-control": "no-store"}});
        let absent = Ops { exists: Some(false), ..Ops::default() };
        assert!(check(Check::Header { name: "Pragma".into(), ops: absent.clone() }, r.clone()).is_none());
        let m = check(Check::Header { name: "cache-control".into(), ops: absent }, r.clone()).unwrap();
        assert_eq!(m.expected, "absent");
        let has = Ops { contains: Some(json!("NO-STORE")), ignore_case: true, ..Ops::default() };
        assert!(check(Check::Header { name: "Cache-Control".into(), ops: has }, r).is_none());
    }

    #[test]
    fn each_applies_to_every_item_or_to_the_members_keys_selects() {
        let r = json!({"json": {"a_endpoint": "https://x", "b_endpoint": "http://y", "list": [], "n": 1}});
        let https = Ops { matches: Some("^https://".into()), ..Ops::default() };
        let ops =
            Ops { each: Some(Box::new(https.clone())), keys: Some("_endpoint$".into()), ..Ops::default() };
        let m = check(Check::Json { pointer: "".into(), ops }, r.clone()).unwrap();
        assert_eq!(m.actual, "b_endpoint: \"http://y\"");
        let not_empty = Ops { not_equals: Some(json!([])), ..Ops::default() };
        let ops = Ops { each: Some(Box::new(not_empty)), ..Ops::default() };
        let m = check(Check::Json { pointer: "".into(), ops }, r.clone()).unwrap();
        assert!(m.actual.starts_with("list:"), "{m:?}");
        let ops = Ops { each: Some(Box::new(https)), ..Ops::default() };
        assert!(check(Check::Json { pointer: "/list".into(), ops }, r.clone()).is_none());
        let keys_alone = Ops { keys: Some("x".into()), ..Ops::default() };
        assert!(evaluate(&Check::Json { pointer: "".into(), ops: keys_alone }, &r, &vars()).is_err());
    }

    #[test]
    fn a_guard_holds_when_its_value_satisfies_it_and_unknown_references_count_as_absent() {
        let present = Ops { exists: Some(true), ..Ops::default() };
        let absent = Ops { exists: Some(false), ..Ops::default() };
        assert!(guard_holds("{issuer}", &present, &vars()).unwrap());
        assert!(!guard_holds("{nothing.here}", &present, &vars()).unwrap());
        assert!(guard_holds("{nothing.here}", &absent, &vars()).unwrap());
    }

    #[test]
    fn any_holds_when_one_alternative_holds_entirely_and_reports_each_miss() {
        let status = |s| Check::Status { status: StatusSpec::One(s) };
        let json_eq =
            |p: &str, v| Check::Json { pointer: p.into(), ops: Ops { equals: Some(v), ..Ops::default() } };
        let any =
            Check::Any { alternatives: vec![vec![status(400)], vec![status(201), json_eq("/x", json!(1))]] };
        assert!(check(any.clone(), json!({"status": 400})).is_none());
        assert!(check(any.clone(), json!({"status": 201, "json": {"x": 1}})).is_none());
        let m = check(any, json!({"status": 201, "json": {"x": 2}})).unwrap();
        assert_eq!(m.expected, "(1) status: status 400 or (2) json /x: 1");
        assert_eq!(m.actual, "(1) status: status 201; (2) json /x: 2");
    }

    #[test]
    fn types_regexes_and_lengths_are_enforced() {
        let r = json!({"json": {"expires_in": "3600", "scope": "a b"}, "body": "<html>"});
        let number = Ops { type_: Some("number".into()), ..Ops::default() };
        assert!(check(Check::Json { pointer: "/expires_in".into(), ops: number }, r.clone()).is_some());
        let re = Ops { matches: Some("^[a-z ]+$".into()), max_len: Some(3), ..Ops::default() };
        assert!(check(Check::Json { pointer: "/scope".into(), ops: re }, r.clone()).is_none());
        let https = Ops { not_starts_with: Some("https://".into()), ignore_case: true, ..Ops::default() };
        assert!(check(Check::Json { pointer: "/scope".into(), ops: https.clone() }, r.clone()).is_none());
        let url = json!({"json": {"id": "HTTPS://x"}});
        assert!(check(Check::Json { pointer: "/id".into(), ops: https }, url).is_some());
        let body = Ops { not_contains: Some(json!("<script")), ..Ops::default() };
        assert!(check(Check::Body { ops: body }, r).is_none());
    }

    #[test]
    fn numeric_bounds_compare_numbers_and_refuse_text() {
        let r = json!({"json": {"exp": 100, "text": "50"}});
        let most = |v: Value| Ops { at_most: Some(v), ..Ops::default() };
        assert!(check(Check::Json { pointer: "/exp".into(), ops: most(json!(100)) }, r.clone()).is_none());
        assert!(check(Check::Json { pointer: "/exp".into(), ops: most(json!("99")) }, r.clone()).is_some());
        assert!(check(Check::Json { pointer: "/text".into(), ops: most(json!(99)) }, r.clone()).is_some());
        let least = Ops { at_least: Some(json!(101)), ..Ops::default() };
        let m = check(Check::Json { pointer: "/exp".into(), ops: least }, r).unwrap();
        assert_eq!(m.expected, "a number at least 101");
    }

    #[test]
    fn includes_accepts_the_value_itself_or_an_array_holding_it() {
        let r = json!({"json": {"one": "https://r/mcp", "many": ["x", "https://r/mcp"], "longer": "https://r/mcp2"}});
        let inc = || Ops { includes: Some(json!("https://r/mcp")), ..Ops::default() };
        assert!(check(Check::Json { pointer: "/one".into(), ops: inc() }, r.clone()).is_none());
        assert!(check(Check::Json { pointer: "/many".into(), ops: inc() }, r.clone()).is_none());
        let m = check(Check::Json { pointer: "/longer".into(), ops: inc() }, r).unwrap();
        assert_eq!(m.expected, "\"https://r/mcp\" or an array holding it");
    }

    #[test]
    fn any_holds_when_one_of_its_checks_holds_and_reports_them_all_otherwise() {
        let r = json!({"status": 404, "json": {"issuer": "https://as"}});
        let any =
            |checks: Vec<Check>| Check::Any { alternatives: checks.into_iter().map(|c| vec![c]).collect() };
        let ok = Check::Json {
            pointer: "/issuer".into(),
            ops: Ops { equals: Some(json!("{issuer}")), ..Ops::default() },
        };
        let not_found = Check::Status { status: StatusSpec::One(200) };
        assert!(check(any(vec![not_found.clone(), ok]), r.clone()).is_none());
        let missing = Check::Value {
            of: "{nope.status}".into(),
            ops: Ops { equals: Some(json!(200)), ..Ops::default() },
        };
        let m = check(any(vec![not_found, missing]), r).unwrap();
        assert!(m.expected.starts_with("(1) status: status 200 or (2) value {nope.status}"), "{m:?}");
        assert!(m.actual.contains("status 404") && m.actual.contains("nothing is named `nope`"), "{m:?}");
    }

    #[test]
    fn keys_in_is_an_allow_list_of_object_keys() {
        let r = json!({"params": {"error": "access_denied", "state": "x"}});
        let ops = |keys: &[&str]| Ops {
            keys_in: Some(keys.iter().map(|k| k.to_string()).collect()),
            ..Ops::default()
        };
        let field = |o: Ops| Check::Field { pointer: "/params".into(), ops: o };
        assert!(check(field(ops(&["error", "state", "iss"])), r.clone()).is_none());
        let m = check(field(ops(&["error"])), r).unwrap();
        assert!(m.expected.contains("state"), "{m:?}");
    }
}
