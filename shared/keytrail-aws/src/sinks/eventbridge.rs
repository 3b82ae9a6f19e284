//! [`EventBridgeSink`]: alerts as events on an EventBridge bus, with `PutEvents`.
//!
//! One event per alert: `Source: keytrail`, `DetailType: keytrail Alert`, the alert (the one
//! alert schema, as SNS's default message carries it) as `Detail`, on the bus named by name or
//! ARN. Up to 10 entries a call and 256 KB a call, counted as EventBridge counts an entry
//! (the UTF-8 bytes of `Source`, `DetailType` and `Detail`); an alert is at most 64 KiB, so
//! every one fits. Entries the bus rejects (`FailedEntryCount`) are retried unless their code
//! blames the entry.

use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use keytrail_core::Alert;

use super::{send_all, settle, Rejected, Retry};
use crate::sns::{AlertSink, PublishError};

/// `Source` of keytrail's events.
pub const SOURCE: &str = "keytrail";
/// `DetailType` of an alert event.
pub const DETAIL_TYPE: &str = "keytrail Alert";
/// The most entries in one `PutEvents` call.
pub const MAX_ENTRIES_PER_CALL: usize = 10;
/// The most bytes all entries of one call may add up to.
pub const MAX_CALL_BYTES: usize = 256 * 1024;

/// [`AlertSink`] putting alerts on an EventBridge bus.
#[derive(Debug, Clone)]
pub struct EventBridgeSink {
    client: aws_sdk_eventbridge::Client,
    bus: String,
    retry: Retry,
}

impl EventBridgeSink {
    /// A sink putting events on `bus` (a name or an ARN), with the default retries.
    pub fn new(client: aws_sdk_eventbridge::Client, bus: String) -> Self {
        EventBridgeSink {
            client,
            bus,
            retry: Retry::default(),
        }
    }

    /// Changes the retry policy (tests use short backoffs).
    #[must_use]
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// One `PutEvents` call: what it rejected, or its error.
    async fn put(&self, batch: Vec<PutEventsRequestEntry>) -> Result<Vec<Rejected>, String> {
        let out = self
            .client
            .put_events()
            .set_entries(Some(batch))
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        if out.failed_entry_count() == 0 {
            return Ok(Vec::new());
        }
        // Result entries answer the request's entries in order.
        Ok(out
            .entries()
            .iter()
            .enumerate()
            .filter_map(|(index, e)| {
                let code = e.error_code()?;
                Some(Rejected {
                    index,
                    detail: format!("{code} ({})", e.error_message().unwrap_or("no message")),
                    retryable: is_retryable(code),
                })
            })
            .collect())
    }
}

/// Codes of failed entries worth another try: the bus's own trouble, not the entry's.
fn is_retryable(code: &str) -> bool {
    code.contains("Internal") || code.contains("Throttl") || code.contains("Unavailable")
}

/// The bytes EventBridge counts for an entry of `detail`.
pub fn entry_size(detail: &str) -> usize {
    SOURCE.len() + DETAIL_TYPE.len() + detail.len()
}

impl AlertSink for EventBridgeSink {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError> {
        let mut entries = Vec::with_capacity(alerts.len());
        let mut unencodable = Vec::new();
        for (i, alert) in alerts.iter().enumerate() {
            match serde_json::to_string(alert) {
                Ok(detail) => {
                    let size = entry_size(&detail);
                    let entry = PutEventsRequestEntry::builder()
                        .source(SOURCE)
                        .detail_type(DETAIL_TYPE)
                        .detail(detail)
                        .event_bus_name(&self.bus)
                        .build();
                    entries.push((i, entry, size));
                }
                Err(e) => unencodable.push((i, format!("alert {}: {e}", alert.alert_id))),
            }
        }
        let sent = send_all(
            &self.bus,
            self.retry,
            entries,
            MAX_ENTRIES_PER_CALL,
            MAX_CALL_BYTES,
            |batch| self.put(batch),
        )
        .await;
        settle(&self.bus, alerts.len(), sent, unencodable)
    }
}
