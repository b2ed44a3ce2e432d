//! `login`: submit (or cancel) the login page the last authorization journey stopped on.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::journey::{Mode, Plan};
use super::{Ctx, StepError};
use crate::engine::interact::PageKind;

/// Operate the login page.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// `submit` (default) or `cancel`.
    pub action: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// After logging in, carry on automatically (`auto`) or stop at the next page (`manual`, default).
    pub then: Option<String>,
}

impl Login {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let mut journey = ctx
            .journey
            .take()
            .ok_or_else(|| StepError::Prerequisite("`login` needs an earlier `authorize` step".into()))?;
        let plan = Plan {
            mode: if self.then.as_deref() == Some("auto") { Mode::Auto } else { Mode::Manual },
            cancel_login: self.action.as_deref() == Some("cancel"),
            deny: false,
            approve_scopes: None,
            username: ctx.opt(&self.username)?,
            password: ctx.opt(&self.password)?,
        };
        let outcome = journey.continue_with(ctx, PageKind::Login, &plan).await;
        let result = journey.result();
        ctx.journey = Some(journey);
        outcome.map(|()| result)
    }
}
