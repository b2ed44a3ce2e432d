//! A browser journey through the authorization server: follow its own redirects, operate its
//! login and consent pages, and stop at the redirect back to the client, which is captured
//! and never fetched. Every hop is recorded by the agent.

use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value, json};

use super::{Ctx, StepError};
use crate::engine::agent::{Agent, Body, Request, Response};
use crate::engine::browser::{Acted, BrowserError, Intercepted, Network, Reply, Tab, Waited};
use crate::engine::interact::{Action, Driver, InteractError, InteractionProfile, PageKind};
use crate::model::outcome::Attachment;

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
    /// The kind of the page the journey is on.
    kind: Option<PageKind>,
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
        self.kind = None;
    }

    /// Send `first` and carry on according to `plan`.
    pub async fn run(&mut self, ctx: &mut Ctx<'_>, first: Request, plan: &Plan) -> Result<(), StepError> {
        if plan.mode == Mode::Auto && ctx.env.interaction.driver == Driver::Manual {
            return self.by_hand(ctx, first, plan).await;
        }
        let mut req = first;
        let mut after_credentials = false;
        for hop in 0..MAX_HOPS {
            // A browser page that sends the user back to the client by script: captured, as a
            // redirect to the client is, and never loaded.
            if hop > 0
                && browsing(ctx)
                && req.method == reqwest::Method::GET
                && self.is_callback(ctx, &req.url)
            {
                return self.arrive(&req.url);
            }
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
            let kind = if browsing(ctx) {
                match self.show(ctx, &resp).await? {
                    Shown::Page(kind) => kind,
                    Shown::Left(next) => {
                        req = next;
                        continue;
                    }
                }
            } else {
                self.land(ctx, &resp)
            };
            let html = resp.text();
            if kind == PageKind::Other && plan.mode == Mode::Auto && !browsing(ctx) && script_rendered(&html)
            {
                return Err(StepError::Prerequisite(format!(
                    "the page at {} has no form in its HTML and loads scripts: it is rendered by JavaScript, which the form driver does not run; use the browser driver (--driver browser, or driver = \"browser\" in the interaction profile)",
                    resp.url
                )));
            }
            if kind == PageKind::Other {
                return self.stop_on_other(ctx, plan).await;
            }
            if plan.mode == Mode::Manual && !matches!(kind, PageKind::Pass(_)) {
                return Ok(());
            }
            let mut kind = kind;
            req = loop {
                self.note_visit(&resp.url, kind)?;
                // Credentials the scenario chose (a wrong password) are tried once: the login
                // page coming back is the server's answer, not a reason to try again.
                if kind == PageKind::Login && plan.password.is_some() && self.logins > 0 {
                    return Ok(());
                }
                let action = self.action(ctx, kind, plan)?;
                after_credentials = matches!(action, Action::Login { .. });
                if !browsing(ctx) {
                    break ctx.env.interaction.plan(&resp.url, &html, &action)?;
                }
                if let Some(next) = self.act(ctx, &resp.url, &action).await? {
                    break next;
                }
                // The page answered in place. Where its script drew the next page (the
                // password page after the username page) the user goes on there; the same
                // page again (a wrong password) is where the journey ends.
                match self.kind {
                    Some(PageKind::Other) => return self.stop_on_other(ctx, plan).await,
                    Some(now) if now != kind => {
                        // Drawn in the same document: the headers that protect it are the
                        // document's.
                        self.page_headers.insert(now.as_str().into(), resp.headers_json());
                        if plan.mode != Mode::Auto && !matches!(now, PageKind::Pass(_)) {
                            return Ok(());
                        }
                        kind = now;
                    }
                    _ => return Ok(()),
                }
            };
        }
        Err(StepError::Prerequisite(format!("no redirect to the client after {MAX_HOPS} requests")))
    }

    /// The manual driver: a person goes through the authorization in a browser of their own,
    /// and the response to the client is taken where it arrives. What the harness never sees
    /// (the pages, the person's own credentials) cannot be judged: scenarios that need it are
    /// skipped.
    async fn by_hand(&mut self, ctx: &mut Ctx<'_>, first: Request, plan: &Plan) -> Result<(), StepError> {
        // The harness looks first: a server that answers the client at once (an error, or a
        // code for a session) or shows an error page needs nobody.
        let look = Plan { mode: Mode::Manual, ..plan.clone() };
        Box::pin(self.run(ctx, first.clone(), &look)).await?;
        // A page a script draws may be a sign-in page too: the person decides.
        let shell = self.page.as_ref().is_some_and(|(_, html)| script_rendered(html));
        let interactive = matches!(self.kind, Some(PageKind::Login | PageKind::Consent | PageKind::Pass(_)));
        if self.result.get("redirected") == Some(&Value::Bool(true)) || !(interactive || shell) {
            return Ok(());
        }
        let unseen = |what: &str| {
            StepError::Unmet(format!(
                "the scenario {what}, which the manual driver leaves to a person: run it with the form or browser driver"
            ))
        };
        if plan.password.is_some() || plan.username.is_some() {
            return Err(unseen("signs in with credentials of its own and judges the login page's answer"));
        }
        if self.needs_consent {
            return Err(unseen("judges the consent page"));
        }
        if first.method != reqwest::Method::GET {
            return Err(unseen("starts the authorization with a POST"));
        }
        let Some(person) = ctx.env.person.clone() else {
            return Err(StepError::Prerequisite("the manual driver has no person to ask".into()));
        };
        let user = ctx.env.profile.user.as_ref().map(|u| format!(" as {}", u.username)).unwrap_or_default();
        let todo = if plan.cancel_login {
            "cancel the sign-in (do not sign in)".to_string()
        } else if plan.deny {
            format!("sign in{user} and refuse the request on the consent page")
        } else if let Some(scopes) = &plan.approve_scopes {
            format!("sign in{user} and approve only the scopes {}", scopes.join(" "))
        } else {
            format!("sign in{user} and approve the request")
        };
        let label = format!("{} step `{}`", ctx.scenario, ctx.step);
        let got = person
            .ask(&label, &first.url, &todo, self.redirect_uri.as_deref())
            .await
            .map_err(StepError::NoAnswer)?;
        self.hops.push(json!({ "url": first.url, "by": "a person, in a browser of their own" }));
        self.arrive(&got)
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

    /// The journey ends on a page no rule of the interaction profile matches: the server's
    /// answer (an error page), which the scenario judges. The page is kept (its HTML, and a
    /// screenshot under the browser driver) for the report of a scenario that does not pass.
    /// A page that asks for input is one the simulated user should have acted on: the
    /// interaction profile lacks a rule for it, which ends the step in error.
    async fn stop_on_other(&mut self, ctx: &mut Ctx<'_>, plan: &Plan) -> Result<(), StepError> {
        let Some((url, html)) = self.page.clone() else { return Ok(()) };
        let shown = if browsing(ctx) { "as the browser rendered it" } else { "as the server sent it" };
        ctx.attachments.push(Attachment::new(
            format!("the page at {url} ({shown})"),
            "html",
            html.clone().into_bytes(),
        ));
        if let Some(tab) = ctx.tab.as_ref()
            && let Ok(png) = tab.screenshot().await
        {
            ctx.attachments.push(Attachment::new(format!("a screenshot of the page at {url}"), "png", png));
        }
        if plan.mode != Mode::Auto {
            return Ok(());
        }
        // The interaction profile cannot drive this server: an error of the run, never a
        // skip, even in a setup step.
        match asks_for_input(&html) {
            Some(what) => Err(InteractError {
                reason: format!(
                    "it matches no rule of the interaction profile `{}` and asks for input ({what}): add a [[page]] rule for it, or correct the [login] or [consent] rule; the page is saved with the report",
                    ctx.env.interaction.name
                ),
                url,
                absent: false,
            }
            .into()),
            None => Ok(()),
        }
    }

    /// Note the page a response shows.
    fn land(&mut self, ctx: &Ctx<'_>, resp: &Response) -> PageKind {
        let html = resp.text();
        let kind = ctx.env.interaction.classify(&resp.url, &html);
        let name = kind.as_str();
        self.pages.push(name.into());
        self.page_headers.insert(name.into(), resp.headers_json());
        self.result.insert("page".into(), json!(name));
        self.page = Some((resp.url.clone(), html));
        self.kind = Some(kind);
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
            PageKind::Pass(page) => {
                let user = ctx.env.profile.user.as_ref();
                Action::Pass {
                    page,
                    username: plan.username.clone().or_else(|| user.map(|u| u.username.clone())),
                    password: plan.password.clone().or_else(|| user.map(|u| u.password.expose().to_string())),
                }
            }
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
        if ctx.env.interaction.driver == Driver::Manual {
            return Err(StepError::Unmet(
                "the scenario acts on a page the harness loaded itself, which the manual driver leaves to a person: run it with the form or browser driver".into(),
            ));
        }
        let Some((url, html)) = self.page.clone() else {
            return Err(StepError::Prerequisite("the authorization journey is not on a page".into()));
        };
        let kind = match self.kind {
            // The browser classified the rendered page when it landed there.
            Some(kind) if browsing(ctx) => kind,
            _ => ctx.env.interaction.classify(&url, &html),
        };
        if kind != expect {
            return Err(StepError::Prerequisite(format!(
                "expected a {expect:?} page at {url}, found {kind:?}"
            )));
        }
        let action = self.action(ctx, kind, plan)?;
        let req = if browsing(ctx) {
            match self.act(ctx, &url, &action).await? {
                Some(next) => next,
                None => return Ok(()),
            }
        } else {
            ctx.env.interaction.plan(&url, &html, &action)?
        };
        let credentials = matches!(action, Action::Login { .. });
        if browsing(ctx) && req.method == reqwest::Method::GET && self.is_callback(ctx, &req.url) {
            return self.arrive(&req.url);
        }
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
                    if browsing(ctx) {
                        if let Shown::Left(next) = self.show(ctx, &resp).await? {
                            return Box::pin(self.run(ctx, next, plan)).await;
                        }
                    } else {
                        self.land(ctx, &resp);
                    }
                }
                Ok(())
            }
        }
    }

    /// Show a page in the scenario's browser tab and name what its rendered form is.
    async fn show(&mut self, ctx: &mut Ctx<'_>, resp: &Response) -> Result<Shown, StepError> {
        let Some(browser) = ctx.env.browser.clone() else {
            return Err(StepError::Prerequisite("the browser driver has no browser".into()));
        };
        if ctx.tab.is_none() {
            ctx.tab = Some(browser.tab().await.map_err(browser_error)?);
        }
        let Some(tab) = ctx.tab.as_mut() else { unreachable!("the tab was just opened") };
        let mut net = ViaAgent(&mut ctx.agent);
        let answer = Reply { status: resp.status, headers: resp.headers.clone(), body: resp.body.clone() };
        if let Some(left) = tab.show(&resp.url, &answer, &mut net).await.map_err(browser_error)? {
            return Ok(Shown::Left(to_request(&left)));
        }
        match rendered(tab, &ctx.env.interaction, &mut net).await? {
            Err(left) => Ok(Shown::Left(to_request(&left))),
            Ok((kind, html)) => {
                self.page_headers.insert(kind.as_str().into(), resp.headers_json());
                self.note_rendered(&resp.url, kind, html);
                Ok(Shown::Page(kind))
            }
        }
    }

    /// Note the page the browser shows as the one the journey is on. What the user reads is
    /// the rendered page, which a script may have drawn: it is the result's `body`.
    fn note_rendered(&mut self, url: &str, kind: PageKind, html: String) {
        let name = kind.as_str();
        self.result.insert("body".into(), json!(html));
        self.pages.push(name.into());
        self.result.insert("page".into(), json!(name));
        self.page = Some((url.to_string(), html));
        self.kind = Some(kind);
    }

    /// Perform `action` in the browser tab; the navigation it starts is the next request.
    /// `None`: the page answered in place (its scripts re-rendered it); it is noted as the
    /// page the journey is on.
    async fn act(
        &mut self,
        ctx: &mut Ctx<'_>,
        url: &str,
        action: &Action,
    ) -> Result<Option<Request>, StepError> {
        let script = ctx.env.interaction.action_script(action);
        let Some(tab) = ctx.tab.as_mut() else {
            return Err(StepError::Prerequisite("the browser driver has no page open".into()));
        };
        let mut net = ViaAgent(&mut ctx.agent);
        match tab.act(&script, &mut net).await {
            Ok(Acted::Navigated(next)) => Ok(Some(to_request(&next))),
            Ok(Acted::Stayed) => match rendered(tab, &ctx.env.interaction, &mut net).await? {
                // It did go on, only later than the driver waited for.
                Err(next) => Ok(Some(to_request(&next))),
                Ok((kind, html)) => {
                    self.note_rendered(url, kind, html);
                    Ok(None)
                }
            },
            Err(BrowserError::Refused(said)) => {
                let (absent, reason) = match said.split_once(": ") {
                    Some(("absent", r)) => (true, r.to_string()),
                    Some(("fail", r)) => (false, r.to_string()),
                    _ => (false, said.clone()),
                };
                Err(InteractError { url: url.to_string(), reason, absent }.into())
            }
            Err(e) => Err(browser_error(e)),
        }
    }
}

