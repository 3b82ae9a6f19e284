//! What the function returns: SQS partial batch failures and S3 Batch Operations results, as
//! `aws_lambda_events`' [`SqsBatchResponse`] and [`S3BatchJobResponse`], which serialize with the
//! exact field names Lambda and S3 read (`event`'s tests check them on the wire):
//!
//! - SQS: `{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}` (AWS Lambda Developer
//!   Guide, "Handling errors for an SQS event source"); it takes effect when the event source
//!   mapping enables `ReportBatchItemFailures`. Build it with [`SqsBatchResponse::set_failures`].
//! - S3 Batch Operations: `invocationSchemaVersion`, `treatMissingKeysAs`, `invocationId`,
//!   `results[].taskId`, `resultCode` and `resultString` (Amazon S3 User Guide, "Invoke AWS
//!   Lambda function"). Build it with `BatchJob::response` and `BatchTask::result`.
//!
//! The result code is a string in `aws_lambda_events`; [`ResultCode`] keeps it to the three
//! values S3 reads.

#[cfg(doc)]
use aws_lambda_events::{s3::batch_job::S3BatchJobResponse, sqs::SqsBatchResponse};

/// The outcome of one S3 Batch Operations task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// Done; the result string goes into the completion report.
    Succeeded,
    /// Retry the task (e.g. an alert could not be published).
    TemporaryFailure,
    /// Do not retry (e.g. the task names no readable object).
    PermanentFailure,
}

impl ResultCode {
    /// The value S3 reads in `resultCode` and `treatMissingKeysAs`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultCode::Succeeded => "Succeeded",
            ResultCode::TemporaryFailure => "TemporaryFailure",
            ResultCode::PermanentFailure => "PermanentFailure",
        }
    }
}
