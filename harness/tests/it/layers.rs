//! The module graphs of both crates, read from their sources: no import cycles between the
//! top-level modules of a crate or between the modules of one folder, and every import points
//! down the layers that docs/architecture.md describes.
//!
//! An edge is any path that starts with `crate::`, `super::` or `self::` (in `use` lists too),
//! outside comments and `#[cfg(test)]` modules. Nodes are the crate's top-level modules and, inside each
//! folder module, its direct children.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path of a source file relative to `src` (`engine/steps/mod.rs` → engine, steps).
type ModPath = Vec<String>;

/// The layers of each crate, bottom first: a module may import from its own layer (without
/// a cycle) and from the layers below it, never from one above.
const HARNESS_LAYERS: &[&[&str]] = &[&["model"], &["engine"], &["render"], &["commands"]];
const FAKE_SERVER_LAYERS: &[&[&str]] = &[
    &[
        "faults", "variants", "clock", "error", "redact", "tokens", "jws", "extract", "config", "listen",
        "form",
    ],
    &["policy"],
    &["state"],
    &["issue", "lookup", "uri_rules", "assertion", "dpop", "idjag", "client_metadata", "cimd", "cors"],
    &["pages"],
    &["routes"],
    &["sign_in", "client_report"],
];

struct Crate {
    src: PathBuf,
    modules: BTreeSet<ModPath>,
    /// Every file's references to other modules of the crate.
    refs: Vec<(ModPath, ModPath)>,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

fn read_crate(src: PathBuf) -> Crate {
    let mut files = Vec::new();
    collect(&src, &mut files);
    let mut modules = BTreeSet::new();
    let mut texts = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let mut path: ModPath =
            rel.iter().map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
        if path.last().is_some_and(|l| l == "mod") {
            path.pop();
        }
        if matches!(path.as_slice(), [one] if one == "lib" || one == "main") || path.is_empty() {
            continue;
        }
        modules.insert(path.clone());
        let text = std::fs::read_to_string(&file).expect("readable source");
        texts.push((path, text));
    }
    let mut refs = Vec::new();
    for (path, text) in texts {
        // Test modules sit at the end of a file and may import anything; comments (doc links
        // included) import nothing.
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        if path.last().is_some_and(|l| l == "tests") {
            continue;
        }
        for target in references(&code, &path) {
            refs.push((path.clone(), target));
        }
    }
    Crate { src, modules, refs }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("readable dir").map(|e| e.expect("dir entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The absolute module paths that `code` (the file of module `me`) refers to.
fn references(code: &str, me: &ModPath) -> Vec<ModPath> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts_word =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':');
        let anchor = ["crate::", "super::", "self::"].into_iter().find(|a| rest.starts_with(a));
        match anchor {
            Some(a) if starts_word => {
                let (paths, used) = use_tree(rest);
                for p in paths {
                    if let Some(abs) = absolute(&p, me) {
                        out.push(abs);
                    }
                }
                i += used.max(a.len());
            }
            _ => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    out
}

/// Expand a path or use tree at the start of `text` (`crate::a::{b, c::d}`) into its paths,
/// and say how many bytes it took.
fn use_tree(text: &str) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = 0;
    let b = text.as_bytes();
    loop {
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i > start {
            prefix.push(text[start..i].to_string());
        }
        if text[i..].starts_with("::") {
            i += 2;
            if text[i..].starts_with('{') {
                let end = matching_brace(text, i);
                let mut all = Vec::new();
                for part in split_top(&text[i + 1..end]) {
                    let part = part.trim();
                    if part.is_empty() {
                        continue;
                    }
                    let (subs, _) = use_tree(part);
                    for s in subs {
                        let mut p = prefix.clone();
                        if s.first().is_some_and(|f| f != "self") {
                            p.extend(s);
                        }
                        all.push(p);
                    }
                }
                return (all, end + 1);
            }
            continue;
        }
        return (vec![prefix], i);
    }
}

fn matching_brace(text: &str, open: usize) -> usize {
    let mut depth = 0;
    for (k, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + k;
                }
            }
            _ => {}
        }
    }
    text.len().saturating_sub(1)
}

