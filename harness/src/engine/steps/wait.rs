//! `wait`: let time pass. Against the embedded fake server the server's clock moves instead
//! of the harness sleeping, so expiry checks take no time.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Ctx, StepError};

/// A number of seconds, or a reference to one (`"{t.expires_in}"`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Seconds {
    Fixed(u64),
    Reference(String),
}

impl Default for Seconds {
    fn default() -> Self {
        Seconds::Fixed(0)
    }
}

/// Let `seconds` (plus `plus`) pass: `seconds = "{t.expires_in}", plus = 5` waits until a
/// token has certainly expired, whatever lifetime the server gave it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Wait {
    pub seconds: Seconds,
    #[serde(default)]
    pub plus: u64,
}

/// Longest real sleep a scenario may ask for.
const MAX_SLEEP: u64 = 120;

impl Wait {
    /// The total, with a reference resolved against the scenario's variables.
    pub fn total(&self, vars: &Map<String, Value>) -> Result<u64, StepError> {
        let base = match &self.seconds {
            Seconds::Fixed(n) => *n,
            Seconds::Reference(r) => {
                let v = crate::engine::template::resolve(r, vars)?;
                let n = match &v {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                match n {
                    Some(n) if n >= 0.0 => n.ceil() as u64,
                    _ => {
                        return Err(StepError::Prerequisite(format!(
                            "`{r}` is {v}, not a number of seconds"
                        )));
                    }
                }
            }
        };
        Ok(base.saturating_add(self.plus))
    }

    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let seconds = self.total(&ctx.vars)?;
        let d = Duration::from_secs(seconds);
        match &ctx.env.clock {
            Some(advance) => {
                advance(d);
                Ok(json!({ "seconds": seconds, "clock": "advanced" }))
            }
            None if ctx.env.limits.deadline.is_some_and(|end| std::time::Instant::now() + d >= end) => {
                Err(StepError::Prerequisite(format!(
                    "waiting {seconds} s would outlast the run's time budget (--budget)"
                )))
            }
            None if seconds <= MAX_SLEEP => {
                tokio::time::sleep(d).await;
                Ok(json!({ "seconds": seconds, "clock": "slept" }))
            }
            // A precondition the target does not meet, not a fault of the target.
            None => Err(StepError::Unmet(format!(
                "the target's clock cannot be moved, and waiting {seconds} s is more than the {MAX_SLEEP} s of real time a scenario may sleep"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_may_take_its_length_from_a_reference_and_add_a_margin() {
        let vars =
            json!({"t": {"expires_in": 3600, "text": "1.5", "bad": "soon"}}).as_object().unwrap().clone();
        let w = |seconds: Seconds, plus: u64| Wait { seconds, plus }.total(&vars);
        assert_eq!(w(Seconds::Fixed(10), 0).unwrap(), 10);
        assert_eq!(w(Seconds::Reference("{t.expires_in}".into()), 5).unwrap(), 3605);
        assert_eq!(w(Seconds::Reference("{t.text}".into()), 0).unwrap(), 2);
        assert!(w(Seconds::Reference("{t.bad}".into()), 0).is_err());
        assert!(w(Seconds::Reference("{t.missing}".into()), 0).is_err());
    }
}
