//! The optional alert sinks beside SNS: Security Hub findings (ASFF) and EventBridge events.
//!
//! Each is an [`AlertSink`], so it fails the way the SNS sink does: `publish` succeeds only when
//! every alert was accepted, and otherwise names the positions of those that were not
//! ([`PublishError::unpublished`]), so the caller can keep what went out and fail the object for
//! the rest. The trail-processor publishes to every configured sink, each with claims of its own
//! in the idempotency table, so an alert that reached SNS before a Security Hub failure is not
//! sent to SNS again when its object is retried (see its `publish` module).
//!
//! Both sinks share one retry loop ([`send_all`]): calls of at most the service's batch size,
//! whole calls that fail and entries the service rejects for its own reasons retried with
//! exponential backoff, entries rejected as the sender's fault not retried (they would fail
//! again) but still failing the publish.
//!
//! - [`securityhub`]: `BatchImportFindings`, up to 100 findings a call; the finding `Id` is the
//!   alert id, so a repeated import updates the finding instead of adding one.
//! - [`eventbridge`]: `PutEvents`, up to 10 entries and 256 KB a call, `Source: keytrail`,
//!   `DetailType: keytrail Alert`, the alert (the SNS default JSON) as `Detail`.

use std::future::Future;
use std::time::Duration;

use keytrail_core::Alert;

use crate::sns::{AlertSink, PublishError};

pub mod eventbridge;
pub mod securityhub;

pub use eventbridge::EventBridgeSink;
pub use securityhub::SecurityHubSink;

/// One optional sink, as configured.
#[derive(Debug, Clone)]
pub enum ExtraSink {
    /// Security Hub findings.
    SecurityHub(SecurityHubSink),
    /// Events on an EventBridge bus.
    EventBridge(EventBridgeSink),
}

impl ExtraSink {
    /// A short stable name, for logs and the claims of the idempotency table: `securityhub`,
    /// `eventbridge`.
    pub fn name(&self) -> &'static str {
        match self {
            ExtraSink::SecurityHub(_) => "securityhub",
            ExtraSink::EventBridge(_) => "eventbridge",
        }
    }
}

impl AlertSink for ExtraSink {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError> {
        match self {
            ExtraSink::SecurityHub(s) => s.publish(alerts).await,
            ExtraSink::EventBridge(s) => s.publish(alerts).await,
        }
    }
}

/// How often and how patiently a sink retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Tries per entry, at least 1.
    pub attempts: u32,
    /// The wait before the second try; doubled before each further one.
    pub first_backoff: Duration,
}

impl Default for Retry {
    /// 5 tries, from 100 ms: the SNS sink's policy.
    fn default() -> Self {
        Retry {
            attempts: 5,
            first_backoff: Duration::from_millis(100),
        }
    }
}

/// An entry the service did not take in one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Its position in the call's entries.
    pub index: usize,
    /// The service's code and message.
    pub detail: String,
    /// False when the service blamed the entry itself: retrying will not help.
    pub retryable: bool,
}

/// Entries that never got through: their tags, the last error, and whether a retry may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelivered {
    /// The tags of the entries not accepted.
    pub tags: Vec<usize>,
    /// The last error seen.
    pub detail: String,
    /// False when one of them was refused as the sender's fault.
    pub retryable: bool,
}

/// Sends `entries` (each with a tag the caller uses to find it again) in calls of at most
/// `batch` entries and `max_bytes` bytes (`size` measures one), retrying per `retry`. `call`
/// sends one call and answers what it rejected, or the call's own error.
pub async fn send_all<T, Call, Fut>(
    target: &str,
    retry: Retry,
    entries: Vec<(usize, T, usize)>,
    batch: usize,
    max_bytes: usize,
    mut call: Call,
) -> Result<(), Undelivered>
where
    T: Clone,
    Call: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Result<Vec<Rejected>, String>>,
{
    let mut failed = Undelivered {
        tags: Vec::new(),
        detail: String::new(),
        retryable: true,
    };
    for chunk in chunks(entries, batch, max_bytes) {
        let mut pending = chunk;
        for attempt in 0..retry.attempts.max(1) {
            if attempt > 0 {
                let factor = 2u32.saturating_pow(attempt - 1);
                tokio::time::sleep(retry.first_backoff.saturating_mul(factor)).await;
            }
            let sent: Vec<T> = pending.iter().map(|(_, e)| e.clone()).collect();
            let rejected = match call(sent).await {
                Ok(rejected) => rejected,
                Err(e) => {
                    tracing::warn!(target, attempt, error = e.as_str(), "sink call failed");
                    failed.detail = e;
                    continue;
                }
            };
            if rejected.is_empty() {
                pending.clear();
                break;
            }
            failed.detail = rejected
                .iter()
                .map(|r| r.detail.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            tracing::warn!(
                target,
                attempt,
                rejected = rejected.len(),
                error = failed.detail.as_str(),
                "entries not accepted"
            );
            if rejected.iter().any(|r| !r.retryable) {
                failed.retryable = false;
                let keep: Vec<usize> = rejected.iter().map(|r| r.index).collect();
                pending = keep_positions(pending, &keep);
                break;
            }
            let keep: Vec<usize> = rejected.iter().map(|r| r.index).collect();
            pending = keep_positions(pending, &keep);
        }
        failed.tags.extend(pending.iter().map(|(tag, _)| *tag));
    }
    if failed.tags.is_empty() {
        Ok(())
    } else {
        failed.tags.sort_unstable();
        Err(failed)
    }
}

/// The entries of `pending` at the positions `keep` names.
fn keep_positions<T>(pending: Vec<(usize, T)>, keep: &[usize]) -> Vec<(usize, T)> {
    pending
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, e)| e)
        .collect()
}

/// `entries` in calls of at most `batch` entries and `max_bytes` bytes (an entry larger than
/// `max_bytes` goes alone; the service then refuses it, and says so).
fn chunks<T>(
    entries: Vec<(usize, T, usize)>,
    batch: usize,
    max_bytes: usize,
) -> Vec<Vec<(usize, T)>> {
    let mut out: Vec<Vec<(usize, T)>> = Vec::new();
    let mut bytes = 0;
    for (tag, entry, size) in entries {
        match out.last_mut() {
            Some(last) if last.len() < batch && bytes + size <= max_bytes => {
                last.push((tag, entry));
                bytes += size;
            }
            _ => {
                out.push(vec![(tag, entry)]);
                bytes = size;
            }
        }
    }
    out
}

/// The outcome of a sink publishing `total` alerts to `target`: what [`send_all`] did, plus the
/// alerts refused before sending (position, why), which a retry cannot fix.
pub(crate) fn settle(
    target: &str,
    total: usize,
    sent: Result<(), Undelivered>,
    refused: Vec<(usize, String)>,
) -> Result<(), PublishError> {
    let mut failed = match sent {
        Ok(()) if refused.is_empty() => return Ok(()),
        Ok(()) => Undelivered {
            tags: Vec::new(),
            detail: String::new(),
            retryable: true,
        },
        Err(failed) => failed,
    };
    for (i, why) in refused {
        failed.tags.push(i);
        failed.detail = why;
        failed.retryable = false;
    }
    failed.tags.sort_unstable();
    Err(PublishError {
        topic: target.to_owned(),
        failed: failed.tags.len(),
        total,
        detail: failed.detail,
        retryable: failed.retryable,
        unpublished: failed.tags,
    })
}

#[cfg(test)]
mod tests;
