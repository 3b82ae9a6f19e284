//! One invocation: detect the payload's shape, process what it names, answer in the shape the
//! caller expects (an error for direct and SNS invocations, `batchItemFailures` for SQS, a result
//! per task for S3 Batch Operations).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use keytrail_aws::event::{parse_invocation, Invocation, ObjectRef, ResultCode, SqsBatchResponse};
use keytrail_aws::s3::ObjectSource;
use keytrail_aws::sns::AlertSink;
use serde_json::{json, Value};
use tokio::time::Instant;

pub use crate::error::HandlerError;
use crate::error::ObjectError;
use crate::metrics::Metrics;
use crate::only;
use crate::process::{process_event, process_log_events, Outcome};
use crate::schedule::run_bounded;
use crate::work::{Only, Work};
use crate::{sqs, App};

/// Handles one invocation payload, with no deadline.
pub async fn handle<S, K>(app: &Arc<App<S, K>>, payload: Value) -> Result<Value, HandlerError>
where
    S: ObjectSource + 'static,
    K: AlertSink + 'static,
{
    handle_until(app, payload, None).await
}

/// When to stop reading: `reserve` before the invocation's `deadline` (milliseconds since the
/// epoch, as Lambda gives it), but never more than a fifth of the time left; `None` for a
/// deadline of 0 (none given) or one already past.
///
/// cargo-lambda's emulator (`cargo lambda watch`) sends the timeout itself (`600000`) where Lambda
/// sends an epoch time: a value too small to be one (before 1973) is read as the time left.
pub fn stop_at(deadline_ms: u64, reserve: Duration) -> Option<Instant> {
    const EPOCH_1973_MS: u64 = 100_000_000_000;
    if deadline_ms == 0 {
        return None;
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let left = if deadline_ms < EPOCH_1973_MS {
        Duration::from_millis(deadline_ms)
    } else if deadline_ms > now_ms {
        Duration::from_millis(deadline_ms - now_ms)
    } else {
        tracing::warn!(
            deadline_ms,
            now_ms,
            "the invocation's deadline has passed already; reading is not stopped early"
        );
        return None;
    };
    // A short timeout keeps most of its time for reading: the reserve is at most a fifth of it.
    let reserve = reserve.min(left / 5);
    Some(Instant::now() + (left - reserve))
}

/// Handles one invocation payload; reading stops at `stop_at`, and what was not finished by then
/// fails retryably in its own slot.
pub async fn handle_until<S, K>(
    app: &Arc<App<S, K>>,
    payload: Value,
    stop_at: Option<Instant>,
) -> Result<Value, HandlerError>
where
    S: ObjectSource + 'static,
    K: AlertSink + 'static,
{
    let mut metrics = Metrics::default();
    if let Some(as_of) = crate::integrity::scheduled_time(&payload) {
        let result = crate::scheduled::scheduled(app, as_of, &mut metrics).await;
        metrics.emit(&app.function_name);
        return result;
    }
    let invocation = match parse_invocation(&payload) {
        Ok(invocation) => invocation,
        Err(e) => {
            // Counted too, so an alarm can see a misrouted event source.
            metrics.invalid_payloads += 1;
            metrics.emit(&app.function_name);
            return Err(HandlerError::Shape(e.to_string()));
        }
    };
    let result = match invocation {
        Invocation::Objects(objects) => {
            let work = objects
                .iter()
                .map(|o| Work::Object(o.clone(), Only::All))
                .collect();
            let results = process_all(app, work, &mut metrics, stop_at).await;
            objects_response(objects.into_iter().zip(results).collect())
        }
        Invocation::ApiCall(envelope) => {
            let outcome = process_event(app, &envelope, &mut metrics, stop_at).await;
            document_response(1, outcome)
        }
        Invocation::LogEvents(batch) => {
            let outcome = process_log_events(app, &batch, &mut metrics, stop_at).await;
            document_response(batch.records.len(), outcome)
        }
        Invocation::Sqs(messages) => {
            // All messages' objects run in one pool, under the one concurrency bound; each
            // message then fails exactly when one of its own items did.
            let (mut work, mut planned) = sqs::plan(messages);
            only::narrow_sqs(&payload, &app.rules, &mut work, &mut planned);
            let results = process_all(app, work, &mut metrics, stop_at).await;
            let ok: Vec<bool> = results.iter().map(Result::is_ok).collect();
            let mut response = SqsBatchResponse::default();
            response.set_failures(sqs::failed_messages(&planned, &ok));
            Ok(serde_json::to_value(response).unwrap_or(Value::Null))
        }
        Invocation::Batch(job) => {
            // Tasks that name no usable object fail permanently, and every task of a job whose
            // rules_only cannot be honoured; the others are processed, and every processed task
            // gets the result in its own slot.
            let only = only::for_batch(&job, &app.rules);
            let work: Vec<Work> = match &only {
                Ok(only) => job
                    .tasks
                    .iter()
                    .filter_map(|t| t.object.as_ref().ok().cloned())
                    .map(|o| Work::Object(o, only.clone()))
                    .collect(),
                Err(e) => {
                    tracing::error!(
                        job_id = job.job_id.as_str(),
                        error = e.to_string(),
                        "S3 Batch job refused"
                    );
                    Vec::new()
                }
            };
            let mut processed = process_all(app, work, &mut metrics, stop_at)
                .await
                .into_iter();
            let results = job
                .tasks
                .iter()
                .map(|task| {
                    let (result_code, result_string) = match (&task.object, &only) {
                        (Err(e), _) => (ResultCode::PermanentFailure, e.to_string()),
                        (Ok(_), Err(e)) => (ResultCode::PermanentFailure, e.to_string()),
                        (Ok(_), Ok(_)) => match processed.next() {
                            Some(Ok(outcome)) => (ResultCode::Succeeded, describe(&outcome)),
                            Some(Err(e)) if e.is_retryable() => {
                                (ResultCode::TemporaryFailure, e.to_string())
                            }
                            Some(Err(e)) => (ResultCode::PermanentFailure, e.to_string()),
                            None => (ResultCode::TemporaryFailure, "not processed".to_owned()),
                        },
                    };
                    task.result(result_code, result_string)
                })
                .collect();
            Ok(serde_json::to_value(job.response(results)).unwrap_or(Value::Null))
        }
        Invocation::Ignored(reason) => {
            tracing::info!(reason = reason.as_str(), "ignored invocation");
            Ok(json!({ "ignored": reason }))
        }
    };
    metrics.emit(&app.function_name);
    result
}

/// The answer for a document classified in memory (an API-call event, a log-events batch):
/// its event count and outcome, or the invocation's failure (retried by Lambda when retryable).
fn document_response(
    events: usize,
    outcome: Result<Outcome, ObjectError>,
) -> Result<Value, HandlerError> {
    match outcome {
        Ok(outcome) => Ok(json!({ "events": events, "outcome": describe(&outcome) })),
        Err(e) => Err(HandlerError::Objects {
            failed: 1,
            total: 1,
            retryable: e.is_retryable(),
            first: e.to_string(),
        }),
    }
}

/// Runs every item concurrently, at most OBJECT_CONCURRENCY at once, and answers one result per
/// item, in input order. An item whose task died (panicked, cancelled) fails, retryably, in its
/// own slot.
async fn process_all<S, K>(
    app: &Arc<App<S, K>>,
    work: Vec<Work>,
    metrics: &mut Metrics,
    stop_at: Option<Instant>,
) -> Vec<Result<Outcome, ObjectError>>
where
    S: ObjectSource + 'static,
    K: AlertSink + 'static,
{
    let names: Vec<String> = work.iter().map(Work::name).collect();
    let joined = run_bounded(work, app.config.object_concurrency, |item| {
        let app = Arc::clone(app);
        async move {
            let mut m = Metrics::default();
            let result = item.run(&app, &mut m, stop_at).await;
            (result, m)
        }
    })
    .await;
    joined
        .into_iter()
        .zip(names)
        .map(|(joined, object)| {
            let result = match joined {
                Ok((result, m)) => {
                    metrics.merge(&m);
                    result
                }
                Err(source) => Err(ObjectError::Lost {
                    object: object.clone(),
                    source,
                }),
            };
            if let Err(e) = &result {
                let error = e.to_string();
                tracing::error!(object, retryable = e.is_retryable(), error, "object failed");
            }
            result
        })
        .collect()
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
