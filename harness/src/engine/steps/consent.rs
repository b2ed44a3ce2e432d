//! `consent`: approve or deny on the consent page the last journey stopped on, optionally
//! tampering with the form (dropping or replacing its anti-CSRF field) to prove it is checked.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::authorize::Decision;
use super::journey::{Mode, Plan};
use super::{Ctx, StepError};
use crate::engine::agent::{Body, Request};
use crate::engine::interact::{Action, PageKind};

/// Operate the consent page.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// `approve` (default) or `deny`.
    pub decision: Option<Decision>,
    /// Approve only these scopes.
    pub approve_scopes: Option<Vec<String>>,
    /// Name of the form's anti-CSRF field, for `tamper`.
    pub csrf_field: Option<String>,
    /// How to tamper with the form, to prove the server checks what it should.
    pub tamper: Option<Tamper>,
}

/// A deliberate change to the consent form before it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tamper {
    /// Leave the anti-CSRF field out.
    DropCsrf,
    /// Replace the anti-CSRF field's value.
    WrongCsrf,
    /// Send the form as a GET with its fields in the query.
    Get,
    /// Send it from a browser without the session's cookies.
    NoCookies,
}

impl Consent {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let mut journey = ctx
            .journey
            .take()
            .ok_or_else(|| StepError::Prerequisite("`consent` needs an earlier `authorize` step".into()))?;
        let plan = Plan {
            mode: Mode::Manual,
            cancel_login: false,
            deny: self.decision == Some(Decision::Deny),
            approve_scopes: self.approve_scopes.clone(),
            username: None,
            password: None,
        };
        let outcome = match self.tamper {
            None => journey.continue_with(ctx, PageKind::Consent, &plan).await,
            Some(t) => self.tampered(ctx, &mut journey, t).await,
        };
        let result = journey.result();
        ctx.journey = Some(journey);
        outcome.map(|()| result)
    }

    async fn tampered(
        &self,
        ctx: &mut Ctx<'_>,
        journey: &mut super::Journey,
        how: Tamper,
    ) -> Result<(), StepError> {
        let Some((url, html)) = journey.page().cloned() else {
            return Err(StepError::Prerequisite("the journey is not on the consent page".into()));
        };
        let mut req = ctx.env.interaction.plan(&url, &html, &Action::Approve(None))?;
        let field = match &self.csrf_field {
            Some(f) => Some(f.clone()),
            None if matches!(how, Tamper::DropCsrf | Tamper::WrongCsrf) => {
                ctx.env.interaction.consent_csrf_field(&url, &html)?
            }
            None => None,
        };
        let Body::Form(fields) = &mut req.body else {
            return Err(StepError::Prerequisite("the consent form is not a POST form".into()));
        };
        let csrf = |field: Option<String>, fields: &[(String, String)]| {
            field.filter(|f| fields.iter().any(|(k, _)| k == f)).ok_or_else(|| {
                StepError::Unmet(format!(
                    "the consent form at {url} has no anti-CSRF field to tamper with (name it as `csrf` under [consent] in the interaction profile `{}`)",
                    ctx.env.interaction.name
                ))
            })
        };
        match how {
            Tamper::DropCsrf => {
                let field = csrf(field, fields)?;
                fields.retain(|(k, _)| *k != field);
            }
            Tamper::WrongCsrf => {
                let field = csrf(field, fields)?;
                for (k, v) in fields.iter_mut() {
                    if *k == field {
                        *v = "forged-token-value".into();
                    }
                }
            }
            Tamper::Get => {
                let mut u = url::Url::parse(&req.url)
                    .map_err(|_| StepError::Prerequisite("bad form action".into()))?;
                u.query_pairs_mut().extend_pairs(fields.iter());
                req = Request::get(String::from(u));
            }
            Tamper::NoCookies => {
                ctx.agent.forget_cookies().map_err(StepError::Prerequisite)?;
            }
        }
        let plan = Plan { mode: Mode::Single, ..Plan::auto() };
        journey.run(ctx, req, &plan).await
    }
}
