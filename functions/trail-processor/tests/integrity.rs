//! Log file validation through the handler: the generated signed trail
//! ([`keytrail_testkit::trail::Trail`]) in moto S3, the state table in moto DynamoDB, alerts
//! through moto SNS to a queue, and `ListPublicKeys` from [`keytrail_testkit::CloudTrailKeys`], a
//! stand-in on a loopback port speaking CloudTrail's wire protocol (moto has no ListPublicKeys).
//!
//! Objects arrive as S3 notifications the way CloudTrail delivers them: the log files first (one
//! invocation, processed concurrently), then each digest in key order, i.e. each chain in time
//! order. Each tamper case asserts that the integrity alerts are exactly the problems the
//! generator planted (the alert's `event` is the problem as JSON), no more and no fewer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use keytrail_core::integrity::{Problem, Timestamp, HOUR};
use keytrail_testkit::trail::{Trail, TrailSpec};
use keytrail_testkit::{CloudTrailKeys, Moto, Stack};
use serde_json::{json, Value};
use support::*;
use trail_processor::handler::handle;
use trail_processor::integrity::alert::alert;

const TABLE: &str = "keytrail-state";

/// moto with the alert stack and the state table, the trail uploaded, the key stand-in, the app.
struct World {
    moto: Moto,
    stack: Stack,
    keys: CloudTrailKeys,
    app: TestApp,
    trail: Trail,
}

async fn world(trail: Trail) -> World {
    let moto = Moto::start().await;
    let stack = Stack::create(&moto).await;
    create_idempotency_table(&moto, TABLE).await;
    trail.upload(&moto.s3()).await;
    let keys = CloudTrailKeys::start(trail.key_entries()).await;
    let app = app_with_keys(
        &moto.sdk_config(),
        &keys.sdk_config().await,
        &stack.topic_arn,
        &[("STATE_TABLE", TABLE)],
    );
    World {
        moto,
        stack,
        keys,
        app,
        trail,
    }
}

