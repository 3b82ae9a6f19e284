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
mod world;

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use keytrail_core::integrity::{Problem, HOUR};
use keytrail_testkit::trail::{Trail, TrailSpec};
use trail_processor::handler::handle;
use world::*;

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
    overwrite_and_announce(&world, &planted).await;
}

/// Uploads the trail with its overwritten log (the first of `planted`), which raises nothing
/// by itself, then announces the log as S3 does: its read finds what was planted.
async fn overwrite_and_announce(world: &World, planted: &[Problem]) {
    let log = planted[0].object().clone();
    world.trail.upload(&world.moto.s3()).await;
    assert_eq!(world.integrity_alerts(0).await, BTreeSet::new());
    handle(&world.app, notification(&log.bucket, &[&log.key]))
        .await
        .unwrap();
    let want = expected_alerts(planted);
    assert_eq!(world.integrity_alerts(want.len()).await, want);
}

/// A log overwritten after its digest was verified with text that is not JSON: the records
/// cannot be read (the object's own alert says so), but the content is hashed all the same
/// and caught as modified on arrival.
#[tokio::test]
async fn a_log_overwritten_with_text_after_its_digest_is_caught_on_arrival() {
    let mut world = world(Trail::day()).await;
    world.deliver().await;
    let planted = world.trail.replace_log_with_text();
    overwrite_and_announce(&world, &planted).await;
}
