//! One object, from reference to published alerts, with nothing lost.
//!
//! - A key that is not a trail log is skipped with a reason; a digest file too, unless log file
//!   validation is on ([`crate::integrity`]): then it is verified, and its problems published.
//! - With validation on, a log object's content is hashed while it streams, and recorded once
//!   read to its end, even when its records are not JSON
//!   ([`crate::integrity::Integrity::log_read`]).
//! - A missing object is skipped with a log line: it was deleted since it was announced.
//! - The body is streamed through the scan, and its alerts are published in batches of ten while
//!   it reads ([`crate::publish`]), so memory does not grow with the number of alerts.
//! - A fault that may pass (a reset connection) fails the object as retryable, after publishing
//!   what was found so far (the stable alert ids, and the idempotency table when there is one,
//!   keep the retry from repeating them).
//! - Reading stops `DEADLINE_RESERVE_MS` before the invocation's deadline: what was found is
//!   published and the object fails, retryably, instead of Lambda killing it half way.
//! - A fault that will not pass (corrupt, truncated, not a trail, too large) adds an integrity
//!   alert naming the object and the fault; the object then succeeds, so it is not retried
//!   forever.
//! - An alert that cannot be published fails the object (retryable), so Lambda, SQS or S3 Batch
//!   try again and the dead-letter queue catches what never gets through.
//! - Once the object is read (cleanly, or up to a fault that will not pass), the records that
//!   fed a correlation run through the correlations in the state table ([`crate::correlate`]);
//!   a state-table failure fails the object, retryably.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use keytrail_aws::event::{LogBatch, ObjectRef};
use keytrail_aws::s3::{ObjectSource, SourceError};
use keytrail_aws::sns::{AlertSink, MAX_BATCH_ENTRIES};
use keytrail_aws::stream::{ScanEnd, ScanStream, Stop};
use keytrail_core::integrity::{self, DigestName, LogName};
use keytrail_core::Alert;
use tokio::time::Instant;

use crate::error::ObjectError;
use crate::metrics::Metrics;
use crate::publish::publish;
use crate::work::{event_name, Only, Work};
use crate::App;

