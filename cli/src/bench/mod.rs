//! `keytrail bench …`: the pieces `make bench` (bench/run.py) times; hidden from `--help`.
//!
//! - `gen` writes a synthetic trail object ([`gen`]);
//! - `floor` only decompresses an object with the same gzip library as the reader (flate2 on
//!   zlib-rs) and touches every byte: no scan can be faster on one stream;
//! - `whole` is the whole-object approach of the Python Lambdas: read all, gunzip all, parse into
//!   a `serde_json` DOM, loop over the records and evaluate every rule on each.
//!
//! Each prints one JSON line on stdout (bytes, records, alerts, seconds) for the harness.

mod gen;

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use keytrail_core::record::Event;
use serde_json::Value;

use crate::rule_args::{self, RuleArgs};
use gen::{write_trail, KINDS};

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
        /// Where to write the object (.json.gz).
        #[arg(long)]
        out: PathBuf,
    },
    /// Decompress an object and read every byte: the floor.
    Floor {
        /// The object.
        file: PathBuf,
    },
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
            out,
        } => generate(*records, *planted, *seed, out),
        BenchCommand::Floor { file } => floor(file),
        BenchCommand::Whole { file, rules } => whole(file, rules),
    }
}

fn generate(records: u64, planted: u64, seed: u64, out: &Path) -> anyhow::Result<()> {
    let file = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let gz = flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default());
    let mut writer = BufWriter::with_capacity(256 << 10, gz);
    write_trail(&mut writer, records, planted, seed)?;
    writer
        .into_inner()
        .map_err(|e| e.into_error())?
        .finish()?
        .flush()?;
    report(&[
        ("records", records),
        ("planted", (planted * KINDS).min(records)),
    ])
}

/// The raw multi-member decoder, without the reader's size cap: the bench only opens objects
/// it generated itself.
#[allow(clippy::disallowed_types)]
fn gunzip(file: File) -> flate2::read::MultiGzDecoder<std::io::BufReader<File>> {
    flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(128 << 10, file))
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).with_context(|| format!("cannot open {}", path.display()))
}

fn floor(path: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut decoder = gunzip(open(path)?);
    let mut buf = vec![0u8; 128 << 10];
    let (mut bytes, mut sum) = (0u64, 0u64);
    loop {
        let n = decoder.read(&mut buf)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        // Read every byte, so nothing is optimised away.
        sum = buf
            .get(..n)
            .unwrap_or_default()
            .iter()
            .fold(sum, |s, &b| s.wrapping_add(u64::from(b)));
    }
    report(&[
        ("bytes", bytes),
        ("checksum", sum % 1000),
        ("micros", micros(start)),
    ])
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
