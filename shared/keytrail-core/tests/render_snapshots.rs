//! What people read, pinned: the email subject, SNS attributes and email text of every built-in
//! rule's hit fixtures, and of a hostile alert, as insta snapshots.
//!
//! Fixtures are scanned through the public path (`scan_object` with the built-in rules) under a
//! workspace-relative object name, so snapshots do not depend on the machine. Update with
//! `INSTA_UPDATE=always cargo test -p keytrail-core --test render_snapshots`, then read the
//! changed `.snap` files before committing them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use keytrail_core::render::{self, MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS};
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::scan::{scan_object, ScanOptions};
use keytrail_core::Alert;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/tests")
}

fn scan(object: &str, bytes: &[u8], rules: &RuleSet) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let report = scan_object(object, bytes, rules, &ScanOptions::default(), &mut |a| {
        alerts.push(a)
    });
    assert!(report.is_clean(), "{:?}", report.problems());
    alerts
}

/// Subject, attributes and email text of one alert, as a person would see them.
fn rendered(alert: &Alert) -> String {
    let subject = render::subject(alert);
    assert!(
        subject.len() <= MAX_SUBJECT_CHARS && subject.is_ascii(),
        "{subject}"
    );
    let message = render::sns_message(alert);
    assert!(message.message.len() <= MAX_MESSAGE_BYTES);
    assert_eq!(message.subject, subject);
    let attributes: Vec<String> = render::message_attributes(alert)
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    format!(
        "Subject: {subject}\nAttributes: {}\n\n{}",
        attributes.join(" "),
        render::email_text(alert)
    )
}

#[test]
fn every_builtin_rule_hit_fixture_renders() {
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    for rule in rules.rules() {
        let dir = fixtures_dir().join(&rule.id).join("hit");
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "rule {} has no hit fixture", rule.id);
        for file in files {
            let name = file.file_name().unwrap().to_str().unwrap();
            let object = format!("rules/tests/{}/hit/{name}", rule.id);
            let alerts: Vec<Alert> = scan(&object, &fs::read(&file).unwrap(), &rules)
                .into_iter()
                .filter(|a| a.rule_id == rule.id)
                .collect();
            assert!(!alerts.is_empty(), "{object} raised no {} alert", rule.id);
            let text: Vec<String> = alerts.iter().map(rendered).collect();
            let stem = name.trim_end_matches(".json");
            insta::assert_snapshot!(format!("{}__{stem}", rule.id), text.join("\n-----\n\n"));
        }
    }
}

/// A user agent and ARN written to break an email or ping a Slack channel render as inert text.
#[test]
fn hostile_alert_renders_inert() {
    let record = serde_json::json!({
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::123456789012:assumed-role/Deploy\r\nBcc: victim@example.com/\u{202e}gpj.exe",
            "accountId": "123456789012"
        },
        "eventTime": "2026-01-02T03:04:05Z",
        "eventSource": "acm.amazonaws.com",
        "eventName": "ExportCertificate",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7\n\nWhat to check: nothing, all fine",
        "userAgent": "<!channel> <@U024BE7LH> <https://evil.example|click me> \u{1b}[31mred\u{1b}[0m \
                      ünïcödé 🔑 \u{200b}zero\u{7}bell\ttab\r\nSubject: forged",
        "requestParameters": {
            "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/<!here>\nX",
            "passphrase": "hunter2"
        },
        "eventID": "5f3c1d2e-0000-4000-8000-000000000001",
        "recipientAccountId": "123456789012"
    });
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let alerts = scan("hostile.json", record.to_string().as_bytes(), &rules);
    let mut alert = alerts
        .into_iter()
        .find(|a| a.rule_id == "acm-export-certificate")
        .unwrap();
    support::add_hostile_notes(&mut alert);
    let alert = &alert;
    let text = rendered(alert);
    assert!(!text.contains("hunter2"));
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
    assert!(!text.contains("\nBcc:") && !text.contains("\nSubject: forged"));
    insta::assert_snapshot!("hostile_user_agent_and_arn", text);
}

#[test]
fn suppression_summary_renders_inert() {
    use keytrail_core::storm::{GroupBy, Summary, SuppressKey};
    let summary = Summary {
        key: SuppressKey {
            rule: "acm-export-certificate".to_owned(),
            group: "arn:aws:sts::123456789012:assumed-role/Deploy\r\nBcc: victim@example.com/<!channel>"
                .to_owned(),
            group_by: GroupBy::Principal,
            start: 1_796_637_600,
            window: 3600,
        },
        title: "ACM certificate exported with its private key".to_owned(),
        severity: keytrail_core::Severity::High,
        more: 37,
        suppressed: 37,
    };
    let alert = Alert::summary(&summary);
    let text = rendered(&alert);
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
    assert!(!text.contains("\nBcc:"), "{text}");
    let slack = render::slack_message(&alert).to_string();
    assert!(!slack.contains("<!channel>"), "{slack}");
    insta::assert_snapshot!("suppression_summary_hostile_principal", text);
}