/// What the tab shows once its scripts have drawn it: the page's kind (by the profile's
/// `classify` script) and its HTML; or the navigation it started meanwhile.
async fn rendered(
    tab: &mut Tab,
    profile: &InteractionProfile,
    net: &mut dyn Network,
) -> Result<Result<(PageKind, String), Intercepted>, StepError> {
    let wait = profile.render_wait();
    let said = match tab.wait_for(&profile.classify_script(false), wait, net).await.map_err(browser_error)? {
        Waited::Value(Some(v)) => v,
        Waited::Value(None) => {
            // The wait is over: a page whose rule matched but never drew what it waits for
            // is named as such.
            let (v, left) =
                tab.evaluate_serving(&profile.classify_script(true), net).await.map_err(browser_error)?;
            if let Some(left) = left {
                return Ok(Err(left));
            }
            v
        }
        Waited::Navigated(left) => return Ok(Err(left)),
    };
    let said = said.as_str().unwrap_or("");
    let kind = match said {
        "login" => PageKind::Login,
        "consent" => PageKind::Consent,
        _ => match said.strip_prefix("pass:").and_then(|i| i.parse().ok()) {
            Some(i) => PageKind::Pass(i),
            None => {
                if let Some((page, css)) = said.strip_prefix("pending:").and_then(|k| profile.waited_for(k)) {
                    return Err(InteractError {
                        url: tab.url().unwrap_or("?").to_string(),
                        reason: format!(
                            "it is the {page} page by the interaction profile `{}`, but nothing matched its `wait` selector `{css}` within {} s (raise `wait_seconds` for a slow page)",
                            profile.name,
                            wait.as_secs()
                        ),
                        absent: false,
                    }
                    .into());
                }
                PageKind::Other
            }
        },
    };
    Ok(Ok((kind, tab.html().await.map_err(browser_error)?)))
}

