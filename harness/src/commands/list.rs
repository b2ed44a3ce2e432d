//! `list`: the scenarios, their levels, sections, areas and the faults that kill them (layer:
//! commands).

use crate::Exit;
use crate::commands::cli::{ListArgs, ListFormat};
use crate::commands::error::CommandError;
use crate::commands::settings::select_all;

/// `list`: the selected scenarios as text, Markdown or JSON: the server scenarios, then the
/// client scenarios of `oauth-conformance client`.
pub fn list(args: ListArgs) -> Result<Exit, CommandError> {
    let scenarios = select_all(&args.select)?;
    let text = match args.format {
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = scenarios
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "id": s.id, "title": s.title, "level": s.level, "spec": s.spec, "area": s.area,
                        "also": s.also, "requires": s.requires.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "killed_by": s.killed_by, "source": s.source.to_string(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n"
        }
        ListFormat::Markdown => {
            let mut out = String::from(
                "| ID | Level | Area | Requirement | Spec | Killed by |\n|---|---|---|---|---|---|\n",
            );
            for s in &scenarios {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} | {} | {} |\n",
                    s.id,
                    s.level,
                    s.area,
                    s.title.replace('|', "\\|"),
                    s.spec.replace('|', "\\|"),
                    s.killed_by.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                ));
            }
            out
        }
        ListFormat::Text => {
            let mut out = String::new();
            // The longest ID sets the column, so long variant IDs do not shift the rest.
            let w = scenarios.iter().map(|s| s.id.chars().count()).max().unwrap_or(0).max(8);
            for s in &scenarios {
                out.push_str(&format!("{:<w$} {:<6} {:<14} {}\n", s.id, s.level.as_str(), s.area, s.title));
                out.push_str(&format!("{:<w$} {:<6} {:<14} {}\n", "", "", "", s.spec));
                if !s.killed_by.is_empty() {
                    out.push_str(&format!(
                        "{:<w$} {:<6} {:<14} killed by: {}\n",
                        "",
                        "",
                        "",
                        s.killed_by.join(", ")
                    ));
                }
            }
            out.push_str(&format!("{} scenarios\n", scenarios.len()));
            out
        }
    };
    print!("{text}");
    Ok(Exit::Pass)
}
