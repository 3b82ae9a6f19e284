//! What a backfill hands the fleet for one object: an SQS message body shaped like the S3 event
//! notification S3 itself sends (so the processor reads it exactly as it reads live delivery),
//! or a line of an S3 Batch Operations CSV manifest.
//!
//! Keys are URL-encoded in both, as their readers expect: S3 notifications carry the key
//! form-encoded (`+` for a space, Amazon S3 User Guide, "Event message structure"), and Batch
//! Operations manifests carry it URL-encoded (`%20` for a space; a comma, which would split the
//! CSV line, as `%2C`). Unreserved characters and `/` stay as they are.

use std::time::{SystemTime, UNIX_EPOCH};

use keytrail_aws::event::ObjectRef;
use serde_json::json;

use crate::dates::Day;

/// Who sent it, in the notification's identity fields and `configurationId`: what the
/// processor's logs show for a backfilled object.
pub const SENDER: &str = "keytrail-backfill";

/// The largest SQS message body (256 KiB). A notification holds one key of at most 1,024 bytes,
/// so a body is about 1 KiB; the check guards the invariant.
pub const MAX_BODY: usize = 256 * 1024;

/// `key` percent-encoded, unreserved characters and `/` kept; `space` is what a space becomes.
fn encode(key: &str, space: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The key as S3 event notifications carry it (form-encoded: `+` for a space).
pub fn notification_key(key: &str) -> String {
    encode(key, "+")
}

/// One line of a Batch Operations CSV manifest (`Bucket,Key`), with its newline.
pub fn manifest_line(object: &ObjectRef) -> String {
    format!("{},{}\n", object.bucket, encode(&object.key, "%20"))
}

/// The time now as RFC 3339 with milliseconds, as S3 writes `eventTime`.
pub fn now_rfc3339() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let day = Day::from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let of_day = secs % 86_400;
    format!(
        "{day}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        now.subsec_millis()
    )
}

/// The S3 `ObjectCreated:Put` notification for `object`, as the SQS message body, sent at
/// `event_time` from `region` (the bucket's).
pub fn notification(object: &ObjectRef, region: &str, event_time: &str) -> String {
    let mut s3_object = json!({ "key": notification_key(&object.key) });
    if let Some(size) = object.size {
        s3_object["size"] = json!(size);
    }
    if let Some(version) = &object.version_id {
        s3_object["versionId"] = json!(version);
    }
    json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": event_time,
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": SENDER},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": SENDER, "x-amz-id-2": SENDER},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": SENDER,
            "bucket": {
                "name": object.bucket,
                "ownerIdentity": {"principalId": SENDER},
                "arn": format!("arn:aws:s3:::{}", object.bucket),
            },
            "object": s3_object,
        },
    }]})
    .to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn object(key: &str) -> ObjectRef {
        ObjectRef {
            bucket: "trail-bucket".to_owned(),
            key: key.to_owned(),
            version_id: None,
            size: Some(1234),
            sequencer: None,
        }
    }

    #[test]
    fn keys_are_encoded_for_each_reader() {
        for (key, notified, manifest) in [
            (
                "AWSLogs/1/CloudTrail/us-east-1/2026/06/10/1_CloudTrail_x.json.gz",
                "AWSLogs/1/CloudTrail/us-east-1/2026/06/10/1_CloudTrail_x.json.gz",
                "trail-bucket,AWSLogs/1/CloudTrail/us-east-1/2026/06/10/1_CloudTrail_x.json.gz\n",
            ),
            (
                "a b+c,d%e",
                "a+b%2Bc%2Cd%25e",
                "trail-bucket,a%20b%2Bc%2Cd%25e\n",
            ),
            ("é~", "%C3%A9~", "trail-bucket,%C3%A9~\n"),
        ] {
            assert_eq!(notification_key(key), notified, "{key}");
            assert_eq!(manifest_line(&object(key)), manifest, "{key}");
        }
    }

    #[test]
    fn the_notification_has_every_field_s3_writes() {
        let body = notification(
            &object("a b.json.gz"),
            "eu-west-1",
            "2026-06-10T20:35:07.512Z",
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        let record = &v["Records"][0];
        assert_eq!(record["eventName"], "ObjectCreated:Put");
        assert_eq!(record["awsRegion"], "eu-west-1");
        assert_eq!(record["s3"]["bucket"]["name"], "trail-bucket");
        assert_eq!(record["s3"]["object"]["key"], "a+b.json.gz");
        assert_eq!(record["s3"]["object"]["size"], 1234);
        assert!(body.len() < MAX_BODY);
    }

    #[test]
    fn event_times_are_rfc3339() {
        let t = now_rfc3339();
        assert_eq!(t.len(), "2026-06-10T20:35:07.512Z".len(), "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}
