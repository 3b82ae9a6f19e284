//! docs/integrity.md explains every integrity alert: each built-in rule
//! ([`trail_processor::integrity::alert::RULES`]) and the Sigma rule that catches log file
//! validation being turned off has a row in its alert table, with the severity the alert
//! carries and something under "what to do". No server needed: it reads the file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use trail_processor::integrity::alert::RULES;

/// The alert table's rows: `(rule id, severity, what it means, what to do)`.
fn rows() -> Vec<(String, String, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/integrity.md");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.strip_prefix("| `")?.split(" | ").collect();
            let [id, severity, meaning, todo] = cells[..] else {
                return None;
            };
            Some((
                id.trim_end_matches('`').to_owned(),
                severity.to_owned(),
                meaning.to_owned(),
                todo.trim_end_matches(" |").to_owned(),
            ))
        })
        .collect()
}

#[test]
fn every_integrity_rule_has_a_row_with_its_severity_and_what_to_do() {
    let rows = rows();
    let mut want: Vec<(&str, String)> = RULES
        .iter()
        .map(|r| (r.id, r.severity.to_string()))
        .collect();
    // The Sigma rule of the pack (rules/cloudtrail-log-file-validation-disabled.yml).
    want.push(("cloudtrail-log-file-validation-disabled", "high".to_owned()));
    for (id, severity) in &want {
        let row = rows
            .iter()
            .find(|r| r.0 == *id)
            .unwrap_or_else(|| panic!("docs/integrity.md has no alert row for {id}"));
        assert_eq!(&row.1, severity, "{id}'s severity in docs/integrity.md");
        assert!(row.2.len() > 20 && row.3.len() > 20, "{id}: {row:?}");
    }
    assert_eq!(
        rows.len(),
        want.len(),
        "rows for rules that do not exist: {rows:?}"
    );
}
