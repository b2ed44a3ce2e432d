//! Layer: bottom (depends on nothing in the crate).
//! The server's clock: wall time plus an offset that tests move forward.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, shifted by whatever `advance` added.
/// Wall time in seconds, without any offset: for timestamps a client made with its own clock
/// (a client assertion's `exp`), which `advance` must not expire.
pub fn wall_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Wall-clock milliseconds since the Unix epoch.
pub fn wall_now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Current time in whole seconds since the epoch.
    pub fn now(&self) -> i64 {
        self.now_ms() / 1000
    }

    /// Current time in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        wall + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Move the clock forward: codes, tokens and sessions expire as if time had passed.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_by_that_much() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(120));
        let after = clock.now();
        assert!((120..=121).contains(&(after - before)), "{before} -> {after}");
    }
}
