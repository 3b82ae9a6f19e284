//! `keytrail bench …`: the pieces `make bench` (bench/run.py) times; hidden from `--help`.
//!
//! - `gen` writes a synthetic trail object ([`gen`]);
//! - `floor` only decompresses an object with the same gzip library as the reader (flate2 on
//!   zlib-rs) and looks at every byte once, tuned to be the fastest such loop ([`floor`]);
//! - `lambda` scans an object the way the trail-processor Lambda does, optionally hashing its
//!   content for log file validation ([`lambda`]);
//! - `whole` is the whole-object approach of the Python Lambdas: read all, gunzip all, parse into
//!   a `serde_json` DOM, loop over the records and evaluate every rule on each.
//!
//! Each prints one JSON line on stdout (bytes, records, alerts, seconds) for the harness.

mod floor;
mod gen;
mod lambda;

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use keytrail_core::record::Event;
use serde_json::Value;

use crate::rule_args::{self, RuleArgs};
use floor::FloorArgs;
use gen::{write_trail, KINDS};
use lambda::LambdaArgs;

/// `keytrail bench …`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Write a synthetic gzip trail object with planted certificate events.
    Gen {
        /// How many records.
        #[arg(long, default_value_t = 300_000)]
        records: u64,
        /// How many of each planted event (ExportCertificate, ACME NewAccount, ACM key Decrypt).
        #[arg(long, default_value_t = 10)]
        planted: u64,
        /// Seed of the generator (same seed, same object).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Mix in smaller records until they average about this many bytes (default: the busy
        /// account's mix alone, about 1,550).
        #[arg(long)]
        mean_record_bytes: Option<u64>,
        /// Where to write the object (.json.gz).
        #[arg(long)]
        out: PathBuf,
    },
    /// Decompress an object and look at every byte once: the floor.
    Floor(FloorArgs),
    /// Scan an object as the Lambda does (optionally hashing it for log file validation).
    Lambda(LambdaArgs),
    /// The whole-object reference: gunzip all, parse a DOM, evaluate the rules on every record.
    Whole {
        /// The object.
        file: PathBuf,
        #[command(flatten)]
        rules: RuleArgs,
    },
}

/// Runs one bench subcommand.
pub fn run(command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Gen {
            records,
            planted,
            seed,
            mean_record_bytes,
            out,
        } => generate(*records, *planted, *seed, *mean_record_bytes, out),
        BenchCommand::Floor(args) => floor::floor(args),
        BenchCommand::Lambda(args) => lambda::lambda(args),
        BenchCommand::Whole { file, rules } => whole(file, rules),
    }
}

fn generate(
    records: u64,
    planted: u64,
    seed: u64,
    mean: Option<u64>,
    out: &Path,
) -> anyhow::Result<()> {
    let file = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let gz = flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default());
    let mut writer = BufWriter::with_capacity(256 << 10, gz);
    let bytes = write_trail(&mut writer, records, planted, seed, mean)?;
    writer
        .into_inner()
        .map_err(|e| e.into_error())?
        .finish()?
        .flush()?;
    report(&[
        ("records", records),
        ("planted", (planted * KINDS).min(records)),
        ("bytes", bytes),
    ])
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).with_context(|| format!("cannot open {}", path.display()))
}

fn whole(path: &Path, rules: &RuleArgs) -> anyhow::Result<()> {
    let rules = rule_args::load(rules)?;
    let start = Instant::now();
    let mut compressed = Vec::new();
    open(path)?.read_to_end(&mut compressed)?;
    let mut json = Vec::new();
    #[allow(clippy::disallowed_types)] // see `gunzip`
    flate2::read::MultiGzDecoder::new(&compressed[..]).read_to_end(&mut json)?;
    let value: Value = serde_json::from_slice(&json)?;
    let mut matched = Vec::new();
    let (mut records, mut alerts) = (0u64, 0u64);
    if let Value::Object(mut map) = value {
        if let Some(Value::Array(items)) = map.remove("Records") {
            for item in items {
                records += 1;
                let event = Event::from_value(item)?;
                matched.clear();
                for i in 0..rules.rules().len() {
                    if rules.is_match(i, event.value()) {
                        matched.push(i);
                    }
                }
                alerts += matched.len() as u64;
            }
        }
    }
    report(&[
        ("bytes", json.len() as u64),
        ("records", records),
        ("alerts", alerts),
        ("micros", micros(start)),
    ])
}

fn micros(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// One JSON line for the harness.
fn report(fields: &[(&str, u64)]) -> anyhow::Result<()> {
    let map: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", Value::Object(map))?;
    Ok(())
}
