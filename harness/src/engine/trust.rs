//! Where the credentials a run holds may go: client secrets, the test user's password,
//! registration tokens and the tokens the server issues are sent only to the issuer's origin
//! and to origins the target profile trusts. Metadata is the server's word, not the
//! operator's: a document that points an endpoint at another host must not collect the
//! profile's secrets. Also the list of every origin the run contacted, for the summary.
//!
//! Layer: engine, above the agent (it is the agent's [`Guard`]) and the profile it reads.

use std::collections::BTreeSet;
use std::sync::Mutex;

use crate::engine::agent::{Body, Guard, Request};
use crate::engine::origin::OriginPattern;
use crate::engine::profile::Profile;

/// Parameter and JSON member names whose values are credentials.
const CREDENTIAL_NAMES: &[&str] = &[
    "client_secret",
    "client_assertion",
    "assertion",
    "subject_token",
    "password",
    "token",
    "access_token",
    "refresh_token",
    "registration_access_token",
];

/// The origins credentials may go to, the profile's secrets to recognize wherever they
/// appear, and the origins contacted so far.
#[derive(Debug, Default)]
pub struct Trust {
    /// `None`: no guard (unit tests of the agent).
    allowed: Option<Vec<OriginPattern>>,
    secrets: Vec<String>,
    contacted: Mutex<BTreeSet<String>>,
}

impl Trust {
    /// Anything may go anywhere; only records the origins contacted.
    pub fn open() -> Trust {
        Trust::default()
    }

    /// The issuer's origin, the profile's `trusted_origins` and the origins the profile itself
    /// names (its login pages' `interaction_origins`, the protected resources, Clerk's API).
    /// With an identity provider (`idp`), its origins and secrets are trusted as well: a
    /// scenario talks to both.
    pub fn for_target(issuer: &str, profile: &Profile, idp: Option<(&str, &Profile)>) -> Trust {
        let mut trust = Trust::for_party(issuer, profile);
        if let Some((idp_issuer, idp_profile)) = idp {
            let other = Trust::for_party(idp_issuer, idp_profile);
            if let (Some(mine), Some(theirs)) = (trust.allowed.as_mut(), other.allowed) {
                mine.extend(theirs);
            }
            trust.secrets.extend(other.secrets);
        }
        trust
    }

    fn for_party(issuer: &str, profile: &Profile) -> Trust {
        let mut named: Vec<String> = vec![issuer.to_string()];
        named.extend(profile.trusted_origins.iter().cloned());
        named.extend(profile.interaction_origins.iter().cloned());
        named.extend(profile.resource.iter().cloned());
        named.extend(profile.other_resource.iter().cloned());
        named.extend(profile.clerk.iter().map(|c| c.api_url.clone()));
        let allowed = named
            .iter()
            .filter_map(|u| {
                let url = url::Url::parse(u.trim_end_matches(":*")).ok()?;
                OriginPattern::parse(u).or_else(|| OriginPattern::parse(&url.origin().ascii_serialization()))
            })
            .collect();
        let mut secrets: Vec<String> = profile
            .clients
            .values()
            .filter_map(|c| Some(c.client_secret.as_ref()?.expose().to_string()))
            .collect();
        secrets.extend(profile.user.iter().map(|u| u.password.expose().to_string()));
        secrets.extend(profile.registration_token.iter().map(|t| t.expose().to_string()));
        secrets.extend(profile.clerk.iter().map(|c| c.secret_key.clone()));
        secrets.retain(|s| s.len() >= 4);
        Trust { allowed: Some(allowed), secrets, contacted: Mutex::new(BTreeSet::new()) }
    }

    /// `Err(what)` when `req` to `url` would carry a credential (`what` names it) to an origin
    /// nobody trusted.
    pub fn check(
        &self,
        url: &url::Url,
        req: &Request,
        extra_headers: &[(String, String)],
    ) -> Result<(), String> {
        let Some(allowed) = &self.allowed else { return Ok(()) };
        if allowed.iter().any(|p| p.matches(url)) {
            return Ok(());
        }
        match self.credential_in(url, req, extra_headers) {
            Some(what) => Err(what),
            None => Ok(()),
        }
    }

