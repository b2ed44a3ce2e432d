//! Drives login and consent pages per an interaction profile of CSS selectors and field names
//! (`fixtures/profiles/*-ui.toml`): with `scraper` on the HTML the server sent (the form
//! driver), or as scripts a real browser runs on the rendered page (the browser driver).
//!
//! Layer: engine; imports `engine::agent` and `engine::browser` (for string literals only);
//! never the render or commands layers.

use std::collections::BTreeMap;

use scraper::{ElementRef, Html, Selector};
use serde::{Deserialize, Serialize};

use crate::engine::agent::{Body, Request};

/// How to recognise and operate a server's login and consent pages, and the pages a user
/// passes on the way (an identifier-first step, a "continue" interstitial).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InteractionProfile {
    pub name: String,
    /// How pages are operated: `form` (default) or `browser`.
    #[serde(default)]
    pub driver: Driver,
    /// Seconds the browser driver waits for a page's scripts to draw what a rule waits for
    /// (default 5).
    pub wait_seconds: Option<u64>,
    pub login: LoginPage,
    pub consent: ConsentPage,
    /// Other pages the user passes by filling in fields and pressing a control, tried in order
    /// after the login and consent rules (`[[page]]`).
    #[serde(default, rename = "page", skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<PassPage>,
}

/// Who operates the login and consent pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Driver {
    /// Read the HTML the server sent and submit its forms: fast, no browser, but blind to
    /// pages that a script renders.
    #[default]
    Form,
    /// A headless Chromium renders each page, runs its scripts, fills the fields and presses
    /// the buttons; its requests still go through the harness's user agent.
    Browser,
    /// A person signs in, in a browser of their own, from the authorization URL the harness
    /// prints; the harness waits for the response to the client (`engine::manual`).
    Manual,
}

impl Driver {
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Form => "form",
            Driver::Browser => "browser",
            Driver::Manual => "manual",
        }
    }
}

/// A page rule's matching part: the page is this rule's when its URL matches `url` (a glob,
/// `*` for any run of characters, against the whole URL) and `detect` selects an element; a
/// rule names at least one of the two. Under the browser driver the page is acted on once
/// `wait` selects an element (the page's scripts have drawn it).
#[derive(Debug, Clone, Copy)]
pub struct Rule<'a> {
    pub url: Option<&'a str>,
    pub detect: Option<&'a str>,
    pub wait: Option<&'a str>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LoginPage {
    /// A glob the login page's URL matches.
    pub url: Option<String>,
    /// A selector that matches only on the login page.
    pub detect: Option<String>,
    /// What the browser driver waits for before acting (default: `detect`, or the password
    /// field when the rule has only a `url`).
    pub wait: Option<String>,
    /// The form to submit.
    pub form: String,
    /// The username and password fields: by name, or (when no field has that name) by CSS
    /// selector. No `username`: the page asks for the password only (identifier-first).
    pub username: Option<String>,
    pub password: String,
    /// More fields to fill in (name or selector = value); `{username}` and `{password}` in a
    /// value stand for the test user's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fill: BTreeMap<String, String>,
    /// The submit button to press (its name=value is sent when it has a name).
    pub submit: Option<String>,
    /// A cancel button inside the form, or a link to follow instead.
    pub cancel: Option<String>,
    pub cancel_link: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConsentPage {
    pub url: Option<String>,
    pub detect: Option<String>,
    /// What the browser driver waits for before acting (default: `detect`, or the approve
    /// control when the rule has only a `url`).
    pub wait: Option<String>,
    pub form: String,
    pub approve: Option<String>,
    pub deny: Option<String>,
    pub deny_link: Option<String>,
    /// Checkboxes that select scopes (partial consent), when the page has them.
    pub scope: Option<String>,
    /// The name of the form's anti-CSRF field. Unset: the one hidden field whose name says
    /// csrf or xsrf, if there is exactly one.
    pub csrf: Option<String>,
    /// More fields to fill in before approving or denying.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fill: BTreeMap<String, String>,
}

/// A page between the authorization request and the login or consent page, or after them,
/// that the user passes: fill in `fill`, then press `click` (a button or a link), or submit
/// `form` when there is nothing to press.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PassPage {
    /// What reports call the page ("account chooser").
    pub name: String,
    pub url: Option<String>,
    pub detect: Option<String>,
    /// What the browser driver waits for before acting (default: `detect`, or `click`).
    pub wait: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fill: BTreeMap<String, String>,
    pub click: Option<String>,
    /// The form to submit (default: the one that holds `click`, else the page's only form).
    pub form: Option<String>,
}

