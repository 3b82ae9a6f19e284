//! The prefilter index: what it keys rules by, and that it never changes results.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{one, rule_text};
use crate::rules::index::Field;
use crate::rules::RuleSet;

#[test]
fn keys_rules_by_required_values() {
    for (detection, want) in [
        (
            "s:\n  eventName: ExportCertificate\ncondition: s",
            Some(Field::Name),
        ),
        (
            "s:\n  eventName:\n    - A\n    - B\ncondition: s",
            Some(Field::Name),
        ),
        (
            "s:\n  eventSource: acm.amazonaws.com\n  eventName|startswith: Export\ncondition: s",
            Some(Field::Source),
        ),
        ("s:\n  eventName|startswith: Export\ncondition: s", None),
        (
            "s:\n  eventName: A\nt:\n  eventSource: x\ncondition: s or t",
            None,
        ),
        (
            "s:\n  eventName: A\nt:\n  eventName: B\ncondition: s or t",
            Some(Field::Name),
        ),
        (
            "s:\n  eventName: A\nt:\n  eventName: B\ncondition: not s",
            None,
        ),
        (
            "s:\n  eventName: A\nf:\n  x: 1\ncondition: s and not f",
            Some(Field::Name),
        ),
        ("s:\n  eventName:\n    - A\n    - null\ncondition: s", None),
        ("s:\n  eventName|all:\n    - A\ncondition: s", None),
        ("s:\n  eventName|cased: A\ncondition: s", Some(Field::Name)),
        ("k:\n  - ExportCertificate\ncondition: k", None),
        (
            "s:\n  - eventName: A\n  - eventName: B\n    x: 1\ncondition: s",
            Some(Field::Name),
        ),
        ("s:\n  - eventName: A\n  - x: 1\ncondition: s", None),
    ] {
        assert_eq!(one(detection).index.route(0), want, "{detection}");
    }
}

#[test]
fn may_match_uses_the_index() {
    let set =
        one("s:\n  eventSource: acm.amazonaws.com\n  eventName: ExportCertificate\ncondition: s");
    for (source, name, want) in [
        (Some("acm.amazonaws.com"), Some("exportcertificate"), true),
        (
            Some("acm.amazonaws.com"),
            Some("DescribeCertificate"),
            false,
        ),
        (Some("kms.amazonaws.com"), None, true),
        (None, Some("Decrypt"), false),
        (None, Some("Ëxport"), true),
    ] {
        assert_eq!(set.may_match(source, name), want, "{source:?} {name:?}");
    }
    let empty = RuleSet::from_sources(Vec::<(String, String)>::new()).unwrap();
    assert!(!empty.may_match(Some("acm.amazonaws.com"), Some("ExportCertificate")));
}

/// Every JSON value in the corpus that looks like a record, plus variants that stress routing.
fn corpus_events() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let mut files = Vec::new();
    collect(&dir, &mut files);
    let mut events = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let values: Vec<Value> = match serde_json::from_str(&text) {
            Ok(v) => vec![v],
            Err(_) => text
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect(),
        };
        for v in values {
            flatten(v, &mut events);
        }
    }
    let mut variants = Vec::new();
    for event in events.iter().take(400) {
        let Some(name) = event.get("eventName").and_then(Value::as_str) else {
            continue;
        };
        for new in [
            json!(name.to_uppercase()),
            json!(name.to_lowercase()),
            json!([name, "x"]),
            Value::Null,
            json!(42),
        ] {
            let mut v = event.clone();
            v["eventName"] = new;
            variants.push(v);
        }
        let mut v = event.clone();
        if let Some(map) = v.as_object_mut() {
            map.remove("eventName");
            map.remove("eventSource");
        }
        variants.push(v);
        variants.push(json!([event]));
    }
    events.extend(variants);
    events
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "jsonl" || e == "ndjson")
        {
            out.push(path);
        }
    }
}

fn flatten(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| flatten(i, out)),
        Value::Object(mut map) => {
            if let Some(records) = map.remove("Records") {
                return flatten(records, out);
            }
            if let Some(log @ Value::Object(_)) = map.get("log").cloned() {
                out.push(log);
            }
            if let Some(detail @ Value::Object(_)) = map.get("detail").cloned() {
                out.push(detail);
            }
            out.push(Value::Object(map));
        }
        _ => {}
    }
}

/// Rules that exercise every routing case, plus SigmaHQ's CloudTrail rules and the pack.
fn rule_sources() -> Vec<(String, String)> {
    let mut sources: Vec<(String, String)> = [
        "s:\n  eventName: ConsoleLogin\ncondition: s",
        "s:\n  eventName:\n    - ExportCertificate\n    - GetCertificate\n    - Decrypt\ncondition: s",
        "s:\n  eventSource: kms.amazonaws.com\n  eventName|startswith: Gen\ncondition: s",
        "s:\n  eventName: Decrypt\nf:\n  errorCode|exists: true\ncondition: s and not f",
        "s:\n  eventName: A\nt:\n  eventSource: s3.amazonaws.com\ncondition: s or t",
        "s:\n  eventName|cased: AssumeRole\ncondition: s",
        "s:\n  eventName: CreateUser\ncondition: not s",
        "k:\n  - amazonaws\ncondition: k",
        "s:\n  eventName:\n    - 42\n    - PutObject\ncondition: s",
    ]
    .iter()
    .enumerate()
    .map(|(i, d)| (format!("synthetic{i}.yml"), rule_text(&format!("synthetic-{i}"), d)))
    .collect();
    let sigmahq = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sigmahq");
    let mut files: Vec<PathBuf> = fs::read_dir(sigmahq)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yml"));
    files.sort();
    for file in files {
        if let Ok(text) = fs::read_to_string(&file) {
            sources.push((file.display().to_string(), text));
        }
    }
    sources.extend(
        crate::rules::builtin_sources()
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned())),
    );
    sources
}

#[test]
fn index_never_changes_results() {
    let (set, _) =
        RuleSet::from_sources_lenient(rule_sources()).unwrap_or_else(|e| panic!("{e:#?}"));
    let events = corpus_events();
    assert!(
        events.len() > 500,
        "corpus at ../shared/corpus is missing: only {} events",
        events.len()
    );
    let mut matched_events = 0;
    for event in &events {
        let mut indexed = Vec::new();
        set.matches(event, &mut indexed);
        let brute: Vec<usize> = (0..set.rules().len())
            .filter(|i| set.is_match(*i, event))
            .collect();
        assert_eq!(indexed, brute, "index changed the result for {event}");
        let routing = |k: &str| event.get(k).and_then(Value::as_str);
        if !brute.is_empty() && event.is_object() {
            matched_events += 1;
            assert!(
                set.may_match(routing("eventSource"), routing("eventName")),
                "may_match hid a match: {event}"
            );
        }
    }
    assert!(
        matched_events > 100,
        "only {matched_events} events matched any rule"
    );
}
