//! Cases for wrapped and batched payloads: SQS batches with good and bad messages, S3 Batch
//! Operations tasks, and the responses (`aws_lambda_events`' types, checked on the wire).

use serde_json::{json, Value};

use super::*;

#[test]
fn batch_payload_errors() {
    use Want::Fails;
    let cases: Vec<(&str, Value, Want)> = vec![
        (
            "batch with an unknown schema",
            batch("3.0", json!([])),
            Fails(&[
                "invocationSchemaVersion \"3.0\" is not supported",
                "1.0 or 2.0",
            ]),
        ),
        (
            "batch task without id",
            batch(
                "1.0",
                json!([{"s3Key": "k", "s3BucketArn": "arn:aws:s3:::b"}]),
            ),
            Fails(&["tasks[0] is malformed", "taskId"]),
        ),
        (
            "batch without job",
            json!({"invocationSchemaVersion": "1.0", "invocationId": "i", "tasks": []}),
            Fails(&[
                "S3 Batch Operations invocation at $ is malformed",
                "missing field `job`",
            ]),
        ),
    ];
    check(cases);
}

#[test]
fn sqs_messages_are_parsed_independently() {
    let payload = sqs(&[
        s3_put("AWSLogs/a+copy.json.gz"),
        json!({"Service": "Amazon S3", "Event": "s3:TestEvent"}),
        Value::String("{not json".to_owned()),
        sns_envelope(&s3_put("AWSLogs/b.json.gz")),
        sns_envelope(&cloudtrail(&["AWSLogs/c d.json.gz"])),
        cloudtrail(&["AWSLogs/e.json.gz", "AWSLogs/f.json.gz"]),
        eventbridge_created("AWSLogs/g h.json.gz"),
        api_call(),
        json!({"surprise": true}),
        json!({"Records": [{"eventSource": "aws:sqs", "messageId": "inner"}]}),
    ]);
    let Ok(Invocation::Sqs(messages)) = parse_invocation(&payload) else {
        panic!("not an SQS invocation");
    };
    let ids: Vec<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(
        ids,
        ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"]
    );
    let want: [Result<MessageContent, &str>; 10] = [
        Ok(MessageContent::Objects(vec![put_obj(
            "AWSLogs/a copy.json.gz",
        )])),
        Ok(MessageContent::Ignored(
            "s3:TestEvent (S3 sends it once when a bucket notification is configured)".to_owned(),
        )),
        Err("SQS message body is not JSON"),
        Ok(MessageContent::Objects(vec![put_obj("AWSLogs/b.json.gz")])),
        Ok(MessageContent::Objects(vec![obj("AWSLogs/c d.json.gz")])),
        Ok(MessageContent::Objects(vec![
            obj("AWSLogs/e.json.gz"),
            obj("AWSLogs/f.json.gz"),
        ])),
        Ok(MessageContent::Objects(vec![eb_obj("AWSLogs/g h.json.gz")])),
        Ok(MessageContent::ApiCall(api_call())),
        Err("SQS message body is not a shape keytrail accepts (top-level keys: \"surprise\")"),
        Err("SQS message body holds a Lambda aws:sqs event rather than an S3 notification"),
    ];
    for (message, want) in messages.into_iter().zip(want) {
        match (message.content, want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{}", message.message_id),
            (Err(err), Err(fragment)) => {
                assert!(
                    err.to_string().contains(fragment),
                    "{}: {err}",
                    message.message_id
                );
            }
            (got, want) => panic!("{}: got {got:?}, want {want:?}", message.message_id),
        }
    }
}

#[test]
fn sqs_message_without_id_fails_the_payload() {
    let payload = json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]});
    let err = parse_invocation(&payload).unwrap_err();
    assert!(
        err.to_string().contains("missing string field `messageId`"),
        "{err}"
    );
}

