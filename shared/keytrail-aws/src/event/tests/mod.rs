//! Table-driven tests of [`parse_invocation`] over every shape and wrapping: payload builders
//! and the case runner here, the tables in [`shapes`] and [`wrapped`].

mod shapes;
mod wrapped;

use serde_json::{json, Value};

use super::*;

const B: &str = "keytrail-demo-trail";

fn obj(key: &str) -> ObjectRef {
    ObjectRef {
        bucket: B.to_owned(),
        key: key.to_owned(),
        version_id: None,
        size: None,
        sequencer: None,
    }
}

/// An S3 notification record as S3 writes it (every field `aws_lambda_events` requires).
fn s3_record(event_name: &str, key: &str) -> Value {
    json!({
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-06-10T20:35:07.512Z", "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AROAEXAMPLE:delivery"},
        "requestParameters": {"sourceIPAddress": "192.0.2.10"},
        "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE="},
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": B, "arn": format!("arn:aws:s3:::{B}")},
               "object": {"key": key, "size": 1942, "versionId": "v1", "sequencer": "00AB"}}
    })
}

fn s3_put(key: &str) -> Value {
    json!({"Records": [s3_record("ObjectCreated:Put", key)]})
}

/// An object as [`s3_record`] describes it.
fn put_obj(key: &str) -> ObjectRef {
    ObjectRef {
        version_id: Some("v1".to_owned()),
        size: Some(1942),
        sequencer: Some("00AB".to_owned()),
        ..obj(key)
    }
}

/// An SNS envelope as SNS writes it into SQS (raw delivery off).
fn sns_envelope(message: &Value) -> Value {
    json!({"Type": "Notification", "MessageId": "sns-1",
           "TopicArn": "arn:aws:sns:us-east-1:123456789012:trail", "Message": message.to_string(),
           "Timestamp": "2026-06-10T20:40:05.410Z", "SignatureVersion": "1",
           "Signature": "EXAMPLE==", "SigningCertURL": "https://sns.example/cert.pem",
           "UnsubscribeURL": "https://sns.example/?Action=Unsubscribe"})
}

fn cloudtrail(keys: &[&str]) -> Value {
    json!({"s3Bucket": B, "s3ObjectKey": keys})
}

fn eventbridge_created(key: &str) -> Value {
    json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3",
           "detail": {"version": "0", "bucket": {"name": B},
                      "object": {"key": key, "size": 5, "version-id": "ev1", "sequencer": "0061"}}})
}

fn api_call() -> Value {
    json!({"version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.acm",
           "detail": {"eventSource": "acm.amazonaws.com", "eventName": "ExportCertificate"}})
}

fn sqs(bodies: &[Value]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let body = body
                .as_str()
                .map_or_else(|| body.to_string(), str::to_owned);
            json!({"messageId": format!("m{i}"), "eventSource": "aws:sqs", "body": body})
        })
        .collect();
    json!({"Records": records})
}

fn sns(message: &Value) -> Value {
    sns_text(&message.to_string())
}

/// An SNS event as Lambda delivers it, its message `text`.
fn sns_text(text: &str) -> Value {
    json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
           "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:trail:sub-1",
           "Sns": {"Type": "Notification", "MessageId": "sns-1",
                   "TopicArn": "arn:aws:sns:us-east-1:123456789012:trail", "Subject": null,
                   "Message": text, "Timestamp": "2026-06-10T20:45:07.015Z",
                   "SignatureVersion": "1", "Signature": "EXAMPLE==",
                   "SigningCertUrl": "https://sns.example/cert.pem",
                   "UnsubscribeUrl": "https://sns.example/?Action=Unsubscribe",
                   "MessageAttributes": {}}}]})
}

fn batch(version: &str, tasks: Value) -> Value {
    json!({"invocationSchemaVersion": version, "invocationId": "inv-1",
           "job": {"id": "job-1", "userArguments": {"reason": "backfill"}}, "tasks": tasks})
}

/// What a case expects: an invocation, or an error whose text contains every fragment.
enum Want {
    Is(Invocation),
    Fails(&'static [&'static str]),
}

/// Runs `(name, payload, want)` cases through [`parse_invocation`].
fn check(cases: Vec<(&str, Value, Want)>) {
    for (name, payload, want) in cases {
        match (want, parse_invocation(&payload)) {
            (Want::Is(want), Ok(got)) => assert_eq!(got, want, "{name}"),
            (Want::Fails(fragments), Err(err)) => {
                let text = err.to_string();
                for fragment in fragments {
                    assert!(
                        text.contains(fragment),
                        "{name}: {fragment:?} not in {text:?}"
                    );
                }
                assert!(
                    !text.contains("secret-value"),
                    "{name}: leaks content: {text}"
                );
            }
            (Want::Is(_), Err(err)) => panic!("{name}: unexpected error {err}"),
            (Want::Fails(_), Ok(got)) => panic!("{name}: expected an error, got {got:?}"),
        }
    }
}

fn s3_put_named(event_name: &str, key: &str) -> Value {
    json!({"Records": [s3_record(event_name, key)]})
}

/// An object as [`eventbridge_created`] describes it.
fn eb_obj(key: &str) -> ObjectRef {
    ObjectRef {
        version_id: Some("ev1".to_owned()),
        size: Some(5),
        sequencer: Some("0061".to_owned()),
        ..obj(key)
    }
}
