//! Load test of the S3 -> SQS -> Lambda path against moto: `KEYTRAIL_LOAD_OBJECTS` trail objects
//! (default 200; `make load` runs 2000) of mixed sizes, 5% of them bad, each announced by an S3
//! notification on a work queue with a redrive policy, drained by concurrent workers that do what
//! Lambda's SQS event source mapping does. Then every planted alert must have arrived exactly
//! once, every bad object must have its integrity alert, the dead-letter queue must hold exactly
//! the poison messages (each tried `MAX_RECEIVE` times), and the peak resident set must stay
//! bounded and flat in N. One allowance: without an idempotency table, an object whose
//! notification SQS delivered twice may repeat its alerts (at least once is the floor); with one
//! (the default, [`IDEMPOTENCY_TABLE`]) every alert must arrive exactly once.
//!
//! moto is the bottleneck, not keytrail: its SQS walks the whole queue some 30 times per receive,
//! so the notifications are fed in as the queue drains and the alerts read as they arrive, to keep
//! both queues short (see [`produce`]).
//!
//! The planted records are the built-in pack's hit fixtures (`rules/tests/*/hit`), each given a
//! fresh `eventID`; the alerts each should raise come from the compiled pack, and their stable ids
//! from `alert_id`. The background records are generic API calls and the pack's miss fixtures,
//! kept only when no rule matches them.
//!
//! The pack's correlations run too (in the state table, when there is one): the planted records
//! complete some of them across objects, and each correlation alert must arrive once. Set
//! `KEYTRAIL_LOAD_CORRELATIONS=off` to compare the figures without them.
//!
//! Alone in its own test binary, so no other test shares the process being measured.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry,
};
use keytrail_core::alert::{alert_id, INTEGRITY_RULE_ID};
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_testkit::{Moto, ReceivedMessage, Stack};
use serde_json::{json, Value};
use support::*;
use tokio::sync::Semaphore;
use trail_processor::handler::handle;

/// Concurrent pollers, as Lambda's SQS mapping runs several invocations at once.
const WORKERS: usize = 4;
/// The work queue's redrive policy: receives before a message goes to the DLQ.
const MAX_RECEIVE: u32 = 3;
/// The work queue's visibility timeout: longer than any batch takes, so that no message is
/// redelivered while it is being processed (that would be a duplicate the test did not plan).
const VISIBILITY_SECS: i32 = 60;
/// How soon a failed message is visible again. Lambda leaves it for the whole visibility
/// timeout; the driver shortens that wait so that the poison messages reach the DLQ quickly.
const RETRY_DELAY_SECS: i32 = 1;
/// The bound on the test process's peak resident set while the queue is drained.
const MAX_PEAK_MIB: u64 = 200;
/// How much the peak may still rise after the first 10% of the objects.
const MAX_GROWTH_MIB: u64 = 48;
/// The most messages the producer keeps on the work queue.
const BACKLOG: u64 = 100;
/// The most alerts the producer lets wait on the subscriber queue before it sends more.
const ALERT_BACKLOG: u64 = 200;
const KEYS: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/06/10";

/// The idempotency table the app under load records its alerts in; `None` runs without one (the
/// assertions follow: repeats are then allowed for a redelivered object).
const IDEMPOTENCY_TABLE: Option<&str> = Some("keytrail-load-idempotency");

/// The app under load, with the idempotency table (created in moto) when there is one.
async fn load_app(moto: &Moto, topic: &str) -> TestApp {
    let mut env = vec![("OBJECT_CONCURRENCY", "4")];
    if std::env::var("KEYTRAIL_LOAD_CORRELATIONS").is_ok_and(|v| v == "off") {
        env.push(("CORRELATIONS", "off"));
    }
    if let Some(table) = IDEMPOTENCY_TABLE {
        create_idempotency_table(moto, table).await;
        env.push(("IDEMPOTENCY_TABLE", table));
    }
    app(moto, topic, &env)
}

/// A deterministic xorshift generator: the same objects on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A record template serialized once, split around its `eventID` so copies are cheap to write.
struct Template {
    before: String,
    after: String,
    rule_ids: Vec<String>,
}

