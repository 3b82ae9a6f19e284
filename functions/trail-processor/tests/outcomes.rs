//! Every object, SQS message and S3 Batch task gets exactly its own outcome, and all objects of
//! one invocation (across SQS messages too) run under the one OBJECT_CONCURRENCY bound.
//!
//! The SQS partial failure runs against moto like `lambda.rs`. The panic and concurrency cases
//! need an object source that panics or counts what is in flight, so they use an in-memory
//! source and sink; the test runtime is single-threaded, so tasks interleave deterministically
//! (no sleeps, no timing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::primitives::ByteStream;
use keytrail_aws::event::ObjectRef;
use keytrail_aws::s3::{Body, ObjectSource, SourceError};
use keytrail_aws::sns::{AlertSink, PublishError};
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::Alert;
use serde_json::{json, Value};
use support::*;
use trail_processor::config::Config;
use trail_processor::handler::{handle, HandlerError};
use trail_processor::App;

const KEYS: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/06/10";

/// One S3 notification record for `bucket`/`key`.
fn s3_record(bucket: &str, key: &str) -> Value {
    let mut record = s3_put(key)["Records"][0].clone();
    record["s3"]["bucket"]["name"] = json!(bucket);
    record
}

/// An SQS batch: one message per (id, S3 notification records), or a raw body when given one.
fn sqs_batch(messages: &[(&str, Value)]) -> Value {
    let template = event("sqs-s3.json")["Records"][0].clone();
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            let mut m = template.clone();
            m["messageId"] = json!(id);
            m["body"] = match body {
                Value::String(raw) => json!(raw),
                records => json!(json!({ "Records": records }).to_string()),
            };
            m
        })
        .collect();
    json!({ "Records": records })
}

/// An S3 Batch Operations 2.0 job with one task per (task id, key) in the demo bucket.
fn batch_job(tasks: &[(&str, &str)]) -> Value {
    let mut job = event("s3-batch-2.0.json");
    job["tasks"] = tasks
        .iter()
        .map(|(id, key)| json!({"taskId": id, "s3Key": key, "s3VersionId": null, "s3Bucket": DEMO_BUCKET}))
        .collect();
    job
}

/// The regression of issue 2's reviewer: one message's object cannot be read (its bucket does
/// not exist, a retryable error), the others succeed. Only that message is reported, and the
/// alerts of every other object, its own neighbour included, are published.
#[tokio::test]
async fn sqs_batch_reports_only_the_message_whose_object_failed() {
    let (_moto, stack, app) = setup().await;
    let trail = |n: &str| {
        format!("{PREFIX}/us-east-1/2026/06/10/123456789012_CloudTrail_us-east-1_20260610T20{n}.json.gz")
    };
    let eu = format!(
        "{PREFIX}/eu-west-1/2026/06/10/123456789012_CloudTrail_eu-west-1_20260610T2040Z_keytraildemo0003.json.gz"
    );
    let test_event = event("sqs-s3-test-event.json")["Records"][0]["body"].clone();
    let payload = sqs_batch(&[
        (
            "m1",
            json!([s3_record(DEMO_BUCKET, &trail("30Z_keytraildemo0001"))]),
        ),
        (
            "m2",
            json!([
                s3_record(DEMO_BUCKET, &eu),
                s3_record("keytrail-no-such-bucket", &trail("45Z_gone"))
            ]),
        ),
        (
            "m3",
            json!([s3_record(DEMO_BUCKET, &trail("35Z_keytraildemo0002"))]),
        ),
        ("m4", test_event),
    ]);
    let r = handle(&app, payload).await.unwrap();
    assert_eq!(r, json!({"batchItemFailures": [{"itemIdentifier": "m2"}]}));
    let got = alerts(&stack, 5).await;
    assert_eq!(
        event_names(&got),
        [
            "CreateHsm",
            "CreateLoadBalancer",
            "Decrypt",
            "ExportCertificate",
            "NewAccount"
        ]
    );
}

/// Objects served from memory: `*alerting*` holds an ExportCertificate record, `*panic*` makes
/// `open` panic, anything else is an empty trail. Counts the opens in flight.
#[derive(Default)]
struct FakeSource {
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    opened: AtomicUsize,
}

impl ObjectSource for FakeSource {
    async fn open(&self, object: &ObjectRef) -> Result<Body, SourceError> {
        if object.key.contains("panic") {
            panic!("fake source panics on {}", object.key);
        }
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        // Stay in flight across a few scheduler turns, so concurrent opens overlap.
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.opened.fetch_add(1, Ordering::SeqCst);
        let records = if object.key.contains("alerting") {
            vec![event("eventbridge-api-call-export-certificate.json")]
        } else {
            Vec::new()
        };
        let bytes = serde_json::to_vec(&json!({ "Records": records })).unwrap();
        Ok(Body {
            size: Some(bytes.len() as u64),
            stream: ByteStream::from(bytes),
        })
    }
}

