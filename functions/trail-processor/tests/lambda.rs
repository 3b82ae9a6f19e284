//! The handler in-process against a real local S3/SNS/SQS (moto), through the real AWS SDK:
//! every input shape in events/, and every failure path of "nothing lost, nothing stuck".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{json, Value};
use support::*;
use trail_processor::handler::handle;

const EXPORT_NEWACCOUNT_DECRYPT: &[&str] = &["Decrypt", "ExportCertificate", "NewAccount"];
const HSM_AND_ELB: &[&str] = &["CreateHsm", "CreateLoadBalancer"];

/// A sample payload, a check of the function's answer, the alerts expected (by event name).
type Case = (&'static str, fn(&Value), &'static [&'static str]);

#[tokio::test]
async fn every_sample_payload_shape_publishes_its_alerts() {
    let (_moto, stack, app) = setup().await;
    // (payload, check of the function's answer, alerts expected on the topic by event name)
    let cases: &[Case] = &[
        (
            "s3-put.json",
            |r| assert_eq!(r["objects"], 1),
            EXPORT_NEWACCOUNT_DECRYPT,
        ),
        (
            "s3-put-encoded-key.json",
            |r| {
                assert!(
                    r["results"][0]["object"]
                        .as_str()
                        .unwrap()
                        .ends_with("/demo copy 100%.json.gz"),
                    "{r}"
                )
            },
            EXPORT_NEWACCOUNT_DECRYPT,
        ),
        (
            "sqs-s3.json",
            |r| assert_eq!(r, &json!({"batchItemFailures": []})),
            EXPORT_NEWACCOUNT_DECRYPT,
        ),
        (
            "sqs-s3-test-event.json",
            |r| assert_eq!(r, &json!({"batchItemFailures": []})),
            &[],
        ),
        (
            "sqs-sns-cloudtrail.json",
            |r| assert_eq!(r, &json!({"batchItemFailures": []})),
            &[],
        ),
        (
            "sqs-cloudtrail-raw.json",
            |r| assert_eq!(r, &json!({"batchItemFailures": []})),
            EXPORT_NEWACCOUNT_DECRYPT,
        ),
        (
            "sns-cloudtrail.json",
            |r| assert_eq!(r["objects"], 1),
            HSM_AND_ELB,
        ),
        (
            "eventbridge-object-created.json",
            |r| assert_eq!(r["objects"], 1),
            EXPORT_NEWACCOUNT_DECRYPT,
        ),
        (
            "eventbridge-api-call-export-certificate.json",
            |r| assert_eq!(r["events"], 1),
            &["ExportCertificate"],
        ),
        (
            "cloudwatch-logs-cloudtrail.json",
            |r| assert_eq!(r["events"], 3, "{r}"),
            &["Decrypt", "ExportCertificate"],
        ),
        (
            "s3-batch-1.0.json",
            |r| {
                assert_eq!(r["invocationSchemaVersion"], "1.0");
                assert_eq!(r["results"][0]["resultCode"], "Succeeded", "{r}");
            },
            &[],
        ),
        (
            "s3-batch-2.0.json",
            |r| {
                assert_eq!(r["invocationSchemaVersion"], "2.0");
                assert_eq!(r["treatMissingKeysAs"], "PermanentFailure");
                assert_eq!(r["results"][0]["resultCode"], "Succeeded", "{r}");
            },
            HSM_AND_ELB,
        ),
    ];
    for (file, check, expected) in cases {
        let response = handle(&app, event(file))
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        check(&response);
        let got = alerts(&stack, expected.len()).await;
        assert_eq!(event_names(&got), *expected, "{file}");
        for (msg, alert) in &got {
            let subject = msg.subject.as_deref().unwrap();
            assert!(
                subject.len() <= 100 && subject.is_ascii() && !subject.contains('\n'),
                "{subject}"
            );
            assert!(
                subject.starts_with(&format!(
                    "[{}]",
                    alert["severity"].as_str().unwrap().to_uppercase()
                )),
                "{subject}"
            );
            for attr in ["severity", "rule_id", "account", "region", "event_source"] {
                assert!(
                    !msg.message_attributes[attr].is_empty(),
                    "{file}: attribute {attr}"
                );
            }
            assert_eq!(
                msg.message_attributes["rule_id"],
                alert["rule_id"].as_str().unwrap()
            );
            assert_eq!(alert["alert_id"].as_str().unwrap().len(), 32);
            assert!(
                !msg.message.contains("BEGIN CERTIFICATE") && !msg.message.contains("[42,42"),
                "secret leaked"
            );
        }
    }
}

#[tokio::test]
async fn unknown_payload_names_the_accepted_shapes() {
    let (_moto, _stack, app) = setup().await;
    let err = handle(&app, json!({"hello": "world"})).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("hello") && text.contains("S3"), "{text}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn missing_object_and_non_log_keys_are_skipped_not_failed() {
    let (_moto, stack, app) = setup().await;
    for key in [
        format!("{PREFIX}/us-east-1/2026/06/10/deleted-since.json.gz"),
        format!("{PREFIX}-Digest/us-east-1/2026/06/10/123_CloudTrail-Digest_x.json.gz"),
        "AWSLogs/readme.txt".to_owned(),
    ] {
        let r = handle(&app, s3_put(&key)).await.unwrap();
        assert!(
            r["results"][0]["outcome"]
                .as_str()
                .unwrap()
                .starts_with("skipped"),
            "{key}: {r}"
        );
    }
    assert!(alerts(&stack, 0).await.is_empty());
}

/// A trail object whose gzip stream is cut off: the records before the cut are classified and
/// alert, an integrity alert names the object and the offset, and the object is not failed
/// (retrying cannot repair it).
#[tokio::test]
async fn truncated_object_alerts_on_good_records_and_raises_integrity_alert() {
    let (moto, stack, app) = setup().await;
    let export = event("eventbridge-api-call-export-certificate.json");
    let filler: Vec<Value> = (0..3000)
        .map(|i| json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventID": format!("f-{i}"),
                        "awsRegion": "us-east-1", "requestParameters": {"key": format!("k{i}-{}", "x".repeat(i % 97))}}))
        .collect();
    let mut records = vec![export];
    records.extend(filler);
    let gz = gzip(&serde_json::to_vec(&json!({"Records": records})).unwrap());
    let key = format!("{PREFIX}/us-east-1/2026/06/10/truncated.json.gz");
    put(&moto, &key, gz[..gz.len() / 2].to_vec()).await;

    let r = handle(&app, s3_put(&key)).await.unwrap();
    assert!(
        r["results"][0]["outcome"]
            .as_str()
            .unwrap()
            .contains("read with problems"),
        "{r}"
    );
    let got = alerts(&stack, 2).await;
    assert_eq!(got.len(), 2, "{:?}", event_names(&got));
    let integrity = got
        .iter()
        .find(|(_, a)| a["rule_id"] == "keytrail-object-unreadable")
        .unwrap();
    let text = integrity.1["description"].as_str().unwrap();
    assert!(
        text.contains(&format!("s3://{DEMO_BUCKET}/{key}")) && text.contains("byte"),
        "{text}"
    );
    assert_eq!(integrity.0.message_attributes["severity"], "medium");
    assert!(got
        .iter()
        .any(|(_, a)| a["event_name"] == "ExportCertificate"));
}

