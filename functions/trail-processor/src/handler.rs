//! One invocation: detect the payload's shape, process what it names, answer in the shape the
//! caller expects (an error for direct and SNS invocations, `batchItemFailures` for SQS, a result
//! per task for S3 Batch Operations).

use std::sync::Arc;

use keytrail_aws::event::{
    parse_invocation, BatchResult, Invocation, MessageContent, ObjectRef, ResultCode,
    SqsBatchResponse,
};
use keytrail_aws::s3::ObjectSource;
use keytrail_aws::sns::AlertSink;
use lambda_runtime::Diagnostic;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::metrics::Metrics;
use crate::process::{process_event, process_object, ObjectError, Outcome};
use crate::App;

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

/// Handles one invocation payload.
pub async fn handle<S, K>(app: &Arc<App<S, K>>, payload: Value) -> Result<Value, HandlerError>
where
    S: ObjectSource + 'static,
    K: AlertSink + 'static,
{
    let invocation = parse_invocation(&payload).map_err(|e| HandlerError::Shape(e.to_string()))?;
    let mut metrics = Metrics::default();
    let result = match invocation {
        Invocation::Objects(objects) => {
            let results = process_all(app, objects, &mut metrics).await;
            objects_response(results)
        }
        Invocation::ApiCall(envelope) => match process_event(app, &envelope, &mut metrics).await {
            Ok(outcome) => Ok(json!({ "events": 1, "outcome": describe(&outcome) })),
            Err(e) => Err(HandlerError::Objects {
                failed: 1,
                total: 1,
                retryable: e.is_retryable(),
                first: e.to_string(),
            }),
        },
        Invocation::Sqs(messages) => {
            let mut failures = Vec::new();
            for message in messages {
                let ok = match message.content {
                    Err(e) => {
                        // A message keytrail cannot read never becomes readable: report it so it
                        // reaches the dead-letter queue instead of vanishing.
                        tracing::error!(message_id = %message.message_id, "{e}");
                        false
                    }
                    Ok(MessageContent::Ignored(reason)) => {
                        tracing::info!(message_id = %message.message_id, reason = %reason, "ignored message");
                        true
                    }
                    Ok(MessageContent::ApiCall(envelope)) => {
                        process_event(app, &envelope, &mut metrics).await.is_ok()
                    }
                    Ok(MessageContent::Objects(objects)) => process_all(app, objects, &mut metrics)
                        .await
                        .iter()
                        .all(|(_, r)| r.is_ok()),
                };
                if !ok {
                    failures.push(message.message_id);
                }
            }
            Ok(
                serde_json::to_value(SqsBatchResponse::from_failed(failures))
                    .unwrap_or(Value::Null),
            )
        }
        Invocation::Batch(job) => {
            // Tasks that name no usable object fail permanently; the others are processed.
            let objects: Vec<ObjectRef> = job
                .tasks
                .iter()
                .filter_map(|t| t.object.as_ref().ok().cloned())
                .collect();
            let mut processed = process_all(app, objects, &mut metrics).await.into_iter();
            let results = job
                .tasks
                .iter()
                .map(|task| {
                    let (result_code, result_string) = match &task.object {
                        Err(e) => (ResultCode::PermanentFailure, e.to_string()),
                        Ok(_) => match processed.next().map(|(_, r)| r) {
                            Some(Ok(outcome)) => (ResultCode::Succeeded, describe(&outcome)),
                            Some(Err(e)) if e.is_retryable() => {
                                (ResultCode::TemporaryFailure, e.to_string())
                            }
                            Some(Err(e)) => (ResultCode::PermanentFailure, e.to_string()),
                            None => (ResultCode::TemporaryFailure, "not processed".to_owned()),
                        },
                    };
                    BatchResult {
                        task_id: task.task_id.clone(),
                        result_code,
                        result_string,
                    }
                })
                .collect();
            Ok(serde_json::to_value(job.response(results)).unwrap_or(Value::Null))
        }
        Invocation::Ignored(reason) => {
            tracing::info!(reason = %reason, "ignored invocation");
            Ok(json!({ "ignored": reason }))
        }
    };
    metrics.emit(&app.function_name);
    result
}

/// Processes objects concurrently (bounded by OBJECT_CONCURRENCY), results in input order.
async fn process_all<S, K>(
    app: &Arc<App<S, K>>,
    objects: Vec<ObjectRef>,
    metrics: &mut Metrics,
) -> Vec<(ObjectRef, Result<Outcome, ObjectError>)>
where
    S: ObjectSource + 'static,
    K: AlertSink + 'static,
{
    let limit = app.config.object_concurrency.max(1);
    let mut results: Vec<Option<(ObjectRef, Result<Outcome, ObjectError>)>> =
        (0..objects.len()).map(|_| None).collect();
    let mut tasks = JoinSet::new();
    let mut queue = objects.into_iter().enumerate();
    loop {
        while tasks.len() < limit {
            let Some((i, object)) = queue.next() else {
                break;
            };
            let app = Arc::clone(app);
            tasks.spawn(async move {
                let mut m = Metrics::default();
                let result = process_object(&app, &object, &mut m).await;
                (i, object, result, m)
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        match joined {
            Ok((i, object, result, m)) => {
                metrics.merge(&m);
                if let Err(e) = &result {
                    tracing::error!(bucket = %object.bucket, key = %object.key, retryable = e.is_retryable(), "{e}");
                }
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some((object, result));
                }
            }
            Err(e) => tracing::error!("object task failed: {e}"),
        }
    }
    results.into_iter().flatten().collect()
}

fn objects_response(
    results: Vec<(ObjectRef, Result<Outcome, ObjectError>)>,
) -> Result<Value, HandlerError> {
    let total = results.len();
    let failures: Vec<&ObjectError> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().err())
        .collect();
    if let Some(first) = failures.first() {
        return Err(HandlerError::Objects {
            failed: failures.len(),
            total,
            first: first.to_string(),
            retryable: failures.iter().all(|e| e.is_retryable()),
        });
    }
    let outcomes: Vec<Value> = results
        .iter()
        .map(|(o, r)| json!({ "object": o.uri(), "outcome": r.as_ref().map(describe).unwrap_or_default() }))
        .collect();
    Ok(json!({ "objects": total, "results": outcomes }))
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Done { alerts, problems } if problems.is_empty() => format!("{alerts} alert(s)"),
        Outcome::Done { alerts, problems } => {
            format!(
                "{alerts} alert(s), read with problems: {}",
                problems.join("; ")
            )
        }
        Outcome::Skipped(reason) => format!("skipped: {reason}"),
    }
}
