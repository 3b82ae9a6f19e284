//! The pack's built-in correlations (rules/*.yml with `correlation:`) against their hit and
//! miss fixtures under rules/tests/, through `rules::fixtures` (what `keytrail rules test`
//! runs), with every other rule's fixtures.
#![allow(clippy::unwrap_used)] // a failure fails the test

use std::path::Path;

use keytrail_core::rules::{fixtures, LoadOptions, RuleSet};
use keytrail_core::Severity;

#[test]
fn every_fixture_of_the_pack_passes_correlations_included() {
    let set = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/tests");
    let report = fixtures::run(&dir, &set, &|_| true);
    let failures: Vec<String> = report
        .results
        .iter()
        .filter_map(|r| {
            r.failure
                .as_ref()
                .map(|f| format!("{}: {f}", r.file.display()))
        })
        .chain(report.problems.iter().cloned())
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let want = [
        ("acm-bulk-export", Severity::Critical),
        ("cloudtrail-tamper-then-key-taken", Severity::Critical),
        ("acme-eab-then-new-account", Severity::High),
        ("kms-decrypt-acm-key-several-ips", Severity::High),
    ];
    for (id, level) in want {
        let correlation = set.correlations().list().find(|c| c.rule.id == id).unwrap();
        assert_eq!(correlation.rule.level, level, "{id}");
        let ran = |hit: bool| {
            report
                .results
                .iter()
                .filter(|r| r.rule_id == id && r.expect_hit == hit)
                .count()
        };
        assert!(
            ran(true) >= 1 && ran(false) >= 3,
            "{id}: {} hit, {} miss fixtures",
            ran(true),
            ran(false)
        );
    }
    // The tamper correlation's two steps only feed it: no fixtures, no alerts of their own.
    for step in ["cloudtrail-tampered", "key-material-taken"] {
        let j = set
            .correlations()
            .list()
            .position(|c| c.rule.id == step)
            .unwrap();
        assert!(set.correlations().is_silent_correlation(j), "{step}");
    }
}
