//! Drives login and consent pages per an interaction profile of CSS selectors and field names
//! (`fixtures/profiles/*-ui.toml`): with `scraper` on the HTML the server sent (the form
//! driver), or as scripts a real browser runs on the rendered page (the browser driver).
//!
//! Layer: engine; imports `engine::agent` and `engine::browser` (for string literals only);
//! never the render or commands layers.

use scraper::{ElementRef, Html, Selector};
use serde::{Deserialize, Serialize};

use crate::engine::agent::{Body, Request};

/// How to recognise and operate a server's login and consent pages.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InteractionProfile {
    pub name: String,
    /// How pages are operated: `form` (default) or `browser`.
    #[serde(default)]
    pub driver: Driver,
    pub login: LoginPage,
    pub consent: ConsentPage,
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
}

impl Driver {
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Form => "form",
            Driver::Browser => "browser",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LoginPage {
    /// A selector that matches only on the login page.
    pub detect: String,
    /// The form to submit.
    pub form: String,
    /// Names of the username and password fields.
    pub username: String,
    pub password: String,
    /// The submit button to press (its name=value is sent when it has a name).
    pub submit: Option<String>,
    /// A cancel button inside the form, or a link to follow instead.
    pub cancel: Option<String>,
    pub cancel_link: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConsentPage {
    pub detect: String,
    pub form: String,
    pub approve: Option<String>,
    pub deny: Option<String>,
    pub deny_link: Option<String>,
    /// Checkboxes that select scopes (partial consent), when the page has them.
    pub scope: Option<String>,
    /// The name of the form's anti-CSRF field. Unset: the one hidden field whose name says
    /// csrf or xsrf, if there is exactly one.
    pub csrf: Option<String>,
}

/// How an action fills a form: form selector, button, fallback link, field values, scopes.
type FormPlan<'a, S> = (&'a str, Option<&'a str>, Option<&'a str>, Vec<(String, String)>, S);

/// What kind of page the browser is looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    Login,
    Consent,
    Other,
}

impl PageKind {
    /// The name journeys record (`pages`, `page`, `page_headers`).
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Login => "login",
            PageKind::Consent => "consent",
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

/// The page, form and control an action needs, for messages.
fn what(action: &Action) -> (&'static str, &'static str) {
    match action {
        Action::Login { .. } => ("login", "submit"),
        Action::CancelLogin => ("login", "cancel"),
        Action::Approve(_) => ("consent", "approve"),
        Action::Deny => ("consent", "deny"),
    }
}

impl InteractionProfile {
    /// Classify a page.
    pub fn classify(&self, html: &str) -> PageKind {
        let doc = Html::parse_document(html);
        let matches = |css: &str| Selector::parse(css).ok().is_some_and(|s| doc.select(&s).next().is_some());
        if matches(&self.consent.detect) {
            PageKind::Consent
        } else if matches(&self.login.detect) || matches("input[type=password i]") {
            // A page asking for a password is a login page even in markup this profile does
            // not know: driving it then fails with the page named, rather than the login
            // being taken for the server's final answer.
            PageKind::Login
        } else {
            PageKind::Other
        }
    }

    /// What an action works with, whichever driver performs it: the form, the button to press
    /// (or the link to follow instead), the fields to fill in, and the scopes to keep ticked.
    fn controls<'a>(&'a self, action: &'a Action) -> FormPlan<'a, Option<&'a Vec<String>>> {
        match action {
            Action::Login { username, password } => (
                &self.login.form,
                self.login.submit.as_deref(),
                None,
                vec![
                    (self.login.username.clone(), username.clone()),
                    (self.login.password.clone(), password.clone()),
                ],
                None,
            ),
            Action::CancelLogin => (
                &self.login.form,
                self.login.cancel.as_deref(),
                self.login.cancel_link.as_deref(),
                Vec::new(),
                None,
            ),
            Action::Approve(scopes) => {
                (&self.consent.form, self.consent.approve.as_deref(), None, Vec::new(), scopes.as_ref())
            }
            Action::Deny => (
                &self.consent.form,
                self.consent.deny.as_deref(),
                self.consent.deny_link.as_deref(),
                Vec::new(),
                None,
            ),
        }
    }

