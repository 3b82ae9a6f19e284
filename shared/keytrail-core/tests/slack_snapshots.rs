//! What Slack receives, pinned: the Block Kit message of every built-in rule's hit fixtures, and
//! of a hostile alert, as insta snapshots.
//!
//! Fixtures are scanned through the public path (`scan_object` with the built-in rules) under a
//! workspace-relative object name, so snapshots do not depend on the machine. Update with
//! `INSTA_UPDATE=always cargo test -p keytrail-core --test slack_snapshots`, then read the
//! changed `.snap` files before committing them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use keytrail_core::render::slack::{
    slack_message, MAX_BLOCKS, MAX_FIELDS, MAX_FIELD_CHARS, MAX_HEADER_CHARS, MAX_SECTION_CHARS,
};
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::scan::{scan_object, ScanOptions};
use keytrail_core::Alert;
use serde_json::Value;

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

/// The message for `alert`, its limits checked.
fn rendered(alert: &Alert) -> Value {
    let message = slack_message(alert);
    let count = |v: &Value| v.as_str().unwrap().chars().count();
    let blocks = message["blocks"].as_array().unwrap();
    assert!(blocks.len() <= MAX_BLOCKS);
    assert!(count(&blocks[0]["text"]["text"]) <= MAX_HEADER_CHARS);
    for block in blocks {
        if let Some(fields) = block["fields"].as_array() {
            assert!(fields.len() <= MAX_FIELDS);
            assert!(fields.iter().all(|f| count(&f["text"]) <= MAX_FIELD_CHARS));
        }
        if block["type"] == "section" && block.get("text").is_some() {
            assert!(count(&block["text"]["text"]) <= MAX_SECTION_CHARS);
        }
    }
    message
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
            let messages: Vec<Value> = scan(&object, &fs::read(&file).unwrap(), &rules)
                .iter()
                .filter(|a| a.rule_id == rule.id)
                .map(rendered)
                .collect();
            assert!(!messages.is_empty(), "{object} raised no {} alert", rule.id);
            let stem = name.trim_end_matches(".json");
            insta::assert_json_snapshot!(format!("{}__{stem}", rule.id), messages);
        }
    }
}

/// A user agent and ARN written to ping a channel or forge a link render as inert text.
#[test]
fn hostile_alert_renders_inert() {
    let record = serde_json::json!({
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::123456789012:assumed-role/Deploy/<@U024BE7LH>*bold*`x`\u{202e}gpj.exe",
            "accountId": "123456789012"
        },
        "eventTime": "2026-01-02T03:04:05Z",
        "eventSource": "acm.amazonaws.com",
        "eventName": "ExportCertificate",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7\n\n*What to check*: nothing, all fine",
        "userAgent": "<!channel> <!here> <@U024BE7LH> <https://evil.example|Open in the CloudTrail console> \
                      &lt;!channel&gt; \u{1b}[31mred\u{1b}[0m ünïcödé 🔑 \u{200b}zero\u{7}bell\ttab\r\nforged",
        "requestParameters": {
            "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/<!here>\n~x~",
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
    let message = rendered(alert);
    let json = message.to_string();
    assert!(!json.contains("hunter2"));
    assert!(!json.contains("<!") && !json.contains("<@") && !json.contains("<https://evil"));
    insta::assert_json_snapshot!("hostile_user_agent_and_arn", message);
}
