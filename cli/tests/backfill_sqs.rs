//! `keytrail backfill --via sqs` end to end against moto (S3, SQS, SNS, DynamoDB), through the
//! real SDK: the `keytrail` binary lists a generated organization-trail layout and sends the
//! notifications to a backfill queue; the trail-processor's handler, in-process, drains the queue
//! as the Lambda's SQS event source mapping would (the received messages become its SQS event),
//! with the idempotency table on; the alerts arrive on the alert topic's subscribed queue.
//!
//! The layout: organization `o-exampleorg1`, 3 accounts x 2 regions x 5 days (2026-06-08..12), two
//! trail objects per day folder, each raising one distinct alert (an `ExportCertificate` record
//! with its own event id). The backfill asks for 06-09..06-11: 36 objects, 36 alerts. Beside them:
//! a `CloudTrail-Digest/` folder (skipped), a key in a day folder that is not a trail object
//! (skipped), and a folder outside the layout (skipped).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use keytrail_aws::client;
use keytrail_aws::s3::S3Source;
use keytrail_aws::sns::SnsSink;
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_testkit::{Moto, Stack};
use serde_json::{json, Value};
use trail_processor::config::Config;
use trail_processor::handler::handle;
use trail_processor::App;

const BUCKET: &str = "keytrail-org-trail";
const ORG: &str = "AWSLogs/o-exampleorg1";
const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const DAYS: [u32; 5] = [8, 9, 10, 11, 12];
const IN_RANGE: [u32; 3] = [9, 10, 11];
const TABLE: &str = "keytrail-backfill-published";
const QUEUE: &str = "keytrail-backfill";

/// One gzipped trail object of one `ExportCertificate` record whose event id is `id`.
fn trail_object(id: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(
        support::repo().join("events/eventbridge-api-call-export-certificate.json"),
    )
    .unwrap();
    let mut record = serde_json::from_str::<Value>(&text).unwrap()["detail"].clone();
    record["eventID"] = json!(format!("00000000-0000-4000-8000-{id:012}"));
    let body = serde_json::to_vec(&json!({ "Records": [record] })).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &body).unwrap();
    enc.finish().unwrap()
}

/// Uploads the layout; answers the keys a 06-09..06-11 backfill must send.
async fn plant(moto: &Moto) -> BTreeSet<String> {
    let s3 = moto.s3();
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let put = |key: String, body: Vec<u8>| {
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket(BUCKET)
                .key(key)
                .body(body.into())
                .send()
                .await
                .unwrap();
        }
    };
    let mut in_range = BTreeSet::new();
    let mut id = 0;
    for account in ACCOUNTS {
        for region in REGIONS {
            for day in DAYS {
                for hhmm in ["0005", "1235"] {
                    id += 1;
                    let key = format!(
                        "{ORG}/{account}/CloudTrail/{region}/2026/06/{day:02}/\
                         {account}_CloudTrail_{region}_202606{day:02}T{hhmm}Z_bf{id:04}.json.gz"
                    );
                    if IN_RANGE.contains(&day) {
                        in_range.insert(key.clone());
                    }
                    put(key, trail_object(id)).await;
                }
            }
            put(
                format!(
                    "{ORG}/{account}/CloudTrail-Digest/{region}/2026/06/10/\
                     {account}_CloudTrail-Digest_{region}_org_{region}_20260610T010000Z.json.gz"
                ),
                b"{}".to_vec(),
            )
            .await;
        }
    }
    put(
        format!("{ORG}/111111111111/CloudTrail/us-east-1/2026/06/10/README.txt"),
        b"not a trail object".to_vec(),
    )
    .await;
    put(
        format!("{ORG}/111111111111/Config/us-east-1/2026/06/10/config.json.gz"),
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(in_range.len(), 36);
    in_range
}

fn keytrail(moto: &Moto, args: &[&str]) -> Output {
    support::keytrail_on(moto, args, &[])
}

/// The trail-processor as the Lambda runs it, on moto, with the state table (alert claims).
fn processor(moto: &Moto, topic: &str) -> Arc<App<S3Source, SnsSink>> {
    let sdk = moto.sdk_config();
    let topic_owned = topic.to_owned();
    let config = Config::from_env(&|k| match k {
        "ALERT_TOPIC_ARN" => Some(topic_owned.clone()),
        "STATE_TABLE" => Some(TABLE.to_owned()),
        // The planted exports would also fire `acm-bulk-export`; the assertions count records.
        "CORRELATIONS" => Some("off".to_owned()),
        _ => None,
    })
    .unwrap();
    let ledger = trail_processor::ledger(&config, client::dynamodb_client(&sdk));
    Arc::new(App {
        config,
        rules: Arc::new(RuleSet::load(&LoadOptions::default()).unwrap().set),
        source: S3Source::new(client::s3_client(&sdk)),
        sink: SnsSink::new(client::sns_client(&sdk), topic.to_owned()),
        extra_sinks: Vec::new(),
        ledger,
        function_name: "trail-processor-backfill-test".to_owned(),
        // Backfill sends log objects only; their hashes are the integrity tests' business.
        integrity: None,
    })
}

