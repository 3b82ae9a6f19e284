//! keytrail-aws: the adapters between AWS and the pure engine in keytrail-core.
//!
//! - [`event`] reads every Lambda payload shape keytrail accepts (S3 notifications, SQS, SNS,
//!   EventBridge, S3 Batch Operations) into object references, without I/O, on
//!   `aws_lambda_events`' types (feature `lambda-events`).
//! - [`s3`] is the object source: an [`s3::ObjectSource`] trait, implemented for the SDK's S3
//!   client, that opens an object as a stream of chunks.
//! - [`stream`] runs keytrail-core's synchronous scan over such a stream on a blocking thread,
//!   fed through a bounded channel, so memory stays bounded whatever the object's size.
//! - `sns` is the alert sink: an `sns::AlertSink` trait, implemented with SNS PublishBatch
//!   (feature `sns`).
//! - `sinks` are the optional Security Hub (ASFF findings) and EventBridge alert sinks, the same
//!   trait (feature `sinks`, not on by default).
//! - `state` is the state table on DynamoDB (feature `dynamodb`): alert claims (idempotency),
//!   log hashes, digest chains and public keys, one table with its key design documented there.
//! - [`env`] reads a function's configuration from its environment, every problem named.
//! - [`client`] builds the SDK configuration (rustls with ring; `AWS_ENDPOINT_URL` honoured, as
//!   the SDK does, so the same binary runs against a local endpoint).
//!
//! Sources and sinks are small traits with native async fns, implemented once for the SDK and
//! once for tests where a test needs to inject faults.
//!
//! Cargo features, all on by default, keep what a caller never calls out of its build: the CLI
//! takes none of them (no SNS or DynamoDB client, no Lambda payload types); the trail-processor
//! takes all three.
#![warn(missing_docs)]

pub mod client;
pub mod env;
pub mod event;
pub mod s3;
#[cfg(feature = "sinks")]
pub mod sinks;
#[cfg(feature = "sns")]
pub mod sns;
#[cfg(feature = "dynamodb")]
pub mod state;
pub mod stream;
