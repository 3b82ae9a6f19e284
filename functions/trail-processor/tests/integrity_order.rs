//! Log file validation when S3 notifications arrive out of order (S3 does not order them, and an
//! SQS redelivery or a slow invocation reorders them further): the generated signed trail
//! ([`keytrail_testkit::trail::Trail`]) in moto S3, the state table in moto DynamoDB, alerts
//! through moto SNS, `ListPublicKeys` from [`keytrail_testkit::CloudTrailKeys`] (a stand-in on a
//! loopback port; moto has no ListPublicKeys). See `tests/world` for the set-up.
//!
//! "Backwards" is the worst order: every digest before the log files it lists (each is fetched
//! and hashed by the digest; the log's own notification then compares against the listing),
//! each digest before its previous one (the link is checked against the previous digest as S3
//! holds it; the chain head is already past every gap), and the log files newest first. Once
//! everything has arrived, a clean day raises nothing, and the planted tampers raise exactly
//! their problems, the second of two consecutive deleted digests included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
mod world;

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use keytrail_core::integrity::{LogName, ObjectRef, Problem};
use keytrail_testkit::trail::Trail;
use world::*;

/// The trail's keys, backwards: digests newest first, one a notification; then the logs newest
/// first, ten a notification.
fn backwards(trail: &Trail) -> Vec<Vec<&String>> {
    let (mut digests, mut logs): (Vec<&String>, Vec<&String>) = trail
        .objects
        .keys()
        .partition(|k| k.contains("/CloudTrail-Digest/"));
    digests.reverse();
    logs.reverse();
    let mut batches: Vec<Vec<&String>> = digests.into_iter().map(|d| vec![d]).collect();
    batches.extend(logs.chunks(10).map(<[&String]>::to_vec));
    batches
}

/// Every tamper whose target hour differs from the others' (so their problems add up), with
/// the injected log, which only the scheduled check reports.
fn tampered_day() -> (Trail, Vec<Problem>) {
    let mut trail = Trail::day();
    let tampers: [fn(&mut Trail) -> Vec<Problem>; 7] = [
        Trail::modify_log_byte,
        Trail::delete_log,
        Trail::delete_digest,
        Trail::delete_two_digests,
        Trail::forge_digest,
        Trail::copy_digest,
        Trail::inject_log,
    ];
    let planted = tampers.iter().flat_map(|t| t(&mut trail)).collect();
    (trail, planted)
}

#[tokio::test]
async fn a_clean_day_delivered_backwards_raises_nothing() {
    let world = world(Trail::day()).await;
    world.deliver_batches(&backwards(&world.trail)).await;
    let answer = world.sweep(world.trail.as_of).await;
    assert_eq!(answer["problems"], 0, "{answer}");
    assert_eq!(world.integrity_alerts(0).await, BTreeSet::new());
}

#[tokio::test]
async fn tampers_delivered_backwards_are_caught_exactly() {
    let (trail, planted) = tampered_day();
    let world = world(trail).await;
    world.deliver_batches(&backwards(&world.trail)).await;
    world.sweep(world.trail.as_of).await;
    let want = expected_alerts(&planted);
    assert_eq!(world.integrity_alerts(want.len()).await, want);
}

/// The same tampers in CloudTrail's own order (logs, then digests in time order): the chain
/// head finds the second deleted digest there, the listing above when the head is past it.
#[tokio::test]
async fn tampers_delivered_in_order_are_caught_exactly() {
    let (trail, planted) = tampered_day();
    let world = world(trail).await;
    world.deliver().await;
    world.sweep(world.trail.as_of).await;
    let want = expected_alerts(&planted);
    assert_eq!(world.integrity_alerts(want.len()).await, want);
}

/// The interleaving no notification order shows: a log's hash written, then its digest lists
/// it and takes it off the pending list, then the log's pending entry is written. The scheduled
/// check must not call that listed log injected (and the entry goes away).
#[tokio::test]
async fn a_listed_log_left_pending_by_a_race_is_not_injected() {
    let world = world(Trail::day()).await;
    world.deliver().await;
    let log = world
        .trail
        .objects
        .keys()
        .find(|k| k.contains("/CloudTrail/us-east-1/") && k.contains("_20260610T0835Z_"))
        .unwrap()
        .clone();
    // The log's pending entry, as `StateTable::record_log` writes it.
    let name = LogName::parse(&ObjectRef::new(world.trail.bucket.clone(), log.clone())).unwrap();
    let trail = keytrail_aws::state::trail_id(&name.scope);
    let time = AttributeValue::N(name.time.epoch().to_string());
    world
        .moto
        .dynamodb()
        .put_item()
        .table_name(TABLE)
        .item("pk", AttributeValue::S(format!("pending#{trail}")))
        .item("sk", AttributeValue::S(log))
        .item("time", time.clone())
        .item("seen_at", time)
        .send()
        .await
        .unwrap();
    let pending = || {
        let get = world
            .moto
            .dynamodb()
            .get_item()
            .table_name(TABLE)
            .key("pk", AttributeValue::S(format!("pending#{trail}")))
            .key("sk", AttributeValue::S(name.object().key))
            .consistent_read(true);
        async move { get.send().await.unwrap().item().is_some() }
    };
    assert!(pending().await, "the entry the race leaves");
    let answer = world.sweep(world.trail.as_of).await;
    assert_eq!(answer["problems"], 0, "{answer}");
    assert_eq!(world.integrity_alerts(0).await, BTreeSet::new());
    assert!(!pending().await, "a listed log leaves the pending list");
}