/// Keeps the event names of what it is given.
#[derive(Default)]
struct FakeSink {
    published: Mutex<Vec<String>>,
}

impl AlertSink for FakeSink {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError> {
        let mut published = self.published.lock().unwrap();
        published.extend(
            alerts
                .iter()
                .map(|a| a.event_name.clone().unwrap_or_default()),
        );
        Ok(())
    }
}

fn fake_app(concurrency: &str) -> Arc<App<FakeSource, FakeSink>> {
    let concurrency = concurrency.to_owned();
    let config = Config::from_env(&|k| match k {
        "ALERT_TOPIC_ARN" => Some("arn:aws:sns:us-east-1:123456789012:alerts".to_owned()),
        "OBJECT_CONCURRENCY" => Some(concurrency.clone()),
        _ => None,
    })
    .unwrap();
    Arc::new(App {
        config,
        rules: Arc::new(RuleSet::load(&LoadOptions::default()).unwrap().set),
        source: FakeSource::default(),
        sink: FakeSink::default(),
        extra_sinks: Vec::new(),
        ledger: None,
        function_name: "trail-processor-test".to_owned(),
        integrity: None,
    })
}

/// Regression: a panicking object task was logged and dropped, so a direct invocation answered
/// success for fewer objects, its SQS message counted as processed, and later S3 Batch results
/// moved onto the wrong taskId. Now it is a retryable failure of that object, in its own slot.
#[tokio::test]
async fn panicking_object_fails_itself_in_every_delivery_mode() {
    let keys = [
        format!("{KEYS}/1-alerting.json"),
        format!("{KEYS}/2-panic.json"),
        format!("{KEYS}/3-quiet.json"),
    ];

    let app = fake_app("4");
    let direct =
        json!({"Records": keys.iter().map(|k| s3_record(DEMO_BUCKET, k)).collect::<Vec<_>>()});
    let err = handle(&app, direct).await.unwrap_err();
    let HandlerError::Objects {
        failed,
        total,
        retryable,
        ref first,
    } = err
    else {
        panic!("{err}");
    };
    assert_eq!((failed, total, retryable), (1, 3, true), "{err}");
    assert!(
        first.contains("2-panic.json") && first.contains("panicked"),
        "{first}"
    );
    assert_eq!(*app.sink.published.lock().unwrap(), ["ExportCertificate"]);

    let messages: Vec<(&str, Value)> = ["m1", "m2", "m3"]
        .into_iter()
        .zip(&keys)
        .map(|(id, k)| (id, json!([s3_record(DEMO_BUCKET, k)])))
        .collect();
    let r = handle(&app, sqs_batch(&messages)).await.unwrap();
    assert_eq!(r, json!({"batchItemFailures": [{"itemIdentifier": "m2"}]}));

    let tasks: Vec<(&str, &str)> = ["t1", "t2", "t3"]
        .into_iter()
        .zip(keys.iter().map(String::as_str))
        .collect();
    let r = handle(&app, batch_job(&tasks)).await.unwrap();
    let results: Vec<(&str, &str, &str)> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["taskId"].as_str().unwrap(),
                t["resultCode"].as_str().unwrap(),
                t["resultString"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(results.len(), 3, "{r}");
    assert_eq!(results[0], ("t1", "Succeeded", "1 alert(s)"), "{r}");
    assert_eq!(
        (results[1].0, results[1].1),
        ("t2", "TemporaryFailure"),
        "{r}"
    );
    assert!(results[1].2.contains("2-panic.json"), "{r}");
    assert_eq!(results[2], ("t3", "Succeeded", "0 alert(s)"), "{r}");
}

/// Regression: SQS messages were handled one after another, so ten one-object messages (the
/// S3 -> SQS path) ran one object at a time. Now they share the one bound: exactly
/// OBJECT_CONCURRENCY in flight at the peak, never more, and every object read.
#[tokio::test]
async fn sqs_messages_share_one_concurrency_bound() {
    // (OBJECT_CONCURRENCY, messages of one object each, peak in flight expected)
    let cases: &[(&str, usize, usize)] = &[("3", 10, 3), ("1", 4, 1), ("8", 5, 5)];
    for &(limit, n, peak) in cases {
        let app = fake_app(limit);
        let ids: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
        let messages: Vec<(&str, Value)> = ids
            .iter()
            .map(|id| {
                (
                    id.as_str(),
                    json!([s3_record(DEMO_BUCKET, &format!("{KEYS}/{id}.json"))]),
                )
            })
            .collect();
        let r = handle(&app, sqs_batch(&messages)).await.unwrap();
        assert_eq!(r, json!({"batchItemFailures": []}), "limit {limit}");
        assert_eq!(app.source.opened.load(Ordering::SeqCst), n, "limit {limit}");
        assert_eq!(
            app.source.peak.load(Ordering::SeqCst),
            peak,
            "limit {limit}, {n} messages: objects in flight at the peak"
        );
    }
}
