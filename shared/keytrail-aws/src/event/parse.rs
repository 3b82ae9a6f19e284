//! [`parse_invocation`]: a Lambda payload to an [`Invocation`], dispatched on its shape (the
//! `event` module docs list them), and the SQS and SNS `Records` events, whose messages are read
//! by `message`.
//!
//! SQS and SNS records are read with `aws_lambda_events`' [`SqsRecord`] and [`SnsRecord`], one
//! record at a time so that an error names its index. The SQS type makes `messageId` and `body`
//! optional; keytrail needs both and checks them here.

use aws_lambda_events::sns::SnsRecord;
use aws_lambda_events::sqs::SqsMessage as SqsRecord;
use serde_json::Value;

use super::error::ShapeError;
use super::invocation::{Invocation, MessageContent, SqsMessage};
use super::records::{self, Source};
use super::{batch, logs, message};

const SQS_SHAPE: &str = "SQS event";
const SNS_SHAPE: &str = "SNS event";

/// Reads a Lambda payload into an [`Invocation`], detecting its shape (see the module docs).
///
/// An error means the whole payload is unusable (unknown shape, or a malformed envelope); a bad
/// SQS message or Batch task is reported inside the invocation instead.
pub fn parse_invocation(payload: &Value) -> Result<Invocation, ShapeError> {
    if let Some(records) = payload.get("Records") {
        return records_payload(records);
    }
    if let Some(awslogs) = payload.get("awslogs") {
        return logs::parse(awslogs);
    }
    if payload.get("invocationSchemaVersion").is_some() {
        return batch::parse(payload).map(Invocation::Batch);
    }
    message::parse(payload, "payload", 0).map(Invocation::from)
}

/// A top-level `Records` payload.
fn records_payload(records: &Value) -> Result<Invocation, ShapeError> {
    let records = records::as_records(records)?;
    let Some(source) = records::source(records, "payload")? else {
        return Ok(Invocation::Ignored("the Records array is empty".to_owned()));
    };
    match source {
        Source::S3 => records::s3_records(records).map(Invocation::from),
        Source::Sqs => sqs_records(records).map(Invocation::Sqs),
        Source::Sns => sns_records(records),
    }
}

/// Every SQS message, each body parsed on its own.
fn sqs_records(records: &[Value]) -> Result<Vec<SqsMessage>, ShapeError> {
    records
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let parsed: SqsRecord = records::record(SQS_SHAPE, i, value)?;
            let Some(message_id) = parsed.message_id else {
                return Err(ShapeError::malformed(
                    SQS_SHAPE,
                    format!("Records[{i}]"),
                    "missing string field `messageId`",
                ));
            };
            let content = match parsed.body {
                Some(body) => message::parse_text(&body, "SQS message body", 0),
                None => Err(ShapeError::malformed(
                    SQS_SHAPE,
                    format!("Records[{i}]"),
                    "missing string field `body`",
                )),
            };
            Ok(SqsMessage {
                message_id,
                content,
            })
        })
        .collect()
}

/// The content of every SNS record, merged. Lambda delivers one SNS record per invocation; with
/// several, their objects are read together.
fn sns_records(records: &[Value]) -> Result<Invocation, ShapeError> {
    let mut contents = Vec::with_capacity(records.len());
    for (i, value) in records.iter().enumerate() {
        let parsed: SnsRecord = records::record(SNS_SHAPE, i, value)?;
        contents.push(message::parse_text(&parsed.sns.message, "SNS message", 0)?);
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
