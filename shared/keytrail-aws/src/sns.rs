//! The alert sink: SNS PublishBatch, MessageStructure json, with retries.
//!
//! Alerts go out in batches of at most 10 entries and 256 KiB (SNS's limits for one
//! PublishBatch). Entries SNS rejects for its own reasons (throttling, internal errors) and whole
//! calls that fail are retried with exponential backoff; entries rejected as the sender's fault
//! are not retried (they would fail again) but still fail the publish. The publish succeeds only
//! when every alert was accepted: the caller then fails the object, so the alert is retried by
//! Lambda / SQS and ends in the dead-letter queue rather than being lost.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use keytrail_core::render::{self, AlertFormat};
use keytrail_core::Alert;

/// The most entries in one PublishBatch.
pub const MAX_BATCH_ENTRIES: usize = 10;
/// The most bytes all entries of one PublishBatch may add up to.
pub const MAX_BATCH_BYTES: usize = 256 * 1024;

/// Alerts that could not all be published.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} alert(s) could not be published to {topic}: {detail}")]
pub struct PublishError {
    /// The topic.
    pub topic: String,
    /// How many alerts were not accepted.
    pub failed: usize,
    /// How many alerts there were.
    pub total: usize,
    /// The last error seen.
    pub detail: String,
    /// False when SNS said the request itself was wrong (retrying will not help).
    pub retryable: bool,
    /// The positions (in the slice given to [`AlertSink::publish`]) of the alerts not accepted;
    /// the others were.
    pub unpublished: Vec<usize>,
}

/// Where alerts go.
pub trait AlertSink: Send + Sync {
    /// Publishes every alert, or says how many failed.
    fn publish(&self, alerts: &[Alert]) -> impl Future<Output = Result<(), PublishError>> + Send;
}

/// [`AlertSink`] on an SNS topic.
#[derive(Debug, Clone)]
pub struct SnsSink {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    attempts: u32,
    first_backoff: Duration,
    format: AlertFormat,
}

impl SnsSink {
    /// A sink publishing to `topic_arn`, trying each entry up to 5 times.
    pub fn new(client: aws_sdk_sns::Client, topic_arn: String) -> Self {
        SnsSink {
            client,
            topic_arn,
            attempts: 5,
            first_backoff: Duration::from_millis(100),
            format: AlertFormat::Keytrail,
        }
    }

    /// Changes what the message's JSON is (`ALERT_FORMAT`): keytrail's alert (the default) or
    /// an OCSF Detection Finding. Subject, email text and attributes stay the same.
    pub fn with_format(mut self, format: AlertFormat) -> Self {
        self.format = format;
        self
    }

    /// Changes the retry policy (tests use short backoffs).
    pub fn with_retries(mut self, attempts: u32, first_backoff: Duration) -> Self {
        self.attempts = attempts.max(1);
        self.first_backoff = first_backoff;
        self
    }

    async fn publish_batch(
        &self,
        batch: Vec<PublishBatchRequestEntry>,
    ) -> Result<(), (Vec<String>, String, bool)> {
        let mut pending = batch;
        let mut last = String::new();
        let mut retryable = true;
        for attempt in 0..self.attempts {
            if attempt > 0 {
                tokio::time::sleep(self.first_backoff * 2u32.saturating_pow(attempt - 1)).await;
            }
            let sent = self
                .client
                .publish_batch()
                .topic_arn(&self.topic_arn)
                .set_publish_batch_request_entries(Some(pending.clone()))
                .send()
                .await;
            let out = match sent {
                Ok(out) => out,
                Err(e) => {
                    last = DisplayErrorContext(&e).to_string();
                    tracing::warn!(
                        topic = self.topic_arn.as_str(),
                        attempt,
                        error = last.as_str(),
                        "publish batch failed"
                    );
                    continue;
                }
            };
            let failed = out.failed();
            if failed.is_empty() {
                return Ok(());
            }
            last = failed
                .iter()
                .map(|f| format!("{} ({})", f.code(), f.message().unwrap_or("no message")))
                .collect::<Vec<_>>()
                .join("; ");
            if failed.iter().any(|f| f.sender_fault()) {
                retryable = false;
                let ids = failed.iter().map(|f| f.id().to_owned()).collect();
                return Err((ids, last, retryable));
            }
            tracing::warn!(
                topic = self.topic_arn.as_str(),
                attempt,
                failed = failed.len(),
                error = last.as_str(),
                "entries not accepted"
            );
            pending.retain(|e| failed.iter().any(|f| f.id() == e.id()));
        }
        Err((
            pending.iter().map(|e| e.id().to_owned()).collect(),
            last,
            retryable,
        ))
    }
}