const ID_MARK: &str = "@@EVENT-ID@@";

fn template(mut record: Value, rules: &RuleSet) -> Template {
    record["eventID"] = json!(ID_MARK);
    let rule_ids = (0..rules.rules().len())
        .filter(|&i| rules.is_match(i, &record))
        .map(|i| rules.rules()[i].id.clone())
        .collect();
    let text = serde_json::to_string(&record).unwrap();
    let (before, after) = text.split_once(ID_MARK).unwrap();
    Template {
        before: before.to_owned(),
        after: after.to_owned(),
        rule_ids,
    }
}

fn fixtures(kind: &str) -> Vec<Value> {
    let mut paths: Vec<_> = std::fs::read_dir(repo().join("rules/tests"))
        .unwrap()
        .flat_map(|rule| std::fs::read_dir(rule.unwrap().path().join(kind)).into_iter())
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        // Plain records only (one hit fixture is a whole EventBridge envelope).
        .filter(|v: &Value| v.get("eventSource").is_some())
        .collect()
}

/// Background API calls that fire nothing, with a kilobyte or so of realistic fields.
fn background(rules: &RuleSet) -> Vec<Template> {
    let generic = [
        (
            "s3.amazonaws.com",
            "GetObject",
            json!({"bucketName": "app-data", "key": "reports/2026/06/10/daily.csv"}),
        ),
        (
            "ec2.amazonaws.com",
            "DescribeInstances",
            json!({"instancesSet": {}, "filterSet": {"items": [{"name": "tag:team", "valueSet": {"items": [{"value": "payments"}]}}]}}),
        ),
        (
            "sts.amazonaws.com",
            "AssumeRole",
            json!({"roleArn": "arn:aws:iam::123456789012:role/deploy", "roleSessionName": "ci-1234", "durationSeconds": 3600}),
        ),
        (
            "kms.amazonaws.com",
            "Decrypt",
            json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"aws:s3:arn": "arn:aws:s3:::app-data/reports"}}),
        ),
        ("iam.amazonaws.com", "ListRoles", json!({"maxItems": 100})),
        (
            "acm.amazonaws.com",
            "DescribeCertificate",
            json!({"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-4000-8000-000000000001"}),
        ),
    ];
    let mut records: Vec<Value> = generic
        .into_iter()
        .map(|(source, name, params)| {
            json!({
                "eventVersion": "1.09",
                "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:app", "arn": "arn:aws:sts::123456789012:assumed-role/app/i-0abc", "accountId": "123456789012",
                                 "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::123456789012:role/app", "userName": "app"}, "attributes": {"creationDate": "2026-06-10T19:00:00Z", "mfaAuthenticated": "false"}}},
                "eventTime": "2026-06-10T20:30:00Z", "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
                "sourceIPAddress": "10.0.12.34", "userAgent": "aws-sdk-java/2.25.0 Linux/6.1 OpenJDK_64-Bit_Server_VM/21 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE",
                "requestParameters": params, "responseElements": null,
                "requestID": "6f2b1c9a-0000-4000-8000-00000000abcd", "readOnly": true,
                "resources": [{"accountId": "123456789012", "type": "AWS::S3::Object", "ARN": "arn:aws:s3:::app-data/reports"}],
                "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "123456789012", "eventCategory": "Management",
                "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": source}
            })
        })
        .collect();
    records.extend(fixtures("miss"));
    let quiet: Vec<Template> = records
        .into_iter()
        .map(|r| template(r, rules))
        .filter(|t| t.rule_ids.is_empty())
        .collect();
    assert!(
        quiet.len() >= 10,
        "only {} quiet background records",
        quiet.len()
    );
    quiet
}

/// How a bad object is broken.
#[derive(Debug, Clone, Copy)]
enum Bad {
    TruncatedGzip,
    NotJson,
    WrongEnvelope,
    NotGzip,
    CorruptGzip,
}