// `Work` is defined in `work`; running it lives here, next to what it runs.
impl Work {
    /// Does the work, stopping at `stop_at`; `metrics` should be fresh for it.
    pub async fn run<S: ObjectSource, K: AlertSink>(
        &self,
        app: &Arc<App<S, K>>,
        metrics: &mut Metrics,
        stop_at: Option<Instant>,
    ) -> Result<Outcome, ObjectError> {
        match self {
            Work::Object(object, only) => process_object(app, object, only, metrics, stop_at).await,
            Work::Event(envelope) => process_event(app, envelope, metrics, stop_at).await,
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

/// Reads, classifies and publishes one object (the alerts `only` lets through), stopping at
/// `stop_at`. `metrics` should be fresh for this object: the object's log line reports its
/// counters.
pub async fn process_object<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    object: &ObjectRef,
    only: &Only,
    metrics: &mut Metrics,
    stop_at: Option<Instant>,
) -> Result<Outcome, ObjectError> {
    let uri = object.uri();
    let at = integrity::ObjectRef::new(object.bucket.clone(), object.key.clone());
    if let (Some(check), Some(name)) = (&app.integrity, DigestName::parse(&at)) {
        return crate::integrity::digest_object(app, check, &name, &uri, metrics).await;
    }
    if let Err(reason) = app.config.key_filter.check(object) {
        tracing::info!(
            bucket = object.bucket.as_str(),
            key = object.key.as_str(),
            reason = reason.to_string(),
            "skipped object"
        );
        metrics.skipped += 1;
        return Ok(Outcome::Skipped(reason.to_string()));
    }
    if only.is_refused() {
        metrics.skipped += 1;
        return Ok(Outcome::Skipped("its rules_only was refused".to_owned()));
    }
    let started = std::time::Instant::now();
    let opened = match stop_at {
        Some(at) => tokio::time::timeout_at(at, app.source.open(object)).await,
        None => Ok(app.source.open(object).await),
    };
    let body = match opened {
        Err(_elapsed) => return Err(deadline(app, &uri, 0, metrics)),
        Ok(Ok(body)) => body,
        Ok(Err(e @ SourceError::NotFound { .. })) => {
            tracing::warn!(
                bucket = object.bucket.as_str(),
                key = object.key.as_str(),
                error = e.to_string(),
                "object does not exist, skipped"
            );
            metrics.skipped += 1;
            return Ok(Outcome::Skipped(e.to_string()));
        }
        Ok(Err(e)) => {
            metrics.read_errors += 1;
            return Err(e.into());
        }
    };
    let log = app.integrity.as_ref().and_then(|_| LogName::parse(&at));
    let hash_max = log
        .as_ref()
        .and(app.integrity.as_ref())
        .map(|i| i.max_log_bytes());
    let scan = ScanStream::start_hashing(
        uri.clone(),
        body.stream,
        app.rules.clone(),
        app.scan_options(),
        stop_at,
        hash_max,
    );
    let outcome = publish_while_reading(app, &uri, scan, only, metrics, log.as_ref()).await;
    tracing::info!(
        bucket = object.bucket.as_str(),
        key = object.key.as_str(),
        bytes = object.size.or(body.size).unwrap_or(0),
        records = metrics.records,
        alerts = metrics.alerts.values().sum::<u64>(),
        duplicates = metrics.duplicates,
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
    stop_at: Option<Instant>,
) -> Result<Outcome, ObjectError> {
    let bytes = serde_json::to_vec(envelope).unwrap_or_default();
    process_document(app, event_name(envelope), bytes, metrics, stop_at).await
}

/// Classifies the CloudTrail events of a CloudWatch Logs subscription delivery as one trail
/// document (no S3 read); problems in it are reported under `cloudwatch-logs:<group>:<stream>`.
pub async fn process_log_events<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    batch: &LogBatch,
    metrics: &mut Metrics,
    stop_at: Option<Instant>,
) -> Result<Outcome, ObjectError> {
    let name = format!("cloudwatch-logs:{}:{}", batch.log_group, batch.log_stream);
    process_document(app, name, batch.document(), metrics, stop_at).await
}

/// Classifies an in-memory document (an event, a `{"Records": [...]}` batch) like an object.
async fn process_document<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    name: String,
    bytes: Vec<u8>,
    metrics: &mut Metrics,
    stop_at: Option<Instant>,
) -> Result<Outcome, ObjectError> {
    let scan = ScanStream::start(
        name.clone(),
        ByteStream::from(bytes),
        app.rules.clone(),
        app.scan_options(),
        stop_at,
    );
    publish_while_reading(app, &name, scan, &Only::All, metrics, None).await
}

/// Publishes the scan's alerts (those `only` lets through) in batches as they come, then settles
/// the object: an integrity alert for a fault that will not pass, a retryable failure for one
/// that may, for a stop at the deadline, and for alerts that could not be published (the scan
/// stops at the first such batch: the retry reads the object again anyway). A log object `log`
/// read to its end (cleanly, or with records that are not JSON) has its hash recorded.
async fn publish_while_reading<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    name: &str,
    mut scan: ScanStream,
    only: &Only,
    metrics: &mut Metrics,
    log: Option<&LogName>,
) -> Result<Outcome, ObjectError> {
    let mut published = 0;
    let mut failed: Option<ObjectError> = None;
    while let Some(batch) = scan.next_batch(MAX_BATCH_ENTRIES).await {
        let batch = only.filter(batch);
        if failed.is_some() || batch.is_empty() {
            continue;
        }
        match publish(app, name, batch, metrics).await {
            Ok(n) => published += n,
            Err(e) => {
                scan.stop("alerts could not be published");
                failed = Some(e);
            }
        }
    }
    let ScanEnd {
        report,
        stopped,
        content,
        kept,
    } = scan.finish().await?;
    metrics.objects += 1;
    metrics.records += report.records;
    metrics.bytes += report.bytes;
    if let Some(e) = failed {
        return Err(e);
    }
    // A stop shows as an I/O fault; a data fault (corrupt, truncated) came before any stop and
    // is what the object needs, an integrity alert, not a retry.
    let data_fault = report.fault.as_ref().is_some_and(|f| !f.is_retryable());
    if stopped == Some(Stop::Deadline) && !data_fault {
        return Err(deadline(app, name, report.records, metrics));
    }
    if let Some(fault) = report.fault.as_ref().filter(|f| f.is_retryable()) {
        metrics.read_errors += 1;
        return Err(ObjectError::Interrupted(fault.to_string()));
    }
    published += crate::correlate::correlate(app, name, kept, only, metrics).await?;
    let problems = report.problems();
    // Retryable faults and stops have returned above: what is left is a clean read or a data
    // fault (not JSON, damaged records), and the hash covers the whole content either way
    // (the decompress thread reads on to the end). A log overwritten with garbage after its
    // digest was verified is caught as modified here, besides its own unreadable alert.
    if let (Some(check), Some(log), Some(Ok(hash))) = (&app.integrity, log, content) {
        let alerts = crate::integrity::log_object(check, log, hash, name).await?;
        if !alerts.is_empty() {
            published += publish(app, name, alerts, metrics).await?;
        }
    }
    if !problems.is_empty() {
        metrics.read_errors += 1;
        tracing::warn!(
            object = name,
            records = report.records,
            problems = problems.join(" | "),
            "object not read completely"
        );
        let integrity = Alert::integrity(name, &problems.join("; "));
        published += publish(app, name, vec![integrity], metrics).await?;
    }
    Ok(Outcome::Done {
        alerts: published,
        problems,
    })
}

/// The failure of an object stopped at the deadline after `records` records.
fn deadline<S, K>(app: &App<S, K>, name: &str, records: u64, metrics: &mut Metrics) -> ObjectError {
    metrics.deadline_stops += 1;
    ObjectError::Deadline {
        object: name.to_owned(),
        records,
        reserve_ms: app.config.deadline_reserve.as_millis(),
    }
}
