//! The bridge from an async S3 body to keytrail-core's synchronous, streaming scan.
//!
//! The scan runs on a blocking thread and pulls bytes through a bounded channel that the async
//! side fills from the body. At most [`CHANNEL_CHUNKS`] chunks wait in the channel, so memory is
//! bounded by the channel, the reader's buffer and the largest record, never by the object: a
//! 2 GB object streams through a 256 MB Lambda. A body that fails half way (a reset connection)
//! reaches the reader as an I/O error, which the scan reports as a retryable fault after
//! classifying every record before it.

use std::io::{self, Read};
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use bytes::{Buf, Bytes};
use keytrail_core::rules::RuleSet;
use keytrail_core::scan::{scan_object, ObjectReport, ScanOptions};
use keytrail_core::Alert;
use tokio::sync::mpsc;

/// How many body chunks may wait for the scanner.
pub const CHANNEL_CHUNKS: usize = 16;

/// A scanned object: what was read and the alerts it raised.
#[derive(Debug)]
pub struct Scanned {
    /// What happened while reading.
    pub report: ObjectReport,
    /// The alerts, in record order.
    pub alerts: Vec<Alert>,
}

/// The scan thread went away without a result (it panicked): a bug, reported as such.
#[derive(Debug, thiserror::Error)]
#[error("object {object}: the scan thread failed: {detail}")]
pub struct ScanTaskError {
    /// The object.
    pub object: String,
    /// What the runtime said.
    pub detail: String,
}

/// Scans `body` as object `object` on a blocking thread, streaming.
pub async fn scan_body(
    object: String,
    mut body: ByteStream,
    rules: Arc<RuleSet>,
    options: ScanOptions,
) -> Result<Scanned, ScanTaskError> {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHANNEL_CHUNKS);
    let name = object.clone();
    let worker = tokio::task::spawn_blocking(move || {
        let mut alerts = Vec::new();
        let reader = ChannelReader {
            rx,
            current: Bytes::new(),
        };
        let report = scan_object(&name, reader, &rules, &options, &mut |a| alerts.push(a));
        Scanned { report, alerts }
    });
    while let Some(chunk) = body.next().await {
        let item = chunk.map_err(io::Error::other);
        let failed = item.is_err();
        // A send error means the scan stopped reading (a fault ended it): stop pumping.
        if tx.send(item).await.is_err() || failed {
            break;
        }
    }
    drop(tx);
    worker.await.map_err(|e| ScanTaskError {
        object,
        detail: e.to_string(),
    })
}

/// Scans bytes already in memory (an EventBridge API-call event) through the same path.
pub async fn scan_bytes(
    object: String,
    bytes: Vec<u8>,
    rules: Arc<RuleSet>,
    options: ScanOptions,
) -> Result<Scanned, ScanTaskError> {
    scan_body(object, ByteStream::from(bytes), rules, options).await
}

/// A `Read` over chunks arriving on a channel; blocks the (blocking-pool) thread while waiting.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(chunk) => self.current = chunk?,
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}