const BAD_KINDS: [Bad; 5] = [
    Bad::TruncatedGzip,
    Bad::NotJson,
    Bad::WrongEnvelope,
    Bad::NotGzip,
    Bad::CorruptGzip,
];

/// What one object should produce.
enum Expect {
    /// These (alert id, rule id, event id) alerts.
    Alerts(Vec<(String, String, String)>),
    /// One integrity alert naming the object.
    Integrity(Bad),
}

struct Generated {
    key: String,
    body: Vec<u8>,
    records: u64,
    expect: Expect,
}

fn records_json(
    obj: usize,
    n: u64,
    planted: &[(u64, &Template)],
    quiet: &[Template],
    rng: &mut Rng,
) -> (Vec<u8>, Vec<(String, String, String)>) {
    let mut out = Vec::with_capacity(n as usize * 1200);
    let mut alerts = Vec::new();
    out.extend_from_slice(b"{\"Records\":[");
    for i in 0..n {
        if i > 0 {
            out.push(b',');
        }
        let id = format!("{obj:08x}-{:04x}-4000-8000-{i:012x}", rng.below(0x10000));
        let t = match planted.iter().find(|(at, _)| *at == i) {
            Some((_, t)) => {
                for rule in &t.rule_ids {
                    alerts.push((alert_id(rule, Some(&id), "", 0), rule.clone(), id.clone()));
                }
                *t
            }
            None => &quiet[rng.below(quiet.len() as u64) as usize],
        };
        out.extend_from_slice(t.before.as_bytes());
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(t.after.as_bytes());
    }
    out.extend_from_slice(b"]}");
    (out, alerts)
}

/// Object `obj`: every 20th is bad (5%), the others hold 0 to 3 planted records among up to a
/// few thousand background ones.
fn generate(obj: usize, hits: &[Template], quiet: &[Template]) -> Generated {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (obj as u64 + 1).wrapping_mul(0x2545_f491));
    let key =
        format!("{KEYS}/123456789012_CloudTrail_us-east-1_20260610T2030Z_load{obj:06}.json.gz");
    let n = match (obj % 50, rng.below(100)) {
        (0, _) => 1,
        (1, _) | (_, 92..) => 1000 + rng.below(2001),
        (_, 60..) => 51 + rng.below(450),
        _ => 2 + rng.below(49),
    };
    if obj % 20 == 7 {
        let kind = BAD_KINDS[(obj / 20) % BAD_KINDS.len()];
        let n = n.min(300);
        let (json, _) = records_json(obj, n, &[], quiet, &mut rng);
        let body = match kind {
            Bad::TruncatedGzip => {
                let gz = gzip(&json);
                gz[..gz.len() * 2 / 3].to_vec()
            }
            Bad::NotJson => {
                gzip(b"2026-06-10 20:30:00 INFO this is an application log, not CloudTrail\n")
            }
            Bad::WrongEnvelope => {
                let mut wrong = b"{\"Items\":".to_vec();
                wrong.extend_from_slice(&json[b"{\"Records\":".len()..]);
                gzip(&wrong)
            }
            Bad::NotGzip => b"PK\x03\x04\x14\x00\x00\x00\x08\x00 not a trail log".to_vec(),
            Bad::CorruptGzip => {
                let mut gz = gzip(&json);
                let (mid, len) = (gz.len() / 2, gz.len());
                for b in &mut gz[mid..(mid + 16).min(len - 8)] {
                    *b ^= 0x5a;
                }
                gz
            }
        };
        return Generated {
            key,
            body,
            records: 0,
            expect: Expect::Integrity(kind),
        };
    }
    let planted: Vec<(u64, &Template)> = (0..rng.below(4).min(n))
        .map(|_| (rng.below(n), &hits[rng.below(hits.len() as u64) as usize]))
        .collect();
    // Two draws may pick one position: the first wins, the other is not planted.
    let mut seen = BTreeSet::new();
    let planted: Vec<(u64, &Template)> = planted
        .into_iter()
        .filter(|(at, _)| seen.insert(*at))
        .collect();
    let (json, alerts) = records_json(obj, n, &planted, quiet, &mut rng);
    Generated {
        key,
        body: gzip(&json),
        records: n,
        expect: Expect::Alerts(alerts),
    }
}

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> (String, String) {
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap();
    (url, arn)
}

