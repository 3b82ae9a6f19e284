//! Correlations in the Lambda, against moto's DynamoDB and SNS through the real SDK: the events
//! of one correlation (`acm-bulk-export`: 3 exports by one principal within an hour) split
//! across objects count together whatever invocation reads them, in any order, concurrently,
//! retried or late, and raise exactly one alert; exports by different principals raise none;
//! and a correlation alert whose publish fails is published by the retry, once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use keytrail_aws::s3::S3Source;
use keytrail_aws::sns::{AlertSink, SnsSink};
use keytrail_testkit::{Moto, Stack};
use serde_json::{json, Value};
use support::*;
use trail_processor::handler::handle;
use trail_processor::App;

const TABLE: &str = "keytrail-state";
const BURST: &str = "acm-bulk-export";
const SINGLE: &str = "acm-export-certificate";
/// The environment of every app here: the state table on, integrity off (not under test).
const ENV: [(&str, &str); 2] = [("STATE_TABLE", TABLE), ("INTEGRITY", "off")];

async fn stack() -> (Moto, Stack) {
    let (moto, stack, _) = setup().await;
    create_idempotency_table(&moto, TABLE).await;
    (moto, stack)
}

/// Delivers `key` to `app` until it succeeds (a window fired by two invocations at once makes
/// one of them meet the other's claim and fail retryably, as Lambda would then retry it).
async fn deliver<K: AlertSink + 'static>(app: &Arc<App<S3Source, K>>, key: &str) {
    for _ in 0..3 {
        match handle(app, s3_put(key)).await {
            Ok(_) => return,
            Err(e) => assert!(e.is_retryable(), "{key}: {e}"),
        }
    }
    panic!("{key} still fails after 3 deliveries");
}

/// The alerts of rule `rule` among `alerts`.
fn of_rule<'a>(
    alerts: &'a [(keytrail_testkit::ReceivedMessage, Value)],
    rule: &str,
) -> Vec<&'a Value> {
    alerts
        .iter()
        .map(|(_, a)| a)
        .filter(|a| a["rule_id"] == rule)
        .collect()
}

