//! `{"Records": [...]}` arrays: which source sent them, and S3 event notification records.
//!
//! A `Records` array is an S3, SQS or SNS event, and `eventSource` (`EventSource` for SNS) says
//! which: [`source`] tells them apart, as `aws_lambda_events` has a type per source but none for
//! "any of them". S3 records are read here with its [`S3EventRecord`], one record at a time so
//! that an error names its index; `parse` reads SQS and SNS records, whose messages hold more
//! shapes. The fields the type makes optional but keytrail needs (the bucket name, the key, a
//! non-negative `size`) are checked here.
//!
//! S3 notification keys are URL-encoded, `+` for a space: "The object key name value is URL
//! encoded. For example, `red flower.jpg` becomes `red+flower.jpg`" (Amazon S3 User Guide,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>).
//! S3 sends one record per notification; a record that is not `ObjectCreated:*` (a removal, a
//! restore, ...) is ignored with its event name as the reason.

use aws_lambda_events::s3::S3EventRecord;
use serde::Deserialize;
use serde_json::Value;

use super::error::{short, ShapeError};
use super::invocation::MessageContent;
use super::key::decode_form;
use super::object::ObjectRef;

const S3_SHAPE: &str = "S3 event notification";

/// Who sent a `Records` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    S3,
    Sqs,
    Sns,
}

impl Source {
    pub(super) fn name(self) -> &'static str {
        match self {
            Source::S3 => "aws:s3",
            Source::Sqs => "aws:sqs",
            Source::Sns => "aws:sns",
        }
    }
}

/// A `Records` array inside a message (an SQS body, an SNS message): only S3 notifications.
pub(super) fn parse_in_message(
    records: &Value,
    what: &'static str,
) -> Result<MessageContent, ShapeError> {
    let records = as_records(records)?;
    match source(records, what)? {
        None => Ok(MessageContent::Ignored(format!(
            "{what} has an empty Records array"
        ))),
        Some(Source::S3) => s3_records(records),
        Some(other) => Err(ShapeError::Unsupported {
            shape: S3_SHAPE,
            detail: format!(
                "{what} holds a Lambda {} event rather than an S3 notification: \
                 point the trigger at the function itself",
                other.name()
            ),
        }),
    }
}

pub(super) fn as_records(records: &Value) -> Result<&[Value], ShapeError> {
    records
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| ShapeError::malformed("Records payload", "Records", "expected an array"))
}

/// The common source of all records, `None` when there are none.
pub(super) fn source(records: &[Value], what: &'static str) -> Result<Option<Source>, ShapeError> {
    let mut found: Option<Source> = None;
    for (i, record) in records.iter().enumerate() {
        let name = record
            .get("eventSource")
            .or_else(|| record.get("EventSource"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let this = match name {
            "aws:s3" => Source::S3,
            "aws:sqs" => Source::Sqs,
            "aws:sns" => Source::Sns,
            _ => {
                return Err(ShapeError::Unknown {
                    what,
                    keys: format!("Records[{i}].eventSource is {:?}", short(name)),
                })
            }
        };
        match found {
            Some(first) if first != this => {
                return Err(ShapeError::Unsupported {
                    shape: "Records payload",
                    detail: format!(
                        "Records mixes {} and {} event sources: one trigger sends one kind",
                        first.name(),
                        this.name()
                    ),
                })
            }
            _ => found = Some(this),
        }
    }
    Ok(found)
}

/// Reads record `i` as `T`, naming the shape and the record in the error.
pub(super) fn record<T: for<'de> Deserialize<'de>>(
    shape: &'static str,
    i: usize,
    value: &Value,
) -> Result<T, ShapeError> {
    T::deserialize(value).map_err(|e| ShapeError::malformed(shape, format!("Records[{i}]"), e))
}

/// A [`ShapeError::Malformed`] for a field `aws_lambda_events` leaves optional but keytrail
/// needs, worded as serde words a missing field.
fn missing(shape: &'static str, path: String, field: &str) -> ShapeError {
    ShapeError::malformed(shape, path, format!("missing field `{field}`"))
}

/// The objects created by S3 notification records; other events are ignored with a reason.
pub(super) fn s3_records(records: &[Value]) -> Result<MessageContent, ShapeError> {
    let mut objects = Vec::new();
    let mut ignored: Vec<String> = Vec::new();
    for (i, value) in records.iter().enumerate() {
        let path = || format!("Records[{i}]");
        let Some(name) = value.get("eventName").and_then(Value::as_str) else {
            return Err(ShapeError::malformed(
                S3_SHAPE,
                path(),
                "missing string field `eventName`",
            ));
        };
        if !name.trim_start_matches("s3:").starts_with("ObjectCreated:") {
            let name = short(name);
            if !ignored.contains(&name) {
                ignored.push(name);
            }
            continue;
        }
        let parsed: S3EventRecord = record(S3_SHAPE, i, value)?;
        let (bucket, object) = (parsed.s3.bucket, parsed.s3.object);
        let bucket = bucket
            .name
            .ok_or_else(|| missing(S3_SHAPE, format!("{}.s3.bucket", path()), "name"))?;
        let key = object
            .key
            .ok_or_else(|| missing(S3_SHAPE, format!("{}.s3.object", path()), "key"))?;
        let size = object
            .size
            .map(|size| {
                u64::try_from(size).map_err(|_| {
                    ShapeError::malformed(S3_SHAPE, path(), format!("object size {size} < 0"))
                })
            })
            .transpose()?;
        objects.push(ObjectRef {
            bucket,
            key: decode_form(&key, S3_SHAPE)?,
            version_id: object.version_id,
            size,
            sequencer: object.sequencer,
        });
    }
    if objects.is_empty() {
        return Ok(MessageContent::Ignored(format!(
            "S3 event {} is not an object creation",
            ignored.join(", ")
        )));
    }
    Ok(MessageContent::Objects(objects))
}
