//! The in-order printer: takes each object's alerts as they come, in input order, writes them
//! (JSONL, OCSF JSONL or table rows) to stdout, says each object's problems on stderr after its alerts, and
//! keeps the totals.
//!
//! Stdout is buffered here and written whenever the printer has nothing to print (or 64 KiB
//! wait), and before an object's problems go to stderr. On a terminal the progress bar shares
//! the screen with the rows, so each write to stdout and each line on stderr happens with the
//! bar cleared and is followed by its redraw ([`ProgressBar::suspend`]): a row never lands on the
//! bar's line.
//!
//! A closed stdout (`| head`, `| true`) is not an error: the printer writes nothing more and
//! keeps counting what the workers send, for the exit status. It stops the scan at once (the
//! stop flag, see [`super::pool`]) unless `--fail-on` is given and its answer is not known yet:
//! then the scan goes on, silently, until an alert reaches the level, an object proves
//! unreadable (status 2) or the objects end. So a gate such as `keytrail scan --fail-on high …
//! | head` fails exactly when the whole scan would have, however early its reader went away.

use std::io::{self, Write};
use std::mem;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::TryRecvError;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keytrail_core::{Alert, Severity};

use super::args::Format;
use super::batch::{Lines, Message};
use super::output;
use super::pool::InOrder;
use super::summary::Totals;
use super::target::{Finished, Target};
use crate::term;

/// How much stdout text may wait before it is written.
const OUT_BUFFER: usize = 64 * 1024;

