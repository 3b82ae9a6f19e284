//! The command line, as clap sees it: one subcommand per module (`scan`, `verify`, `rules`,
//! `backfill`, `bench`), each owning its flags; flag groups several commands share (`RuleArgs`, `AwsArgs`) live in
//! modules of their own.

use clap::{Parser, Subcommand};

use crate::backfill::BackfillArgs;
use crate::bench::BenchCommand;
use crate::rules::RulesCommand;
use crate::scan::ScanArgs;
use crate::verify::VerifyArgs;

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
    /// Verify a trail bucket's CloudTrail log file integrity: digests, signatures, chain, log
    /// files.
    ///
    /// For a date range, keytrail reads every CloudTrail digest (the hourly files CloudTrail
    /// writes when log file validation is on), checks that each is where it says it was
    /// delivered and that its signature (x-amz-meta-signature) verifies with CloudTrail's public
    /// key for its region, that each names the previous digest of its chain with that digest's
    /// real signature, and that every log file it lists is there with the SHA-256 it recorded
    /// (each log file is read once, streamed). Beyond `aws cloudtrail validate-logs` it also
    /// reports every digest of a run of deleted digests (not only the last), log objects that no
    /// digest lists (injected), and a trail that went silent (no digest for more than 1 h 30 min
    /// before the time of the check).
    ///
    /// Public keys come from CloudTrail's ListPublicKeys (permission cloudtrail:ListPublicKeys,
    /// asked in each region the digests came from), or from --public-key files (no CloudTrail
    /// call). Reading needs s3:ListBucket and s3:GetObject on the trail's bucket (and
    /// kms:Decrypt for SSE-KMS).
    ///
    /// Output: one line per problem on stdout (severity, kind, what, which object, why), a
    /// summary on stderr: "N digests, M log files valid; K problems".
    ///
    /// Exit status: 0 when everything checked is valid; 1 when a problem was found; 2 when the
    /// check could not be made (bad arguments, no digests, S3 or CloudTrail refused) or some
    /// object could not be read (problems found are still printed).
    ///
    /// Examples:
    ///   keytrail verify s3://my-trail-bucket/ --since 2026-06-01 --until 2026-06-10
    ///   keytrail verify s3://my-trail-bucket/AWSLogs/111122223333/CloudTrail/eu-west-1/ \
    ///       --since 2026-06-10 --format jsonl
    ///   keytrail verify s3://my-trail-bucket/ --public-key us-east-1.der --since 2026-06-10
    #[command(verbatim_doc_comment)]
    Verify(VerifyArgs),
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
