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
    pub action: Option<LoginStep>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// After logging in, carry on automatically (`auto`) or stop at the next page (`manual`, default).
    pub then: Option<Then>,
}

/// What the user does on the login page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginStep {
    /// Fill in the credentials and submit.
    Submit,
    /// Press the page's cancel control.
    Cancel,
}

/// Where a journey goes after a page the scenario operated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Then {
    /// On through further pages to the client's redirect.
    Auto,
    /// Stop at the next page.
    Manual,
}

impl Login {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let mut journey = ctx
            .journey
            .take()
            .ok_or_else(|| StepError::Prerequisite("`login` needs an earlier `authorize` step".into()))?;
        let plan = Plan {
            mode: if self.then == Some(Then::Auto) { Mode::Auto } else { Mode::Manual },
            cancel_login: self.action == Some(LoginStep::Cancel),
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