/// The progress bar on stderr (bytes of the objects done), or a hidden one.
pub fn progress_bar(show: bool, total_bytes: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {pos_msg}{msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Runs `f` with the bar cleared from the screen (and redrawn after), when it is shown.
fn without_bar<T>(bar: &ProgressBar, f: impl FnOnce() -> T) -> T {
    if bar.is_hidden() {
        f()
    } else {
        bar.suspend(f)
    }
}

/// Says `message` on stderr with the bar out of the way.
pub fn say(bar: &ProgressBar, message: &str) {
    without_bar(bar, || term::say(message));
}

/// What happened to stdout.
#[derive(Debug)]
pub enum Stdout {
    /// Written to until the end.
    Open,
    /// Its reader went away: not an error.
    Closed,
    /// Writing failed otherwise (a full disk): the scan stops and fails with this.
    Failed(io::Error),
}

/// The printer of one scan.
pub struct Printer<'a> {
    format: Format,
    /// When the scan started, ms since the epoch: the OCSF `time` of an alert without one.
    started_ms: i64,
    fail_on: Option<Severity>,
    bar: &'a ProgressBar,
    stop: &'a AtomicBool,
    buf: Vec<u8>,
    stdout: Stdout,
    /// The totals so far.
    pub totals: Totals,
}

impl<'a> Printer<'a> {
    /// A printer writing `format` to stdout; a table starts with its header. `fail_on` is the
    /// scan's gate, which a closed stdout does not cut short.
    pub fn new(
        format: Format,
        fail_on: Option<Severity>,
        bar: &'a ProgressBar,
        stop: &'a AtomicBool,
    ) -> Printer<'a> {
        let mut printer = Printer {
            format,
            started_ms: output::now_ms(),
            fail_on,
            bar,
            stop,
            buf: Vec::with_capacity(OUT_BUFFER),
            stdout: Stdout::Open,
            totals: Totals::default(),
        };
        if format == Format::Table {
            // Into the buffer: cannot fail.
            let _ = output::write_table_header(&mut printer.buf);
        }
        printer
    }

    /// Prints every object's alerts and problems, in the order of `targets`, until the workers
    /// end, then the alerts `after` makes (the correlations, once every object is read);
    /// returns the totals and what became of stdout.
    pub fn print(
        mut self,
        mut objects: InOrder,
        targets: &[Target],
        after: impl FnOnce() -> Vec<Alert>,
    ) -> (Totals, Stdout) {
        while let Some((i, rx)) = objects.next_object() {
            loop {
                let message = match rx.try_recv() {
                    Ok(message) => message,
                    Err(TryRecvError::Empty) => {
                        self.flush();
                        match rx.recv() {
                            Ok(message) => message,
                            Err(_) => break,
                        }
                    }
                    Err(TryRecvError::Disconnected) => break,
                };
                match message {
                    Message::Alerts(alerts) => self.alerts(&alerts),
                    Message::Lines(lines) => self.lines(lines),
                    Message::Done(finished) => {
                        self.done(*finished, targets.get(i).map_or(0, Target::size));
                        break;
                    }
                }
            }
        }
        let last = after();
        self.alerts(&last);
        self.flush();
        (self.totals, self.stdout)
    }

    fn alerts(&mut self, alerts: &[Alert]) {
        for alert in alerts {
            self.totals.alert(alert);
            if !matches!(self.stdout, Stdout::Open) {
                self.stop_when_answered();
                continue;
            }
            let written = match self.format {
                Format::Table => output::write_table_row(&mut self.buf, alert),
                Format::Ocsf => output::write_ocsf(&mut self.buf, alert, self.started_ms),
                _ => output::write_jsonl(&mut self.buf, alert),
            };
            if let Err(e) = written {
                self.failed(e);
            }
            if self.buf.len() >= OUT_BUFFER {
                self.flush();
            }
        }
    }

    /// Alerts the worker wrote as JSONL: counted as [`Printer::alerts`] counts them, printed as
    /// they are.
    fn lines(&mut self, mut lines: Lines) {
        for &severity in &lines.severities {
            self.totals.count(severity);
        }
        if !matches!(self.stdout, Stdout::Open) {
            self.stop_when_answered();
            return;
        }
        if self.buf.is_empty() {
            // The batch becomes the buffer: no copy.
            mem::swap(&mut self.buf, &mut lines.text);
        } else {
            self.buf.extend_from_slice(&lines.text);
        }
        if self.buf.len() >= OUT_BUFFER {
            self.flush();
        }
    }

    fn done(&mut self, finished: Finished, size: u64) {
        let Finished {
            mut report,
            stopped,
        } = finished;
        if stopped {
            // The fault is the stop's, not the object's; what was found before it counts.
            report.fault = None;
        }
        self.bar.inc(size);
        // The object's alerts before what is said of it on stderr.
        self.flush();
        for problem in report.problems() {
            say(self.bar, &problem);
        }
        self.totals.add(&report);
        self.bar
            .set_message(format!("{} alerts", self.totals.alerts));
        if !matches!(self.stdout, Stdout::Open) {
            self.stop_when_answered();
        }
    }

    /// With stdout gone, stops the scan unless the exit status could still rise: `--fail-on`
    /// given, not reached yet, and nothing unreadable so far.
    fn stop_when_answered(&self) {
        let open_gate = self
            .fail_on
            .is_some_and(|level| !self.totals.reached(level));
        if !open_gate || self.totals.unreadable > 0 {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    /// Writes what waits to stdout, with the bar out of the way.
    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if matches!(self.stdout, Stdout::Open) {
            let buf = &self.buf;
            let written = without_bar(self.bar, || {
                let mut out = io::stdout().lock();
                out.write_all(buf).and_then(|()| out.flush())
            });
            if let Err(e) = written {
                self.failed(e);
            }
        }
        self.buf.clear();
    }

    /// Stdout cannot be written to. A closed pipe stops the scan once its exit status is
    /// known; any other failure stops it at once, and is kept for the exit.
    fn failed(&mut self, e: io::Error) {
        self.buf.clear();
        if !matches!(self.stdout, Stdout::Open) {
            return;
        }
        if e.kind() == io::ErrorKind::BrokenPipe {
            self.stdout = Stdout::Closed;
            self.stop_when_answered();
        } else {
            self.stdout = Stdout::Failed(e);
            self.stop.store(true, Ordering::Relaxed);
        }
    }
}
