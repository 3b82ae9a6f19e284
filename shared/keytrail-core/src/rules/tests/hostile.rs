//! Hostile rule files: nesting bombs and huge files are refused before the YAML parser sees
//! them, and what an error quotes from a rule is short.

use super::rule_text;
use crate::rules::prescan::MAX_RULE_FILE_BYTES;
use crate::rules::{LoadOptions, RuleSet};

/// The one error loading `text` as `name` gives.
fn error(name: &str, text: String) -> String {
    match RuleSet::load(&LoadOptions::from_sources([(name, text)])) {
        Ok(_) => panic!("{name} loaded"),
        Err(errors) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            errors[0].to_string()
        }
    }
}

#[test]
fn nesting_bombs_are_refused_before_parsing_naming_file_and_line() {
    let n = 100_000;
    let cases = [
        (
            "flow sequences",
            rule_text(
                "d1",
                &format!(
                    "sel:\n  eventName: {}{}\ncondition: sel",
                    "[".repeat(n),
                    "]".repeat(n)
                ),
            ),
            8,
        ),
        (
            "flow maps",
            rule_text(
                "d2",
                &format!("sel:\n  eventName: {}\ncondition: sel", "{a: ".repeat(n)),
            ),
            8,
        ),
        (
            "block sequences on one line",
            rule_text(
                "d3",
                &format!(
                    "sel:\n  eventName:\n    {}x\ncondition: sel",
                    "- ".repeat(n)
                ),
            ),
            9,
        ),
    ];
    for (what, text, line) in cases {
        let err = error("bomb.yml", text);
        assert!(
            err.starts_with(&format!(
                "bomb.yml: nests deeper than 64 levels at line {line}: "
            )),
            "{what}: {err}"
        );
        // Nothing of the file but its name and the line.
        assert!(err.len() < 200, "{what}: {err}");
    }
}

#[test]
fn a_rule_file_over_the_cap_is_refused_before_reading_it_whole() {
    let mut text = rule_text("big", "sel:\n  eventName:\n    - a\ncondition: sel");
    let filler = "#".repeat(99) + "\n";
    while (text.len() as u64) <= MAX_RULE_FILE_BYTES {
        text.push_str(&filler);
    }
    let size = text.len();
    let want = format!("is {size} bytes, more than the 16 MiB a rule file may hold");
    let err = error("big.yml", text.clone());
    assert!(err.starts_with(&format!("big.yml: {want}")), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yml");
    std::fs::write(&path, &text).unwrap();
    let errors = RuleSet::load(&LoadOptions {
        builtin: false,
        dirs: vec![dir.path().to_owned()],
        ..LoadOptions::default()
    })
    .unwrap_err();
    let err = errors[0].to_string();
    assert!(
        err.starts_with(&format!("{}: {want}", path.display())),
        "{err}"
    );
}

#[test]
fn a_rejected_condition_is_quoted_cut_short() {
    let long = "sel and ".repeat(25_000) + "nope";
    let word = "x".repeat(100_000);
    let cases = [
        (
            long.clone(),
            "condition \"sel and sel and",
            "search 'nope' is not defined",
        ),
        (
            format!("sel and {word}"),
            "condition \"sel and xxx",
            "search 'xxxxxxxxxx",
        ),
    ];
    for (condition, head, detail) in cases {
        let err = error(
            "c.yml",
            rule_text("c", &format!("sel:\n  a: 1\ncondition: {condition}")),
        );
        assert!(err.contains(head) && err.contains(detail), "{err}");
        assert!(
            err.contains(&format!("… ({} bytes)", condition.len())),
            "{err}"
        );
        assert!(err.len() < 400, "{} bytes: {}", err.len(), &err[..400]);
    }
    // An upper bound alone is refused (it needs the window's end): still an aggregation error.
    let aggregation = format!("sel | count() by {word} < 5");
    let errors = RuleSet::load(&LoadOptions::from_sources([(
        "a.yml",
        rule_text("a", &format!("sel:\n  a: 1\ncondition: {aggregation}")),
    )]))
    .unwrap_err();
    let err = errors[0].to_string();
    assert!(
        err.contains("an aggregation ('| count() by xxx"),
        "{}",
        err.chars().take(200).collect::<String>()
    );
    assert!(err.len() < 400, "{} bytes", err.len());
}
