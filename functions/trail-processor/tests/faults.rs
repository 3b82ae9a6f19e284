//! The handler in-process, through the real AWS SDK, through a fault-injecting proxy
//! ([`FaultProxy`]) to moto: S3 resets, slow bodies, `503 SlowDown`, SNS throttling and SNS
//! `500` on the 3rd of 5 PublishBatch calls.
//!
//! For every fault, nothing is lost and nothing delivered is reported failed:
//! - a transient fault (once) is retried, by the SDK or by the sink, and every alert arrives
//!   exactly once (by `alert_id`) while the object succeeds;
//! - a persistent fault (every attempt: 3 SDK attempts x 2 sink attempts for SNS) makes the
//!   object fail retryably (direct: `Err` with `is_retryable()`; SQS: its message in
//!   `batchItemFailures`; S3 Batch: `TemporaryFailure`), every alert SNS accepted arrived, and
//!   after the fault is lifted a re-run delivers the missing ones.
//!
//! Each test also asserts that its fault really fired (a test whose fault never fired fails).
//! The assertions are on alert ids and outcomes, never on when during the read a batch is sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use keytrail_testkit::{Fault, FaultProxy, Match, Moto, Rule, RuleId, Stack};
use serde_json::{json, Value};
use support::*;
use trail_processor::handler::handle;

/// The sample object with three alerts (ExportCertificate, NewAccount, Decrypt).
const DEMO: &str = "123456789012_CloudTrail_us-east-1_20260610T2030Z_keytraildemo0001.json.gz";
/// Alerts in [`DEMO`].
const DEMO_ALERTS: usize = 3;
/// Alerts in the object [`noisy`] uploads: five PublishBatch calls of at most ten.
const NOISY_ALERTS: usize = 45;
/// SDK attempts per call (standard retry mode) times the test sink's attempts per batch.
const EVERY_ATTEMPT: usize = 3 * 2;

/// moto, its alert stack, the proxy in front of it, and an app whose clients go through it.
struct Rig {
    moto: Moto,
    stack: Stack,
    proxy: FaultProxy,
    app: TestApp,
}

async fn rig() -> Rig {
    rig_with(&[]).await
}

/// The idempotency table of [`rig_with_ledger`].
const TABLE: &str = "keytrail-published";

/// A [`Rig`] whose app keeps an idempotency table (in moto, reached through the proxy too).
/// Correlations are off, so the alerts are exactly the records' (`correlate.rs` tests their faults).
async fn rig_with_ledger() -> Rig {
    rig_with(&[("IDEMPOTENCY_TABLE", TABLE), ("CORRELATIONS", "off")]).await
}

async fn rig_with(env: &[(&str, &str)]) -> Rig {
    let (moto, stack, _) = setup().await;
    if !env.is_empty() {
        create_idempotency_table(&moto, TABLE).await;
    }
    let proxy = FaultProxy::start(&moto).await;
    let app = app_with(&proxy.sdk_config(&moto), &stack.topic_arn, env);
    Rig {
        moto,
        stack,
        proxy,
        app,
    }
}

fn key(name: &str) -> String {
    format!("{PREFIX}/us-east-1/2026/06/10/{name}")
}

/// Uploads a trail object with [`NOISY_ALERTS`] ExportCertificate records (distinct eventIDs, so
/// distinct alert ids) and answers its key.
async fn noisy(moto: &Moto) -> String {
    let records: Vec<Value> = (0..NOISY_ALERTS)
        .map(|i| {
            json!({
                "eventVersion": "1.11",
                "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "accountId": "123456789012",
                                 "arn": "arn:aws:iam::123456789012:user/alice", "userName": "alice"},
                "eventTime": format!("2026-06-10T20:50:{:02}Z", i % 60),
                "eventSource": "acm.amazonaws.com",
                "eventName": "ExportCertificate",
                "awsRegion": "us-east-1",
                "sourceIPAddress": "192.0.2.7",
                "userAgent": "aws-cli/2.15.0",
                "requestParameters": {
                    "certificateArn": format!("arn:aws:acm:us-east-1:123456789012:certificate/{i:08}-fault-proxy"),
                    "passphrase": "HIDDEN_DUE_TO_SECURITY_REASONS"
                },
                "responseElements": null,
                "requestID": format!("req-{i:04}"),
                "eventID": format!("e0f1a2b3-0000-4000-8000-{i:012}"),
                "readOnly": false,
                "eventType": "AwsApiCall",
                "managementEvent": true,
                "recipientAccountId": "123456789012",
                "eventCategory": "Management"
            })
        })
        .collect();
    let body = serde_json::to_vec(&json!({ "Records": records })).unwrap();
    let key = key("123456789012_CloudTrail_us-east-1_20260610T2050Z_faultproxy45.json.gz");
    put(moto, &key, gzip(&body)).await;
    key
}

