//! `discover`: fetch a discovery document (RFC 8414, OpenID Connect Discovery, or RFC 9728
//! protected-resource metadata) at one of the well-known URLs derived from an issuer or a
//! resource, trying further locations in order the way clients do.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Ctx, StepError, http_result};
use crate::engine::agent::Request;

/// Which well-known URL to fetch.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Discover {
    /// `oauth` (RFC 8414 §3.1 path insertion, default), `openid` (OIDC Discovery §4: append),
    /// `openid-insert` (path insertion of openid-configuration), `root` (the origin's
    /// well-known, ignoring the issuer path), `resource` (RFC 9728 §3.1 path insertion of
    /// `oauth-protected-resource`), `resource-root`, or `auto` (the first of `oauth`, `openid`
    /// and `openid-insert` that answers 200 with a JSON object, as the harness itself discovers).
    pub form: Option<WellKnown>,
    /// Forms tried in order when the first location gives no JSON object with status 200
    /// (e.g. `["resource-root"]`, or `["openid-insert", "openid"]` for MCP's AS discovery).
    #[serde(default)]
    pub fallback: Vec<WellKnown>,
    /// A URL tried first (e.g. `{r.challenge.resource_metadata}`); an empty value is skipped.
    /// Alone, it is the only location.
    pub url: Option<String>,
    /// The issuer (or, for the resource forms, the resource) the URL is derived from.
    pub issuer: Option<String>,
    /// A reference to a list of issuers (`{prm.json.authorization_servers}`): discover each,
    /// and list in `mismatched` those without a document whose `issuer` is exactly that string
    /// (RFC 8414 §3.3).
    pub each: Option<String>,
    pub origin: Option<String>,
}

/// Where a discovery document is looked for, relative to an issuer (or resource) URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WellKnown {
    /// RFC 8414 §3.1: `/.well-known/oauth-authorization-server` inserted before the path.
    Oauth,
    /// OpenID Connect Discovery §4: `/.well-known/openid-configuration` appended to the issuer.
    Openid,
    /// `/.well-known/openid-configuration` inserted before the path.
    OpenidInsert,
    /// The origin's own `oauth-authorization-server` document, ignoring the issuer path.
    Root,
    /// RFC 9728 §3.1: `/.well-known/oauth-protected-resource` inserted before the path.
    Resource,
    /// The origin's own `oauth-protected-resource` document.
    ResourceRoot,
    /// `oauth`, `openid` and `openid-insert` in turn, as the harness itself discovers.
    Auto,
}

impl WellKnown {
    /// The locations `auto` tries, in order: RFC 8414's, then OpenID Connect's appended and
    /// inserted forms.
    pub const AUTO: [WellKnown; 3] = [WellKnown::Oauth, WellKnown::Openid, WellKnown::OpenidInsert];

    pub fn as_str(self) -> &'static str {
        match self {
            WellKnown::Oauth => "oauth",
            WellKnown::Openid => "openid",
            WellKnown::OpenidInsert => "openid-insert",
            WellKnown::Root => "root",
            WellKnown::Resource => "resource",
            WellKnown::ResourceRoot => "resource-root",
            WellKnown::Auto => "auto",
        }
    }
}

/// The well-known URL of `form` for `issuer` (or resource); `auto` names no single URL.
pub fn well_known(issuer: &str, form: WellKnown) -> Result<String, String> {
    let u = url::Url::parse(issuer).map_err(|_| format!("`{issuer}` is not a URL"))?;
    let origin = u.origin().ascii_serialization();
    let path = u.path().trim_end_matches('/');
    let query = u.query().map(|q| format!("?{q}")).unwrap_or_default();
    Ok(match form {
        WellKnown::Oauth => format!("{origin}/.well-known/oauth-authorization-server{path}"),
        WellKnown::Openid => format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')),
        WellKnown::OpenidInsert => format!("{origin}/.well-known/openid-configuration{path}"),
        WellKnown::Root => format!("{origin}/.well-known/oauth-authorization-server"),
        // RFC 9728 §3.1 keeps the resource's query after the inserted path.
        WellKnown::Resource => format!("{origin}/.well-known/oauth-protected-resource{path}{query}"),
        WellKnown::ResourceRoot => format!("{origin}/.well-known/oauth-protected-resource"),
        WellKnown::Auto => return Err("`auto` stands for several locations, not one".into()),
    })
}

