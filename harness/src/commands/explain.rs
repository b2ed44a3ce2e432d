//! `explain` in words a person reads: the requirement, what each step does and what each
//! expectation asks of the server, without the matcher's internal field names (layer:
//! commands; reads the scenario model of the engine).

use serde_json::Value;

use crate::Exit;
use crate::commands::cli::ExplainArgs;
use crate::commands::error::CommandError;
use crate::commands::settings::select_all;
use crate::engine::expect::{Check, Ops, StatusSpec};
use crate::engine::suite::Scenario;

/// The `explain` text of a scenario.
pub fn explain_text(s: &Scenario) -> String {
    let mut out = format!(
        "{} [{}] {}\n{}\nArea: {} · defined at {}\n",
        s.id, s.level, s.title, s.spec, s.area, s.source
    );
    if !s.also.is_empty() {
        out.push_str(&format!("Also checks: {}\n", s.also.join(", ")));
    }
    if !s.requires.is_empty() {
        let req: Vec<String> = s.requires.iter().map(ToString::to_string).collect();
        out.push_str(&format!("Requires: {}\n", req.join(", ")));
    }
    out.push_str("\nSteps:\n");
    for (i, st) in s.steps.iter().enumerate() {
        let params = serde_json::to_value(&st.kind)
            .ok()
            .and_then(|v| v.get(st.kind.name()).cloned())
            .unwrap_or_default();
        let details = parameters(&params);
        let details = if details.is_empty() { String::new() } else { format!(" ({details})") };
        out.push_str(&format!("  {}. `{}`: {}{details}\n", i + 1, st.name, step_phrase(st.kind.name())));
    }
    out.push_str("\nExpectations:\n");
    for e in &s.expects {
        let when = match &e.when {
            Some(w) => format!(", only when {}", describe(w)),
            None => String::new(),
        };
        let premise = if e.assume { " (a premise: otherwise the scenario is skipped)" } else { "" };
        out.push_str(&format!("  - after `{}`: {}{when}{premise}\n", e.step, describe(&e.check)));
        if let Some(m) = &e.message {
            out.push_str(&format!("    on failure: {m}\n"));
        }
    }
    if let Some(x) = &s.explain {
        out.push_str(&format!("\nWhat a failure usually means:\n  {x}\n"));
    }
    if !s.killed_by.is_empty() {
        let whose = if s.steps.iter().any(|st| st.kind.name() == "run_client") {
            "the flawed client's faults (interop/clients/flawed-client)"
        } else {
            "fake-server faults"
        };
        out.push_str(&format!("\nProven by {whose}: {}\n", s.killed_by.join(", ")));
    }
    out
}

/// What a step kind does, as a phrase.
fn step_phrase(kind: &str) -> &'static str {
    match kind {
        "discover" => "fetch the server's metadata",
        "register" => "register a client (dynamic client registration)",
        "authorize" => "send an authorization request and follow it back to the client",
        "login" => "log in as the test user",
        "consent" => "answer the consent page",
        "token" => "call the token endpoint",
        "flow" => "run a whole authorization code grant",
        "introspect" => "introspect a token",
        "revoke" => "revoke a token",
        "userinfo" => "call the userinfo endpoint",
        "preflight" => "send a CORS preflight request",
        "verify_jwt" => "verify a JWT's signature and claims",
        "resource" => "call the protected resource",
        "request" => "send an HTTP request as written",
        "wait" => "wait",
        "host" => "host a document for the server to fetch",
        "sign" => "make a JWT signed with the harness's own key",
        "run_client" => "run the client under test against a fresh fake server, playing its user",
        _ => "run the step",
    }
}

