//! What moto 5.2.5 delivers to an SQS subscriber (SNS envelope, not raw) for the ways the Lambda
//! publishes. The alert publisher's integration tests rely on these facts; if a moto upgrade
//! changes one of them, the test named after it fails here first.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::Duration;

use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::primitives::Blob;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use keytrail_testkit::{Moto, ReceivedMessage, Stack};
use serde_json::json;

fn string_attr(data_type: &str, value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .unwrap()
}

fn attributes() -> Vec<(&'static str, MessageAttributeValue)> {
    vec![
        ("severity", string_attr("String", "high")),
        ("count", string_attr("Number", "3")),
        ("tags", string_attr("String.Array", r#"["a","b"]"#)),
        (
            "raw",
            MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(Blob::new(vec![1, 2]))
                .build()
                .unwrap(),
        ),
    ]
}

fn expected_attributes() -> std::collections::BTreeMap<String, String> {
    [
        ("count", "3"),
        ("raw", "AQI="),
        ("severity", "high"),
        ("tags", r#"["a","b"]"#),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn summary(messages: &[ReceivedMessage]) -> Vec<(Option<&str>, &str)> {
    messages
        .iter()
        .map(|m| (m.subject.as_deref(), m.message.as_str()))
        .collect()
}

#[tokio::test]
async fn publish_json_structure_delivers_sqs_key_else_default_with_envelope_attributes() {
    let moto = Moto::start().await;
    let stack = Stack::create(&moto).await;
    let bodies = [
        json!({"default": "D1", "sqs": "Q1", "email": "E1"}),
        json!({"default": "D2", "email": "E2"}),
    ];
    for (i, body) in bodies.iter().enumerate() {
        let mut publish = stack
            .sns
            .publish()
            .topic_arn(&stack.topic_arn)
            .subject(format!("subject {i}"))
            .message_structure("json")
            .message(body.to_string());
        for (name, value) in attributes() {
            publish = publish.message_attributes(name, value);
        }
        publish.send().await.unwrap();
    }
    stack
        .sns
        .publish()
        .topic_arn(&stack.topic_arn)
        .message("plain")
        .send()
        .await
        .unwrap();

    let got = stack.receive_alerts(3, Duration::from_secs(10)).await;
    assert_eq!(
        summary(&got),
        [
            (Some("subject 0"), "Q1"),
            (Some("subject 1"), "D2"),
            (None, "plain")
        ]
    );
    assert_eq!(got[0].message_attributes, expected_attributes());
    assert_eq!(got[1].message_attributes, expected_attributes());
    assert!(got[2].message_attributes.is_empty());
    assert!(got[2].envelope.get("MessageAttributes").is_none());
    assert_eq!(got[0].envelope["Type"], "Notification");
    assert_eq!(
        got[0].envelope["MessageAttributes"]["count"]["Type"],
        "Number"
    );
}

#[tokio::test]
async fn publish_batch_delivers_each_entry_like_publish_in_order() {
    let moto = Moto::start().await;
    let stack = Stack::create(&moto).await;
    let entry = |id: &str, body: serde_json::Value, with_attributes: bool| {
        let mut entry = PublishBatchRequestEntry::builder()
            .id(id)
            .subject(format!("batch {id}"))
            .message_structure("json")
            .message(body.to_string());
        if with_attributes {
            for (name, value) in attributes() {
                entry = entry.message_attributes(name, value);
            }
        } else {
            entry = entry.message_attributes("severity", string_attr("String", "low"));
        }
        entry.build().unwrap()
    };
    let output = stack
        .sns
        .publish_batch()
        .topic_arn(&stack.topic_arn)
        .publish_batch_request_entries(entry("a", json!({"default": "BD1", "sqs": "BQ1"}), true))
        .publish_batch_request_entries(entry("b", json!({"default": "BD2", "email": "BE2"}), false))
        .send()
        .await
        .unwrap();
    assert_eq!(output.successful().len(), 2);
    assert!(output.failed().is_empty());

    let got = stack.receive_alerts(2, Duration::from_secs(10)).await;
    assert_eq!(
        summary(&got),
        [(Some("batch a"), "BQ1"), (Some("batch b"), "BD2")]
    );
    assert_eq!(got[0].message_attributes, expected_attributes());
    assert_eq!(got[1].message_attributes["severity"], "low");
    assert_eq!(got[1].message_attributes.len(), 1);
}

/// moto enforces some of SNS's limits and not others: the publisher must check the rest itself
/// (and unit-test that), because these tests cannot catch it.
#[tokio::test]
async fn moto_limits_enforced_and_not() {
    let moto = Moto::start().await;
    let stack = Stack::create(&moto).await;
    let publish = |subject: &str, structure: Option<&str>, message: String| {
        stack
            .sns
            .publish()
            .topic_arn(&stack.topic_arn)
            .subject(subject)
            .set_message_structure(structure.map(str::to_owned))
            .message(message)
            .send()
    };
    let code = |r: Result<_, aws_sdk_sns::error::SdkError<_, _>>| match r {
        Ok(_) => "accepted".to_owned(),
        Err(e) => {
            let e: aws_sdk_sns::operation::publish::PublishError = e.into_service_error();
            e.code().unwrap_or("no code").to_owned()
        }
    };

    // Enforced, as AWS does.
    assert_eq!(
        code(publish("s", None, "x".repeat(262_144)).await),
        "accepted"
    );
    assert_eq!(
        code(publish("s", None, "x".repeat(262_145)).await),
        "InvalidParameter"
    );
    assert_eq!(
        code(publish(&"s".repeat(101), None, "m".into()).await),
        "InvalidParameter"
    );
    assert_eq!(
        code(publish("s", Some("json"), "not json".into()).await),
        "InvalidParameter"
    );
    // Not enforced, though AWS rejects both: a JSON structure without "default", and a subject
    // with a line break.
    let no_default = json!({"sqs": "only sqs"}).to_string();
    assert_eq!(
        code(publish("s", Some("json"), no_default).await),
        "accepted"
    );
    assert_eq!(
        code(publish("two\nlines", None, "m".into()).await),
        "accepted"
    );

    let got = stack.receive_alerts(3, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(got[1].message, "only sqs");
    assert_eq!(got[2].subject.as_deref(), Some("two\nlines"));
    assert!(stack.receive_all_now().await.is_empty());
}
