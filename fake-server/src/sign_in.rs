//! Layer: surface (beside `lib`). Playing the user of an authorization request on this server's own
//! login and consent pages, as a browser would, up to the redirect back to the client: what a
//! test of a client needs in place of a person (`FakeServer::sign_in`).

use std::time::Duration;

/// What the user does.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SignIn {
    /// The fixtures' first user when unset.
    pub username: Option<String>,
    /// That user's fixture password when unset.
    pub password: Option<String>,
    /// Refuse on the consent page instead of approving.
    pub deny: bool,
    /// Deliver the callback with a forged `state` or `iss`, as an attacker would, and remember
    /// its code for [`crate::FakeServer::client_report`].
    pub forge: Option<crate::client_report::Forged>,
}

impl SignIn {
    /// Approve as the fixtures' first user.
    pub fn approve() -> SignIn {
        SignIn::default()
    }

    /// Refuse consent as the fixtures' first user.
    pub fn deny() -> SignIn {
        SignIn { deny: true, ..SignIn::default() }
    }

    /// Hand back the callback with a `state` the client never sent (CLI-02).
    pub fn forge_state(mut self) -> SignIn {
        self.forge = Some(crate::client_report::Forged::State);
        self
    }

    /// Hand back the callback with another issuer's `iss` (CLI-03).
    pub fn forge_iss(mut self) -> SignIn {
        self.forge = Some(crate::client_report::Forged::Iss);
        self
    }

    /// Sign in as this user.
    pub fn as_user(mut self, username: &str, password: &str) -> SignIn {
        self.username = Some(username.to_string());
        self.password = Some(password.to_string());
        self
    }
}

/// Most page steps before giving up (login, identifier, consent and the redirects between).
const MAX_HOPS: usize = 12;

/// Open `url` and act on each page until the server redirects away from itself; the URL it
/// redirects to (the client's redirect URI with `code` or `error`) is returned, not loaded.
pub(crate) async fn sign_in(
    issuer: &str,
    user: (&str, &str),
    url: &str,
    deny: bool,
) -> Result<String, String> {
    let tls = crate::cimd::fetch::tls_config()?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .tls_backend_preconfigured(tls)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let ours = |u: &str| u.starts_with(issuer);
    let mut trail: Vec<String> = Vec::new();
    let mut current = url.to_string();
    let mut resp = http.get(&current).send().await.map_err(|e| format!("GET {current}: {e}"))?;
    for _ in 0..MAX_HOPS {
        trail.push(format!("{} {current}", resp.status().as_u16()));
        if resp.status().is_redirection() {
            let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("");
            let next = url::Url::parse(&current)
                .and_then(|base| base.join(location))
                .map_err(|_| format!("a redirect to `{location}` is not a URL"))?;
            let next = next.to_string();
            if !ours(&next) {
                return Ok(next);
            }
            current = next;
            resp = http.get(&current).send().await.map_err(|e| format!("GET {current}: {e}"))?;
            continue;
        }
        let html = resp.text().await.map_err(|e| format!("reading {current}: {e}"))?;
        let (form, mut fields) = ["login-form", "identify-form", "consent-form"]
            .iter()
            .find_map(|id| form(&html, id).map(|(action, fields)| ((*id, action), fields)))
            .ok_or_else(|| {
                format!("a page with neither a login nor a consent form: {}", trail.join(" → "))
            })?;
        let (id, action) = form;
        match id {
            "consent-form" => fields.push(("decision".into(), if deny { "deny" } else { "approve" }.into())),
            "identify-form" => {
                fields.push(("username".into(), user.0.into()));
                fields.push(("action".into(), "next".into()));
            }
            _ => {
                fields.retain(|(k, _)| k != "username");
                fields.push(("username".into(), user.0.into()));
                fields.push(("password".into(), user.1.into()));
                fields.push(("action".into(), "login".into()));
            }
        }
        current = url::Url::parse(&current)
            .and_then(|base| base.join(&action))
            .map_err(|_| format!("the form action `{action}` is not a URL"))?
            .to_string();
        resp = http.post(&current).form(&fields).send().await.map_err(|e| format!("POST {current}: {e}"))?;
    }
    Err(format!("no redirect back to the client after {MAX_HOPS} pages: {}", trail.join(" → ")))
}

/// The action and the fields a browser would send of the form with this `id`: hidden inputs
/// and checked checkboxes. Only this server's own markup is read.
fn form(html: &str, id: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open = html[..start].rfind("<form")?;
    let end = html[open..].find("</form>").map_or(html.len(), |e| open + e);
    let body = &html[open..end];
    let tag_end = body.find('>')?;
    let action = attribute(&body[..tag_end], "action").unwrap_or_default();
    let mut fields = Vec::new();
    for input in body.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        let kind = attribute(tag, "type").unwrap_or_default();
        let checked = tag.contains(" checked");
        if (kind == "hidden" || (kind == "checkbox" && checked))
            && let Some(name) = attribute(tag, "name")
        {
            fields.push((name, attribute(tag, "value").unwrap_or_default()));
        }
    }
    Some((action, fields))
}

/// An attribute's value in a tag, unescaped.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let len = tag[at..].find('"')?;
    Some(unescape(&tag[at..at + len]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_give_their_action_hidden_fields_and_checked_boxes() {
        let html = r#"<p>x</p><form method="post" action="/consent?a=1&amp;b=2" id="consent-form"><input type="hidden" name="request" value="r&quot;1"><input type="checkbox" name="scope" value="openid" checked><input type="checkbox" name="scope" value="email"></form>"#;
        let (action, fields) = form(html, "consent-form").unwrap();
        assert_eq!(action, "/consent?a=1&b=2");
        assert_eq!(fields, vec![("request".into(), "r\"1".into()), ("scope".into(), "openid".into())]);
        assert!(form(html, "login-form").is_none());
    }
}