#[tokio::test]
async fn object_that_is_not_a_trail_raises_integrity_alert() {
    let (moto, stack, app) = setup().await;
    let key = format!("{PREFIX}/us-east-1/2026/06/10/archive.json");
    put(&moto, &key, b"PK\x03\x04 not a trail at all".to_vec()).await;
    let r = handle(&app, s3_put(&key)).await.unwrap();
    assert!(
        r["results"][0]["outcome"].as_str().unwrap().contains("zip"),
        "{r}"
    );
    let got = alerts(&stack, 1).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].1["description"]
        .as_str()
        .unwrap()
        .contains("50 4b 03 04"));
}

/// SNS refuses every publish (the topic does not exist): no alert may be lost, so the object fails
/// in the way each caller retries: an error for direct invocations, only the failed message in
/// batchItemFailures for SQS, TemporaryFailure for S3 Batch.
#[tokio::test]
async fn publish_failure_fails_the_object_in_every_delivery_mode() {
    let (moto, _stack, _app) = setup().await;
    let app = app(
        &moto,
        "arn:aws:sns:us-east-1:123456789012:no-such-topic",
        &[],
    );

    let err = handle(&app, event("s3-put.json")).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("could not be published"), "{err}");

    // sqs-s3.json: message 1 names 0001 (alerts, so it fails), message 2 names 0002 (no alerts).
    let sqs = event("sqs-s3.json");
    let first_id = sqs["Records"][0]["messageId"].as_str().unwrap().to_owned();
    let r = handle(&app, sqs).await.unwrap();
    assert_eq!(
        r,
        json!({"batchItemFailures": [{"itemIdentifier": first_id}]})
    );

    let r = handle(&app, event("s3-batch-2.0.json")).await.unwrap();
    assert_eq!(r["results"][0]["resultCode"], "TemporaryFailure", "{r}");

    // An object without alerts publishes nothing and succeeds even then.
    let r = handle(&app, event("s3-batch-1.0.json")).await.unwrap();
    assert_eq!(r["results"][0]["resultCode"], "Succeeded", "{r}");
}

