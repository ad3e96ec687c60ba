//! The layering of src/, checked on the source text: which module may name which.

/// The `crate::…` modules one source file names in code (comments left out).
fn named_modules(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(crate::util::repo().join("src").join(file)).unwrap();
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !found.contains(&name) {
                found.push(name);
            }
        }
    }
    found
}

/// Findings, reports and applied waivers live in `model`: evaluation builds them, waivers amend
/// them, renderers print them, and none of these depends on another for the types (the evaluator
/// once named the waiver type and waivers the evaluator's, a cycle).
#[test]
fn the_report_model_sits_below_evaluation_waivers_and_renderers() {
    let rules: &[(&str, &[&str])] = &[
        ("model.rs", &["eval", "waivers", "report", "cli", "tailoring"]),
        ("eval.rs", &["waivers", "report", "cli", "tailoring"]),
        ("waivers.rs", &["eval", "report", "cli"]),
    ];
    let mut wrong = Vec::new();
    for (file, forbidden) in rules {
        for m in named_modules(file) {
            if forbidden.contains(&m.as_str()) {
                wrong.push(format!("src/{file} names crate::{m}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Only src/diag.rs (and src/main.rs, which calls it) writes to stderr, and nothing prints to
/// stdout behind the writer a command is given: clippy.toml's `disallowed-macros` is the lock, this
/// is the second one, on the source text (a test of src/ may say why it skipped).
#[test]
fn only_diag_writes_to_stderr() {
    const FORBIDDEN: &[&str] = &[
        "eprintln!",
        "eprint!",
        "println!",
        "print!(",
        "dbg!",
        "io::stderr",
        "io::stdout",
    ];
    const ALLOWED: &[&str] = &["diag.rs", "main.rs"];
    let mut hits = Vec::new();
    for e in walkdir::WalkDir::new(crate::util::repo().join("src")) {
        let e = e.unwrap();
        let name = e.path().strip_prefix(crate::util::repo().join("src")).unwrap();
        if e.path().extension().is_none_or(|x| x != "rs") || ALLOWED.iter().any(|a| name == std::path::Path::new(a)) {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        // The module's tests (the last `#[cfg(test)]` item, by the house style) may print.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
        for (i, line) in code.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for f in FORBIDDEN {
                // `cli.rs` hands stdout to the commands as their writer.
                if code.contains(f) && !(name == std::path::Path::new("cli.rs") && *f == "io::stdout") {
                    hits.push(format!("{}:{}: {}", name.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(hits.is_empty(), "output outside src/diag.rs:\n{}", hits.join("\n"));
}
