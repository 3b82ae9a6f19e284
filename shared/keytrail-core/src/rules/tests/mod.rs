//! Engine tests through the public API: matching semantics, loading, and the prefilter.

mod hostile;
mod loading;
mod modifier_cases;
mod prefilter;
mod routed_screen;
mod semantics;

use super::{LoadOptions, RuleSet};

/// A rule file with this detection (unindented YAML lines).
pub(super) fn rule_text(id: &str, detection: &str) -> String {
    let body: String = detection.lines().map(|l| format!("    {l}\n")).collect();
    format!("title: rule {id}\nid: {id}\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n{body}")
}

/// A set of one rule with this detection.
pub(super) fn one(detection: &str) -> RuleSet {
    match RuleSet::load(&LoadOptions::from_sources([(
        "r.yml",
        rule_text("r", detection),
    )])) {
        Ok(loaded) => loaded.set,
        Err(e) => panic!("{detection}\n{e:?}"),
    }
}
