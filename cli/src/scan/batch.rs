//! A worker's alerts on their way to the printer, in batches ([`Message`]): as [`Alert`]s, or,
//! when the scan prints JSONL, as the lines themselves.
//!
//! Written on the worker, a line costs the printer a copy: the alerts of a noisy rule (most
//! records of a busy account) are written by as many threads as scan, and those of records the
//! rules decided on without parsing are written straight from the record
//! ([`TreeAlert::write_json`]), without making an `Alert` at all.

use std::mem;
use std::sync::mpsc::SyncSender;

use keytrail_core::alert::TreeAlert;
use keytrail_core::scan::AlertSink;
use keytrail_core::{Alert, Severity};

use super::output;
use super::target::Finished;

/// Alerts sent to the printer at once (the rest of an object's at its end): one channel
/// hand-over per alert, with a wake-up of the printer each, took a fifth of the time when every
/// record alerts.
pub const BATCH: usize = 32;
/// Batches of one object that may wait for the printer before its scan waits (256 alerts, or
/// 2 MiB of JSONL lines).
pub const OBJECT_BATCHES: usize = 256 / BATCH;

/// What a worker sends the printer about one object: its alerts in batches as they come, then
/// how its scan ended.
pub enum Message {
    /// Alerts, in record order.
    Alerts(Vec<Alert>),
    /// Alerts written as JSONL, in record order.
    Lines(Lines),
    /// The object's end.
    Done(Box<Finished>),
}

/// Bytes of lines sent to the printer at once: about 75 alerts of a SigmaHQ rule (3.4 KB a
/// line), so that the printer wakes, and writes to stdout, once for that many (waking it
/// every 40 cost a noisy rule's scan 5 % of its CPU time). At most [`OBJECT_BATCHES`] of them
/// wait for the printer: 2 MiB.
const LINES_BYTES: usize = 256 << 10;

/// Alerts written as JSONL: the lines, and each alert's severity (for the totals and the
/// `--fail-on` gate), in record order.
#[derive(Debug, Default)]
pub struct Lines {
    /// The lines, each ending in a newline.
    pub text: Vec<u8>,
    /// One severity per line.
    pub severities: Vec<Severity>,
}

/// A worker's sink for one object: batches of [`BATCH`] alerts, or [`LINES_BYTES`] of lines,
/// to `tx`.
pub struct Batcher<'a> {
    tx: &'a SyncSender<Message>,
    /// Write JSONL lines here instead of sending alerts.
    jsonl: bool,
    alerts: Vec<Alert>,
    lines: Lines,
}

impl<'a> Batcher<'a> {
    pub fn new(tx: &'a SyncSender<Message>, jsonl: bool) -> Batcher<'a> {
        Batcher {
            tx,
            jsonl,
            alerts: Vec::new(),
            lines: Lines::default(),
        }
    }

    /// Sends what waits. A send fails once the printer has dropped this object's channel: the
    /// rest of the object is scanned for nothing (it stops soon: the printer sets the stop
    /// first).
    pub fn send(&mut self) {
        if !self.alerts.is_empty() {
            let _ = self.tx.send(Message::Alerts(mem::take(&mut self.alerts)));
        }
        if !self.lines.severities.is_empty() {
            let _ = self.tx.send(Message::Lines(mem::take(&mut self.lines)));
        }
    }

    /// One alert more has been batched.
    fn added(&mut self) {
        if self.alerts.len() >= BATCH || self.lines.text.len() >= LINES_BYTES {
            self.send();
        }
    }

    /// Gives a new batch of lines room for the batch and a large last line, so that its text
    /// is not copied as it grows.
    fn reserve_lines(&mut self) {
        if self.lines.text.capacity() == 0 {
            self.lines.text.reserve_exact(LINES_BYTES + (16 << 10));
        }
    }

    /// Sends the alert itself, after the lines before it: the printer writes it (and says why
    /// if it cannot).
    fn send_alert(&mut self, alert: Alert) {
        if !self.lines.severities.is_empty() {
            self.send();
        }
        if self.alerts.capacity() == 0 {
            self.alerts.reserve_exact(BATCH);
        }
        self.alerts.push(alert);
        self.added();
    }
}

impl AlertSink for Batcher<'_> {
    fn alert(&mut self, alert: Alert) {
        if !self.jsonl {
            return self.send_alert(alert);
        }
        self.reserve_lines();
        let start = self.lines.text.len();
        if output::write_jsonl(&mut self.lines.text, &alert).is_err() {
            self.lines.text.truncate(start);
            return self.send_alert(alert);
        }
        self.lines.severities.push(alert.severity);
        self.added();
    }

    fn tree_alert(&mut self, alert: TreeAlert<'_>) {
        if !self.jsonl {
            return self.send_alert(alert.to_alert());
        }
        self.reserve_lines();
        let start = self.lines.text.len();
        if !alert.write_json(&mut self.lines.text) {
            return self.alert(alert.to_alert());
        }
        output::end_json_line(&mut self.lines.text, start);
        self.lines.severities.push(alert.rule.level);
        self.added();
    }
}