#[test]
fn batch_invocations_decode_keys_in_both_schemas() {
    let tasks_1 = json!([
        {"taskId": "t0", "s3Key": "AWSLogs/demo+copy+100%25.json.gz", "s3VersionId": "v9",
         "s3BucketArn": format!("arn:aws:s3:::{B}")},
        {"taskId": "t1", "s3Key": "caf%C3%A9.json", "s3VersionId": null,
         "s3BucketArn": "arn:aws:s3:us-east-1:0123456788:other-bucket"},
        {"taskId": "t2", "s3BucketArn": "arn:aws:s3:::b"},
        {"taskId": "t3", "s3Key": "k"},
    ]);
    let tasks_2 =
        json!([{"taskId": "t0", "s3Key": "a%2Bb+c.json.gz", "s3VersionId": null, "s3Bucket": B}]);
    let cases = [
        (
            "1.0",
            tasks_1,
            vec![
                Ok(ObjectRef {
                    version_id: Some("v9".to_owned()),
                    ..obj("AWSLogs/demo copy 100%.json.gz")
                }),
                Ok(ObjectRef {
                    bucket: "other-bucket".to_owned(),
                    ..obj("café.json")
                }),
                Err("missing field `s3Key`"),
                Err("neither `s3Bucket` (schema 2.0) nor `s3BucketArn` (schema 1.0)"),
            ],
        ),
        ("2.0", tasks_2, vec![Ok(obj("a+b c.json.gz"))]),
    ];
    for (version, tasks, want) in cases {
        let Ok(Invocation::Batch(job)) = parse_invocation(&batch(version, tasks)) else {
            panic!("{version}: not a batch invocation");
        };
        assert_eq!(job.invocation_schema_version, version);
        assert_eq!(
            (job.invocation_id.as_str(), job.job_id.as_str()),
            ("inv-1", "job-1")
        );
        assert_eq!(
            job.user_arguments.get("reason").map(String::as_str),
            Some("backfill")
        );
        assert_eq!(job.tasks.len(), want.len(), "{version}");
        for (i, (task, want)) in job.tasks.iter().zip(want).enumerate() {
            assert_eq!(task.task_id, format!("t{i}"));
            match (&task.object, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, &want, "{version} t{i}"),
                (Err(err), Err(fragment)) => {
                    assert!(err.to_string().contains(fragment), "{version} t{i}: {err}");
                }
                (got, want) => panic!("{version} t{i}: got {got:?}, want {want:?}"),
            }
        }
    }
}

#[test]
fn batch_response_echoes_the_invocation() {
    let tasks = json!([{"taskId": "t0", "s3Key": "k", "s3BucketArn": "arn:aws:s3:::b"}]);
    let Ok(Invocation::Batch(job)) = parse_invocation(&batch("1.0", tasks)) else {
        panic!("not a batch invocation");
    };
    let response = job.response(vec![job.tasks[0].result(ResultCode::Succeeded, "ok")]);
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"invocationSchemaVersion": "1.0", "treatMissingKeysAs": "PermanentFailure",
               "invocationId": "inv-1",
               "results": [{"taskId": "t0", "resultCode": "Succeeded", "resultString": "ok"}]})
    );
}

#[test]
fn sqs_response_uses_lambda_field_names() {
    let failed = |ids: &[&str]| {
        let mut response = SqsBatchResponse::default();
        response.set_failures(ids.iter().copied());
        response
    };
    let cases = [
        (failed(&[]), json!({"batchItemFailures": []})),
        (
            failed(&["m-2", "m-5"]),
            json!({"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-5"}]}),
        ),
    ];
    for (response, want) in cases {
        assert_eq!(serde_json::to_value(&response).unwrap(), want);
    }
}

#[test]
fn batch_response_uses_s3_field_names() {
    let task = |id: &str| BatchTask {
        task_id: id.to_owned(),
        object: Ok(ObjectRef {
            bucket: "b".to_owned(),
            key: "k".to_owned(),
            version_id: None,
            size: None,
            sequencer: None,
        }),
    };
    let job = BatchJob {
        invocation_id: "inv".to_owned(),
        invocation_schema_version: "2.0".to_owned(),
        job_id: "job".to_owned(),
        user_arguments: Default::default(),
        tasks: Vec::new(),
    };
    let response = job.response(vec![
        task("t1").result(ResultCode::Succeeded, "3 records, 1 alert"),
        task("t2").result(ResultCode::TemporaryFailure, "publish failed"),
        task("t3").result(ResultCode::PermanentFailure, "not a trail object"),
    ]);
    let want = json!({
        "invocationSchemaVersion": "2.0",
        "treatMissingKeysAs": "PermanentFailure",
        "invocationId": "inv",
        "results": [
            {"taskId": "t1", "resultCode": "Succeeded", "resultString": "3 records, 1 alert"},
            {"taskId": "t2", "resultCode": "TemporaryFailure", "resultString": "publish failed"},
            {"taskId": "t3", "resultCode": "PermanentFailure", "resultString": "not a trail object"},
        ],
    });
    assert_eq!(serde_json::to_value(&response).unwrap(), want);
    let text = serde_json::to_string(&response).unwrap();
    assert!(
        text.starts_with(r#"{"invocationSchemaVersion":"2.0","treatMissingKeysAs""#),
        "{text}"
    );
}

#[test]
fn object_uri_uses_the_decoded_key() {
    assert_eq!(
        obj("AWSLogs/demo copy 100%.json.gz").uri(),
        format!("s3://{B}/AWSLogs/demo copy 100%.json.gz")
    );
    assert_eq!(obj("k").to_string(), obj("k").uri());
}
