//! Security Hub findings (ASFF) of the built-in rules: every hit fixture of every rule yields a
//! finding within the ASFF limits, and one finding per rule family (the rule id's first word:
//! `acm`, `kms`, `cloudtrail`, ...) plus the integrity family is pinned as an insta snapshot.
//! The fuzz inputs are held to the same limits through `fuzzing::check_alert`
//! (`tests/fuzz_seeds.rs`). Update with
//! `INSTA_UPDATE=always cargo test -p keytrail-core --test asff`, then read the changed `.snap`
//! files before committing them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use keytrail_core::alert::asff::{self, Product};
use keytrail_core::integrity::Timestamp;
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::scan::{scan_object, ScanOptions};
use keytrail_core::Alert;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/tests")
}

fn product() -> Product {
    Product::default_for("111122223333", "us-east-1")
}

fn now() -> Timestamp {
    Timestamp::parse("2026-06-10T21:00:00Z").unwrap()
}

/// Every (rule id, object name, alerts of that rule) of the built-in hit fixtures.
fn hit_alerts() -> Vec<(String, String, Vec<Alert>)> {
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let mut out = Vec::new();
    for rule in rules.rules() {
        let dir = fixtures_dir().join(&rule.id).join("hit");
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_str().unwrap();
            let object = format!("rules/tests/{}/hit/{name}", rule.id);
            let mut alerts = Vec::new();
            scan_object(
                &object,
                fs::read(&file).unwrap().as_slice(),
                &rules,
                &ScanOptions::default(),
                &mut |a| alerts.push(a),
            );
            alerts.retain(|a| a.rule_id == rule.id);
            out.push((rule.id.clone(), object, alerts));
        }
    }
    out
}

#[test]
fn every_builtin_hit_fixture_yields_a_valid_finding() {
    let mut findings = 0;
    for (rule, object, alerts) in hit_alerts() {
        assert!(!alerts.is_empty(), "{object} raised no {rule} alert");
        for alert in &alerts {
            let finding = asff::finding(alert, &product(), now());
            asff::validate(&finding).unwrap_or_else(|e| panic!("{object}: {e}"));
            assert_eq!(finding.id, alert.alert_id);
            assert_eq!(finding.generator_id, rule);
            findings += 1;
        }
    }
    assert!(findings >= 79, "{findings} findings");
}

#[test]
fn one_finding_per_rule_family() {
    let mut families: BTreeMap<String, Alert> = BTreeMap::new();
    for (rule, _, alerts) in hit_alerts() {
        let family = rule.split('-').next().unwrap().to_owned();
        families.entry(family).or_insert_with(|| alerts[0].clone());
    }
    families.insert(
        "integrity".to_owned(),
        Alert::integrity(
            "s3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2026/06/10/x.json.gz",
            "gzip stream truncated at byte 4096",
        ),
    );
    assert!(families.len() >= 10, "{:?}", families.keys());
    for (family, alert) in families {
        let finding = asff::finding(&alert, &product(), now());
        asff::validate(&finding).unwrap();
        insta::assert_snapshot!(
            format!("asff__{family}"),
            serde_json::to_string_pretty(&finding).unwrap()
        );
    }
}
