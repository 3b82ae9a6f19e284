//! The command line, as clap sees it: one subcommand per module (`scan`, `rules`, `backfill`,
//! `bench`),
//! each owning its flags; flag groups several commands share (`RuleArgs`, `AwsArgs`) live in
//! modules of their own.

use clap::{Parser, Subcommand};

use crate::backfill::BackfillArgs;
use crate::bench::BenchCommand;
use crate::rules::RulesCommand;
use crate::scan::ScanArgs;

/// The version and the commit it was built from (build.rs), for `--version`.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("KEYTRAIL_COMMIT"),
    ")"
);

/// Audit AWS CloudTrail logs for certificate and key-material operations.
///
/// keytrail reads CloudTrail log objects (gzip or plain; {"Records":[...]}, arrays, NDJSON,
/// single events, EventBridge envelopes), matches every record against Sigma rules (a built-in
/// pack for ACM, ACME, KMS, CloudHSM, load balancers and trail tampering, plus your own) and
/// reports the alerts.
#[derive(Debug, Parser)]
#[command(name = "keytrail", version = VERSION, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan trail objects (files or directories, recursively) and print the alerts.
    ///
    /// Exit status: 0 when every object was read; 2 when any object could not be read (the
    /// others are still scanned, and each problem is one line on stderr naming the object); 1
    /// when --fail-on is given and an alert at or above that level was found (2 wins over 1).
    /// A closed stdout (| head, | grep -q) is not itself an error: nothing more is printed, and
    /// the scan stops soon with the status the alerts and unreadable objects found so far call
    /// for. With --fail-on it first goes on, printing nothing, until an alert reaches the level,
    /// an object proves unreadable or the objects end, so that the gate's answer does not depend
    /// on when the reader went away.
    Scan(ScanArgs),
    /// List or test rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Re-scan a date range of a trail on the deployed function fleet (SQS or S3 Batch
    /// Operations), and follow it (`keytrail backfill status`).
    ///
    /// Finds every account and region folder under the URI, lists each day folder from --since
    /// to --until, and hands each trail object to the fleet: one S3-notification-shaped message
    /// on the stack's backfill queue (--via sqs), or one line of a CSV manifest and an S3 Batch
    /// Operations job (--via batch). Nothing is sent when the input is wrong. With the stack's
    /// idempotency table on, a re-run (or an overlap with live delivery) publishes nothing twice.
    /// Exit status: 0 when everything was handed on, 2 on an error (nothing sent, or the keys
    /// not sent named).
    Backfill(Box<BackfillArgs>),
    /// Benchmark helpers for `make bench` (generate objects, floor and whole-object reference).
    #[command(subcommand, hide = true)]
    Bench(BenchCommand),
}
