//! The bridge from an async S3 body to keytrail-core's synchronous, streaming scan.
//!
//! The scan runs on a blocking thread and pulls bytes through a bounded channel that a pump task
//! fills from the body; its alerts come back through a second bounded channel, so the caller
//! publishes them while the object is still being read. Memory is bounded by the two channels,
//! the reader's buffer and the largest record, never by the object or by how many alerts it
//! raises: a 2 GB object with a noisy rule streams through a 256 MB Lambda.
//!
//! A body that fails half way (a reset connection) reaches the reader as an I/O error, which the
//! scan reports as a retryable fault after classifying every record before it. The caller can
//! also stop a scan ([`ScanStream::stop`], say because alerts cannot be published), and a scan
//! stops by itself at its deadline: both reach the reader as an I/O error too, so the scan ends
//! with a retryable fault, never as a clean end of a shorter object.
//!
//! With [`ScanStream::start_hashing`] the scan also gives the SHA-256 of the object's
//! uncompressed content, for log file validation
//! ([`keytrail_core::scan::scan_object_hashing`]): the scan's own decompress thread hashes the
//! bytes it decompresses, so the object is read once and gunzipped once, and the hash costs
//! only the SHA-256 (ring's, with the CPU's SHA extensions: see
//! [`keytrail_core::integrity::LogHasher`]). When the scan stops reading before the end (the
//! object is not JSON, or damage ends it), that thread reads on to the end of the body for the
//! hash, and the pump keeps feeding it, so the hash covers the whole object.
//!
//! The records that matched a rule feeding a correlation come out at the end, in
//! [`ScanEnd::kept`] (a few hundred bytes each: eventID, eventTime, group-by and counted values),
//! for the caller to run the correlations on; records that feed none are not kept.

use std::io;
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use keytrail_core::correlate::Kept;
use keytrail_core::integrity::ContentHash;
use keytrail_core::rules::RuleSet;
use keytrail_core::scan::{scan_object_hashing, scan_object_keeping, ObjectReport, ScanOptions};
use keytrail_core::Alert;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

mod channel;

use channel::ChannelReader;

/// How many body chunks may wait for the scanner.
pub const CHANNEL_CHUNKS: usize = 16;
/// How many alerts may wait for the caller before the scan waits for it.
pub const CHANNEL_ALERTS: usize = 64;

/// The scan thread went away without a result (it panicked): a bug, reported as such.
#[derive(Debug, thiserror::Error)]
#[error("object {object}: the scan thread failed: {detail}")]
pub struct ScanTaskError {
    /// The object.
    pub object: String,
    /// What the runtime said.
    pub detail: String,
}

/// Why a scan stopped before the end of its object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Its deadline passed.
    Deadline,
    /// The caller stopped it, for this reason.
    Caller(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Deadline => f.write_str("stopped at its deadline"),
            Stop::Caller(why) => write!(f, "stopped: {why}"),
        }
    }
}

/// How a [`ScanStream`] ended.
#[derive(Debug)]
pub struct ScanEnd {
    /// What happened while reading.
    pub report: ObjectReport,
    /// Set when the scan was stopped before the end of the object (then `report.fault` is the
    /// I/O error the stop caused).
    pub stopped: Option<Stop>,
    /// The hash of the whole uncompressed content when it was asked for
    /// ([`ScanStream::start_hashing`]), or why there is none (a gzip or input fault, a stop,
    /// content over the cap). It covers the whole object even when a fault in the JSON ended the
    /// scan early.
    pub content: Option<Result<ContentHash, String>>,
    /// What correlations need of the records that matched a rule feeding one, in record order.
    pub kept: Vec<Kept>,
}

/// What the scan thread gives back: its report, the kept records and the hash if asked for.
type Scanned = (ObjectReport, Vec<Kept>, Option<Result<ContentHash, String>>);

/// A scan in progress: alerts come out of [`ScanStream::next_batch`] while it reads.
#[derive(Debug)]
pub struct ScanStream {
    object: String,
    alerts: mpsc::Receiver<Alert>,
    worker: JoinHandle<Scanned>,
    pump: JoinHandle<()>,
    stop: Arc<watch::Sender<Option<Stop>>>,
}

impl ScanStream {
    /// Starts scanning `body` as object `object`; the scan stops by itself at `deadline`.
    pub fn start(
        object: String,
        body: ByteStream,
        rules: Arc<RuleSet>,
        options: ScanOptions,
        deadline: Option<Instant>,
    ) -> ScanStream {
        ScanStream::start_hashing(object, body, rules, options, deadline, None)
    }

