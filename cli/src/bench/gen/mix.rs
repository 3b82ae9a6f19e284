//! The smaller records of a mix with a mean size asked for (`bench gen --mean-record-bytes`).
//!
//! Each record is drawn from the busy account's mix while the mean written so far is at or
//! under the target, and from these smaller ones (about 1 KB each) while it is over: KMS calls
//! made by services (40 %), STS role sessions for EC2 (30 %) and S3 data events made by a
//! service (30 %: CloudTrail delivering its own log files, with no session context or TLS
//! details). At 1.1 KB that is the traffic of an account whose trail is mostly data events and
//! KMS service calls; a target under about 1 KB gives these records alone.

use super::{kms_service, sts, Ctx, Rng, ACCOUNT};

/// One of the smaller records.
pub(super) fn small(rng: &mut Rng, c: &Ctx) -> String {
    match rng.below(10) {
        0..=3 => kms_service(rng, c),
        4..=6 => sts(c),
        _ => s3_by_service(rng, c),
    }
}

/// CloudTrail writing a log file into its bucket: an S3 data event made by a service.
fn s3_by_service(rng: &mut Rng, c: &Ctx) -> String {
    let key = format!(
        "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2025/03/14/{ACCOUNT}_CloudTrail_us-east-1_20250314T{:04}Z_{}.json.gz",
        rng.below(2400),
        &c.request_id[..16]
    );
    format!(
        r#"{{"eventVersion":"1.10","userIdentity":{{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}},"eventTime":"{t}","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"us-east-1","sourceIPAddress":"cloudtrail.amazonaws.com","userAgent":"cloudtrail.amazonaws.com","requestParameters":{{"bucketName":"example-trail-logs","Host":"example-trail-logs.s3.us-east-1.amazonaws.com","key":"{key}","x-amz-acl":"bucket-owner-full-control"}},"responseElements":null,{tail},"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::example-trail-logs/{key}"}}],"sharedEventID":"{s}"}}"#,
        t = c.time,
        s = c.request_id,
        tail = c.tail_of(false, "AwsApiCall", true),
    )
}
