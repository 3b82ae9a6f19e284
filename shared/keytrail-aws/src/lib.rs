//! keytrail-aws: the adapters between AWS and the pure engine in keytrail-core.
//!
//! - [`event`] reads every Lambda payload shape keytrail accepts (S3 notifications, SQS, SNS,
//!   EventBridge, S3 Batch Operations) into object references, without I/O.
//! - [`s3`] is the object source: an [`s3::ObjectSource`] trait, implemented for the SDK's S3
//!   client, that opens an object as a stream of chunks.
//! - [`stream`] runs keytrail-core's synchronous scan over such a stream on a blocking thread,
//!   fed through a bounded channel, so memory stays bounded whatever the object's size.
//! - [`sns`] is the alert sink: an [`sns::AlertSink`] trait, implemented with SNS PublishBatch.
//! - [`client`] builds the SDK configuration (rustls with ring; `AWS_ENDPOINT_URL` honoured, as
//!   the SDK does, so the same binary runs against a local endpoint).
//!
//! Sources and sinks are small traits with native async fns, implemented once for the SDK and
//! once for tests where a test needs to inject faults.
#![warn(missing_docs)]

pub mod client;
pub mod event;
pub mod ledger;
pub mod s3;
pub mod sns;
pub mod stream;
