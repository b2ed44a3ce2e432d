//! `request`: a raw HTTP request, for anything the OAuth-aware steps do not cover.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, StepError, http_result};
use crate::engine::agent::{Body, Channel, Request};

/// A raw request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    pub url: String,
    /// Query parameters added to the URL (encoded, after any query it already has).
    #[serde(default)]
    pub query: Vec<(String, String)>,
    /// `GET` when unset.
    pub method: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A form body (`application/x-www-form-urlencoded`).
    pub form: Option<Vec<(String, String)>>,
    /// A JSON body.
    pub json: Option<Value>,
    /// A raw body, with `content_type`.
    pub body: Option<String>,
    pub content_type: Option<String>,
    pub origin: Option<String>,
    /// Send it from the user's browser (with its cookies) rather than from the client's back end.
    #[serde(default)]
    pub browser: bool,
}

impl RawRequest {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let method = self.method.clone().unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| StepError::Prerequisite(format!("bad HTTP method `{method}`")))?;
        let body = if let Some(form) = &self.form {
            Body::Form(
                form.iter().map(|(k, v)| Ok((k.clone(), ctx.str(v)?))).collect::<Result<_, StepError>>()?,
            )
        } else if let Some(json) = &self.json {
            Body::Json(crate::engine::template::resolve_value(json, &ctx.vars)?)
        } else if let Some(b) = &self.body {
            Body::Raw(ctx.str(b)?, ctx.opt(&self.content_type)?)
        } else {
            Body::None
        };
        let mut url = ctx.str(&self.url)?;
        if !self.query.is_empty() {
            let mut u = url::Url::parse(&url)
                .map_err(|_| StepError::Prerequisite(format!("`{url}` is not a URL to add a query to")))?;
            for (k, v) in &self.query {
                u.query_pairs_mut().append_pair(k, &ctx.str(v)?);
            }
            url = u.into();
        }
        let mut req = Request { method, url, headers: Vec::new(), body };
        for (k, v) in &self.headers {
            req = req.header(k, ctx.str(v)?);
        }
        if let Some(o) = ctx.opt(&self.origin)? {
            req = req.header("origin", o);
        }
        let channel = if self.browser { Channel::Browser } else { Channel::Client };
        let resp = ctx.agent.send_as(channel, req).await?;
        Ok(http_result(&resp))
    }
}
