//! [`ObjectError`]: why one object (or API-call event) failed, and whether a retry may pass;
//! [`HandlerError`]: why a whole invocation failed (the handler's and the integrity sweep's).
//!
//! Every failure of an item lands here, whichever step raised it (opening, reading, publishing,
//! the idempotency table, the deadline, a lost task), so that the handler can answer each item
//! in the caller's shape: a Lambda error, an SQS batch item failure, an S3 Batch result code.

use keytrail_aws::s3::SourceError;
use keytrail_aws::sns::PublishError;
use keytrail_aws::state::ledger::LedgerError;
use keytrail_aws::stream::ScanTaskError;
use lambda_runtime::Diagnostic;

use crate::schedule::TaskLost;

/// Why an object failed.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The object could not be opened.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The body failed half way; worth a retry.
    #[error("{0}")]
    Interrupted(String),
    /// Alerts could not be published.
    #[error("object {object}: {source}")]
    Publish {
        /// The object.
        object: String,
        /// What SNS said.
        source: PublishError,
    },
    /// The state table could not be read or written (alert claims, suppression windows).
    #[error("object {object}: {source}")]
    Ledger {
        /// The object.
        object: String,
        /// What DynamoDB said.
        source: LedgerError,
    },
    /// Correlation state could not be read or written (the state table); the retry counts
    /// nothing twice.
    #[error("object {object}: {source}")]
    Correlation {
        /// The object.
        object: String,
        /// What failed.
        source: keytrail_core::correlate::StoreError,
    },
    /// The integrity check could not be done (state table, S3 or CloudTrail failed).
    #[error("object {object}: {source}")]
    Integrity {
        /// The object.
        object: String,
        /// What failed.
        source: crate::integrity::IntegrityError,
    },
    /// Another invocation is publishing one of the object's alerts right now (the same object
    /// delivered twice at once), or died doing so less than a lease ago.
    #[error(
        "object {object}: alert {alert_id} is claimed by another invocation until {until} \
         (epoch seconds); the object fails so that it is retried after that"
    )]
    Held {
        /// The object.
        object: String,
        /// The alert.
        alert_id: String,
        /// When the other claim's lease runs out.
        until: u64,
    },
    /// Reading stopped before the invocation's deadline.
    #[error(
        "object {object}: stopped {reserve_ms} ms before the invocation's deadline after {records} \
         record(s), their alerts published; it fails so that it is retried (raise the function's \
         Timeout or lower OBJECT_CONCURRENCY if this repeats)"
    )]
    Deadline {
        /// The object (or event) name.
        object: String,
        /// Records read before the stop.
        records: u64,
        /// `DEADLINE_RESERVE_MS`.
        reserve_ms: u128,
    },
    /// The scan task died (a bug).
    #[error(transparent)]
    Task(#[from] ScanTaskError),
    /// The object's own task panicked or was cancelled (a bug); worth a retry, and the
    /// dead-letter queue catches an object that always fails this way.
    #[error("object {object}: {source}: it fails so that it is retried")]
    Lost {
        /// The object (or event) name.
        object: String,
        /// What the runtime said.
        source: TaskLost,
    },
}

impl ObjectError {
    /// True when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ObjectError::Source(e) => e.is_retryable(),
            ObjectError::Interrupted(_)
            | ObjectError::Task(_)
            | ObjectError::Lost { .. }
            | ObjectError::Ledger { .. }
            | ObjectError::Correlation { .. }
            | ObjectError::Integrity { .. }
            | ObjectError::Held { .. }
            | ObjectError::Deadline { .. } => true,
            ObjectError::Publish { source, .. } => source.retryable,
        }
    }
}

/// An invocation that failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The payload is none of the accepted shapes.
    #[error("{0}")]
    Shape(String),
    /// Some objects failed; Lambda's retries (and then the failure destination) take over.
    #[error("{failed} of {total} object(s) failed: {first}")]
    Objects {
        /// How many failed.
        failed: usize,
        /// How many there were.
        total: usize,
        /// The first failure's message.
        first: String,
        /// True when every failure may pass on retry.
        retryable: bool,
    },
}

impl HandlerError {
    /// True when Lambda's retry may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            HandlerError::Objects {
                retryable: true,
                ..
            }
        )
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        let error_type = if e.is_retryable() {
            "Retryable"
        } else {
            "NonRetryable"
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: e.to_string(),
        }
    }
}