#[tokio::test]
async fn min_severity_drops_lower_alerts() {
    let (moto, stack, _app) = setup().await;
    let app = app(&moto, &stack.topic_arn, &[("MIN_SEVERITY", "medium")]);
    handle(&app, event("sns-cloudtrail.json")).await.unwrap(); // two low alerts
    assert!(alerts(&stack, 0).await.is_empty());
    handle(&app, event("s3-put.json")).await.unwrap(); // three high alerts
    assert_eq!(
        event_names(&alerts(&stack, 3).await),
        EXPORT_NEWACCOUNT_DECRYPT
    );
}

/// Rules under RULES_S3_URI load at cold start on top of the pack and alert like built-in ones;
/// a rule that does not parse fails the cold start with its S3 URI in the message.
#[tokio::test]
async fn rules_from_s3_are_loaded_and_bad_ones_named() {
    let (moto, stack, _app) = setup().await;
    let rule = "title: Console login seen\nid: custom-console-login\nlogsource: {product: aws, service: cloudtrail}\n\
                detection:\n  sel:\n    eventSource: ec2.amazonaws.com\n    eventName: StartInstances\n  condition: sel\nlevel: low\n";
    put(&moto, "rules/custom.yml", rule.as_bytes().to_vec()).await;
    put(&moto, "rules/notes.txt", b"not a rule".to_vec()).await;
    let app = app(
        &moto,
        &stack.topic_arn,
        &[("RULES_S3_URI", &format!("s3://{DEMO_BUCKET}/rules/"))],
    );
    let source = keytrail_aws::s3::S3Source::new(moto.s3());
    let rules = trail_processor::load_rules(&app.config, &source)
        .await
        .unwrap();
    assert!(rules
        .rules()
        .iter()
        .any(|r| r.id == "custom-console-login" && r.file.starts_with("s3://")));
    assert!(rules.rules().len() > 26);

    put(&moto, "rules/broken.yml", b"title: [unclosed\n".to_vec()).await;
    let err = trail_processor::load_rules(&app.config, &source)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("s3://{DEMO_BUCKET}/rules/broken.yml")),
        "{err}"
    );
}

/// A CloudWatch Logs delivery whose batch holds a message that is not a CloudTrail event: the
/// good event still alerts, and an integrity alert names the log group and stream, so the bad
/// message is not dropped silently. A control message is ignored.
#[tokio::test]
async fn cloudwatch_logs_batch_with_a_bad_message_alerts_and_names_the_batch() {
    use base64::Engine;
    let (_moto, stack, app) = setup().await;
    let export = event("eventbridge-api-call-export-certificate.json")["detail"].clone();
    let batch = |kind: &str, messages: Vec<String>| {
        let events: Vec<Value> = messages
            .into_iter()
            .enumerate()
            .map(|(i, m)| json!({"id": i.to_string(), "timestamp": 1, "message": m}))
            .collect();
        let data = json!({"messageType": kind, "owner": "123456789012",
            "logGroup": "trail-group", "logStream": "123456789012_CloudTrail_us-east-1",
            "subscriptionFilters": ["f"], "logEvents": events});
        let gz = gzip(&serde_json::to_vec(&data).unwrap());
        json!({"awslogs": {"data": base64::engine::general_purpose::STANDARD.encode(gz)}})
    };

    let payload = batch(
        "DATA_MESSAGE",
        vec![
            export.to_string(),
            "START RequestId: not a trail event".to_owned(),
        ],
    );
    let r = handle(&app, payload).await.unwrap();
    assert_eq!(r["events"], 2, "{r}");
    assert!(
        r["outcome"]
            .as_str()
            .unwrap()
            .contains("read with problems"),
        "{r}"
    );
    let got = alerts(&stack, 2).await;
    assert_eq!(got.len(), 2, "{:?}", event_names(&got));
    assert!(got
        .iter()
        .any(|(_, a)| a["event_name"] == "ExportCertificate"));
    let integrity = got
        .iter()
        .find(|(_, a)| a["rule_id"] == "keytrail-object-unreadable")
        .unwrap();
    let text = integrity.1["description"].as_str().unwrap();
    assert!(
        text.contains("cloudwatch-logs:trail-group:123456789012_CloudTrail_us-east-1"),
        "{text}"
    );
    assert!(!text.contains("START RequestId"), "{text}");

    let control = batch("CONTROL_MESSAGE", vec!["CWL CONTROL MESSAGE".to_owned()]);
    let r = handle(&app, control).await.unwrap();
    assert!(
        r["ignored"].as_str().unwrap().contains("control message"),
        "{r}"
    );
    assert!(alerts(&stack, 0).await.is_empty());
}
