//! `keytrail scan`: objects scanned in parallel, alerts printed in input order as they come, in
//! memory bounded by the number of jobs (not by the alerts an object raises).
//!
//! ```text
//! plan (walk, S3 listing) ─▶ pool (N workers, one object each at a time)
//!                                 └─▶ per-object channels ─▶ printer (input order) ─▶ summary, exit status
//! ```
//! - [`plan`]: the paths expanded into [`target::Target`]s ([`walk`] for local trees, [`s3`] for
//!   prefixes), with what was skipped;
//! - [`pool`]: the fixed set of worker threads, and the stop flag a closed stdout sets;
//! - [`printer`]: stdout (JSONL or table, [`output`]) and stderr, around the progress bar;
//! - [`summary`]: the totals, the closing line and the exit status;
//! - [`correlate`]: correlations across every object, run once all are read.

mod args;
mod batch;
mod correlate;
mod output;
mod plan;
mod pool;
mod printer;
mod s3;
mod summary;
mod target;
mod walk;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use keytrail_core::rules::RuleSet;
use keytrail_core::scan::{scan_sized_keeping, AlertSink, ScanOptions};

use args::Format;
pub use args::{ScanArgs, Toggle};
use correlate::Keeper;
use pool::Stoppable;
use printer::{Printer, Stdout};
use s3::S3;
use target::{unopened, Finished, Target};

use crate::{rule_args, term};

/// Runs `keytrail scan`.
pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let rules = Arc::new(rule_args::load(&args.rules)?);
    let plan = plan::plan(args)?;
    let options = args.scan_options();
    let bar = printer::progress_bar(args.show_progress(), plan.total_bytes());
    for e in &plan.errors {
        printer::say(&bar, &format!("{e}: skipped"));
    }
    for note in &plan.notes {
        printer::say(&bar, note);
    }

    let stop = AtomicBool::new(false);
    let format = args.output_format();
    let mut printer = Printer::new(format, args.fail_on, &bar, &stop);
    printer.totals.unreadable = plan.errors.len() as u64;
    let keeper = Keeper::default();
    let scan = |target: &Target, stop: &AtomicBool, sink: &mut dyn AlertSink| {
        let s3 = plan.s3.as_ref();
        scan_target(target, &rules, &options, s3, stop, sink, &keeper)
    };
    let correlated = || {
        keeper
            .alerts(&rules, options.min_severity)
            .unwrap_or_else(|e| {
                printer::say(&bar, &format!("correlations could not run: {e}"));
                Vec::new()
            })
    };
    let jsonl = format == Format::Jsonl;
    let jobs = args.job_count();
    let (totals, stdout) = pool::run(&plan.targets, jobs, jsonl, &stop, &scan, |objects| {
        printer.print(objects, &plan.targets, correlated)
    });
    bar.finish_and_clear();

    if !args.quiet {
        let stopped = match &stdout {
            Stdout::Open => None,
            Stdout::Closed => Some("stdout was closed"),
            Stdout::Failed(_) => Some("writing to stdout failed"),
        };
        term::say(&totals.summary(plan.targets.len(), stopped, &plan.skips, started.elapsed()));
    }
    if let Stdout::Failed(e) = stdout {
        return Err(e).context("writing to stdout");
    }
    Ok(totals.exit_code(args.fail_on))
}

/// The read buffer of a local file.
const READ_BUFFER: usize = 256 << 10;

/// Scans one object: a file, standard input or an S3 object.
fn scan_target(
    target: &Target,
    rules: &Arc<RuleSet>,
    options: &ScanOptions,
    s3: Option<&S3>,
    stop: &AtomicBool,
    sink: &mut dyn AlertSink,
    keeper: &Keeper,
) -> Finished {
    let name = target.name();
    let unopened = |why: &str| Finished {
        report: unopened(&name, why),
        stopped: false,
    };
    match target {
        Target::S3(object) => match s3 {
            Some(s3) => s3.scan(object, rules, options, (stop, keeper), sink),
            None => unopened("no S3 connection"),
        },
        Target::Stdin => scan_read(
            &name,
            io::stdin(),
            None,
            rules,
            options,
            (stop, keeper),
            sink,
        ),
        Target::File(path, size) => match File::open(path) {
            Ok(file) => {
                // A small object needs no 256 KiB buffer (many small files: an allocation each).
                let capacity =
                    usize::try_from(*size).map_or(READ_BUFFER, |n| n.clamp(8 << 10, READ_BUFFER));
                let input = BufReader::with_capacity(capacity, file);
                scan_read(
                    &name,
                    input,
                    Some(*size),
                    rules,
                    options,
                    (stop, keeper),
                    sink,
                )
            }
            Err(e) => unopened(&e.to_string()),
        },
    }
}

/// Scans a local input of `size` bytes when known, which fails its next read once `stop` is
/// set; what correlations need of its records goes to the keeper.
fn scan_read<R: Read + Send>(
    name: &str,
    input: R,
    size: Option<u64>,
    rules: &RuleSet,
    options: &ScanOptions,
    (stop, keeper): (&AtomicBool, &Keeper),
    sink: &mut dyn AlertSink,
) -> Finished {
    let mut input = Stoppable::new(input, stop);
    let mut kept = Vec::new();
    let report = scan_sized_keeping(name, &mut input, size, rules, options, sink, &mut |k| {
        kept.push(k)
    });
    keeper.add(name, kept);
    Finished {
        report,
        stopped: input.was_cut(),
    }
}
