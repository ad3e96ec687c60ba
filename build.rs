//! Embeds every rule file under rules/ (not rules/data/) into the binary, sorted by path, and
//! every benchmark file under rules/benchmarks/ beside them.
// A build script reads its sources directly and speaks to cargo on stdout.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]
use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    embed("rules", "embedded_rules.rs");
    embed("rules/benchmarks", "embedded_benchmarks.rs");
}

/// Writes `OUT_DIR/name`: the `*.toml` files of `dir` as (path, contents), sorted by path.
fn embed(dir: &str, name: &str) {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        let abs = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join(f);
        let _ = writeln!(out, "    ({f:?}, include_str!({:?})),", abs.display().to_string());
    }
    out.push(']');
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join(name);
    std::fs::write(dest, out).unwrap_or_else(|e| panic!("cannot write embedded rule list: {e}"));
}
