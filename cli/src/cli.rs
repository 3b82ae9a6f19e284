//! The command line, as clap sees it: one subcommand per module (`scan`, `rules`, `bench`),
//! each owning its flags; flag groups several commands share (`RuleArgs`, `AwsArgs`) live in
//! modules of their own.

use clap::{Parser, Subcommand};

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
/// single events, EventBridge envelopes, `aws cloudtrail lookup-events` output), matches every
/// record against Sigma rules (a built-in pack for ACM, ACME, KMS, CloudHSM, load balancers and
/// trail tampering, plus your own) and reports the alerts.
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
    /// Benchmark helpers for `make bench` (generate objects, floor and whole-object reference).
    #[command(subcommand, hide = true)]
    Bench(BenchCommand),
}
