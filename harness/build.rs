//! Embeds every scenario file of `suites/` (server scenarios) and of `suites/clients/` (client
//! scenarios, for `oauth-conformance client`) so an installed binary needs no repository.

use std::fmt::Write;
use std::path::Path;

fn embed(dir: &Path, dest: &str) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "toml"));
    files.sort();
    let mut out = String::from("&[\n");
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let path = f.canonicalize().unwrap_or(f.clone());
        let _ = writeln!(out, "    ({name:?}, include_str!({:?})),", path.display().to_string());
    }
    out.push_str("]\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join(dest);
    std::fs::write(dest, out).expect("write the embedded suites");
}

fn main() {
    let suites = Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites");
    embed(&suites, "embedded_suites.rs");
    embed(&suites.join("clients"), "embedded_client_suites.rs");
}
