//! `rules_only` (what `keytrail backfill --rules-only` sends), against moto: an S3 Batch
//! Operations 2.0 job carrying it in `job.userArguments`, and SQS messages carrying it as a
//! message attribute, publish only the named rules' alerts; work naming a rule the function has
//! not loaded is refused (a permanent task failure, a failed SQS message) and publishes nothing.
//!
//! The object is the sample `keytraildemo0001`, whose records raise three alerts of three rules
//! (Decrypt, ExportCertificate, NewAccount).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{json, Value};
use support::*;
use trail_processor::handler::handle;

const DEMO_0001: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/06/10/123456789012_CloudTrail_us-east-1_20260610T2030Z_keytraildemo0001.json.gz";

/// The sample 2.0 job, its task pointed at `keytraildemo0001`, with these user arguments.
fn batch_job(user_arguments: Value) -> Value {
    let mut job = event("s3-batch-2.0.json");
    job["tasks"][0]["s3Key"] = json!(DEMO_0001);
    job["job"]["userArguments"] = user_arguments;
    job
}

/// An SQS record carrying an S3 notification for `key`, with `rules_only` when given.
fn sqs_record(id: &str, key: &str, rules_only: Option<&str>) -> Value {
    let attributes = match rules_only {
        Some(v) => json!({"rules_only": {"stringValue": v, "stringListValues": [],
                          "binaryListValues": [], "dataType": "String"}}),
        None => json!({}),
    };
    json!({
        "messageId": id, "receiptHandle": "AQEBexample", "body": s3_put(key).to_string(),
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": attributes,
        "md5OfBody": "x", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:keytrail-backfill",
        "awsRegion": "us-east-1",
    })
}

#[tokio::test]
async fn a_batch_job_with_rules_only_publishes_only_those_rules() {
    let (_moto, stack, app) = setup().await;

    // The job names one rule and carries another argument keytrail ignores.
    let job = batch_job(json!({"rules_only": "acm-export-certificate", "reason": "new rule"}));
    let r = handle(&app, job).await.unwrap();
    assert_eq!(r["results"][0]["resultCode"], "Succeeded", "{r}");
    assert_eq!(r["results"][0]["resultString"], "1 alert(s)", "{r}");
    let got = alerts(&stack, 1).await;
    assert_eq!(event_names(&got), ["ExportCertificate"]);
    assert_eq!(got[0].1["rule_id"], "acm-export-certificate");

    // Without rules_only, the same object raises all three.
    let r = handle(&app, batch_job(json!({"reason": "all rules"})))
        .await
        .unwrap();
    assert_eq!(r["results"][0]["resultString"], "3 alert(s)", "{r}");
    assert_eq!(
        event_names(&alerts(&stack, 3).await),
        ["Decrypt", "ExportCertificate", "NewAccount"]
    );
}

#[tokio::test]
async fn a_batch_job_naming_an_unknown_rule_fails_permanently_and_publishes_nothing() {
    let (_moto, stack, app) = setup().await;
    let job = batch_job(json!({"rules_only": "acm-export-certificate,no-such-rule"}));
    let r = handle(&app, job).await.unwrap();
    let result = &r["results"][0];
    assert_eq!(result["resultCode"], "PermanentFailure", "{r}");
    let text = result["resultString"].as_str().unwrap();
    assert!(
        text.contains("rules_only names rule(s) this function has not loaded: no-such-rule"),
        "{text}"
    );
    assert!(alerts(&stack, 0).await.is_empty());
}

#[tokio::test]
async fn sqs_messages_carry_rules_only_each_for_itself() {
    let (moto, stack, _) = setup().await;
    create_idempotency_table(&moto, "keytrail-rules-only").await;
    let app = app(
        &moto,
        &stack.topic_arn,
        &[("IDEMPOTENCY_TABLE", "keytrail-rules-only")],
    );
    let payload = json!({"Records": [
        sqs_record("narrowed", DEMO_0001, Some("acm-export-certificate")),
        sqs_record("refused", DEMO_0001, Some("no-such-rule")),
    ]});
    let r = handle(&app, payload).await.unwrap();
    assert_eq!(
        r,
        json!({"batchItemFailures": [{"itemIdentifier": "refused"}]}),
        "only the message naming an unknown rule fails"
    );
    let got = alerts(&stack, 1).await;
    assert_eq!(event_names(&got), ["ExportCertificate"]);

    // A live notification (no attribute) for the same object then publishes the other rules'
    // alerts: the narrowed message claimed nothing it did not publish, and the idempotency
    // table keeps the one it did publish from repeating.
    let r = handle(
        &app,
        json!({"Records": [sqs_record("live", DEMO_0001, None)]}),
    )
    .await
    .unwrap();
    assert_eq!(r, json!({"batchItemFailures": []}));
    assert_eq!(
        event_names(&alerts(&stack, 2).await),
        ["Decrypt", "NewAccount"]
    );
}
