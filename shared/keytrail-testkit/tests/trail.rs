//! The generated trail in real storage and its keys through the real SDK.
//!
//! `ListPublicKeys` is served by [`CloudTrailKeys`], a stand-in on a loopback port speaking
//! CloudTrail's JSON 1.1 protocol, because moto has no CloudTrail `ListPublicKeys`; S3 is a real
//! local moto_server.

use aws_sdk_cloudtrail::primitives::DateTime;
use keytrail_core::integrity::{PublicKey, PublicKeys, Timestamp, Walk, HOUR};
use keytrail_testkit::trail::{Trail, TrailSpec};
use keytrail_testkit::{CloudTrailKeys, KeyRequest, Moto};

fn sdk_time(t: Timestamp) -> DateTime {
    DateTime::from_secs(t.epoch())
}

/// The stand-in answers `list_public_keys` through the real SDK with the generator's keys, and
/// the keys it returns verify the generated day.
#[tokio::test]
async fn list_public_keys_through_the_sdk_returns_the_keys_that_verify_the_day() {
    let trail = Trail::generate(&TrailSpec {
        rotate_key_at: Some(Timestamp::parse("2026-06-10T12:00:00Z").unwrap()),
        ..TrailSpec::default()
    });
    let stand_in = CloudTrailKeys::start(trail.key_entries()).await;
    let client = aws_sdk_cloudtrail::Client::new(&stand_in.sdk_config().await);
    let (start, end) = (trail.since, trail.as_of);
    let answer = client
        .list_public_keys()
        .start_time(sdk_time(start))
        .end_time(sdk_time(end))
        .send()
        .await
        .expect("ListPublicKeys through the SDK");
    let listed = answer.public_key_list();
    assert_eq!(listed.len(), 2);
    let keys: PublicKeys = listed
        .iter()
        .map(|k| {
            let der = k.value().expect("Value").as_ref();
            let from = k
                .validity_start_time()
                .map(|t| Timestamp::from_epoch(t.secs()));
            let until = k
                .validity_end_time()
                .map(|t| Timestamp::from_epoch(t.secs()));
            PublicKey::from_list_entry(der, from, until, k.fingerprint().expect("Fingerprint"))
                .unwrap()
        })
        .collect();
    assert_eq!(keys, trail.public_keys());
    assert_eq!(
        stand_in.requests(),
        vec![KeyRequest {
            start: Some(start),
            end: Some(end)
        }]
    );

    let report = Walk::new(trail.digest_objects(), &keys, trail.walk_options())
        .finish(&trail.log_inventory());
    assert_eq!(report.problems, vec![]);
    assert_eq!(report.digests_valid, report.digests);

    // Before the rotation only the first key is valid.
    let morning = client
        .list_public_keys()
        .start_time(sdk_time(start))
        .end_time(sdk_time(start.plus(HOUR)))
        .send()
        .await
        .unwrap();
    assert_eq!(morning.public_key_list().len(), 1);
}

/// Any other CloudTrail operation fails as on an endpoint that does not know it.
#[tokio::test]
async fn the_stand_in_refuses_other_operations() {
    let stand_in = CloudTrailKeys::start(Trail::day().key_entries()).await;
    let client = aws_sdk_cloudtrail::Client::new(&stand_in.sdk_config().await);
    let error = client
        .describe_trails()
        .send()
        .await
        .expect_err("DescribeTrails is not served");
    let text = format!("{:?}", error);
    assert!(text.contains("UnknownOperationException"), "{text}");
    assert_eq!(stand_in.requests(), vec![]);
}

/// `upload` puts every object into S3 byte for byte, digests with their signature metadata.
#[tokio::test]
async fn upload_puts_every_object_with_its_signature_metadata() {
    let moto = Moto::start().await;
    let s3 = moto.s3();
    let trail = Trail::day();
    trail.upload(&s3).await;
    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(&trail.bucket)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        keys.extend(
            page.unwrap()
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    assert_eq!(keys, trail.objects.keys().cloned().collect::<Vec<_>>());
    let digest = keys
        .iter()
        .find(|k| k.ends_with("_backfill.json.gz"))
        .unwrap();
    let log = keys.iter().find(|k| k.contains("/CloudTrail/")).unwrap();
    for key in [digest, log] {
        let got = s3
            .get_object()
            .bucket(&trail.bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        let metadata = got.metadata().cloned().unwrap_or_default();
        let body = got.body.collect().await.unwrap().into_bytes();
        let object = &trail.objects[key];
        assert_eq!(body.as_ref(), object.body.as_slice(), "{key}");
        assert_eq!(
            metadata
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>(),
            object.metadata,
            "{key}"
        );
    }
    let metadata = &trail.objects[digest].metadata;
    assert_eq!(metadata["signature-algorithm"], "SHA256withRSA");
    assert_eq!(metadata["signature"].len(), 512);
    assert_eq!(
        metadata["backfill-generation-timestamp"],
        "2026-06-10T09:12:44Z"
    );
}

/// `write_dir` writes what `aws s3 sync` would: the bodies at their keys, no metadata.
#[test]
fn write_dir_writes_the_bodies_at_their_keys() {
    let trail = Trail::day();
    let dir = tempfile::tempdir().unwrap();
    trail.write_dir(dir.path());
    for (key, object) in &trail.objects {
        assert_eq!(
            std::fs::read(dir.path().join(key)).unwrap(),
            object.body,
            "{key}"
        );
    }
}
