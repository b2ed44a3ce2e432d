//! Layer: bottom (depends on nothing in the crate). How secrets print under `Debug`: as
//! `[redacted]`, so that a logged or panicking configuration never shows a client secret, a
//! password, an admin key or a registration access token.

use std::fmt;

/// The text a secret prints as.
pub const REDACTED: &str = "[redacted]";

/// A secret value under `Debug`: `"[redacted]"`.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// An optional secret under `Debug`: `Some([redacted])` or `None`, so whether one is set
/// still shows.
pub struct RedactedOption(pub bool);

impl RedactedOption {
    pub fn of<T>(value: &Option<T>) -> RedactedOption {
        RedactedOption(value.is_some())
    }
}

impl fmt::Debug for RedactedOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 { f.debug_tuple("Some").field(&Redacted).finish() } else { f.write_str("None") }
    }
}
