//! Retryable answers: 503 Service Unavailable and 429 Too Many Requests say "not now", not
//! "no" (RFC 9110 §15.6.4, RFC 6585 §4), so a check that meets one cannot be judged. The
//! agent honours `Retry-After` once when the delay fits in the request timeout and in what is
//! left of the run's budget, and says what it did.
//!
//! Layer: engine; imports nothing else from the crate; never the render or commands layers.

use std::time::{Duration, Instant, SystemTime};

/// Is this status an answer to try again later?
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// The delay a `Retry-After` value asks for (RFC 9110 §10.2.3: delay-seconds or an HTTP-date).
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether to wait `delay` and try again: it must fit in the per-request timeout and end
/// before the run's deadline.
pub fn fits(delay: Duration, timeout: Duration, deadline: Option<Instant>) -> bool {
    delay <= timeout && deadline.is_none_or(|d| Instant::now() + delay < d)
}

/// The words for a retryable answer.
pub fn describe(status: u16) -> &'static str {
    match status {
        429 => "429 Too Many Requests",
        _ => "503 Service Unavailable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_and_nothing_else() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(retry_after(" 2 ", now), Some(Duration::from_secs(2)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(retry_after(&later, now), Some(Duration::from_secs(30)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }

    #[test]
    fn a_delay_is_honoured_only_within_the_timeout_and_the_budget() {
        let second = Duration::from_secs(1);
        assert!(fits(second, 2 * second, None));
        assert!(!fits(3 * second, 2 * second, None));
        assert!(!fits(second, 2 * second, Some(Instant::now())));
        assert!(fits(second, 2 * second, Some(Instant::now() + 60 * second)));
    }
}
