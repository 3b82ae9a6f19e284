//! The coverage table (`keytrail rules list --format markdown`, kept in docs/coverage.md): one
//! row per rule, every column derived from the loaded rules, so that the table cannot drift from
//! them.
//!
//! - **service**, **events**: the `eventSource` and `eventName` values the rule's condition
//!   requires, as the prefilter index computes them ([`RuleSet::required_event_sources`]);
//!   `(any)` when the condition does not bound them. A service is its eventSource without
//!   `.amazonaws.com`.
//! - **technique**, **tactic**: the MITRE ATT&CK technique ids (`attack.t1552.004` →
//!   `T1552.004`) and tactic names (`attack.credential-access`) of the rule's Sigma `tags`.
//! - **fixture source**: the rule's `fixture_source` custom attribute, a map from `real`,
//!   `derived` or `constructed` to the sources of its hit fixtures (rules/tests/README.md names
//!   each file's).
//!
//! Rows are sorted by service, then level (highest first), then id. Every cell is escaped: rule
//! text reaches a terminal and a markdown renderer.

use std::cmp::Reverse;

use keytrail_core::rules::RuleSet;
use serde_json::Value;

use crate::term::safe;

/// The table and what was wrong with the rules' metadata (one line each).
pub struct Coverage {
    /// The markdown table, header first, one line per rule.
    pub markdown: String,
    /// A `fixture_source` that is not a map of kinds to sources, by rule.
    pub problems: Vec<String>,
}

/// The kinds of fixture source, in the order the table shows them.
pub const FIXTURE_KINDS: [&str; 3] = ["real", "derived", "constructed"];

/// The MITRE ATT&CK Enterprise tactics, as Sigma tags name them (`attack.<tactic>`).
const TACTICS: [&str; 14] = [
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

const HEADER: &str = "| service | events | rule | level | technique | tactic | fixture source |\n\
                      |---|---|---|---|---|---|---|\n";

/// Builds the coverage table of every rule in `set`.
pub fn table(set: &RuleSet) -> Coverage {
    let mut problems = Vec::new();
    let mut rows: Vec<(String, Reverse<_>, String, String)> = Vec::new();
    for (i, rule) in set.rules().iter().enumerate() {
        let services = set.required_event_sources(i).map(|sources| {
            sources
                .iter()
                .map(|s| service(s).to_owned())
                .collect::<Vec<_>>()
        });
        let services = listed(services);
        let events = listed(set.required_event_names(i));
        let (techniques, tactics) = attack(&rule.tags);
        let fixtures = match set
            .info(i)
            .and_then(|info| info.custom.get("fixture_source"))
        {
            None => "-".to_owned(),
            Some(value) => fixture_source(value).unwrap_or_else(|why| {
                problems.push(format!(
                    "rule {} ({}): fixture_source {why}",
                    rule.id, rule.file
                ));
                "?".to_owned()
            }),
        };
        let line = format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            cell(&services),
            cell(&events),
            code(&rule.id),
            rule.level.as_str(),
            cell(&dash(&techniques)),
            cell(&dash(&tactics)),
            cell(&fixtures),
        );
        rows.push((services, Reverse(rule.level), rule.id.clone(), line));
    }
    rows.sort();
    let mut markdown = HEADER.to_owned();
    markdown.extend(rows.into_iter().map(|(.., line)| line));
    Coverage { markdown, problems }
}

/// `acm.amazonaws.com` → `acm`; anything else as it is.
fn service(event_source: &str) -> &str {
    let suffix = ".amazonaws.com";
    match event_source.len().checked_sub(suffix.len()) {
        Some(cut)
            if event_source.is_char_boundary(cut)
                && event_source[cut..].eq_ignore_ascii_case(suffix) =>
        {
            &event_source[..cut]
        }
        _ => event_source,
    }
}

/// Values joined with `, `; `(any)` when the condition does not bound them, `(none)` when it
/// can never hold.
fn listed(values: Option<Vec<String>>) -> String {
    match values {
        None => "(any)".to_owned(),
        Some(values) if values.is_empty() => "(none)".to_owned(),
        Some(values) => values.join(", "),
    }
}

/// The ATT&CK technique ids and tactic names of Sigma tags, each list joined with `, `.
fn attack(tags: &[String]) -> (String, String) {
    let (mut techniques, mut tactics) = (Vec::new(), Vec::new());
    for tag in tags {
        let tag = tag.to_ascii_lowercase().replace('_', "-");
        let Some(name) = tag.strip_prefix("attack.") else {
            continue;
        };
        if is_technique(name) {
            techniques.push(name.to_ascii_uppercase());
        } else if TACTICS.contains(&name) {
            tactics.push(name.to_owned());
        }
    }
    (techniques.join(", "), tactics.join(", "))
}

