//! JUnit XML: one testsuite per area, one testcase per scenario (named by its ID), with
//! `<failure>`, `<error>` and `<skipped>`.

use std::fmt::Write;

use super::{cause, stale_note, verdict};
use crate::model::outcome::{Outcome, RunReport};

/// Escape text for XML content and attributes.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &RunReport) -> String {
    let s = &report.summary;
    let secs = |ms: u64| ms as f64 / 1000.0;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"oauth-conformance\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        s.total,
        report.results.iter().filter(|r| r.fails_run(report.fail_on)).count(),
        s.error,
        s.skip,
        secs(report.duration_ms)
    );
    for area in report.areas() {
        let items: Vec<_> = report.results.iter().filter(|r| r.area == area).collect();
        let count = |o: Outcome| items.iter().filter(|r| r.outcome == o).count();
        let failing = items.iter().filter(|r| r.fails_run(report.fail_on)).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failing}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            xml(area),
            items.len(),
            count(Outcome::Error),
            count(Outcome::Skip),
            secs(items.iter().map(|r| r.duration_ms).sum())
        );
        for r in items {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                xml(&r.id),
                xml(area),
                secs(r.duration_ms)
            );
            let detail = || {
                let mut d = format!("{} [{}] {}\n{}\n", r.id, r.level, r.title, r.spec);
                for f in &r.failures {
                    let _ = writeln!(
                        d,
                        "step `{}`: {}\n  expected: {}\n  actual:   {}",
                        f.step, f.check, f.expected, f.actual
                    );
                }
                d
            };
            match r.outcome {
                Outcome::Fail if r.fails_run(report.fail_on) => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        xml(&cause(r)),
                        r.level,
                        xml(&detail())
                    );
                }
                Outcome::Fail => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>{}: {}</system-out>\n    </testcase>",
                        verdict(r, report),
                        xml(&detail())
                    );
                }
                _ if r.outcome != Outcome::Fail && stale_note(r).is_some() => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"stale baseline entry: {}\" type=\"baseline\"/>\n    </testcase>",
                        xml(&stale_note(r).unwrap_or_default())
                    );
                }
                Outcome::Error => {
                    let _ =
                        writeln!(out, ">\n      <error message=\"{}\"/>\n    </testcase>", xml(&cause(r)));
                }
                Outcome::Skip => {
                    let _ =
                        writeln!(out, ">\n      <skipped message=\"{}\"/>\n    </testcase>", xml(&cause(r)));
                }
                Outcome::Pass => out.push_str("/>\n"),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