fn split_top(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (k, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
}

/// Resolve `crate::`, `super::` and `self::` against the module `me`.
fn absolute(path: &[String], me: &ModPath) -> Option<ModPath> {
    let (head, rest) = path.split_first()?;
    let mut base: ModPath = match head.as_str() {
        "crate" => Vec::new(),
        "self" => me.clone(),
        "super" => {
            let mut b = me.clone();
            b.pop();
            b
        }
        _ => return None,
    };
    let mut rest = rest;
    while let Some((next, tail)) = rest.split_first() {
        if next == "super" {
            base.pop();
            rest = tail;
        } else {
            break;
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

impl Crate {
    /// The longest prefix of `target` that is a module of the crate.
    fn module_of(&self, target: &ModPath) -> Option<ModPath> {
        (1..=target.len()).rev().map(|n| target[..n].to_vec()).find(|p| self.modules.contains(p))
    }

    /// Edges between the nodes `node` picks (a top-level module, or a child of one folder).
    fn graph(&self, node: impl Fn(&ModPath) -> Option<String>) -> BTreeMap<String, BTreeSet<String>> {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for m in &self.modules {
            if let Some(n) = node(m) {
                g.entry(n).or_default();
            }
        }
        for (from, to) in &self.refs {
            let Some(to) = self.module_of(to) else { continue };
            if let (Some(a), Some(b)) = (node(from), node(&to))
                && a != b
            {
                g.entry(a).or_default().insert(b);
            }
        }
        g
    }

    fn folders(&self) -> BTreeSet<String> {
        self.modules.iter().filter(|m| m.len() > 1).map(|m| m[0].clone()).collect()
    }

    /// Every cycle found, at the top level and inside each folder, as `a -> b -> a`.
    fn cycles(&self) -> Vec<String> {
        let mut found = cycles_in(&self.graph(|m| Some(m[0].clone())));
        for folder in self.folders() {
            let inner =
                self.graph(|m| (m.len() > 1 && m[0] == folder).then(|| format!("{folder}::{}", m[1])));
            found.extend(cycles_in(&inner));
        }
        found
    }

    /// Imports that point up the layers.
    fn upward(&self, layers: &[&[&str]]) -> Vec<String> {
        let layer = |m: &str| layers.iter().position(|l| l.contains(&m));
        let g = self.graph(|m| Some(m[0].clone()));
        let mut bad = Vec::new();
        for (from, tos) in &g {
            let Some(lf) = layer(from) else {
                bad.push(format!("{from} is in no layer of docs/architecture.md"));
                continue;
            };
            for to in tos {
                if layer(to).is_some_and(|lt| lt > lf) {
                    bad.push(format!("{from} imports {to}, a layer above it"));
                }
            }
        }
        bad
    }
}

/// One cycle per strongly connected component with more than one node.
fn cycles_in(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut out = Vec::new();
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for start in g.keys() {
        if reported.contains(start) {
            continue;
        }
        // A path from `start` back to itself, by breadth-first search over the edges.
        let mut prev: BTreeMap<&String, &String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut back = None;
        while let Some(n) = queue.pop_front() {
            for m in g.get(n).into_iter().flatten() {
                if m == start {
                    back = Some(n);
                    break;
                }
                if !prev.contains_key(m) {
                    prev.insert(m, n);
                    queue.push_back(m);
                }
            }
            if back.is_some() {
                break;
            }
        }
        if let Some(mut n) = back {
            let mut path = vec![start.clone()];
            let mut rev = vec![n.clone()];
            while n != start {
                n = prev[n];
                if n != start {
                    rev.push(n.clone());
                }
            }
            rev.reverse();
            path.extend(rev.iter().filter(|x| *x != start).cloned());
            path.push(start.clone());
            reported.extend(path.iter().cloned());
            out.push(path.join(" -> "));
        }
    }
    out
}

#[test]
fn the_harness_modules_form_no_cycle_and_import_only_down_the_layers() {
    let c = read_crate(workspace().join("harness/src"));
    assert!(c.modules.len() > 40, "read {} modules from {}", c.modules.len(), c.src.display());
    let cycles = c.cycles();
    assert!(cycles.is_empty(), "import cycles in harness/src:\n{}", cycles.join("\n"));
    let upward = c.upward(HARNESS_LAYERS);
    assert!(upward.is_empty(), "harness/src:\n{}", upward.join("\n"));
}

#[test]
fn the_fake_server_modules_form_no_cycle_and_import_only_down_the_layers() {
    let c = read_crate(workspace().join("fake-server/src"));
    assert!(c.modules.len() > 30, "read {} modules from {}", c.modules.len(), c.src.display());
    let cycles = c.cycles();
    assert!(cycles.is_empty(), "import cycles in fake-server/src:\n{}", cycles.join("\n"));
    let upward = c.upward(FAKE_SERVER_LAYERS);
    assert!(upward.is_empty(), "fake-server/src:\n{}", upward.join("\n"));
}

#[test]
fn a_cycle_or_an_upward_import_is_found() {
    let dir = std::env::temp_dir().join(format!("layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("engine")).expect("temp dir");
    let write = |f: &str, text: &str| std::fs::write(dir.join(f), text).expect("write");
    write("model.rs", "use crate::engine::agent::Agent;\n");
    write("engine/mod.rs", "pub mod agent;\npub mod trust;\n");
    write("engine/agent.rs", "use super::trust::Trust;\nuse crate::model::Outcome;\n");
    write("engine/trust.rs", "use crate::engine::agent::Request;\n#[cfg(test)]\nuse crate::render::X;\n");
    write("render.rs", "// use crate::commands::x; (a comment imports nothing)\n");
    let c = read_crate(dir.clone());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(c.cycles(), ["engine -> model -> engine", "engine::agent -> engine::trust -> engine::agent"]);
    assert_eq!(c.upward(&[&["model"], &["engine"], &["render"]]), ["model imports engine, a layer above it"]);
}

#[test]
fn the_reader_sees_use_trees_relative_paths_and_cycles() {
    let me: ModPath = vec!["engine".into(), "steps".into(), "token".into()];
    let refs = references(
        "use crate::{model::{Outcome, exchange::Exchange}, engine::agent};\nuse super::client::x;\nlet y = self::inner::z;",
        &me,
    );
    let want: Vec<ModPath> = [
        "model::Outcome",
        "model::exchange::Exchange",
        "engine::agent",
        "engine::steps::client::x",
        "engine::steps::token::inner::z",
    ]
    .iter()
    .map(|s| s.split("::").map(str::to_string).collect())
    .collect();
    assert_eq!(refs, want);

    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    g.entry("d".into()).or_default().insert("a".into());
    assert_eq!(cycles_in(&g), ["a -> b -> c -> a"]);
    g.get_mut("c").expect("c").clear();
    assert!(cycles_in(&g).is_empty());
}
