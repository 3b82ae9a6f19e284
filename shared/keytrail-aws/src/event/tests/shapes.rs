//! Cases by payload shape: `Records` payloads (direct S3, SNS, edge cases) and single messages
//! (EventBridge, CloudTrail's notification, envelopes, unknown payloads).

use serde_json::{json, Value};

use super::*;

#[test]
fn records_payloads() {
    use Want::{Fails, Is};
    let created = |keys: &[&str]| Is(Invocation::Objects(keys.iter().map(|k| obj(k)).collect()));
    let ignored = |reason: &str| Is(Invocation::Ignored(reason.to_owned()));
    let cases: Vec<(&str, Value, Want)> = vec![
        (
            "s3 put",
            s3_put("AWSLogs/a.json.gz"),
            Is(Invocation::Objects(vec![put_obj("AWSLogs/a.json.gz")])),
        ),
        (
            "s3 key: + is space, %2B plus, %20 space, %C3%A9 é",
            s3_put("AWSLogs/a+b%2Bc%20d%C3%A9%25.json.gz"),
            Is(Invocation::Objects(vec![put_obj(
                "AWSLogs/a b+c dé%.json.gz",
            )])),
        ),
        (
            "s3 eventName with s3: prefix",
            s3_put_named("s3:ObjectCreated:Copy", "k.json"),
            Is(Invocation::Objects(vec![put_obj("k.json")])),
        ),
        (
            "s3 removal only",
            s3_put_named("ObjectRemoved:Delete", "k.json"),
            ignored("S3 event ObjectRemoved:Delete is not an object creation"),
        ),
        (
            "s3 removal beside a put",
            json!({"Records": [s3_record("ObjectRemoved:Delete", "old.json"), s3_record("ObjectCreated:Put", "new.json")]}),
            Is(Invocation::Objects(vec![put_obj("new.json")])),
        ),
        (
            "s3 key not UTF-8",
            s3_put("k%FF.json"),
            Fails(&["not valid UTF-8", "S3 event notification"]),
        ),
        (
            "s3 record without object",
            {
                let mut record = s3_record("ObjectCreated:Put", "k.json");
                record["s3"] = json!({});
                json!({ "Records": [record] })
            },
            Fails(&[
                "S3 event notification at Records[0] is malformed",
                "missing field",
            ]),
        ),
        (
            "empty Records",
            json!({"Records": []}),
            ignored("the Records array is empty"),
        ),
        (
            "Records of another source",
            json!({"Records": [{"eventSource": "aws:kinesis"}]}),
            Fails(&[
                "payload is not a shape keytrail accepts",
                "Records[0].eventSource is \"aws:kinesis\"",
            ]),
        ),
        (
            "Records mixing sources",
            json!({"Records": [s3_record("ObjectCreated:Put", "a.json"), {"eventSource": "aws:sqs"}]}),
            Fails(&["mixes aws:s3 and aws:sqs"]),
        ),
        (
            "sns with cloudtrail notification",
            sns(&cloudtrail(&["AWSLogs/a.json.gz", "AWSLogs/b c+d.json.gz"])),
            created(&["AWSLogs/a.json.gz", "AWSLogs/b c+d.json.gz"]),
        ),
        (
            "sns with s3 notification",
            sns(&s3_put("AWSLogs/x+y.json")),
            Is(Invocation::Objects(vec![put_obj("AWSLogs/x y.json")])),
        ),
        (
            "sns with test event",
            sns(&json!({"Service": "Amazon S3", "Event": "s3:TestEvent"})),
            ignored("s3:TestEvent (S3 sends it once when a bucket notification is configured)"),
        ),
        (
            "sns message not JSON",
            sns_text("hello"),
            Fails(&["SNS message is not JSON"]),
        ),
    ];
    check(cases);
}

#[test]
fn single_message_payloads() {
    use Want::{Fails, Is};
    let created = |keys: &[&str]| Is(Invocation::Objects(keys.iter().map(|k| obj(k)).collect()));
    let ignored = |reason: &str| Is(Invocation::Ignored(reason.to_owned()));
    let cases: Vec<(&str, Value, Want)> = vec![
        (
            "eventbridge object created: key used as-is",
            eventbridge_created("AWSLogs/a+b%20c.json.gz"),
            Is(Invocation::Objects(vec![eb_obj("AWSLogs/a+b%20c.json.gz")])),
        ),
        (
            "eventbridge object deleted",
            json!({"detail-type": "Object Deleted", "source": "aws.s3", "detail": {}}),
            ignored("EventBridge S3 event \"Object Deleted\" is not an object creation"),
        ),
        (
            "eventbridge from elsewhere",
            json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}}),
            Fails(&["EventBridge event", "\"aws.ec2\"", "route only"]),
        ),
        (
            "eventbridge object created without key",
            json!({"detail-type": "Object Created", "source": "aws.s3", "detail": {"bucket": {"name": B}, "object": {}}}),
            Fails(&[
                "EventBridge event at detail is malformed",
                "missing field `key`",
            ]),
        ),
        (
            "eventbridge api call",
            api_call(),
            Is(Invocation::ApiCall(api_call())),
        ),
        (
            "eventbridge api call without detail record",
            json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.acm", "detail": "x"}),
            Fails(&["expected the CloudTrail record"]),
        ),
        (
            "raw cloudtrail notification",
            cloudtrail(&["AWSLogs/a.json.gz"]),
            created(&["AWSLogs/a.json.gz"]),
        ),
        (
            "cloudtrail notification without keys",
            cloudtrail(&[]),
            ignored("CloudTrail notification lists no objects"),
        ),
        (
            "cloudtrail notification with a string key",
            json!({"s3Bucket": B, "s3ObjectKey": "k"}),
            Fails(&["CloudTrail notification at $ is malformed"]),
        ),
        (
            "top-level test event",
            json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": B}),
            ignored("s3:TestEvent (S3 sends it once when a bucket notification is configured)"),
        ),
        (
            "top-level sns envelope",
            sns_envelope(&cloudtrail(&["k.json"])),
            created(&["k.json"]),
        ),
        (
            "sns subscription confirmation",
            json!({"Type": "SubscriptionConfirmation", "TopicArn": "arn:aws:sns:us-east-1:1:t"}),
            ignored("SNS SubscriptionConfirmation message, not a notification"),
        ),
        (
            "envelopes nested too deep",
            sns_envelope(&sns_envelope(&sns_envelope(&sns_envelope(&cloudtrail(&[
                "k.json",
            ]))))),
            Fails(&["nests envelopes more than 3 deep"]),
        ),
        (
            "unknown payload",
            json!({"hello": "secret-value", "world": 1}),
            Fails(&[
                "payload is not a shape keytrail accepts",
                "top-level keys: \"hello\", \"world\"",
                "aws:s3",
                "aws:sqs",
                "aws:sns",
                "s3ObjectKey",
                "Object Created",
                "via CloudTrail",
                "invocationSchemaVersion 1.0 or 2.0",
                "s3:TestEvent",
            ]),
        ),
        (
            "array payload",
            json!([1]),
            Fails(&["payload is not a shape", "it is an array"]),
        ),
    ];
    check(cases);
}