impl Discover {
    /// The locations to try, in order, each with what found it (`url` or a form name).
    fn candidates(&self, ctx: &Ctx<'_>, issuer: Option<&str>) -> Result<Vec<(String, String)>, StepError> {
        let mut out = Vec::new();
        // With `each`, every location derives from the issuer at hand.
        let url = if issuer.is_none() { self.url.as_ref().map(|u| ctx.str(u)).transpose()? } else { None };
        if let Some(u) = url.filter(|u| !u.is_empty()) {
            out.push(("url".to_string(), u));
        }
        let base = match (issuer, &self.issuer) {
            (Some(i), _) => i.to_string(),
            (None, Some(i)) => ctx.str(i)?,
            (None, None) => ctx.env.issuer.clone(),
        };
        let mut forms: Vec<WellKnown> = Vec::new();
        match self.form {
            Some(f) => forms.push(f),
            None if self.url.is_none() || issuer.is_some() => forms.push(WellKnown::Oauth),
            None => {}
        }
        forms.extend(self.fallback.iter().copied());
        for form in forms
            .into_iter()
            .flat_map(|f| if f == WellKnown::Auto { WellKnown::AUTO.to_vec() } else { vec![f] })
        {
            let url = well_known(&base, form).map_err(StepError::Prerequisite)?;
            if !out.iter().any(|(_, u)| *u == url) {
                out.push((form.as_str().to_string(), url));
            }
        }
        if out.is_empty() {
            return Err(StepError::Prerequisite(format!(
                "`url` is empty and no `form` or `fallback` says where else to look ({:?})",
                self.url
            )));
        }
        Ok(out)
    }

    /// Fetch the candidates in order; the first JSON object with status 200 wins. Without a
    /// winner, the last response is the result. Either way `via` and `tried` say what happened.
    async fn first(&self, ctx: &mut Ctx<'_>, candidates: Vec<(String, String)>) -> Result<Value, StepError> {
        let mut tried = Vec::new();
        let mut last = Value::Null;
        for (via, url) in candidates {
            let mut req = Request::get(url.clone());
            if let Some(o) = ctx.opt(&self.origin)? {
                req = req.header("origin", o);
            }
            let resp = ctx.agent.send(req).await?;
            tried.push(json!({ "via": via, "url": url, "status": resp.status }));
            last = http_result(&resp);
            if resp.status == 200 && matches!(resp.json(), Some(Value::Object(_))) {
                last["via"] = json!(via);
                last["tried"] = json!(tried);
                return Ok(last);
            }
        }
        last["via"] = Value::Null;
        last["tried"] = json!(tried);
        Ok(last)
    }

    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let Some(each) = &self.each else {
            let candidates = self.candidates(ctx, None)?;
            return self.first(ctx, candidates).await;
        };
        let list = ctx.value(each)?;
        let Some(issuers) = list.as_array() else {
            return Err(StepError::Prerequisite(format!("`{each}` is not a list of issuers: {list}")));
        };
        let mut results = Vec::new();
        let mut mismatched = Vec::new();
        for issuer in issuers {
            let Some(issuer) = issuer.as_str() else {
                mismatched.push(issuer.clone());
                continue;
            };
            let candidates = self.candidates(ctx, Some(issuer))?;
            let found = self.first(ctx, candidates).await?;
            let published = found.get("json").and_then(|j| j.get("issuer")).cloned().unwrap_or(Value::Null);
            if found.get("via").is_none_or(Value::is_null) || published.as_str() != Some(issuer) {
                mismatched.push(json!(issuer));
            }
            results.push(json!({
                "issuer": issuer, "status": found["status"], "via": found["via"], "tried": found["tried"],
                "published_issuer": published,
            }));
        }
        Ok(json!({ "each": results, "mismatched": mismatched, "count": issuers.len() }))
    }
}

#[cfg(test)]
mod tests {
    use super::{WellKnown, well_known};

    #[test]
    fn path_issuers_get_the_well_known_segment_inserted_before_the_path() {
        assert_eq!(
            well_known("https://h/tenant/", WellKnown::Oauth).unwrap(),
            "https://h/.well-known/oauth-authorization-server/tenant"
        );
        assert_eq!(
            well_known("https://h", WellKnown::Oauth).unwrap(),
            "https://h/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            well_known("https://h/t", WellKnown::Openid).unwrap(),
            "https://h/t/.well-known/openid-configuration"
        );
        assert_eq!(
            well_known("https://h/t", WellKnown::OpenidInsert).unwrap(),
            "https://h/.well-known/openid-configuration/t"
        );
    }

    #[test]
    fn resource_metadata_is_found_by_inserting_into_the_resource_url() {
        assert_eq!(
            well_known("https://h:8443/mcp", WellKnown::Resource).unwrap(),
            "https://h:8443/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            well_known("https://h/", WellKnown::Resource).unwrap(),
            "https://h/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            well_known("https://h/a/mcp?t=1", WellKnown::Resource).unwrap(),
            "https://h/.well-known/oauth-protected-resource/a/mcp?t=1"
        );
        assert_eq!(
            well_known("https://h/a/mcp", WellKnown::ResourceRoot).unwrap(),
            "https://h/.well-known/oauth-protected-resource"
        );
        assert!(well_known("https://h/", WellKnown::Auto).is_err());
    }
}
