//! `revoke`: an RFC 7009 revocation request.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::introspect::TokenCall;
use super::{Ctx, StepError};

/// Revoke a token (same parameters as `introspect`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct Revoke(pub TokenCall);

impl Revoke {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        self.0.send(ctx, "revocation_endpoint").await
    }
}
