//! The user's TOML: rule files (first byte 0), waivers (1) and tailoring (2), the latter two
//! validated against the shipped rules.
#![no_main]
use std::sync::OnceLock;

use imagegate::rules::{RuleSet, load::parse_file};
use libfuzzer_sys::fuzz_target;

fn shipped() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::embedded().expect("shipped rules load"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    match sel % 3 {
        0 => {
            let _ = parse_file("rules/fuzz.toml", &text);
        }
        1 => {
            let _ = imagegate::waivers::parse("waivers.toml", &text, shipped());
        }
        _ => {
            let _ = imagegate::tailoring::Tailoring::parse("tailoring.toml", &text, shipped());
        }
    }
});
