//! How strongly a scenario's requirement binds (layer: model). The one piece of a scenario's
//! identity that results carry; the scenario model ([`crate::engine::suite`]) re-exports it.
//! Imports nothing from the crate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How strongly the specifications require a behaviour (RFC 2119 keywords).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Level {
    /// MUST, MUST NOT, REQUIRED, SHALL.
    #[serde(rename = "MUST")]
    Must,
    /// SHOULD, SHOULD NOT, RECOMMENDED.
    #[serde(rename = "SHOULD")]
    Should,
    /// MAY, OPTIONAL.
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }

    /// Parse a level as written in SPEC.md (`MUST NOT`, `SHOULD (derived)`, ...).
    pub fn parse(s: &str) -> Option<Level> {
        let word = s.split([' ', '(']).next().unwrap_or("").to_ascii_uppercase();
        match word.as_str() {
            "MUST" | "REQUIRED" | "SHALL" => Some(Level::Must),
            "SHOULD" | "RECOMMENDED" => Some(Level::Should),
            "MAY" | "OPTIONAL" => Some(Level::May),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Level::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown level `{s}` (use MUST, SHOULD or MAY)")))
    }
}
