//! docs/coverage.md's table is `keytrail rules list --format markdown`, each built-in
//! rule's `fixture_source` agrees with the fixture provenance in rules/tests/README.md, and
//! `rules list` shows the built-in integrity checks after the Sigma rules (issue 20).
//!
//! `KEYTRAIL_BLESS=1 cargo nextest run -p keytrail-cli --test coverage` rewrites the table in
//! docs/coverage.md (between its markers) instead of failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

mod support;
use support::{keytrail, repo};

const BEGIN: &str = "<!-- coverage:begin";
const END: &str = "<!-- coverage:end -->";
const REGENERATE: &str = "KEYTRAIL_BLESS=1 cargo nextest run -p keytrail-cli --test coverage";

/// The coverage table of the built-in pack, as the CLI prints it.
fn generated() -> String {
    let out = keytrail(&["rules", "list", "--format", "markdown"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `(before the table, the table, from the end marker on)` of docs/coverage.md.
fn split(doc: &str) -> (&str, &str, &str) {
    let begin = doc
        .find(BEGIN)
        .expect("docs/coverage.md lost its begin marker");
    let table = begin + doc[begin..].find('\n').unwrap() + 1;
    let end = doc.find(END).expect("docs/coverage.md lost its end marker");
    assert!(table <= end, "docs/coverage.md's markers are out of order");
    (&doc[..table], &doc[table..end], &doc[end..])
}

/// Fails when the committed table is stale, naming the command that regenerates it.
#[test]
fn coverage_doc_is_the_generated_table() {
    let path = repo().join("docs/coverage.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (head, table, tail) = split(&doc);
    let fresh = generated();
    if table == fresh {
        return;
    }
    if std::env::var_os("KEYTRAIL_BLESS").is_some() {
        std::fs::write(&path, format!("{head}{fresh}{tail}")).unwrap();
        return;
    }
    let first = table
        .lines()
        .zip(fresh.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(table.lines().count().min(fresh.lines().count()));
    panic!(
        "docs/coverage.md's table is stale (it is `keytrail rules list --format markdown`; \
         first difference at table line {}):\n  committed: {:?}\n  generated: {:?}\n\
         Regenerate it with: {REGENERATE}",
        first + 1,
        table.lines().nth(first).unwrap_or("(end)"),
        fresh.lines().nth(first).unwrap_or("(end)"),
    );
}

/// Source labels of the fixture provenance: the first pattern found in a fixture's source cell
/// names it. A constructed fixture's source is the API reference.
const LABELS: &[(&str, &str)] = &[
    ("corpus/acm-userguide-2026", "ACM User Guide 2026"),
    ("corpus/awsdocs/acm/", "ACM User Guide"),
    ("corpus/awsdocs/kms/", "KMS Developer Guide"),
    ("corpus/awsdocs/cloudhsm/", "CloudHSM User Guide"),
    ("corpus/awsdocs/cloudtrail/", "CloudTrail User Guide"),
    ("corpus/awsdocs/elb-", "ELB User Guide"),
    ("seeds/", "AWS docs (seed)"),
    ("panther", "Panther rule test"),
    ("privateca/", "AWS Private CA User Guide"),
    ("stratus-red-team", "Stratus Red Team capture"),
    ("kms/latest/developerguide", "KMS Developer Guide"),
    ("AmazonCloudFront/", "CloudFront Developer Guide"),
];

/// Per rule, its hit fixtures' `(kind, source)` pairs from rules/tests/README.md, rendered as the
/// table's fixture source column.
fn provenance() -> BTreeMap<String, String> {
    let readme = std::fs::read_to_string(repo().join("rules/tests/README.md")).unwrap();
    let mut rules: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    let mut rule = None;
    for line in readme.lines() {
        if let Some(id) = line.strip_prefix("### ") {
            rule = Some(id.trim().to_owned());
            continue;
        }
        let (Some(id), Some(row)) = (&rule, line.strip_prefix("| `hit/")) else {
            continue;
        };
        let cells: Vec<&str> = row.split(" | ").collect();
        let (source, how) = (cells[1], cells[2].trim_end_matches(" |"));
        let kind = match how.split([' ', ';', ',']).next().unwrap() {
            "copied" | "transcribed" => 0,
            "derived" => 1,
            "constructed" => 2,
            other => panic!("rules/tests/README.md: {id}: unknown fixture kind {other:?}"),
        };
        let label = if kind == 2 {
            "API reference"
        } else {
            LABELS
                .iter()
                .find(|(pattern, _)| source.contains(pattern))
                .unwrap_or_else(|| panic!("{id}: no source label for {source}: add one to LABELS"))
                .1
        };
        let pairs = rules.entry(id.clone()).or_default();
        if !pairs.iter().any(|(k, l)| *k == kind && l == label) {
            pairs.push((kind, label.to_owned()));
        }
    }
    rules
        .into_iter()
        .map(|(id, mut pairs)| {
            pairs.sort_by_key(|(kind, _)| *kind);
            let mut parts: Vec<String> = Vec::new();
            for kind in 0..3 {
                let labels: Vec<&str> = pairs
                    .iter()
                    .filter(|(k, _)| *k == kind)
                    .map(|(_, l)| l.as_str())
                    .collect();
                if !labels.is_empty() {
                    let name = ["real", "derived", "constructed"][kind];
                    parts.push(format!("{name}: {}", labels.join(", ")));
                }
            }
            (id, parts.join("; "))
        })
        .collect()
}

/// Each built-in rule's fixture source (its `fixture_source`, as the table shows it) says what
/// rules/tests/README.md says of its hit fixtures; a rule whose hits have no real source is
/// `experimental`.
#[test]
fn fixture_sources_agree_with_the_fixture_provenance() {
    let expected = provenance();
    let table = generated();
    let mut shown = BTreeMap::new();
    // The Sigma rules' rows: up to the blank line before the built-in integrity checks.
    for row in table.lines().skip(2).take_while(|l| !l.is_empty()) {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        shown.insert(cells[2].trim_matches('`').to_owned(), cells[6].to_owned());
    }
    assert_eq!(
        shown.len(),
        expected.len(),
        "rules in the table vs rules in the README"
    );
    let mut wrong = Vec::new();
    for (id, want) in &expected {
        let got = shown
            .get(id)
            .map(String::as_str)
            .unwrap_or("(not in the table)");
        if got != want {
            wrong.push(format!(
                "{id}: fixture_source says {got:?}, README says {want:?}"
            ));
        }
        let rule = std::fs::read_to_string(repo().join(format!("rules/{id}.yml"))).unwrap();
        let experimental = rule.lines().any(|l| l.trim() == "status: experimental");
        if experimental == want.starts_with("real") {
            wrong.push(format!(
                "{id}: status {} but its hit fixtures are {want:?}",
                if experimental {
                    "experimental"
                } else {
                    "not experimental"
                }
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "update rules/<id>.yml's fixture_source:\n{}",
        wrong.join("\n")
    );
}

/// The integrity alerts the Lambda raises (every `keytrail-integrity-*` rule and the
/// unreadable-object alert) are listed by `rules list` in both formats, each once, with the
/// severity its alerts carry and marked as a built-in integrity check with what it needs; with
/// `--no-builtin` they go with the pack.
#[test]
fn rules_list_shows_the_integrity_checks_issue_20() {
    let mut want: Vec<(&str, String)> = trail_processor::integrity::alert::RULES
        .iter()
        .map(|r| (r.id, r.severity.as_str().to_owned()))
        .collect();
    want.push(("keytrail-object-unreadable", "medium".to_owned()));
    assert_eq!(want.len(), 13, "12 digest checks and the unreadable object");

    let out = keytrail(&["rules", "list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let integrity: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("builtin:integrity ("))
        .collect();
    assert_eq!(integrity.len(), want.len(), "{text}");
    for (id, severity) in &want {
        let line: Vec<&str> = integrity
            .iter()
            .filter(|l| l.split_whitespace().next() == Some(id))
            .copied()
            .collect();
        assert_eq!(line.len(), 1, "{id} in:\n{text}");
        let columns: Vec<&str> = line[0].split_whitespace().collect();
        assert_eq!(columns[1], severity, "{}", line[0]);
        let needs = if *id == "keytrail-object-unreadable" {
            "(always on: scan, Lambda)"
        } else {
            "(Lambda with state table + log file validation; keytrail verify)"
        };
        assert!(line[0].ends_with(needs), "{}", line[0]);
    }
    let modified = integrity
        .iter()
        .find(|l| l.starts_with("keytrail-integrity-log-file-modified "))
        .unwrap();
    assert!(
        modified.contains("CloudTrail log file modified after delivery"),
        "{modified}"
    );

    let markdown = generated();
    let (sigma, checks) = markdown.split_once("\n\n").unwrap();
    assert!(!sigma.contains("keytrail-integrity"), "{sigma}");
    assert!(
        checks.starts_with("Built-in integrity checks: not Sigma rules"),
        "{checks}"
    );
    for (id, severity) in &want {
        assert_eq!(
            checks.matches(&format!("| `{id}` | {severity} | ")).count(),
            1,
            "{id} {severity} in:\n{checks}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("rules/acm-export-certificate.yml"),
        dir.path().join("acm-export-certificate.yml"),
    )
    .unwrap();
    for format in ["text", "markdown"] {
        let out = keytrail(&[
            "rules",
            "list",
            "--format",
            format,
            "--no-builtin",
            "--rules",
            dir.path().to_str().unwrap(),
        ]);
        let listed = String::from_utf8(out.stdout).unwrap();
        assert!(listed.contains("acm-export-certificate"), "{listed}");
        assert!(!listed.contains("keytrail-integrity"), "{format}: {listed}");
    }
}
