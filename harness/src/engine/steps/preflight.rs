//! `preflight`: a CORS preflight (`OPTIONS` with `Origin` and the requested method and
//! headers), as a browser sends it: no credentials.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, StepError, http_result};
use crate::engine::agent::{Body, Request};

/// A preflight request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Preflight {
    /// The URL, e.g. `{metadata.token_endpoint}`.
    pub url: String,
    /// The page's origin; the profile's `origin` when unset.
    pub origin: Option<String>,
    /// `Access-Control-Request-Method` (default `POST`).
    pub method: Option<String>,
    /// `Access-Control-Request-Headers`, e.g. `authorization, content-type`.
    pub headers: Option<String>,
}

impl Preflight {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let origin = match &self.origin {
            Some(o) => ctx.str(o)?,
            None => ctx.str("{origin}")?,
        };
        let mut req = Request {
            method: reqwest::Method::OPTIONS,
            url: ctx.str(&self.url)?,
            headers: Vec::new(),
            body: Body::None,
        }
        .header("origin", origin)
        .header("access-control-request-method", ctx.opt(&self.method)?.unwrap_or_else(|| "POST".into()));
        if let Some(h) = ctx.opt(&self.headers)? {
            req = req.header("access-control-request-headers", h);
        }
        let resp = ctx.agent.send(req).await?;
        Ok(http_result(&resp))
    }
}
