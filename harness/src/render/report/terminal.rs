//! The terminal report: the problems first with their expectations, then the rest by area,
//! and what to do next; colour optional.

use std::fmt::Write;

use super::{
    cause, contacted_line, next_step, problems, skip_groups, stale_note, summary_line, target_line, verdict,
};
use crate::model::outcome::{Outcome, RunReport, ScenarioResult};

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn plain() -> Style {
        Style { color: false }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }
}

fn colour_of(word: &str) -> &'static str {
    match word {
        "PASS" => "32",
        "FAIL" | "STALE" => "1;31",
        "WARN" | "KNOWN" => "33",
        "ERROR" => "35",
        _ => "2",
    }
}

/// One result: the verdict, the ID padded to `width`, the level and title, then the details
/// a non-passing result needs.
fn entry(out: &mut String, r: &ScenarioResult, report: &RunReport, style: Style, width: usize) {
    let word = verdict(r, report);
    let _ = writeln!(
        out,
        "  {} {:<width$} {:<6} {}",
        style.paint(colour_of(word), &format!("{word:<5}")),
        r.id,
        r.level.as_str(),
        r.title
    );
    match r.outcome {
        Outcome::Fail => {
            let _ = match r.source.as_str() {
                "" => writeln!(out, "        {} · {}", r.area, r.spec),
                source => writeln!(out, "        {} · {} · {source}", r.area, r.spec),
            };
            for f in &r.failures {
                let head = f.message.clone().unwrap_or_else(|| format!("{} of step `{}`", f.check, f.step));
                let _ = writeln!(out, "        {head}");
                let _ = writeln!(out, "          expected: {}", f.expected);
                let _ = writeln!(out, "          actual:   {}", style.paint("31", &f.actual));
            }
            if let Some(b) = &r.baseline {
                let _ = writeln!(out, "        baseline: {}", b.reason);
            }
        }
        Outcome::Error | Outcome::Skip => {
            let _ = writeln!(out, "        {}", style.paint("2", &cause(r)));
        }
        Outcome::Pass => {}
    }
    for a in &r.attachments {
        let _ = writeln!(out, "        saved with --report-dir: {} ({})", a.file, a.caption);
    }
    if let Some(note) = stale_note(r) {
        let _ = writeln!(out, "        {}", style.paint("1;31", &note));
    }
}

pub fn render(report: &RunReport, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", report.tool, target_line(report));
    if let Some(e) = &report.target.discovery_error {
        let rest =
            if report.results.is_empty() { " (no scenario was run: each needs the metadata)" } else { "" };
        let _ = writeln!(out, "{}", style.paint("35", &format!("discovery failed: {e}{rest}")));
    }
    let card = super::score_rows(report);
    if !card.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint("1", "Score card"));
        let w = card.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
        for [rev, must, should, why] in &card {
            let why = if why == "—" { String::new() } else { format!("  not judged: {why}") };
            let line = format!("  {rev:<w$}  MUST {must:<11} SHOULD {should:<11}{why}");
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let _ = writeln!(out, "  {}", style.paint("2", super::SCORE_LEGEND));
    }
    // Long IDs (`AUTHZ-03.empty-redirect-uri`) set the column for every row.
    let width = report.results.iter().map(|r| r.id.chars().count()).max().unwrap_or(0).max(8);
    let problems = problems(report);
    if !problems.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint("1", "Problems"));
        for r in &problems {
            entry(&mut out, r, report, style, width);
        }
    }
    for (area, items) in super::rest_by_area(report, &problems) {
        let _ = writeln!(out, "\n{}", style.paint("1", area));
        for r in items {
            entry(&mut out, r, report, style, width);
        }
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    for (n, what) in skip_groups(report) {
        let _ = writeln!(out, "  {n} skipped: {what}");
    }
    for note in super::closing_notes(report) {
        let _ = writeln!(out, "{note}");
    }
    let contacted = contacted_line(report);
    if !contacted.is_empty() {
        let _ = writeln!(out, "{contacted}");
    }
    let code = report.exit_code();
    let verdict = match code {
        _ if report.incomplete.is_some() => style.paint("1;35", "INTERRUPTED"),
        0 => style.paint("1;32", "PASSED"),
        1 => style.paint("1;31", "FAILED"),
        _ => style.paint("1;35", "INCONCLUSIVE (errors)"),
    };
    let s = &report.summary;
    let judged = match s.skip {
        0 => String::new(),
        _ => format!(" ({} of {} judged)", s.total - s.skip, s.total),
    };
    let _ = writeln!(
        out,
        "{verdict}{judged} in {:.1} s (fail on {})",
        report.duration_ms as f64 / 1000.0,
        report.fail_on
    );
    if let Some(next) = next_step(report) {
        let _ = writeln!(out, "{}", style.paint("1", &next));
    }
    out
}

/// The progress line while nothing finishes: how long the harness has been waiting.
pub fn waiting_line(done: usize, total: usize, idle_secs: u64) -> String {
    format!("\r\x1b[2K[{done:>3}/{total}] waiting for the server: no scenario finished in {idle_secs} s")
}

/// A one-line progress indicator for long runs (written over itself on a terminal).
pub fn progress_line(done: usize, total: usize, r: &ScenarioResult) -> String {
    format!("\r\x1b[2K[{done:>3}/{total}] {:<6} {}", r.outcome.as_str(), r.id)
}
