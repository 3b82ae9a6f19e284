//! `keytrail scan`'s flags.

use std::io::{self, IsTerminal};

use clap::{Args, ValueEnum};
use keytrail_core::read::ReadOptions;
use keytrail_core::scan::{available_cpus, ScanOptions};
use keytrail_core::Severity;

use crate::aws::AwsArgs;
use crate::dates::Day;
use crate::rule_args::RuleArgs;

/// `keytrail scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, directories or s3://bucket/prefix URIs to scan. Directories and prefixes are
    /// searched recursively for *.json, *.json.gz, *.jsonl, *.ndjson and *.gz objects
    /// (CloudTrail-Digest files are skipped); files named explicitly are always scanned, whatever
    /// their name. Symlinks inside directories are followed, to files and directories; each file
    /// and directory is scanned once, and broken links and links that loop back are skipped
    /// (each named on stderr). Everything skipped is counted, by reason, in the summary. Use -
    /// for standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Only objects dated on or after this day (YYYY-MM-DD), from CloudTrail's
    /// .../CloudTrail/REGION/YYYY/MM/DD/ key layout. With a prefix ending at a region folder,
    /// only the days from --since (to --until or today) are listed; otherwise the whole prefix
    /// is listed and keys are filtered by their date.
    #[arg(long, value_name = "DATE")]
    pub since: Option<Day>,

    /// Only objects dated on or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub until: Option<Day>,

    /// Output: a table for people, jsonl (one alert per line, the alert schema) for machines,
    /// ocsf (one OCSF 1.8.0 Detection Finding per line, class_uid 2004, for Amazon Security
    /// Lake and other OCSF data lakes; see docs/ocsf.md). auto picks table when stdout is a
    /// terminal and jsonl otherwise.
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

    #[command(flatten)]
    pub aws: AwsArgs,
}

impl ScanArgs {
    /// The scan's limits and severity floor.
    pub fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            read: ReadOptions {
                max_decompressed_bytes: self.max_decompressed_bytes,
                max_record_bytes: usize::try_from(self.max_record_bytes).unwrap_or(usize::MAX),
                ..ReadOptions::default()
            },
            min_severity: self.min_severity,
            // One CPU (`taskset`, a container's quota): a decompress thread only adds
            // hand-overs.
            pipelined: available_cpus() > 1,
        }
    }

    /// The output format, `auto` decided.
    pub fn output_format(&self) -> Format {
        match self.format {
            Format::Auto if io::stdout().is_terminal() => Format::Table,
            Format::Auto => Format::Jsonl,
            other => other,
        }
    }

    /// Whether to show the progress bar.
    pub fn show_progress(&self) -> bool {
        self.progress.on_stderr()
    }

    /// How many workers.
    pub fn job_count(&self) -> usize {
        self.jobs.unwrap_or_else(available_cpus)
    }
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
    /// One OCSF Detection Finding (class 2004) per line as JSON.
    Ocsf,
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

impl Toggle {
    /// On or off, for something drawn on stderr (auto: when stderr is a terminal).
    pub fn on_stderr(self) -> bool {
        match self {
            Toggle::Auto => io::stderr().is_terminal(),
            Toggle::Always => true,
            Toggle::Never => false,
        }
    }
}

fn parse_size(text: &str) -> Result<u64, String> {
    keytrail_core::size::parse_size(text).map_err(|e| e.to_string())
}