/// What a page asks of the user, if anything: a field to fill in or a button to press.
fn asks_for_input(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let css = "input:not([type=hidden i]), select, textarea, button";
    let sel = scraper::Selector::parse(css).ok()?;
    let found: Vec<String> = doc
        .select(&sel)
        .take(3)
        .map(|e| {
            let v = e.value();
            let mut d = format!("<{}", v.name());
            for attr in ["type", "name", "value", "id"] {
                if let Some(x) = v.attr(attr) {
                    d.push_str(&format!(" {attr}=\"{x}\""));
                }
            }
            d + ">"
        })
        .collect();
    (!found.is_empty()).then(|| found.join(", "))
}

/// Does this scenario's interaction run in a browser?
fn browsing(ctx: &Ctx<'_>) -> bool {
    ctx.env.interaction.driver == Driver::Browser
}

fn browser_error(e: BrowserError) -> StepError {
    StepError::Prerequisite(format!("browser driver: {e}"))
}

/// What showing a page in the browser came to.
enum Shown {
    /// The page, rendered, is of this kind.
    Page(PageKind),
    /// The page navigated away by itself while loading (a script, an auto-submitted form).
    Left(Request),
}

/// The page's own requests (scripts, styles, `fetch`) go through the scenario's user agent,
/// as the browser party, so they are recorded like every other exchange.
struct ViaAgent<'a>(&'a mut Agent);