/// What one drain of the backfill queue saw.
#[derive(Default)]
struct Drained {
    /// The object keys of the notifications received, with how often each came.
    keys: BTreeMap<String, usize>,
    /// The `rules_only` attribute of each message (`None`: absent).
    rules_only: BTreeSet<Option<String>>,
}

/// Receives every message of the backfill queue, hands them to the handler ten at a time (the
/// event source mapping's batch), and deletes those it did not report as failed.
async fn drain(moto: &Moto, url: &str, app: &Arc<App<S3Source, SnsSink>>) -> Drained {
    let sqs = moto.sqs();
    let mut drained = Drained::default();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            return drained;
        }
        let mut records = Vec::new();
        for m in &messages {
            let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            let key = body["Records"][0]["s3"]["object"]["key"].as_str().unwrap();
            *drained.keys.entry(key.to_owned()).or_default() += 1;
            let only = m
                .message_attributes()
                .and_then(|a| a.get("rules_only"))
                .and_then(|v| v.string_value())
                .map(str::to_owned);
            let attributes = match &only {
                Some(v) => json!({"rules_only": {"stringValue": v, "stringListValues": [],
                    "binaryListValues": [], "dataType": "String"}}),
                None => json!({}),
            };
            drained.rules_only.insert(only);
            records.push(json!({
                "messageId": m.message_id().unwrap(),
                "receiptHandle": m.receipt_handle().unwrap(),
                "body": m.body().unwrap(),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": attributes,
                "md5OfBody": m.md5_of_body().unwrap_or("x"),
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{QUEUE}"),
                "awsRegion": "us-east-1",
            }));
        }
        let answer = handle(app, json!({ "Records": records })).await.unwrap();
        assert_eq!(
            answer,
            json!({"batchItemFailures": []}),
            "every message is processed"
        );
        for m in &messages {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn a_backfill_sends_the_range_and_a_rerun_publishes_nothing_new() {
    let moto = Moto::start().await;
    let stack = Stack::create(&moto).await;
    keytrail_aws::state::create_table(&moto.dynamodb(), TABLE)
        .await
        .unwrap();
    let expected = plant(&moto).await;
    let url = moto
        .sqs()
        .create_queue()
        .queue_name(QUEUE)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let app = processor(&moto, &stack.topic_arn);
    let uri = format!("s3://{BUCKET}/{ORG}/");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "backfill",
            &uri,
            "--since",
            "2026-06-09",
            "--until",
            "2026-06-11",
            "--queue-url",
            &url,
        ];
        args.extend_from_slice(extra);
        keytrail(&moto, &args)
    };

    let out = run(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("36 object(s)") && stderr.contains(&url),
        "the closing line names the objects sent and the queue: {stderr}"
    );
    assert!(
        stderr.contains("1 CloudTrail-Digest folder(s)")
            || stderr.contains("CloudTrail-Digest folder(s)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 key(s) in day folders not named like trail objects"),
        "{stderr}"
    );
    let first = drain(&moto, &url, &app).await;
    assert_eq!(
        first.keys.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "exactly the trail objects dated in range"
    );
    assert!(first.keys.values().all(|&n| n == 1), "{:?}", first.keys);
    assert_eq!(first.rules_only, BTreeSet::from([None]));

    let alerts = stack.receive_alerts(36, Duration::from_secs(20)).await;
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for a in &alerts {
        *ids.entry(a.json()["alert_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(
        ids.len() == 36 && ids.values().all(|&n| n == 1),
        "36 distinct alerts, each once: {ids:?}"
    );
    assert!(stack.receive_all_now().await.is_empty());

    // The same backfill again, narrowed to the rule that raised them: the messages carry the
    // attribute, the handler processes every object again, the table publishes nothing twice.
    let out = run(&["--rules-only", "acm-export-certificate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let second = drain(&moto, &url, &app).await;
    assert_eq!(second.keys, first.keys);
    assert_eq!(
        second.rules_only,
        BTreeSet::from([Some("acm-export-certificate".to_owned())])
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again = stack.receive_all_now().await;
    assert!(
        again.is_empty(),
        "a re-run published {} alert(s)",
        again.len()
    );
}