    /// [`ScanStream::start`], also hashing the object's uncompressed content (at most
    /// `hash_max` bytes of it, and no more than the scan's `max_decompressed_bytes`) when
    /// `hash_max` is given; [`ScanEnd::content`] has the hash.
    pub fn start_hashing(
        object: String,
        body: ByteStream,
        rules: Arc<RuleSet>,
        options: ScanOptions,
        deadline: Option<Instant>,
        hash_max: Option<u64>,
    ) -> ScanStream {
        let (chunk_tx, chunk_rx) = mpsc::channel::<io::Result<Bytes>>(CHANNEL_CHUNKS);
        let (alert_tx, alerts) = mpsc::channel::<Alert>(CHANNEL_ALERTS);
        let (stop, stop_rx) = watch::channel(None);
        let stop = Arc::new(stop);
        let name = object.clone();
        let reader = ChannelReader {
            rx: chunk_rx,
            current: Bytes::new(),
            failed: None,
            stop: stop_rx.clone(),
            stopper: Arc::clone(&stop),
            deadline: deadline.map(Instant::into_std),
        };
        let worker = tokio::task::spawn_blocking(move || {
            let mut kept = Vec::new();
            // A send fails only when the caller dropped the stream: nobody wants the alert.
            let mut send = |a| {
                let _ = alert_tx.blocking_send(a);
            };
            let mut keep = |k| kept.push(k);
            let (report, content) = match hash_max {
                Some(max) => {
                    let (report, content) = scan_object_hashing(
                        &name, reader, &rules, &options, &mut send, &mut keep, max,
                    );
                    (report, Some(content.map_err(|e| e.to_string())))
                }
                None => {
                    let report =
                        scan_object_keeping(&name, reader, &rules, &options, &mut send, &mut keep);
                    (report, None)
                }
            };
            (report, kept, content)
        });
        let pump = tokio::spawn(pump(body, chunk_tx, deadline, Arc::clone(&stop), stop_rx));
        ScanStream {
            object,
            alerts,
            worker,
            pump,
            stop,
        }
    }

    /// The next alert, as soon as the scan finds it; `None` once every alert is out.
    pub async fn next_alert(&mut self) -> Option<Alert> {
        self.alerts.recv().await
    }

    /// The next `size` alerts (fewer at the end of the scan); `None` once every alert is out.
    pub async fn next_batch(&mut self, size: usize) -> Option<Vec<Alert>> {
        let mut batch = Vec::with_capacity(size);
        while batch.len() < size.max(1) {
            match self.next_alert().await {
                Some(alert) => batch.push(alert),
                None => break,
            }
        }
        (!batch.is_empty()).then_some(batch)
    }

    /// Stops the scan: it ends soon with a retryable fault naming `why`. Alerts already found
    /// still come out of [`ScanStream::next_batch`].
    pub fn stop(&self, why: &str) {
        request_stop(&self.stop, Stop::Caller(why.to_owned()));
    }

    /// Waits for the scan's end. Alerts not yet taken are dropped: take them first.
    pub async fn finish(mut self) -> Result<ScanEnd, ScanTaskError> {
        self.alerts.close();
        while self.alerts.recv().await.is_some() {}
        let (report, kept, content) = (&mut self.worker).await.map_err(|e| ScanTaskError {
            object: self.object.clone(),
            detail: e.to_string(),
        })?;
        let stopped = self.stop.borrow().clone();
        Ok(ScanEnd {
            report,
            stopped,
            content,
            kept,
        })
    }
}

impl Drop for ScanStream {
    /// A scan dropped before its end (its task cancelled) stops reading and downloading, rather
    /// than running on to the end of the object for nobody.
    fn drop(&mut self) {
        if !self.worker.is_finished() {
            request_stop(&self.stop, Stop::Caller("the scan was dropped".to_owned()));
        }
        self.pump.abort();
    }
}

/// Records the first reason a scan stops for; later ones change nothing.
fn request_stop(stop: &watch::Sender<Option<Stop>>, why: Stop) {
    stop.send_if_modified(|current| {
        let first = current.is_none();
        if first {
            *current = Some(why);
        }
        first
    });
}

/// Feeds the body into the scanner until it ends, fails, the scanner stops reading, the scan is
/// stopped or the deadline passes.
async fn pump(
    mut body: ByteStream,
    tx: mpsc::Sender<io::Result<Bytes>>,
    deadline: Option<Instant>,
    stop: Arc<watch::Sender<Option<Stop>>>,
    mut stopped: watch::Receiver<Option<Stop>>,
) {
    let at_deadline = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(at_deadline);
    let work = async {
        while let Some(chunk) = body.next().await {
            let failed = chunk.is_err();
            let chunk = chunk.map_err(io::Error::other);
            // Stops when nobody reads any more: the scan's decompress thread ended (the end of
            // the object or a fault; when hashing, not before the end of the body).
            if tx.send(chunk).await.is_err() || failed {
                break;
            }
        }
    };
    tokio::select! {
        () = work => {}
        _ = stopped.wait_for(Option::is_some) => {}
        () = &mut at_deadline => {
            request_stop(&stop, Stop::Deadline);
        }
    }
    // Dropping the sender wakes a reader waiting for a chunk; it then sees the stop.
}

/// Scans `body` as object `object` on a blocking thread, streaming, and hands each alert to
/// `sink` as it comes, in record order (for callers such as the CLI; the Lambda publishes from a
/// [`ScanStream`]). At most [`CHANNEL_ALERTS`] alerts wait for `sink`: memory does not grow with
/// the object's alerts.
pub async fn scan_body(
    object: String,
    body: ByteStream,
    rules: Arc<RuleSet>,
    options: ScanOptions,
    sink: &mut dyn FnMut(Alert),
) -> Result<ObjectReport, ScanTaskError> {
    let mut scan = ScanStream::start(object, body, rules, options, None);
    while let Some(alert) = scan.next_alert().await {
        sink(alert);
    }
    Ok(scan.finish().await?.report)
}

#[cfg(test)]
mod tests;