impl LoginPage {
    pub fn rule(&self) -> Rule<'_> {
        let password = self.password.as_str();
        Rule {
            url: self.url.as_deref(),
            detect: self.detect.as_deref(),
            wait: self.wait.as_deref().or(self.detect.as_deref()).or(Some(password)),
        }
    }
}

impl ConsentPage {
    pub fn rule(&self) -> Rule<'_> {
        Rule {
            url: self.url.as_deref(),
            detect: self.detect.as_deref(),
            wait: self
                .wait
                .as_deref()
                .or(self.detect.as_deref())
                .or(self.approve.as_deref())
                .or(Some(self.form.as_str())),
        }
    }
}

impl PassPage {
    pub fn rule(&self) -> Rule<'_> {
        Rule {
            url: self.url.as_deref(),
            detect: self.detect.as_deref(),
            wait: self.wait.as_deref().or(self.detect.as_deref()).or(self.click.as_deref()),
        }
    }
}

/// Does `text` match `glob`, where `*` stands for any run of characters (none included) and
/// everything else for itself?
pub fn glob_match(glob: &str, text: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else { return glob == text };
    if parts.len() == 1 {
        return glob == text;
    }
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// A glob as an anchored JavaScript regular expression's source.
fn glob_regex(glob: &str) -> String {
    let mut re = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => re.push_str("[\\s\\S]*"),
            c if "\\^$.|?+()[]{}/".contains(c) => {
                re.push('\\');
                re.push(c);
            }
            c => re.push(c),
        }
    }
    re.push('$');
    re
}

/// How an action fills a form: form selector, button, fallback link, field values, scopes.
type FormPlan<'a, S> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, Vec<(String, String)>, S);

/// What kind of page the journey is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Login,
    Consent,
    /// The profile's `[[page]]` rule with this index: a page the user passes.
    Pass(usize),
    Other,
}

impl PageKind {
    /// The name journeys record (`pages`, `page`, `page_headers`).
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Login => "login",
            PageKind::Consent => "consent",
            PageKind::Pass(_) => "pass",
            PageKind::Other => "other",
        }
    }
}

/// What the simulated user does on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Login {
        username: String,
        password: String,
    },
    CancelLogin,
    /// Approve; with `Some(scopes)` only those scope boxes stay ticked.
    Approve(Option<Vec<String>>),
    Deny,
    /// Pass the `[[page]]` with this index, as the test user (when there is one).
    Pass {
        page: usize,
        username: Option<String>,
        password: Option<String>,
    },
}

/// A page the profile cannot operate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot drive the page at {url}: {reason}")]
pub struct InteractError {
    pub url: String,
    pub reason: String,
    /// The page does not offer what the action needs (no cancel on the login page): a
    /// precondition of the scenario, not a fault of the server.
    pub absent: bool,
}

fn selector(css: &str, url: &str) -> Result<Selector, InteractError> {
    Selector::parse(css).map_err(|e| InteractError {
        url: url.to_string(),
        reason: format!("the interaction profile's selector `{css}` is invalid: {e}"),
        absent: false,
    })
}

/// `{username}` and `{password}` in a `fill` value, replaced by the test user's.
fn fill_value(value: &str, username: Option<&str>, password: Option<&str>) -> String {
    value.replace("{username}", username.unwrap_or("")).replace("{password}", password.unwrap_or(""))
}

