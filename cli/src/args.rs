//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use keytrail_core::Severity;

/// Audit AWS CloudTrail logs for certificate and key-material operations.
///
/// keytrail reads CloudTrail log objects (gzip or plain; {"Records":[...]}, arrays, NDJSON,
/// single events, EventBridge envelopes), matches every record against Sigma rules (a built-in
/// pack for ACM, ACME, KMS, CloudHSM, load balancers and trail tampering, plus your own) and
/// reports the alerts.
#[derive(Debug, Parser)]
#[command(name = "keytrail", version, propagate_version = true)]
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
    Scan(ScanArgs),
    /// List or test rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Benchmark helpers for `make bench` (generate objects, floor and whole-object reference).
    #[command(subcommand, hide = true)]
    Bench(crate::bench_cmd::BenchCommand),
}

/// `keytrail scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, directories or s3://bucket/prefix URIs to scan. Directories and prefixes are
    /// searched recursively for *.json, *.json.gz, *.jsonl, *.ndjson and *.gz objects
    /// (CloudTrail-Digest files are skipped); files named explicitly are always scanned, whatever
    /// their name. Use - for standard input. S3 uses the standard AWS credentials, region and
    /// AWS_ENDPOINT_URL.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Only objects dated on or after this day (YYYY-MM-DD), from CloudTrail's
    /// .../CloudTrail/REGION/YYYY/MM/DD/ key layout. With a prefix ending at a region folder,
    /// only the days from --since (to --until or today) are listed; otherwise the whole prefix
    /// is listed and keys are filtered by their date.
    #[arg(long, value_name = "DATE")]
    pub since: Option<crate::dates::Day>,

    /// Only objects dated on or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub until: Option<crate::dates::Day>,

    /// Output: a table for people, jsonl (one alert per line, the alert schema) for machines.
    /// auto picks table when stdout is a terminal and jsonl otherwise.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,

    /// Exit 1 when an alert at or above this level is found (informational, low, medium, high,
    /// critical).
    #[arg(long, value_name = "LEVEL")]
    pub fail_on: Option<Severity>,

    /// Drop alerts below this level (informational, low, medium, high, critical).
    #[arg(long, value_name = "LEVEL", default_value_t = Severity::Informational)]
    pub min_severity: Severity,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Stop reading an object after this many bytes: decompressed bytes for gzip objects (a
    /// decompression bomb guard), the object's own bytes for plain JSON. Either way the object
    /// is reported as unreadable past the limit. Accepts units: 4GiB, 512MiB, 1000000.
    #[arg(long, value_name = "SIZE", default_value = "4GiB", value_parser = parse_size)]
    pub max_decompressed_bytes: u64,

    /// Refuse a single record larger than this (CloudTrail records are at most a few hundred KB).
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = parse_size)]
    pub max_record_bytes: u64,

    /// Objects scanned at once (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Progress bar on stderr: auto shows it when stderr is a terminal.
    #[arg(long, value_enum, default_value_t = Toggle::Auto)]
    pub progress: Toggle,

    /// Do not print the closing summary line on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Where rules come from.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// A directory of extra Sigma rules and filters (*.yml, *.yaml); repeat for more.
    #[arg(long = "rules", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,

    /// Do not load the built-in rule pack (only --rules directories).
    #[arg(long)]
    pub no_builtin: bool,

    /// Fail when a rule uses a Sigma feature keytrail lacks, instead of skipping it with a
    /// warning.
    #[arg(long)]
    pub strict: bool,
}

/// `keytrail rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// One rule a line: id, level, title, file.
    List {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Run every rule's hit and miss fixtures; fail on a failing fixture or a rule lacking either.
    ///
    /// Without DIR: the built-in pack, with fixtures from ./rules/tests (run it from a keytrail
    /// checkout). With DIR: the rules in DIR (on top of the built-in pack, so filters in DIR
    /// apply), with fixtures from DIR/tests/<rule-id>/{hit,miss}/*.json. Strict: a rule that
    /// uses an unsupported Sigma feature is an error here. Exit status 0 when every fixture
    /// passed, 1 when one failed or a rule lacks a hit or a miss fixture, 2 when the rules could
    /// not be loaded.
    Test {
        /// A rule directory with a tests/ folder.
        dir: Option<PathBuf>,
    },
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// table on a terminal, jsonl otherwise.
    Auto,
    /// Aligned columns for people.
    Table,
    /// One alert per line as JSON.
    Jsonl,
}

/// An on/off switch with an automatic default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Toggle {
    /// Decide from the terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

fn parse_size(text: &str) -> Result<u64, String> {
    keytrail_core::size::parse_size(text).map_err(|e| e.to_string())
}
