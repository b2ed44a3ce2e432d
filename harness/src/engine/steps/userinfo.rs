//! `userinfo`: call the OIDC userinfo endpoint with a bearer token.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, StepError, http_result};
use crate::engine::agent::Request;

/// A userinfo request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Userinfo {
    /// The access token; no Authorization header when unset.
    pub token: Option<String>,
    /// `GET` (default) or `POST`.
    pub method: Option<String>,
    pub origin: Option<String>,
}

impl Userinfo {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let url = ctx.endpoint("userinfo_endpoint")?;
        let mut req = Request::get(url);
        if self.method.as_deref().is_some_and(|m| m.eq_ignore_ascii_case("POST")) {
            req.method = reqwest::Method::POST;
        }
        if let Some(t) = ctx.opt(&self.token)? {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(o) = ctx.opt(&self.origin)? {
            req = req.header("origin", o);
        }
        let resp = ctx.agent.send(req).await?;
        Ok(http_result(&resp))
    }
}