impl InteractionProfile {
    /// How long the browser driver waits for a page's scripts.
    pub fn render_wait(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.wait_seconds.unwrap_or(5))
    }

    /// Refuse a profile whose rules cannot work: a page rule with neither `url` nor `detect`,
    /// or a selector that does not parse.
    pub fn validate(&self) -> Result<(), String> {
        let mut rules: Vec<(String, Rule<'_>)> =
            vec![("[login]".into(), self.login.rule()), ("[consent]".into(), self.consent.rule())];
        for p in &self.pages {
            rules.push((format!("[[page]] `{}`", p.name), p.rule()));
        }
        for (what, rule) in &rules {
            if rule.url.is_none() && rule.detect.is_none() {
                return Err(format!("{what} names neither `url` nor `detect`: no page would match it"));
            }
        }
        let mut selectors: Vec<(&str, &str)> =
            vec![("[login] form", &self.login.form), ("[consent] form", &self.consent.form)];
        let optional = [
            ("[login] detect", &self.login.detect),
            ("[login] wait", &self.login.wait),
            ("[login] submit", &self.login.submit),
            ("[login] cancel", &self.login.cancel),
            ("[login] cancel_link", &self.login.cancel_link),
            ("[consent] detect", &self.consent.detect),
            ("[consent] wait", &self.consent.wait),
            ("[consent] approve", &self.consent.approve),
            ("[consent] deny", &self.consent.deny),
            ("[consent] deny_link", &self.consent.deny_link),
            ("[consent] scope", &self.consent.scope),
        ];
        selectors.extend(optional.iter().filter_map(|(k, v)| v.as_deref().map(|v| (*k, v))));
        for p in &self.pages {
            for v in [&p.detect, &p.wait, &p.click, &p.form].into_iter().flatten() {
                selectors.push(("[[page]]", v));
            }
        }
        for (key, css) in selectors {
            if let Err(e) = Selector::parse(css) {
                // The browser evaluates the selectors itself: pseudo-classes the HTML parser
                // here lacks (`:checked`, `:has()`) are the browser's to judge.
                let browser_only = self.driver == Driver::Browser
                    && format!("{e:?}").contains("UnsupportedPseudoClassOrElement");
                if !browser_only {
                    return Err(format!("{key} `{css}` is not a CSS selector: {e}"));
                }
            }
        }
        Ok(())
    }

    /// The page and control an action needs, for messages.
    fn what(&self, action: &Action) -> (String, &'static str) {
        let (page, control) = match action {
            Action::Login { .. } => ("login", "submit"),
            Action::CancelLogin => ("login", "cancel"),
            Action::Approve(_) => ("consent", "approve"),
            Action::Deny => ("consent", "deny"),
            Action::Pass { page, .. } => {
                let name = self.pages.get(*page).map_or("?", |p| p.name.as_str());
                return (format!("`{name}`"), "click");
            }
        };
        (page.to_string(), control)
    }

    /// Classify a page by its URL and HTML: the consent rule, the login rule, the `[[page]]`
    /// rules in order, and last any page that asks for a password (a login page in markup
    /// the profile does not know: driving it then fails with the page named, rather than the
    /// login being taken for the server's final answer).
    pub fn classify(&self, url: &str, html: &str) -> PageKind {
        let doc = Html::parse_document(html);
        let selects = |css: &str| Selector::parse(css).ok().is_some_and(|s| doc.select(&s).next().is_some());
        let is = |r: Rule<'_>| {
            (r.url.is_some() || r.detect.is_some())
                && r.url.is_none_or(|g| glob_match(g, url))
                && r.detect.is_none_or(selects)
        };
        if is(self.consent.rule()) {
            PageKind::Consent
        } else if is(self.login.rule()) {
            PageKind::Login
        } else if let Some(i) = self.pages.iter().position(|p| is(p.rule())) {
            PageKind::Pass(i)
        } else if selects("input[type=password i]") {
            PageKind::Login
        } else {
            PageKind::Other
        }
    }

    /// What an action works with, whichever driver performs it: the form (for a `[[page]]`
    /// without one: the one holding its control), the button to press (or the link to follow
    /// instead), the fields to fill in, and the scopes to keep ticked.
    fn controls<'a>(&'a self, action: &'a Action) -> FormPlan<'a, Option<&'a Vec<String>>> {
        let filled =
            |fill: &BTreeMap<String, String>, u: Option<&str>, p: Option<&str>| -> Vec<(String, String)> {
                fill.iter().map(|(k, v)| (k.clone(), fill_value(v, u, p))).collect()
            };
        match action {
            Action::Login { username, password } => {
                let mut fields = Vec::new();
                if let Some(field) = &self.login.username {
                    fields.push((field.clone(), username.clone()));
                }
                fields.push((self.login.password.clone(), password.clone()));
                fields.extend(filled(&self.login.fill, Some(username), Some(password)));
                (Some(&self.login.form), self.login.submit.as_deref(), None, fields, None)
            }
            Action::CancelLogin => (
                Some(&self.login.form),
                self.login.cancel.as_deref(),
                self.login.cancel_link.as_deref(),
                Vec::new(),
                None,
            ),
            Action::Approve(scopes) => (
                Some(&self.consent.form),
                self.consent.approve.as_deref(),
                None,
                filled(&self.consent.fill, None, None),
                scopes.as_ref(),
            ),
            Action::Deny => (
                Some(&self.consent.form),
                self.consent.deny.as_deref(),
                self.consent.deny_link.as_deref(),
                filled(&self.consent.fill, None, None),
                None,
            ),
            Action::Pass { page, username, password } => match self.pages.get(*page) {
                Some(p) => (
                    p.form.as_deref(),
                    p.click.as_deref(),
                    None,
                    filled(&p.fill, username.as_deref(), password.as_deref()),
                    None,
                ),
                None => (None, None, None, Vec::new(), None),
            },
        }
    }

    /// The request the user's action produces on this page.
    pub fn plan(&self, page_url: &str, html: &str, action: &Action) -> Result<Request, InteractError> {
        let doc = Html::parse_document(html);
        let fail = |reason: String| InteractError { url: page_url.to_string(), reason, absent: false };
        let absent = |reason: String| InteractError { url: page_url.to_string(), reason, absent: true };
        let (page, control) = self.what(action);
        let (form_css, button, link, overrides, scopes) = self.controls(action);
        if matches!(action, Action::CancelLogin | Action::Deny) && button.is_none() && link.is_none() {
            return Err(absent(format!(
                "the {page} page offers no {control}: the interaction profile `{}` names no `{control}` control for it",
                self.name
            )));
        }
        if let Some(link_css) = link.filter(|_| button.is_none()) {
            let sel = selector(link_css, page_url)?;
            let href = doc.select(&sel).next().and_then(|a| a.value().attr("href")).ok_or_else(|| {
                absent(format!("the {page} page offers no {control}: no link matches `{link_css}`"))
            })?;
            return Ok(Request::get(resolve(page_url, href)));
        }
        // A page passed by pressing a link, or a button of whichever form holds it.
        let pressed = match (action, button) {
            (Action::Pass { .. }, Some(css)) => {
                let sel = selector(css, page_url)?;
                let el = doc.select(&sel).next().ok_or_else(|| {
                    fail(format!("the {page} page offers no {control}: nothing matches `{css}`"))
                })?;
                if el.value().name() == "a" {
                    let href = el.value().attr("href").unwrap_or("");
                    return Ok(Request::get(resolve(page_url, href)));
                }
                Some(el)
            }
            _ => None,
        };
        let form = match (form_css, pressed) {
            (Some(css), _) => self.form(&doc, css, &page, page_url)?,
            (None, Some(el)) => {
                match el.ancestors().filter_map(ElementRef::wrap).find(|a| a.value().name() == "form") {
                    Some(f) => f,
                    None => self.form(&doc, "form", &page, page_url)?,
                }
            }
            (None, None) => self.form(&doc, "form", &page, page_url)?,
        };
        let mut fields = controls(form);
        if let (Some(only), Some(scope_css)) = (scopes, self.consent.scope.as_deref()) {
            let sel = selector(scope_css, page_url)?;
            let boxes: Vec<(String, String)> = form
                .select(&sel)
                .filter_map(|e| {
                    Some((e.value().attr("name")?.to_string(), e.value().attr("value")?.to_string()))
                })
                .collect();
            fields.retain(|f| !boxes.contains(f));
            fields.extend(boxes.into_iter().filter(|(_, v)| only.contains(v)));
        }
        for (key, value) in overrides {
            let name = field_name(form, &key);
            fields.retain(|(k, _)| *k != name);
            fields.push((name, value));
        }
        if let Some(css) = button {
            let sel = selector(css, page_url)?;
            let b = form.select(&sel).next().ok_or_else(|| {
                let reason = format!("the {page} page offers no {control}: no button matches `{css}`");
                if matches!(action, Action::CancelLogin | Action::Deny) {
                    absent(reason)
                } else {
                    fail(reason)
                }
            })?;
            if let Some(name) = b.value().attr("name") {
                fields.push((name.to_string(), b.value().attr("value").unwrap_or("").to_string()));
            }
        }
        let action_url = resolve(page_url, form.value().attr("action").unwrap_or(""));
        let method = form.value().attr("method").unwrap_or("get").to_ascii_uppercase();
        Ok(if method == "POST" {
            Request::post_form(action_url, fields)
        } else {
            let mut u =
                url::Url::parse(&action_url).map_err(|_| fail(format!("bad form action `{action_url}`")))?;
            u.query_pairs_mut().clear().extend_pairs(fields.iter());
            Request { method: reqwest::Method::GET, url: u.into(), headers: Vec::new(), body: Body::None }
        })
    }
}

