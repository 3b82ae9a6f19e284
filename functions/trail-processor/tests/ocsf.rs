//! The handler end to end with `ALERT_FORMAT=ocsf` (issue 23), against moto's S3, SNS and SQS
//! with the real SDK: the app is built as `main` builds it ([`trail_processor::sns_sink`] reads
//! `ALERT_FORMAT`), processes a sample trail object with known alerts, and the notifications
//! that reach the queue subscribed to the topic are read back.
//!
//! Each message is an OCSF Detection Finding (class 2004) that the project's own checker
//! (keytrail-core's `tests/ocsf/checker.rs`, over the vendored OCSF 1.8.0 schema) finds no fault
//! with; it reads back as the very alert the same object gives with the default format (rule id,
//! severity, event and everything else), and its subject and message attributes are the ones
//! that alert's keytrail-format message has. No stand-in: every call goes to moto.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

#[path = "../../../shared/keytrail-core/tests/ocsf/checker.rs"]
#[allow(dead_code)]
mod checker;

use std::collections::BTreeMap;
use std::path::Path;

use keytrail_core::alert::ocsf::{alert_from_finding, severity_id};
use keytrail_core::Alert;
use keytrail_testkit::ReceivedMessage;
use support::*;
use trail_processor::handler::handle;

/// The alerts of events/s3-put.json's object (keytraildemo0001), by event name.
const EXPECTED: [&str; 3] = ["Decrypt", "ExportCertificate", "NewAccount"];

/// The messages on the queue after the app handles events/s3-put.json, by alert id.
async fn deliver(
    stack: &keytrail_testkit::Stack,
    app: &TestApp,
) -> BTreeMap<String, ReceivedMessage> {
    let response = handle(app, event("s3-put.json")).await.unwrap();
    assert_eq!(response["objects"], 1, "{response}");
    let messages = stack
        .receive_alerts(EXPECTED.len(), std::time::Duration::from_secs(10))
        .await;
    let mut out = BTreeMap::new();
    for m in messages.into_iter().chain(stack.receive_all_now().await) {
        let v = m.json();
        let id = v["finding_info"]["uid"]
            .as_str()
            .or(v["alert_id"].as_str())
            .unwrap_or_else(|| panic!("a message with neither finding_info.uid nor alert_id: {v}"))
            .to_owned();
        assert!(out.insert(id, m).is_none(), "an alert published twice");
    }
    out
}

#[tokio::test]
async fn alert_format_ocsf_publishes_valid_detection_findings_issue_23() {
    let (moto, stack, keytrail_app) = setup().await;
    let ocsf_app = app(&moto, &stack.topic_arn, &[("ALERT_FORMAT", "ocsf")]);

    let alerts: BTreeMap<String, (ReceivedMessage, Alert)> = deliver(&stack, &keytrail_app)
        .await
        .into_iter()
        .map(|(id, m)| {
            let alert: Alert = serde_json::from_value(m.json()).unwrap();
            (id, (m, alert))
        })
        .collect();
    let mut names: Vec<&str> = alerts
        .values()
        .map(|(_, a)| a.event_name.as_deref().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, EXPECTED, "the keytrail-format alerts");

    let findings = deliver(&stack, &ocsf_app).await;
    assert_eq!(
        findings.keys().collect::<Vec<_>>(),
        alerts.keys().collect::<Vec<_>>(),
        "the same alerts, by id"
    );

    let schema = checker::Schema::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/keytrail-core/tests/ocsf/schema"),
    );
    for (id, message) in &findings {
        let finding = message.json();
        let (keytrail_message, alert) = &alerts[id];
        let problems = schema.check("detection_finding", &finding);
        assert!(problems.is_empty(), "{id}: {problems:#?}\n{finding:#}");
        assert_eq!(finding["class_uid"], 2004, "{finding:#}");
        assert_eq!(finding["type_uid"], 200_401);
        let analytic = &finding["finding_info"]["analytic"];
        assert_eq!(analytic["uid"], alert.rule_id.as_str(), "{finding:#}");
        assert_eq!(finding["severity_id"], severity_id(alert.severity));
        let api = &finding["evidences"][0]["api"];
        assert_eq!(api["operation"], alert.event_name.as_deref().unwrap());
        assert_eq!(
            finding["metadata"]["original_event_uid"],
            alert.event_id.as_deref().unwrap()
        );
        assert_eq!(
            alert_from_finding(&finding).as_ref(),
            Some(alert),
            "{id}: the finding is not the keytrail alert"
        );
        assert_eq!(message.subject, keytrail_message.subject, "{id}: subject");
        assert!(message.subject.as_deref().is_some_and(|s| !s.is_empty()));
        assert_eq!(
            message.message_attributes, keytrail_message.message_attributes,
            "{id}: message attributes"
        );
        assert_eq!(
            message.message_attributes["rule_id"], alert.rule_id,
            "{id}: the rule_id attribute"
        );
        assert_eq!(
            message.message_attributes["severity"],
            alert.severity.as_str()
        );
    }
}
