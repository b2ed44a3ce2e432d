//! `authorize`: an authorization request (PKCE S256 by default, every parameter overridable,
//! broken ones included), then the browser journey through login and consent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::client::{self, ClientInfo};
use super::journey::{Journey, Mode, Plan};
use super::{Ctx, OneOrMany, StepError};
use crate::engine::agent::{Body, Request};
use crate::engine::template;

/// A built authorization request, the journey's initial result fields, and where the
/// callback is expected.
pub type Built = (Request, Map<String, Value>, Option<String>);

/// Parameters of an authorization request and of the simulated user.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Authorize {
    /// Profile role or `{reference}`; `confidential` when unset.
    pub client: Option<String>,
    /// Replaces the client's id in the request.
    pub client_id: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    /// `false` sends no challenge.
    pub pkce: Option<bool>,
    pub code_verifier: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub resource: Option<OneOrMany>,
    pub prompt: Option<String>,
    pub nonce: Option<String>,
    /// Bind the code to this DPoP key of the scenario: sends `dpop_jkt`, its thumbprint
    /// (RFC 9449 §10).
    pub dpop_key: Option<String>,
    /// Extra or replaced parameters.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Parameters appended as they are (to send one twice).
    #[serde(default)]
    pub append: Vec<(String, String)>,
    /// Parameters left out.
    #[serde(default)]
    pub omit: Vec<String>,
    /// `GET` (default) or `POST`.
    pub method: Option<String>,
    /// An `Origin` header to send.
    pub origin: Option<String>,
    /// How far the simulated user goes; `auto` when unset.
    pub interact: Option<Interact>,
    /// `cancel` presses the login page's cancel control.
    pub login: Option<LoginAction>,
    /// `approve` (default) or `deny`.
    pub consent: Option<Decision>,
    /// Approve only these scopes (partial consent).
    pub approve_scopes: Option<Vec<String>>,
    /// The scenario judges the consent page: ask for it with `prompt=consent` where the server
    /// lists that value, and skip when the server issues a code without showing it (consent
    /// remembered). Implied by `consent = "deny"` and `approve_scopes`.
    #[serde(default)]
    pub consent_page: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Another authorization endpoint URL.
    pub url: Option<String>,
}

/// How far the simulated user goes through the authorization server's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interact {
    /// Log in and consent as asked, until the redirect to the client.
    Auto,
    /// Stop at the first page and report which it is.
    Manual,
    /// Send the request only: no page is answered.
    None,
}

/// What the user does on the login page other than signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginAction {
    /// Press the page's cancel control.
    Cancel,
}

/// The user's answer on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Deny,
}