/// Receives exactly `n` alerts, asserts each id came once, and answers the ids.
async fn exactly_once(stack: &Stack, n: usize) -> BTreeSet<String> {
    let got = alerts(stack, n).await;
    let counts = alert_id_counts(&got);
    let repeated: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
    assert!(repeated.is_empty(), "alerts delivered twice: {repeated:?}");
    assert_eq!(got.len(), n, "alerts delivered: {:?}", event_names(&got));
    counts.into_keys().collect()
}

/// Percent-decodes a form value (`+` is a space).
fn form_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The alert ids in one PublishBatch request body (each entry's `Message` is the
/// `MessageStructure: json` object whose `default` is the alert).
fn batch_alert_ids(body: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| {
            name.starts_with("PublishBatchRequestEntries.member.") && name.ends_with(".Message")
        })
        .map(|(_, value)| {
            let message: Value = serde_json::from_str(&form_decode(value)).unwrap();
            let alert: Value = serde_json::from_str(message["default"].as_str().unwrap()).unwrap();
            alert["alert_id"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The alert ids of every PublishBatch moto accepted (forwarded, answered 200), and of every
/// one a fault hit.
fn published(proxy: &FaultProxy) -> (Vec<String>, BTreeSet<String>) {
    let (mut accepted, mut faulted) = (Vec::new(), BTreeSet::new());
    for exchange in proxy.exchanges() {
        let body = String::from_utf8_lossy(&exchange.body);
        if exchange.method != "POST" || !body.split('&').any(|p| p == "Action=PublishBatch") {
            continue;
        }
        let ids = batch_alert_ids(&exchange.body);
        assert!(!ids.is_empty(), "a PublishBatch without entries: {body}");
        match (exchange.fault, exchange.status) {
            (None, Some(200)) => accepted.extend(ids),
            (Some(_), _) => faulted.extend(ids),
            (None, status) => panic!("PublishBatch answered {status:?} without a fault"),
        }
    }
    (accepted, faulted)
}

/// The S3 Batch Operations 2.0 job with one task for `key` in the demo bucket.
fn batch_job(task: &str, key: &str) -> Value {
    let mut job = event("s3-batch-2.0.json");
    job["tasks"] =
        json!([{"taskId": task, "s3Key": key, "s3VersionId": null, "s3Bucket": DEMO_BUCKET}]);
    job
}

/// An SQS batch with one message `id` carrying the S3 notification for `key`.
fn sqs_message(id: &str, key: &str) -> Value {
    let mut message = event("sqs-s3.json")["Records"][0].clone();
    message["messageId"] = json!(id);
    message["body"] = json!(s3_put(key).to_string());
    json!({ "Records": [message] })
}

/// The rule `fault` on GetObject in the demo bucket.
fn on_get(fault: Fault) -> Rule {
    Rule::new(Match::s3_get_object(DEMO_BUCKET), fault)
}

/// The rule `fault` on PublishBatch.
fn on_publish(fault: Fault) -> Rule {
    Rule::new(Match::sns_publish_batch(), fault)
}

/// A reset after the head and half the body of the first GetObject.
fn mid_body_reset() -> Rule {
    on_get(Fault::ResetMidBody { after: usize::MAX }).times(1)
}

/// SNS `500 InternalError` on the 3rd of 5 PublishBatch calls, for `times` attempts.
fn third_batch_fails(times: usize) -> Rule {
    on_publish(Fault::sns_internal_error()).skip(2).times(times)
}

/// Asserts a direct invocation's answer: the object succeeded with `n` alerts.
fn succeeded_with(r: &Value, n: usize) {
    assert_eq!(r["results"][0]["outcome"], format!("{n} alert(s)"), "{r}");
}

/// Asserts that the two PublishBatch calls before the fault were accepted, and not all five.
fn two_batches_accepted(accepted: usize) {
    assert!((20..NOISY_ALERTS).contains(&accepted), "{accepted}");
}

impl Rig {
    /// Adds a fault rule to the proxy.
    fn add(&self, rule: Rule) -> RuleId {
        self.proxy.add(rule)
    }

    /// Runs the handler on `event`, which must not fail.
    async fn run(&self, event: Value) -> Value {
        handle(&self.app, event).await.unwrap()
    }

    /// A direct invocation for `key`: the object succeeds with `n` alerts.
    async fn direct(&self, key: &str, n: usize) {
        succeeded_with(&self.run(s3_put(key)).await, n);
    }

    /// S3 Batch task `t1` for `key`: its result code is `code`.
    async fn batch(&self, key: &str, code: &str) {
        let r = self.run(batch_job("t1", key)).await;
        assert_eq!(r["results"][0]["resultCode"], code, "{r}");
    }

    /// SQS message `m1` for `key`: a batch item failure if `fails`, else none.
    async fn sqs(&self, key: &str, fails: bool) {
        let failures = if fails {
            json!([{"itemIdentifier": "m1"}])
        } else {
            json!([])
        };
        let r = self.run(sqs_message("m1", key)).await;
        assert_eq!(r, json!({ "batchItemFailures": failures }));
    }

    /// A direct invocation for `key` fails retryably, naming the object.
    async fn fails_retryably(&self, key: &str) {
        let err = handle(&self.app, s3_put(key)).await.unwrap_err();
        assert!(err.is_retryable(), "{err}");
        let name = key.rsplit('/').next().unwrap();
        assert!(err.to_string().contains(name), "{err}");
    }

    /// The rule injected its fault `times` times.
    fn fired(&self, rule: RuleId, times: usize) {
        assert_eq!(
            self.proxy.injected(rule),
            times,
            "faults injected (requests the rule saw: {})",
            self.proxy.seen(rule)
        );
    }

    /// The rule fired once and saw the request again: `again` says who sent it again.
    fn fired_once_then_sent_again(&self, rule: RuleId, again: &str) {
        self.fired(rule, 1);
        assert_eq!(self.proxy.seen(rule), 2, "{again}");
    }

    /// The alert ids that arrived before a reset mid-body: each once, and not all of them.
    async fn delivered_before_the_reset(&self) -> BTreeSet<String> {
        let first = alert_id_counts(&alerts(&self.stack, 0).await);
        assert!(first.values().all(|c| *c == 1), "{first:?}");
        assert!(
            first.len() < NOISY_ALERTS,
            "the whole object was read past a reset: {}",
            first.len()
        );
        first.into_keys().collect()
    }
}

/// A GetObject connection reset before any response, once: the SDK retries it; the object
/// succeeds with all its alerts, each once.
#[tokio::test]
async fn s3_reset_before_the_response_once_is_retried_by_the_sdk() {
    let rig = rig().await;
    let rule = rig.add(on_get(Fault::Reset).times(1));
    rig.direct(&key(DEMO), DEMO_ALERTS).await;
    rig.fired_once_then_sent_again(rule, "the SDK tried again");
    exactly_once(&rig.stack, DEMO_ALERTS).await;
}

/// GetObject reset on all 3 SDK attempts: a direct invocation fails retryably, naming the
/// object, with nothing published; once lifted, a re-run delivers every alert once.
#[tokio::test]
async fn s3_reset_on_every_attempt_fails_the_object_until_lifted() {
    let rig = rig().await;
    let rule = rig.add(on_get(Fault::Reset));
    rig.fails_retryably(&key(DEMO)).await;
    rig.fired(rule, 3);
    exactly_once(&rig.stack, 0).await;

    rig.proxy.lift(rule);
    rig.run(s3_put(&key(DEMO))).await;
    exactly_once(&rig.stack, DEMO_ALERTS).await;
}

/// One S3 `503 SlowDown` (SQS delivery): the SDK retries it, no batch item fails, every alert
/// arrives once.
#[tokio::test]
async fn s3_slow_down_once_is_retried_by_the_sdk() {
    let rig = rig().await;
    let rule = rig.add(on_get(Fault::s3_slow_down()).times(1));
    rig.sqs(&key(DEMO), false).await;
    rig.fired_once_then_sent_again(rule, "the request was tried again");
    exactly_once(&rig.stack, DEMO_ALERTS).await;
}

/// `503 SlowDown` on every attempt: the SQS message is a batch item failure; once lifted, the
/// redelivered message succeeds and every alert arrives once.
#[tokio::test]
async fn s3_slow_down_on_every_attempt_is_a_batch_item_failure_until_lifted() {
    let rig = rig().await;
    let rule = rig.add(on_get(Fault::s3_slow_down()));
    rig.sqs(&key(DEMO), true).await;
    rig.fired(rule, 3);
    exactly_once(&rig.stack, 0).await;

    rig.proxy.lift(rule);
    rig.sqs(&key(DEMO), false).await;
    exactly_once(&rig.stack, DEMO_ALERTS).await;
}

/// A body trickled in 32-byte pieces is still read to its end: all 45 alerts, each once.
#[tokio::test]
async fn slow_s3_body_is_read_to_the_end() {
    let rig = rig().await;
    let key = noisy(&rig.moto).await;
    let (piece, delay) = (32, Duration::from_millis(5));
    let rule = rig.add(on_get(Fault::SlowBody { piece, delay }));
    let started = Instant::now();
    let r = rig.run(s3_put(&key)).await;
    let elapsed = started.elapsed();
    succeeded_with(&r, NOISY_ALERTS);
    rig.fired(rule, 1);
    // The body really trickled: at least one delay per piece.
    let size = rig
        .moto
        .s3()
        .head_object()
        .bucket(DEMO_BUCKET)
        .key(&key)
        .send()
        .await
        .unwrap();
    let pieces = u32::try_from(size.content_length().unwrap()).unwrap() / piece as u32;
    assert!(pieces >= 20, "object too small to trickle: {pieces} pieces");
    assert!(elapsed >= delay * pieces, "{:?}", elapsed);
    exactly_once(&rig.stack, NOISY_ALERTS).await;
}

/// A reset after the head and half the body (S3 Batch delivery; the SDK cannot retry a body
/// already handed over): a TemporaryFailure, never a success for a half-read object. Alerts of
/// records before the reset may be out, once each; a re-run publishes all 45.
#[tokio::test]
async fn s3_reset_mid_body_fails_the_object_and_a_rerun_publishes_all() {
    let rig = rig().await;
    let key = noisy(&rig.moto).await;
    let rule = rig.add(mid_body_reset());
    rig.batch(&key, "TemporaryFailure").await;
    rig.fired(rule, 1);
    // Records before the reset may have been published, each once, and nothing else.
    let first = rig.delivered_before_the_reset().await;

    rig.batch(&key, "Succeeded").await;
    let all = exactly_once(&rig.stack, NOISY_ALERTS).await;
    assert!(
        first.is_subset(&all),
        "the first run published alerts the rerun does not know"
    );
}

/// One SNS `Throttling` (S3 Batch delivery): retried, the task succeeds, every alert once.
#[tokio::test]
async fn sns_throttling_once_is_retried_by_the_sdk() {
    let rig = rig().await;
    let rule = rig.add(on_publish(Fault::sns_throttling()).times(1));
    rig.batch(&key(DEMO), "Succeeded").await;
    rig.fired_once_then_sent_again(rule, "the request was tried again");
    exactly_once(&rig.stack, DEMO_ALERTS).await;
}

/// `Throttling` on all 6 attempts (3 SDK x 2 sink): the task is a TemporaryFailure and nothing
/// was delivered; once lifted, the retried task succeeds with every alert once.
#[tokio::test]
async fn sns_throttling_on_every_attempt_is_a_temporary_failure_until_lifted() {
    let rig = rig().await;
    let rule = rig.add(on_publish(Fault::sns_throttling()));
    rig.batch(&key(DEMO), "TemporaryFailure").await;
    rig.fired(rule, EVERY_ATTEMPT);
    exactly_once(&rig.stack, 0).await;

    rig.proxy.lift(rule);
    rig.batch(&key(DEMO), "Succeeded").await;
    exactly_once(&rig.stack, DEMO_ALERTS).await;
}

/// `500 InternalError` on the 3rd of 5 PublishBatch calls, once: that batch is sent again, the
/// object succeeds, and each of the 45 alerts arrives exactly once: delivered = accepted by SNS.
#[tokio::test]
async fn sns_500_on_the_third_of_five_batches_once_delivers_every_alert_once() {
    let rig = rig().await;
    let key = noisy(&rig.moto).await;
    let rule = rig.add(third_batch_fails(1));
    rig.direct(&key, NOISY_ALERTS).await;
    rig.fired(rule, 1);
    let (accepted, faulted) = published(&rig.proxy);
    assert_eq!(accepted.len(), NOISY_ALERTS, "alerts SNS accepted");
    assert!(!faulted.is_empty() && faulted.len() <= 10, "{faulted:?}");
    assert!(
        faulted.iter().all(|id| accepted.contains(id)),
        "the batch hit by the fault was not sent again"
    );
    let delivered = exactly_once(&rig.stack, NOISY_ALERTS).await;
    assert_eq!(delivered, accepted.into_iter().collect::<BTreeSet<_>>());
}

/// The persistent case, through SQS and then a direct invocation: the batch hit on every
/// attempt fails the object, the batches SNS accepted were delivered, and the re-run delivers
/// what was missing.
#[tokio::test]
async fn sns_500_on_the_third_of_five_batches_every_attempt_fails_the_object_until_lifted() {
    let rig = rig().await;
    let key = noisy(&rig.moto).await;
    let rule = rig.add(third_batch_fails(EVERY_ATTEMPT));
    rig.sqs(&key, true).await;
    rig.fired(rule, EVERY_ATTEMPT);

    let (accepted, faulted) = published(&rig.proxy);
    let accepted: BTreeSet<String> = accepted.into_iter().collect();
    // The two batches before the fault went through; the one hit on every attempt did not.
    two_batches_accepted(accepted.len());
    assert!(!faulted.is_empty() && faulted.len() <= 10, "{faulted:?}");
    assert!(accepted.is_disjoint(&faulted), "{faulted:?}");
    let first = exactly_once(&rig.stack, accepted.len()).await;
    assert_eq!(first, accepted, "delivered = accepted by SNS");

    // Lifted: a re-run completes, and together the runs delivered
    // every alert; the re-run delivers each at most once.
    rig.proxy.lift(rule);
    rig.direct(&key, NOISY_ALERTS).await;
    let got = alerts(&rig.stack, NOISY_ALERTS - first.len()).await;
    let again = alert_id_counts(&got);
    assert!(again.values().all(|c| *c == 1), "{again:?}");
    let union: BTreeSet<&String> = first.iter().chain(again.keys()).collect();
    assert_eq!(union.len(), NOISY_ALERTS, "alerts never delivered");
    assert!(
        faulted.iter().all(|id| again.contains_key(id)),
        "the failed batch was not re-sent"
    );
}

/// A persistent SNS fault through a direct invocation: the error is retryable.
#[tokio::test]
async fn sns_500_on_every_attempt_fails_a_direct_invocation_retryably() {
    let rig = rig().await;
    let rule = rig.add(on_publish(Fault::sns_internal_error()));
    rig.fails_retryably(&key(DEMO)).await;
    rig.fired(rule, EVERY_ATTEMPT);
    exactly_once(&rig.stack, 0).await;
}

/// With the idempotency table, the re-run after a persistent SNS fault publishes exactly the
/// alerts that were missing: across both runs, every alert arrives exactly once.
#[tokio::test]
async fn sns_500_on_the_third_of_five_batches_with_the_idempotency_table_reruns_only_the_missing() {
    let rig = rig_with_ledger().await;
    let key = noisy(&rig.moto).await;
    let rule = rig.add(third_batch_fails(EVERY_ATTEMPT));
    rig.fails_retryably(&key).await;
    rig.fired(rule, EVERY_ATTEMPT);
    let (accepted, _) = published(&rig.proxy);
    two_batches_accepted(accepted.len());
    let first = exactly_once(&rig.stack, accepted.len()).await;

    rig.proxy.lift(rule);
    rig.run(s3_put(&key)).await;
    let again = exactly_once(&rig.stack, NOISY_ALERTS - first.len()).await;
    assert!(
        first.is_disjoint(&again),
        "re-published: {:?}",
        first.intersection(&again).collect::<Vec<_>>()
    );
    assert_eq!(first.len() + again.len(), NOISY_ALERTS);
}

/// With the idempotency table, a reset mid-body and a re-run deliver every alert exactly once.
#[tokio::test]
async fn s3_reset_mid_body_with_the_idempotency_table_delivers_each_alert_once() {
    let rig = rig_with_ledger().await;
    let key = noisy(&rig.moto).await;
    let rule = rig.add(mid_body_reset());
    rig.sqs(&key, true).await;
    rig.fired(rule, 1);
    let first = rig.delivered_before_the_reset().await;

    rig.sqs(&key, false).await;
    let again = exactly_once(&rig.stack, NOISY_ALERTS - first.len()).await;
    assert!(first.is_disjoint(&again), "re-published after the reset");
}

/// SNS accepted a PublishBatch but its answer was lost (reset after forwarding): the SDK sends
/// it again, so its alerts may arrive twice (at least once is the floor; the stable `alert_id`
/// lets subscribers drop the repeat), none is lost, and the object succeeds.
#[tokio::test]
async fn sns_answer_lost_after_accepting_is_sent_again_and_nothing_is_lost() {
    let rig = rig().await;
    let rule = rig.add(on_publish(Fault::ResetAfterForward).times(1));
    rig.direct(&key(DEMO), DEMO_ALERTS).await;
    rig.fired_once_then_sent_again(rule, "the batch was sent again");
    let got = alerts(&rig.stack, 2 * DEMO_ALERTS).await;
    let counts = alert_id_counts(&got);
    assert_eq!(counts.len(), DEMO_ALERTS, "{counts:?}");
    assert!(
        counts.values().all(|c| *c == 2),
        "delivered once by moto per send: {counts:?}"
    );
}
