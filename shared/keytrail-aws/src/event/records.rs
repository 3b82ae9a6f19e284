//! `{"Records": [...]}` payloads: S3 event notifications, SQS batches and SNS notifications.
//!
//! S3 notification keys are URL-encoded, `+` for a space: "The object key name value is URL
//! encoded. For example, `red flower.jpg` becomes `red+flower.jpg`" (Amazon S3 User Guide,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>).
//! S3 sends one record per notification; a record that is not `ObjectCreated:*` (a removal, a
//! restore, ...) is ignored with its event name as the reason.

use serde::Deserialize;
use serde_json::Value;

use super::error::short;
use super::key::decode_form;
use super::message;
use super::{Invocation, MessageContent, ObjectRef, ShapeError, SqsMessage};

const S3_SHAPE: &str = "S3 event notification";
const SQS_SHAPE: &str = "SQS event";
const SNS_SHAPE: &str = "SNS event";

/// Who sent a `Records` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    S3,
    Sqs,
    Sns,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::S3 => "aws:s3",
            Source::Sqs => "aws:sqs",
            Source::Sns => "aws:sns",
        }
    }
}

/// A top-level `Records` payload.
pub(super) fn parse(records: &Value) -> Result<Invocation, ShapeError> {
    let records = as_records(records)?;
    let Some(source) = source(records, "payload")? else {
        return Ok(Invocation::Ignored("the Records array is empty".to_owned()));
    };
    match source {
        Source::S3 => s3_records(records).map(Invocation::from),
        Source::Sqs => sqs_records(records).map(Invocation::Sqs),
        Source::Sns => sns_records(records),
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

fn as_records(records: &Value) -> Result<&[Value], ShapeError> {
    records
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| ShapeError::malformed("Records payload", "Records", "expected an array"))
}

/// The common source of all records, `None` when there are none.
fn source(records: &[Value], what: &'static str) -> Result<Option<Source>, ShapeError> {
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

#[derive(Deserialize)]
struct S3Record {
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: Named,
    object: S3Object,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3Object {
    key: String,
    size: Option<u64>,
    version_id: Option<String>,
    sequencer: Option<String>,
}

/// The objects created by S3 notification records; other events are ignored with a reason.
fn s3_records(records: &[Value]) -> Result<MessageContent, ShapeError> {
    let mut objects = Vec::new();
    let mut ignored: Vec<String> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let path = || format!("Records[{i}]");
        let Some(name) = record.get("eventName").and_then(Value::as_str) else {
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
        let parsed = S3Record::deserialize(record)
            .map_err(|e| ShapeError::malformed(S3_SHAPE, path(), e))?;
        let object = parsed.s3.object;
        objects.push(ObjectRef {
            bucket: parsed.s3.bucket.name,
            key: decode_form(&object.key, S3_SHAPE)?,
            version_id: object.version_id,
            size: object.size,
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

/// Every SQS message, each parsed on its own.
fn sqs_records(records: &[Value]) -> Result<Vec<SqsMessage>, ShapeError> {
    records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let Some(message_id) = record.get("messageId").and_then(Value::as_str) else {
                return Err(ShapeError::malformed(
                    SQS_SHAPE,
                    format!("Records[{i}]"),
                    "missing string field `messageId`",
                ));
            };
            let content = match record.get("body").and_then(Value::as_str) {
                Some(body) => message::parse_text(body, "SQS message body", 0),
                None => Err(ShapeError::malformed(
                    SQS_SHAPE,
                    format!("Records[{i}]"),
                    "missing string field `body`",
                )),
            };
            Ok(SqsMessage {
                message_id: message_id.to_owned(),
                content,
            })
        })
        .collect()
}

/// The content of every SNS record, merged. Lambda delivers one SNS record per invocation; with
/// several, their objects are read together.
fn sns_records(records: &[Value]) -> Result<Invocation, ShapeError> {
    let mut contents = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let Some(text) = record.pointer("/Sns/Message").and_then(Value::as_str) else {
            return Err(ShapeError::malformed(
                SNS_SHAPE,
                format!("Records[{i}]"),
                "missing string field `Sns.Message`",
            ));
        };
        contents.push(message::parse_text(text, "SNS message", 0)?);
    }
    if contents.len() == 1 {
        if let Some(content) = contents.pop() {
            return Ok(content.into());
        }
    }
    let mut objects = Vec::new();
    let mut reasons = Vec::new();
    for content in contents {
        match content {
            MessageContent::Objects(more) => objects.extend(more),
            MessageContent::Ignored(reason) => reasons.push(reason),
            MessageContent::ApiCall(_) => {
                return Err(ShapeError::Unsupported {
                    shape: SNS_SHAPE,
                    detail: "several records carrying EventBridge API-call events: deliver \
                             them one per invocation (or through SQS)"
                        .to_owned(),
                })
            }
        }
    }
    if objects.is_empty() {
        return Ok(Invocation::Ignored(reasons.join("; ")));
    }
    Ok(Invocation::Objects(objects))
}
