//! Load case of correlations in the Lambda: `KEYTRAIL_CORRELATE_LOAD_OBJECTS` trail objects
//! (default 300), each of 50
//! records that match nothing and one `ExportCertificate` by one of 100 principals in one hour,
//! delivered one per invocation, 8 invocations at a time, through the handler on moto: once with
//! `CORRELATIONS=off`, once on, each on a fresh moto. It prints the wall time of both and the
//! correlation state's DynamoDB requests per object (figures, not assertions: the machine is
//! shared), and asserts what must hold: with correlations on, each principal's burst window
//! fired once (`acm-bulk-export`, 20 exports each), with them off the table holds no
//! correlation item.
//!
//! Alone in its own test binary, so that the process-wide request counters count only it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use keytrail_aws::state::correlate::Requests;
use keytrail_testkit::Moto;
use serde_json::{json, Value};
use support::*;
use tokio::sync::Semaphore;
use trail_processor::handler::handle;

const TABLE: &str = "keytrail-state";
const PRINCIPALS: usize = 100;
const BACKGROUND: usize = 50;
const CONCURRENT: usize = 8;

/// Object `obj`: background records and one export by principal `obj % PRINCIPALS`.
fn object(obj: usize, export: &Value) -> Vec<u8> {
    let mut records: Vec<Value> = (0..BACKGROUND)
        .map(|i| {
            json!({
                "eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
                "eventTime": "2026-12-07T10:30:00Z", "awsRegion": "us-east-1",
                "eventID": format!("bg-{obj}-{i}"), "sourceIPAddress": "192.0.2.1",
                "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/app/x"},
                "requestParameters": {"bucketName": "app-data", "key": format!("reports/{obj}/{i}.csv")},
                "recipientAccountId": "123456789012",
            })
        })
        .collect();
    let mut e = export.clone();
    e["eventID"] = json!(format!("export-{obj}"));
    e["eventTime"] = json!(format!("2026-12-07T10:{:02}:00Z", obj % 60));
    e["userIdentity"]["arn"] = json!(format!(
        "arn:aws:sts::123456789012:assumed-role/r/p{}",
        obj % PRINCIPALS
    ));
    records.insert(obj % BACKGROUND, e);
    gzip(&serde_json::to_vec(&json!({ "Records": records })).unwrap())
}

/// What one run took: wall time of the deliveries, correlation requests, retried deliveries.
struct Run {
    wall: Duration,
    requests: Requests,
    retries: usize,
    moto: Moto,
}

async fn run(objects: usize, correlations: &str) -> Run {
    let (moto, stack, _) = setup().await;
    create_idempotency_table(&moto, TABLE).await;
    let env = [
        ("STATE_TABLE", TABLE),
        ("INTEGRITY", "off"),
        ("CORRELATIONS", correlations),
    ];
    let app = app(&moto, &stack.topic_arn, &env);
    let text = std::fs::read_to_string(
        repo().join("rules/tests/acm-bulk-export/hit/three-exports-in-an-hour.json"),
    )
    .unwrap();
    let export = serde_json::from_str::<Value>(&text).unwrap()["Records"][0].clone();
    let mut keys = Vec::new();
    for obj in 0..objects {
        let key = format!(
            "{PREFIX}/us-east-1/2026/12/07/123456789012_CloudTrail_us-east-1_20261207T1000Z_c{obj:05}.json.gz"
        );
        put(&moto, &key, object(obj, &export)).await;
        keys.push(key);
    }
    let before = Requests::in_process();
    let gate = Arc::new(Semaphore::new(CONCURRENT));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for key in keys {
        let (app, gate) = (Arc::clone(&app), Arc::clone(&gate));
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            // A window two invocations fire at once: one meets the other's claim and fails,
            // retryably, as Lambda would then retry it.
            for retry in 0..3 {
                match handle(&app, s3_put(&key)).await {
                    Ok(_) => return retry,
                    Err(e) => assert!(e.is_retryable(), "{key}: {e}"),
                }
            }
            panic!("{key} still fails after 3 deliveries");
        });
    }
    let retries = tasks.join_all().await.into_iter().sum();
    let wall = started.elapsed();
    let after = Requests::in_process();
    Run {
        wall,
        requests: Requests {
            writes: after.writes - before.writes,
            reads: after.reads - before.reads,
        },
        retries,
        moto,
    }
}

/// The correlation items of the table: (windows of `rule` marked fired, every `corr#` item).
async fn correlation_items(moto: &Moto, rule: &str) -> (usize, usize) {
    let mut pages = moto
        .dynamodb()
        .scan()
        .table_name(TABLE)
        .into_paginator()
        .send();
    let (mut fired, mut all) = (0, 0);
    let prefix = format!("corr#{rule}#");
    while let Some(page) = pages.next().await {
        for item in page.unwrap().items() {
            let pk = item.get("pk").and_then(|v| v.as_s().ok()).unwrap();
            if !pk.starts_with("corr#") {
                continue;
            }
            all += 1;
            if pk.starts_with(&prefix) && item.get("fired") == Some(&AttributeValue::Bool(true)) {
                fired += 1;
            }
        }
    }
    (fired, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn correlations_under_load_fire_each_window_once() {
    let objects: usize = std::env::var("KEYTRAIL_CORRELATE_LOAD_OBJECTS")
        .ok()
        .map_or(300, |v| v.parse().expect("a number of objects"));
    assert!(
        objects >= 3 * PRINCIPALS,
        "at least {} objects",
        3 * PRINCIPALS
    );
    let off = run(objects, "off").await;
    assert_eq!(
        correlation_items(&off.moto, "acm-bulk-export").await,
        (0, 0)
    );
    assert_eq!(off.requests, Requests::default());
    drop(off.moto);
    let on = run(objects, "on").await;
    let (fired, items) = correlation_items(&on.moto, "acm-bulk-export").await;
    assert_eq!(
        fired, PRINCIPALS,
        "each principal's burst window fired once"
    );
    let per_object = |n: u64| n as f64 / objects as f64;
    println!(
        "correlate load: {objects} objects ({BACKGROUND} background records + 1 export each, \
         {PRINCIPALS} principals, {CONCURRENT} invocations at a time): correlations off {:.1} s, \
         on {:.1} s ({:+.1}%); on: {:.2} writes and {:.2} reads per object in the state table \
         for correlations, {items} correlation items, {} retried deliveries (off: {})",
        off.wall.as_secs_f64(),
        on.wall.as_secs_f64(),
        (on.wall.as_secs_f64() / off.wall.as_secs_f64() - 1.0) * 100.0,
        per_object(on.requests.writes),
        per_object(on.requests.reads),
        on.retries,
        off.retries,
    );
}
