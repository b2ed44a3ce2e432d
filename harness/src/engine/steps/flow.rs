//! `flow`: a whole authorization-code grant (authorize, log in, consent, redeem the code) as
//! one step, for scenarios whose subject comes after it. Anything short of tokens is an
//! error of the scenario (it cannot be judged), not a failure.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::authorize::Authorize;
use super::token::Token;
use super::{Ctx, OneOrMany, StepError};

/// Parameters of a complete grant.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub client: Option<String>,
    pub scope: Option<String>,
    pub resource: Option<OneOrMany>,
    /// Resource(s) for the token request; those of the authorization request when unset.
    pub token_resource: Option<OneOrMany>,
    pub prompt: Option<String>,
    pub nonce: Option<String>,
    pub redirect_uri: Option<String>,
    pub approve_scopes: Option<Vec<String>>,
    /// Client authentication at the token endpoint.
    pub auth: Option<super::client::AuthMode>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Redeem the code with a DPoP proof (RFC 9449 §5).
    pub dpop: Option<Box<super::dpop::DpopSpec>>,
}

impl Flow {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let authorize = Authorize {
            client: self.client.clone(),
            scope: self.scope.clone(),
            resource: self.resource.clone(),
            prompt: self.prompt.clone(),
            nonce: self.nonce.clone(),
            redirect_uri: self.redirect_uri.clone(),
            approve_scopes: self.approve_scopes.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            ..Authorize::default()
        };
        let a = authorize.run(ctx).await?;
        if a.get("code").and_then(Value::as_str).is_none() {
            let why = a
                .get("error")
                .and_then(Value::as_str)
                .map(|e| format!("the server answered error `{e}`"))
                .unwrap_or_else(|| {
                    format!("the journey ended at {}", a.get("url").and_then(Value::as_str).unwrap_or("?"))
                });
            return Err(StepError::Prerequisite(format!("no authorization code: {why}")));
        }
        ctx.vars.insert("__flow_authorize".into(), a.clone());
        let token = Token {
            from: Some("__flow_authorize".into()),
            client: self.client.clone(),
            resource: self.token_resource.clone().or_else(|| self.resource.clone()),
            auth: self.auth,
            dpop: self.dpop.clone(),
            ..Token::default()
        };
        let t = token.run(ctx).await;
        ctx.vars.remove("__flow_authorize");
        let t = t?;
        if t.get("status").and_then(Value::as_u64) != Some(200) || t.get("access_token").is_none() {
            let err = t.get("error").and_then(Value::as_str).unwrap_or("no access_token");
            return Err(StepError::Prerequisite(format!(
                "the code could not be redeemed: status {}, {err}",
                t.get("status").unwrap_or(&Value::Null)
            )));
        }
        let mut out = t.as_object().cloned().unwrap_or_default();
        for key in ["code", "verifier", "client_id", "client", "redirect_uri", "state", "iss", "pages"] {
            out.insert(key.into(), a.get(key).cloned().unwrap_or(Value::Null));
        }
        out.insert("authorize".into(), json!({ "callback": a.get("callback"), "params": a.get("params") }));
        Ok(Value::Object(out))
    }
}
