//! Lambda payloads in, object references out: every shape the trail-processor accepts, parsed
//! without I/O into an [`Invocation`] (feature `lambda-events`), and the [`ObjectRef`] and
//! [`KeyFilter`] the CLI shares (always).
//!
//! The shape is detected from the payload itself, never from configuration, so one function can
//! sit behind any trigger. Each shape is read with the type `aws_lambda_events` has for it
//! where there is one; the last column names what stays hand-written and why (the shape modules
//! say more, with the sample in `events/` that needs it):
//!
//! | payload | detected by | becomes | read with |
//! |---|---|---|---|
//! | S3 event notification | `Records[].eventSource == "aws:s3"` | [`Invocation::Objects`] | `s3::S3EventRecord` |
//! | SQS batch | `Records[].eventSource == "aws:sqs"` | [`Invocation::Sqs`], one entry per message | `sqs::SqsMessage` |
//! | SNS notification | `Records[].EventSource == "aws:sns"` | the content of its message(s) | `sns::SnsRecord` |
//! | SNS envelope in a message | `Type` + `TopicArn` | its `Message`'s content | `sns::SnsMessage` |
//! | EventBridge "Object Created" (aws.s3) | `detail-type`, `source` | [`Invocation::Objects`] | `eventbridge::EventBridgeEvent`; `detail` by hand (no type for S3's) |
//! | EventBridge "... via CloudTrail" | `detail-type` ends with `via CloudTrail` | [`Invocation::ApiCall`] | `eventbridge::EventBridgeEvent`, checked; the JSON goes on whole |
//! | S3 Batch Operations 1.0 / 2.0 | `invocationSchemaVersion` | [`Invocation::Batch`] | `s3_batch_job::S3BatchJobEvent`; 2.0's `s3Bucket`, `userArguments` by hand (the type is 1.0's) |
//! | CloudWatch Logs subscription | `awslogs` | [`Invocation::LogEvents`], the messages as a trail document | by hand, bounded (`logs` says why) |
//! | CloudTrail's notification | `s3Bucket` + `s3ObjectKey` | [`Invocation::Objects`] | by hand (no type) |
//! | `s3:TestEvent`, ObjectRemoved, ... | | [`Invocation::Ignored`] with the reason | `s3:TestEvent` by hand (no type) |
//!
//! Telling the shapes apart is keytrail's own: `aws_lambda_events` has a type per shape, not a
//! type for "any of them". The responses are its `SqsBatchResponse` and `S3BatchJobResponse`
//! (see `response`, which checks their wire names). Where its types make optional a field
//! keytrail needs (an S3 key, an SQS `messageId`, a Batch `taskId`), the shape module checks it
//! with the error it gave before; where they require one keytrail does not read (an S3 record's
//! `eventTime`, an SNS record's `Signature`), a payload without it is malformed, as no AWS
//! service sends such a payload.
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

#[cfg(feature = "lambda-events")]
mod batch;
#[cfg(feature = "lambda-events")]
mod error;
#[cfg(feature = "lambda-events")]
mod eventbridge;
mod filter;
#[cfg(feature = "lambda-events")]
mod invocation;
#[cfg(feature = "lambda-events")]
mod key;
#[cfg(feature = "lambda-events")]
mod logs;
#[cfg(feature = "lambda-events")]
mod message;
mod object;
#[cfg(feature = "lambda-events")]
mod parse;
#[cfg(feature = "lambda-events")]
mod records;
#[cfg(feature = "lambda-events")]
mod response;

#[cfg(feature = "lambda-events")]
pub use self::{
    batch::{BatchJob, BatchTask},
    error::{ShapeError, ACCEPTED_SHAPES},
    invocation::{Invocation, MessageContent, SqsMessage},
    logs::{LogBatch, MAX_BATCH_BYTES},
    parse::parse_invocation,
    response::ResultCode,
};
pub use self::{
    filter::{KeyFilter, KeyFilterError, SkipReason, DEFAULT_SUFFIXES, KEY_FILTER_SYNTAX},
    object::ObjectRef,
};
#[cfg(feature = "lambda-events")]
pub use aws_lambda_events::{
    s3::batch_job::{S3BatchJobResponse, S3BatchJobResult},
    sqs::SqsBatchResponse,
};

#[cfg(feature = "lambda-events")]
#[cfg(test)]
mod tests;
