//! `sign`: a JWT of the scenario's making, signed with one of the run's own keys: an ID-JAG
//! that claims a trusted issuer but carries the harness's signature, or names an issuer the
//! server has never heard of. Nothing is sent; later steps present `{name.jwt}`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::assertion::{self, AssertionKey};
use super::{Ctx, StepError};

/// The claims and header of the JWT to make.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sign {
    /// A reference to a claims object to start from (`"{v.claims}"` of a `verify_jwt` step).
    pub copy: Option<String>,
    /// Claims added or replaced; string values may be references.
    #[serde(default)]
    pub claims: Map<String, Value>,
    /// The header's `typ`; default `JWT`.
    pub typ: Option<String>,
    /// `stranger` (default: a key no server knows) or `registered` (`{assertion_jwks}`).
    pub key: Option<AssertionKey>,
}

impl Sign {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let mut claims = match &self.copy {
            None => Map::new(),
            Some(r) => match ctx.value(r)? {
                Value::Object(m) => m,
                other => {
                    return Err(StepError::Prerequisite(format!("`{r}` is {other}, not a claims object")));
                }
            },
        };
        // A fresh `jti`, so the made JWT is never refused as a replay of the one it copies.
        claims.insert("jti".into(), json!(crate::engine::template::random_text(24)));
        for (name, value) in &self.claims {
            claims.insert(name.clone(), resolve(ctx, value)?);
        }
        let typ = ctx.opt(&self.typ)?.unwrap_or_else(|| "JWT".into());
        let claims = Value::Object(claims);
        let jwt = assertion::sign(self.key.unwrap_or(AssertionKey::Stranger), &typ, &claims)?;
        Ok(json!({ "jwt": jwt, "typ": typ, "claims": claims }))
    }
}

/// Strings resolved as references (one reference keeps its JSON type), lists and objects
/// item by item.
fn resolve(ctx: &Ctx<'_>, value: &Value) -> Result<Value, StepError> {
    Ok(match value {
        Value::String(s) => ctx.value(s)?,
        Value::Array(items) => Value::Array(items.iter().map(|i| resolve(ctx, i)).collect::<Result<_, _>>()?),
        Value::Object(m) => Value::Object(
            m.iter().map(|(k, v)| Ok((k.clone(), resolve(ctx, v)?))).collect::<Result<_, StepError>>()?,
        ),
        other => other.clone(),
    })
}
