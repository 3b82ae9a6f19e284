//! S3 Batch Operations invocations, schema 1.0 and 2.0.
//!
//! 1.0 names the bucket by ARN (`tasks[].s3BucketArn`), 2.0 by name (`tasks[].s3Bucket`) and
//! adds `job.userArguments`. Both carry `s3Key` URL-encoded, and it is decoded with form rules
//! (`+` is a space) for both:
//! - 1.0: "As the example shows, keys from S3 Batch Operations are URL encoded. To use Amazon S3
//!   with other AWS services, it's important that you URL decode the key that is passed from S3
//!   Batch Operations." (Amazon S3 User Guide, "Invoke AWS Lambda function",
//!   <https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html>; its
//!   example calls `unquote`, its manifest example `unquote_plus`).
//! - 2.0: the AWS docs say nothing specific. Powertools for AWS Lambda (Python), maintained by
//!   AWS, decodes `s3Key` with `unquote_plus` whatever the schema version
//!   (`S3BatchOperationTask.s3_key` in `utilities/data_classes/s3_batch_operation_event.py`),
//!   noting that the docs' `unquote` "contradicts what happens in practice. The key is url
//!   encoded with %20 in the inventory file but in the event it is sent with +".
//!
//! A task whose object cannot be read is reported in [`BatchTask::object`] so that only it
//! answers `PermanentFailure`; a payload without task ids cannot be answered and is an error.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::error::short;
use super::key::decode_form;
use super::{BatchResponse, BatchResult, ObjectRef, ResultCode, ShapeError};

const SHAPE: &str = "S3 Batch Operations invocation";

/// An S3 Batch Operations invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchJob {
    /// `invocationId`, echoed in the response.
    pub invocation_id: String,
    /// `invocationSchemaVersion` ("1.0" or "2.0"), echoed in the response.
    pub invocation_schema_version: String,
    /// `job.id`.
    pub job_id: String,
    /// `job.userArguments` (schema 2.0; empty otherwise).
    pub user_arguments: BTreeMap<String, String>,
    /// The tasks, in order (S3 sends one per invocation).
    pub tasks: Vec<BatchTask>,
}

/// One task of a [`BatchJob`].
#[derive(Debug, Clone, PartialEq)]
pub struct BatchTask {
    /// `taskId`, echoed in the task's result.
    pub task_id: String,
    /// The object to read (key decoded), or why the task names none.
    pub object: Result<ObjectRef, ShapeError>,
}

impl BatchJob {
    /// The response S3 expects, with `treatMissingKeysAs: PermanentFailure`.
    pub fn response(&self, results: Vec<BatchResult>) -> BatchResponse {
        BatchResponse {
            invocation_schema_version: self.invocation_schema_version.clone(),
            treat_missing_keys_as: ResultCode::PermanentFailure,
            invocation_id: self.invocation_id.clone(),
            results,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawInvocation {
    invocation_schema_version: String,
    invocation_id: String,
    job: RawJob,
    tasks: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawJob {
    id: String,
    user_arguments: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTask {
    s3_key: String,
    s3_version_id: Option<String>,
    s3_bucket: Option<String>,
    s3_bucket_arn: Option<String>,
}

/// A payload with `invocationSchemaVersion`.
pub(super) fn parse(payload: &Value) -> Result<BatchJob, ShapeError> {
    let raw =
        RawInvocation::deserialize(payload).map_err(|e| ShapeError::malformed(SHAPE, "$", e))?;
    if !matches!(raw.invocation_schema_version.as_str(), "1.0" | "2.0") {
        return Err(ShapeError::Unsupported {
            shape: SHAPE,
            detail: format!(
                "invocationSchemaVersion {:?} is not supported: create the job with 1.0 or 2.0",
                short(&raw.invocation_schema_version)
            ),
        });
    }
    let tasks = raw
        .tasks
        .iter()
        .enumerate()
        .map(|(i, task)| {
            let Some(task_id) = task.get("taskId").and_then(Value::as_str) else {
                return Err(ShapeError::malformed(
                    SHAPE,
                    format!("tasks[{i}]"),
                    "missing string field `taskId`",
                ));
            };
            Ok(BatchTask {
                task_id: task_id.to_owned(),
                object: task_object(task, i),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(BatchJob {
        invocation_id: raw.invocation_id,
        invocation_schema_version: raw.invocation_schema_version,
        job_id: raw.job.id,
        user_arguments: raw.job.user_arguments.unwrap_or_default(),
        tasks,
    })
}

/// The object of one task: bucket from `s3Bucket` (2.0) or `s3BucketArn` (1.0), key decoded.
fn task_object(task: &Value, i: usize) -> Result<ObjectRef, ShapeError> {
    let path = || format!("tasks[{i}]");
    let raw = RawTask::deserialize(task).map_err(|e| ShapeError::malformed(SHAPE, path(), e))?;
    let bucket = match (raw.s3_bucket, raw.s3_bucket_arn) {
        (Some(name), _) => name,
        // arn:aws:s3:::bucket; bucket names hold no ':'.
        (None, Some(arn)) => arn.rsplit(':').next().unwrap_or_default().to_owned(),
        (None, None) => {
            return Err(ShapeError::malformed(
                SHAPE,
                path(),
                "neither `s3Bucket` (schema 2.0) nor `s3BucketArn` (schema 1.0) is present",
            ))
        }
    };
    if bucket.is_empty() {
        return Err(ShapeError::malformed(
            SHAPE,
            path(),
            "the bucket name is empty",
        ));
    }
    Ok(ObjectRef {
        bucket,
        key: decode_form(&raw.s3_key, SHAPE)?,
        version_id: raw.s3_version_id.filter(|v| !v.is_empty()),
        size: None,
        sequencer: None,
    })
}
