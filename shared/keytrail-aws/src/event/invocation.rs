//! What an invocation asks for: [`Invocation`], and for each SQS or SNS message,
//! [`MessageContent`]. The shape modules build them; `parse` dispatches.

use serde_json::Value;

use super::batch::BatchJob;
use super::error::ShapeError;
use super::logs::LogBatch;
use super::object::ObjectRef;

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
    /// CloudTrail events delivered by a CloudWatch Logs subscription filter: classify them as
    /// one trail document (no S3 read).
    LogEvents(LogBatch),
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
