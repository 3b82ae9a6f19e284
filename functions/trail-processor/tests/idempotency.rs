//! The idempotency table against moto's DynamoDB, through the real SDK: an object processed twice
//! publishes each alert once; a crash between publish and mark, or before the publish, loses
//! nothing; a failed publish releases its claims; and what SNS accepted of a half-failed publish
//! is not published again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use keytrail_aws::client;
use keytrail_aws::s3::S3Source;
use keytrail_aws::sns::{AlertSink, PublishError, SnsSink};
use keytrail_core::Alert;
use keytrail_testkit::{Moto, Stack};
use serde_json::json;
use support::*;
use trail_processor::handler::{handle, HandlerError};
use trail_processor::App;

const TABLE: &str = "keytrail-published";
const KEY: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/06/10/123456789012_CloudTrail_us-east-1_20260610T2100Z_idem.json.gz";

/// moto with the alert stack, the table, and an `n`-alert object at [`KEY`].
async fn stack_with_object(n: usize) -> (Moto, Stack) {
    let (moto, stack, _) = setup().await;
    create_idempotency_table(&moto, TABLE).await;
    put(&moto, KEY, exports(n)).await;
    (moto, stack)
}

/// The environment of an app using the table with a `lease_seconds` lease. Correlations are
/// off: the planted exports by one principal would also fire `acm-bulk-export`, whose retries
/// `correlate.rs` tests; here each object's alerts are exactly its records'.
fn with_table(lease_seconds: &str) -> [(&str, &str); 3] {
    [
        ("IDEMPOTENCY_TABLE", TABLE),
        ("IDEMPOTENCY_LEASE_SECONDS", lease_seconds),
        ("CORRELATIONS", "off"),
    ]
}

/// How many times each alert id arrived, after waiting for at least `expected` messages.
async fn arrivals(stack: &Stack, expected: usize) -> BTreeMap<String, usize> {
    alert_id_counts(&alerts(stack, expected).await)
}

/// Asserts that `n` distinct alerts arrived, each `times` times.
fn each_arrived(seen: &BTreeMap<String, usize>, n: usize, times: usize) {
    assert!(
        seen.len() == n && seen.values().all(|&k| k == times),
        "want {n} alert(s) {times} time(s) each: {seen:?}"
    );
}

/// An app like [`support::app`] whose sink is `wrap(the SNS sink)`.
fn app_wrapping<K: AlertSink>(
    moto: &Moto,
    topic: &str,
    env: &[(&str, &str)],
    wrap: impl FnOnce(SnsSink) -> K,
) -> Arc<App<S3Source, K>> {
    let plain = app(moto, topic, env);
    let sdk = moto.sdk_config();
    Arc::new(App {
        config: plain.config.clone(),
        rules: Arc::clone(&plain.rules),
        source: S3Source::new(moto.s3()),
        sink: wrap(SnsSink::new(client::sns_client(&sdk), topic.to_owned())),
        extra_sinks: Vec::new(),
        ledger: trail_processor::ledger(&plain.config, moto.dynamodb()),
        function_name: plain.function_name.clone(),
        integrity: None,
    })
}

/// What a sink wrapper does around the real publish.
#[derive(Clone, Copy)]
enum Crash {
    /// Publishes, then panics: the invocation dies between publish and mark.
    AfterPublish,
    /// Panics without publishing: the invocation dies between claim and publish.
    BeforePublish,
    /// Publishes every call but the `n`th (from 1), which fails with nothing accepted.
    FailCall(usize),
}

struct Wrapped {
    inner: SnsSink,
    crash: Crash,
    calls: AtomicUsize,
}

impl AlertSink for Wrapped {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        match self.crash {
            Crash::BeforePublish => panic!("the invocation dies before publishing"),
            Crash::AfterPublish => {
                self.inner.publish(alerts).await?;
                panic!(
                    "the invocation dies after SNS accepted {} alert(s)",
                    alerts.len()
                );
            }
            Crash::FailCall(n) if n == call => Err(PublishError {
                topic: "test".to_owned(),
                failed: alerts.len(),
                total: alerts.len(),
                detail: "InternalError (injected)".to_owned(),
                retryable: true,
                unpublished: (0..alerts.len()).collect(),
            }),
            Crash::FailCall(_) => self.inner.publish(alerts).await,
        }
    }
}

fn wrapped(crash: Crash) -> impl FnOnce(SnsSink) -> Wrapped {
    move |inner| Wrapped {
        inner,
        crash,
        calls: AtomicUsize::new(0),
    }
}

#[tokio::test]
async fn an_object_processed_twice_publishes_each_alert_once() {
    let (moto, stack) = stack_with_object(3).await;
    let once = app(&moto, &stack.topic_arn, &with_table("60"));
    let first = handle(&once, s3_put(KEY)).await.unwrap();
    let second = handle(&once, s3_put(KEY)).await.unwrap();
    assert_eq!(first["results"][0]["outcome"], "3 alert(s)", "{first}");
    assert_eq!(second["results"][0]["outcome"], "0 alert(s)", "{second}");
    let seen = arrivals(&stack, 3).await;
    each_arrived(&seen, 3, 1);

    // The control: without the table the same two deliveries publish everything twice.
    let plain = app(&moto, &stack.topic_arn, &[]);
    handle(&plain, s3_put(KEY)).await.unwrap();
    handle(&plain, s3_put(KEY)).await.unwrap();
    let seen = arrivals(&stack, 6).await;
    each_arrived(&seen, 3, 2);
}

