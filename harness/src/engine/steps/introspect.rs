//! `introspect`: an RFC 7662 introspection request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::assertion::AssertionSpec;
use super::client::{self, credentials};
use super::token::{BodyFormat, build_request};
use super::{Ctx, StepError, http_result};

/// Parameters of an introspection (and, with the same shape, revocation) request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenCall {
    pub token: Option<String>,
    pub hint: Option<String>,
    /// The calling client; `confidential` when unset.
    pub client: Option<String>,
    pub auth: Option<super::client::AuthMode>,
    pub secret: Option<String>,
    /// Claims of the client assertion (`private_key_jwt`), to break on purpose.
    pub assertion: Option<AssertionSpec>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    #[serde(default)]
    pub omit: Vec<String>,
    /// `form` (default) or `json`.
    pub body: Option<BodyFormat>,
    pub method: Option<String>,
    pub origin: Option<String>,
    pub url: Option<String>,
}

impl TokenCall {
    pub async fn send(&self, ctx: &mut Ctx<'_>, endpoint: &str) -> Result<Value, StepError> {
        let client = client::resolve(ctx, self.client.as_deref())?;
        let secret = ctx.opt(&self.secret)?;
        let creds = credentials(ctx, &client, self.auth, secret.as_deref(), self.assertion.as_ref())?;
        let mut form = Vec::new();
        form.extend(ctx.opt(&self.token)?.map(|t| ("token".to_string(), t)));
        form.extend(ctx.opt(&self.hint)?.map(|h| ("token_type_hint".to_string(), h)));
        form.extend(creds.form);
        for (k, v) in &self.params {
            form.retain(|(fk, _)| fk != k);
            form.push((k.clone(), ctx.str(v)?));
        }
        form.retain(|(k, _)| !self.omit.contains(k));
        let url = match &self.url {
            Some(u) => ctx.str(u)?,
            None => ctx.endpoint(endpoint)?,
        };
        let req = build_request(
            ctx,
            &url,
            form,
            creds.headers,
            creds.query,
            self.body,
            self.method.as_deref(),
            &self.origin,
        )?;
        let resp = ctx.agent.send(req).await?;
        Ok(http_result(&resp))
    }
}

/// Introspect a token.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct Introspect(pub TokenCall);

impl Introspect {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        self.0.send(ctx, "introspection_endpoint").await
    }
}
