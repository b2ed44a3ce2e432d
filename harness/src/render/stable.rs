//! Stable reports (`run --stable`): a run with everything left out that differs between two runs
//! against an unchanged server (times, durations, exchanges, source lines, the port, random
//! values in failure texts), so a committed report changes only when behaviour does.
//!
//! Layer: render; imports `model::outcome`, `render::snapshot`; never the engine or commands
//! layers.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::outcome::RunReport;
use crate::render::snapshot::Normalizer;

/// Loopback ports, which the bundled server and local test servers pick per run.
static PORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(127\.0\.0\.1|localhost|\[::1\]):\d+").expect("static regex"));
/// Runs of token characters long enough to be generated values (codes, states, uids, tokens).
static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z0-9_-]{20,}").expect("static regex"));
/// Hexadecimal ids (key ids, UUID parts).
static HEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b[0-9a-f]{12,}\b").expect("static regex"));
/// Seconds since the epoch (2001–2286).
static EPOCH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b1[0-9]{9}\b").expect("static regex"));

/// Replace what a server generates anew on every run by placeholders; words people write
/// (ids of clients, scopes, headers) stay. A generated value of twenty or more token characters
/// has both upper and lower case letters, short of a one-in-a-hundred-thousand draw.
pub fn volatile_text(norm: &Normalizer, s: &str) -> String {
    let s = norm.text(s);
    let s = TOKEN.replace_all(&s, |c: &regex::Captures<'_>| {
        let t = &c[0];
        if t.bytes().any(|b| b.is_ascii_uppercase()) && t.bytes().any(|b| b.is_ascii_lowercase()) {
            "«random»".to_string()
        } else {
            t.to_string()
        }
    });
    let s = HEX.replace_all(&s, |c: &regex::Captures<'_>| {
        let t = &c[0];
        if t.bytes().any(|b| b.is_ascii_digit()) && t.bytes().any(|b| b.is_ascii_alphabetic()) {
            "«hex»".to_string()
        } else {
            t.to_string()
        }
    });
    EPOCH.replace_all(&s, "«timestamp»").into_owned()
}

/// Make a report stable in place.
pub fn stabilize(report: &mut RunReport) {
    let norm = Normalizer::new(&report.target.issuer);
    report.stable = true;
    report.started_at = 0;
    report.duration_ms = 0;
    report.target.issuer = PORT.replace_all(&report.target.issuer, "$1:[port]").into_owned();
    report.target.discovery_error = report.target.discovery_error.as_deref().map(|e| volatile_text(&norm, e));
    let mut contacted: Vec<String> =
        report.contacted.iter().map(|o| PORT.replace_all(o, "$1:[port]").into_owned()).collect();
    contacted.sort();
    contacted.dedup();
    report.contacted = contacted;
    if let Some(c) = &mut report.cleanup {
        for what in &mut c.left {
            *what = volatile_text(&norm, what);
        }
    }
    for r in &mut report.results {
        r.duration_ms = 0;
        r.steps.clear();
        r.raw_steps.clear();
        r.attachments.clear();
        r.source.clear();
        r.explain = None;
        r.reason = r.reason.as_deref().map(|x| volatile_text(&norm, x));
        for f in &mut r.failures {
            f.line = 0;
            f.expected = volatile_text(&norm, &f.expected);
            f.actual = volatile_text(&norm, &f.actual);
            f.message = f.message.as_deref().map(|m| volatile_text(&norm, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_become_placeholders_and_written_words_stay() {
        let n = Normalizer::new("http://127.0.0.1:3100");
        assert_eq!(
            volatile_text(
                &n,
                "\"http://127.0.0.1:3100/interaction/GnyIU1hb_ACuJavhx2jeztWa6Jq7CWXSKbhBgzriBlj?state=tV010m2D0LRBrWRuln3ETZ\""
            ),
            "\"{issuer}/interaction/«random»?state=«random»\""
        );
        assert_eq!(
            volatile_text(&n, "kid rs256-3fa9c1d2e4b5 at 1795682659 on http://localhost:5173/cb"),
            "kid rs256-«hex» at «timestamp» on http://localhost:[port]/cb"
        );
        let words = "\"conformance-unknown-scope\" in access-control-allow-origin, Conformance public client";
        assert_eq!(volatile_text(&n, words), words);
    }
}
