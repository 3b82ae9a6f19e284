//! keytrail's OCSF findings against the OCSF schema's own definitions, vendored under
//! `tests/ocsf/schema/` (OCSF 1.8.0, Apache-2.0; provenance in `schema/PROVENANCE.md`).
//!
//! Every finding the mapping makes (every built-in rule's hit fixtures, the render fuzz corpus
//! under a match-anything rule, the integrity alert, a correlation alert, a hostile alert) is
//! checked by [`checker::Schema::check`] and read back, by `alert_from_finding`, as the very
//! alert it was made from (nothing lost); the checker itself is shown to fail on planted
//! mistakes. One finding per rule family is pinned as an insta snapshot. Update with
//! `INSTA_UPDATE=always cargo test -p keytrail-core --test ocsf`, then read the changed `.snap`
//! files before committing them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod checker;
#[path = "../support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use keytrail_core::alert::ocsf::{alert_from_finding, finding, OCSF_VERSION};
use keytrail_core::correlate::Correlated;
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::scan::{scan_object, ScanOptions};
use keytrail_core::Alert;
use serde_json::{json, Value};

use checker::Schema;

/// The `now` of every finding here (only alerts without an event time use it).
const NOW: i64 = 1_767_225_600_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The vendored schema, or the OCSF source tree `OCSF_SCHEMA_DIR` names (to see what another
/// version says of keytrail's findings; the version test then fails, as it should).
fn schema() -> Schema {
    match std::env::var_os("OCSF_SCHEMA_DIR") {
        Some(dir) => Schema::load(Path::new(&dir)),
        None => Schema::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ocsf/schema")),
    }
}

fn scan(object: &str, bytes: &[u8], rules: &RuleSet) -> Vec<Alert> {
    let mut alerts = Vec::new();
    scan_object(object, bytes, rules, &ScanOptions::default(), &mut |a| {
        alerts.push(a)
    });
    alerts
}

/// Every built-in rule's hit fixtures, by rule id: (object name, alerts of that rule).
fn fixture_alerts(rules: &RuleSet) -> BTreeMap<String, Vec<(String, Vec<Alert>)>> {
    let mut out: BTreeMap<String, Vec<(String, Vec<Alert>)>> = BTreeMap::new();
    for rule in rules.rules() {
        let dir = root().join("rules/tests").join(&rule.id).join("hit");
        let Ok(entries) = fs::read_dir(&dir) else {
            continue; // a rule that only feeds correlations
        };
        let mut files: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_str().unwrap();
            let object = format!("rules/tests/{}/hit/{name}", rule.id);
            let alerts: Vec<Alert> = scan(&object, &fs::read(&file).unwrap(), rules)
                .into_iter()
                .filter(|a| a.rule_id == rule.id)
                .collect();
            out.entry(rule.id.clone())
                .or_default()
                .push((object, alerts));
        }
    }
    out
}

/// An alert of every built-in correlation, as the engine would raise it.
fn correlation_alerts(rules: &RuleSet) -> Vec<Alert> {
    rules
        .correlations()
        .list()
        .map(|c| {
            let hit = Correlated {
                alert_id: format!("corr-{}", c.rule.id),
                correlation: 0,
                group: vec![
                    (
                        "userIdentity.arn".to_owned(),
                        "arn:aws:iam::123456789012:user/Alice".to_owned(),
                    ),
                    ("recipientAccountId".to_owned(), "123456789012".to_owned()),
                    ("sourceIPAddress".to_owned(), "198.51.100.7".to_owned()),
                ],
                window: (1_767_222_000, 1_767_225_600),
                count: 3,
                event_ids: vec!["e-1".into(), "e-2".into(), "e-3".into()],
                last_time: 1_767_225_000,
            };
            Alert::correlation(c, &hit, &["s3://trail/a.json.gz".to_owned()])
        })
        .collect()
}

/// `alert`'s finding, checked against the schema and read back as the same alert.
fn assert_valid(schema: &Schema, alert: &Alert, context: &str) -> Value {
    let f = finding(alert, NOW);
    let problems = schema.check("detection_finding", &f);
    assert!(problems.is_empty(), "{context}: {problems:#?}\n{f:#}");
    assert_eq!(
        alert_from_finding(&f).as_ref(),
        Some(alert),
        "{context}: the finding does not read back as its alert"
    );
    f
}

#[test]
fn the_vendored_schema_is_the_version_findings_claim() {
    assert_eq!(schema().version(), OCSF_VERSION);
}

#[test]
fn every_builtin_rule_fixture_maps_to_a_valid_finding() {
    let schema = schema();
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let mut checked = 0;
    for (rule, fixtures) in fixture_alerts(&rules) {
        for (object, alerts) in fixtures {
            assert!(!alerts.is_empty(), "{object} raised no {rule} alert");
            for alert in &alerts {
                assert_valid(&schema, alert, &object);
                checked += 1;
            }
        }
    }
    let extra = correlation_alerts(&rules);
    assert!(extra.len() >= 4, "{} correlations", extra.len());
    for alert in &extra {
        let f = assert_valid(&schema, alert, &alert.rule_id);
        assert_eq!(
            f["finding_info"]["first_seen_time"],
            json!(1_767_222_000_000_i64)
        );
        checked += 1;
    }
    let integrity = Alert::integrity("s3://trail/k.json.gz", "gzip stream truncated at byte 42");
    assert_valid(&schema, &integrity, "integrity");
    let mut hostile = extra[0].clone();
    support::add_hostile_notes(&mut hostile);
    assert_valid(&schema, &hostile, "hostile notes");
    assert!(checked > 80, "only {checked} findings checked");
}