    /// The request the user's action produces on this page.
    pub fn plan(&self, page_url: &str, html: &str, action: &Action) -> Result<Request, InteractError> {
        let doc = Html::parse_document(html);
        let fail = |reason: String| InteractError { url: page_url.to_string(), reason, absent: false };
        let absent = |reason: String| InteractError { url: page_url.to_string(), reason, absent: true };
        let (page, control) = what(action);
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
        let form = self.form(&doc, form_css, page, page_url)?;
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
        for (name, value) in overrides {
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
    /// A script that names the rendered page's kind (`login`, `consent`, `other`), or answers
    /// "" while a script may still be rendering it.
    pub fn classify_script(&self) -> String {
        use crate::engine::browser::js_string;
        format!(
            "(() => {{ const q = (c) => {{ try {{ return document.querySelector(c); }} catch (e) {{ return null; }} }};\
             if (q({consent})) return 'consent';\
             if (q({login}) || q('input[type=password i]')) return 'login';\
             return document.readyState === 'complete' && document.scripts.length === 0 ? 'other' : ''; }})()",
            consent = js_string(&self.consent.detect),
            login = js_string(&self.login.detect),
        )
    }

    /// A script that performs `action` on the rendered page: fills the fields, ticks the
    /// scopes, presses the control (a moment later, so the script returns first). It answers
    /// [`SCRIPT_OK`], or `absent: …` when the page lacks an optional control (cancel, deny),
    /// or `fail: …` when it lacks what the action needs.
    pub fn action_script(&self, action: &Action) -> String {
        use crate::engine::browser::js_string;
        let (page, control) = what(action);
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
        format!(
            "(() => {{\
             const q = (c, r) => {{ try {{ return (r || document).querySelector(c); }} catch (e) {{ return null; }} }};\
             const form = q({form}); const root = form || document;\
             const set = (el, v) => {{ const d = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value');\
               if (d && d.set) d.set.call(el, v); else el.value = v;\
               el.dispatchEvent(new Event('input', {{ bubbles: true }})); el.dispatchEvent(new Event('change', {{ bubbles: true }})); }};\
             for (const [name, value] of [{fields}]) {{\
               const el = root.querySelector('[name=\"' + CSS.escape(name) + '\"]');\
               if (!el) return 'fail: no field named `' + name + '` on the {page} page';\
               set(el, value); }}\
             {only}\
             const button = {button}; const link = {link};\
             let press = null;\
             if (button) {{ press = q(button, root) || q(button); }}\
             else if (link) {{ press = q(link); }}\
             if ((button || link) && !press) return '{missing}: the {page} page offers no {control}: nothing matches `' + (button || link) + '`';\
             if (!press && !form) return '{missing}: the {page} page offers no {control}: no form matches `' + {form} + '` and the interaction profile `' + {name} + '` names no control';\
             setTimeout(() => {{ if (press) press.click(); else form.requestSubmit(); }}, 0);\
             return '{ok}'; }})()",
            form = js_string(form),
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
        assert_eq!(p.classify(LOGIN), PageKind::Login);
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
        assert_eq!(p.classify(foreign), PageKind::Login);
        assert_eq!(p.classify("<p>invalid_request: redirect_uri</p>"), PageKind::Other);
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
        assert_eq!(p.classify(page), PageKind::Consent);
        let req = p.plan("http://as/consent", page, &Action::Approve(Some(vec!["openid".into()]))).unwrap();
        let Body::Form(fields) = req.body else { panic!("form expected") };
        assert!(fields.contains(&("scope".into(), "openid".into())));
        assert!(!fields.contains(&("scope".into(), "profile".into())));
        assert!(fields.contains(&("decision".into(), "approve".into())));
    }

    #[test]
    fn a_page_without_the_expected_form_is_a_clear_error() {
        let err = profile().plan("http://as/x", "<p>hi</p>", &Action::Deny).unwrap_err();
        assert!(err.to_string().contains("no form matches"), "{err}");
    }
}