/// An S3 notification of `keys` in `bucket`.
fn notification(bucket: &str, keys: &[&String]) -> Value {
    let records: Vec<Value> = keys
        .iter()
        .map(|key| {
            json!({
                "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                "eventTime": "2026-06-10T20:35:07.512Z", "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AROAEXAMPLEDELIVERY:regionalDeliverySession"},
                "requestParameters": {"sourceIPAddress": "192.0.2.10"},
                "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE="},
                "s3": {"s3SchemaVersion": "1.0", "configurationId": "keytrail",
                       "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
                       "object": {"key": key, "size": 1, "sequencer": "0A1B2C3D4E5F678901"}}
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The scheduled event EventBridge sends at `time`.
fn scheduled(time: Timestamp) -> Value {
    json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event", "source": "aws.events", "account": "111122223333",
        "time": time.to_string(), "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:111122223333:rule/keytrail-integrity"],
        "detail": {}
    })
}

impl World {
    /// Delivers every object as CloudTrail would: the logs, then the digests in order.
    async fn deliver(&self) {
        let (digests, logs): (Vec<&String>, Vec<&String>) = self
            .trail
            .objects
            .keys()
            .partition(|k| k.contains("/CloudTrail-Digest/"));
        let bucket = &self.trail.bucket;
        for chunk in logs.chunks(50) {
            handle(&self.app, notification(bucket, chunk))
                .await
                .unwrap();
        }
        for digest in digests {
            handle(&self.app, notification(bucket, &[digest]))
                .await
                .unwrap();
        }
    }

    /// The scheduled check at `time`.
    async fn sweep(&self, time: Timestamp) -> Value {
        handle(&self.app, scheduled(time)).await.unwrap()
    }

    /// The integrity alerts that arrived, as (rule id, problem JSON text), sorted.
    async fn integrity_alerts(&self, expected: usize) -> BTreeSet<(String, String)> {
        alerts(&self.stack, expected)
            .await
            .into_iter()
            .filter(|(_, a)| {
                a["rule_id"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("keytrail-integrity-"))
            })
            .map(|(_, a)| {
                (
                    a["rule_id"].as_str().unwrap().to_owned(),
                    a["event"].to_string(),
                )
            })
            .collect()
    }
}

/// What the alerts for `problems` carry.
fn expected_alerts(problems: &[Problem]) -> BTreeSet<(String, String)> {
    problems
        .iter()
        .map(|p| {
            let a = alert(p);
            (a.rule_id, serde_json::to_value(p).unwrap().to_string())
        })
        .collect()
}

/// Tampers a fresh day with `tamper`, delivers it (and runs the scheduled check as of the
/// day's check time when `sweep`), and asserts exactly the planted problems arrive as alerts.
async fn case(tamper: fn(&mut Trail) -> Vec<Problem>, sweep: bool) {
    let mut trail = Trail::day();
    let planted = tamper(&mut trail);
    assert!(!planted.is_empty());
    let as_of = trail.as_of;
    let world = world(trail).await;
    world.deliver().await;
    if sweep {
        world.sweep(as_of).await;
    }
    let want = expected_alerts(&planted);
    assert_eq!(world.integrity_alerts(want.len()).await, want);
}

#[tokio::test]
async fn a_clean_day_raises_no_integrity_alert_and_caches_keys() {
    let world = world(Trail::day()).await;
    world.deliver().await;
    let answer = world.sweep(world.trail.as_of).await;
    assert_eq!(answer["problems"], 0, "{answer}");
    assert_eq!(world.integrity_alerts(0).await, BTreeSet::new());
    // One key for the whole day: asked once, then served from memory.
    assert_eq!(
        world.keys.requests().len(),
        1,
        "{:?}",
        world.keys.requests()
    );
}

#[tokio::test]
async fn a_day_with_a_rotated_key_is_clean() {
    let spec = TrailSpec {
        rotate_key_at: Some(TrailSpec::default().day.plus(12 * HOUR)),
        ..TrailSpec::default()
    };
    let world = world(Trail::generate(&spec)).await;
    world.deliver().await;
    world.sweep(world.trail.as_of).await;
    assert_eq!(world.integrity_alerts(0).await, BTreeSet::new());
    assert!(
        world.keys.requests().len() >= 2,
        "the second key was asked for"
    );
}

#[tokio::test]
async fn a_modified_log_byte_is_caught() {
    case(Trail::modify_log_byte, false).await;
}

#[tokio::test]
async fn a_deleted_log_is_missing() {
    case(Trail::delete_log, false).await;
}

#[tokio::test]
async fn a_deleted_digest_is_missing() {
    case(Trail::delete_digest, false).await;
}

#[tokio::test]
async fn two_consecutive_deleted_digests_are_both_missing() {
    case(Trail::delete_two_digests, false).await;
}

#[tokio::test]
async fn a_forged_digest_is_invalid_and_breaks_the_chain() {
    case(Trail::forge_digest, false).await;
}

#[tokio::test]
async fn a_copied_digest_is_moved() {
    case(Trail::copy_digest, false).await;
}

#[tokio::test]
async fn an_injected_log_is_found_by_the_scheduled_check() {
    case(Trail::inject_log, true).await;
}

#[tokio::test]
async fn a_silent_trail_is_found_by_the_scheduled_check() {
    case(|t| t.silence(3), true).await;
}

/// A log object's hash is recorded from the read that scans it (no second read), and a log
/// overwritten after its digest was verified is caught by its own notification.
#[tokio::test]
async fn a_log_overwritten_after_its_digest_is_caught_on_arrival() {
    let mut world = world(Trail::day()).await;
    world.deliver().await;
    let planted = world.trail.modify_log_byte();
    let log = planted[0].object().clone();
    let item = world
        .moto
        .dynamodb()
        .get_item()
        .table_name(TABLE)
        .key(
            "pk",
            AttributeValue::S(format!("log#{}/{}", log.bucket, log.key)),
        )
        .key("sk", AttributeValue::S("hash".to_owned()))
        .send()
        .await
        .unwrap();
    let item = item.item().expect("the log's hash item");
    let Problem::LogFileModified { expected, .. } = &planted[0] else {
        panic!("{planted:?}")
    };
    assert_eq!(
        item["sha256"].as_s().unwrap(),
        expected,
        "recorded when read"
    );
    assert!(item.contains_key("expires_at"), "every item has a TTL");
    // Overwrite the object and announce it, as S3 does.
    world.trail.upload(&world.moto.s3()).await;
    assert_eq!(world.integrity_alerts(0).await, BTreeSet::new());
    handle(&world.app, notification(&log.bucket, &[&log.key]))
        .await
        .unwrap();
    let want = expected_alerts(&planted);
    assert_eq!(world.integrity_alerts(want.len()).await, want);
}
