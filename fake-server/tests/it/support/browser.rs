//! A small browser for the server's pages: one cookie jar, redirects followed by hand, the
//! login and consent forms read with plain string search and submitted.

use fake_server::FakeServer;
use reqwest::StatusCode;
use reqwest::header;
use url::Url;

use super::{Authz, http};

/// What the user does on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

/// A form on one of the server's pages: where it posts and its pre-filled fields.
#[derive(Debug, Clone)]
pub struct PageForm {
    pub action: String,
    pub fields: Vec<(String, String)>,
    /// Values of the scope checkboxes.
    pub scopes: Vec<String>,
}

impl PageForm {
    /// Read the form with id `form_id` out of our own HTML (plain string search suffices: the
    /// server renders it, one `<input>` per field, attributes double-quoted).
    pub fn parse(html: &str, form_id: &str) -> PageForm {
        let start = html
            .find(&format!("id=\"{form_id}\""))
            .unwrap_or_else(|| panic!("no form `{form_id}` in the page:\n{html}"));
        let form_open = html[..start].rfind("<form").expect("form tag");
        let end = html[start..].find("</form>").map_or(html.len(), |e| start + e);
        let form = &html[form_open..end];
        let open_tag = &form[..form.find('>').expect("end of form tag")];
        let action = attr(open_tag, "action").expect("form action");
        let mut fields = Vec::new();
        let mut scopes = Vec::new();
        for chunk in form.split("<input").skip(1) {
            let tag = &chunk[..chunk.find('>').unwrap_or(chunk.len())];
            let (Some(name), value) = (attr(tag, "name"), attr(tag, "value").unwrap_or_default()) else {
                continue;
            };
            match attr(tag, "type").as_deref() {
                Some("hidden") => fields.push((name, value)),
                Some("checkbox") if name == "scope" => scopes.push(value),
                _ => {}
            }
        }
        PageForm { action, fields, scopes }
    }

    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no field `{name}` in {self:?}"))
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A browser: one cookie jar, manual redirects.
#[derive(Debug, Clone)]
pub struct Browser {
    pub http: reqwest::Client,
    origin: String,
}

impl Browser {
    pub fn new(server: &FakeServer) -> Browser {
        let origin = format!("http://{}", server.addr());
        Browser { http: http(), origin }
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(self.absolute(url)).send().await.expect("GET")
    }

    pub async fn post_form(&self, url: &str, form: &[(String, String)]) -> reqwest::Response {
        self.http.post(self.absolute(url)).form(form).send().await.expect("POST")
    }

    /// Our server's own relative paths become absolute; other URLs are left alone.
    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') { format!("{}{url}", self.origin) } else { url.to_string() }
    }

    /// Is this a location on the server (as opposed to the client's redirect URI)?
    pub fn is_ours(&self, location: &str) -> bool {
        location.starts_with('/') || location.starts_with(&self.origin)
    }

    /// Run an authorization request as `username` and decide on the consent page if one is
    /// shown. Returns the URL the browser is finally sent to (the client's redirect URI,
    /// never fetched).
    pub async fn authorize(
        &self,
        server: &FakeServer,
        authz: &Authz,
        username: &str,
        decision: Decision,
    ) -> Url {
        let resp = self.get(&authz.url(server)).await;
        self.walk(resp, username, decision).await
    }

    /// Fill in and post the page `html` shows, as the user would.
    async fn act(&self, html: &str, username: &str, decision: Decision, scripted: bool) -> Posted {
        let (action, fields) = if html.contains("id=\"identify-form\"") {
            // `identifier-first`: the username first, then the password page.
            let form = PageForm::parse(html, "identify-form");
            let mut fields = form.fields.clone();
            fields.extend(pairs(&[("username", username), ("action", "next")]));
            (form.action, fields)
        } else if html.contains("id=\"login-form\"") {
            let form = PageForm::parse(html, "login-form");
            let password = format!("{username}-password");
            let mut fields = form.fields.clone();
            fields.extend(pairs(&[("username", username), ("password", &password), ("action", "login")]));
            (form.action, fields)
        } else if html.contains("id=\"consent-form\"") {
            let form = PageForm::parse(html, "consent-form");
            let mut fields = form.fields.clone();
            match decision {
                Decision::Approve => {
                    fields.extend(form.scopes.iter().map(|s| ("scope".to_string(), s.clone())));
                    fields.push(("decision".into(), "approve".into()));
                }
                Decision::Deny => fields.push(("decision".into(), "deny".into())),
            }
            (form.action, fields)
        } else {
            panic!("neither a login nor a consent page:\n{html}");
        };
        if scripted {
            return match self.scripted(self.http.post(self.absolute(&action)).form(&fields)).await {
                Err(next) => Posted::Moved(next),
                Ok(markup) => Posted::Drawn(markup),
            };
        }
        Posted::Answered(self.post_form(&action, &fields).await)
    }