/// The name a form submits a field under: `key` itself when a control has that name, else
/// the name of the control `key` selects as CSS.
fn field_name(form: ElementRef<'_>, key: &str) -> String {
    let named = |el: &ElementRef<'_>| el.value().attr("name") == Some(key);
    let all = Selector::parse("input, select, textarea").expect("static selector");
    if form.select(&all).any(|e| named(&e)) {
        return key.to_string();
    }
    Selector::parse(key)
        .ok()
        .and_then(|sel| form.select(&sel).find_map(|e| e.value().attr("name").map(str::to_string)))
        .unwrap_or_else(|| key.to_string())
}

impl InteractionProfile {
    /// The one form `css` selects: none, or more than one, is an error naming what matched.
    fn form<'d>(
        &self,
        doc: &'d Html,
        css: &str,
        page: &str,
        page_url: &str,
    ) -> Result<ElementRef<'d>, InteractError> {
        let sel = selector(css, page_url)?;
        let found: Vec<ElementRef<'d>> = doc.select(&sel).collect();
        let fail = |reason: String| InteractError { url: page_url.to_string(), reason, absent: false };
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(fail(format!(
                "no form matches `{css}` of the interaction profile `{}` (is `interaction` in the target profile right for this server?)",
                self.name
            ))),
            many => {
                let named: Vec<String> = many
                    .iter()
                    .map(|f| {
                        let v = f.value();
                        let mut d = String::from("<form");
                        for attr in ["id", "name", "action", "method"] {
                            if let Some(x) = v.attr(attr) {
                                d.push_str(&format!(" {attr}=\"{x}\""));
                            }
                        }
                        d + ">"
                    })
                    .collect();
                Err(fail(format!(
                    "{} forms match `{css}` ({}); make `[{page}] form` of the interaction profile `{}` select one",
                    many.len(),
                    named.join(", "),
                    self.name
                )))
            }
        }
    }

    /// The consent form's anti-CSRF field: the one the profile names, when the form has it,
    /// else the only hidden field whose name says csrf or xsrf (servers rename theirs).
    pub fn consent_csrf_field(&self, page_url: &str, html: &str) -> Result<Option<String>, InteractError> {
        let doc = Html::parse_document(html);
        let form = self.form(&doc, &self.consent.form, "consent", page_url)?;
        let hidden = Selector::parse("input[type=hidden i][name]").expect("static selector");
        let names: Vec<String> =
            form.select(&hidden).filter_map(|e| e.value().attr("name")).map(str::to_string).collect();
        if let Some(named) = self.consent.csrf.as_ref().filter(|n| names.contains(n)) {
            return Ok(Some(named.clone()));
        }
        let guessed: Vec<&String> = names
            .iter()
            .filter(|n| {
                let l = n.to_ascii_lowercase();
                l.contains("csrf") || l.contains("xsrf")
            })
            .collect();
        Ok(match guessed.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        })
    }
}

