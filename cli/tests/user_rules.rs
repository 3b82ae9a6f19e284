//! User rules through the CLI: `--rules DIR` with a custom rule and an allowlist filter, and
//! `keytrail rules test DIR`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

mod support;
use support::{alerts, corpus, count, keytrail, repo};

/// A user rule: any ListCertificates call.
const LIST_RULE: &str = "title: Certificates listed\nid: custom-list-certificates\nlevel: low\n\
    logsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  s:\n    \
    eventName: ListCertificates\n  condition: s\n";

/// Everything the command printed, stdout then stderr.
fn printed(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `--rules DIR` adds a user rule and an allowlist filter for a built-in rule, without editing
/// the pack: the filter silences exactly the allowed principal's export.
#[test]
fn user_rules_and_allowlist_filters_from_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("custom.yml"), LIST_RULE).unwrap();
    let example = std::fs::read_to_string(
        repo().join("rules/examples/allow-export-by-deploy-role.yml"),
    )
    .unwrap()
    .replace(
        "userIdentity.arn|startswith: 'arn:aws:sts::111122223333:assumed-role/cert-deployer/'",
        "userIdentity.arn: 'arn:aws:iam::123456789012:user/Alice'",
    );
    assert!(
        example.contains("user/Alice"),
        "the example's selection moved"
    );
    let acm = corpus().join("awsdocs/acm");
    let export = acm.join("acm-supported-actions-in-cloudtrail__03__acm__ExportCertificate.json");
    let list = acm.join("acm-supported-actions-in-cloudtrail__05__acm__ListCertificates.json");
    let (export, list) = (export.to_str().unwrap(), list.to_str().unwrap());
    let rules = dir.path().to_str().unwrap();
    let scan_with_rules = || {
        keytrail(&[
            "scan",
            "--format",
            "jsonl",
            "--rules",
            rules,
            "events/trail",
            export,
            list,
        ])
    };

    // Without the directory: the export alerts, the listing does not.
    let out = keytrail(&["scan", "--format", "jsonl", "events/trail", export, list]);
    let before = alerts(&out);
    let exports = |a: &[Value]| {
        a.iter()
            .filter(|a| a["rule_id"] == "acm-export-certificate")
            .map(|a| a["principal"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(
        exports(&before).iter().any(|p| p.ends_with("user/Alice")),
        "{before:?}"
    );
    assert_eq!(count(&before, "ListCertificates"), 0);

    // With the rule only: the listing alerts too.
    let out = scan_with_rules();
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let with_rule = alerts(&out);
    let listed = count(&with_rule, "ListCertificates");
    assert!(listed >= 1, "{with_rule:?}");
    assert!(with_rule
        .iter()
        .any(|a| a["rule_id"] == "custom-list-certificates"));

    // With the allowlist as well: Alice's exports are silenced, nobody else's.
    std::fs::write(dir.path().join("allow.yml"), example).unwrap();
    let out = scan_with_rules();
    let allowed = alerts(&out);
    let alice = |a: &[Value]| {
        exports(a)
            .iter()
            .filter(|p| p.ends_with("user/Alice"))
            .count()
    };
    assert_eq!(alice(&allowed), 0, "{allowed:?}");
    assert_eq!(
        exports(&allowed).len(),
        exports(&before).len() - alice(&before)
    );
    assert_eq!(count(&allowed, "ListCertificates"), listed);
}

/// `keytrail rules test DIR` fails a user rule that lacks a miss fixture, and passes once both
/// kinds exist and hold.
#[test]
fn rules_test_dir_needs_a_hit_and_a_miss_per_rule() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("custom.yml"), LIST_RULE).unwrap();
    let fixtures = dir.path().join("tests/custom-list-certificates");
    std::fs::create_dir_all(fixtures.join("hit")).unwrap();
    std::fs::write(
        fixtures.join("hit/list.json"),
        r#"{"eventSource":"acm.amazonaws.com","eventName":"ListCertificates","eventID":"1"}"#,
    )
    .unwrap();
    let run = || keytrail(&["rules", "test", dir.path().to_str().unwrap()]);

    let out = run();
    let text = printed(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("has no miss fixture"), "{text}");

    // A miss fixture that the rule does match fails too.
    std::fs::create_dir_all(fixtures.join("miss")).unwrap();
    let miss = fixtures.join("miss/describe.json");
    std::fs::write(
        &miss,
        r#"{"eventSource":"acm.amazonaws.com","eventName":"ListCertificates","eventID":"2"}"#,
    )
    .unwrap();
    assert_eq!(run().status.code(), Some(1));

    std::fs::write(
        &miss,
        r#"{"eventSource":"acm.amazonaws.com","eventName":"DescribeCertificate","eventID":"2"}"#,
    )
    .unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
}

/// `keytrail rules test DIR` checks a rule's `keytrail-suppress` field as the Lambda's cold start
/// does: a valid window on a low rule passes; an invalid value, or a high rule without the
/// `:severe` opt-in, fails with a line naming the rule.
#[test]
fn rules_test_checks_the_suppression_field() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("tests/custom-list-certificates");
    for (kind, name) in [("hit", "ListCertificates"), ("miss", "DescribeCertificate")] {
        std::fs::create_dir_all(fixtures.join(kind)).unwrap();
        std::fs::write(
            fixtures.join(kind).join("e.json"),
            format!(r#"{{"eventSource":"acm.amazonaws.com","eventName":"{name}","eventID":"1"}}"#),
        )
        .unwrap();
    }
    let with = |field: &str, level: &str| {
        let rule = LIST_RULE.replace("level: low\n", &format!("level: {level}\n{field}\n"));
        std::fs::write(dir.path().join("custom.yml"), rule).unwrap();
        let out = keytrail(&["rules", "test", dir.path().to_str().unwrap()]);
        (out.status.code(), printed(&out))
    };
    let (code, text) = with("keytrail-suppress: 1h", "low");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("0 rule problems"), "{text}");

    let (code, text) = with("keytrail-suppress: banana", "low");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("FAIL rule custom-list-certificates")
            && text.contains(r#"keytrail-suppress "banana" is invalid"#),
        "{text}"
    );
    assert!(text.contains("1 rule problems"), "{text}");

    let (code, text) = with("keytrail-suppress: 1h", "high");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(r#"rule "custom-list-certificates", which is high"#)
            && text.contains(":severe"),
        "{text}"
    );
    let (code, text) = with("keytrail-suppress: '1h:severe'", "high");
    assert_eq!(code, Some(0), "{text}");
}
