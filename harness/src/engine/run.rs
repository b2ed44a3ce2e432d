//! Runs scenarios: concurrently (bounded), each with its own user agent and variables;
//! scenarios that move the target's clock run alone at the end.
//!
//! Layer: engine; imports `engine::agent`, `engine::expect`, `engine::steps`, `engine::suite`,
//! `model::mask`, `model::outcome`; never the render or commands layers.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;

use crate::engine::agent::Agent;
use crate::engine::expect::{Check, evaluate, guard_holds};
use crate::engine::steps::{Ctx, Env, StepError};
use crate::engine::suite::{Requirement, Scenario, Step};
use crate::model::mask::{mask_exchanges, replace_all, secrets_of};
use crate::model::outcome::{Attachment, Failure, Outcome, ScenarioResult, StepRecord};

/// Called as each scenario finishes: (done, total, result).
pub type Progress = Arc<dyn Fn(usize, usize, &ScenarioResult) + Send + Sync>;

/// Results as scenarios finish, by their index in the input: what an interrupted run reports.
pub type Sink = Arc<std::sync::Mutex<Vec<(usize, ScenarioResult)>>>;

/// Run every scenario against `env`, `jobs` at a time; results come back in input order.
pub async fn run_all(
    env: Arc<Env>,
    scenarios: Vec<Scenario>,
    jobs: usize,
    progress: Option<Progress>,
) -> Vec<ScenarioResult> {
    let sink: Sink = Arc::default();
    run_into(env, scenarios, jobs, progress, sink.clone()).await;
    let mut results = std::mem::take(&mut *sink.lock().unwrap_or_else(|p| p.into_inner()));
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Run every scenario against `env`, `jobs` at a time, putting each result into `sink` as it
/// finishes (in any order). Dropping the future stops the scenarios still running.
pub async fn run_into(
    env: Arc<Env>,
    scenarios: Vec<Scenario>,
    jobs: usize,
    progress: Option<Progress>,
    sink: Sink,
) {
    let total = scenarios.len();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let finish = {
        let sink = sink.clone();
        let done = done.clone();
        move |index: usize, result: ScenarioResult| {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if let Some(p) = &progress {
                p(n, total, &result);
            }
            sink.lock().unwrap_or_else(|p| p.into_inner()).push((index, result));
        }
    };
    let finish = Arc::new(finish);
    let (exclusive, parallel): (Vec<_>, Vec<_>) =
        scenarios.into_iter().enumerate().partition(|(_, s)| s.exclusive);
    if jobs <= 1 {
        // One at a time, in file order: the same sequence of requests on every run (snapshots
        // depend on it, since server state such as remembered consent carries over).
        for (index, scenario) in parallel.into_iter().chain(exclusive) {
            let result = run_one(&env, &scenario).await;
            finish(index, result);
        }
        return;
    }
    let semaphore = Arc::new(Semaphore::new(jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, scenario) in parallel {
        let env = env.clone();
        let semaphore = semaphore.clone();
        let finish = finish.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let result = run_one(&env, &scenario).await;
            finish(index, result);
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined {
            // A panic inside a scenario is our bug; the run goes on and the scenario is lost.
            eprintln!("oauth-conformance: internal error in a scenario task: {e}");
        }
    }
    for (index, scenario) in exclusive {
        let result = run_one(&env, &scenario).await;
        finish(index, result);
    }
}

/// Why a scenario cannot apply to this target, if it cannot.
pub fn unmet(env: &Env, s: &Scenario) -> Option<String> {
    if env.profile.skips(&s.id) || env.profile.skips(s.spec_id()) {
        return Some(format!("the target profile skips {}", s.id));
    }
    s.requires.iter().find_map(|r| unmet_requirement(env, r))
}

/// Why one requirement is not met, if it is not.
fn unmet_requirement(env: &Env, r: &Requirement) -> Option<String> {
    let md = &env.metadata;
    Some(match r {
        Requirement::Metadata(m) if !md.is_null() && md.get(m).is_none_or(Value::is_null) => {
            format!("the server does not advertise `{m}`")
        }
        Requirement::MetadataValue(m, v) if !md.is_null() => {
            let ok = match md.get(m) {
                Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(v)),
                Some(Value::Bool(b)) => b.to_string() == *v,
                Some(Value::String(s)) => s == v,
                _ => false,
            };
            if ok {
                return None;
            }
            format!("the server's `{m}` does not include `{v}`")
        }
        Requirement::Feature(f) if env.profile.skips(&format!("feature:{f}")) => {
            format!("the target profile turns off feature `{f}`")
        }
        Requirement::Client(c) if !env.profile.has_client(c) => match c.split_once('.') {
            Some((role, field)) => format!("the target profile gives the `{role}` client no `{field}`"),
            None => match env.profile.registration_failures.get(c) {
                Some(failure) => failure.clone(),
                None => format!("the target profile defines no `{c}` client"),
            },
        },
        Requirement::User if env.profile.user.is_none() && env.profile.session_cookie.is_none() => {
            "the target profile has no test user".into()
        }
        Requirement::Resource if env.profile.resource.is_none() => {
            "no protected resource URL (--resource)".into()
        }
        Requirement::OtherResource if env.profile.other_resource.is_none() => {
            "the target profile names no `other_resource`".into()
        }
        Requirement::RegistrationToken if env.profile.registration_token.is_none() => {
            "the target profile names no `registration_token`: registration is open, or its initial access token is unknown".into()
        }
        Requirement::ClerkApi if env.profile.clerk.is_none() => {
            "the target profile names no Clerk Backend API (a `[clerk]` table with `api_url` and `secret_key`)".into()
        }
        Requirement::Clock if env.clock.is_none() && env.profile.skips("feature:clock") => {
            "the target's clock cannot be moved".into()
        }
        Requirement::McpAtLeast(v) if env.mcp_version.as_str() < v.as_str() => {
            format!("applies from MCP {v} (running {})", env.mcp_version)
        }
        Requirement::McpBefore(v) if env.mcp_version.as_str() >= v.as_str() => {
            format!("applies before MCP {v} (running {})", env.mcp_version)
        }
        Requirement::Option(k, v) if env.profile.option(k).is_some_and(|x| x != v) => {
            let chosen = env.profile.option(k).unwrap_or_default();
            if env.profile.options.contains_key(k) {
                format!("the profile chose {k}={chosen}")
            } else {
                format!("{k}={chosen} by default (set it under the profile's [options])")
            }
        }
        Requirement::AnyOf(all) => {
            let reasons = all.iter().map(|r| unmet_requirement(env, r)).collect::<Option<Vec<_>>>()?;
            reasons.join(", and ")
        }
        Requirement::Idp(inner) => match &env.idp {
            Some(idp) => format!("the identity provider ({}): {}", idp.issuer, unmet_requirement(idp, inner)?),
            None => return unmet_requirement(env, inner),
        },
        _ => return None,
    })
}

/// The first `assume` expectation that does not hold, as a skip reason: the server lacks what
/// the scenario presumes, which only a run can tell. Steps that did not run are not judged.
fn unmet_assumption(s: &Scenario, vars: &Map<String, Value>) -> Option<String> {
    s.expects.iter().filter(|e| e.assume).find_map(|ex| {
        let value = vars.get(&ex.step)?;
        let m = match evaluate(&ex.check, value, vars) {
            Ok(m) => m?,
            Err(e) => return Some(format!("assumption at line {} cannot be judged: {e}", ex.line)),
        };
        Some(ex.message.clone().unwrap_or_else(|| {
            format!(
                "the server does not do what this check presumes: step `{}` {}: expected {}, got {}",
                ex.step,
                ex.check.subject(),
                m.expected,
                m.actual
            )
        }))
    })
}

/// Why a step that could not run leaves the scenario unjudged rather than in error: it
/// needs a value the server's earlier answer did not give (a refresh token never issued, an
/// OPTIONAL introspection member), or it only prepares what the scenario judges and the
/// server would not play along (a grant the client may not use). The reason quotes the
/// server's answer. Connection failures and timeouts stay errors.
fn unmet_setup(s: &Scenario, step: &Step, e: &StepError, vars: &Map<String, Value>) -> Option<String> {
    let judged = s.expects.iter().any(|x| !x.assume && x.step == step.name);
    match e {
        StepError::Template(t) => {
            let (head, rest) = t.reference.split_once('.')?;
            let answer = vars.get(head)?;
            let hint = match rest.rsplit('.').next() {
                Some("refresh_token") => {
                    " (servers may issue refresh tokens only with the scope `offline_access`, or only to some clients)"
                }
                Some("exp" | "iat" | "nbf" | "jti" | "token_type") => " (an OPTIONAL member of the answer)",
                _ => "",
            };
            Some(format!(
                "the server's answer to step `{head}` ({}) has no `{rest}`, which step `{}` needs{hint}",
                describe_answer(answer),
                step.name
            ))
        }
        StepError::Prerequisite(msg) if !judged => {
            Some(format!("setup step `{}` ({}) could not be completed: {msg}", step.name, step.kind.name()))
        }
        _ => None,
    }
}

/// A step result in a few words: its status and error code.
fn describe_answer(v: &Value) -> String {
    let status = v.get("status").and_then(Value::as_u64);
    let error = v.get("error").and_then(Value::as_str);
    match (status, error) {
        (Some(st), Some(e)) => format!("status {st}, error `{e}`"),
        (Some(st), None) => format!("status {st}"),
        (None, Some(e)) => format!("error `{e}`"),
        (None, None) => "no HTTP answer".into(),
    }
}

/// The variables every scenario starts with.
fn globals(env: &Env) -> Map<String, Value> {
    let clients: Map<String, Value> = env
        .profile
        .clients
        .iter()
        .map(|(role, c)| (role.clone(), serde_json::to_value(c).unwrap_or(Value::Null)))
        .collect();
    let mut vars = Map::new();
    vars.insert("issuer".into(), json!(env.issuer));
    vars.insert("metadata".into(), env.metadata.clone());
    vars.insert("clients".into(), Value::Object(clients));
    vars.insert("user".into(), serde_json::to_value(&env.profile.user).unwrap_or(Value::Null));
    vars.insert("resource".into(), json!(env.profile.resource));
    vars.insert("resource_scope".into(), json!(env.profile.resource_scope));
    vars.insert("other_resource".into(), json!(env.profile.other_resource));
    vars.insert("mcp_version".into(), json!(env.mcp_version));
    vars.insert("origin".into(), json!(env.profile.origin.as_deref().unwrap_or("https://app.example.test")));
    vars.insert("target".into(), json!({ "clock": env.clock.is_some(), "embedded": env.embedded }));
    vars.insert("assertion_jwks".into(), crate::engine::steps::assertion::public_jwks());
    vars.insert("clerk".into(), serde_json::to_value(&env.profile.clerk).unwrap_or(Value::Null));
    vars.insert("idp_issuer".into(), json!(env.idp().issuer));
    vars
}

fn result(s: &Scenario, outcome: Outcome, reason: Option<String>) -> ScenarioResult {
    ScenarioResult {
        id: s.id.clone(),
        title: s.title.clone(),
        level: s.level,
        spec: s.spec.clone(),
        area: s.area.clone(),
        also: s.also.clone(),
        outcome,
        reason,
        failures: Vec::new(),
        steps: Vec::new(),
        explain: s.explain.clone(),
        baseline: None,
        source: s.source.to_string(),
        attachments: Vec::new(),
        revisions: crate::engine::target::MCP_VERSIONS
            .iter()
            .filter(|v| s.applies_to_mcp(v))
            .map(|v| v.to_string())
            .collect(),
        raw_steps: Vec::new(),
        duration_ms: 0,
    }
}

/// Judge the expectations on the steps that ran. A step that could not run leaves the
/// scenario unjudged (error), unless a step before it already broke an expectation: that is
/// evidence enough of a failure (e.g. a token request refused, so the refresh after it cannot
/// be tried).
pub fn verdict(
    s: &Scenario,
    vars: &Map<String, Value>,
    step_error: Option<String>,
) -> (Outcome, Option<String>, Vec<Failure>) {
    let mut failures = Vec::new();
    let mut judge_error = None;
    for ex in s.expects.iter().filter(|e| !e.assume) {
        let Some(value) = vars.get(&ex.step) else { continue };
        let applies = match &ex.when {
            None => Ok(true),
            // A condition on a reference that does not resolve (a step that produced no such
            // field) sees the value as absent.
            Some(Check::Value { of, ops }) => guard_holds(of, ops, vars),
            Some(cond) => evaluate(cond, value, vars).map(|m| m.is_none()),
        };
        let judged = match applies {
            Ok(true) => evaluate(&ex.check, value, vars),
            Ok(false) => Ok(None),
            Err(e) => Err(e),
        };
        match judged {
            Ok(None) => {}
            Ok(Some(m)) => failures.push(Failure {
                step: ex.step.clone(),
                check: ex.check.subject(),
                expected: m.expected,
                actual: m.actual,
                message: ex.message.clone(),
                line: ex.line,
            }),
            // It refers to a step that never ran: judge what can be judged.
            Err(_) if step_error.is_some() => {}
            Err(e) => {
                judge_error = Some(format!("expectation at line {}: {e}", ex.line));
                break;
            }
        }
    }
    match (step_error, judge_error) {
        (Some(_), _) if !failures.is_empty() => (Outcome::Fail, None, failures),
        (Some(e), _) | (None, Some(e)) => (Outcome::Error, Some(e), failures),
        (None, None) if failures.is_empty() => (Outcome::Pass, None, failures),
        (None, None) => (Outcome::Fail, None, failures),
    }
}

/// Run one scenario to its verdict.
pub async fn run_one(env: &Env, s: &Scenario) -> ScenarioResult {
    if let Some(reason) = unmet(env, s) {
        return result(s, Outcome::Skip, Some(reason));
    }
    let started = Instant::now();
    let headers: Vec<(String, String)> =
        env.profile.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
    let agent = match Agent::new(env.limits, headers) {
        Ok(a) => a.noting(env.ledger.clone()).with_trust(env.trust.clone()),
        Err(e) => return result(s, Outcome::Error, Some(e)),
    };
    if let Some(cookie) = &env.profile.session_cookie {
        agent.add_cookie(cookie.expose(), &env.issuer);
    }
    let mut ctx = Ctx {
        env,
        agent,
        vars: globals(env),
        journey: None,
        step: String::new(),
        hosts: Vec::new(),
        tab: None,
        scenario: s.id.clone(),
        attachments: Vec::new(),
        dpop: Default::default(),
    };
    let mut spans: Vec<(String, &'static str, usize, usize, Option<String>)> = Vec::new();
    let mut error: Option<String> = None;
    let mut unmet_by_step: Option<String> = None;
    for step in &s.steps {
        let first = ctx.agent.exchanges.len();
        ctx.step = step.name.clone();
        // A step `at = "idp"` runs against the identity provider, with its profile, metadata
        // and pages; everything else (variables, cookies, DPoP keys) stays the scenario's.
        ctx.env = if step.at_idp { env.idp() } else { env };
        let outcome = step.kind.run(&mut ctx).await;
        ctx.env = env;
        let last = ctx.agent.exchanges.len();
        match outcome {
            Ok(value) => {
                ctx.vars.insert(step.name.clone(), value);
                ctx.refresh_hosts();
                spans.push((step.name.clone(), step.kind.name(), first, last, None));
            }
            Err(e) => {
                let msg = e.to_string();
                spans.push((step.name.clone(), step.kind.name(), first, last, Some(msg.clone())));
                if e.is_unmet() {
                    unmet_by_step = Some(format!("step `{}` ({}): {msg}", step.name, step.kind.name()));
                } else {
                    unmet_by_step = unmet_setup(s, step, &e, &ctx.vars);
                }
                error = Some(format!("step `{}` ({}): {msg}", step.name, step.kind.name()));
                break;
            }
        }
    }
    ctx.refresh_hosts();
    if let Some(tab) = ctx.tab.take() {
        tab.close().await;
    }
    let mut r = result(s, Outcome::Pass, None);
    if let Some(reason) = unmet_assumption(s, &ctx.vars) {
        r.outcome = Outcome::Skip;
        r.reason = Some(reason);
    } else {
        (r.outcome, r.reason, r.failures) = verdict(s, &ctx.vars, error);
        // A requirement that showed only while running: a skip, unless an expectation on an
        // earlier step already failed (that is evidence of its own).
        if let Some(reason) = unmet_by_step.filter(|_| r.outcome == Outcome::Error) {
            r.outcome = Outcome::Skip;
            r.reason = Some(reason);
        }
    }
    let masked = mask_exchanges(&ctx.agent.exchanges);
    let secrets = secrets_of(&ctx.agent.exchanges);
    for f in &mut r.failures {
        f.actual = replace_all(&f.actual, &secrets);
        f.expected = replace_all(&f.expected, &secrets);
    }
    if let Some(reason) = &mut r.reason {
        *reason = replace_all(reason, &secrets);
    }
    let records = |exchanges: &[crate::engine::agent::Exchange]| -> Vec<StepRecord> {
        spans
            .iter()
            .map(|(name, kind, a, b, error)| StepRecord {
                name: name.clone(),
                kind: kind.to_string(),
                error: error.clone(),
                exchanges: exchanges.get(*a..*b).map(<[_]>::to_vec).unwrap_or_default(),
            })
            .collect()
    };
    if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
        r.attachments = keep(&s.id, std::mem::take(&mut ctx.attachments), &secrets);
    }
    r.steps = records(&masked);
    r.raw_steps = records(&ctx.agent.exchanges);
    r.duration_ms = started.elapsed().as_millis() as u64;
    r
}

/// A scenario's attachments under the names the report writer gives them
/// (`pages/ID-N.EXT`), with the run's secrets masked in text ones.
fn keep(id: &str, attachments: Vec<Attachment>, secrets: &[String]) -> Vec<Attachment> {
    let stem: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    attachments
        .into_iter()
        .enumerate()
        .map(|(i, mut a)| {
            if a.file == "html" {
                a.data = replace_all(&String::from_utf8_lossy(&a.data), secrets).into_bytes();
            }
            a.caption = replace_all(&a.caption, secrets);
            a.file = format!("pages/{stem}-{}.{}", i + 1, a.file);
            a
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::suite::parse_file;

    const SCENARIO: &str = r#"
[[scenario]]
id = "X-01"
title = "t"
level = "MUST"
spec = "s"
[[scenario.step]]
request = { url = "http://h/" }
as = "a"
[[scenario.step]]
request = { url = "{a.next}" }
as = "b"
[[scenario.expect]]
step = "a"
status = 200
[[scenario.expect]]
step = "a"
when = { header = { name = "access-control-allow-credentials", equals = "true" } }
header = { name = "access-control-allow-origin", not_equals = "*" }
[[scenario.expect]]
step = "b"
status = 200
"#;

    fn vars(a: Value) -> Map<String, Value> {
        json!({ "a": a }).as_object().unwrap().clone()
    }

    #[test]
    fn a_step_error_after_a_broken_expectation_is_a_failure_not_an_error() {
        let s = &parse_file("t.toml", SCENARIO).unwrap()[0];
        let err = Some("step `b`: `{a.next}`: `a` has no `next`".to_string());
        let (outcome, reason, failures) =
            verdict(s, &vars(json!({"status": 401, "headers": {}})), err.clone());
        assert_eq!((outcome, reason), (Outcome::Fail, None));
        assert_eq!(failures.len(), 1);
        let (outcome, reason, _) = verdict(s, &vars(json!({"status": 200, "headers": {}})), err.clone());
        assert_eq!((outcome, reason), (Outcome::Error, err));
    }

    fn env(metadata: Value) -> Env {
        Env {
            issuer: "http://as".into(),
            metadata,
            profile: crate::engine::profile::Profile::default(),
            interaction: crate::engine::profile::interaction_profile("fake-server").unwrap(),
            clock: None,
            embedded: false,
            limits: crate::engine::agent::Limits::default(),
            mcp_version: crate::engine::target::LATEST_MCP.into(),
            ledger: Default::default(),
            trust: Arc::new(crate::engine::trust::Trust::open()),
            browser: None,
            person: None,
            client: None,
            idp: None,
        }
    }

    #[test]
    fn idp_requirements_are_judged_against_the_identity_provider_or_the_target_without_one() {
        let r =
            Requirement::parse("idp:metadata:identity_chaining_requested_token_types_supported=x").unwrap();
        let lists = env(json!({"identity_chaining_requested_token_types_supported": ["x"]}));
        let lacks = env(json!({"identity_chaining_requested_token_types_supported": []}));
        assert_eq!(unmet_requirement(&lists, &r), None, "no IdP: the target plays it");
        assert!(unmet_requirement(&lacks, &r).is_some());
        let mut with_idp = env(json!({"identity_chaining_requested_token_types_supported": []}));
        let mut idp = env(json!({"identity_chaining_requested_token_types_supported": ["x"]}));
        idp.issuer = "https://idp".into();
        with_idp.idp = Some(Box::new(idp));
        assert_eq!(unmet_requirement(&with_idp, &r), None, "the IdP lists it; the target need not");
        let user = Requirement::parse("idp:user").unwrap();
        let why = unmet_requirement(&with_idp, &user).expect("the IdP profile has no user");
        assert_eq!(why, "the identity provider (https://idp): the target profile has no test user");
    }

    #[test]
    fn a_requirement_with_alternatives_is_met_by_any_one_and_unmet_names_them_all() {
        let mut s = parse_file("t.toml", SCENARIO).unwrap().remove(0);
        s.requires = vec![
            Requirement::parse("metadata:prompt_values_supported=none | metadata:scopes_supported=openid")
                .unwrap(),
        ];
        assert_eq!(unmet(&env(json!({"prompt_values_supported": ["none"]})), &s), None);
        assert_eq!(unmet(&env(json!({"scopes_supported": ["openid", "profile"]})), &s), None);
        assert_eq!(
            unmet(&env(json!({"scopes_supported": ["profile"]})), &s).as_deref(),
            Some(
                "the server's `prompt_values_supported` does not include `none`, and the server's `scopes_supported` does not include `openid`"
            )
        );
    }

    #[test]
    fn an_expectation_with_an_unmet_when_is_moot() {
        let s = &parse_file("t.toml", SCENARIO).unwrap()[0];
        let mut v = vars(json!({"status": 200, "headers": {"access-control-allow-origin": "*"}}));
        v.insert("b".into(), json!({"status": 200}));
        assert_eq!(verdict(s, &v, None).0, Outcome::Pass);
        let both = json!({"access-control-allow-origin": "*", "access-control-allow-credentials": "true"});
        v.insert("a".into(), json!({"status": 200, "headers": both}));
        let (outcome, _, failures) = verdict(s, &v, None);
        assert_eq!(outcome, Outcome::Fail);
        assert_eq!(failures[0].check, "header access-control-allow-origin");
    }

    #[test]
    fn an_unmet_assumption_is_a_skip_reason_and_steps_that_did_not_run_are_not_judged() {
        let text = "[[scenario]]\nid = \"X-01\"\ntitle = \"t\"\nlevel = \"MUST\"\nspec = \"s\"\n\
            [[scenario.step]]\nas = \"r\"\nregister = {}\n[[scenario.step]]\nas = \"later\"\nregister = {}\n\
            [[scenario.expect]]\nstep = \"r\"\nassume = true\njson = { pointer = \"/client_id\", exists = true }\n\
            [[scenario.expect]]\nstep = \"later\"\nassume = true\nstatus = 201\n";
        let s = crate::engine::suite::parse_file("t.toml", text).unwrap().remove(0);
        let mut vars = Map::new();
        vars.insert("r".into(), json!({ "status": 400, "json": { "error": "invalid_client_metadata" } }));
        let reason = unmet_assumption(&s, &vars).unwrap();
        assert!(reason.contains("json /client_id") && reason.contains("absent"), "{reason}");
        vars.insert("r".into(), json!({ "status": 201, "json": { "client_id": "c" } }));
        assert_eq!(unmet_assumption(&s, &vars), None, "`later` did not run, so it is not judged");
    }
}
