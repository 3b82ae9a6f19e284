//! What the function returns: SQS partial batch failures and S3 Batch Operations results,
//! serialized with the exact field names Lambda and S3 read.
//!
//! - SQS: `{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}` (AWS Lambda Developer
//!   Guide, "Handling errors for an SQS event source"); it takes effect when the event source
//!   mapping enables `ReportBatchItemFailures`.
//! - S3 Batch Operations: `invocationSchemaVersion`, `treatMissingKeysAs`, `invocationId`,
//!   `results[].taskId`, `resultCode` and `resultString` (Amazon S3 User Guide, "Invoke AWS
//!   Lambda function").

use serde::{Deserialize, Serialize};

/// The answer to an SQS batch: only the messages that must be retried.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsBatchResponse {
    /// The failed messages; empty when all succeeded.
    pub batch_item_failures: Vec<BatchItemFailure>,
}

/// One failed SQS message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    /// The message id.
    pub item_identifier: String,
}

impl SqsBatchResponse {
    /// A response naming these message ids as failed.
    pub fn from_failed<I, S>(message_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        SqsBatchResponse {
            batch_item_failures: message_ids
                .into_iter()
                .map(|id| BatchItemFailure {
                    item_identifier: id.into(),
                })
                .collect(),
        }
    }
}

/// The outcome of one S3 Batch Operations task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResultCode {
    /// Done; the result string goes into the completion report.
    Succeeded,
    /// Retry the task (e.g. an alert could not be published).
    TemporaryFailure,
    /// Do not retry (e.g. the task names no readable object).
    PermanentFailure,
}

/// The response to an S3 Batch Operations invocation; build it with
/// [`BatchJob::response`](super::BatchJob::response).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    /// Echoes the invocation's schema version.
    pub invocation_schema_version: String,
    /// What S3 assumes for a task missing from `results`.
    pub treat_missing_keys_as: ResultCode,
    /// Echoes the invocation id.
    pub invocation_id: String,
    /// One result per task.
    pub results: Vec<BatchResult>,
}

/// The result of one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResult {
    /// Echoes the task id.
    pub task_id: String,
    /// The outcome.
    pub result_code: ResultCode,
    /// A short explanation for the completion report.
    pub result_string: String,
}

impl BatchResult {
    /// A result for `task_id`.
    pub fn new(
        task_id: impl Into<String>,
        result_code: ResultCode,
        result_string: impl Into<String>,
    ) -> Self {
        BatchResult {
            task_id: task_id.into(),
            result_code,
            result_string: result_string.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sqs_response_uses_lambda_field_names() {
        let cases = [
            (
                SqsBatchResponse::default(),
                json!({"batchItemFailures": []}),
            ),
            (
                SqsBatchResponse::from_failed(["m-2", "m-5"]),
                json!({"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-5"}]}),
            ),
        ];
        for (response, want) in cases {
            assert_eq!(serde_json::to_value(&response).unwrap(), want);
        }
    }

    #[test]
    fn batch_response_uses_s3_field_names() {
        let response = BatchResponse {
            invocation_schema_version: "2.0".to_owned(),
            treat_missing_keys_as: ResultCode::PermanentFailure,
            invocation_id: "inv".to_owned(),
            results: vec![
                BatchResult::new("t1", ResultCode::Succeeded, "3 records, 1 alert"),
                BatchResult::new("t2", ResultCode::TemporaryFailure, "publish failed"),
                BatchResult::new("t3", ResultCode::PermanentFailure, "not a trail object"),
            ],
        };
        let want = json!({
            "invocationSchemaVersion": "2.0",
            "treatMissingKeysAs": "PermanentFailure",
            "invocationId": "inv",
            "results": [
                {"taskId": "t1", "resultCode": "Succeeded", "resultString": "3 records, 1 alert"},
                {"taskId": "t2", "resultCode": "TemporaryFailure", "resultString": "publish failed"},
                {"taskId": "t3", "resultCode": "PermanentFailure", "resultString": "not a trail object"},
            ],
        });
        assert_eq!(serde_json::to_value(&response).unwrap(), want);
        let text = serde_json::to_string(&response).unwrap();
        assert!(
            text.starts_with(r#"{"invocationSchemaVersion":"2.0","treatMissingKeysAs""#),
            "{text}"
        );
    }
}
