//! A browser journey through the authorization server: follow its own redirects, operate its
//! login and consent pages, and stop at the redirect back to the client, which is captured
//! and never fetched. Every hop is recorded by the agent.

use serde_json::{Map, Value, json};

use super::{Ctx, StepError};
use crate::engine::agent::{Request, Response};
use crate::engine::interact::{Action, PageKind};

const MAX_HOPS: usize = 30;

/// How far a journey goes on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Drive login and consent until the client's redirect.
    Auto,
    /// Follow the server's redirects, stop at the first page.
    Manual,
    /// Send one request, follow nothing.
    Single,
}

/// What the simulated user does on each page.
#[derive(Debug, Clone)]
pub struct Plan {
    pub mode: Mode,
    pub cancel_login: bool,
    pub deny: bool,
    pub approve_scopes: Option<Vec<String>>,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl Plan {
    pub fn auto() -> Plan {
        Plan {
            mode: Mode::Auto,
            cancel_login: false,
            deny: false,
            approve_scopes: None,
            username: None,
            password: None,
        }
    }
}

/// State of the last authorization journey (continued by `login` and `consent` steps).
#[derive(Debug, Clone, Default)]
pub struct Journey {
    pub result: Map<String, Value>,
    /// Where the response to the client is expected (the redirect URI sent or registered).
    pub redirect_uri: Option<String>,
    page: Option<(String, String)>,
    pages: Vec<String>,
    hops: Vec<Value>,
    page_headers: Map<String, Value>,
    logins: usize,
    /// The scenario judges the consent page (or the user's answer on it): a journey that gets
    /// back to the client with a code and never showed one has nothing to judge.
    pub needs_consent: bool,
    /// How often each page (URL without query, kind) was shown, to stop a loop.
    seen: Vec<(String, PageKind, usize)>,
}

fn is_html(resp: &Response) -> bool {
    resp.header("content-type").is_some_and(|c| c.to_ascii_lowercase().contains("html"))
        || resp.text().trim_start().starts_with('<')
}

fn origin(u: &str) -> Option<String> {
    url::Url::parse(u).ok().map(|u| u.origin().ascii_serialization())
}

fn base(u: &str) -> String {
    u.split(['?', '#']).next().unwrap_or(u).to_string()
}

impl Journey {
    pub fn new(redirect_uri: Option<String>, fields: Map<String, Value>) -> Journey {
        Journey { result: fields, redirect_uri, ..Journey::default() }
    }

    /// The journey's result, as steps return it.
    pub fn result(&self) -> Value {
        let mut r = self.result.clone();
        r.insert("pages".into(), json!(self.pages));
        r.insert("hops".into(), Value::Array(self.hops.clone()));
        r.insert("page_headers".into(), Value::Object(self.page_headers.clone()));
        r.entry("redirected").or_insert(Value::Bool(false));
        r.entry("callback").or_insert(Value::Null);
        r.entry("params").or_insert(json!({}));
        r.entry("page").or_insert(Value::Null);
        // The callback shortcuts exist (as null) even when the journey never got back to the
        // client, so `{a.code}` in a later step or condition means "no code", not a bad reference.
        for key in ["code", "state", "iss", "error", "error_description"] {
            r.entry(key).or_insert(Value::Null);
        }
        Value::Object(r)
    }

    /// The page the journey stopped on, if any.
    pub fn page(&self) -> Option<&(String, String)> {
        self.page.as_ref()
    }

    /// Does a redirect target leave the authorization server (or hit the expected URI)?
    fn is_callback(&self, ctx: &Ctx<'_>, target: &str) -> bool {
        if let Some(expected) = &self.redirect_uri
            && base(target) == base(expected)
        {
            return true;
        }
        let mut ours: Vec<String> = vec![];
        ours.extend(origin(&ctx.env.issuer));
        if let Some(a) = ctx.env.metadata.get("authorization_endpoint").and_then(Value::as_str) {
            ours.extend(origin(a));
        }
        ours.extend(ctx.env.profile.interaction_origins.iter().cloned());
        origin(target).is_none_or(|o| !ours.contains(&o))
    }