/// `t1234` or `t1234.567`.
fn is_technique(name: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match name.strip_prefix('t').map(|rest| rest.split_once('.')) {
        Some(Some((id, sub))) => digits(id, 4) && digits(sub, 3),
        Some(None) => digits(&name[1..], 4),
        None => false,
    }
}

/// `real: A, B; derived: C` from `{real: [A, B], derived: C}`.
fn fixture_source(value: &Value) -> Result<String, String> {
    let Value::Object(map) = value else {
        return Err("must be a map of real, derived or constructed to sources".to_owned());
    };
    if let Some(other) = map.keys().find(|k| !FIXTURE_KINDS.contains(&k.as_str())) {
        return Err(format!(
            "has kind {other:?}: use real, derived or constructed"
        ));
    }
    let mut parts = Vec::new();
    for kind in FIXTURE_KINDS {
        let sources: Vec<&str> = match map.get(kind) {
            None => continue,
            Some(Value::String(one)) => vec![one],
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .ok_or_else(|| format!("{kind}: every source must be text"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(format!("{kind}: must be a source or a list of sources")),
        };
        parts.push(format!("{kind}: {}", sources.join(", ")));
    }
    Ok(dash(&parts.join("; ")))
}

fn dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text.to_owned()
    }
}

/// Untrusted text as a table cell: control characters escaped ([`safe`]), `|` escaped.
fn cell(text: &str) -> String {
    safe(text).replace('|', "\\|")
}

/// An id as a code span (a plain cell if it holds a backtick, which would end the span).
fn code(id: &str) -> String {
    if id.contains('`') {
        cell(id)
    } else {
        format!("`{}`", cell(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attack_tags_become_techniques_and_tactics() {
        for (tags, techniques, tactics) in [
            (
                vec!["attack.t1552.004", "attack.credential-access"],
                "T1552.004",
                "credential-access",
            ),
            (
                vec![
                    "attack.T1098",
                    "attack.t1649",
                    "attack.persistence",
                    "attack.privilege_escalation",
                ],
                "T1098, T1649",
                "persistence, privilege-escalation",
            ),
            (
                vec![
                    "attack.g0016",
                    "attack.s0002",
                    "cve.2021-1234",
                    "attack.t12",
                    "attack.t1234.5",
                ],
                "",
                "",
            ),
            (vec![], "", ""),
        ] {
            let tags: Vec<String> = tags.into_iter().map(str::to_owned).collect();
            assert_eq!(
                attack(&tags),
                (techniques.to_owned(), tactics.to_owned()),
                "{tags:?}"
            );
        }
    }

    #[test]
    fn fixture_sources_render_in_kind_order() {
        for (value, want) in [
            (
                json!({"derived": ["B"], "real": ["A", "C"]}),
                Ok("real: A, C; derived: B"),
            ),
            (
                json!({"constructed": "API reference"}),
                Ok("constructed: API reference"),
            ),
            (json!({}), Ok("-")),
            (json!(["A"]), Err("must be a map")),
            (json!({"copied": ["A"]}), Err("has kind \"copied\"")),
            (json!({"real": [1]}), Err("every source must be text")),
            (json!({"real": {"a": 1}}), Err("must be a source or a list")),
        ] {
            match (fixture_source(&value), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want),
                (Err(got), Err(want)) => assert!(got.contains(want), "{got}"),
                (got, want) => panic!("{value}: {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn cells_are_escaped() {
        for (text, want) in [
            ("plain", "plain"),
            ("a|b", "a\\|b"),
            ("line\nbreak", "line\\u{a}break"),
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
        ] {
            assert_eq!(cell(text), want);
        }
        assert_eq!(code("acm-export"), "`acm-export`");
        assert_eq!(code("a`b|c"), "a`b\\|c");
    }

    #[test]
    fn services_drop_the_amazonaws_suffix() {
        for (source, want) in [
            ("acm.amazonaws.com", "acm"),
            ("ACM-PCA.AmazonAWS.com", "ACM-PCA"),
            ("signin.aws.amazon.com", "signin.aws.amazon.com"),
            (".amazonaws.com", ""),
            ("é", "é"),
        ] {
            assert_eq!(service(source), want);
        }
    }
}