#[test]
fn the_render_fuzz_corpus_maps_to_valid_findings() {
    let schema = schema();
    let any = RuleSet::load(&LoadOptions::from_sources([(
        "any-event.yml",
        "title: Any event\nid: any-event\nlogsource: {product: aws, service: cloudtrail}\n\
         detection:\n  selection:\n    eventName|exists: true\n  condition: selection\nlevel: high\n",
    )]))
    .unwrap()
    .set;
    let builtin = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let dir = root().join("fuzz/corpus/render");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut checked = 0;
    for file in &files {
        let bytes = fs::read(file).unwrap();
        let name = file.display().to_string();
        for rules in [&any, &builtin] {
            for alert in scan(&name, &bytes, rules) {
                assert_valid(&schema, &alert, &name);
                checked += 1;
            }
        }
    }
    assert!(
        files.len() >= 5 && checked >= files.len(),
        "{checked} findings of {} files",
        files.len()
    );
}

#[test]
fn the_checker_catches_planted_mistakes() {
    let schema = schema();
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let alerts = fixture_alerts(&rules);
    let alert = &alerts["acm-export-certificate"][0].1[0];
    let good = finding(alert, NOW);
    assert!(schema.check("detection_finding", &good).is_empty());
    type Plant = fn(&mut Value);
    let plants: [(&str, Plant, &str); 14] = [
        (
            "a field the class does not have",
            |f| f["rule_id"] = json!("x"),
            "rule_id: unknown attribute",
        ),
        (
            "a field the object does not have",
            |f| f["finding_info"]["rule"] = json!("x"),
            "finding_info.rule: unknown attribute",
        ),
        (
            "a required field missing",
            |f| {
                f["finding_info"].as_object_mut().unwrap().remove("uid");
            },
            "finding_info.uid: required, missing",
        ),
        (
            "a required nested field missing",
            |f| {
                f["finding_info"]["analytic"]
                    .as_object_mut()
                    .unwrap()
                    .remove("type_id");
            },
            "finding_info.analytic.type_id: required, missing",
        ),
        (
            "a time as text",
            |f| f["time"] = json!("2019-06-28T18:51:22Z"),
            "time: \"2019-06-28T18:51:22Z\" is not a timestamp_t",
        ),
        (
            "a severity out of its enum",
            |f| f["severity_id"] = json!(7),
            "severity_id: 7 is not one of its enum values",
        ),
        (
            "a caption that is not the id's",
            |f| f["severity"] = json!("Severe"),
            "severity: \"Severe\", not the caption",
        ),
        (
            "a type_uid that does not add up",
            |f| f["type_uid"] = json!(200_402),
            "type_uid: 200402, not 200401",
        ),
        (
            "an array where one object goes",
            |f| f["cloud"] = json!([{"provider": "AWS"}]),
            "cloud: [{\"provider\":\"AWS\"}] is not an object",
        ),
        (
            "one object where an array goes",
            |f| f["evidences"] = f["evidences"][0].clone(),
            "evidences: is not an array",
        ),
        (
            "a host name as an IP address",
            |f| f["evidences"][0]["src_endpoint"]["ip"] = json!("acm.amazonaws.com"),
            "does not match ip_t's pattern",
        ),
        (
            "a profile attribute without its profile",
            |f| {
                f["metadata"].as_object_mut().unwrap().remove("profiles");
            },
            "cloud: belongs to profile cloud, not declared",
        ),
        (
            "a deprecated attribute",
            |f| f["finding_info"]["attacks"][0]["tactics"] = json!([]),
            "tactics: deprecated",
        ),
        ("a null", |f| f["message"] = Value::Null, "message: null"),
    ];
    for (what, plant, want) in plants {
        let mut bad = good.clone();
        plant(&mut bad);
        let problems = schema.check("detection_finding", &bad);
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "{what}: want a problem containing {want:?}, got {problems:#?}"
        );
    }
}

#[test]
fn one_finding_per_rule_family_is_pinned() {
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let mut families: BTreeMap<String, Alert> = BTreeMap::new();
    for (rule, fixtures) in fixture_alerts(&rules) {
        let family = rule.split('-').next().unwrap().to_owned();
        if let Some(alert) = fixtures.first().and_then(|(_, a)| a.first()) {
            families.entry(family).or_insert_with(|| alert.clone());
        }
    }
    families.insert("correlation".into(), correlation_alerts(&rules).remove(0));
    families.insert(
        "integrity".into(),
        Alert::integrity("s3://trail/k.json.gz", "gzip stream truncated at byte 42"),
    );
    assert!(families.len() >= 14, "{:?}", families.keys());
    for (family, alert) in families {
        let mut f = finding(&alert, NOW);
        // The crate's version changes with every release; the snapshot pins the rest.
        f["metadata"]["product"]["version"] = json!("[version]");
        insta::assert_json_snapshot!(family, f);
    }
}