    fn record(&mut self, resp: &Response) {
        self.hops.push(json!({ "url": resp.url, "status": resp.status, "location": resp.location() }));
        let r = &mut self.result;
        r.insert("status".into(), json!(resp.status));
        r.insert("headers".into(), resp.headers_json());
        r.insert("url".into(), json!(resp.url));
        r.insert("body".into(), json!(resp.text()));
        r.insert("json".into(), resp.json().unwrap_or(Value::Null));
        r.insert("location".into(), json!(resp.location()));
    }

    /// Capture the response to the client; a code that came without the consent page the
    /// scenario needs ends it as a skip.
    fn arrive(&mut self, target: &str) -> Result<(), StepError> {
        self.capture(target);
        let code = self.result.get("code").is_some_and(|c| !c.is_null());
        if self.needs_consent && code && !self.pages.iter().any(|p| p == "consent") {
            return Err(StepError::Unmet(
                "the server issued a code without showing a consent page (consent remembered, or not asked for this client, even with prompt=consent where the server lists it): no consent page to judge".into(),
            ));
        }
        Ok(())
    }

    fn capture(&mut self, target: &str) {
        let mut params = Map::new();
        let mut counts = Map::new();
        let parsed = url::Url::parse(target).ok();
        if let Some(u) = &parsed {
            for (k, v) in u.query_pairs() {
                let n = counts.get(k.as_ref()).and_then(Value::as_u64).unwrap_or(0);
                counts.insert(k.to_string(), json!(n + 1));
                params.entry(k.to_string()).or_insert(json!(v));
            }
            let frag: Map<String, Value> = u
                .fragment()
                .map(|f| {
                    url::form_urlencoded::parse(f.as_bytes())
                        .map(|(k, v)| (k.to_string(), json!(v)))
                        .collect()
                })
                .unwrap_or_default();
            self.result.insert("fragment_params".into(), Value::Object(frag));
        }
        for key in ["code", "state", "iss", "error", "error_description"] {
            self.result.insert(key.into(), params.get(key).cloned().unwrap_or(Value::Null));
        }
        self.result.insert("params".into(), Value::Object(params));
        self.result.insert("param_counts".into(), Value::Object(counts));
        self.result.insert("callback".into(), json!(target));
        self.result.insert("callback_base".into(), json!(base(target)));
        self.result.insert("redirected".into(), Value::Bool(true));
        self.result.insert("page".into(), Value::Null);
        self.page = None;
    }

    /// Send `first` and carry on according to `plan`.
    pub async fn run(&mut self, ctx: &mut Ctx<'_>, first: Request, plan: &Plan) -> Result<(), StepError> {
        let mut req = first;
        let mut after_credentials = false;
        for _ in 0..MAX_HOPS {
            let resp = ctx.agent.browse(req).await?;
            self.record(&resp);
            if after_credentials && resp.is_redirect() {
                self.result.insert("login_redirect_status".into(), json!(resp.status));
            }
            after_credentials = false;
            if let Some(target) = resp.location().filter(|_| resp.is_redirect()) {
                if self.is_callback(ctx, &target) {
                    return self.arrive(&target);
                }
                if plan.mode == Mode::Single {
                    return Ok(());
                }
                req = Request::get(target);
                continue;
            }
            if plan.mode == Mode::Single || !is_html(&resp) {
                self.page = None;
                return Ok(());
            }
            let kind = self.land(ctx, &resp);
            let html = resp.text();
            if plan.mode == Mode::Manual || kind == PageKind::Other {
                return Ok(());
            }
            self.note_visit(&resp.url, kind)?;
            // Credentials the scenario chose (a wrong password) are tried once: the login page
            // coming back is the server's answer, not a reason to try again.
            if kind == PageKind::Login && plan.password.is_some() && self.logins > 0 {
                return Ok(());
            }
            let action = self.action(ctx, kind, plan)?;
            after_credentials = matches!(action, Action::Login { .. });
            req = ctx.env.interaction.plan(&resp.url, &html, &action)?;
        }
        Err(StepError::Prerequisite(format!("no redirect to the client after {MAX_HOPS} requests")))
    }

