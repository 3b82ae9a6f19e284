//! `keytrail rules eventbridge-pattern` and `rules list --format markdown` with user rules: the
//! pattern follows the loaded rules, names what it cannot cover, and says which sources the
//! template needs beyond the pack's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

mod support;
use support::keytrail;

/// A user rule on another service (STS), with ATT&CK tags and no fixture_source.
const STS_RULE: &str = "title: Role assumed from outside\nid: custom-sts-assume-role\nlevel: low\n\
    tags: [attack.t1078.004, attack.initial-access]\n\
    logsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    \
    eventSource: sts.amazonaws.com\n    eventName: AssumeRole\n  condition: s\n";

/// A user rule whose condition names no eventSource: no pattern can cover it.
const NAME_ONLY_RULE: &str = "title: Trail stopped\nid: custom-stop-logging\nlevel: high\n\
    logsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    \
    eventName: StopLogging\n  condition: s\n";

fn dir_with(rules: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in rules {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn sources(stdout: &[u8]) -> Vec<String> {
    let pattern: Value = serde_json::from_slice(stdout).unwrap();
    assert_eq!(
        pattern["detail-type"],
        serde_json::json!(["AWS API Call via CloudTrail"])
    );
    pattern["detail"]["eventSource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// The built-in pack's pattern, as printed.
#[test]
fn builtin_pattern() {
    let out = keytrail(&["rules", "eventbridge-pattern"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

/// `--rules DIR` adds the user's sources; a rule without an eventSource is named on stderr, and
/// so is the template parameter value for the sources the pack lacks.
#[test]
fn user_rules_extend_the_pattern_and_uncovered_rules_are_named() {
    let dir = dir_with(&[("sts.yml", STS_RULE), ("stop.yml", NAME_ONLY_RULE)]);
    let out = keytrail(&[
        "rules",
        "eventbridge-pattern",
        "--rules",
        dir.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let listed = sources(&out.stdout);
    assert!(
        listed.contains(&"sts.amazonaws.com".to_owned()),
        "{listed:?}"
    );
    assert!(
        listed.contains(&"acm.amazonaws.com".to_owned()),
        "{listed:?}"
    );
    assert!(stderr.contains("1 rules name no eventSource"), "{stderr}");
    assert!(stderr.contains("custom-stop-logging ("), "{stderr}");
    assert!(!stderr.contains("custom-sts-assume-role"), "{stderr}");
    assert!(
        stderr.contains("ApiCallExtraEventSources=sts.amazonaws.com\n"),
        "{stderr}"
    );
}

/// Only rules without an eventSource: there is no pattern to print.
#[test]
fn no_event_source_at_all_is_an_error() {
    let dir = dir_with(&[("stop.yml", NAME_ONLY_RULE)]);
    let out = keytrail(&[
        "rules",
        "eventbridge-pattern",
        "--no-builtin",
        "--rules",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no loaded rule names an eventSource"),
        "{stderr}"
    );
}

/// User rules get rows too: their tags become techniques and tactics, a missing eventSource is
/// `(any)`, a missing fixture_source `-`.
#[test]
fn markdown_list_shows_user_rules() {
    let dir = dir_with(&[("sts.yml", STS_RULE), ("stop.yml", NAME_ONLY_RULE)]);
    let out = keytrail(&[
        "rules",
        "list",
        "--format",
        "markdown",
        "--no-builtin",
        "--rules",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}