async fn queue_counts(sqs: &aws_sdk_sqs::Client, url: &str) -> (u64, u64) {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let get = |n: &QueueAttributeName| attrs.get(n).map_or(0, |v| v.parse().unwrap());
    (
        get(&QueueAttributeName::ApproximateNumberOfMessages),
        get(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

/// What the driver saw.
struct Driven {
    /// One ReceiveMessage at a time: moto 5.2.5 is not thread-safe when two receives move the
    /// same message to the DLQ (`list.remove(x): x not in list`, a 500 after it has already
    /// marked other messages received, which then come round again after the visibility
    /// timeout). Invocations still run concurrently.
    receive_turn: tokio::sync::Mutex<()>,
    /// Every notification has been sent.
    sent_all: AtomicBool,
    /// The work queue is drained.
    done: AtomicBool,
    /// When `handled` passes it, the peak RSS is recorded.
    tenth: usize,
    deadline: Instant,
    /// Receives of each message body (by body), and the highest ApproximateReceiveCount.
    receives: Mutex<HashMap<String, u32>>,
    invocations: AtomicUsize,
    failed_items: AtomicUsize,
    handled: AtomicUsize,
    peak_at_10pct: AtomicU64,
}

/// One poller: receive up to 10, invoke the handler with the SQS event, delete what succeeded,
/// make the failures visible again after [`RETRY_DELAY_SECS`]; until everything was sent and
/// both counts are 0.
async fn worker(
    sqs: aws_sdk_sqs::Client,
    url: String,
    arn: String,
    app: TestApp,
    driven: Arc<Driven>,
) {
    while !driven.done.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < driven.deadline,
            "the work queue did not drain in time"
        );
        let turn = driven.receive_turn.lock().await;
        let out = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        drop(turn);
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            // Short polls, waiting outside the turn, so an empty queue holds up no other worker.
            tokio::time::sleep(Duration::from_millis(200)).await;
            if driven.sent_all.load(Ordering::SeqCst) && queue_counts(&sqs, &url).await == (0, 0) {
                driven.done.store(true, Ordering::SeqCst);
            }
            continue;
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: BTreeMap<&str, &str> = m
                    .attributes
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let count: u32 = attributes["ApproximateReceiveCount"].parse().unwrap();
                let mut receives = driven.receives.lock().unwrap();
                let seen = receives.entry(m.body().unwrap().to_owned()).or_default();
                *seen = (*seen).max(count);
                json!({
                    "messageId": m.message_id(), "receiptHandle": m.receipt_handle(),
                    "body": m.body(), "attributes": attributes, "messageAttributes": {},
                    "md5OfBody": m.md5_of_body(), "eventSource": "aws:sqs",
                    "eventSourceARN": arn, "awsRegion": "us-east-1",
                })
            })
            .collect();
        let response = handle(&app, json!({ "Records": records })).await;
        driven.invocations.fetch_add(1, Ordering::SeqCst);
        // An error of the whole invocation makes Lambda retry the whole batch.
        let failed: BTreeSet<String> = match response {
            Ok(r) => r["batchItemFailures"]
                .as_array()
                .unwrap_or_else(|| panic!("not an SQS batch response: {r}"))
                .iter()
                .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
                .collect(),
            Err(e) => {
                eprintln!("invocation failed as a whole: {e}");
                messages
                    .iter()
                    .map(|m| m.message_id().unwrap().to_owned())
                    .collect()
            }
        };
        driven
            .failed_items
            .fetch_add(failed.len(), Ordering::SeqCst);
        let (retry, ok): (Vec<_>, Vec<_>) = messages
            .iter()
            .partition(|m| failed.contains(m.message_id().unwrap()));
        if !ok.is_empty() {
            let entries = ok
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle().unwrap())
                        .build()
                        .unwrap()
                })
                .collect();
            let r = sqs
                .delete_message_batch()
                .queue_url(&url)
                .set_entries(Some(entries))
                .send()
                .await
                .unwrap();
            assert!(r.failed.is_empty(), "deletes failed: {:?}", r.failed);
        }
        if !retry.is_empty() {
            let entries = retry
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle().unwrap())
                        .visibility_timeout(RETRY_DELAY_SECS)
                        .build()
                        .unwrap()
                })
                .collect();
            sqs.change_message_visibility_batch()
                .queue_url(&url)
                .set_entries(Some(entries))
                .send()
                .await
                .unwrap();
        }
        let before = driven.handled.fetch_add(ok.len(), Ordering::SeqCst);
        if before < driven.tenth && before + ok.len() >= driven.tenth {
            driven.peak_at_10pct.store(peak_rss_mib(), Ordering::SeqCst);
        }
    }
}

