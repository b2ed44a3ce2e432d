//! `wait`: let time pass. Against the embedded fake server the server's clock moves instead
//! of the harness sleeping, so expiry checks take no time.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Ctx, StepError};

/// Let `seconds` pass.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Wait {
    pub seconds: u64,
}

/// Longest real sleep a scenario may ask for.
const MAX_SLEEP: u64 = 120;

impl Wait {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let d = Duration::from_secs(self.seconds);
        match &ctx.env.clock {
            Some(advance) => {
                advance(d);
                Ok(json!({ "seconds": self.seconds, "clock": "advanced" }))
            }
            None if self.seconds <= MAX_SLEEP => {
                tokio::time::sleep(d).await;
                Ok(json!({ "seconds": self.seconds, "clock": "slept" }))
            }
            None => Err(StepError::Prerequisite(format!(
                "waiting {} s needs a target whose clock can be moved (at most {MAX_SLEEP} s of real sleep)",
                self.seconds
            ))),
        }
    }
}