/// What a browser script answers when the page does not offer what the action needs.
pub const SCRIPT_OK: &str = "ok";

impl InteractionProfile {
    /// A script that names the rendered page's kind (`login`, `consent`, `pass:N`, `other`),
    /// or answers "" while a script may still be drawing it: a page whose rule matches but
    /// whose `wait` element is not there yet. With `last`, that page is named `pending:KIND`
    /// instead (the wait is over).
    pub fn classify_script(&self, last: bool) -> String {
        use crate::engine::browser::js_string;
        let rule = |kind: String, r: Rule<'_>| -> String {
            let opt = |v: Option<String>| v.map_or_else(|| "null".to_string(), |v| js_string(&v));
            format!(
                "[{}, {}, {}, {}]",
                js_string(&kind),
                opt(r.url.map(glob_regex)),
                opt(r.detect.map(str::to_string)),
                opt(r.wait.map(str::to_string))
            )
        };
        let mut rules =
            vec![rule("consent".into(), self.consent.rule()), rule("login".into(), self.login.rule())];
        rules.extend(self.pages.iter().enumerate().map(|(i, p)| rule(format!("pass:{i}"), p.rule())));
        format!(
            "(() => {{ const q = (c) => {{ try {{ return document.querySelector(c); }} catch (e) {{ return null; }} }};\
             for (const [kind, url, detect, wait] of [{rules}]) {{\
               if (!url && !detect) continue;\
               if (url && !new RegExp(url).test(location.href)) continue;\
               if (detect && !q(detect)) continue;\
               if (wait && !q(wait)) return {pending};\
               return kind; }}\
             if (q('input[type=password i]')) return 'login';\
             return {last} || (document.readyState === 'complete' && document.scripts.length === 0) ? 'other' : ''; }})()",
            rules = rules.join(", "),
            pending = if last { "'pending:' + kind" } else { "''" },
            last = last,
        )
    }

    /// The selector a `pending:KIND` page waited for in vain, and the page's name.
    pub fn waited_for(&self, kind: &str) -> Option<(String, &str)> {
        match kind {
            "login" => Some(("login".into(), self.login.rule().wait?)),
            "consent" => Some(("consent".into(), self.consent.rule().wait?)),
            _ => {
                let i: usize = kind.strip_prefix("pass:")?.parse().ok()?;
                let p = self.pages.get(i)?;
                Some((format!("`{}`", p.name), p.rule().wait?))
            }
        }
    }

    /// A script that performs `action` on the rendered page: fills the fields (found by name,
    /// else by selector), ticks the scopes, presses the control (a moment later, so the script
    /// returns first). It answers [`SCRIPT_OK`], or `absent: …` when the page lacks an
    /// optional control (cancel, deny), or `fail: …` when it lacks what the action needs.
    pub fn action_script(&self, action: &Action) -> String {
        use crate::engine::browser::js_string;
        let (page, control) = self.what(action);
        let (form, button, link, fields, scopes) = self.controls(action);
        let optional = matches!(action, Action::CancelLogin | Action::Deny);
        if optional && button.is_none() && link.is_none() {
            let why = format!(
                "absent: the {page} page offers no {control}: the interaction profile `{}` names no `{control}` control for it",
                self.name
            );
            return js_string(&why);
        }
        let missing = if optional { "absent" } else { "fail" };
        let fields: Vec<String> =
            fields.iter().map(|(k, v)| format!("[{}, {}]", js_string(k), js_string(v))).collect();
        let only = match (scopes, self.consent.scope.as_deref()) {
            (Some(only), Some(css)) => format!(
                "const only = {}; for (const b of root.querySelectorAll({})) {{ b.checked = only.includes(b.value); b.dispatchEvent(new Event('change', {{ bubbles: true }})); }}",
                serde_json::Value::from(only.clone()),
                js_string(css)
            ),
            _ => String::new(),
        };
        let none = "null".to_string();
        let form = form.map_or(none.clone(), js_string);
        format!(
            "(() => {{\
             const q = (c, r) => {{ try {{ return (r || document).querySelector(c); }} catch (e) {{ return null; }} }};\
             const formCss = {form}; const button = {button}; const link = {link};\
             let form = formCss ? q(formCss) : null;\
             if (!formCss && button) {{ const b = q(button); form = (b && b.closest('form')) || null; }}\
             if (!formCss && !form) {{ const all = document.querySelectorAll('form'); if (all.length === 1) form = all[0]; }}\
             const root = form || document;\
             const set = (el, v) => {{ const d = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value');\
               if (el.type === 'checkbox' || el.type === 'radio') {{ el.checked = v !== '' && v !== 'off'; }}\
               else if (d && d.set) d.set.call(el, v); else el.value = v;\
               el.dispatchEvent(new Event('input', {{ bubbles: true }})); el.dispatchEvent(new Event('change', {{ bubbles: true }})); }};\
             for (const [name, value] of [{fields}]) {{\
               const el = root.querySelector('[name=\"' + CSS.escape(name) + '\"]') || q(name, root) || q(name);\
               if (!el) return 'fail: no field named or selected by `' + name + '` on the ' + {page} + ' page';\
               set(el, value); }}\
             {only}\
             let press = null;\
             if (button) {{ press = q(button, root) || q(button); }}\
             else if (link) {{ press = q(link); }}\
             if ((button || link) && !press) return '{missing}: the ' + {page} + ' page offers no {control}: nothing matches `' + (button || link) + '`';\
             if (!press && !form) return '{missing}: the ' + {page} + ' page offers no {control}: no form matches `' + (formCss || 'form') + '` and the interaction profile `' + {name} + '` names no control';\
             setTimeout(() => {{ if (press) press.click(); else form.requestSubmit(); }}, 0);\
             return '{ok}'; }})()",
            page = js_string(&page),
            fields = fields.join(", "),
            button = button.map_or(none.clone(), js_string),
            link = link.map_or(none, js_string),
            name = js_string(&self.name),
            ok = SCRIPT_OK,
        )
    }
}

