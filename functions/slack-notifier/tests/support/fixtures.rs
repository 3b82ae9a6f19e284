//! What both test files feed the notifier: alerts raised by the built-in rules, the SNS events
//! that carry them, and webhook secrets in moto's Secrets Manager.

use keytrail_core::render::{message_attributes, sns_message};
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::scan::{scan_object, ScanOptions};
use keytrail_core::Alert;
use keytrail_testkit::Moto;
use serde_json::{json, Value};

/// Every alert the built-in rules raise on `record`, in the order the scan delivers them.
pub fn scan_record(record: &Value) -> Vec<Alert> {
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let mut alerts = Vec::new();
    scan_object(
        "s3://trail/k.json",
        record.to_string().as_bytes(),
        &rules,
        &ScanOptions::default(),
        &mut |a| alerts.push(a),
    );
    alerts
}

/// The SNS -> Lambda event for `alerts`, each as the trail-processor publishes it.
pub fn sns_event(alerts: &[Alert]) -> Value {
    let records: Vec<Value> = alerts
        .iter()
        .enumerate()
        .map(|(i, alert)| {
            let doc: Value = serde_json::from_str(&sns_message(alert).message).unwrap();
            let attributes: serde_json::Map<String, Value> = message_attributes(alert)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), json!({"Type": "String", "Value": v})))
                .collect();
            json!({"EventSource": "aws:sns", "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:keytrail-alerts:sub-1",
                "Sns": {
                "Type": "Notification", "MessageId": format!("m-{i}"),
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:keytrail-alerts",
                "Subject": "x", "Message": doc["default"], "MessageAttributes": attributes,
                "Timestamp": "2026-06-10T20:45:07.015Z", "SignatureVersion": "1",
                "Signature": "EXAMPLE==", "SigningCertUrl": "https://sns.example/cert.pem",
                "UnsubscribeUrl": "https://sns.example/?Action=Unsubscribe"}})
        })
        .collect();
    json!({ "Records": records })
}

/// Creates the secret `name` holding `value` in moto's Secrets Manager; answers its ARN.
pub async fn create_secret(moto: &Moto, name: &str, value: &str) -> String {
    let client = aws_sdk_secretsmanager::Client::new(&moto.sdk_config());
    let out = client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
    out.arn().unwrap().to_owned()
}
