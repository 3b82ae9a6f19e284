//! Lambda payloads in, object references out: every shape the trail-processor accepts, parsed
//! without I/O into an [`Invocation`].
//!
//! The shape is detected from the payload itself, never from configuration, so one function can
//! sit behind any trigger:
//!
//! | payload | detected by | becomes |
//! |---|---|---|
//! | S3 event notification | `Records[].eventSource == "aws:s3"` | [`Invocation::Objects`] |
//! | SQS batch | `Records[].eventSource == "aws:sqs"` | [`Invocation::Sqs`], one entry per message |
//! | SNS notification | `Records[].EventSource == "aws:sns"` | the content of its message(s) |
//! | EventBridge "Object Created" (aws.s3) | `detail-type`, `source` | [`Invocation::Objects`] |
//! | EventBridge "... via CloudTrail" | `detail-type` ends with `via CloudTrail` | [`Invocation::ApiCall`] |
//! | S3 Batch Operations 1.0 / 2.0 | `invocationSchemaVersion` | [`Invocation::Batch`] |
//! | CloudTrail's notification | `s3Bucket` + `s3ObjectKey` | [`Invocation::Objects`] |
//! | `s3:TestEvent`, ObjectRemoved, ... | | [`Invocation::Ignored`] with the reason |
//!
//! An SQS body or SNS message is itself any of the message shapes (an S3 notification, the
//! test event, an SNS envelope when raw delivery is off, CloudTrail's notification, an
//! EventBridge event). Each SQS message is parsed on its own: a bad one is reported in its
//! [`SqsMessage::content`] and does not fail its neighbours, so the handler can name only the
//! failed ids in [`SqsBatchResponse`].
//!
//! Object keys are decoded, with form rules (`+` is a space, `%XX` a byte), where the sender
//! URL-encodes them, and kept as-is where it does not:
//! - S3 notifications: encoded ("The object key name value is URL encoded", S3 User Guide,
//!   <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>).
//! - S3 Batch Operations 1.0: encoded ("keys from S3 Batch Operations are URL encoded", S3 User
//!   Guide, <https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html>);
//!   2.0: the docs are silent, and AWS's Powertools decodes `s3Key` with `unquote_plus` for both
//!   versions, so keytrail does too.
//! - EventBridge: not encoded. The S3 docs are silent (every example is `example-key`); AWS's
//!   sample aws-samples/s3-to-lambda-patterns (`eventbridge/3-multi-bucket`, commit 6071ada)
//!   states that "object keys in S3 EventBridge events are not URL-encoded".
//! - CloudTrail's notification: not encoded; it is CloudTrail's own JSON listing the keys it
//!   wrote, not an S3 event notification.
//!
//! [`KeyFilter`] then decides which keys are CloudTrail log objects worth reading.

mod batch;
mod error;
mod eventbridge;
mod filter;
mod key;
mod message;
mod records;
mod response;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use batch::{BatchJob, BatchTask};
pub use error::{ShapeError, ACCEPTED_SHAPES};
pub use filter::{KeyFilter, KeyFilterError, SkipReason, DEFAULT_SUFFIXES};
pub use response::{BatchItemFailure, BatchResponse, BatchResult, ResultCode, SqsBatchResponse};

/// One S3 object to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The bucket name.
    pub bucket: String,
    /// The object key, decoded: what `GetObject` takes.
    pub key: String,
    /// The version the event is about, when the bucket is versioned.
    pub version_id: Option<String>,
    /// The size in bytes, when the event says.
    pub size: Option<u64>,
    /// S3's event sequencer, when the event carries one.
    pub sequencer: Option<String>,
}

impl ObjectRef {
    /// `s3://bucket/key`, with the decoded key.
    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// What one Lambda invocation asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// Read these objects (direct S3 notification, SNS, EventBridge Object Created).
    Objects(Vec<ObjectRef>),
    /// An SQS batch: each message parsed on its own, in order.
    Sqs(Vec<SqsMessage>),
    /// Classify this event directly: the whole EventBridge envelope, `detail` being the
    /// CloudTrail record (the engine unwraps it).
    ApiCall(Value),
    /// An S3 Batch Operations invocation: answer every task.
    Batch(BatchJob),
    /// Nothing to do, and why (for the log line).
    Ignored(String),
}

/// One SQS message of an [`Invocation::Sqs`].
#[derive(Debug, Clone, PartialEq)]
pub struct SqsMessage {
    /// The SQS message id: what `batchItemFailures` names.
    pub message_id: String,
    /// What the body asks for, or why it cannot be read.
    pub content: Result<MessageContent, ShapeError>,
}

/// What one message (an SQS body, an SNS message) asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageContent {
    /// Read these objects.
    Objects(Vec<ObjectRef>),
    /// Classify this EventBridge envelope directly.
    ApiCall(Value),
    /// Nothing to do, and why.
    Ignored(String),
}

impl From<MessageContent> for Invocation {
    fn from(content: MessageContent) -> Self {
        match content {
            MessageContent::Objects(objects) => Invocation::Objects(objects),
            MessageContent::ApiCall(event) => Invocation::ApiCall(event),
            MessageContent::Ignored(reason) => Invocation::Ignored(reason),
        }
    }
}

/// Reads a Lambda payload into an [`Invocation`], detecting its shape (see the module docs).
///
/// An error means the whole payload is unusable (unknown shape, or a malformed envelope); a bad
/// SQS message or Batch task is reported inside the invocation instead.
pub fn parse_invocation(payload: &Value) -> Result<Invocation, ShapeError> {
    if let Some(records) = payload.get("Records") {
        return records::parse(records);
    }
    if payload.get("invocationSchemaVersion").is_some() {
        return batch::parse(payload).map(Invocation::Batch);
    }
    message::parse(payload, "payload", 0).map(Invocation::from)
}

#[cfg(test)]
mod tests;
