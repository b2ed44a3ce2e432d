//! `register`: dynamic client registration (RFC 7591) with a JSON body.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Ctx, StepError, http_result};
use crate::engine::agent::{Body, Request};

/// A registration request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// Client metadata; a public client with a loopback redirect URI when unset.
    pub metadata: Option<Value>,
    /// An initial access token (RFC 7591 §3); the profile's `registration_token` when unset,
    /// none when empty.
    pub token: Option<String>,
    pub origin: Option<String>,
    /// Another registration endpoint URL.
    pub url: Option<String>,
}

impl Register {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let url = match &self.url {
            Some(u) => ctx.str(u)?,
            None => ctx.endpoint("registration_endpoint")?,
        };
        let metadata = match &self.metadata {
            Some(m) => crate::engine::template::resolve_value(m, &ctx.vars)?,
            None => json!({
                "client_name": "oauth-conformance",
                "redirect_uris": ["http://127.0.0.1/callback"],
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
            }),
        };
        let mut req = Request {
            method: reqwest::Method::POST,
            url,
            headers: Vec::new(),
            body: Body::Json(metadata.clone()),
        };
        let token = match ctx.opt(&self.token)? {
            Some(t) => Some(t),
            None => ctx.env.profile.registration_token.as_ref().map(|t| t.expose().to_string()),
        };
        if let Some(t) = token.filter(|t| !t.is_empty()) {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(o) = ctx.opt(&self.origin)? {
            req = req.header("origin", o);
        }
        let resp = ctx.agent.send(req).await?;
        let mut out = http_result(&resp);
        out["sent"] = metadata;
        Ok(out)
    }
}
