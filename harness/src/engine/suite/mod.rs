//! Scenario files: the model, the loader, and the suites embedded in the binary.
//!
//! Layer: engine; imports `engine::expect`, `engine::jwks`, `engine::steps`, `engine::template`,
//! `model::level`; never the render or commands layers.

mod error;
mod load;
pub mod model;

use std::collections::HashMap;
use std::path::Path;

pub use error::LoadError;
pub use load::{GLOBALS, parse_file};
pub use model::{Expect, Level, Requirement, Scenario, Source, Step};

/// The scenario files shipped in `suites/`, embedded at build time.
pub const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_suites.rs"));

/// The client scenarios shipped in `suites/clients/` (`oauth-conformance client`).
pub const EMBEDDED_CLIENTS: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/embedded_client_suites.rs"));

/// All scenarios: the embedded suites, then every `*.toml` in `extra_dirs`. Every problem in
/// every file is reported, not just the first.
pub fn load(extra_dirs: &[&Path], include_embedded: bool) -> Result<Vec<Scenario>, Vec<LoadError>> {
    load_from(EMBEDDED, "suites", extra_dirs, include_embedded)
}

/// The client scenarios: the embedded ones, then every `*.toml` in `extra_dirs`.
pub fn load_clients(extra_dirs: &[&Path], include_embedded: bool) -> Result<Vec<Scenario>, Vec<LoadError>> {
    load_from(EMBEDDED_CLIENTS, "suites/clients", extra_dirs, include_embedded)
}

fn load_from(
    embedded: &[(&str, &str)],
    prefix: &str,
    extra_dirs: &[&Path],
    include_embedded: bool,
) -> Result<Vec<Scenario>, Vec<LoadError>> {
    let mut files: Vec<(String, String)> = Vec::new();
    if include_embedded {
        files.extend(embedded.iter().map(|(name, text)| (format!("{prefix}/{name}"), text.to_string())));
    }
    let mut errors = Vec::new();
    for dir in extra_dirs {
        match read_dir(dir) {
            Ok(mut found) => files.append(&mut found),
            Err(e) => errors.push(e),
        }
    }
    let mut scenarios = Vec::new();
    for (name, text) in &files {
        match parse_file(name, text) {
            Ok(mut s) => scenarios.append(&mut s),
            Err(mut e) => errors.append(&mut e),
        }
    }
    let mut seen: HashMap<String, Source> = HashMap::new();
    for s in &scenarios {
        if let Some(first) = seen.insert(s.id.clone(), s.source.clone()) {
            let text = files.iter().find(|(n, _)| *n == s.source.file).map(|(_, t)| t.as_str()).unwrap_or("");
            errors.push(LoadError::new(
                &s.source.file,
                text,
                s.source.line,
                format!("scenario id `{}` is already used at {first}", s.id),
                Some("ids are unique; add a `.variant` suffix (e.g. `AUTHZ-06.port`)".into()),
            ));
        }
    }
    if errors.is_empty() { Ok(scenarios) } else { Err(errors) }
}

fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, LoadError> {
    let problem = |m: String| LoadError::new(&dir.display().to_string(), "", 1, m, None);
    let entries =
        std::fs::read_dir(dir).map_err(|e| problem(format!("cannot read suites directory: {e}")))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let text =
            std::fs::read_to_string(&p).map_err(|e| problem(format!("cannot read {}: {e}", p.display())))?;
        out.push((p.display().to_string(), text));
    }
    Ok(out)
}