    /// What credential a request carries, if any.
    fn credential_in(&self, url: &url::Url, req: &Request, extra: &[(String, String)]) -> Option<String> {
        let headers = extra.iter().chain(&req.headers);
        for (k, _) in headers.clone() {
            if k.eq_ignore_ascii_case("authorization") {
                return Some("an `Authorization` header".into());
            }
        }
        let named = |k: &str, v: &str| CREDENTIAL_NAMES.contains(&k) && !v.is_empty();
        if let Some((k, _)) = url.query_pairs().find(|(k, v)| named(k, v)) {
            return Some(format!("`{k}` in the query"));
        }
        let text = match &req.body {
            Body::None => String::new(),
            Body::Form(pairs) => {
                if let Some((k, _)) = pairs.iter().find(|(k, v)| named(k, v)) {
                    return Some(format!("`{k}` in the form"));
                }
                pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
            }
            Body::Json(v) => {
                if let Some((k, _)) =
                    v.as_object().into_iter().flatten().find(|(k, v)| named(k, v.as_str().unwrap_or("x")))
                {
                    return Some(format!("`{k}` in the JSON body"));
                }
                v.to_string()
            }
            Body::Raw(t, _) => t.clone(),
        };
        let decoded: String =
            url::form_urlencoded::parse(url.as_str().as_bytes()).map(|(k, v)| format!("{k}={v}\n")).collect();
        let haystacks = [text.as_str(), url.as_str(), decoded.as_str()];
        let in_headers = |s: &str| headers.clone().any(|(_, v)| v.contains(s));
        self.secrets
            .iter()
            .any(|s| haystacks.iter().any(|h| h.contains(s.as_str())) || in_headers(s))
            .then(|| "a secret of the target profile".to_string())
    }

    /// Remember that a request went to this URL's origin.
    pub fn record(&self, url: &url::Url) {
        if let Ok(mut set) = self.contacted.lock() {
            set.insert(url.origin().ascii_serialization());
        }
    }

    /// Every origin contacted so far, sorted.
    pub fn contacted(&self) -> Vec<String> {
        self.contacted.lock().map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }
}

impl Guard for Trust {
    fn check(&self, url: &url::Url, req: &Request, extra_headers: &[(String, String)]) -> Result<(), String> {
        Trust::check(self, url, req, extra_headers)
    }

    fn record(&self, url: &url::Url) {
        Trust::record(self, url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(extra: &str) -> Profile {
        let text = format!(
            "{extra}\n[user]\nusername = \"alice\"\npassword = \"pa55word\"\n\
             [clients.confidential]\nclient_id = \"c\"\nclient_secret = \"the-secret\"\n"
        );
        Profile::parse(&text, None).unwrap()
    }

    fn check(trust: &Trust, req: Request) -> Result<(), String> {
        let url = url::Url::parse(&req.url).unwrap();
        trust.check(&url, &req, &[])
    }

    #[test]
    fn with_an_identity_provider_its_origin_and_secrets_are_trusted_too() {
        let idp = Profile::parse(
            "[clients.confidential]\nclient_id = \"c\"\nclient_secret = \"idp-secret\"\n",
            None,
        )
        .unwrap();
        let trust =
            Trust::for_target("https://as.example", &profile(""), Some(("https://idp.example", &idp)));
        let basic = |url: &str| Request::post_form(url, Vec::new()).header("authorization", "Basic eA==");
        assert_eq!(check(&trust, basic("https://idp.example/token")), Ok(()));
        assert_eq!(check(&trust, basic("https://as.example/token")), Ok(()));
        let leak = Request::post_form("https://evil.example/x", vec![("note".into(), "idp-secret".into())]);
        assert_eq!(check(&trust, leak).unwrap_err(), "a secret of the target profile");
    }

    #[test]
    fn credentials_go_to_the_issuer_and_trusted_origins_only() {
        let trust = Trust::for_target(
            "https://as.example/tenant",
            &profile("trusted_origins = [\"https://api.example\", \"http://localhost:*\"]"),
            None,
        );
        let basic = |url: &str| Request::post_form(url, Vec::new()).header("authorization", "Basic eA==");
        assert_eq!(check(&trust, basic("https://as.example/token")), Ok(()));
        assert_eq!(check(&trust, basic("https://api.example:443/token")), Ok(()));
        assert_eq!(check(&trust, basic("http://localhost:8123/token")), Ok(()));
        assert_eq!(
            check(&trust, basic("https://evil.example/token")).unwrap_err(),
            "an `Authorization` header"
        );
        assert!(check(&trust, basic("http://as.example/token")).is_err(), "another scheme is another origin");
        let form = |pairs: &[(&str, &str)]| {
            let pairs = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            Request::post_form("https://evil.example/login", pairs)
        };
        assert_eq!(
            check(&trust, form(&[("user", "alice"), ("pw", "pa55word")])).unwrap_err(),
            "a secret of the target profile"
        );
        assert_eq!(
            check(&trust, form(&[("refresh_token", "r")])).unwrap_err(),
            "`refresh_token` in the form"
        );
        assert_eq!(check(&trust, form(&[("state", "s")])), Ok(()), "no credential, any origin");
        let query = Request::get("https://evil.example/x?client_secret=the-secret");
        assert!(check(&trust, query).is_err());
    }
}