/// The successful controls of a form, as a browser would submit them (no buttons).
fn controls(form: ElementRef<'_>) -> Vec<(String, String)> {
    let all = Selector::parse("input, select, textarea").expect("static selector");
    let mut out = Vec::new();
    for el in form.select(&all) {
        let v = el.value();
        let Some(name) = v.attr("name") else { continue };
        if v.attr("disabled").is_some() {
            continue;
        }
        match v.name() {
            "input" => {
                let kind = v.attr("type").unwrap_or("text").to_ascii_lowercase();
                match kind.as_str() {
                    "submit" | "button" | "image" | "reset" | "file" => {}
                    "checkbox" | "radio" => {
                        if v.attr("checked").is_some() {
                            out.push((name.to_string(), v.attr("value").unwrap_or("on").to_string()));
                        }
                    }
                    _ => out.push((name.to_string(), v.attr("value").unwrap_or("").to_string())),
                }
            }
            "textarea" => out.push((name.to_string(), el.text().collect())),
            "select" => {
                let opt = Selector::parse("option").expect("static selector");
                let chosen = el
                    .select(&opt)
                    .find(|o| o.value().attr("selected").is_some())
                    .or_else(|| el.select(&opt).next());
                if let Some(o) = chosen {
                    let value =
                        o.value().attr("value").map(str::to_string).unwrap_or_else(|| o.text().collect());
                    out.push((name.to_string(), value));
                }
            }
            _ => {}
        }
    }
    out
}

