//! One message: an SQS body, an SNS message, or a payload that is not a `Records` batch.
//!
//! A message is an S3 notification, S3's `s3:TestEvent`, an SNS envelope (SNS to SQS without
//! raw message delivery) whose `Message` is again a message, CloudTrail's own notification, or
//! an EventBridge event.
//!
//! The SNS envelope is read with `aws_lambda_events`' [`SnsMessage`] (the same JSON as a Lambda
//! SNS record's `Sns`, with `SigningCertURL` / `UnsubscribeURL` spelled in capitals, which the
//! type accepts). Two shapes stay hand-written because `aws_lambda_events` has no type for them:
//! - `s3:TestEvent` (`{"Service": "Amazon S3", "Event": "s3:TestEvent", ...}`), which S3 sends
//!   once when a notification is configured: sample `events/sqs-s3-test-event.json`.
//! - CloudTrail's notification `{"s3Bucket", "s3ObjectKey": [...]}`: samples
//!   `events/sns-cloudtrail.json`, `events/sqs-sns-cloudtrail.json`,
//!   `events/sqs-cloudtrail-raw.json`.
//!
//! CloudTrail's notification lists keys as written, not URL-encoded: it is CloudTrail's own
//! JSON (`{"s3Bucket": ..., "s3ObjectKey": [...]}`, AWS CloudTrail User Guide, "Configuring
//! Amazon SNS notifications for CloudTrail",
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/configure-sns-notifications-for-cloudtrail.html>),
//! not an S3 event notification, and its example keys are plain paths.

use aws_lambda_events::sns::SnsMessage;
use serde::Deserialize;
use serde_json::Value;

use super::error::{short, ShapeError};
use super::invocation::MessageContent;
use super::object::ObjectRef;
use super::{eventbridge, records};

/// How many envelopes deep keytrail follows (SNS in SQS is 1).
const MAX_DEPTH: usize = 3;

const CLOUDTRAIL_SHAPE: &str = "CloudTrail notification";
const SNS_ENVELOPE_SHAPE: &str = "SNS envelope";

/// A message held as JSON text (an SQS body, an SNS `Message`).
pub(super) fn parse_text(
    text: &str,
    what: &'static str,
    depth: usize,
) -> Result<MessageContent, ShapeError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ShapeError::NotJson {
        what,
        detail: e.to_string(),
    })?;
    parse(&value, what, depth)
}

/// A message already parsed as JSON; `what` names it in errors.
pub(super) fn parse(
    value: &Value,
    what: &'static str,
    depth: usize,
) -> Result<MessageContent, ShapeError> {
    if depth > MAX_DEPTH {
        return Err(ShapeError::TooDeep {
            what,
            max: MAX_DEPTH,
        });
    }
    let Value::Object(map) = value else {
        return Err(ShapeError::unknown(what, value));
    };
    if let Some(records) = map.get("Records") {
        return records::parse_in_message(records, what);
    }
    if map.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(MessageContent::Ignored(
            "s3:TestEvent (S3 sends it once when a bucket notification is configured)".to_owned(),
        ));
    }
    if let (Some(kind), Some(_)) = (map.get("Type").and_then(Value::as_str), map.get("TopicArn")) {
        return sns_envelope(kind, value, depth);
    }
    if map.contains_key("s3Bucket") && map.contains_key("s3ObjectKey") {
        return cloudtrail_notification(value);
    }
    if map.contains_key("detail-type") && map.contains_key("detail") {
        return eventbridge::parse(value);
    }
    Err(ShapeError::unknown(what, value))
}

/// An SNS envelope: the `Message` of a `Notification` is parsed; confirmations are ignored.
fn sns_envelope(kind: &str, value: &Value, depth: usize) -> Result<MessageContent, ShapeError> {
    if kind != "Notification" {
        return Ok(MessageContent::Ignored(format!(
            "SNS {} message, not a notification",
            short(kind)
        )));
    }
    let envelope = SnsMessage::deserialize(value)
        .map_err(|e| ShapeError::malformed(SNS_ENVELOPE_SHAPE, "$", e))?;
    parse_text(&envelope.message, "SNS message", depth + 1)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CloudTrailNotification {
    s3_bucket: String,
    s3_object_key: Vec<String>,
}

/// CloudTrail's notification of delivered log objects; keys are not URL-encoded.
fn cloudtrail_notification(value: &Value) -> Result<MessageContent, ShapeError> {
    let parsed = CloudTrailNotification::deserialize(value)
        .map_err(|e| ShapeError::malformed(CLOUDTRAIL_SHAPE, "$", e))?;
    if parsed.s3_object_key.is_empty() {
        return Ok(MessageContent::Ignored(
            "CloudTrail notification lists no objects".to_owned(),
        ));
    }
    let objects = parsed
        .s3_object_key
        .into_iter()
        .map(|key| ObjectRef {
            bucket: parsed.s3_bucket.clone(),
            key,
            version_id: None,
            size: None,
            sequencer: None,
        })
        .collect();
    Ok(MessageContent::Objects(objects))
}