/// Sends the notifications 10 at a time, as objects land, keeping at most [`BACKLOG`] messages
/// on the work queue and holding back while the collector is [`ALERT_BACKLOG`] alerts behind:
/// moto's queues slow down with their length (a receive walks the whole queue some 30 times),
/// which would measure moto rather than keytrail.
async fn produce(
    sqs: aws_sdk_sqs::Client,
    url: String,
    alerts_url: String,
    bodies: Vec<String>,
    driven: Arc<Driven>,
) {
    for (n, chunk) in bodies.chunks(10).enumerate() {
        loop {
            let (visible, in_flight) = queue_counts(&sqs, &url).await;
            let (alerts, _) = queue_counts(&sqs, &alerts_url).await;
            if visible + in_flight < BACKLOG && alerts < ALERT_BACKLOG {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(format!("{n}-{i}"))
                    .message_body(body)
                    .build()
                    .unwrap()
            })
            .collect();
        let r = sqs
            .send_message_batch()
            .queue_url(&url)
            .set_entries(Some(entries))
            .send()
            .await
            .unwrap();
        assert!(r.failed.is_empty(), "{:?}", r.failed);
    }
    driven.sent_all.store(true, Ordering::SeqCst);
}

/// Reads (and deletes) the alerts as they arrive, so that the subscriber queue stays short, until
/// the workers are done.
async fn collect(stack: Stack, driven: Arc<Driven>) -> Vec<Got> {
    let mut received = Vec::new();
    while !driven.done.load(Ordering::SeqCst) {
        let batch = stack.receive_alerts(1, Duration::from_secs(1)).await;
        received.extend(batch.iter().map(Got::from));
    }
    received
}

/// What the test keeps of one alert message (not the whole of it, whose size would grow the
/// resident set being measured).
struct Got {
    alert_id: String,
    rule_id: String,
    event_id: Option<String>,
    object: String,
    /// The SNS MessageId: the same twice means SQS delivered one notification twice; different
    /// ones mean the alert was published twice.
    sns_id: String,
}