    /// Count a visit to a page the journey is about to act on; the third visit to the same
    /// page is a loop, which no further request will leave.
    fn note_visit(&mut self, url: &str, kind: PageKind) -> Result<(), StepError> {
        let page = base(url);
        let n = match self.seen.iter_mut().find(|(u, k, _)| *u == page && *k == kind) {
            Some(entry) => {
                entry.2 += 1;
                entry.2
            }
            None => {
                self.seen.push((page.clone(), kind, 1));
                1
            }
        };
        if n >= 3 {
            return Err(StepError::Prerequisite(format!(
                "the journey keeps coming back to the same {} page ({page}): shown {n} times",
                kind.as_str()
            )));
        }
        Ok(())
    }

    /// Note the page a response shows.
    fn land(&mut self, ctx: &Ctx<'_>, resp: &Response) -> PageKind {
        let html = resp.text();
        let kind = ctx.env.interaction.classify(&html);
        let name = kind.as_str();
        self.pages.push(name.into());
        self.page_headers.insert(name.into(), resp.headers_json());
        self.result.insert("page".into(), json!(name));
        self.page = Some((resp.url.clone(), html));
        kind
    }

    /// The user's action on a page (continuing a journey one page at a time).
    pub fn action(&mut self, ctx: &Ctx<'_>, kind: PageKind, plan: &Plan) -> Result<Action, StepError> {
        Ok(match kind {
            PageKind::Login if plan.cancel_login => Action::CancelLogin,
            PageKind::Login => {
                self.logins += 1;
                if self.logins > 2 {
                    return Err(StepError::Prerequisite(
                        "the login page came back after the test user's credentials were submitted (wrong user or password in the profile?)".into(),
                    ));
                }
                let user = ctx.env.profile.user.as_ref();
                let username = plan.username.clone().or_else(|| user.map(|u| u.username.clone()));
                let password =
                    plan.password.clone().or_else(|| user.map(|u| u.password.expose().to_string()));
                match (username, password) {
                    (Some(username), Some(password)) => Action::Login { username, password },
                    // Without a user or a session cookie the profile never meant to log in:
                    // a requirement this scenario shows only now.
                    _ if ctx.env.profile.session_cookie.is_none() => {
                        return Err(StepError::Unmet(
                            "the server asked for a login and the target profile has no test user ([user] or session_cookie)".into(),
                        ));
                    }
                    _ => {
                        return Err(StepError::Prerequisite(
                            "the login page came up although the profile's session cookie was sent (expired?), and the profile has no test user".into(),
                        ));
                    }
                }
            }
            PageKind::Consent if plan.deny => Action::Deny,
            PageKind::Consent => Action::Approve(plan.approve_scopes.clone()),
            PageKind::Other => {
                return Err(StepError::Prerequisite("the page is neither a login nor a consent page".into()));
            }
        })
    }

    /// Continue from the page the journey stopped on with one user action.
    pub async fn continue_with(
        &mut self,
        ctx: &mut Ctx<'_>,
        expect: PageKind,
        plan: &Plan,
    ) -> Result<(), StepError> {
        let Some((url, html)) = self.page.clone() else {
            return Err(StepError::Prerequisite("the authorization journey is not on a page".into()));
        };
        let kind = ctx.env.interaction.classify(&html);
        if kind != expect {
            return Err(StepError::Prerequisite(format!(
                "expected a {expect:?} page at {url}, found {kind:?}"
            )));
        }
        let action = self.action(ctx, kind, plan)?;
        let req = ctx.env.interaction.plan(&url, &html, &action)?;
        let credentials = matches!(action, Action::Login { .. });
        let resp = ctx.agent.browse(req).await?;
        self.record(&resp);
        if credentials && resp.is_redirect() {
            self.result.insert("login_redirect_status".into(), json!(resp.status));
        }
        match resp.location().filter(|_| resp.is_redirect()) {
            Some(t) if self.is_callback(ctx, &t) => self.arrive(&t),
            Some(t) => Box::pin(self.run(ctx, Request::get(t), plan)).await,
            None => {
                self.page = None;
                if is_html(&resp) {
                    self.land(ctx, &resp);
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journey_that_never_reached_the_client_still_names_its_callback_shortcuts() {
        let r = Journey::new(None, Map::new()).result();
        for key in ["code", "state", "iss", "error", "error_description", "callback"] {
            assert_eq!(r.get(key), Some(&Value::Null), "{key}");
        }
        assert_eq!(r["redirected"], json!(false));
    }
}
