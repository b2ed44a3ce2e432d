//! `discover`: fetch a discovery document (RFC 8414 or OpenID Connect Discovery) at one of
//! the well-known URLs derived from the issuer.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, StepError, http_result};
use crate::agent::Request;

/// Which well-known URL to fetch.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Discover {
    /// `oauth` (RFC 8414 §3.1 path insertion, default), `openid` (OIDC Discovery §4: append),
    /// `openid-insert` (path insertion of openid-configuration), `root` (the origin's
    /// well-known, ignoring the issuer path), or `auto` (the first of `oauth`, `openid` and
    /// `openid-insert` that answers 200 with a JSON object, as the harness itself discovers).
    pub form: Option<String>,
    /// Another URL altogether.
    pub url: Option<String>,
    /// Another issuer to derive the URL from.
    pub issuer: Option<String>,
    pub origin: Option<String>,
}

/// The well-known URL of `form` for `issuer`.
pub fn well_known(issuer: &str, form: &str) -> Result<String, String> {
    let u = url::Url::parse(issuer).map_err(|_| format!("issuer `{issuer}` is not a URL"))?;
    let origin = u.origin().ascii_serialization();
    let path = u.path().trim_end_matches('/');
    Ok(match form {
        "oauth" => format!("{origin}/.well-known/oauth-authorization-server{path}"),
        "openid" => format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')),
        "openid-insert" => format!("{origin}/.well-known/openid-configuration{path}"),
        "root" => format!("{origin}/.well-known/oauth-authorization-server"),
        other => {
            return Err(format!(
                "unknown discovery form `{other}` (use oauth, openid, openid-insert or root)"
            ));
        }
    })
}

/// The forms `auto` tries, in order.
const AUTO_FORMS: &[&str] = &["oauth", "openid", "openid-insert"];

impl Discover {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let urls = match &self.url {
            Some(u) => vec![ctx.str(u)?],
            None => {
                let issuer = match &self.issuer {
                    Some(i) => ctx.str(i)?,
                    None => ctx.env.issuer.clone(),
                };
                let forms = match self.form.as_deref().unwrap_or("oauth") {
                    "auto" => AUTO_FORMS.to_vec(),
                    one => vec![one],
                };
                let mut urls: Vec<String> = Vec::new();
                for form in forms {
                    let url = well_known(&issuer, form).map_err(StepError::Prerequisite)?;
                    if !urls.contains(&url) {
                        urls.push(url);
                    }
                }
                urls
            }
        };
        let origin = ctx.opt(&self.origin)?;
        let mut last = Value::Null;
        for url in urls {
            let mut req = Request::get(url);
            if let Some(o) = &origin {
                req = req.header("origin", o.clone());
            }
            let resp = ctx.agent.send(req).await?;
            let found = resp.status == 200 && matches!(resp.json(), Some(Value::Object(_)));
            last = http_result(&resp);
            if found {
                break;
            }
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::well_known;

    #[test]
    fn path_issuers_get_the_well_known_segment_inserted_before_the_path() {
        assert_eq!(
            well_known("https://h/tenant/", "oauth").unwrap(),
            "https://h/.well-known/oauth-authorization-server/tenant"
        );
        assert_eq!(
            well_known("https://h", "oauth").unwrap(),
            "https://h/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            well_known("https://h/t", "openid").unwrap(),
            "https://h/t/.well-known/openid-configuration"
        );
        assert_eq!(
            well_known("https://h/t", "openid-insert").unwrap(),
            "https://h/.well-known/openid-configuration/t"
        );
        assert!(well_known("https://h/t", "auto").is_err(), "auto is a list of forms, not one URL");
    }
}