/// A step's parameters as `name value` pairs, leaving out defaults (false, empty, null).
fn parameters(v: &Value) -> String {
    let Value::Object(m) = v else { return plain(v) };
    m.iter()
        .filter(|(k, v)| {
            *k != "kind"
                && !v.is_null()
                && *v != &Value::Bool(false)
                && !matches!(v, Value::Array(a) if a.is_empty())
                && !matches!(v, Value::Object(o) if o.is_empty())
        })
        .map(|(k, v)| match v {
            Value::Bool(true) => k.replace('_', " "),
            Value::String(step) if k == "from" => format!("from step `{step}`"),
            other => format!("{} {}", k.replace('_', " "), plain(other)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as a person writes it: strings without quotes (an empty one as `""`), lists
/// separated by commas, objects as `name=value`.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "\"\"".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) => a.iter().map(plain).collect::<Vec<_>>().join(", "),
        Value::Object(m) => m.iter().map(|(k, v)| format!("{k}={}", plain(v))).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// A value an expectation compares with: objects as JSON (`{"active":false}`), the rest as
/// [`plain`] writes them.
fn shown(v: &Value) -> String {
    match v {
        Value::Object(m) if !m.is_empty() => v.to_string(),
        other => plain(other),
    }
}

/// One check in words: `status is 400`, `JSON /error is one of invalid_grant, invalid_request`.
pub fn describe(check: &Check) -> String {
    match check {
        Check::Status { status } => match status {
            StatusSpec::One(s) => format!("status is {s}"),
            StatusSpec::Any(l) => format!(
                "status is one of {}",
                l.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
            StatusSpec::Class(c) => format!("status is {c}"),
        },
        Check::Header { name, ops } => about(&format!("header {name}"), ops),
        Check::Json { pointer, ops } if pointer.is_empty() => about("the JSON body", ops),
        Check::Json { pointer, ops } => about(&format!("JSON {pointer}"), ops),
        Check::Param { name, ops } => about(&format!("parameter {name}"), ops),
        Check::Field { pointer, ops } => {
            about(&format!("the step's {}", pointer.trim_start_matches('/')), ops)
        }
        Check::Value { of, ops } => about(of, ops),
        Check::Body { ops } => about("the body", ops),
        Check::Jwks { rule } => format!("the JWK Set has {}", rule.expected()),
        Check::Any { alternatives } => {
            let each: Vec<String> = alternatives
                .iter()
                .map(|a| a.iter().map(describe).collect::<Vec<_>>().join(" and "))
                .map(|a| format!("({a})"))
                .collect();
            format!("either {}", each.join(" or "))
        }
    }
}

/// `subject` and what its operators ask; a matcher that only looks inside puts the members
/// first ("every member of the JSON body is not []").
fn about(subject: &str, ops: &Ops) -> String {
    match &ops.each {
        Some(each) if *ops == (Ops { each: ops.each.clone(), keys: ops.keys.clone(), ..Ops::default() }) => {
            let which = match &ops.keys {
                Some(re) => format!("every member of {subject} whose name matches /{re}/"),
                None => format!("every element or member of {subject}"),
            };
            format!("{which} {}", ops_text(each))
        }
        _ => format!("{subject} {}", ops_text(ops)),
    }
}

/// The operators of a matcher in words, joined with `and`.
pub fn ops_text(ops: &Ops) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(v) = &ops.equals {
        parts.push(format!("is {}", shown(v)));
    }
    if let Some(v) = &ops.not_equals {
        parts.push(format!("is not {}", shown(v)));
    }
    match ops.exists {
        Some(true) => parts.push("is present".into()),
        Some(false) => parts.push("is absent".into()),
        None => {}
    }
    if let Some(v) = &ops.contains {
        parts.push(format!("contains {}", shown(v)));
    }
    if let Some(v) = &ops.not_contains {
        parts.push(format!("does not contain {}", shown(v)));
    }
    if let Some(re) = &ops.matches {
        parts.push(format!("matches /{re}/"));
    }
    if let Some(list) = &ops.one_of {
        parts.push(format!("is one of {}", list.iter().map(shown).collect::<Vec<_>>().join(", ")));
    }
    if let Some(t) = &ops.type_ {
        let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        parts.push(format!("is {article} {t}"));
    }
    if let Some(s) = &ops.starts_with {
        parts.push(format!("starts with {s}"));
    }
    if let Some(s) = &ops.not_starts_with {
        parts.push(format!("does not start with {s}"));
    }
    if let Some(n) = ops.min_len {
        parts.push(format!("has a length of at least {n}"));
    }
    if let Some(n) = ops.max_len {
        parts.push(format!("has a length of at most {n}"));
    }
    if let Some(v) = &ops.at_least {
        parts.push(format!("is at least {}", shown(v)));
    }
    if let Some(v) = &ops.at_most {
        parts.push(format!("is at most {}", shown(v)));
    }
    if let Some(keys) = &ops.keys_in {
        parts.push(format!("has no members but {}", keys.join(", ")));
    }
    if let Some(each) = &ops.each {
        let which = match &ops.keys {
            Some(re) => format!("every member whose name matches /{re}/"),
            None => "every element or member".to_string(),
        };
        parts.push(format!("{which} {}", ops_text(each)));
    }
    if let Some(v) = &ops.includes {
        parts.push(format!("is or includes {}", shown(v)));
    }
    if let Some(s) = &ops.same_words {
        parts.push(format!("has the words {s} in any order"));
    }
    let mut text = if parts.is_empty() { "is checked".to_string() } else { parts.join(" and ") };
    if ops.ignore_case {
        text.push_str(" (ignoring case)");
    }
    text
}

/// `explain`: one scenario in words.
pub fn explain(args: ExplainArgs) -> Result<Exit, CommandError> {
    let scenarios = select_all(&args.select)?;
    let Some(s) = scenarios.iter().find(|s| s.id.eq_ignore_ascii_case(&args.id)) else {
        let close: Vec<&str> = scenarios
            .iter()
            .filter(|s| s.spec_id().eq_ignore_ascii_case(args.id.split('.').next().unwrap_or("")))
            .map(|s| s.id.as_str())
            .collect();
        let hint =
            if close.is_empty() { String::new() } else { format!(" (did you mean {}?)", close.join(", ")) };
        return Err(CommandError::Usage(format!(
            "no scenario `{}`{hint}; `oauth-conformance list` shows them all",
            args.id
        )));
    };
    print!("{}", explain_text(s));
    Ok(Exit::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(v: Value) -> Ops {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn each_check_kind_reads_as_a_sentence_without_matcher_field_names() {
        let cases = [
            (Check::Status { status: StatusSpec::One(400) }, "status is 400"),
            (Check::Status { status: StatusSpec::Any(vec![400, 401]) }, "status is one of 400, 401"),
            (
                Check::Json {
                    pointer: "/error".into(),
                    ops: ops(json!({"one_of": ["invalid_grant", "invalid_request"]})),
                },
                "JSON /error is one of invalid_grant, invalid_request",
            ),
            (
                Check::Header { name: "cache-control".into(), ops: ops(json!({"contains": "no-store"})) },
                "header cache-control contains no-store",
            ),
            (
                Check::Param { name: "code".into(), ops: ops(json!({"exists": false})) },
                "parameter code is absent",
            ),
            (
                Check::Json {
                    pointer: "/token_type".into(),
                    ops: ops(json!({"equals": "bearer", "ignore_case": true})),
                },
                "JSON /token_type is bearer (ignoring case)",
            ),
            (
                Check::Any {
                    alternatives: vec![
                        vec![Check::Status { status: StatusSpec::Class("4xx".into()) }],
                        vec![Check::Status { status: StatusSpec::One(200) }],
                    ],
                },
                "either (status is 4xx) or (status is 200)",
            ),
        ];
        for (check, words) in cases {
            assert_eq!(describe(&check), words);
        }
    }

    #[test]
    fn a_matcher_on_members_names_them_before_what_they_must_be() {
        let check = Check::Json { pointer: String::new(), ops: ops(json!({"each": {"not_equals": []}})) };
        assert_eq!(describe(&check), "every element or member of the JSON body is not []");
    }

    #[test]
    fn explain_of_a_builtin_scenario_names_no_matcher_internals() {
        let all = crate::engine::suite::load(&[], true).expect("the built-in suites load");
        let code = all.iter().find(|s| s.id == "CODE-01").expect("CODE-01 exists");
        let text = explain_text(code);
        assert!(text.contains("after `t2`: JSON /error is invalid_grant"), "{text}");
        assert!(text.contains("after `t1`: status is 200"), "{text}");
        for internal in ["ops=", "pointer=", "{\"", "refused=false"] {
            assert!(!text.contains(internal), "`{internal}` in {text}");
        }
    }
}