impl Network for ViaAgent<'_> {
    fn fetch<'a>(
        &'a mut self,
        req: &'a Intercepted,
    ) -> Pin<Box<dyn Future<Output = Result<Reply, String>> + Send + 'a>> {
        Box::pin(async move {
            let resp = self.0.browse(to_request(req)).await.map_err(|e| e.to_string())?;
            Ok(Reply { status: resp.status, headers: resp.headers, body: resp.body })
        })
    }
}

/// Headers the user agent sets itself, or that only describe the browser build.
const DROPPED_HEADERS: &[&str] = &[
    "host",
    "connection",
    "content-length",
    "cookie",
    "accept-encoding",
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
];

/// A request the browser made, as the user agent sends it: forms and JSON as such, so that
/// recording and masking treat them as they treat the form driver's.
fn to_request(i: &Intercepted) -> Request {
    let mut headers: Vec<(String, String)> =
        i.headers.iter().filter(|(k, _)| !DROPPED_HEADERS.contains(&k.as_str())).cloned().collect();
    let content_type = headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.to_ascii_lowercase());
    let body = match (&i.body, content_type.as_deref()) {
        (None, _) => Body::None,
        (Some(b), Some(ct)) if ct.starts_with("application/x-www-form-urlencoded") => {
            headers.retain(|(k, _)| k != "content-type");
            Body::Form(
                url::form_urlencoded::parse(b).map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
            )
        }
        (Some(b), Some(ct)) if ct.starts_with("application/json") => match serde_json::from_slice(b) {
            Ok(v) => {
                headers.retain(|(k, _)| k != "content-type");
                Body::Json(v)
            }
            Err(_) => Body::Raw(String::from_utf8_lossy(b).into_owned(), content_type.clone()),
        },
        (Some(b), ct) => {
            headers.retain(|(k, _)| k != "content-type");
            Body::Raw(String::from_utf8_lossy(b).into_owned(), ct.map(str::to_string))
        }
    };
    let method = reqwest::Method::from_bytes(i.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    Request { method, url: i.url.clone(), headers, body }
}