    /// Ask as the `js-pages` script does (`Accept: application/json`): the page's markup, or
    /// where to go next (a redirect answered as `{"location": …}`).
    async fn scripted(&self, req: reqwest::RequestBuilder) -> Result<String, String> {
        let resp = req.header("accept", "application/json").send().await.expect("fetch");
        let answer: serde_json::Value = resp.json().await.expect("a JSON answer");
        match answer["location"].as_str() {
            Some(next) => Err(next.to_string()),
            None => Ok(answer["html"].as_str().expect("the page's markup").to_string()),
        }
    }

    /// Follow the server's redirects and pages from `resp` until it sends the browser away.
    /// Pages that a script draws (the `js-pages` variant) are asked for and posted the way
    /// their script does it.
    pub async fn walk(&self, resp: reqwest::Response, username: &str, decision: Decision) -> Url {
        let mut scripted = false;
        let mut moved: Option<String> = None;
        let mut current = Some(resp);
        // A page the script drew from a post's answer (the password page after the username).
        let mut drawn: Option<String> = None;
        for _ in 0..10 {
            // The page to act on: one a script drew in place, or the next response's.
            let html = match drawn.take() {
                Some(markup) => markup,
                None => {
                    let resp = match moved.take() {
                        Some(location) if !self.is_ours(&location) => {
                            return Url::parse(&location).expect("absolute redirect");
                        }
                        Some(location) => self.get(&location).await,
                        None => current.take().expect("a response to follow"),
                    };
                    let status = resp.status();
                    if status.is_redirection() {
                        moved = Some(location(&resp));
                        continue;
                    }
                    let url = resp.url().to_string();
                    let html = resp.text().await.expect("page");
                    assert_eq!(status, StatusCode::OK, "unexpected page:\n{html}");
                    if !html.contains("/assets/sign-in.js") {
                        html
                    } else {
                        scripted = true;
                        match self.scripted(self.http.get(&url)).await {
                            Ok(markup) => markup,
                            Err(next) => {
                                moved = Some(next);
                                continue;
                            }
                        }
                    }
                }
            };
            match self.act(&html, username, decision, scripted).await {
                Posted::Moved(next) => moved = Some(next),
                Posted::Drawn(markup) => drawn = Some(markup),
                Posted::Answered(resp) => current = Some(resp),
            }
        }
        panic!("the flow did not end after 10 steps");
    }
}

/// The `Location` header of a redirect.
pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("no Location on a {} response", resp.status()))
        .to_str()
        .expect("ASCII Location")
        .to_string()
}

/// Query parameters of a URL, in order (repeats kept).
pub fn query(url: &Url) -> Vec<(String, String)> {
    url.query_pairs().into_owned().collect()
}

/// The single value of `name` in a URL's query; panics when absent or repeated.
pub fn param(url: &Url, name: &str) -> String {
    let values: Vec<String> =
        url.query_pairs().filter(|(k, _)| k == name).map(|(_, v)| v.into_owned()).collect();
    assert_eq!(values.len(), 1, "`{name}` should appear exactly once in {url}");
    values.into_iter().next().unwrap_or_default()
}

/// The URL without its query: where the browser was sent.
pub fn without_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

/// Owned `(name, value)` pairs.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// What posting a page came to.
enum Posted {
    /// Where the browser goes next (a redirect, or `{"location": …}` to a script).
    Moved(String),
    /// A page the script draws in place (the `js-pages` variant).
    Drawn(String),
    /// The server's answer to a form post.
    Answered(reqwest::Response),
}
