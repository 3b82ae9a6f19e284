//! `keytrail scan`: objects scanned in parallel, alerts printed in input order as they come, in
//! memory bounded by the number of jobs (not by the alerts an object raises).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Read, Write};
use std::mem;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keytrail_core::read::ReadOptions;
use keytrail_core::rules::RuleSet;
use keytrail_core::scan::{scan_object, ObjectReport, ScanOptions};
use keytrail_core::{Alert, Severity};

use crate::args::{Format, ScanArgs, Toggle};
use crate::output;
use crate::rules_cmd;
use crate::s3_source::S3;
use crate::walk::{self, Target};

/// Runs `keytrail scan`.
pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let rules = Arc::new(rules_cmd::load(&args.rules)?);
    let mut walked = walk::walk(&args.paths);
    if (args.since.is_some() || args.until.is_some())
        && !args.paths.iter().any(|p| p.starts_with("s3://"))
    {
        eprintln!("keytrail: warning: --since/--until select S3 objects by key; local paths are scanned whole");
    }
    let s3_uris: Vec<&String> = args
        .paths
        .iter()
        .filter(|p| p.starts_with("s3://"))
        .collect();
    let s3 = if s3_uris.is_empty() {
        None
    } else {
        Some(S3::connect()?)
    };
    if let Some(s3) = &s3 {
        for uri in s3_uris {
            let (objects, passed) = s3.list(uri, args.since, args.until)?;
            if objects.is_empty() {
                eprintln!(
                    "keytrail: {uri}: no trail objects found ({passed} other keys passed over)"
                );
            }
            walked.skipped += passed;
            walked.targets.extend(objects.into_iter().map(Target::S3));
        }
    }
    let options = ScanOptions {
        read: ReadOptions {
            max_decompressed_bytes: args.max_decompressed_bytes,
            max_record_bytes: usize::try_from(args.max_record_bytes).unwrap_or(usize::MAX),
            ..ReadOptions::default()
        },
        min_severity: args.min_severity,
    };
    let format = match args.format {
        Format::Auto if io::stdout().is_terminal() => Format::Table,
        Format::Auto => Format::Jsonl,
        other => other,
    };
    let show_progress = match args.progress {
        Toggle::Auto => io::stderr().is_terminal(),
        Toggle::Always => true,
        Toggle::Never => false,
    };
    let total_bytes: u64 = walked.targets.iter().map(Target::size).sum();
    let bar = if show_progress {
        let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {pos_msg}{msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };

    // Buffered, and flushed whenever the printer has nothing to print: a line-buffered stdout
    // made one write per alert.
    let mut stdout = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut unreadable = walked.errors.len();
    for e in &walked.errors {
        bar.suspend(|| eprintln!("keytrail: {e}: skipped"));
    }
    if format == Format::Table {
        output::write_table_header(&mut stdout).context("writing to stdout")?;
    }

    let mut totals = Totals::default();
    let jobs = args
        .jobs
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, walked.targets.len().max(1));
    let next = AtomicUsize::new(0);
    // Each object streams its alerts through a channel of its own, registered as the object
    // starts; the printer drains the objects' channels in input order. An object ahead of the
    // one being printed fills its channel and then waits, so memory stays bounded (jobs x
    // OBJECT_ALERTS alerts) however many alerts an object raises.
    let (register, registered) = mpsc::channel::<(usize, Receiver<Scanned>)>();
    thread::scope(|scope| -> anyhow::Result<()> {
        // Owned here, so that an early return (stdout closed) drops it with the channels of the
        // objects not yet printed: their workers' sends then fail, and they stop instead of
        // waiting on a full channel for ever.
        let registered = registered;
        for _ in 0..jobs {
            let register = register.clone();
            let (next, targets, rules, options, s3) =
                (&next, &walked.targets, &rules, &options, s3.as_ref());
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(target) = targets.get(i) else { break };
                let (tx, rx) = mpsc::sync_channel(OBJECT_ALERTS / BATCH);
                if register.send((i, rx)).is_err() {
                    break;
                }
                // A send fails once the printer has stopped (stdout closed): the rest of the
                // object is scanned for nothing, then this thread stops.
                let mut batch = Vec::with_capacity(BATCH);
                let mut sink = |alert| {
                    batch.push(alert);
                    if batch.len() == BATCH {
                        let full = mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        let _ = tx.send(Scanned::Alerts(full));
                    }
                };
                let report = match (target, s3) {
                    (Target::S3(object), Some(s3)) => s3.scan(object, rules, options, &mut sink),
                    _ => scan_target(target, rules, options, &mut sink),
                };
                if !batch.is_empty() {
                    // A failed send means the printer is gone, as the report's will say too.
                    let _ = tx.send(Scanned::Alerts(batch));
                }
                if tx.send(Scanned::Done(Box::new(report))).is_err() {
                    break;
                }
            });
        }
        drop(register);
        let mut waiting = BTreeMap::new();
        for (emit, target) in walked.targets.iter().enumerate() {
            let rx = loop {
                if let Some(rx) = waiting.remove(&emit) {
                    break rx;
                }
                match registered.recv() {
                    Ok((i, rx)) => waiting.insert(i, rx),
                    // Every worker is gone without registering this object: a panic, which
                    // the scope re-raises.
                    Err(_) => return Ok(()),
                };
            };
            loop {
                let scanned = match rx.try_recv() {
                    Ok(scanned) => scanned,
                    Err(TryRecvError::Empty) => {
                        stdout.flush().context("writing to stdout")?;
                        match rx.recv() {
                            Ok(scanned) => scanned,
                            Err(_) => break,
                        }
                    }
                    Err(TryRecvError::Disconnected) => break,
                };
                let report = match scanned {
                    Scanned::Alerts(alerts) => {
                        for alert in &alerts {
                            totals.alert(alert);
                            match format {
                                Format::Table => output::write_table_row(&mut stdout, alert),
                                _ => output::write_jsonl(&mut stdout, alert),
                            }
                            .context("writing to stdout")?;
                        }
                        continue;
                    }
                    Scanned::Done(report) => report,
                };
                bar.inc(target.size());
                // The object's alerts before what is said of it on stderr.
                stdout.flush().context("writing to stdout")?;
                for problem in report.problems() {
                    bar.suspend(|| eprintln!("keytrail: {problem}"));
                }
                if !report.is_clean() {
                    unreadable += 1;
                }
                totals.add(&report);
                bar.set_message(format!("{} alerts", totals.alerts));
                break;
            }
        }
        Ok(())
    })?;
    stdout.flush().context("writing to stdout")?;
    bar.finish_and_clear();

    if !args.quiet {
        eprintln!(
            "keytrail: scanned {} objects ({} bytes, {} records: {} screened, {} parsed) in \
             {:.2}s: {} alerts{}{}",
            walked.targets.len(),
            totals.bytes,
            totals.records,
            totals.screened,
            totals.parsed,
            started.elapsed().as_secs_f64(),
            totals.alerts,
            totals.by_level_text(),
            if unreadable > 0 {
                format!("; {unreadable} object(s) could not be read completely (see above)")
            } else {
                String::new()
            }
        );
    }
    let failed_level = args
        .fail_on
        .is_some_and(|floor| totals.max_level.is_some_and(|m| m >= floor));
    Ok(if unreadable > 0 {
        ExitCode::from(2)
    } else if failed_level {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Alerts of one object that may wait for the printer before its scan waits.
const OBJECT_ALERTS: usize = 256;
/// Alerts sent to the printer at once (the rest of an object's at its end): one channel hand-over
/// per alert, with a wake-up of the printer each, took a fifth of the time when every record
/// alerts.
const BATCH: usize = 32;

/// What a worker sends the printer of one object: its alerts in batches as they come, then its
/// report.
enum Scanned {
    Alerts(Vec<Alert>),
    Done(Box<ObjectReport>),
}

fn scan_target(
    target: &Target,
    rules: &RuleSet,
    options: &ScanOptions,
    sink: &mut dyn FnMut(Alert),
) -> ObjectReport {
    let name = target.name();
    let input: Box<dyn Read + Send> = match target {
        Target::Stdin => Box::new(io::stdin()),
        Target::S3(_) => Box::new(FailingRead(Some(io::Error::other("no S3 connection")))),
        Target::File(path, _) => match File::open(path) {
            Ok(f) => Box::new(BufReader::with_capacity(256 * 1024, f)),
            Err(e) => {
                // Let the reader report it with the object's name, like any other read fault.
                Box::new(FailingRead(Some(e)))
            }
        },
    };
    scan_object(&name, input, rules, options, sink)
}

/// A source whose first read fails with the error it was given (a file that could not be opened).
pub struct FailingRead(pub Option<io::Error>);

impl Read for FailingRead {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("already failed")))
    }
}

#[derive(Default)]
struct Totals {
    bytes: u64,
    records: u64,
    /// Records checked on the few values the unrouted rules read ([`ObjectReport::screened`]).
    screened: u64,
    /// Records parsed in full ([`ObjectReport::parsed`]).
    parsed: u64,
    alerts: u64,
    by_level: HashMap<Severity, u64>,
    max_level: Option<Severity>,
}

impl Totals {
    fn add(&mut self, report: &ObjectReport) {
        self.bytes += report.bytes;
        self.records += report.records;
        self.screened += report.screened;
        self.parsed += report.parsed;
    }

    fn alert(&mut self, alert: &Alert) {
        self.alerts += 1;
        *self.by_level.entry(alert.severity).or_default() += 1;
        self.max_level = self.max_level.max(Some(alert.severity));
    }

    fn by_level_text(&self) -> String {
        let parts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter_map(|s| self.by_level.get(s).map(|n| format!("{n} {s}")))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}
