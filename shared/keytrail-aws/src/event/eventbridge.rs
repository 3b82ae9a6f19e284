//! EventBridge events: S3 "Object Created" and "AWS API Call via CloudTrail".
//!
//! Keys in S3's EventBridge events are NOT URL-encoded and are used as-is. The S3 User Guide's
//! page on the EventBridge message structure
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html>) is silent on
//! encoding (its examples use `example-key`), unlike the page on classic notifications, which
//! states that keys are URL-encoded. The evidence is AWS's own sample, aws-samples/
//! s3-to-lambda-patterns, `eventbridge/3-multi-bucket/eventConsumer/app.js` (commit 6071ada):
//! "Unlike S3 event notifications sent directly to Lambda, object keys in S3 EventBridge events
//! are not URL-encoded, so they can be used as-is". Decoding them would corrupt keys holding a
//! `+` or a `%`.
//!
//! "... via CloudTrail" events (API calls, console sign-ins, service events) carry a CloudTrail
//! record in `detail`; the whole envelope is handed on for classification.
//!
//! The envelope is read with `aws_lambda_events`' [`EventBridgeEvent`] (`detail-type`, `source`,
//! `detail` kept as JSON). Two parts stay hand-written:
//! - S3's "Object Created" `detail` (`bucket.name`, `object.key`, `size`, `version-id`,
//!   `sequencer`): `aws_lambda_events` has no type for it. Sample
//!   `events/eventbridge-object-created.json`.
//! - "AWS API Call via CloudTrail": the envelope goes on as the JSON it arrived as, every field
//!   kept, for keytrail-core to unwrap; the type only checks it. Sample
//!   `events/eventbridge-api-call-export-certificate.json`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;

use super::error::{short, ShapeError};
use super::invocation::MessageContent;
use super::object::ObjectRef;

const SHAPE: &str = "EventBridge event";

#[derive(Deserialize)]
struct ObjectCreated {
    bucket: Named,
    object: Object,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Object {
    key: String,
    size: Option<u64>,
    version_id: Option<String>,
    sequencer: Option<String>,
}

/// An event with `detail-type` and `detail`.
pub(super) fn parse(event: &Value) -> Result<MessageContent, ShapeError> {
    let envelope: EventBridgeEvent =
        EventBridgeEvent::deserialize(event).map_err(|e| ShapeError::malformed(SHAPE, "$", e))?;
    let (detail_type, source, detail) = (envelope.detail_type, envelope.source, envelope.detail);
    if detail_type.ends_with("via CloudTrail") {
        if !detail.is_object() {
            return Err(ShapeError::malformed(
                SHAPE,
                "detail",
                "expected the CloudTrail record",
            ));
        }
        return Ok(MessageContent::ApiCall(event.clone()));
    }
    if source != "aws.s3" {
        return Err(ShapeError::Unsupported {
            shape: SHAPE,
            detail: format!(
                "{:?} events from {:?} are not handled: route only \"Object Created\" from \
                 aws.s3 and \"AWS API Call via CloudTrail\" events to this function",
                short(&detail_type),
                short(&source)
            ),
        });
    }
    if detail_type != "Object Created" {
        return Ok(MessageContent::Ignored(format!(
            "EventBridge S3 event {:?} is not an object creation",
            short(&detail_type)
        )));
    }
    let created = ObjectCreated::deserialize(&detail)
        .map_err(|e| ShapeError::malformed(SHAPE, "detail", e))?;
    Ok(MessageContent::Objects(vec![ObjectRef {
        bucket: created.bucket.name,
        key: created.object.key,
        version_id: created.object.version_id,
        size: created.object.size,
        sequencer: created.object.sequencer,
    }]))
}
