//! One object, from reference to published alerts, with nothing lost.
//!
//! - A key that is not a trail log (or a digest file) is skipped with a reason.
//! - A missing object is skipped with a log line: it was deleted since it was announced.
//! - The body is streamed through the scan; every record's alerts are collected.
//! - A fault that may pass (a reset connection) fails the object as retryable, after publishing
//!   what was found so far (the stable alert ids let subscribers drop the repeats).
//! - A fault that will not pass (corrupt, truncated, not a trail, too large) adds an integrity
//!   alert naming the object and the fault; the object then succeeds, so it is not retried
//!   forever.
//! - An alert that cannot be published fails the object (retryable), so Lambda, SQS or S3 Batch
//!   try again and the dead-letter queue catches what never gets through.

use std::sync::Arc;
use std::time::Instant;

use keytrail_aws::event::ObjectRef;
use keytrail_aws::s3::{ObjectSource, SourceError};
use keytrail_aws::sns::{AlertSink, PublishError};
use keytrail_aws::stream::{scan_body, scan_bytes, ScanTaskError, Scanned};
use keytrail_core::Alert;

use crate::metrics::Metrics;
use crate::schedule::TaskLost;
use crate::App;

/// One unit of work of an invocation: an object to read, or an event to classify.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// Read, classify and publish this object.
    Object(ObjectRef),
    /// Classify this EventBridge "AWS API Call via CloudTrail" envelope.
    Event(serde_json::Value),
}

impl Work {
    /// A name for log lines and errors: the object's URI, or `eventbridge:<id>`.
    pub fn name(&self) -> String {
        match self {
            Work::Object(object) => object.uri(),
            Work::Event(envelope) => event_name(envelope),
        }
    }

    /// Does the work; `metrics` should be fresh for it.
    pub async fn run<S: ObjectSource, K: AlertSink>(
        &self,
        app: &Arc<App<S, K>>,
        metrics: &mut Metrics,
    ) -> Result<Outcome, ObjectError> {
        match self {
            Work::Object(object) => process_object(app, object, metrics).await,
            Work::Event(envelope) => process_event(app, envelope, metrics).await,
        }
    }
}

/// What became of an object that did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Read (perhaps with an integrity alert) and its alerts published.
    Done {
        /// Alerts published.
        alerts: usize,
        /// Problems reported in an integrity alert, if any.
        problems: Vec<String>,
    },
    /// Not read, on purpose.
    Skipped(String),
}

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
            ObjectError::Interrupted(_) | ObjectError::Task(_) | ObjectError::Lost { .. } => true,
            ObjectError::Publish { source, .. } => source.retryable,
        }
    }
}

/// Reads, classifies and publishes one object. `metrics` should be fresh for this object: the
/// object's log line reports its counters.
pub async fn process_object<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    object: &ObjectRef,
    metrics: &mut Metrics,
) -> Result<Outcome, ObjectError> {
    let uri = object.uri();
    if let Err(reason) = app.config.key_filter.check(object) {
        tracing::info!(bucket = %object.bucket, key = %object.key, reason = %reason, "skipped object");
        metrics.skipped += 1;
        return Ok(Outcome::Skipped(reason.to_string()));
    }
    let started = Instant::now();
    let body = match app.source.open(object).await {
        Ok(body) => body,
        Err(e @ SourceError::NotFound { .. }) => {
            tracing::warn!(bucket = %object.bucket, key = %object.key, "{e}");
            metrics.skipped += 1;
            return Ok(Outcome::Skipped(e.to_string()));
        }
        Err(e) => {
            metrics.read_errors += 1;
            return Err(e.into());
        }
    };
    let scanned = scan_body(
        uri.clone(),
        body.stream,
        app.rules.clone(),
        app.scan_options(),
    )
    .await?;
    let outcome = finish(app, &uri, scanned, metrics).await;
    tracing::info!(
        bucket = %object.bucket,
        key = %object.key,
        bytes = object.size.or(body.size).unwrap_or(0),
        records = metrics.records,
        alerts = metrics.alerts.values().sum::<u64>(),
        duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        ok = outcome.is_ok(),
        "processed object"
    );
    outcome
}

/// Classifies one EventBridge "AWS API Call via CloudTrail" event (no S3 read).
pub async fn process_event<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    envelope: &serde_json::Value,
    metrics: &mut Metrics,
) -> Result<Outcome, ObjectError> {
    let name = event_name(envelope);
    let bytes = serde_json::to_vec(envelope).unwrap_or_default();
    let scanned = scan_bytes(name.clone(), bytes, app.rules.clone(), app.scan_options()).await?;
    finish(app, &name, scanned, metrics).await
}

fn event_name(envelope: &serde_json::Value) -> String {
    let id = envelope
        .get("id")
        .and_then(|v| v.as_str())
        .unwrap_or("unknown");
    format!("eventbridge:{id}")
}

async fn finish<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    name: &str,
    scanned: Scanned,
    metrics: &mut Metrics,
) -> Result<Outcome, ObjectError> {
    let Scanned { report, mut alerts } = scanned;
    metrics.objects += 1;
    metrics.records += report.records;
    metrics.bytes += report.bytes;
    let retryable_fault = report
        .fault
        .as_ref()
        .filter(|f| f.is_retryable())
        .map(ToString::to_string);
    let problems = if retryable_fault.is_some() {
        Vec::new()
    } else {
        report.problems()
    };
    if !problems.is_empty() {
        metrics.read_errors += 1;
        tracing::warn!(object = name, records = report.records, problems = %problems.join(" | "), "object not read completely");
        alerts.push(Alert::integrity(name, &problems.join("; ")));
    }
    publish(app, name, &alerts, metrics).await?;
    if let Some(fault) = retryable_fault {
        metrics.read_errors += 1;
        return Err(ObjectError::Interrupted(fault));
    }
    Ok(Outcome::Done {
        alerts: alerts.len(),
        problems,
    })
}

async fn publish<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    name: &str,
    alerts: &[Alert],
    metrics: &mut Metrics,
) -> Result<(), ObjectError> {
    if alerts.is_empty() {
        return Ok(());
    }
    match app.sink.publish(alerts).await {
        Ok(()) => {
            for a in alerts {
                *metrics.alerts.entry(a.severity).or_default() += 1;
            }
            Ok(())
        }
        Err(e) => {
            metrics.publish_failures += 1;
            tracing::error!(object = name, failed = e.failed, total = e.total, "{e}");
            Err(ObjectError::Publish {
                object: name.to_owned(),
                source: e,
            })
        }
    }
}