impl Authorize {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        if let Some(key) = &self.dpop_key {
            let key = ctx.str(key)?;
            let mut bound = self.clone();
            bound.dpop_key = None;
            bound.params.insert("dpop_jkt".into(), super::dpop::thumbprint_of(ctx, &key)?);
            return Box::pin(bound.run(ctx)).await;
        }
        let client = client::resolve(ctx, self.client.as_deref())?;
        let (request, fields, redirect_uri) = self.build(ctx, &client)?;
        let plan = self.plan(ctx)?;
        let mut journey = Journey::new(redirect_uri, fields);
        journey.needs_consent = self.needs_consent();
        let outcome = journey.run(ctx, request, &plan).await;
        let result = journey.result();
        ctx.journey = Some(journey);
        outcome.map(|()| result)
    }

    fn needs_consent(&self) -> bool {
        self.consent_page || self.consent == Some(Decision::Deny) || self.approve_scopes.is_some()
    }

    pub fn plan(&self, ctx: &Ctx<'_>) -> Result<Plan, StepError> {
        let mode = match self.interact.unwrap_or(Interact::Auto) {
            Interact::Auto => Mode::Auto,
            Interact::Manual => Mode::Manual,
            Interact::None => Mode::Single,
        };
        Ok(Plan {
            mode,
            cancel_login: self.login == Some(LoginAction::Cancel),
            deny: self.consent == Some(Decision::Deny),
            approve_scopes: self.approve_scopes.clone(),
            username: ctx.opt(&self.username)?,
            password: ctx.opt(&self.password)?,
        })
    }

    /// The request, the journey's initial result fields, and where the callback is expected.
    pub fn build(&self, ctx: &Ctx<'_>, client: &ClientInfo) -> Result<Built, StepError> {
        let endpoint = match &self.url {
            Some(u) => ctx.str(u)?,
            None => ctx.endpoint("authorization_endpoint")?,
        };
        let pkce = self.pkce.unwrap_or(true);
        let verifier = match &self.code_verifier {
            Some(v) => ctx.str(v)?,
            None => template::resolve_str("{random:64}", &ctx.vars)?,
        };
        let challenge = match &self.code_challenge {
            Some(c) => ctx.str(c)?,
            None => template::resolve_str(&format!("{{s256:{verifier}}}"), &ctx.vars)?,
        };
        let state = match &self.state {
            Some(s) => ctx.str(s)?,
            None => template::resolve_str("{random:22}", &ctx.vars)?,
        };
        let redirect_uri = match &self.redirect_uri {
            Some(r) => Some(ctx.str(r)?),
            None => client.redirect_uri.clone(),
        };
        let scope = match &self.scope {
            Some(s) => Some(ctx.str(s)?),
            None => client.scope.clone(),
        };
        let client_id = match &self.client_id {
            Some(c) => ctx.str(c)?,
            None => client.client_id.clone(),
        };
        let mut params: Vec<(String, String)> = vec![
            ("response_type".into(), ctx.opt(&self.response_type)?.unwrap_or_else(|| "code".into())),
            ("client_id".into(), client_id.clone()),
        ];
        if let Some(r) = &redirect_uri {
            params.push(("redirect_uri".into(), r.clone()));
        }
        if let Some(s) = &scope {
            params.push(("scope".into(), s.clone()));
        }
        params.push(("state".into(), state.clone()));
        if pkce {
            params.push(("code_challenge".into(), challenge.clone()));
            let method = ctx.opt(&self.code_challenge_method)?.unwrap_or_else(|| "S256".into());
            params.push(("code_challenge_method".into(), method));
        }
        let mut resources = Vec::new();
        match &self.resource {
            Some(r) => {
                for item in r.items() {
                    resources.push(ctx.str(item)?);
                }
            }
            None => resources.extend(client.resource.clone()),
        }
        params.extend(resources.iter().map(|v| ("resource".to_string(), v.clone())));
        for (k, v) in [("prompt", &self.prompt), ("nonce", &self.nonce)] {
            if let Some(v) = ctx.opt(v)? {
                params.push((k.into(), v));
            }
        }
        // A server that remembers consent shows the page again when asked to (OIDC Core
        // §3.1.2.1), where it says it understands the request.
        let lists_consent = ctx
            .env
            .metadata
            .get("prompt_values_supported")
            .and_then(Value::as_array)
            .is_some_and(|v| v.iter().any(|p| p == "consent"));
        if self.prompt.is_none() && self.needs_consent() && lists_consent {
            params.push(("prompt".into(), "consent".into()));
        }
        for (k, v) in &self.params {
            let v = ctx.str(v)?;
            match params.iter_mut().find(|(pk, _)| pk == k) {
                Some(slot) => slot.1 = v,
                None => params.push((k.clone(), v)),
            }
        }
        for (k, v) in &self.append {
            params.push((k.clone(), ctx.str(v)?));
        }
        params.retain(|(k, _)| !self.omit.contains(k));
        let sent =
            |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| json!(v)).unwrap_or(Value::Null);
        let mut fields = Map::new();
        fields.insert("client_id".into(), json!(client_id));
        fields.insert("client".into(), client.to_json());
        fields.insert("redirect_uri".into(), json!(redirect_uri));
        fields.insert("sent_redirect_uri".into(), sent("redirect_uri"));
        fields.insert("sent_state".into(), sent("state"));
        fields.insert("sent_scope".into(), sent("scope"));
        fields.insert("verifier".into(), if pkce { json!(verifier) } else { Value::Null });
        fields.insert("challenge".into(), sent("code_challenge"));
        fields.insert("resource".into(), json!(resources));
        let method = self.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
        let mut request = if method == "POST" {
            Request::post_form(endpoint.clone(), params.clone())
        } else {
            let mut u = url::Url::parse(&endpoint).map_err(|_| {
                StepError::Prerequisite(format!("authorization endpoint `{endpoint}` is not a URL"))
            })?;
            u.query_pairs_mut().extend_pairs(params.iter());
            Request { method: reqwest::Method::GET, url: u.into(), headers: Vec::new(), body: Body::None }
        };
        if let Some(o) = ctx.opt(&self.origin)? {
            request = request.header("origin", o);
        }
        fields.insert("request_url".into(), json!(request.url));
        Ok((request, fields, redirect_uri))
    }
}