fn resolve(base: &str, href: &str) -> String {
    match url::Url::parse(base).and_then(|b| b.join(href)) {
        Ok(u) => u.into(),
        Err(_) => href.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> InteractionProfile {
        toml::from_str(include_str!("../../../fixtures/profiles/fake-server-ui.toml")).unwrap()
    }

    const LOGIN: &str = r#"<form method="post" action="/login" id="login-form">
        <input type="hidden" name="request" value="r1"><input type="hidden" name="csrf" value="c1">
        <input type="text" name="username"><input type="password" name="password">
        <button type="submit" name="action" value="login">Sign in</button>
        <button type="submit" name="action" value="cancel">Cancel</button></form>"#;

    #[test]
    fn login_fills_the_fields_and_presses_the_submit_button() {
        let p = profile();
        assert_eq!(p.classify("http://as/login", LOGIN), PageKind::Login);
        let req = p
            .plan(
                "http://as/login?request=r1",
                LOGIN,
                &Action::Login { username: "a".into(), password: "b".into() },
            )
            .unwrap();
        assert_eq!(req.url, "http://as/login");
        let Body::Form(fields) = req.body else { panic!("form expected") };
        for pair in
            [("request", "r1"), ("csrf", "c1"), ("username", "a"), ("password", "b"), ("action", "login")]
        {
            assert!(fields.contains(&(pair.0.to_string(), pair.1.to_string())), "{pair:?} in {fields:?}");
        }
    }

    #[test]
    fn a_password_field_makes_a_login_page_whose_form_is_then_named_when_it_cannot_be_driven() {
        let foreign = r#"<form method="post" action="/interaction/x"><input name="login">
            <input type="PASSWORD" name="password"><button>Sign-in</button></form>"#;
        let p = profile();
        assert_eq!(p.classify("http://as/interaction/x", foreign), PageKind::Login);
        assert_eq!(
            p.classify("http://as/authorize", "<p>invalid_request: redirect_uri</p>"),
            PageKind::Other
        );
        let e = p
            .plan(
                "http://as/interaction/x",
                foreign,
                &Action::Login { username: "a".into(), password: "b".into() },
            )
            .unwrap_err();
        assert_eq!(e.url, "http://as/interaction/x");
    }

    #[test]
    fn partial_approval_unticks_the_other_scopes() {
        let page = r#"<form method="post" action="/consent" id="consent-form">
            <input type="checkbox" name="scope" value="openid" checked>
            <input type="checkbox" name="scope" value="profile" checked>
            <button name="decision" value="approve">Allow</button><button name="decision" value="deny">Deny</button></form>"#;
        let p = profile();
        assert_eq!(p.classify("http://as/consent", page), PageKind::Consent);
        let req = p.plan("http://as/consent", page, &Action::Approve(Some(vec!["openid".into()]))).unwrap();
        let Body::Form(fields) = req.body else { panic!("form expected") };
        assert!(fields.contains(&("scope".into(), "openid".into())));
        assert!(!fields.contains(&("scope".into(), "profile".into())));
        assert!(fields.contains(&("decision".into(), "approve".into())));
    }

    #[test]
    fn a_glob_matches_the_whole_url_with_stars_for_any_run() {
        for (glob, url, hit) in [
            ("*/login*", "http://as/login?x=1", true),
            ("*/login", "http://as/login?x=1", false),
            ("http://as/*/consent", "http://as/t/1/consent", true),
            ("http://as/*/consent", "http://as/consent", false),
            ("*a*a*", "aa", true),
            ("*a*a*", "a", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("*", "", true),
        ] {
            assert_eq!(glob_match(glob, url), hit, "{glob} ~ {url}");
        }
        assert_eq!(glob_regex("*/a.b?*"), "^[\\s\\S]*\\/a\\.b\\?[\\s\\S]*$");
    }

    const PASSING: &str = r#"
name = "identifier-first"
[login]
url = "*/password*"
form = "form"
password = "input[type=password]"
submit = "button[type=submit]"
[consent]
detect = "form#consent"
form = "form#consent"
approve = "button[value=yes]"
[[page]]
name = "identifier"
detect = "input[name=identifier]"
fill = { identifier = "{username}", remember = "on" }
click = "button#next"
[[page]]
name = "notice"
url = "*/notice"
click = "a#continue"
"#;

    #[test]
    fn pages_are_told_apart_by_url_and_selector_and_passed_pages_come_after_login_and_consent() {
        let p: InteractionProfile = toml::from_str(PASSING).unwrap();
        p.validate().unwrap();
        let ident = r#"<form method="post" action="/next"><input name="identifier"><input type="checkbox" name="remember" value="on"><button id="next" name="go" value="1">Next</button></form>"#;
        assert_eq!(p.classify("http://as/start", ident), PageKind::Pass(0));
        assert_eq!(p.classify("http://as/notice", "<a id=continue href=/go>Continue</a>"), PageKind::Pass(1));
        let pw = r#"<form method="post" action="/pw"><input type="hidden" name="identifier" value="alice"><input type="password" name="pw"><button type="submit">Sign in</button></form>"#;
        assert_eq!(p.classify("http://as/password?s=1", pw), PageKind::Login);
        // Elsewhere the same markup is a login page only by the password field it asks for.
        assert_eq!(p.classify("http://as/other", "<p>hello</p>"), PageKind::Other);
        assert_eq!(p.classify("http://as/notice", "<p>x</p>"), PageKind::Pass(1), "a url-only rule");

        let user = Action::Pass { page: 0, username: Some("alice".into()), password: None };
        let req = p.plan("http://as/start", ident, &user).unwrap();
        assert_eq!(req.url, "http://as/next");
        let Body::Form(fields) = req.body else { panic!("form expected") };
        for pair in [("identifier", "alice"), ("remember", "on"), ("go", "1")] {
            assert!(fields.contains(&(pair.0.to_string(), pair.1.to_string())), "{pair:?} in {fields:?}");
        }
        let link = Action::Pass { page: 1, username: None, password: None };
        let req = p.plan("http://as/notice", "<a id=continue href=/go>Continue</a>", &link).unwrap();
        assert_eq!((req.method, req.url.as_str()), (reqwest::Method::GET, "http://as/go"));

        // No username field: the password, found by selector, is sent under its own name.
        let login = Action::Login { username: "alice".into(), password: "pw1".into() };
        let Body::Form(fields) = p.plan("http://as/password", pw, &login).unwrap().body else { panic!() };
        assert!(fields.contains(&("pw".into(), "pw1".into())), "{fields:?}");
        assert!(fields.contains(&("identifier".into(), "alice".into())), "{fields:?}");
        assert!(!fields.iter().any(|(k, _)| k.contains('[')), "{fields:?}");
    }

    #[test]
    fn a_rule_that_matches_nothing_or_a_selector_that_does_not_parse_is_refused_when_loaded() {
        let mut p: InteractionProfile = toml::from_str(PASSING).unwrap();
        p.pages[1].url = None;
        let e = p.validate().unwrap_err();
        assert!(e.contains("`notice`") && e.contains("neither"), "{e}");
        let mut p: InteractionProfile = toml::from_str(PASSING).unwrap();
        p.consent.approve = Some("button[value=".into());
        let e = p.validate().unwrap_err();
        assert!(e.contains("[consent] approve") && e.contains("button[value="), "{e}");
        for (name, _) in crate::engine::profile::BUILTIN_INTERACTIONS {
            crate::engine::profile::interaction_profile(name).unwrap();
        }
    }

    #[test]
    fn the_browser_scripts_carry_the_rules_and_waits() {
        let p: InteractionProfile = toml::from_str(PASSING).unwrap();
        let first = p.classify_script(false);
        assert!(first.contains(r#"["pass:1", "^[\\s\\S]*\\/notice$", null, "a#continue"]"#), "{first}");
        assert!(first.contains("if (wait && !q(wait)) return '';"), "{first}");
        assert!(p.classify_script(true).contains("return 'pending:' + kind;"));
        assert_eq!(p.waited_for("pass:0"), Some(("`identifier`".into(), "input[name=identifier]")));
        assert_eq!(p.waited_for("login"), Some(("login".into(), "input[type=password]")));
        let act = p.action_script(&Action::Pass { page: 0, username: Some("al'ice".into()), password: None });
        assert!(
            act.contains(r#"["identifier", "al'ice"]"#) && act.contains(r#"const button = "button#next""#),
            "{act}"
        );
    }

    #[test]
    fn a_page_without_the_expected_form_is_a_clear_error() {
        let err = profile().plan("http://as/x", "<p>hi</p>", &Action::Deny).unwrap_err();
        assert!(err.to_string().contains("no form matches"), "{err}");
    }
}
