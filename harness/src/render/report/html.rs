//! A self-contained HTML report: one file, no external resources, filterable by outcome and
//! text, the problems first and then the rest by area, every scenario's exchanges expandable.

use std::fmt::Write;

use super::markdown::transcript;
use super::{
    cause, contacted_line, next_step, problems, stale_note, summary_line, target_line, verdict,
    verdict_counts,
};
use crate::model::outcome::{Outcome, RunReport, ScenarioResult};

/// Escape text for HTML content and quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1c2230;background:#f6f7f9}
header{background:#1c2230;color:#fff;padding:1.2rem 2rem}header h1{margin:0 0 .3rem;font-size:1.4rem}
main{padding:1rem 2rem;max-width:70rem}.bar{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center;margin:1rem 0}
.bar button{border:1px solid #c5cad3;background:#fff;border-radius:1rem;padding:.25rem .8rem;cursor:pointer}
.bar button.on{background:#1c2230;color:#fff}.bar input{padding:.35rem .6rem;border:1px solid #c5cad3;border-radius:.4rem;min-width:16rem}
h2{font-size:1.1rem;margin:1.6rem 0 .4rem}details.sc{background:#fff;border:1px solid #dde1e7;border-radius:.4rem;margin:.3rem 0}
details.sc>summary{padding:.45rem .7rem;cursor:pointer;display:flex;gap:.7rem;align-items:baseline}
.v{font-weight:700;font-size:.75rem;padding:.1rem .4rem;border-radius:.25rem;min-width:3.2rem;text-align:center}
.PASS{background:#d9f2e1;color:#145c2e}.FAIL,.STALE{background:#fbd9d6;color:#8c1d13}.WARN,.KNOWN{background:#fdf0c8;color:#6b5100}
.ERROR{background:#eadcf8;color:#55208a}.SKIP{background:#e6e8ec;color:#4b5261}.id{font-family:ui-monospace,monospace;font-weight:600}
.lvl{font-size:.75rem;color:#4b5261}.body{padding:0 1rem 1rem}.fail{background:#fff6f5;border-left:3px solid #d93025;padding:.4rem .7rem;margin:.4rem 0}
pre{background:#f1f3f6;padding:.6rem;overflow:auto;font-size:.8rem;white-space:pre-wrap;word-break:break-all}
.muted{color:#5d6575;font-size:.85rem}
table.card{border-collapse:collapse;background:#fff;margin:1rem 0;font-size:.9rem}table.card caption{caption-side:bottom;text-align:left;color:#5d6575;font-size:.8rem;padding-top:.3rem}
table.card td,table.card th{border:1px solid #dde1e7;padding:.3rem .6rem;text-align:left}
"#;

const SCRIPT: &str = r#"
const state={outcome:'all',text:''};
function apply(){document.querySelectorAll('details.sc').forEach(d=>{
 const okO=state.outcome==='all'||d.dataset.verdict===state.outcome;
 const okT=!state.text||d.dataset.search.includes(state.text);
 d.style.display=okO&&okT?'':'none';});
 document.querySelectorAll('section.area').forEach(s=>{
 s.style.display=[...s.querySelectorAll('details.sc')].some(d=>d.style.display!=='none')?'':'none';});}
document.querySelectorAll('.bar button').forEach(b=>b.onclick=()=>{
 document.querySelectorAll('.bar button').forEach(x=>x.classList.remove('on'));b.classList.add('on');
 state.outcome=b.dataset.f;apply();});
document.getElementById('q').oninput=e=>{state.text=e.target.value.toLowerCase();apply();};
"#;

fn scenario(out: &mut String, r: &ScenarioResult, report: &RunReport) {
    let word = verdict(r, report);
    let search = format!("{} {} {} {}", r.id, r.title, r.spec, r.area).to_lowercase();
    let open = if matches!(word, "FAIL" | "STALE") { " open" } else { "" };
    let _ = write!(
        out,
        "<details class=\"sc\" data-verdict=\"{word}\" data-search=\"{}\"{open}><summary><span class=\"v {word}\">{word}</span>\
         <span class=\"id\">{}</span><span class=\"lvl\">{}</span><span>{}</span></summary><div class=\"body\">",
        esc(&search),
        esc(&r.id),
        r.level,
        esc(&r.title)
    );
    let _ = match r.source.as_str() {
        "" => write!(out, "<p class=\"muted\">{}</p>", esc(&r.spec)),
        source => write!(out, "<p class=\"muted\">{} · <code>{}</code></p>", esc(&r.spec), esc(source)),
    };
    if r.outcome == Outcome::Fail {
        for f in &r.failures {
            let what = f.message.clone().unwrap_or_else(|| format!("{} of step `{}`", f.check, f.step));
            let _ = write!(
                out,
                "<div class=\"fail\">{}<br>expected <code>{}</code><br>actual <code>{}</code></div>",
                esc(&what),
                esc(&f.expected),
                esc(&f.actual)
            );
        }
    } else if r.outcome != Outcome::Pass {
        let _ = write!(out, "<p>{}</p>", esc(&cause(r)));
    }
    if !r.attachments.is_empty() {
        out.push_str("<p>Saved:");
        for a in &r.attachments {
            let _ = write!(out, " <a href=\"{}\">{}</a>;", esc(&a.file), esc(&a.caption));
        }
        out.pop();
        out.push_str("</p>");
    }
    if let Some(b) = &r.baseline {
        let _ = write!(
            out,
            "<p class=\"muted\">Baseline: {}{}</p>",
            esc(&b.reason),
            stale_note(r).map(|n| format!(" (stale: {n})")).map(|n| esc(&n)).unwrap_or_default()
        );
    }
    if let Some(e) = &r.explain {
        let _ = write!(out, "<p class=\"muted\">{}</p>", esc(e));
    }
    for step in &r.steps {
        let _ = write!(out, "<details><summary>step <code>{}</code> ({})", esc(&step.name), esc(&step.kind));
        if let Some(e) = &step.error {
            let _ = write!(out, " — {}", esc(e));
        }
        out.push_str("</summary>");
        for ex in &step.exchanges {
            let _ = write!(out, "<pre>{}</pre>", esc(&transcript(ex)));
        }
        out.push_str("</details>");
    }
    out.push_str("</div></details>\n");
}

fn capitalized(label: &str) -> String {
    let mut chars = label.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let title = match report.exit_code() {
        _ if report.incomplete.is_some() => "interrupted",
        0 => "passed",
        1 => "failed",
        _ => "inconclusive",
    };
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>OAuth conformance: {title}</title><style>{STYLE}</style></head><body><header><h1>OAuth conformance: {title}</h1>\
         <div>{}</div><div>{}</div></header><main>",
        esc(&target_line(report)),
        esc(&summary_line(report))
    );
    if let Some(e) = &report.target.discovery_error {
        let _ = write!(out, "<p class=\"fail\">Discovery failed: {}</p>", esc(e));
    }
    let card = super::score_rows(report);
    if !card.is_empty() {
        out.push_str("<table class=\"card\"><caption>");
        out.push_str(&esc(super::SCORE_LEGEND));
        out.push_str(
            "</caption><tr><th>MCP revision</th><th>MUST</th><th>SHOULD</th><th>not judged</th></tr>",
        );
        for [rev, must, should, why] in &card {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(rev),
                esc(must),
                esc(should),
                esc(why)
            );
        }
        out.push_str("</table>");
    }
    for note in super::closing_notes(report) {
        let _ = write!(out, "<p>{}</p>", esc(note.trim_start()));
    }
    let contacted = contacted_line(report);
    if !contacted.is_empty() {
        let _ = write!(out, "<p>{}</p>", esc(&contacted));
    }
    if let Some(next) = next_step(report) {
        let _ = write!(out, "<p><strong>{}</strong></p>", esc(&next));
    }
    out.push_str("<div class=\"bar\"><button class=\"on\" data-f=\"all\">All</button>");
    // The same counts, under the same words, as the summary line in the header.
    for (word, label, n) in verdict_counts(report) {
        if n > 0 || word == "FAIL" {
            let _ = write!(out, "<button data-f=\"{word}\">{} ({n})</button>", capitalized(label));
        }
    }
    out.push_str("<input id=\"q\" type=\"search\" placeholder=\"Filter by ID, title or section\"></div>");
    let problems = problems(report);
    if !problems.is_empty() {
        out.push_str("<section class=\"area\"><h2>Problems</h2>");
        for r in &problems {
            scenario(&mut out, r, report);
        }
        out.push_str("</section>");
    }
    for (area, items) in super::rest_by_area(report, &problems) {
        let _ = write!(out, "<section class=\"area\"><h2>{}</h2>", esc(area));
        for r in items {
            scenario(&mut out, r, report);
        }
        out.push_str("</section>");
    }
    let _ = writeln!(out, "</main><script>{SCRIPT}</script></body></html>");
    out
}
