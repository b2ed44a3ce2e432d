//! Reading scenario files: TOML → `Scenario`, with every problem reported as `file:line` and a
//! fix hint before anything runs.

use std::collections::{BTreeSet, HashSet};

use serde::Deserialize;
use toml::{Spanned, Table, Value as Toml};

use super::error::LoadError;
use super::model::{Expect, Level, Requirement, Scenario, Source, Step};
use crate::engine::expect::{Check, Ops, StatusSpec};
use crate::engine::steps::StepKind;
use crate::engine::template;

/// Names every scenario can refer to besides its own steps.
pub const GLOBALS: &[&str] = &[
    "issuer",
    "metadata",
    "clients",
    "user",
    "resource",
    "resource_scope",
    "other_resource",
    "mcp_version",
    "origin",
    "target",
    "assertion_jwks",
    "clerk",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    area: Option<String>,
    #[serde(default)]
    scenario: Vec<Spanned<RawScenario>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: String,
    title: String,
    level: Level,
    spec: String,
    #[serde(default)]
    also: Vec<String>,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    killed_by: Vec<String>,
    explain: Option<String>,
    #[serde(default)]
    exclusive: bool,
    #[serde(default)]
    step: Vec<Spanned<Table>>,
    #[serde(default)]
    expect: Vec<Spanned<Table>>,
}

/// Where a file's lines begin, to turn byte offsets into line numbers without rescanning the
/// text for every scenario, step and expectation.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i).collect())
    }

    /// Line (1-based) of a byte offset.
    fn of(&self, offset: usize) -> usize {
        self.0.partition_point(|&newline| newline < offset) + 1
    }
}