impl AlertSink for SnsSink {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError> {
        let error = |unpublished: Vec<usize>, detail, retryable| PublishError {
            topic: self.topic_arn.clone(),
            failed: unpublished.len(),
            total: alerts.len(),
            detail,
            retryable,
            unpublished,
        };
        let batches = batches_as(alerts, self.format)
            .map_err(|e| error((0..alerts.len()).collect(), e, false))?;
        let (mut unpublished, mut detail, mut retryable) = (Vec::new(), String::new(), true);
        for batch in batches {
            if let Err((ids, why, again)) = self.publish_batch(batch).await {
                unpublished.extend(ids.iter().filter_map(|id| entry_index(id)));
                detail = why;
                retryable &= again;
            }
        }
        if unpublished.is_empty() {
            Ok(())
        } else {
            unpublished.sort_unstable();
            Err(error(unpublished, detail, retryable))
        }
    }
}

/// Splits alerts into PublishBatch entries: at most 10 per batch and 256 KiB per batch.
pub fn batches(alerts: &[Alert]) -> Result<Vec<Vec<PublishBatchRequestEntry>>, String> {
    batches_as(alerts, AlertFormat::Keytrail)
}

/// [`batches`] with the messages' JSON in `format`.
pub fn batches_as(
    alerts: &[Alert],
    format: AlertFormat,
) -> Result<Vec<Vec<PublishBatchRequestEntry>>, String> {
    // An OCSF finding's time when its alert has none (an unreadable object): now.
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut out: Vec<Vec<PublishBatchRequestEntry>> = Vec::new();
    let mut bytes = 0;
    for (i, alert) in alerts.iter().enumerate() {
        let (entry, size) = entry(i, alert, format, now_ms)?;
        match out.last_mut() {
            Some(batch) if batch.len() < MAX_BATCH_ENTRIES && bytes + size <= MAX_BATCH_BYTES => {
                batch.push(entry);
                bytes += size;
            }
            _ => {
                out.push(vec![entry]);
                bytes = size;
            }
        }
    }
    Ok(out)
}

/// The position of the alert an entry id (`a<position>`) names.
fn entry_index(id: &str) -> Option<usize> {
    id.strip_prefix('a')?.parse().ok()
}

/// One alert as a PublishBatch entry, and the bytes it counts against the batch limit.
fn entry(
    index: usize,
    alert: &Alert,
    format: AlertFormat,
    now_ms: i64,
) -> Result<(PublishBatchRequestEntry, usize), String> {
    let msg = render::sns_message_as(alert, format, now_ms);
    let mut size = msg.message.len() + msg.subject.len();
    let mut builder = PublishBatchRequestEntry::builder()
        .id(format!("a{index}"))
        .message(msg.message)
        .subject(msg.subject)
        .message_structure("json");
    for (name, value) in render::message_attributes(alert) {
        size += name.len() + value.len() + "String".len();
        let attr = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .map_err(|e| format!("alert {}: attribute {name}: {e}", alert.alert_id))?;
        builder = builder.message_attributes(name, attr);
    }
    let entry = builder
        .build()
        .map_err(|e| format!("alert {}: {e}", alert.alert_id))?;
    Ok((entry, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes an entry counts against the batch limit, as [`entry`] counts them.
    fn size(e: &PublishBatchRequestEntry) -> usize {
        let attrs: usize = e
            .message_attributes()
            .into_iter()
            .flatten()
            .map(|(k, v)| k.len() + v.string_value().map_or(0, str::len) + "String".len())
            .sum();
        e.message().len() + e.subject().map_or(0, str::len) + attrs
    }

    #[test]
    fn batches_hold_at_most_ten_entries_and_256_kib() {
        let alert = |i: usize, fault: &str| Alert::integrity(&format!("s3://b/k{i}"), fault);
        let small: Vec<Alert> = (0..25).map(|i| alert(i, "truncated gzip")).collect();
        let split = batches(&small).unwrap();
        assert_eq!(split.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
        // Entry ids are unique within the call, and every alert is in exactly one batch.
        let ids: std::collections::BTreeSet<&str> = split
            .iter()
            .flatten()
            .map(PublishBatchRequestEntry::id)
            .collect();
        assert_eq!(ids.len(), 25);

        // Large messages: fewer per batch, never over the byte limit, nothing dropped.
        let big: Vec<Alert> = (0..7).map(|i| alert(i, &"x".repeat(90_000))).collect();
        let split = batches(&big).unwrap();
        assert!(split.len() > 1, "{} batches", split.len());
        assert_eq!(split.iter().map(Vec::len).sum::<usize>(), 7);
        for batch in &split {
            let bytes: usize = batch.iter().map(size).sum();
            assert!(
                batch.len() <= MAX_BATCH_ENTRIES && bytes <= MAX_BATCH_BYTES,
                "{bytes}"
            );
        }
    }
}
