//! Loading: metadata, filters, duplicates, unsupported features and error messages.

use serde_json::json;

use super::rule_text;
use crate::rules::{builtin_sources, LoadOptions, Loaded, RuleError, RuleSet};
use crate::Severity;

fn errors(sources: &[(&str, String)]) -> Vec<String> {
    match RuleSet::load(&LoadOptions::from_sources(sources.iter().cloned())) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

const EXPORT: &str = "\
title: ACM certificate exported
id: acm-export
name: acm_export
status: test
author: keytrail
date: 2024-01-02
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: acm.amazonaws.com
        eventName: ExportCertificate
    condition: selection
falsepositives: Renewal jobs
runbook: Ask the owner.
suppression:
    notes: [a, b]
";

#[test]
fn metadata_defaults_and_custom_attributes() {
    let set = RuleSet::load(&LoadOptions::from_sources([("export.yml", EXPORT)]))
        .unwrap()
        .set;
    let rule = &set.rules()[0];
    assert_eq!(
        (rule.id.as_str(), rule.level, rule.file.as_str()),
        ("acm-export", Severity::Medium, "export.yml")
    );
    assert_eq!(rule.falsepositives, ["Renewal jobs"]);
    let info = set.info(0).unwrap();
    assert_eq!(info.name.as_deref(), Some("acm_export"));
    assert_eq!(info.date.as_deref(), Some("2024-01-02"));
    assert_eq!(info.logsource.service.as_deref(), Some("cloudtrail"));
    assert_eq!(info.custom["runbook"], json!("Ask the owner."));
    assert_eq!(info.custom["suppression"], json!({"notes": ["a", "b"]}));
    assert!(set.info(1).is_none());
}

#[test]
fn filters_allowlist_without_editing_the_rule() {
    let by_id = "title: export role may export\nid: allow-1\nfilter:\n    rules:\n        - acm-export\n    \
                 selection:\n        userIdentity.arn|contains: ':assumed-role/cert-exporter/'\n    condition: not selection\n";
    let by_name = by_id
        .replace("- acm-export", "- acm_export")
        .replace("allow-1", "allow-2");
    for filter in [by_id.to_owned(), by_name] {
        let set = RuleSet::load(&LoadOptions::from_sources([
            ("export.yml", EXPORT.to_owned()),
            ("allow.yml", filter),
        ]))
        .unwrap()
        .set;
        let event = |arn: &str| json!({"eventSource": "acm.amazonaws.com", "eventName": "ExportCertificate", "userIdentity": {"arn": arn}});
        assert!(!set.is_match(
            0,
            &event("arn:aws:sts::1:assumed-role/cert-exporter/renewal")
        ));
        assert!(set.is_match(0, &event("arn:aws:iam::1:user/mallory")));
        assert_eq!(set.rules().len(), 1, "a filter is not a rule");
    }
}

#[test]
fn invalid_files_name_the_problem() {
    let unknown_target = "title: f\nid: f1\nfilter:\n    rules: [nope]\n    sel:\n        a: 1\n    condition: not sel\n";
    for (text, want) in [
        ("title: [", "x.yml: not valid YAML"),
        ("", "x.yml: holds no rule: remove the file or write a rule in it"),
        ("title: t\ndetection:\n    sel:\n        a: 1\n    condition: sel\n", "x.yml: needs both an id (a UUID) and a title"),
        (&rule_text("r1", "sel:\n  a: 1\ncondition: sel and filter"),
            "x.yml: rule r1 (rule r1): condition \"sel and filter\": search 'filter' is not defined: define it under detection or fix the condition"),
        (&rule_text("r1", "sel:\n  a: 1"), "x.yml: rule r1 (rule r1): detection has no condition: add `condition: selection`"),
        (&rule_text("r1", "sel:\n  a|re: '('\ncondition: sel"), "x.yml: rule r1 (rule r1): search 'sel': field \"a|re\": regex \"(\" does not compile"),
        (&rule_text("r1", "sel:\n  a|exists: maybe\ncondition: sel"), "x.yml: rule r1 (rule r1): search 'sel': field \"a|exists\": '|exists' needs true or false"),
        (&rule_text("r1", "sel:\n  a|contains|startswith: x\ncondition: sel"), "x.yml: rule r1 (rule r1): search 'sel': field \"a|contains|startswith\": modifier 'startswith' conflicts"),
        (&rule_text("r1", "sel:\n  a|cidr: 10.0.0.0/99\ncondition: sel"), "x.yml: rule r1 (rule r1): search 'sel': field \"a|cidr\": \"10.0.0.0/99\" is not a CIDR network"),
        (&rule_text("r1", "sel:\n  - a: 1\n  - b\ncondition: sel"), "x.yml: rule r1 (rule r1): search 'sel': mixes maps and plain values"),
        (&format!("{}level: severe\n", rule_text("r1", "sel:\n  a: 1\ncondition: sel")), "x.yml: rule r1 (rule r1): unknown severity \"severe\""),
        (&rule_text("r1", "sel:\n  a: 1\ncondition: sel").replace("cloudtrail", "sysmon"),
            "x.yml: rule r1 (rule r1) is for logsource product: aws, service: sysmon, not product: aws, service: cloudtrail"),
        (unknown_target, "x.yml: filter f1 (f) names rule nope, which is not loaded"),
    ] {
        let got = errors(&[("x.yml", text.to_owned())]);
        assert!(got.len() == 1 && got[0].starts_with(want), "want {want:?}\ngot {got:?}");
    }
    let dup = errors(&[
        ("a.yml", rule_text("same", "s:\n  a: 1\ncondition: s")),
        ("b.yml", rule_text("same", "s:\n  b: 1\ncondition: s")),
    ]);
    assert_eq!(
        dup,
        ["b.yml: id same is also used by a.yml: give every rule and filter its own id"]
    );
}

/// Every modelled key of the wrong shape is named in keytrail's words (not serde's), with the
/// file and the rule; keys that are not strings are left out, and a tagged custom attribute is
/// kept as its value.
#[test]
fn misshapen_keys_are_named_and_custom_attributes_kept() {
    let body = rule_text("r1", "sel:\n  a: 1\ncondition: sel");
    let rule = |extra: &str| format!("{extra}\n{body}");
    let no_detection = |extra: &str| format!("title: rule r1\nid: r1\n{extra}\n");
    for (text, want) in [
        (
            rule("tags: {a: 1}"),
            "x.yml: rule r1 (rule r1): tags must be a single value, not a list or map",
        ),
        (
            rule("tags: [a, [b]]"),
            "x.yml: rule r1 (rule r1): tags must be a list of strings",
        ),
        (
            rule("description: [x]"),
            "x.yml: rule r1 (rule r1): description must be a single value, not a list or map",
        ),
        (
            body.replace("id: r1", "id: [r1]"),
            "x.yml: id must be a single value, not a list or map",
        ),
        (
            body.replace("    product: aws", "    product: [aws]"),
            "x.yml: rule r1 (rule r1): product must be a single value, not a list or map",
        ),
        (
            no_detection("logsource: 5\ndetection:\n    s:\n        a: 1\n    condition: s"),
            "x.yml: rule r1 (rule r1): logsource must be a map (product: aws, service: cloudtrail)",
        ),
        (
            rule("filter: ~"),
            "x.yml: rule r1 (rule r1): filter must be a map",
        ),
        (
            no_detection("filter: [x]"),
            "x.yml: rule r1 (rule r1): filter must be a map",
        ),
        (
            no_detection("filter:\n    rules: {a: 1}"),
            "x.yml: rule r1 (rule r1): rules must be a single value, not a list or map",
        ),
        (
            no_detection("detection: ~"),
            "x.yml: rule r1 (rule r1): needs a detection map (or a filter map, for a Sigma filter)",
        ),
        (
            "- a\n- b\n".to_owned(),
            "x.yml: must be a YAML map of rule keys (title, id, detection...)",
        ),
    ] {
        let got = errors(&[("x.yml", text.clone())]);
        assert_eq!(got, [want], "{text}");
    }
    let text =
        rule("1: one\n? [a, b]\n: c\nrunbook: !tag look it up\nfalsepositives: 3\nmodified: 1.0");
    let set = RuleSet::load(&LoadOptions::from_sources([("x.yml", text)]))
        .unwrap()
        .set;
    let info = set.info(0).unwrap();
    assert_eq!(info.custom.keys().collect::<Vec<_>>(), ["runbook"]);
    assert_eq!(info.custom["runbook"], json!("look it up"));
    assert_eq!(info.modified.as_deref(), Some("1.0"));
    assert_eq!(set.rules()[0].falsepositives, ["3"]);
}

#[test]
fn unsupported_features_are_named_and_skipped_only_when_lenient() {
    let cases = [
        (rule_text("u1", "sel:\n  ip|expand: '%ips%'\ncondition: sel"), "modifier 'expand' at line 8"),
        (rule_text("u2", "sel:\n  cmd|utf16le|base64: x\ncondition: sel"), "modifier 'utf16le' at line 8"),
        (rule_text("u3", "sel:\n  a: 1\ncondition: sel | count() by b < 5"), "an aggregation ('| count() by b < 5')"),
        (rule_text("u4", "sel:\n  a: 1\nsel2:\n  b: 1\ncondition: sel near sel2"), "the 'near' operator"),
        ("title: c\nid: u5\ncorrelation:\n    type: value_sum\n".to_owned(), "correlation type 'value_sum'"),
        ("title: g\nid: u6\naction: global\n---\ndetection:\n    s:\n        a: 1\n    condition: s\n".to_owned(), "a rule collection ('action:')"),
    ];
    let good = (
        "good.yml".to_owned(),
        rule_text("ok", "s:\n  a: 1\ncondition: s"),
    );
    let mut sources = vec![good];
    sources.extend(
        cases
            .iter()
            .enumerate()
            .map(|(i, (text, _))| (format!("u{i}.yml"), text.clone())),
    );
    let strict = RuleSet::load(&LoadOptions::from_sources(sources.clone())).unwrap_err();
    assert_eq!(strict.len(), cases.len());
    assert!(strict.iter().all(RuleError::is_unsupported));
    let lenient = |sources| LoadOptions {
        strict: false,
        ..LoadOptions::from_sources(sources)
    };
    let Loaded { set, skipped } = RuleSet::load(&lenient(sources)).unwrap();
    assert_eq!(set.rules().len(), 1);
    for ((_, feature), err) in cases.iter().zip(&skipped) {
        let text = err.to_string();
        assert!(
            text.contains(&format!("uses {feature}, which keytrail does not support")),
            "{text}"
        );
    }
    let filter =
        "title: f\nid: f9\nfilter:\n    rules: [u1]\n    s:\n        a: 2\n    condition: not s\n";
    let skipped = RuleSet::load(&lenient(vec![
        ("u.yml".to_owned(), cases[0].0.clone()),
        ("f.yml".to_owned(), filter.to_owned()),
    ]))
    .unwrap()
    .skipped;
    assert_eq!(skipped.len(), 2);
    assert!(matches!(&skipped[1], RuleError::SkippedTarget { target, .. } if target == "u1"));
}

#[test]
fn builtin_pack_loads() {
    let set = RuleSet::load(&LoadOptions::default())
        .unwrap_or_else(|e| panic!("built-in rules failed: {e:#?}"))
        .set;
    assert!(set.rules().len() <= builtin_sources().len());
    let mut names: Vec<&str> = builtin_sources().iter().map(|(n, _)| *n).collect();
    assert!(names
        .iter()
        .all(|n| n.starts_with("rules/") && !n.starts_with("rules/tests/")));
    let sorted = names.clone();
    names.sort_unstable();
    assert_eq!(names, sorted);
    assert!(set
        .rules()
        .iter()
        .all(|r| r.file.starts_with("builtin:rules/")));
}