/// Parse one scenario file. `file` is the name used in messages.
pub fn parse_file(file: &str, text: &str) -> Result<Vec<Scenario>, Vec<LoadError>> {
    let lines = Lines::new(text);
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| lines.of(s.start));
        vec![LoadError::new(file, text, line, e.message().trim().to_string(), None)]
    })?;
    let area = raw.area.unwrap_or_else(|| file.trim_end_matches(".toml").to_string());
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for sc in raw.scenario {
        let line = lines.of(sc.span().start);
        match scenario(file, text, &lines, &area, line, sc.into_inner()) {
            Ok(s) => out.push(s),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn scenario(
    file: &str,
    text: &str,
    lines: &Lines,
    area: &str,
    line: usize,
    raw: RawScenario,
) -> Result<Scenario, Vec<LoadError>> {
    let mut errors = Vec::new();
    let err = |line: usize, msg: String, help: Option<String>| LoadError::new(file, text, line, msg, help);
    if raw.id.trim().is_empty() || raw.id.contains(char::is_whitespace) {
        errors.push(err(
            line,
            format!("scenario id `{}` must be non-empty and without spaces", raw.id),
            None,
        ));
    }
    let mut requires = Vec::new();
    for r in &raw.requires {
        match Requirement::parse(r) {
            Some(req) => requires.push(req),
            None => errors.push(err(
                line,
                format!("`{}`: cannot read requirement `{r}`", raw.id),
                Some("use a metadata member name, `feature:NAME`, `client:ROLE`, `user`, `resource`, `other_resource`, `clock`, `mcp>=VERSION` or `option:KEY=VALUE`, or alternatives joined by `|`".into()),
            )),
        }
    }
    // A client scenario is proven by the flawed client's faults, a server scenario by the
    // fake server's.
    let judges_client = raw.step.iter().any(|s| s.get_ref().contains_key("run_client"));
    for f in &raw.killed_by {
        let known = if judges_client {
            crate::engine::steps::program::FLAWED_CLIENT_FAULTS.contains(&f.as_str())
        } else {
            f.parse::<fake_server::Fault>().is_ok()
        };
        if !known {
            let hint = if judges_client {
                "interop/clients/flawed-client/README.md lists the flawed client's faults"
            } else {
                "`oauth-fake-server --list-faults` lists them"
            };
            errors.push(err(
                line,
                format!("`{}`: killed_by names unknown fault `{f}`", raw.id),
                Some(hint.into()),
            ));
        }
    }
    let mut known: HashSet<String> = GLOBALS.iter().map(|s| s.to_string()).collect();
    let mut steps = Vec::new();
    for (i, st) in raw.step.into_iter().enumerate() {
        let sline = lines.of(st.span().start);
        match step(i, st.into_inner(), &known) {
            Ok(s) => {
                if !known.insert(s.name.clone()) {
                    errors.push(err(sline, format!("`{}`: two steps are named `{}`", raw.id, s.name), None));
                }
                steps.push(Step { line: sline, ..s });
            }
            Err((msg, help)) => errors.push(err(sline, format!("`{}`: {msg}", raw.id), help)),
        }
    }
    if steps.is_empty() && errors.is_empty() {
        errors.push(err(
            line,
            format!("`{}` has no steps", raw.id),
            Some("add a `[[scenario.step]]` table".into()),
        ));
    }
    let last = steps.last().map(|s| s.name.clone()).unwrap_or_default();
    let mut expects = Vec::new();
    for ex in raw.expect {
        let eline = lines.of(ex.span().start);
        match expectations(ex.into_inner(), &last, &known) {
            Ok(mut list) => {
                for e in &mut list {
                    e.line = eline;
                }
                expects.append(&mut list);
            }
            Err((msg, help)) => errors.push(err(eline, format!("`{}`: {msg}", raw.id), help)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let exclusive = raw.exclusive || steps.iter().any(|s| matches!(s.kind, StepKind::Wait(_)));
    Ok(Scenario {
        id: raw.id,
        title: raw.title,
        level: raw.level,
        spec: raw.spec,
        area: area.to_string(),
        also: raw.also,
        requires,
        killed_by: raw.killed_by,
        explain: raw.explain,
        steps,
        expects,
        exclusive,
        source: Source { file: file.to_string(), line },
    })
}

type Problem = (String, Option<String>);

fn step(index: usize, mut table: Table, known: &HashSet<String>) -> Result<Step, Problem> {
    let name = match table.remove("as") {
        Some(Toml::String(s)) => s,
        Some(_) => return Err(("`as` must be a string".into(), None)),
        None => format!("step{}", index + 1),
    };
    let at_idp = match table.remove("at") {
        None => false,
        Some(Toml::String(s)) if s == "idp" => true,
        Some(Toml::String(s)) if s == "target" => false,
        Some(_) => return Err((format!("step `{name}`: `at` must be \"idp\" or \"target\""), None)),
    };
    let kinds: Vec<String> = table.keys().cloned().collect();
    let [kind] = kinds.as_slice() else {
        let help = format!("a step has exactly one of: {}", StepKind::NAMES.join(", "));
        return Err((
            format!("step `{name}` names {} actions ({})", kinds.len(), kinds.join(", ")),
            Some(help),
        ));
    };
    let value = table.remove(kind).unwrap_or(Toml::Table(Table::new()));
    if StepKind::SELF_REFERENCING.contains(&kind.as_str()) {
        let mut with_self = known.clone();
        with_self.insert(name.clone());
        check_references(&value, &with_self)?;
    } else {
        check_references(&value, known)?;
    }
    let kind = StepKind::from_toml(kind, value).map_err(|e| (format!("step `{name}`: {}", e.0), e.1))?;
    Ok(Step { name, kind, at_idp, line: 0 })
}

/// Every `{ref}` in a step must name a global or an earlier step.
fn check_references(v: &Toml, known: &HashSet<String>) -> Result<(), Problem> {
    match v {
        Toml::String(s) => {
            for r in template::references(s).map_err(|e| (e.to_string(), None))? {
                let head = r.split('.').next().unwrap_or("");
                if !known.contains(head) {
                    let mut names: Vec<&String> = known.iter().collect();
                    names.sort();
                    let names: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
                    return Err((
                        format!("`{{{r}}}` refers to `{head}`, which is not defined before this point"),
                        Some(format!("known names: {}", names.join(", "))),
                    ));
                }
            }
            Ok(())
        }
        Toml::Array(items) => items.iter().try_for_each(|i| check_references(i, known)),
        Toml::Table(t) => t.values().try_for_each(|i| check_references(i, known)),
        _ => Ok(()),
    }
}

const CHECK_KEYS: &[&str] = &["status", "header", "json", "param", "field", "value", "body", "jwks", "any"];

fn expectations(mut table: Table, last: &str, known: &HashSet<String>) -> Result<Vec<Expect>, Problem> {
    let step = match table.remove("step") {
        Some(Toml::String(s)) => s,
        Some(_) => return Err(("`step` must be a string".into(), None)),
        None => last.to_string(),
    };
    if !known.contains(&step) || GLOBALS.contains(&step.as_str()) {
        return Err((
            format!("expectation refers to unknown step `{step}`"),
            Some("name steps with `as = \"NAME\"`".into()),
        ));
    }
    let message = match table.remove("message") {
        Some(Toml::String(s)) => Some(s),
        Some(_) => return Err(("`message` must be a string".into(), None)),
        None => None,
    };
    let when = match table.remove("when") {
        Some(Toml::Table(t)) => {
            check_references(&Toml::Table(t.clone()), known)?;
            let mut conditions = t.into_iter().map(|(k, v)| check(&k, v)).collect::<Result<Vec<_>, _>>()?;
            if conditions.len() != 1 {
                return Err((
                    "`when` needs exactly one check".into(),
                    Some("e.g. when = { header = { name = \"vary\", exists = true } }".into()),
                ));
            }
            conditions.pop()
        }
        Some(_) => return Err(("`when` must be a table holding one check".into(), None)),
        None => None,
    };
    let assume = match table.remove("assume") {
        Some(Toml::Boolean(b)) => b,
        Some(_) => return Err(("`assume` must be true or false".into(), None)),
        None => false,
    };
    check_references(&Toml::Table(table.clone()), known)?;
    Ok(checks(table)?
        .into_iter()
        .map(|check| Expect {
            step: step.clone(),
            check,
            when: when.clone(),
            message: message.clone(),
            assume,
            line: 0,
        })
        .collect())
}

/// The checks of one table (`status`, `json`, ..., `any`); a list under one key checks each item.
fn checks(mut table: Table) -> Result<Vec<Check>, Problem> {
    let keys: BTreeSet<String> = table.keys().cloned().collect();
    if keys.is_empty() {
        return Err((
            "an expectation checks nothing".into(),
            Some(format!("use one of: {}", CHECK_KEYS.join(", "))),
        ));
    }
    let mut out = Vec::new();
    for key in keys {
        let value = table.remove(&key).unwrap_or(Toml::Boolean(false));
        if key == "any" {
            out.push(any(value)?);
            continue;
        }
        let items = match value {
            Toml::Array(items) if key != "status" && key != "any" => items,
            other => vec![other],
        };
        for item in items {
            out.push(check(&key, item)?);
        }
    }
    Ok(out)
}

/// `any = [{ status = 400 }, { status = 201, json = {...} }]`: at least one table must hold.
fn any(value: Toml) -> Result<Check, Problem> {
    let help = || Some("any = [{ status = 400 }, { status = 201, json = { ... } }]".to_string());
    let Toml::Array(items) = value else {
        return Err(("`any` must be a list of alternatives (tables of checks)".into(), help()));
    };
    if items.is_empty() {
        return Err(("`any` needs at least one alternative".into(), help()));
    }
    let mut alternatives = Vec::new();
    for item in items {
        let Toml::Table(t) = item else {
            return Err(("each alternative of `any` is a table of checks".into(), help()));
        };
        alternatives.push(checks(t)?);
    }
    Ok(Check::Any { alternatives })
}

fn ops(t: Table) -> Result<Ops, Problem> {
    Toml::Table(t).try_into::<Ops>().map_err(|e| {
        (
            format!("bad matcher: {}", e.message().trim()),
            Some("operators: equals, not_equals, exists, contains, not_contains, matches, one_of, type, starts_with, not_starts_with, min_len, max_len, at_most, at_least, keys_in, includes, same_words, has_words, ignore_case, each, keys".into()),
        )
    })
}

fn take_string(t: &mut Table, key: &str, kind: &str) -> Result<String, Problem> {
    match t.remove(key) {
        Some(Toml::String(s)) => Ok(s),
        _ => Err((format!("`{kind}` needs a string `{key}`"), None)),
    }
}

fn check(key: &str, value: Toml) -> Result<Check, Problem> {
    if key == "status" {
        let status: StatusSpec = value.try_into().map_err(|_| {
            ("`status` must be a number, a list of numbers or a class like \"4xx\"".to_string(), None)
        })?;
        return Ok(Check::Status { status });
    }
    if key == "jwks" {
        let rule: crate::engine::jwks::JwksRule = value.try_into().map_err(|_| {
            (
                "`jwks` must be one of \"parses\", \"distinct-kid\", \"public\", \"consistent\"".to_string(),
                None,
            )
        })?;
        return Ok(Check::Jwks { rule });
    }
    let Toml::Table(mut t) = value else {
        return Err((format!("`{key}` must be a table, e.g. {key} = {{ ..., equals = ... }}"), None));
    };
    Ok(match key {
        "header" => {
            Check::Header { name: take_string(&mut t, "name", key)?.to_ascii_lowercase(), ops: ops(t)? }
        }
        "json" => Check::Json { pointer: take_string(&mut t, "pointer", key)?, ops: ops(t)? },
        "param" => Check::Param { name: take_string(&mut t, "name", key)?, ops: ops(t)? },
        "field" => Check::Field { pointer: take_string(&mut t, "pointer", key)?, ops: ops(t)? },
        "value" => Check::Value { of: take_string(&mut t, "of", key)?, ops: ops(t)? },
        "body" => Check::Body { ops: ops(t)? },
        other => {
            return Err((
                format!("unknown expectation `{other}`"),
                Some(format!(
                    "use one of: {}, plus `step`, `when`, `message` and `assume`",
                    CHECK_KEYS.join(", ")
                )),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_offset_is_on_the_line_its_text_is_on() {
        let text = "a\nbc\n\nd";
        let lines = Lines::new(text);
        let naive = |o: usize| text[..o].matches('\n').count() + 1;
        for offset in 0..=text.len() {
            assert_eq!(lines.of(offset), naive(offset), "offset {offset}");
        }
        assert_eq!(lines.of(1), 1, "the newline itself ends its line");
        assert_eq!(lines.of(2), 2);
        assert_eq!(lines.of(6), 4);
    }

    const FILE: &str = r#"
[[scenario]]
id = "X-1"
title = "t"
level = "MUST"
spec = "s"
[[scenario.step]]
discover = {}
as = "d"
[[scenario.expect]]
when = { value = { of = "{d.status}", equals = 200 } }
json = { pointer = "/issuer", exists = true }
"#;

    #[test]
    fn a_misspelled_step_value_fails_to_load_with_its_line_and_the_values_allowed() {
        for (step, wrong, allowed) in [
            ("authorize = { interact = \"mannual\" }", "mannual", "`auto`, `manual`, `none`"),
            ("authorize = { login = \"cancle\" }", "cancle", "`cancel`"),
            ("authorize = { consent = \"deney\" }", "deney", "`approve` or `deny`"),
            ("token = { auth = \"bsaic\" }", "bsaic", "`basic`, `post`"),
            ("introspect = { auth = \"Post\" }", "Post", "`basic`, `post`"),
            ("consent = { tamper = \"drop_csrf\" }", "drop_csrf", "`drop-csrf`, `wrong-csrf`"),
            ("login = { then = \"automatic\" }", "automatic", "`auto` or `manual`"),
            ("discover = { form = \"openid_insert\" }", "openid_insert", "`openid-insert`"),
            ("discover = { fallback = [\"resource-roots\"] }", "resource-roots", "`resource-root`"),
            ("token = { body = \"jsn\" }", "jsn", "`form` or `json`"),
            ("token = { assertion = { key = \"strange\" } }", "strange", "`registered` or `stranger`"),
        ] {
            let text = FILE.replace("discover = {}", step);
            let errors = parse_file("t.toml", &text).unwrap_err();
            let e = &errors[0];
            assert_eq!((e.file.as_str(), e.line), ("t.toml", 7), "{}", e.message);
            assert!(e.message.contains(wrong) && e.message.contains(allowed), "{}", e.message);
        }
    }

    #[test]
    fn a_misspelled_step_parameter_fails_to_load_with_its_line_and_the_parameters_allowed() {
        for (step, wrong, allowed) in [
            ("token = { auht = \"basic\" }", "auht", "`auth`"),
            ("authorize = { scopes = \"openid\" }", "scopes", "`scope`"),
            ("consent = { tamprer = \"get\" }", "tamprer", "`tamper`"),
        ] {
            let text = FILE.replace("discover = {}", step);
            let errors = parse_file("t.toml", &text).unwrap_err();
            let e = &errors[0];
            assert_eq!((e.file.as_str(), e.line), ("t.toml", 7), "{}", e.message);
            assert!(e.message.contains(wrong) && e.message.contains(allowed), "{}", e.message);
        }
    }

    #[test]
    fn an_expectation_may_carry_a_when_condition() {
        let s = parse_file("t.toml", FILE).unwrap();
        let e = &s[0].expects[0];
        assert!(matches!(&e.when, Some(Check::Value { of, .. }) if of == "{d.status}"));
    }

    #[test]
    fn a_when_condition_may_only_refer_to_known_names() {
        let bad = FILE.replace("{d.status}", "{nope.status}");
        let errors = parse_file("t.toml", &bad).unwrap_err();
        assert!(errors[0].message.contains("refers to `nope`"), "{:?}", errors[0].message);
    }

    const HEAD: &str = "[[scenario]]\nid = \"X-01\"\ntitle = \"t\"\nlevel = \"MUST\"\nspec = \"s\"\n";

    fn parse(body: &str) -> Result<Vec<Scenario>, Vec<LoadError>> {
        parse_file("t.toml", &format!("{HEAD}{body}"))
    }

    #[test]
    fn any_takes_tables_of_checks_and_assume_marks_a_premise() {
        let s = parse(
            "[[scenario.step]]\nas = \"r\"\nregister = {}\n[[scenario.expect]]\nassume = true\n\
             any = [{ status = 400 }, { status = 201, json = { pointer = \"/x\", exists = true } }]\n",
        )
        .unwrap();
        let e = &s[0].expects[0];
        assert!(e.assume);
        let Check::Any { alternatives } = &e.check else { panic!("{:?}", e.check) };
        assert_eq!(alternatives.iter().map(Vec::len).collect::<Vec<_>>(), [1, 2]);
        let bad = parse("[[scenario.step]]\nregister = {}\n[[scenario.expect]]\nany = [400]\n").unwrap_err();
        assert!(bad[0].to_string().contains("each alternative of `any` is a table"), "{}", bad[0]);
    }

    #[test]
    fn only_a_host_step_may_refer_to_itself() {
        assert!(
            parse("[[scenario.step]]\nas = \"doc\"\nhost = { json = { client_id = \"{doc.url}\" } }\n")
                .is_ok()
        );
        let e = parse("[[scenario.step]]\nas = \"r\"\nrequest = { url = \"{r.url}\" }\n").unwrap_err();
        assert!(e[0].to_string().contains("not defined before this point"), "{}", e[0]);
    }
}