/// The eventIDs a correlation alert joined.
fn joined(alert: &Value) -> Vec<String> {
    alert["event"]["correlation"]["event_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn one_burst_split_across_three_concurrent_invocations_and_a_retry_alerts_once() {
    let (moto, stack) = stack().await;
    // Three invocations (three Lambda containers), each with its own clients.
    let apps: Vec<_> = (0..3).map(|_| app(&moto, &stack.topic_arn, &ENV)).collect();
    let orders = [[0, 1, 2], [2, 0, 1], [1, 2, 0]];
    let mut bursts = Vec::new();
    for (round, order) in orders.iter().enumerate() {
        let who = format!("alice-{round}");
        let times = ["10:05", "10:20", "10:40"];
        let mut keys = Vec::new();
        let mut ids = Vec::new();
        for (i, time) in times.iter().enumerate() {
            let id = format!("00000000-0000-4000-8000-00000000{round}{i:03}");
            keys.push(
                object(
                    &moto,
                    &format!("r{round}o{i}"),
                    vec![export(&id, time, &who)],
                )
                .await,
            );
            ids.push(id);
        }
        let k = |i: usize| keys[order[i]].as_str();
        tokio::join!(
            deliver(&apps[0], k(0)),
            deliver(&apps[1], k(1)),
            deliver(&apps[2], k(2)),
        );
        // A retried object, after the window fired: counts nothing twice, alerts nothing again.
        deliver(&apps[round], k(1)).await;
        bursts.push(ids);
    }
    let alerts = alerts(&stack, 12).await;
    let counts = alert_id_counts(&alerts);
    assert!(
        counts.values().all(|&n| n == 1),
        "each alert once: {counts:?}"
    );
    assert_eq!(
        of_rule(&alerts, SINGLE).len(),
        9,
        "{:?}",
        event_names(&alerts)
    );
    let burst = of_rule(&alerts, BURST);
    assert_eq!(burst.len(), 3, "one correlation alert per burst: {burst:?}");
    for ids in &bursts {
        let hit = burst.iter().find(|a| joined(a) == *ids);
        let hit = hit.unwrap_or_else(|| panic!("no alert joining {ids:?}: {burst:?}"));
        assert_eq!(hit["event"]["correlation"]["count"], 3);
    }
}

#[tokio::test]
async fn a_late_event_counts_in_the_window_of_its_event_time() {
    let (moto, stack) = stack().await;
    let app = app(&moto, &stack.topic_arn, &ENV);
    let a = object(&moto, "a", vec![export("late-a", "10:20", "bob")]).await;
    let b = object(&moto, "b", vec![export("late-b", "10:40", "bob")]).await;
    // The hour before: another window, it does not count with these.
    let before = object(&moto, "before", vec![export("late-0", "09:59", "bob")]).await;
    for key in [&a, &b, &before] {
        deliver(&app, key).await;
    }
    let first = alerts(&stack, 3).await;
    assert!(
        of_rule(&first, BURST).is_empty(),
        "two in the window: {first:?}"
    );
    // Delivered last, its eventTime the earliest of the window: it completes the burst.
    let late = object(&moto, "late", vec![export("late-c", "10:01", "bob")]).await;
    deliver(&app, &late).await;
    let second = alerts(&stack, 2).await;
    let burst = of_rule(&second, BURST);
    assert_eq!(burst.len(), 1, "{second:?}");
    assert_eq!(joined(burst[0]), ["late-c", "late-a", "late-b"]);
    assert_eq!(
        burst[0]["event"]["correlation"]["window"],
        json!({"start": "2026-12-07T10:00:00Z", "end": "2026-12-07T11:00:00Z"})
    );
}

#[tokio::test]
async fn exports_by_different_principals_raise_no_correlation() {
    let (moto, stack) = stack().await;
    let apps: Vec<_> = (0..3).map(|_| app(&moto, &stack.topic_arn, &ENV)).collect();
    let mut keys = Vec::new();
    for (i, who) in ["carol", "dave", "erin"].iter().enumerate() {
        let records = vec![export(&format!("p-{i}"), &format!("10:1{i}"), who)];
        keys.push(object(&moto, &format!("p{i}"), records).await);
    }
    tokio::join!(
        deliver(&apps[0], &keys[0]),
        deliver(&apps[1], &keys[1]),
        deliver(&apps[2], &keys[2]),
    );
    let alerts = alerts(&stack, 3).await;
    assert_eq!(
        of_rule(&alerts, SINGLE).len(),
        3,
        "{:?}",
        event_names(&alerts)
    );
    assert!(of_rule(&alerts, BURST).is_empty(), "{alerts:?}");
}

#[tokio::test]
async fn a_correlation_alert_that_failed_to_publish_is_published_by_the_retry_once() {
    let (moto, stack) = stack().await;
    let plain = app(&moto, &stack.topic_arn, &ENV);
    let app = Arc::new(App {
        config: plain.config.clone(),
        rules: Arc::clone(&plain.rules),
        source: S3Source::new(moto.s3()),
        sink: FailOnce {
            inner: SnsSink::new(moto.sns(), stack.topic_arn.clone()),
            fails: |a| a.rule_id == BURST,
            failed: AtomicBool::new(false),
        },
        ledger: trail_processor::ledger(&plain.config, moto.dynamodb()),
        function_name: plain.function_name.clone(),
        integrity: None,
        extra_sinks: Vec::new(),
    });
    let records = ["10:05", "10:06", "10:07"]
        .iter()
        .enumerate()
        .map(|(i, t)| export(&format!("f-{i}"), t, "frank"))
        .collect();
    let key = object(&moto, "burst", records).await;
    let err = handle(&app, s3_put(&key)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    let first = alerts(&stack, 3).await;
    assert!(of_rule(&first, BURST).is_empty(), "{first:?}");
    assert_eq!(of_rule(&first, SINGLE).len(), 3);
    // The retry: the events are duplicates in the table, yet the window fires again (it was never
    // marked), and only the correlation alert goes out.
    deliver(&app, &key).await;
    deliver(&app, &key).await;
    let second = alerts(&stack, 1).await;
    assert_eq!(of_rule(&second, BURST).len(), 1, "{second:?}");
    assert_eq!(second.len(), 1, "{second:?}");
}