impl From<&ReceivedMessage> for Got {
    fn from(m: &ReceivedMessage) -> Got {
        let a = m.json();
        let text = |v: &Value| v.as_str().unwrap_or_else(|| panic!("{a}")).to_owned();
        Got {
            alert_id: text(&a["alert_id"]),
            rule_id: text(&a["rule_id"]),
            event_id: a["event_id"].as_str().map(str::to_owned),
            object: text(&a["source"]["object"]),
            sns_id: text(&m.envelope["MessageId"]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqs_path_under_load_delivers_every_alert_once_in_bounded_memory() {
    let objects: usize = std::env::var("KEYTRAIL_LOAD_OBJECTS")
        .ok()
        .map_or(200, |v| {
            v.parse().expect("KEYTRAIL_LOAD_OBJECTS is a number")
        });
    assert!(objects >= 40, "KEYTRAIL_LOAD_OBJECTS must be at least 40");
    let (moto, stack, _) = setup().await;
    let app = load_app(&moto, &stack.topic_arn).await;
    let idempotent = app.config.idempotency.is_some();
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let hits: Vec<Template> = fixtures("hit")
        .into_iter()
        .map(|r| template(r, &rules))
        .collect();
    assert!(hits.iter().all(|t| !t.rule_ids.is_empty()));
    let hits = Arc::new(hits);
    let quiet = Arc::new(background(&rules));

    // The queues: work -> DLQ after MAX_RECEIVE receives.
    let sqs = moto.sqs();
    let (dlq_url, dlq_arn) = create_queue(&sqs, "keytrail-load-dlq").await;
    let (work_url, work_arn) = create_queue(&sqs, "keytrail-load-work").await;
    let redrive =
        json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE.to_string()});
    sqs.set_queue_attributes()
        .queue_url(&work_url)
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            VISIBILITY_SECS.to_string(),
        )
        .send()
        .await
        .unwrap();

    // Generate and upload, 8 at a time, keeping only what each object should produce.
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(8));
    let mut uploads = tokio::task::JoinSet::new();
    for obj in 0..objects {
        let (moto_s3, hits, quiet, gate) = (moto.s3(), hits.clone(), quiet.clone(), gate.clone());
        uploads.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let g = tokio::task::spawn_blocking(move || generate(obj, &hits, &quiet))
                .await
                .unwrap();
            let bytes = g.body.len() as u64;
            moto_s3
                .put_object()
                .bucket(DEMO_BUCKET)
                .key(&g.key)
                .body(g.body.into())
                .send()
                .await
                .unwrap();
            (obj, g.key, g.records, bytes, g.expect)
        });
    }
    let mut generated = uploads.join_all().await;
    generated.sort_by_key(|g| g.0);
    let records: u64 = generated.iter().map(|g| g.2).sum();
    let gz_bytes: u64 = generated.iter().map(|g| g.3).sum();
    let uploaded_in = started.elapsed();

    // One notification per object, as S3 sends them; the poison messages among them, and some
    // that must succeed without any alert (a test event, objects deleted since).
    let gone = s3_put(&format!(
        "{KEYS}/123456789012_CloudTrail_us-east-1_20260610T2030Z_gone.json.gz"
    ));
    let mut no_bucket = s3_put(&format!(
        "{KEYS}/123456789012_CloudTrail_us-east-1_20260610T2030Z_nobucket.json.gz"
    ));
    no_bucket["Records"][0]["s3"]["bucket"]["name"] = json!("keytrail-load-no-such-bucket");
    let mut no_object = s3_put(&format!("{KEYS}/x.json.gz"));
    no_object["Records"][0]["s3"]
        .as_object_mut()
        .unwrap()
        .remove("object");
    let poison: BTreeSet<String> = [
        "this is not an S3 event notification".to_owned(),
        json!({"hello": "not an event shape keytrail knows"}).to_string(),
        no_bucket.to_string(),
        no_object.to_string(),
    ]
    .into();
    let harmless = [
        json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-06-10T20:00:00.000Z",
               "Bucket": DEMO_BUCKET, "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"})
        .to_string(),
        gone.to_string(),
    ];
    let mut bodies: Vec<String> = generated.iter().map(|g| s3_put(&g.1).to_string()).collect();
    for (i, body) in poison.iter().chain(&harmless).enumerate() {
        bodies.insert((i * 37 + 5) % bodies.len(), body.clone());
    }
    // S3 delivers notifications at least once: every 50th object is announced twice, the copy
    // at the end, well after the first has been processed (a copy in flight at the same time
    // would meet the first's idempotency lease and be retried until the DLQ, given this
    // driver's short retry delay).
    let twice: BTreeSet<usize> = (3..objects).step_by(50).collect();
    bodies.extend(twice.iter().map(|&i| s3_put(&generated[i].1).to_string()));
    let messages = bodies.len();

    // Drain the work queue as Lambda's event source mapping would, measuring the peak from here.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let rss_start = peak_rss_mib();
    let driven = Arc::new(Driven {
        sent_all: AtomicBool::new(false),
        done: AtomicBool::new(false),
        tenth: objects / 10,
        deadline: Instant::now() + Duration::from_secs(1800),
        receive_turn: tokio::sync::Mutex::default(),
        receives: Mutex::default(),
        invocations: AtomicUsize::default(),
        failed_items: AtomicUsize::default(),
        handled: AtomicUsize::default(),
        peak_at_10pct: AtomicU64::default(),
    });
    let drive_start = Instant::now();
    let producer = tokio::spawn(produce(
        sqs.clone(),
        work_url.clone(),
        stack.queue_url.clone(),
        bodies,
        driven.clone(),
    ));
    let collector = tokio::spawn(collect(stack.clone(), driven.clone()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        workers.spawn(worker(
            sqs.clone(),
            work_url.clone(),
            work_arn.clone(),
            app.clone(),
            driven.clone(),
        ));
    }
    workers.join_all().await;
    producer.await.unwrap();
    let drained_in = drive_start.elapsed();
    let peak_end = peak_rss_mib();
    let peak_10 = driven.peak_at_10pct.load(Ordering::SeqCst);

    // Everything published is on the subscriber queue by now (moto delivers inside Publish).
    let mut received = collector.await.unwrap();
    let mut expected: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    let mut bad: BTreeMap<String, Bad> = BTreeMap::new();
    for (_, key, _, _, expect) in &generated {
        match expect {
            Expect::Alerts(alerts) => {
                for (id, rule, event) in alerts {
                    let uri = format!("s3://{DEMO_BUCKET}/{key}");
                    let dup = expected.insert(id.clone(), (rule.clone(), event.clone(), uri));
                    assert!(dup.is_none(), "two planted alerts share the id {id}");
                }
            }
            Expect::Integrity(kind) => {
                bad.insert(format!("s3://{DEMO_BUCKET}/{key}"), *kind);
            }
        }
    }
    let want = expected.len() + bad.len();
    if received.len() < want {
        let more = stack
            .receive_alerts(want - received.len(), Duration::from_secs(20))
            .await;
        received.extend(more.iter().map(Got::from));
    }
    received.extend(stack.receive_all_now().await.iter().map(Got::from));
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    let mut integrity: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut unexpected = Vec::new();
    // Correlation alerts: which ones fire depends on how the planted records fall into windows
    // and groups; each must arrive once (with the table).
    let correlation_ids: BTreeSet<&str> = rules
        .correlations()
        .list()
        .map(|c| c.rule.id.as_str())
        .collect();
    let mut correlated: HashMap<String, Vec<String>> = HashMap::new();
    for a in &received {
        if correlation_ids.contains(a.rule_id.as_str()) {
            correlated
                .entry(a.alert_id.clone())
                .or_default()
                .push(a.sns_id.clone());
            continue;
        }
        if a.rule_id == INTEGRITY_RULE_ID {
            integrity
                .entry(a.object.clone())
                .or_default()
                .push((a.alert_id.clone(), a.sns_id.clone()));
            continue;
        }
        match expected.get(&a.alert_id) {
            Some((rule, event, _)) => {
                assert_eq!(
                    (&a.rule_id, a.event_id.as_ref()),
                    (rule, Some(event)),
                    "alert {}",
                    a.alert_id
                );
                seen.entry(a.alert_id.clone())
                    .or_default()
                    .push(a.sns_id.clone());
            }
            None => unexpected.push(format!("{} {:?} {}", a.rule_id, a.event_id, a.object)),
        }
    }
    // Objects announced twice or whose notification came round again: without the idempotency
    // table their alerts may arrive more than once (at least once is the floor), with it exactly
    // once.
    let receives = driven.receives.lock().unwrap().clone();
    let redelivered: BTreeSet<String> = generated
        .iter()
        .filter(|g| {
            twice.contains(&g.0)
                || receives
                    .get(&s3_put(&g.1).to_string())
                    .is_some_and(|n| *n > 1)
        })
        .map(|g| format!("s3://{DEMO_BUCKET}/{}", g.1))
        .collect();
    let may_repeat = |object: &str| !idempotent && redelivered.contains(object);
    let missing: Vec<&String> = expected
        .keys()
        .filter(|id| !seen.contains_key(*id))
        .collect();
    let repeated: Vec<(&String, &Vec<String>)> = seen
        .iter()
        .filter(|(id, n)| n.len() > 1 && !may_repeat(&expected[*id].2))
        .collect();
    let integrity_wrong: Vec<(&String, &Vec<(String, String)>)> = integrity
        .iter()
        .filter(|(object, n)| !bad.contains_key(*object) || (n.len() != 1 && !may_repeat(object)))
        .collect();
    let integrity_missing: Vec<(&String, &Bad)> = bad
        .iter()
        .filter(|(object, _)| !integrity.contains_key(*object))
        .collect();

    // The DLQ, every message received once (kept invisible, so none comes round twice).
    let mut dlq = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(&dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(600)
            .send()
            .await
            .unwrap();
        let batch = out.messages.unwrap_or_default();
        if batch.is_empty() {
            break;
        }
        dlq.extend(batch.into_iter().map(|m| m.body.unwrap_or_default()));
    }
    dlq.sort();
    let poison_receives: Vec<u32> = poison
        .iter()
        .map(|b| receives.get(b).copied().unwrap_or(0))
        .collect();

    let secs = drained_in.as_secs_f64();
    println!(
        "load: {objects} objects ({} bad, {} MB gzip, uploaded in {:.1} s), {messages} messages, \
         {records} records, {} alerts ({} planted + {} integrity + {} correlation) in {secs:.1} s over {WORKERS} \
         workers: {:.0} objects/s, {:.0} alerts/s, {:.0} records/s; {} invocations, {} failed \
         items, {} object(s) announced twice or redelivered, idempotency {}, DLQ {}; peak RSS {peak_end} MiB (start {rss_start}, after 10% {peak_10})",
        bad.len(),
        gz_bytes / 1_000_000,
        uploaded_in.as_secs_f64(),
        received.len(),
        seen.values().map(Vec::len).sum::<usize>(),
        integrity.values().map(Vec::len).sum::<usize>(),
        correlated.len(),
        objects as f64 / secs,
        received.len() as f64 / secs,
        records as f64 / secs,
        driven.invocations.load(Ordering::SeqCst),
        driven.failed_items.load(Ordering::SeqCst),
        redelivered.len(),
        if idempotent { "on" } else { "off" },
        dlq.len(),
    );

    assert!(
        missing.is_empty(),
        "{} planted alert(s) never arrived: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(
        repeated.is_empty(),
        "alerts that arrived more than once (alert id, SNS message ids): {repeated:?}"
    );
    let correlated_twice: Vec<_> = correlated
        .iter()
        .filter(|(_, sns)| idempotent && sns.len() > 1)
        .collect();
    assert!(
        correlated_twice.is_empty(),
        "correlation alerts that arrived more than once: {correlated_twice:?}"
    );
    assert!(
        unexpected.is_empty(),
        "{} alert(s) nobody planted: {:?}",
        unexpected.len(),
        &unexpected[..unexpected.len().min(10)]
    );
    assert!(
        integrity_missing.is_empty(),
        "bad objects without their integrity alert: {integrity_missing:?}"
    );
    assert!(
        integrity_wrong.is_empty(),
        "integrity alerts for good objects, or more than one per object (alert id, SNS message id): \
         {integrity_wrong:?}"
    );
    assert_eq!(
        dlq,
        poison.iter().cloned().collect::<Vec<_>>(),
        "the DLQ holds exactly the poison messages"
    );
    assert_eq!(
        poison_receives,
        vec![MAX_RECEIVE; poison.len()],
        "each poison message was tried MAX_RECEIVE times"
    );
    assert_eq!(queue_counts(&sqs, &work_url).await, (0, 0));
    assert!(
        peak_end < MAX_PEAK_MIB,
        "peak RSS {peak_end} MiB, bound {MAX_PEAK_MIB} MiB"
    );
    assert!(
        peak_end <= peak_10 + MAX_GROWTH_MIB,
        "peak RSS grew from {peak_10} MiB after 10% of the objects to {peak_end} MiB at the end"
    );
}