/// Does this HTML look like a shell that scripts fill in: no form, a script, and next to no
/// text of its own? (An error page with a script still has its words.)
fn script_rendered(html: &str) -> bool {
    let doc = scraper::Html::parse_document(html);
    let has = |css: &str| scraper::Selector::parse(css).ok().is_some_and(|s| doc.select(&s).next().is_some());
    if has("form") || has("input[type=password i]") || !has("script") {
        return false;
    }
    let Ok(body) = scraper::Selector::parse("body") else { return false };
    let skip = ["script", "style", "noscript", "template"];
    let text: String = doc
        .select(&body)
        .flat_map(|b| b.descendants())
        .filter_map(|n| {
            let t = n.value().as_text()?;
            let inside_skipped =
                n.ancestors().any(|a| a.value().as_element().is_some_and(|e| skip.contains(&e.name())));
            (!inside_skipped).then(|| t.to_string())
        })
        .collect();
    text.split_whitespace().map(str::len).sum::<usize>() < 40
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

    #[test]
    fn a_script_shell_is_told_apart_from_an_error_page_that_loads_a_script() {
        assert!(script_rendered(
            "<html><body><div id=app></div><script src=/app.js></script><noscript>Enable JavaScript to sign in.</noscript></body></html>"
        ));
        assert!(!script_rendered(
            "<html><body><h1>Invalid request</h1><p>The redirect_uri is not registered for this client.</p><script>track()</script></body></html>"
        ));
        assert!(!script_rendered(
            "<html><body><form><input type=password name=p></form><script></script></body></html>"
        ));
        assert!(!script_rendered("<html><body></body></html>"), "no script: nothing for a browser to run");
    }

    #[test]
    fn a_browser_request_is_sent_as_a_form_or_json_without_the_headers_the_agent_sets() {
        let form = Intercepted {
            method: "POST".into(),
            url: "http://as/login".into(),
            headers: vec![
                ("content-type".into(), "application/x-www-form-urlencoded".into()),
                ("host".into(), "as".into()),
                ("origin".into(), "http://as".into()),
                ("cookie".into(), "sid=1".into()),
            ],
            body: Some(b"username=alice&password=a+b%26c".to_vec()),
            navigation: true,
        };
        let r = to_request(&form);
        assert_eq!(r.method, reqwest::Method::POST);
        assert_eq!(r.headers, vec![("origin".to_string(), "http://as".to_string())]);
        let Body::Form(fields) = r.body else { panic!("{:?}", r.body) };
        assert_eq!(fields, vec![("username".into(), "alice".into()), ("password".into(), "a b&c".into())]);

        let json = Intercepted {
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some(br#"{"decision":"approve"}"#.to_vec()),
            ..form
        };
        assert!(matches!(to_request(&json).body, Body::Json(v) if v["decision"] == "approve"));
    }
}
