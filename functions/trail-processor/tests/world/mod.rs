//! The world of the integrity tests: moto with the alert stack and the state table, a generated
//! signed trail ([`keytrail_testkit::trail::Trail`]) uploaded, `ListPublicKeys` from
//! [`keytrail_testkit::CloudTrailKeys`] (a stand-in on a loopback port speaking CloudTrail's wire
//! protocol; moto has no ListPublicKeys), and the app; delivery of the trail's objects as S3
//! notifications, the scheduled check, and the integrity alerts that arrived.
#![allow(dead_code)]

use std::collections::BTreeSet;

use keytrail_core::integrity::{Problem, Timestamp};
use keytrail_testkit::trail::Trail;
use keytrail_testkit::{CloudTrailKeys, Moto, Stack};
use serde_json::{json, Value};
use trail_processor::handler::handle;
use trail_processor::integrity::alert::alert;

use crate::support::*;

pub const TABLE: &str = "keytrail-state";

/// moto with the alert stack and the state table, the trail uploaded, the key stand-in, the app.
pub struct World {
    pub moto: Moto,
    pub stack: Stack,
    pub keys: CloudTrailKeys,
    pub app: TestApp,
    pub trail: Trail,
}

pub async fn world(trail: Trail) -> World {
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
pub fn notification(bucket: &str, keys: &[&String]) -> Value {
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
pub fn scheduled(time: Timestamp) -> Value {
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
    pub async fn deliver(&self) {
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

    /// Delivers `batches` of object keys, one notification each, in the order given.
    pub async fn deliver_batches(&self, batches: &[Vec<&String>]) {
        for batch in batches {
            handle(&self.app, notification(&self.trail.bucket, batch))
                .await
                .unwrap();
        }
    }

    /// The scheduled check at `time`.
    pub async fn sweep(&self, time: Timestamp) -> Value {
        handle(&self.app, scheduled(time)).await.unwrap()
    }

    /// The integrity alerts that arrived, as (rule id, problem JSON text), sorted.
    pub async fn integrity_alerts(&self, expected: usize) -> BTreeSet<(String, String)> {
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
pub fn expected_alerts(problems: &[Problem]) -> BTreeSet<(String, String)> {
    problems
        .iter()
        .map(|p| {
            let a = alert(p);
            (a.rule_id, serde_json::to_value(p).unwrap().to_string())
        })
        .collect()
}
