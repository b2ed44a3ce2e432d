//! Markdown for pull-request comments and CI step summaries: the verdict, the problems first
//! (each with the requirement in words, the expectation and the exchange that proves it), then
//! every area as a table.

use std::fmt::Write;

use super::{cause, contacted_line, stale_note, summary_line, target_line, verdict, verdict_rank};
use crate::model::exchange::Exchange;
use crate::model::outcome::{Outcome, RunReport, ScenarioResult};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn fence(text: &str) -> String {
    let longest = text.split('\n').map(|l| l.chars().take_while(|c| *c == '`').count()).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// An exchange as a short HTTP transcript.
pub fn transcript(ex: &Exchange) -> String {
    let mut t = format!("{} {}\n", ex.method, ex.url);
    for (k, v) in &ex.request_headers {
        let _ = writeln!(t, "{k}: {v}");
    }
    if let Some(b) = &ex.request_body {
        let _ = writeln!(t, "\n{b}");
    }
    match (ex.status, &ex.error) {
        (Some(s), _) => {
            let _ = writeln!(t, "\n→ {s}");
            for (k, v) in &ex.response_headers {
                let _ = writeln!(t, "{k}: {v}");
            }
            if let Some(b) = &ex.response_body {
                let mut b = b.clone();
                if b.len() > 2000 {
                    let cut = (0..=2000).rev().find(|i| b.is_char_boundary(*i)).unwrap_or(0);
                    b.truncate(cut);
                    b.push_str("\n… (truncated)");
                }
                let _ = writeln!(t, "\n{b}");
            }
        }
        (None, Some(e)) => {
            let _ = writeln!(t, "\n→ no response: {e}");
        }
        (None, None) => {}
    }
    if let Some(note) = &ex.note {
        let _ = writeln!(t, "\n({note})");
    }
    t
}

fn problem(out: &mut String, r: &ScenarioResult, report: &RunReport) {
    let _ = writeln!(out, "### {} `{}` — {}\n", verdict(r, report), r.id, cell(&r.title));
    let _ = match r.source.as_str() {
        "" => writeln!(out, "**{}** · {}\n", r.level, r.spec),
        source => writeln!(out, "**{}** · {} · `{source}`\n", r.level, r.spec),
    };
    if r.outcome == Outcome::Fail {
        for f in &r.failures {
            let what = f.message.clone().unwrap_or_else(|| format!("{} of step `{}`", f.check, f.step));
            let _ = writeln!(out, "- {what}: expected {}, got **{}**", f.expected, f.actual);
        }
    } else {
        let _ = writeln!(out, "- {}", cause(r));
    }
    for a in &r.attachments {
        let _ = writeln!(out, "- Saved: [{}]({})", cell(&a.caption), a.file);
    }
    if r.baseline.is_some() {
        let _ = writeln!(out, "- Recorded in the baseline: see _Known outcomes_ above.");
    }
    if let Some(note) = stale_note(r) {
        let _ = writeln!(out, "- **Stale baseline entry:** {note}");
    }
    if let Some(e) = &r.explain {
        let _ = writeln!(out, "\n> {}", e.replace('\n', "\n> "));
    }
    let failing_step =
        r.failures.first().map(|f| f.step.as_str()).or_else(|| r.steps.last().map(|s| s.name.as_str()));
    if let Some(step) = r.steps.iter().find(|s| Some(s.name.as_str()) == failing_step)
        && let Some(ex) = step.exchanges.last()
    {
        let t = transcript(ex);
        let f = fence(&t);
        let _ = writeln!(
            out,
            "\n<details><summary>Exchange of step `{}`</summary>\n\n{f}http\n{t}{f}\n\n</details>",
            step.name
        );
    }
    out.push('\n');
}

/// The baseline's entries that applied, with their reasons: what is known about the target and
/// why, before the details.
fn known_outcomes(out: &mut String, report: &RunReport) {
    let known: Vec<&ScenarioResult> = report.results.iter().filter(|r| r.baseline.is_some()).collect();
    if known.is_empty() {
        return;
    }
    out.push_str(
        "## Known outcomes (baseline)\n\n| | ID | Level | Recorded | Why |\n|---|---|---|---|---|\n",
    );
    for r in known {
        let Some(b) = &r.baseline else { continue };
        let mut why = cell(&b.reason);
        if let Some(note) = stale_note(r) {
            why.push_str(&format!(" — **stale: {}**", cell(&note)));
        }
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} |",
            verdict(r, report),
            r.id,
            r.level,
            b.outcome.as_str(),
            why
        );
    }
    out.push('\n');
}

pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let icon = match report.exit_code() {
        _ if report.incomplete.is_some() => "⚠️ interrupted",
        0 => "✅ passed",
        1 => "❌ failed",
        _ => "⚠️ inconclusive",
    };
    let _ = writeln!(out, "# OAuth conformance: {icon}\n");
    let _ = writeln!(out, "Target: `{}`\n", target_line(report));
    let _ = writeln!(out, "{}.\n", summary_line(report));
    let card = super::score_rows(report);
    if !card.is_empty() {
        let _ = writeln!(out, "| MCP revision | MUST | SHOULD | not judged |\n|---|---|---|---|");
        for [rev, must, should, why] in &card {
            let _ = writeln!(out, "| {} | {must} | {should} | {} |", cell(rev), cell(why));
        }
        let _ = writeln!(out, "\n_{}._\n", super::SCORE_LEGEND);
    }
    if let Some(e) = &report.target.discovery_error {
        let _ = writeln!(out, "**Discovery failed:** {e}\n");
    }
    if let Some(note) = super::incomplete_note(report) {
        let _ = writeln!(out, "{}\n", note.replacen("INCOMPLETE:", "**Incomplete:**", 1));
    }
    if let Some(c) = &report.cleanup {
        let _ = writeln!(
            out,
            "{}{}\n",
            upper_first(&c.line()),
            if c.left.is_empty() { "." } else { ". Left on the target:" }
        );
        for what in &c.left {
            let _ = writeln!(out, "- {what}");
        }
        if !c.left.is_empty() {
            out.push('\n');
        }
    }
    let contacted = contacted_line(report);
    if !contacted.is_empty() {
        let _ = writeln!(out, "{contacted}.\n");
    }
    known_outcomes(&mut out, report);
    // The problems, and the known failures with their exchanges, most serious first.
    let mut problems: Vec<&ScenarioResult> =
        report.results.iter().filter(|r| verdict_rank(verdict(r, report)) < verdict_rank("SKIP")).collect();
    problems.sort_by_key(|r| verdict_rank(verdict(r, report)));
    if !problems.is_empty() {
        out.push_str("## Problems\n\n");
        for r in problems {
            problem(&mut out, r, report);
        }
    }
    out.push_str("## All scenarios\n");
    for area in report.areas() {
        let _ = writeln!(out, "\n### {area}\n\n| | ID | Level | Requirement | Spec |\n|---|---|---|---|---|");
        let mut items: Vec<&ScenarioResult> = report.results.iter().filter(|r| r.area == area).collect();
        items.sort_by_key(|r| verdict_rank(verdict(r, report)));
        for r in items {
            let mut title = cell(&r.title);
            if matches!(r.outcome, Outcome::Skip | Outcome::Error) {
                title.push_str(&format!(" — _{}_", cell(&cause(r))));
            }
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} |",
                verdict(r, report),
                r.id,
                r.level,
                title,
                cell(&r.spec)
            );
        }
    }
    out
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
