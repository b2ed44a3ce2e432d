//! `token`: a token request (authorization code, refresh token, client credentials or any
//! other grant), with every parameter, the client authentication and the body format
//! overridable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{self, credentials};
use super::{Ctx, OneOrMany, StepError, http_result};
use crate::engine::agent::{Body, Request};

/// Parameters of a token request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// Defaults: `authorization_code` with `code` or `from`, `refresh_token` with
    /// `refresh_token`, else `client_credentials`.
    pub grant_type: Option<String>,
    pub client: Option<String>,
    /// Take `code`, `code_verifier`, `redirect_uri` and the client from an `authorize` result
    /// (`from = "a"`).
    pub from: Option<String>,
    pub code: Option<String>,
    pub code_verifier: Option<String>,
    pub redirect_uri: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub resource: Option<OneOrMany>,
    /// `basic`, `post`, `none`, `both`, `query` or `omit`; the client's own method when unset.
    pub auth: Option<super::client::AuthMode>,
    /// A different secret than the client's (to prove wrong ones are refused).
    pub secret: Option<String>,
    /// Claims of the client assertion (`private_key_jwt`), to break on purpose.
    pub assertion: Option<super::assertion::AssertionSpec>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    #[serde(default)]
    pub append: Vec<(String, String)>,
    #[serde(default)]
    pub omit: Vec<String>,
    /// `form` (default) or `json`.
    pub body: Option<BodyFormat>,
    /// `POST` (default) or another method.
    pub method: Option<String>,
    pub origin: Option<String>,
    /// Another token endpoint URL.
    pub url: Option<String>,
    /// The scenario expects the server to refuse this grant to this client: the client's
    /// allowed grant types (profile `grant_types`) are then no precondition.
    #[serde(default)]
    pub refused: bool,
    /// Send a DPoP proof (RFC 9449 §5), made as this says.
    pub dpop: Option<Box<super::dpop::DpopSpec>>,
}

impl Token {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let req = self.build(ctx)?;
        match &self.dpop {
            Some(spec) => {
                let (resp, info) = spec.send(ctx, req, None).await?;
                let mut out = http_result(&resp);
                out["dpop"] = info;
                Ok(out)
            }
            None => Ok(http_result(&ctx.agent.send(req).await?)),
        }
    }

    pub fn build(&self, ctx: &Ctx<'_>) -> Result<Request, StepError> {
        let from = match &self.from {
            Some(name) => Some(ctx.vars.get(name).cloned().ok_or_else(|| {
                StepError::Prerequisite(format!("`from = \"{name}\"` names no earlier step"))
            })?),
            None => None,
        };
        let from_str =
            |key: &str| from.as_ref().and_then(|f| f.get(key)).and_then(Value::as_str).map(str::to_string);
        let client = match (&self.client, &from) {
            (Some(c), _) => client::resolve(ctx, Some(c))?,
            (None, Some(f)) => {
                f.get("client").and_then(client::from_json).map_or_else(|| client::resolve(ctx, None), Ok)?
            }
            (None, None) => client::resolve(ctx, None)?,
        };
        let code = ctx.opt(&self.code)?.or_else(|| from_str("code"));
        if from.is_some() && code.is_none() && self.code.is_none() {
            return Err(StepError::Prerequisite("the authorization step produced no code".into()));
        }
        let refresh = ctx.opt(&self.refresh_token)?;
        let grant = match ctx.opt(&self.grant_type)? {
            Some(g) => g,
            None if code.is_some() => "authorization_code".into(),
            None if refresh.is_some() => "refresh_token".into(),
            None => "client_credentials".into(),
        };
        if !self.refused {
            client::check_grant(&client, &grant)?;
        }
        let mut form: Vec<(String, String)> = vec![("grant_type".into(), grant.clone())];
        if grant == "authorization_code" {
            form.extend(code.map(|c| ("code".to_string(), c)));
            let redirect = match &self.redirect_uri {
                Some(r) => Some(ctx.str(r)?),
                None => from_str("sent_redirect_uri")
                    .or_else(|| if from.is_none() { client.redirect_uri.clone() } else { None }),
            };
            form.extend(redirect.map(|r| ("redirect_uri".to_string(), r)));
            let verifier = ctx.opt(&self.code_verifier)?.or_else(|| from_str("verifier"));
            form.extend(verifier.map(|v| ("code_verifier".to_string(), v)));
        }
        form.extend(refresh.map(|r| ("refresh_token".to_string(), r)));
        form.extend(ctx.opt(&self.scope)?.map(|s| ("scope".to_string(), s)));
        match &self.resource {
            Some(r) => {
                for item in r.items() {
                    form.push(("resource".into(), ctx.str(item)?));
                }
            }
            None => form.extend(client.resource.clone().map(|r| ("resource".to_string(), r))),
        }
        let secret = ctx.opt(&self.secret)?;
        let creds = credentials(ctx, &client, self.auth, secret.as_deref(), self.assertion.as_ref())?;
        form.extend(creds.form);
        for (k, v) in &self.params {
            let v = ctx.str(v)?;
            match form.iter_mut().find(|(fk, _)| fk == k) {
                Some(slot) => slot.1 = v,
                None => form.push((k.clone(), v)),
            }
        }
        for (k, v) in &self.append {
            form.push((k.clone(), ctx.str(v)?));
        }
        form.retain(|(k, _)| !self.omit.contains(k));
        let url = match &self.url {
            Some(u) => ctx.str(u)?,
            None => ctx.endpoint("token_endpoint")?,
        };
        build_request(
            ctx,
            &url,
            form,
            creds.headers,
            creds.query,
            self.body,
            self.method.as_deref(),
            &self.origin,
        )
    }
}

/// How a request's parameters travel in its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyFormat {
    /// `application/x-www-form-urlencoded`, as RFC 6749 §3.2 asks.
    Form,
    /// A JSON object of the same parameters (servers must refuse it at the token endpoint).
    Json,
}

/// A form (or JSON) request with credentials, used by the token, introspection and
/// revocation steps alike.
#[allow(clippy::too_many_arguments)]
pub fn build_request(
    ctx: &Ctx<'_>,
    url: &str,
    form: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body: Option<BodyFormat>,
    method: Option<&str>,
    origin: &Option<String>,
) -> Result<Request, StepError> {
    let mut u = url::Url::parse(url).map_err(|_| StepError::Prerequisite(format!("`{url}` is not a URL")))?;
    if !query.is_empty() {
        u.query_pairs_mut().extend_pairs(query.iter());
    }
    let method = method.unwrap_or("POST").to_ascii_uppercase();
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| StepError::Prerequisite(format!("bad HTTP method `{method}`")))?;
    let body = if method == reqwest::Method::GET {
        u.query_pairs_mut().extend_pairs(form.iter());
        Body::None
    } else {
        match body.unwrap_or(BodyFormat::Form) {
            BodyFormat::Json => {
                Body::Json(Value::Object(form.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
            }
            BodyFormat::Form => Body::Form(form),
        }
    };
    let mut req = Request { method, url: u.into(), headers, body };
    if let Some(o) = ctx.opt(origin)? {
        req = req.header("origin", o);
    }
    Ok(req)
}
