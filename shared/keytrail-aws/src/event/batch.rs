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
//! The invocation is read with `aws_lambda_events`' [`S3BatchJobEvent`] and answered with its
//! [`S3BatchJobResponse`]. Its types model schema 1.0 only, so the two fields schema 2.0 adds,
//! `tasks[].s3Bucket` and `job.userArguments`, are read by hand beside it (sample
//! `events/s3-batch-2.0.json`). The fields keytrail needs and the types leave optional
//! (`invocationSchemaVersion`, `invocationId`, `job.id`, `taskId`, `s3Key`) are checked here.
//!
//! A task whose object cannot be read is reported in [`BatchTask::object`] so that only it
//! answers `PermanentFailure`; a payload without task ids cannot be answered and is an error.

use std::collections::BTreeMap;

use aws_lambda_events::s3::batch_job::{
    S3BatchJobEvent, S3BatchJobResponse, S3BatchJobResult, S3BatchJobTask,
};
use serde::Deserialize;
use serde_json::Value;

use super::error::{short, ShapeError};
use super::key::decode_form;
use super::object::ObjectRef;
use super::response::ResultCode;

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
    pub fn response(&self, results: Vec<S3BatchJobResult>) -> S3BatchJobResponse {
        let mut response = S3BatchJobResponse::default();
        response.invocation_schema_version = Some(self.invocation_schema_version.clone());
        response.treat_missing_keys_as = Some(ResultCode::PermanentFailure.as_str().to_owned());
        response.invocation_id = Some(self.invocation_id.clone());
        response.results = results;
        response
    }
}

impl BatchTask {
    /// This task's result for the response.
    pub fn result(&self, code: ResultCode, text: impl Into<String>) -> S3BatchJobResult {
        let mut result = S3BatchJobResult::default();
        result.task_id = Some(self.task_id.clone());
        result.result_code = Some(code.as_str().to_owned());
        result.result_string = Some(text.into());
        result
    }
}

/// What schema 2.0 adds to 1.0, which [`S3BatchJobEvent`] does not carry.
#[derive(Deserialize)]
struct Schema2 {
    job: Job2,
    tasks: Vec<Task2>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Job2 {
    user_arguments: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Task2 {
    s3_bucket: Option<String>,
}

/// A payload with `invocationSchemaVersion`.
pub(super) fn parse(payload: &Value) -> Result<BatchJob, ShapeError> {
    let malformed = |e| ShapeError::malformed(SHAPE, "$", e);
    let event = S3BatchJobEvent::deserialize(payload).map_err(malformed)?;
    let added = Schema2::deserialize(payload).map_err(malformed)?;
    let missing =
        |field: &str| ShapeError::malformed(SHAPE, "$", format!("missing field `{field}`"));
    let version = event
        .invocation_schema_version
        .ok_or_else(|| missing("invocationSchemaVersion"))?;
    if !matches!(version.as_str(), "1.0" | "2.0") {
        return Err(ShapeError::Unsupported {
            shape: SHAPE,
            detail: format!(
                "invocationSchemaVersion {:?} is not supported: create the job with 1.0 or 2.0",
                short(&version)
            ),
        });
    }
    let invocation_id = event.invocation_id.ok_or_else(|| missing("invocationId"))?;
    let job_id = event
        .job
        .id
        .ok_or_else(|| ShapeError::malformed(SHAPE, "job", "missing field `id`"))?;
    let tasks = event
        .tasks
        .into_iter()
        .zip(added.tasks)
        .enumerate()
        .map(|(i, (task, added))| {
            let object = task_object(&task, added.s3_bucket, i);
            let Some(task_id) = task.task_id else {
                return Err(ShapeError::malformed(
                    SHAPE,
                    format!("tasks[{i}]"),
                    "missing string field `taskId`",
                ));
            };
            Ok(BatchTask { task_id, object })
        })
        .collect::<Result<_, _>>()?;
    Ok(BatchJob {
        invocation_id,
        invocation_schema_version: version,
        job_id,
        user_arguments: added.job.user_arguments.unwrap_or_default(),
        tasks,
    })
}

/// The object of one task: bucket from `s3Bucket` (2.0) or `s3BucketArn` (1.0), key decoded.
fn task_object(
    task: &S3BatchJobTask,
    s3_bucket: Option<String>,
    i: usize,
) -> Result<ObjectRef, ShapeError> {
    let path = || format!("tasks[{i}]");
    let Some(key) = &task.s3_key else {
        return Err(ShapeError::malformed(
            SHAPE,
            path(),
            "missing field `s3Key`",
        ));
    };
    let bucket = match (s3_bucket, &task.s3_bucket_arn) {
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
        key: decode_form(key, SHAPE)?,
        version_id: task.s3_version_id.clone().filter(|v| !v.is_empty()),
        size: None,
        sequencer: None,
    })
}