#[tokio::test]
async fn a_crash_between_publish_and_mark_loses_nothing_and_repeats_only_after_the_lease() {
    let (moto, stack) = stack_with_object(3).await;
    let lease = with_table("2");
    let dying = app_wrapping(
        &moto,
        &stack.topic_arn,
        &lease,
        wrapped(Crash::AfterPublish),
    );
    let err = handle(&dying, s3_put(KEY)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(arrivals(&stack, 3).await.len(), 3);

    // The retry within the lease cannot tell whether the dead invocation published: it fails,
    // retryably, and publishes nothing.
    let healthy = app(&moto, &stack.topic_arn, &lease);
    let err = handle(&healthy, s3_put(KEY)).await.unwrap_err();
    let HandlerError::Objects { first, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        err.is_retryable() && first.contains("claimed by another invocation"),
        "{err}"
    );
    assert!(arrivals(&stack, 0).await.is_empty());

    // After the lease the alerts go out again: at least once wins over at most once. Then they
    // are marked, and a third delivery publishes nothing.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let again = handle(&healthy, s3_put(KEY)).await.unwrap();
    assert_eq!(again["results"][0]["outcome"], "3 alert(s)", "{again}");
    assert_eq!(arrivals(&stack, 3).await.len(), 3);
    let last = handle(&healthy, s3_put(KEY)).await.unwrap();
    assert_eq!(last["results"][0]["outcome"], "0 alert(s)", "{last}");
    assert!(arrivals(&stack, 0).await.is_empty());
}

#[tokio::test]
async fn a_crash_before_the_publish_loses_nothing() {
    let (moto, stack) = stack_with_object(2).await;
    let lease = with_table("1");
    let dying = app_wrapping(
        &moto,
        &stack.topic_arn,
        &lease,
        wrapped(Crash::BeforePublish),
    );
    assert!(handle(&dying, s3_put(KEY))
        .await
        .unwrap_err()
        .is_retryable());
    assert!(arrivals(&stack, 0).await.is_empty());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let healthy = app(&moto, &stack.topic_arn, &lease);
    handle(&healthy, s3_put(KEY)).await.unwrap();
    let seen = arrivals(&stack, 2).await;
    each_arrived(&seen, 2, 1);
}

#[tokio::test]
async fn a_failed_publish_releases_its_claims_and_keeps_what_was_accepted() {
    // 15 alerts go out as a batch of 10 and a batch of 5; the second fails. The first ten are
    // marked, the last five released: a retry right away (the lease is long) publishes exactly
    // those five.
    let (moto, stack) = stack_with_object(15).await;
    let lease = with_table("600");
    let failing = app_wrapping(&moto, &stack.topic_arn, &lease, wrapped(Crash::FailCall(2)));
    let err = handle(&failing, s3_put(KEY)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(arrivals(&stack, 10).await.len(), 10);
    let healthy = app(&moto, &stack.topic_arn, &lease);
    let retry = handle(&healthy, s3_put(KEY)).await.unwrap();
    assert_eq!(retry["results"][0]["outcome"], "5 alert(s)", "{retry}");
    let rest = arrivals(&stack, 5).await;
    each_arrived(&rest, 5, 1);
}

#[tokio::test]
async fn an_event_repeated_in_one_object_is_published_once() {
    // CloudTrail repeats an eventID now and then: the same alert id twice in one batch is one
    // alert, not a claim this invocation holds against itself.
    let (moto, stack, _) = setup().await;
    create_idempotency_table(&moto, TABLE).await;
    let detail = event("eventbridge-api-call-export-certificate.json")["detail"].clone();
    let object = json!({ "Records": [detail.clone(), detail] });
    put(&moto, KEY, gzip(&serde_json::to_vec(&object).unwrap())).await;
    let once = app(&moto, &stack.topic_arn, &with_table("60"));
    let answer = handle(&once, s3_put(KEY)).await.unwrap();
    assert_eq!(answer["results"][0]["outcome"], "1 alert(s)", "{answer}");
    let seen = arrivals(&stack, 1).await;
    each_arrived(&seen, 1, 1);
}

#[tokio::test]
async fn a_missing_table_fails_the_object_retryably_and_names_the_table() {
    let (moto, stack) = stack_with_object(1).await;
    let wrong = app(
        &moto,
        &stack.topic_arn,
        &[("IDEMPOTENCY_TABLE", "no-such-table")],
    );
    let err = handle(&wrong, s3_put(KEY)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(
        err.to_string().contains("state table no-such-table"),
        "{err}"
    );
    assert!(arrivals(&stack, 0).await.is_empty());
}
