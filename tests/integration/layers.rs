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
